# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ARM ids are read with azure-mgmt-core's parser (issue 19): a resource group may legally be called ``providers``
or ``resourceGroups`` (or like a resource type), and Azure spells the fixed segments in any case."""

from ansible_collections.azmove.site_recovery.plugins.module_utils import _asr, _backup, _cleanup, _decommission, _discovery
from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map, _network_layout, _vault

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
VM = SUB + "/resourceGroups/providers/providers/Microsoft.Compute/virtualMachines/vm-app-win01"
NIC_IP = SUB + "/resourceGroups/providers/providers/Microsoft.Network/networkInterfaces/nic0/ipConfigurations/ipconfig1"
SUBNET = SUB + "/resourceGroups/virtualNetworks/providers/Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-app"
# Site Recovery answers with its own spelling of the fixed segments.
ITEM = ("/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/replicationFabrics/providers/"
        "Microsoft.RecoveryServices/vaults/rsv/replicationFabrics/fab1/replicationProtectionContainers/cont1/"
        "replicationProtectedItems/vm-app-win01")


def test_asr_reads_a_resource_group_named_like_a_segment():
    assert _asr.group_and_name(VM) == ("providers", "vm-app-win01")
    assert _asr.group_and_name(NIC_IP.upper().replace("NIC0", "nic0")) == ("PROVIDERS", "nic0")
    assert _asr.segment(ITEM, "replicationFabrics") == "fab1"
    assert _asr.segment(ITEM, "REPLICATIONPROTECTIONCONTAINERS") == "cont1"
    assert _asr.segment(ITEM, "resourceGroups") == "replicationFabrics"
    assert _asr.segment(ITEM, "vaults") == "rsv"
    assert _asr.segment("not an id", "vaults") is None
    assert _asr.parse_arm_id(VM + "/")["name"] == "vm-app-win01"


def test_asr_ids_up_to_a_part_keep_the_ids_spelling():
    assert _asr.arm_id_upto(ITEM, "replicationFabrics") == ITEM.split("/replicationProtectionContainers", maxsplit=1)[0]
    assert _asr.arm_id_upto(ITEM, "vaults").startswith("/Subscriptions/")
    assert _asr.arm_id_upto(ITEM, "vaults").endswith("/vaults/rsv")
    assert _asr.arm_id_upto(NIC_IP) == NIC_IP.split("/ipConfigurations", maxsplit=1)[0]
    assert _asr.arm_id_upto(VM, "subnets") is None


def test_asr_checks_and_builds_ids():
    assert _asr.resource_id_problem("vm", VM, "Microsoft.Compute/virtualMachines") is None
    assert _asr.resource_id_problem("vm", VM.lower(), "Microsoft.Compute/virtualMachines") is None
    assert _asr.resource_id_problem("rg", SUB + "/resourceGroups/providers", "resourceGroups") is None
    assert "not the resource id" in _asr.resource_id_problem("vm", NIC_IP, "Microsoft.Compute/virtualMachines", name_allowed=False)
    assert _asr.resource_id_problem("vm", VM + "/", "Microsoft.Compute/virtualMachines") is not None
    assert _asr.resource_id_problem("vm", SUBNET, "Microsoft.Network/virtualNetworks") is not None
    assert _asr.resource_id("vm-app-win01", "Microsoft.Compute/virtualMachines", SUB.rsplit("/", maxsplit=1)[-1], "providers") == VM
    assert _asr.vault_id("s", "providers", "rsv") == "/subscriptions/s/resourceGroups/providers/providers/Microsoft.RecoveryServices/vaults/rsv"


def test_discovery_parse_id():
    parsed = _discovery.parse_id(VM)
    assert (parsed["subscription_id"], parsed["resource_group"], parsed["namespace"], parsed["type"], parsed["name"]) == (
        "00000000-0000-0000-0000-000000000000", "providers", "Microsoft.Compute", "virtualMachines", "vm-app-win01")
    assert _discovery.parse_id(SUBNET)["resource_group"] == "virtualNetworks"
    assert _discovery.parse_id(SUBNET)["name"] == "vnet-app"
    assert _discovery.parse_id("vm-app-win01")["name"] == "vm-app-win01"


def test_network_layout_split_id():
    sub, rg, kind, name, child = _network_layout.split_id(SUBNET)
    assert (rg, kind, name, child) == ("virtualNetworks", "virtual_network", "vnet-app", "subnets/snet-app")
    assert _network_layout.split_id(VM) is None
    assert _network_layout.resource_id_of(SUBNET) == SUBNET.split("/subnets", maxsplit=1)[0]
    assert _network_layout.network_id("s", "providers", "virtual_network", "v") == \
        "/subscriptions/s/resourceGroups/providers/providers/Microsoft.Network/virtualNetworks/v"


def test_cleanup_decommission_backup_vault():
    assert _cleanup.parent_of(ITEM, "replicationFabrics").endswith("/replicationFabrics/fab1")
    assert _cleanup.network_of(SUBNET) == SUBNET.split("/subnets", maxsplit=1)[0]
    assert _decommission.owner_of_child(NIC_IP) == NIC_IP.split("/ipConfigurations", maxsplit=1)[0]
    assert _backup.vm_key(VM) == ("providers", "vm-app-win01")
    assert _backup.vm_key("not an id") == (None, None)
    assert _vault.vault_facts({"id": VM.replace("Microsoft.Compute/virtualMachines", "Microsoft.RecoveryServices/vaults")})[
        "resource_group"] == "providers"


def test_machine_map_pool_name():
    pool = SUB + "/resourceGroups/providers/providers/Microsoft.Network/loadBalancers/lb-app/backendAddressPools/pool1"
    assert _machine_map._pool_name(pool) == "lb-app/pool1"
