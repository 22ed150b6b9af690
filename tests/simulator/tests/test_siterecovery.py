"""Site Recovery, classic physical-server path, through azure-mgmt-recoveryservicessiterecovery 2.0.0."""
import json
import os
import subprocess
import sys
import time
import types

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservicessiterecovery import models as m

from azsim.testing import AdminError, wait_until
from simhelpers import SIM_ROOT, asr_client, clients, lenient_bodies, management_cert, vault_credentials

RG, VAULT = "rg-asr-eastus", "rsv-move-eastus"
ACCOUNTS = {"Administrator": "Administrator", "root": "root", "Domain admin": "CONTOSO\\asradmin"}
V2A_POLICY = {"instanceType": "InMageAzureV2", "recoveryPointHistory": 1440, "recoveryPointThresholdInMinutes": 60,
              "appConsistentFrequencyInMinutes": 60, "crashConsistentFrequencyInMinutes": 5,
              "multiVmSyncStatus": "Enable"}


@pytest.fixture(scope="module")
def env(ep, admin):
    rm, rs = clients(ep, "public")
    rm.resource_groups.create_or_update(RG, {"location": "eastus"})
    rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"},
                                                 "identity": {"type": "SystemAssigned"}, "tags": {"wave": "1"},
                                                 "properties": {"publicNetworkAccess": "Enabled"}}).result()
    creds, pfx = vault_credentials(rs, RG, VAULT)
    # an existing classic vault: enabling classic replication is refused elsewhere since January 31, 2026
    cs = admin.register_configuration_server(creds, "cs-gov-01", "10.10.1.10", ACCOUNTS, existing_classic=True)
    asr = asr_client(ep)
    policy = asr.replication_policies.begin_create(
        RG, VAULT, "policy-v2a", {"properties": {"providerSpecificInput": V2A_POLICY}}).result()
    asr.replication_protection_container_mappings.begin_create(
        RG, VAULT, cs["fabric_name"], cs["container_name"], "map-v2a",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                        "providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}}
    ).result()
    sub = ep["clouds"]["public"]["subscription_id"]
    landing = f"/subscriptions/{sub}/resourceGroups/rg-landing-eastus"
    return types.SimpleNamespace(
        ep=ep, rs=rs, asr=asr, cs=cs, creds=creds, pfx=pfx, policy=policy, f=cs["fabric_name"],
        c=cs["container_name"], landing=landing, vnet=landing + "/providers/Microsoft.Network/virtualNetworks/"
        "vnet-landing-eastus", storage=landing + "/providers/Microsoft.Storage/storageAccounts/stmovecacheeastus")


def discover(env, name, ip, os_type):
    env.asr.replication_protection_containers.begin_discover_protectable_item(
        RG, VAULT, env.f, env.c, {"properties": {"friendlyName": name, "ipAddress": ip, "osType": os_type}}).result()
    return next(p for p in env.asr.replication_protectable_items.list_by_replication_protection_containers(
        RG, VAULT, env.f, env.c) if p.properties.custom_details.ip_address == ip)


def enable_input(env, pi, account="1", **over):
    psd = {"instanceType": "InMageAzureV2", "processServerId": env.cs["process_server_id"],
           "masterTargetId": env.cs["master_target_id"], "runAsAccountId": account,
           "targetAzureNetworkId": env.vnet, "targetAzureSubnetId": "snet-app",
           "targetAzureV2ResourceGroupId": env.landing, "logStorageAccountId": env.storage, "diskType": "Standard_LRS",
           "enableRdpOnTargetOption": "Never", "licenseType": "NoLicenseType"}
    psd.update(over)
    return {"properties": {"policyId": env.policy.id, "protectableItemId": pi.id,
                           "providerSpecificDetails": {k: v for k, v in psd.items() if v is not None}}}


def enable(env, name, pi, **over):
    return env.asr.replication_protected_items.begin_create(RG, VAULT, env.f, env.c, name,
                                                            enable_input(env, pi, **over))


def error_code(call):
    with pytest.raises(HttpResponseError) as exc:
        call()
    return exc.value.error.code, exc.value.error.message


# -- registration ------------------------------------------------------------------------------------------------
def test_registration_refusals_and_cli(env, admin, sim_dir, tmp_path):
    again = admin.register_configuration_server(env.creds, "cs-gov-01", "10.10.1.10", {"Backup": "CONTOSO\\bk"})
    assert again["fabric_name"] == env.cs["fabric_name"]  # idempotent: same fabric, accounts merged
    assert [a["account_id"] for a in again["run_as_accounts"]] == ["1", "2", "3", "4"]
    refusals = {
        "expired on": vault_credentials(env.rs, RG, VAULT, management_cert(expired=True))[0],
        "is not registered with vault": env.creds.replace(env.pfx, management_cert()[2]),
        "channel integrity key does not match": env.creds.replace("<ChannelIntegrityKey>",
                                                                  "<ChannelIntegrityKey>x"),
        "vault 'rsv-other' not found": env.creds.replace(f"<ResourceName>{VAULT}<", "<ResourceName>rsv-other<"),
        "root element must be RSVaultAsrCreds": env.creds.replace("RSVaultAsrCreds", "VaultCreds"),
    }
    for reason, text in refusals.items():
        with pytest.raises(AdminError) as exc:
            admin.register_configuration_server(text, "cs-bad", "10.10.1.11")
        assert exc.value.status == 400 and reason in json.loads(exc.value.body)["error"]["message"], reason
    good, bad_file = tmp_path / "good.VaultCredentials", tmp_path / "bad.VaultCredentials"
    good.write_text(env.creds)
    bad_file.write_text(refusals["channel integrity key does not match"])
    cmd = [sys.executable, "-m", "azsim", "register-cs", "--state-dir", sim_dir, "--name", "cs-gov-02",
           "--ip", "10.10.1.12", "--account", "Administrator=Administrator", "--process-server-ip", "10.10.1.13"]
    envv = dict(os.environ, PYTHONPATH=SIM_ROOT)
    ok = subprocess.run(cmd + ["--vault-credentials", str(good)], capture_output=True, text=True, env=envv, check=False)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert out["run_as_accounts"] == [{"account_id": "1", "account_name": "Administrator"}]
    refused = subprocess.run(cmd + ["--vault-credentials", str(bad_file)], capture_output=True, text=True, env=envv, check=False)
    assert refused.returncode == 1 and "channel integrity key does not match" in refused.stderr
    fabric = env.asr.replication_fabrics.get(RG, VAULT, out["fabric_name"])
    assert fabric.properties.custom_details.process_servers[0].ip_address == "10.10.1.13"


def test_fabric_provider_container_reads(env):
    fabrics = list(env.asr.replication_fabrics.list(RG, VAULT))  # page size 1: follows nextLink
    assert env.f in [f.name for f in fabrics] and len(fabrics) >= 2
    fabric = env.asr.replication_fabrics.get(RG, VAULT, env.f, filter="FabricType eq 'VMware'")
    cd = fabric.properties.custom_details
    assert isinstance(cd, m.VMwareDetails) and fabric.properties.friendly_name == "cs-gov-01"
    assert fabric.id.startswith("/Subscriptions/") and len(fabric.name) == 64
    assert cd.process_servers[0].id == env.cs["process_server_id"] and cd.process_servers[0].last_heartbeat
    assert cd.master_target_servers[0].id == env.cs["master_target_id"]
    assert {a.account_name: a.account_id for a in cd.run_as_accounts}["root"] == "2"
    providers = list(env.asr.replication_recovery_services_providers.list_by_replication_fabrics(RG, VAULT, env.f))
    assert providers[0].properties.connection_status == "Connected"
    refreshed = env.asr.replication_recovery_services_providers.begin_refresh_provider(
        RG, VAULT, env.f, providers[0].name).result()
    assert refreshed.name == providers[0].name and refreshed.properties.fabric_type == "VMware"
    container = env.asr.replication_protection_containers.get(RG, VAULT, env.f, env.c)
    assert container.properties.fabric_type == "VMware" and container.properties.pairing_status == "Paired"
    assert env.c in [c.name for c in env.asr.replication_protection_containers.list(RG, VAULT)]


# -- policies and mappings ---------------------------------------------------------------------------------------------
def test_policy_limits_update_delete(env, admin):
    asr = env.asr
    with lenient_bodies(admin):  # the handler's own messages (a missing multiVmSyncStatus is the strict check's)
        for bad, text in (({"recoveryPointHistory": 15 * 1440 + 1}, "recoveryPointHistory"),
                          ({"appConsistentFrequencyInMinutes": 30}, "must be 0 (off) or between 60 and 720"),
                          ({"appConsistentFrequencyInMinutes": 780}, "appConsistentFrequencyInMinutes"),
                          ({"crashConsistentFrequencyInMinutes": 1}, "crashConsistentFrequencyInMinutes"),
                          ({"multiVmSyncStatus": None}, "multiVmSyncStatus is required")):
            code, msg = error_code(lambda: asr.replication_policies.begin_create(
                RG, VAULT, "policy-bad", {"properties": {"providerSpecificInput": dict(V2A_POLICY, **bad)}}))
            assert code in ("InvalidPolicyInput", "InvalidParameter") and text in msg, (bad, msg)
    rcm = asr.replication_policies.begin_create(RG, VAULT, "policy-rcm", {"properties": {"providerSpecificInput": {
        "instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 4320, "crashConsistentFrequencyInMinutes": 5,
        "appConsistentFrequencyInMinutes": 0, "enableMultiVmSync": "True"}}}).result()
    assert isinstance(rcm.properties.provider_specific_details, m.InMageRcmPolicyDetails)
    failback = asr.replication_policies.begin_create(RG, VAULT, "policy-v2a-failback", {"properties": {
        "providerSpecificInput": {"instanceType": "InMage", "recoveryPointHistory": 1440,
                                  "recoveryPointThresholdInMinutes": 60, "appConsistentFrequencyInMinutes": 60,
                                  "multiVmSyncStatus": "Enable"}}}).result()
    assert isinstance(failback.properties.provider_specific_details, m.InMagePolicyDetails)
    fb_map = asr.replication_protection_container_mappings.begin_create(
        RG, VAULT, env.f, env.c, "map-failback", {"properties": {"targetProtectionContainerId": env.cs["container_id"],
                                                                 "policyId": failback.id}}).result()
    assert fb_map.properties.state == "Paired" and fb_map.properties.target_fabric_friendly_name == "cs-gov-01"
    code, msg = error_code(lambda: asr.replication_policies.begin_delete(RG, VAULT, "policy-v2a-failback"))
    assert code == "PolicyInUse" and "map-failback" in msg
    asr.replication_protection_container_mappings.begin_delete(RG, VAULT, env.f, env.c, "map-failback", {
        "properties": {"providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}
    }).result()
    asr.replication_policies.begin_delete(RG, VAULT, "policy-v2a-failback").result()
    updated = asr.replication_policies.begin_update(RG, VAULT, "policy-rcm", {"properties": {
        "replicationProviderSettings": {"instanceType": "InMageRcm", "appConsistentFrequencyInMinutes": 120}}}).result()
    assert updated.properties.provider_specific_details.app_consistent_frequency_in_minutes == 120
    assert updated.properties.provider_specific_details.recovery_point_history_in_minutes == 4320
    asr.replication_policies.begin_delete(RG, VAULT, "policy-rcm").result()
    assert {p.name for p in asr.replication_policies.list(RG, VAULT)} == {"policy-v2a"}
    mappings = list(asr.replication_protection_container_mappings.list(RG, VAULT))
    assert [x.name for x in mappings] == ["map-v2a"] and mappings[0].properties.target_protection_container_id == \
        "Microsoft Azure"
    jobs = {j.properties.scenario_name for j in asr.replication_jobs.list(RG, VAULT)}
    assert {"AddProtectionProfile", "UpdateProtectionProfile", "RemoveProtectionProfile", "PairCloud", "UnpairCloud",
            "RegisterDra"} <= jobs


# -- discovery, enable, protected, disable ---------------------------------------------------------------------------
def test_discover_validation_and_items(env):
    asr = env.asr
    for props, text in (({"friendlyName": "x", "ipAddress": "10.10.1.300", "osType": "Windows"}, "not a valid IPv4"),
                        ({"friendlyName": "x", "ipAddress": "10.10.1.9", "osType": "Solaris"}, "osType")):
        code, msg = error_code(lambda: asr.replication_protection_containers.begin_discover_protectable_item(
            RG, VAULT, env.f, env.c, {"properties": props}))
        assert code == "InvalidParameter" and text in msg
    items = [discover(env, n, ip, o) for n, ip, o in (("vm-app-win01", "10.10.1.4", "Windows"),
                                                      ("vm-app-win02", "10.10.1.5", "Windows"),
                                                      ("vm-app-lnx01", "10.10.2.4", "Linux"))]
    again = discover(env, "vm-app-win01", "10.10.1.4", "Windows")
    assert again.name == items[0].name  # rediscovering an IP is idempotent
    cd = items[2].properties.custom_details
    assert isinstance(cd, m.VMwareVirtualMachineDetails) and cd.discovery_type == "PhysicalMachine"
    assert cd.os_type == "LINUX" and items[2].properties.protection_status == "Unprotected"
    assert "InMageAzureV2" in items[0].properties.supported_replication_providers


def test_enable_to_protected_points_jobs_disable(env):
    asr = env.asr
    pi = discover(env, "vm-app-win01", "10.10.1.4", "Windows")
    item = enable(env, "vm-app-win01", pi, targetAzureVmName="vm-app-win01").result()
    p = item.properties
    assert p.protection_state == "Protected" and p.replication_health == "Normal"
    assert p.current_scenario.scenario_name == "None" and p.current_scenario.job_id.endswith("/replicationJobs/None")
    assert set(p.allowed_operations) == {"UnplannedFailover", "DisableProtection", "TestFailover"}
    psd = p.provider_specific_details
    assert isinstance(psd, m.InMageAzureV2ReplicationDetails)
    assert psd.protection_stage == "DifferentialSync" and psd.rpo_in_seconds > 0 and psd.last_heartbeat
    assert [d.disk_capacity_in_bytes // 1024 ** 3 for d in psd.protected_disks] == [127, 256]
    assert psd.recovery_azure_vm_size == "Standard_D4s_v3" and psd.selected_recovery_azure_network_id == env.vnet
    pi_after = asr.replication_protectable_items.get(RG, VAULT, env.f, env.c, pi.name)
    assert pi_after.properties.protection_status == "Protected"
    assert pi_after.properties.replication_protected_item_id.lower() == item.id.lower()
    points = list(asr.recovery_points.list_by_replication_protected_items(RG, VAULT, env.f, env.c, item.name))
    assert sorted(x.properties.recovery_point_type for x in points) == ["AppConsistent", "CrashConsistent"]
    assert isinstance(points[0].properties.provider_specific_details, m.InMageAzureV2RecoveryPointDetails)
    assert asr.recovery_points.get(RG, VAULT, env.f, env.c, item.name, points[0].name).id == points[0].id
    flt = "JobStatus eq 'Succeeded' and AffectedObjectTypes eq 'ProtectionEntity'"
    jobs = list(asr.replication_jobs.list(RG, VAULT, filter=flt))
    enable_job = next(j for j in jobs if j.properties.scenario_name == "EnableDr")
    job = asr.replication_jobs.get(RG, VAULT, enable_job.name)
    assert job.properties.state == "Succeeded" and job.properties.friendly_name == "Enable replication"
    assert [t.name for t in job.properties.tasks] == [
        "EnableProtectionPrerequisitesCheck", "CreateProtectionTarget", "EnableProtection",
        "VmStartInitialReplication", "UpdateDraState"]
    assert all(t.state == "Succeeded" for t in job.properties.tasks)
    assert isinstance(job.properties.custom_details, m.AsrJobDetails)
    updated = asr.replication_protected_items.begin_update(RG, VAULT, env.f, env.c, item.name, {"properties": {
        "recoveryAzureVMSize": "Standard_D2s_v3", "selectedTfoAzureNetworkId":
            env.vnet.replace("vnet-landing-eastus", "vnet-test-eastus"), "licenseType": "WindowsServer"}}).result()
    upsd = updated.properties.provider_specific_details
    assert upsd.recovery_azure_vm_size == "Standard_D2s_v3" and upsd.license_type == "WindowsServer"
    assert upsd.selected_tfo_azure_network_id.endswith("vnet-test-eastus")
    code, _unused = error_code(lambda: asr.replication_protected_items.begin_delete(
        RG, VAULT, env.f, env.c, item.name, {"properties": {"disableProtectionReason": "Finished"}}))
    assert code == "InvalidParameter"
    asr.replication_protected_items.begin_delete(RG, VAULT, env.f, env.c, item.name, {"properties": {
        "disableProtectionReason": "MigrationComplete",
        "replicationProviderInput": {"instanceType": "InMage"}}}).result()
    assert item.name not in [i.name for i in asr.replication_protected_items.list(RG, VAULT)]
    assert asr.replication_protectable_items.get(RG, VAULT, env.f, env.c, pi.name).properties.protection_status == \
        "Unprotected"
    disable_job = next(iter(asr.replication_jobs.list(RG, VAULT, filter="JobName eq 'DisableDr'")))
    assert disable_job.properties.target_object_name == "vm-app-win01"


def test_enable_validation_creates_nothing(env, admin):
    pi = discover(env, "vm-app-win02", "10.10.1.5", "Windows")
    asr = env.asr
    bad_rg = env.landing.replace("rg-landing-eastus", "rg-nowhere")
    cases = [({"runAsAccountId": "9"}, "RunAsAccountNotFound"),
             ({"processServerId": "00000000-0000-0000-0000000000000000"}, "ProcessServerNotFound"),
             ({"targetAzureNetworkId": env.vnet + "-missing"}, "TargetNetworkNotFound"),
             ({"targetAzureSubnetId": "snet-missing"}, "TargetSubnetNotFound"),
             ({"targetAzureV2ResourceGroupId": bad_rg}, "TargetResourceGroupNotFound"),
             ({"logStorageAccountId": env.storage + "x"}, "StorageAccountNotFound"),
             ({"targetAzureVmName": "a-name-of-sixty-four-characters-" + "x" * 32}, "InvalidParameter"),
             ({"targetAzureVmName": "under_score"}, "InvalidParameter"),
             ({"targetAzureVmName": "bad name"}, "InvalidParameter"),
             ({"licenseType": "Free"}, "InvalidParameter")]
    for over, want in cases:
        assert error_code(lambda: enable(env, "vm-app-win02", pi, **over))[0] == want, over
    other = dict(enable_input(env, pi))
    other["properties"] = dict(other["properties"], policyId=env.policy.id.replace("policy-v2a", "policy-none"))
    assert error_code(lambda: asr.replication_protected_items.begin_create(
        RG, VAULT, env.f, env.c, "vm-app-win02", other))[0] == "InvalidParameter"
    assert "vm-app-win02" not in [i.name for i in asr.replication_protected_items.list(RG, VAULT)]
    from rawhttp import call
    arm = env.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    tok = admin.mint_token("public")
    st, _unused, sa = call(env.ep, "GET", f"{arm}{env.storage}?api-version=2023-05-01", token=tok)
    assert st == 200 and sa["kind"] == "StorageV2" and sa["sku"]["name"] == "Standard_LRS"
    assert asr.replication_protectable_items.get(RG, VAULT, env.f, env.c, pi.name).properties.protection_status == \
        "Unprotected"


@pytest.mark.parametrize("ip,os_type,account,facts,code", [
    ("10.10.9.21", "Linux", "1", {}, 95525),                                      # Linux, not root
    ("10.10.9.22", "Linux", "2", {"sshd_password_authentication": False}, 95108),  # sshd without password auth
    ("10.10.9.23", "Windows", "1", {"local_account_token_filter_policy": 0}, 95107),  # local account, UAC filter
    ("10.10.9.24", "Windows", "3", {"domain_joined": False}, 95518),               # domain account, not joined
    ("10.10.9.25", "Windows", "1", {"reachable": False}, 95117),                   # unreachable
])
def test_push_install_failures(env, admin, ip, os_type, account, facts, code):
    admin.set_host(ip, **facts)
    name = f"host-{ip.rsplit('.', 1)[-1]}"
    pi = discover(env, name, ip, os_type)
    with pytest.raises(HttpResponseError) as exc:
        enable(env, name, pi, account=account).result()
    assert str(code) in str(exc.value)
    asr = env.asr
    item = asr.replication_protected_items.get(RG, VAULT, env.f, env.c, name)
    p = item.properties
    assert p.protection_state == "EnablingFailed" and p.replication_health == "Critical"
    assert p.allowed_operations == ["DisableProtection"]
    err = p.health_errors[0]
    assert err.error_code == str(code) and err.possible_causes and err.recommended_action and err.creation_time_utc
    job = asr.replication_jobs.get(RG, VAULT, p.current_scenario.job_id.rsplit("/", 1)[-1])
    assert job.properties.state == "Failed"
    assert [t.state for t in job.properties.tasks] == ["Succeeded", "Failed", "NotStarted", "NotStarted", "NotStarted"]
    prov = job.properties.errors[0].provider_error_details
    assert prov.error_code == code and prov.error_message and job.properties.errors[0].task_id == \
        "CreateProtectionTargetTask"
    asr.replication_protected_items.begin_purge(RG, VAULT, env.f, env.c, name).result()
    assert name not in [i.name for i in asr.replication_protected_items.list(RG, VAULT)]


def test_progress_with_time_factor(env, admin):
    """Factor 0.005: the EnableDr job takes 0.3 s, initial replication of the 30 GB Linux VM ~2 s."""
    asr = env.asr
    pi = discover(env, "vm-app-lnx01", "10.10.2.4", "Linux")
    admin.set_time_factor(0.005)
    poller = enable(env, "vm-app-lnx01", pi, account="2", targetAzureSubnetId="snet-linux")
    first = asr.replication_protected_items.get(RG, VAULT, env.f, env.c, "vm-app-lnx01").properties
    assert first.protection_state == "EnablingProtection" and first.current_scenario.scenario_name == \
        "EnableProtection"
    assert poller.result().properties.current_scenario.scenario_name == "None"
    seen = []

    def protected():
        p = asr.replication_protected_items.get(RG, VAULT, env.f, env.c, "vm-app-lnx01").properties
        seen.append((p.protection_state, p.provider_specific_details.resync_progress_percentage))
        return p.protection_state == "Protected"
    assert wait_until(protected, timeout=15, interval=0.2)
    progress = [pct for state, pct in seen if state == "InitialReplicationInProgress"]
    assert progress and progress == sorted(progress) and 0 <= progress[0] < 100
    n = len(list(asr.recovery_points.list_by_replication_protected_items(RG, VAULT, env.f, env.c, "vm-app-lnx01")))
    time.sleep(1.6)  # crash-consistent every 5 min x 0.005 = 1.5 s
    assert len(list(asr.recovery_points.list_by_replication_protected_items(
        RG, VAULT, env.f, env.c, "vm-app-lnx01"))) > n


def test_vault_wide_item_list_pages(env, admin):
    for i in (31, 32):
        admin.set_host(f"10.10.9.{i}", agent_installed=True)
        pi = discover(env, f"page-{i}", f"10.10.9.{i}", "Windows")
        enable(env, f"page-{i}", pi).result()
    since = admin.requests()[-1]["id"]
    names = [i.name for i in env.asr.replication_protected_items.list(RG, VAULT)]
    assert {"page-31", "page-32"} <= set(names)
    rows = admin.requests(since=since, path_contains="/replicationProtectedItems")
    assert len(rows) == len(names) >= 2  # one page per item (page size 1)


def test_lro_wire_shapes_and_lro_fail(env, admin):
    """Raw 202 / replicationOperationStatus / operationresults answers while a job runs, then after; lro_fail."""
    from rawhttp import call
    tok = admin.mint_token("public")
    arm = env.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    url = f"{arm}{env.cs['vault_id']}/replicationPolicies/policy-wire?api-version=2025-08-01"
    admin.set_time_factor(0.02)  # the policy job: 45 s x 0.02 = 0.9 s
    st, headers, body = call(env.ep, "PUT", url, token=tok, body={"properties": {"providerSpecificInput": V2A_POLICY}})
    h = {k.lower(): v for k, v in headers.items()}
    assert st == 202 and body is None and "x-ms-retry-after-ms" in h
    assert "/replicationOperationStatus/" in h["azure-asyncoperation"] and \
        "/replicationPolicies/policy-wire/operationresults/" in h["location"]
    st, sh, status = call(env.ep, "GET", h["azure-asyncoperation"], token=tok)
    assert st == 200 and status["status"] == "InProgress" and float(sh["Retry-After"]) < 1
    assert call(env.ep, "GET", h["location"], token=tok)[0] == 202
    assert call(env.ep, "GET", url, token=tok)[0] == 404  # the policy appears when its job completes
    assert wait_until(lambda: call(env.ep, "GET", h["azure-asyncoperation"], token=tok)[2]["status"] == "Succeeded",
                      timeout=10)
    st, _unused, policy = call(env.ep, "GET", h["location"], token=tok)
    assert st == 200 and policy["name"] == "policy-wire"
    job = env.asr.replication_jobs.get(RG, VAULT, status["name"])
    assert job.properties.state == "Succeeded" and job.properties.end_time
    admin.set_time_factor(0)
    admin.add_fault(kind="lro_fail", count=1, path_regex="replicationPolicies/policy-doomed",
                    code="InternalError", message="The policy could not be created.")
    with pytest.raises(HttpResponseError) as exc:
        env.asr.replication_policies.begin_create(RG, VAULT, "policy-doomed",
                                                  {"properties": {"providerSpecificInput": V2A_POLICY}}).result()
    assert "InternalError" in str(exc.value)
    assert "policy-doomed" not in [p.name for p in env.asr.replication_policies.list(RG, VAULT)]
    failed = next(iter(env.asr.replication_jobs.list(RG, VAULT, filter="JobStatus eq 'Failed' and "
                                                                       "TargetObjectName eq 'policy-doomed'")))
    assert failed.properties.errors[0].service_error_details.code == "InternalError"
    env.asr.replication_policies.begin_delete(RG, VAULT, "policy-wire").result()


def test_job_survives_restart(tmp_path):
    """A policy job in flight across a simulator restart: the SDK poller still finishes, the job reads Succeeded."""
    import threading
    from azsim.testing import start, stop
    state = str(tmp_path / "asr-restart")
    ep = start(state, time_factor=0.03)  # policy job: 45 s x 0.03 = 1.35 s
    try:
        rm, rs = clients(ep, "public")
        rm.resource_groups.create_or_update("rg-r", {"location": "eastus"})
        rs.vaults.begin_create_or_update("rg-r", "rsv-r", {"location": "eastus", "sku": {"name": "Standard"}}).result()
        asr = asr_client(ep)
        poller = asr.replication_policies.begin_create("rg-r", "rsv-r", "p1", {"properties": {
            "providerSpecificInput": V2A_POLICY}})
        result = {}
        th = threading.Thread(target=lambda: result.setdefault("policy", poller.result()))
        th.start()
        time.sleep(0.3)
        stop(state)
        start(state, time_factor=None)
        th.join(30)
        assert result["policy"].name == "p1"
        job = next(iter(asr.replication_jobs.list("rg-r", "rsv-r")))
        assert job.properties.state == "Succeeded" and job.properties.scenario_name == "AddProtectionProfile"
    finally:
        stop(state)
