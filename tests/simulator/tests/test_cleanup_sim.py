"""Discarding what a move created, through the SDK: a replication appliance's registration (replication_fabrics
begin_delete = POST .../remove, begin_purge = DELETE), its policy association and its policy are refused while a
machine replicates through them, and go, with the fabric's containers, once it does not."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

import rcmsetup
from simhelpers import asr_client, clients

RG, VAULT, APPLIANCE = "rg-asr-cleanup", "rsv-cleanup-sim", "cleanup-app-01"
MACHINE = "rcm-lnx02"


def refused(call_):
    with pytest.raises(HttpResponseError) as exc:
        call_()
    assert exc.value.status_code == 400, exc.value
    return exc.value.error.code, exc.value.error.message


@pytest.fixture(scope="module")
def world(ep, admin):
    w = rcmsetup.world(ep, admin)  # the Government source machines
    rm, rs = clients(ep, "public")
    rm.resource_groups.create_or_update(RG, {"location": "eastus"})
    rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"},
                                                 "identity": {"type": "SystemAssigned"}}).result()
    key = admin.appliance_key(w.sub, RG, VAULT)
    app = admin.register_appliance(APPLIANCE, "10.10.6.20", appliance_key=key)
    cred = admin.add_credential("cleanup-root", "root", "Linux", appliance=APPLIANCE)
    srv = admin.add_server(rcmsetup.MACHINES[MACHINE][0], "cleanup-root", appliance=APPLIANCE)
    asr = asr_client(ep)
    policy = asr.replication_policies.begin_create(RG, VAULT, "policy-cleanup", {"properties": {
        "providerSpecificInput": rcmsetup.RCM_POLICY}}).result()
    asr.replication_protection_container_mappings.begin_create(
        RG, VAULT, app["fabric_name"], app["container_name"], "map-cleanup",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                        "providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}}
    ).result()
    body = {"properties": {"policyId": policy.id, "providerSpecificDetails": {
        "instanceType": "InMageRcm", "fabricDiscoveryMachineId": srv["fabric_discovery_machine_id"],
        "processServerId": app["process_server_id"], "runAsAccountId": cred["run_as_account_id"],
        "targetResourceGroupId": w.landing, "targetNetworkId": w.vnet, "targetSubnetName": "snet-app",
        "disksDefault": {"diskType": "Standard_LRS", "logStorageAccountId": w.storage}, "licenseType": "NotSpecified"}}}
    asr.replication_protected_items.begin_create(RG, VAULT, app["fabric_name"], app["container_name"], MACHINE, body).result()
    return asr, app, rs


def test_nothing_a_replicating_machine_uses_can_be_removed_then_everything_goes(world):
    asr, app, rs = world
    f, c = app["fabric_name"], app["container_name"]
    removal = {"properties": {"providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}}

    assert refused(lambda: rs.vaults.begin_delete(RG, VAULT).result())[0] == "ServiceResourceNotEmpty"
    code, message = refused(lambda: asr.replication_fabrics.begin_delete(RG, VAULT, f).result())
    assert code == "ServerHasProtectedItems" and MACHINE in message and "Disable replication" in message
    assert refused(lambda: asr.replication_fabrics.begin_purge(RG, VAULT, f).result())[0] == "ServerHasProtectedItems"
    assert refused(lambda: asr.replication_protection_container_mappings.begin_delete(
        RG, VAULT, f, c, "map-cleanup", removal).result())[0] == "MappingInUse"
    assert refused(lambda: asr.replication_policies.begin_delete(RG, VAULT, "policy-cleanup").result())[0] == "PolicyInUse"
    assert asr.replication_fabrics.get(RG, VAULT, f).properties.friendly_name

    # The machine is gone (migrated): association, policy and registration go, in that order.
    asr.replication_protected_items.begin_purge(RG, VAULT, f, c, MACHINE).result()
    asr.replication_protection_container_mappings.begin_delete(RG, VAULT, f, c, "map-cleanup", removal).result()
    asr.replication_policies.begin_delete(RG, VAULT, "policy-cleanup").result()
    asr.replication_fabrics.begin_delete(RG, VAULT, f).result()
    with pytest.raises(ResourceNotFoundError):
        asr.replication_fabrics.get(RG, VAULT, f)
    assert list(asr.replication_protection_containers.list(RG, VAULT)) == []
    jobs = [j.properties.scenario_name for j in asr.replication_jobs.list(RG, VAULT)]
    assert "RemoveFabric" in jobs
    # Already gone: 204, for both operations.
    asr.replication_fabrics.begin_delete(RG, VAULT, f).result()
    asr.replication_fabrics.begin_purge(RG, VAULT, f).result()
    rs.vaults.begin_delete(RG, VAULT).result()  # empty now: the vault goes too
