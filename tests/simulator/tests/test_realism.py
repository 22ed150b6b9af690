"""Site Recovery realism knobs through the real SDK clients: Location-only LROs for protected-item actions (the
2025-08-01 spec's declaration) next to the Azure-AsyncOperation + Location answers, transient Critical health during
initial replication, failover name collisions, and the classic (InMageAzureV2) enable retirement."""
import json
import os
import subprocess
import sys
import time

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient

from azsim.providers.siterecovery import name_hash
from azsim.testing import wait_until
from simhelpers import SIM_ROOT, asr_client, client_kwargs, clients, credential, vault_credentials
from test_siterecovery import RG, V2A_POLICY, VAULT, discover, enable, env  # noqa: F401  # pylint: disable=unused-import

LANDING = "rg-landing-eastus"
_HOSTS = {}


def host(admin, name):
    """A Windows source host with no Gov VM (128 GB, push install allowed): a fresh IP per machine name."""
    if name not in _HOSTS:
        _HOSTS[name] = f"10.60.{len(_HOSTS) // 200}.{len(_HOSTS) % 200 + 10}"
        admin.set_host(_HOSTS[name], reachable=True, local_account_token_filter_policy=1)
    return _HOSTS[name]


def protect(env, admin, name, vm_name=None):  # noqa: F811
    pi = discover(env, name, host(admin, name), "Windows")
    return enable(env, name, pi, targetAzureVmName=vm_name or name)


def items(env):  # noqa: F811
    return env.asr.replication_protected_items


def begin(env, action, name, body=None):  # noqa: F811
    args = (RG, VAULT, env.f, env.c, name) + ((body,) if body is not None else ())
    return getattr(items(env), "begin_" + action)(*args)


def get(env, name):  # noqa: F811
    return items(env).get(RG, VAULT, env.f, env.c, name)


def tfo_input(env):  # noqa: F811
    return {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                           "networkId": env.vnet.replace("vnet-landing-eastus", "vnet-test-eastus"),
                           "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}


FO_INPUT = {"properties": {"failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "NotRequired",
                           "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}


def location_only(poller):
    """True when the SDK's ARMPolling chose Location polling (the initial answer had no Azure-AsyncOperation)."""
    return type(poller.polling_method()._operation).__name__ == "LocationPolling"  # pylint: disable=protected-access


@pytest.fixture
def settings(admin):
    before = admin.asr_settings()
    yield admin
    admin.asr_settings(**before)


# -- LRO styles ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["both", "location"])
def test_every_item_action_polls_to_the_end_in_both_styles(env, settings, style):  # noqa: F811
    settings.asr_settings(lro_style=style)
    name = "rl-" + style[:4]  # Windows VM names: at most 15 characters
    pollers = {"enable": protect(env, settings, name)}
    assert pollers["enable"].result().properties.protection_state == "Protected"
    pollers["update"] = items(env).begin_update(RG, VAULT, env.f, env.c, name, {"properties": {
        "recoveryAzureVMSize": "Standard_D4s_v3"}})
    assert pollers["update"].result().properties.provider_specific_details.recovery_azure_vm_size == "Standard_D4s_v3"
    pollers["testFailover"] = begin(env, "test_failover", name, tfo_input(env))
    assert pollers["testFailover"].result().properties.test_failover_state == "WaitingForCompletion"
    pollers["cleanup"] = begin(env, "test_failover_cleanup", name, {"properties": {"comments": "ok"}})
    assert pollers["cleanup"].result().properties.allowed_operations
    pollers["failover"] = begin(env, "unplanned_failover", name, FO_INPUT)
    assert pollers["failover"].result().properties.active_location == "Recovery"
    pollers["commit"] = begin(env, "failover_commit", name)
    assert pollers["commit"].result().properties.protection_state == "UnplannedFailoverCommitted"
    pollers["remove"] = begin(env, "delete", name, {"properties": {"disableProtectionReason": "MigrationComplete"}})
    assert pollers["remove"].result() is None
    protect(env, settings, name + "-p").result()
    pollers["purge"] = begin(env, "purge", name + "-p")
    assert pollers["purge"].result() is None
    assert {k: location_only(p) for k, p in pollers.items()} == {k: style == "location" for k in pollers}
    assert name not in [i.name for i in items(env).list(RG, VAULT)]


def test_mixed_style_is_per_item_and_action(env, settings):  # noqa: F811
    """`mixed` (the default): about half of the (item, action) pairs answer Location only, by a stable hash."""
    settings.asr_settings(lro_style="mixed")
    names = [f"rl-mix-{i}" for i in range(40)]
    picked = [next(n for n in names if name_hash(n, "EnableDr") < 0.5),
              next(n for n in names if name_hash(n, "EnableDr") >= 0.5)]
    for name in picked:
        poller = protect(env, settings, name)
        assert location_only(poller) == (name_hash(name, "EnableDr") < 0.5)
        poller.result()
        tfo = begin(env, "test_failover", name, tfo_input(env))
        assert location_only(tfo) == (name_hash(name, "TestFailover") < 0.5)
        assert tfo.result().properties.test_failover_state == "WaitingForCompletion"
        begin(env, "test_failover_cleanup", name, {"properties": {}}).result()
        begin(env, "purge", name).result()
    share = sum(name_hash(f"vm{i:03d}", "TestFailover") < 0.5 for i in range(400)) / 400
    assert 0.4 < share < 0.6


def test_location_only_wire_answers(env, settings):  # noqa: F811
    """202 with Location (+ retry delay) and no Azure-AsyncOperation; Location answers 202 while the job runs, then
    200 with the item; a failed job's Location answers 400 with the same code as the operation status."""
    from rawhttp import call
    settings.asr_settings(lro_style="location")
    protect(env, settings, "rl-wire").result()
    tok = settings.mint_token("public")
    arm = env.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    item_url = f"{arm}{get(env, 'rl-wire').id}"
    settings.set_time_factor(0.01)  # test failover: 240 s x 0.01 = 2.4 s
    st, headers, body = call(env.ep, "POST", item_url + "/testFailover?api-version=2025-08-01", token=tok,
                             body=tfo_input(env))
    h = {k.lower(): v for k, v in headers.items()}
    assert st == 202 and body is None and "azure-asyncoperation" not in h
    assert "retry-after" in h or "x-ms-retry-after-ms" in h
    assert "/replicationProtectedItems/rl-wire/operationresults/" in h["location"]
    st, again, _unused = call(env.ep, "GET", h["location"], token=tok)
    assert st == 202 and "/operationresults/" in again["Location"] and "Retry-After" in again
    assert wait_until(lambda: call(env.ep, "GET", h["location"], token=tok)[0] != 202, timeout=15)
    st, _unused, done = call(env.ep, "GET", h["location"], token=tok)
    assert st == 200 and done["name"] == "rl-wire"
    assert done["properties"]["testFailoverState"] == "WaitingForCompletion"
    settings.set_time_factor(0)
    begin(env, "test_failover_cleanup", "rl-wire", {"properties": {}}).result()
    settings.add_fault(kind="lro_fail", count=1, path_regex="rl-wire/testFailover$", code="InternalError",
                       message="The test failover could not be started.")
    with pytest.raises(HttpResponseError) as exc:
        begin(env, "test_failover", "rl-wire", tfo_input(env)).result()
    assert exc.value.status_code == 400 and exc.value.error.code == "InternalError"
    begin(env, "purge", "rl-wire").result()


# -- transient health --------------------------------------------------------------------------------------------
def test_transient_critical_health_during_initial_replication(env, settings):  # noqa: F811
    """Ratio 1: the item turns Critical between 30 % and 60 % of its initial replication, then Normal again.
    Factor 0.002: 128 GB of initial replication = 3.6 s, the window ~1.1 s."""
    settings.asr_settings(transient_health_ratio=1.0)
    settings.set_time_factor(0.002)
    poller = protect(env, settings, "rl-health")
    seen = []
    deadline = time.time() + 20
    while time.time() < deadline:
        p = get(env, "rl-health").properties
        seen.append((p.protection_state, p.replication_health, [e.error_code for e in p.health_errors]))
        if p.protection_state == "Protected":
            break
        time.sleep(0.05)
    poller.result()
    states = [s for s in seen if s[0] == "InitialReplicationInProgress"]
    critical = [s for s in states if s[1] == "Critical"]
    assert critical and all(len(s[2]) == 1 and s[2][0] in ("78169", "78188", "ProcessServerCacheUploadDelayed")
                            for s in critical)
    first = states.index(critical[0])
    assert states[0][1] == "Normal" and states[-1] == ("InitialReplicationInProgress", "Normal", [])
    assert all(s[1] == "Critical" for s in states[first:first + len(critical)])  # one window
    assert seen[-1] == ("Protected", "Normal", [])
    settings.set_time_factor(0)
    begin(env, "purge", "rl-health").result()
    share = sum(name_hash(f"vm{i:03d}", "transient-health") < 0.33 for i in range(600)) / 600
    assert 0.25 < share < 0.41  # the default ratio picks about a third of the machines


def test_ratio_zero_keeps_health_normal(env, settings):  # noqa: F811
    settings.asr_settings(transient_health_ratio=0)
    settings.set_time_factor(0.002)
    poller = protect(env, settings, "rl-health-0")
    healths = set()
    while not poller.done() or get(env, "rl-health-0").properties.protection_state != "Protected":
        healths.add(get(env, "rl-health-0").properties.replication_health)
        time.sleep(0.1)
    assert healths == {"Normal"}
    settings.set_time_factor(0)
    begin(env, "purge", "rl-health-0").result()


# -- failover collisions -----------------------------------------------------------------------------------------
def test_failover_into_an_existing_vm_name_fails_and_keeps_the_vm(env, settings):  # noqa: F811
    ep = env.ep
    compute = ComputeManagementClient(credential(ep, "public"), ep["clouds"]["public"]["subscription_id"],
                                      **client_kwargs(ep, "public"))
    protect(env, settings, "rl-coll-a", "rl-coll").result()
    protect(env, settings, "rl-coll-b", "rl-coll").result()
    begin(env, "test_failover", "rl-coll-a", tfo_input(env)).result()
    test_vm = compute.virtual_machines.get(LANDING, "rl-coll-test").as_dict()
    with pytest.raises(HttpResponseError) as exc:  # B's test VM would be A's: rl-coll-test
        begin(env, "test_failover", "rl-coll-b", tfo_input(env)).result()
    assert exc.value.error.code == "PropertyChangeNotAllowed" and "already exists" in exc.value.error.message
    p = get(env, "rl-coll-b").properties
    assert (p.protection_state, p.test_failover_state, p.failover_health) == ("Protected", "None", "Critical")
    assert compute.virtual_machines.get(LANDING, "rl-coll-test").as_dict() == test_vm
    begin(env, "test_failover_cleanup", "rl-coll-a", {"properties": {}}).result()
    begin(env, "unplanned_failover", "rl-coll-a", FO_INPUT).result()
    vm = compute.virtual_machines.get(LANDING, "rl-coll").as_dict()
    with pytest.raises(HttpResponseError) as exc:
        begin(env, "unplanned_failover", "rl-coll-b", FO_INPUT).result()
    assert exc.value.error.code == "PropertyChangeNotAllowed"
    p = get(env, "rl-coll-b").properties
    assert (p.protection_state, p.active_location) == ("UnplannedFailoverFailed", "Primary")
    assert p.health_errors[-1].error_code == "PropertyChangeNotAllowed"
    job = next(iter(env.asr.replication_jobs.list(
        RG, VAULT, filter="JobName eq 'UnplannedFailover' and TargetObjectName eq 'rl-coll-b'"))).properties
    assert job.state == "Failed" and job.errors[0].task_id == "PrepareProtectedEntitiesTask"
    assert compute.virtual_machines.get(LANDING, "rl-coll").as_dict() == vm  # not overwritten
    items(env).begin_update(RG, VAULT, env.f, env.c, "rl-coll-b",
                            {"properties": {"recoveryAzureVMName": "rl-coll-b"}}).result()
    assert begin(env, "unplanned_failover", "rl-coll-b", FO_INPUT).result().properties.active_location == "Recovery"
    for name in ("rl-coll-a", "rl-coll-b"):
        begin(env, "purge", name).result()


# -- classic retirement -------------------------------------------------------------------------------------------
def test_classic_enable_refused_unless_existing_classic_vault(env, settings, sim_dir):  # noqa: F811
    ep, vault = env.ep, "rsv-classic-new"
    _rm, rs = clients(ep, "public")
    rs.vaults.begin_create_or_update(RG, vault, {"location": "eastus", "sku": {"name": "Standard"}}).result()
    cs = settings.register_configuration_server(vault_credentials(rs, RG, vault)[0], "cs-new", "10.10.1.40",
                                                {"Administrator": "Administrator"})
    assert cs["existing_classic"] is False
    asr = asr_client(ep)
    policy = asr.replication_policies.begin_create(RG, vault, "p", {"properties": {
        "providerSpecificInput": V2A_POLICY}}).result()  # policies, mappings and registration keep working
    asr.replication_protection_container_mappings.begin_create(RG, vault, cs["fabric_name"], cs["container_name"],
                                                               "m", {"properties": {
                                                                   "targetProtectionContainerId": "Microsoft Azure",
                                                                   "policyId": policy.id}}).result()
    ip = host(settings, "rl-classic")
    asr.replication_protection_containers.begin_discover_protectable_item(
        RG, vault, cs["fabric_name"], cs["container_name"], {"properties": {
            "friendlyName": "rl-classic", "ipAddress": ip, "osType": "Windows"}}).result()
    pi = next(p for p in asr.replication_protectable_items.list_by_replication_protection_containers(
        RG, vault, cs["fabric_name"], cs["container_name"]) if p.properties.custom_details.ip_address == ip)
    body = {"properties": {"policyId": policy.id, "protectableItemId": pi.id, "providerSpecificDetails": {
        "instanceType": "InMageAzureV2", "processServerId": cs["process_server_id"], "runAsAccountId": "1",
        "masterTargetId": cs["master_target_id"], "targetAzureNetworkId": env.vnet, "targetAzureSubnetId": "snet-app",
        "targetAzureV2ResourceGroupId": env.landing, "logStorageAccountId": env.storage, "diskType": "Standard_LRS"}}}

    def create():
        return asr.replication_protected_items.begin_create(RG, vault, cs["fabric_name"], cs["container_name"],
                                                            "rl-classic", body)
    with pytest.raises(HttpResponseError) as exc:
        create()
    assert exc.value.status_code == 400 and exc.value.error.code == "ClassicExperienceRetired"
    assert "January 31, 2026" in exc.value.error.message and "replication appliance" in exc.value.error.message
    assert list(asr.replication_protected_items.list(RG, vault)) == []
    sub = ep["clouds"]["public"]["subscription_id"]
    cmd = [sys.executable, "-m", "azsim", "mark-classic-vault", "--state-dir", sim_dir, "--subscription", sub,
           "--resource-group", RG, "--vault", vault]
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=SIM_ROOT), check=False)
    assert out.returncode == 0 and json.loads(out.stdout)["existing_classic"] is True, out.stderr
    assert create().result().properties.protection_state == "Protected"
    settings.mark_classic_vault(sub, RG, vault, existing_classic=False)
    # already-replicating items keep every action (test failover, failover, commit, complete migration)
    asr.replication_protected_items.begin_update(RG, vault, cs["fabric_name"], cs["container_name"], "rl-classic",
                                                 {"properties": {"recoveryAzureVMName": "rl-classic-x"}}).result()
    tfo = dict(tfo_input(env))
    asr.replication_protected_items.begin_test_failover(RG, vault, cs["fabric_name"], cs["container_name"],
                                                        "rl-classic", tfo).result()
    asr.replication_protected_items.begin_test_failover_cleanup(RG, vault, cs["fabric_name"], cs["container_name"],
                                                                "rl-classic", {"properties": {}}).result()
    asr.replication_protected_items.begin_unplanned_failover(RG, vault, cs["fabric_name"], cs["container_name"],
                                                             "rl-classic", FO_INPUT).result()
    asr.replication_protected_items.begin_failover_commit(RG, vault, cs["fabric_name"], cs["container_name"],
                                                          "rl-classic").result()
    asr.replication_protected_items.begin_delete(RG, vault, cs["fabric_name"], cs["container_name"], "rl-classic",
                                                 {"properties": {"disableProtectionReason": "MigrationComplete"}}
                                                 ).result()
    with pytest.raises(HttpResponseError) as exc:  # the mark is gone: a new enable is refused again
        create()
    assert exc.value.error.code == "ClassicExperienceRetired"
    again = settings.register_configuration_server(vault_credentials(rs, RG, vault)[0], "cs-new", "10.10.1.40",
                                                   existing_classic=True)
    assert again["existing_classic"] is True
