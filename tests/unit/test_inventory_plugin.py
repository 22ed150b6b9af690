# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""azure_vms inventory: the power state of every VM comes from one statusOnly list per subscription."""

from ansible_collections.azmove.site_recovery.plugins.inventory.azure_vms import StatusListDiscovery

SUB = "00000000-0000-0000-0000-000000000001"


def vm_id(name):
    return "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/%s" % (SUB, name)


class VirtualMachines:
    def __init__(self):
        self.calls = []

    def list_all(self, **kwargs):
        self.calls.append(kwargs)
        # ARM may echo an id in another casing than the model list's.
        return [{"id": vm_id("VM-A").upper(), "name": "vm-a",
                 "properties": {"instanceView": {"statuses": [{"code": "ProvisioningState/succeeded"},
                                                              {"code": "PowerState/deallocated"}]}}},
                {"id": vm_id("vm-b"), "name": "vm-b", "properties": {}}]


class Compute:
    def __init__(self):
        self.virtual_machines = VirtualMachines()


def test_one_status_list_serves_every_vm():
    compute = Compute()
    disc = StatusListDiscovery(compute, network=None, subscription_id=SUB)
    view_a = disc.instance_view({"id": vm_id("vm-a"), "name": "vm-a"})
    assert [s["code"] for s in view_a["statuses"]][-1] == "PowerState/deallocated"
    assert disc.instance_view({"id": vm_id("vm-b"), "name": "vm-b"}) == {}
    # A VM created after the list: no status, and no request of its own.
    assert disc.instance_view({"id": vm_id("vm-new"), "name": "vm-new"}) == {}
    assert compute.virtual_machines.calls == [{"status_only": "true"}]
