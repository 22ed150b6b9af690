"""Clean-up planning: what the move created that can go, what stays (and why), in the order Azure needs."""

from ansible_collections.azmove.site_recovery.plugins.module_utils import _cleanup as cl

SUB = "/subscriptions/0000/resourceGroups/rg-landing-eastus/providers/"
VAULT = SUB + "Microsoft.RecoveryServices/vaults/rsv1"
ASR = "/Subscriptions/0000/resourceGroups/rg-landing-eastus/providers/Microsoft.RecoveryServices/vaults/rsv1"
FABRIC = ASR + "/replicationFabrics/appliance-fabric"
CONTAINER = FABRIC + "/replicationProtectionContainers/c1"
POLICY = ASR + "/replicationPolicies/p1"
FAILBACK = ASR + "/replicationPolicies/p1-failback"
TEST_NET = SUB + "Microsoft.Network/virtualNetworks/vnet-test"
TARGET_NET = SUB + "Microsoft.Network/virtualNetworks/vnet-landing"
CACHE = SUB + "Microsoft.Storage/storageAccounts/stcache"
ALL = {"policies": True, "registration": True, "vault": True}


def rcm_item(name, disks=True, policy=POLICY, test_net=TEST_NET):
    """An InMageRcm replicated item as siterecovery_rcm_items renders it (the keys the plan reads)."""
    return {"id": CONTAINER + "/replicationProtectedItems/" + name, "name": name, "properties": {
        "friendlyName": name, "policyId": policy, "providerSpecificDetails": {
            "instanceType": "InMageRcm", "storageAccountId": None, "testNetworkId": test_net, "targetNetworkId": TARGET_NET,
            "protectedDisks": [{"diskId": "d0", "logStorageAccountId": CACHE}] if disks else []}}}


def v2_item(name, fabric=FABRIC):
    """An InMageAzureV2 (classic) replicated item: the cache account is recoveryAzureLogStorageAccountId."""
    return {"id": fabric + "/replicationProtectionContainers/c1/replicationProtectedItems/" + name, "name": name, "properties": {
        "friendlyName": name, "policyId": POLICY, "providerSpecificDetails": {
            "instanceType": "InMageAzureV2", "recoveryAzureLogStorageAccountId": CACHE, "recoveryAzureStorageAccount": None,
            "selectedRecoveryAzureNetworkId": TARGET_NET, "selectedTfoAzureNetworkId": None}}}


def mapping(name, policy_id, container=CONTAINER):
    return {"id": container + "/replicationProtectionContainerMappings/" + name, "name": name, "properties": {
        "policyId": policy_id, "policyFriendlyName": cl.name_of(policy_id), "sourceFabricFriendlyName": "asr-app01",
        "targetProtectionContainerId": "Microsoft Azure"}}


def facts(items=(), **over):
    data = {"vault": {"id": VAULT, "name": "rsv1"}, "vault_name": "rsv1", "items": list(items), "other_items": [],
            "mappings": [mapping("p1-mapping", POLICY), mapping("p1-failback-mapping", FAILBACK)],
            "policies": [{"id": POLICY, "name": "p1"}, {"id": FAILBACK, "name": "p1-failback"}],
            "fabrics": [{"id": FABRIC, "name": "appliance-fabric", "properties": {
                "friendlyName": "asr-app01", "customDetails": {"instanceType": "InMageRcm"}}},
                {"id": ASR + "/replicationFabrics/azure", "name": "azure", "properties": {"customDetails": {"instanceType": "Azure"}}}],
            "networks": [{"id": TEST_NET, "name": "vnet-test"}], "nics": [],
            "storage_accounts": [{"id": CACHE, "name": "stcache"}], "backup_items": 0}
    data.update(over)
    return data


def reasons(planned):
    return {(k["kind"], k["name"]): k["reason"] for k in planned["kept"]}


def test_everything_goes_in_azure_order_once_nothing_replicates():
    planned = cl.plan(facts(), ALL)
    assert [(e["kind"], e["name"]) for e in planned["delete"]] == [
        ("mapping", "p1 of asr-app01"), ("mapping", "p1-failback of asr-app01"), ("policy", "p1"), ("policy", "p1-failback"),
        ("test_network", "vnet-test"), ("cache_storage_account", "stcache"), ("registration", "replication appliance asr-app01"),
        ("vault", "rsv1")]
    assert planned["kept"] == []


def test_a_replicating_machine_keeps_everything_it_needs_and_says_why():
    planned = cl.plan(facts([rcm_item("vm-app-lnx01")]), ALL)
    assert planned["delete"] == []
    why = reasons(planned)
    assert why[("policy", "p1")] == "machine vm-app-lnx01 still replicates through policy p1"
    assert why[("mapping", "p1 of asr-app01")] == "machine vm-app-lnx01 still replicates through policy p1"
    assert why[("policy", "p1-failback")] == "still associated with server asr-app01, through which machine vm-app-lnx01 still replicates"
    assert why[("test_network", "vnet-test")] == "machine vm-app-lnx01 still uses it as test network"
    assert why[("cache_storage_account", "stcache")] == "machine vm-app-lnx01 still replicates through it"
    assert why[("registration", "replication appliance asr-app01")] == "machine vm-app-lnx01 still replicates through it"
    assert why[("vault", "rsv1")] == "it still replicates machine vm-app-lnx01"


def test_classic_item_keeps_its_cache_account_and_two_machines_read_in_plural():
    planned = cl.plan(facts([v2_item("vm-a"), v2_item("vm-b")]), ALL)
    why = reasons(planned)
    assert why[("cache_storage_account", "stcache")] == "machines vm-a, vm-b still replicate through it"
    assert why[("policy", "p1")] == "machines vm-a, vm-b still replicate through policy p1"
    assert [e["kind"] for e in planned["delete"]] == ["test_network"]  # classic items name no test network


def test_a_target_network_given_as_test_network_is_kept():
    planned = cl.plan(facts([v2_item("vm-a")], networks=[{"id": TARGET_NET, "name": "vnet-landing"}]), ALL)
    assert reasons(planned)[("test_network", "vnet-landing")] == "it is the target network of machine vm-a"


def test_an_item_whose_disks_are_not_reported_yet_keeps_every_cache_account():
    other_policy = ASR + "/replicationPolicies/p2"
    planned = cl.plan(facts([rcm_item("vm-new", disks=False, policy=other_policy, test_net=None)]), ALL)
    assert "does not report its cache storage account yet" in reasons(planned)[("cache_storage_account", "stcache")]


def test_a_network_interface_on_the_test_network_keeps_it():
    nic = {"id": SUB + "Microsoft.Network/networkInterfaces/nic-probe", "name": "nic-probe", "properties": {
        "virtualMachine": {"id": SUB + "Microsoft.Compute/virtualMachines/vm-probe"},
        "ipConfigurations": [{"properties": {"subnet": {"id": TEST_NET + "/subnets/snet-app"}}}]}}
    planned = cl.plan(facts(nics=[nic]), ALL)
    assert reasons(planned)[("test_network", "vnet-test")] == "network interface nic-probe (VM vm-probe) still connected to it"


def test_machines_of_another_vault_keep_shared_network_and_storage():
    planned = cl.plan(facts(other_items=[("rsv-other", rcm_item("vm-x"))]), ALL)
    why = reasons(planned)
    assert why[("cache_storage_account", "stcache")] == "machine vm-x (vault rsv-other) still replicates through it"
    assert why[("test_network", "vnet-test")] == "machine vm-x (vault rsv-other) still uses it as test network"
    assert ("vault", "rsv1") in [(e["kind"], e["name"]) for e in planned["delete"]]


def test_registration_and_vault_only_on_request():
    planned = cl.plan(facts(), {"policies": True, "registration": False, "vault": True})
    why = reasons(planned)
    assert why[("registration", "replication appliance asr-app01")] == "remove_registration is false"
    assert why[("vault", "rsv1")] == "replication appliance asr-app01 is still registered with it"
    planned = cl.plan(facts(), {"policies": True, "registration": True, "vault": False})
    assert reasons(planned)[("vault", "rsv1")] == "delete_vault is false"


def test_policies_false_keeps_policies_and_mappings():
    planned = cl.plan(facts(), {"policies": False, "registration": False, "vault": False})
    assert [e["kind"] for e in planned["delete"]] == ["test_network", "cache_storage_account"]
    assert reasons(planned)[("policy", "p1")] == "policies is false"


def test_vault_with_backup_items_stays():
    planned = cl.plan(facts(backup_items=2), ALL)
    assert reasons(planned)[("vault", "rsv1")] == "Azure Backup still protects 2 item(s) in it"


def test_a_gone_vault_plans_only_the_named_resources_and_then_nothing():
    gone = facts(vault=None, mappings=[], policies=[], fabrics=[])
    assert [e["kind"] for e in cl.plan(gone, ALL)["delete"]] == ["test_network", "cache_storage_account"]
    assert cl.plan(dict(gone, networks=[], storage_accounts=[]), ALL) == {"delete": [], "kept": []}


def test_item_uses_reads_both_providers_and_subnet_ids():
    uses = cl.item_uses(rcm_item("vm1"))
    assert uses["fabric"] == FABRIC and uses["container"] == CONTAINER and uses["storage"] == [CACHE]
    assert uses["test_networks"] == [TEST_NET] and not uses["storage_unknown"]
    classic = v2_item("vm2")
    classic["properties"]["providerSpecificDetails"]["selectedTfoAzureNetworkId"] = TEST_NET + "/subnets/snet-app"
    assert cl.item_uses(classic)["test_networks"] == [TEST_NET]


def test_diff_shows_what_exists_and_what_is_left():
    planned = cl.plan(facts([rcm_item("vm1")]), ALL)
    before, after = cl.as_diff(planned)
    assert before["vault"] == [VAULT] and after["vault"] == [VAULT]
    planned = cl.plan(facts(), ALL)
    before, after = cl.as_diff(planned)
    assert before["policy"] == [POLICY, FAILBACK] and after == {kind: [] for kind in cl.KINDS}
