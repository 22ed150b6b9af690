"""Bad input, in one table: every case is refused before anything changes, with a message that names the problem.

All cases run in one ansible-playbook run (playbooks/bad_input.yml), one after the other; a marker request before
each case splits the simulator's request log, so each case is checked on its own: it failed, its message holds the
words that name the problem, and it sent no write (PUT, PATCH, POST, DELETE) to either cloud's ARM. Cases marked
`local` are bad input the collection can see without asking Azure: they must not make a single ARM request
(reading the cloud's metadata and getting a token are fine).

Existing tests that check some of these refusals too (kept there with their own set-up):
test_replication.py::test_bad_input_is_refused_before_anything_changes (IP, OS, retention),
test_source_decommission.py (no confirmation, not committed), test_move_prerequisites.py (machine without size),
test_target_network.py::test_refusals_write_nothing (test network = production network), the role tests of
configuration_server, replication_appliance and mobility_account (argument validation).
"""

import datetime
import json
import subprocess

import pytest

from conftest import HERE, Runner, assert_ok
from test_replication import WRITE_METHODS, last_request_id

VAULT = "rsv-bad-input"
# The configuration_server role's variables, good ones (its tasks need a Windows host: the case stops before them).
CONFIGURATION_SERVER = {
    "configuration_server_vault_name": VAULT, "configuration_server_vault_resource_group": "rg-landing-eastus",
    "configuration_server_mysql_root_password": "R00t-Pw-bad-input",  # pragma: allowlist secret
    "configuration_server_mysql_user_password": "Us3r-Pw-bad-input",  # pragma: allowlist secret
    "configuration_server_passphrase": "Passphrase-bad-input",  # pragma: allowlist secret
    "configuration_server_cs_ip": "10.10.1.10",
    "configuration_server_ps_ip": "10.10.1.11", "configuration_server_controller": "localhost",
    "configuration_server_install_location": "E:\\Program Files\\Microsoft Azure Site Recovery",
    "configuration_server_setup_url": "https://example.invalid/MicrosoftAzureSiteRecoveryUnifiedSetup.exe",
}
MARKER = "/bad-input-case/"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"


def target_connection(endpoints, **changes):
    """The working connection to the target cloud, with some settings changed (None removes one)."""
    cloud = endpoints["clouds"]["public"]
    conn = {"name": "target", "cloud": cloud["metadata_url"], "ca_bundle": endpoints["ca_bundle"], "auth_source": "client_secret",
            "tenant_id": cloud["tenant_id"], "client_id": cloud["client_id"], "client_secret": cloud["client_secret"],
            "subscription_id": cloud["subscription_id"]}
    conn.update(changes)
    return [{k: v for k, v in conn.items() if v is not None}]


def cases(endpoints, expired_key="/nonexistent.VaultCredentials"):
    """(case for the playbook, words the message must hold, local); expired_key: the path of a registration key
    (.VaultCredentials file) whose certificate has expired."""
    vault = {"vault": VAULT}
    # A vault that must never be made: in a resource group that does not exist, so a case that wrongly sends its PUT
    # leaves nothing behind for the other tests (the PUT is still in the log, and the case fails).
    new_vault = {"name": "rsv-bad-input-never", "location": "eastus", "resource_group": "rg-bad-input-missing"}
    machine = dict(vault, name="vm-bad", ip_address="10.10.1.40", os_type="Windows")
    enable = dict(vault, name="vm-app-win01", policy="gov-ok", run_as_account="winadmin", target_resource_group="rg-landing-eastus",
                  target_network="vnet-landing-eastus", target_subnet="snet-app", log_storage_account="stmovecacheeastus", wait=False)
    gov_sub = endpoints["clouds"]["gov"]["subscription_id"]
    pub_sub = endpoints["clouds"]["public"]["subscription_id"]
    disk_id = "/subscriptions/%s/resourceGroups/rg-app-gov/providers/Microsoft.Compute/disks/vm-app-win01-osdisk" % gov_sub
    m = "module"
    table = [
        # Connections and credentials.
        ("cloud_unknown_name", m, "recovery_vault", dict(new_vault, connections=target_connection(endpoints, cloud="AzureGermanCloud")),
         "Unknown cloud 'AzureGermanCloud'", True),
        ("cloud_plain_http", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, cloud=endpoints["clouds"]["public"]["metadata_url"].replace("https:", "http:"))),
         "must use https", True),
        ("use_connection_unknown", m, "recovery_vault", dict(new_vault, use_connection="tagret"),
         "use_connection is 'tagret' but connections defines 'source', 'target'", True),
        ("auth_source_unknown", m, "recovery_vault", dict(new_vault, auth_source="password"),
         "value of auth_source must be one of", True),
        ("credentials_missing_secret", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, client_secret=None)),
         "auth_source client_secret needs client_secret", True),
        ("credentials_missing_subscription", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, subscription_id=None)),
         "has no subscription id", True),
        ("credentials_wrong_secret", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, client_secret="not-the-secret")),  # pragma: allowlist secret
         "AADSTS7000215", True),
        ("credentials_unknown_profile", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, auth_source=None, client_secret=None, profile="prod",
                                                       credentials_file=str(HERE / "bad_input" / "credentials.ini"))),
         "has no profile [prod] (it has: dev)", True),
        # Issue 18: connections checked before any request; a subscription or resource group that is not there is an
        # error, never an absent vault (a PUT followed once).
        ("connections_same_name_twice", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints) + target_connection(endpoints)),
         "connections defines 'target' more than once", True),
        ("connections_several_without_use_connection", m, "recovery_vault", dict(new_vault, use_connection=""),
         ("connections defines 'source', 'target'", "set use_connection"), True),
        ("ca_bundle_not_pem", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, ca_bundle=str(HERE / "bad_input" / "credentials.ini"))),
         ("ca_bundle", "credentials.ini", "is not a PEM file"), True),
        ("subscription_not_a_guid", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, subscription_id="sub-prod-target")),
         "'sub-prod-target' is not a subscription id", True),
        ("subscription_unknown", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, subscription_id="12345678-1234-1234-1234-123456789012")),
         "SubscriptionNotFound", False),
        ("vault_resource_group_missing", m, "recovery_vault", new_vault,
         ("ResourceGroupNotFound", "rg-bad-input-missing"), False),
        ("credentials_certificate_missing", m, "recovery_vault",
         dict(new_vault, connections=target_connection(endpoints, auth_source="certificate", client_secret=None,
                                                       certificate_path="/nonexistent/azmove-client.pem")),
         ("certificate_path", "/nonexistent/azmove-client.pem"), True),
        # Regions.
        ("vault_in_source_region", m, "recovery_vault", dict(new_vault, location="usgovvirginia", source_region="usgovvirginia"),
         "usgovvirginia", True),
        ("vault_location_not_offered", m, "recovery_vault", dict(new_vault, location="eastus3"),
         ("location 'eastus3' is not a region of cloud", "eastus2"), False),
        ("vault_source_region_not_offered", m, "recovery_vault", dict(new_vault, source_region="usgovvirginia3"),
         ("source_region 'usgovvirginia3' is not a region of cloud", "connection 'source'"), False),
        ("vault_name_invalid", m, "recovery_vault", dict(new_vault, name="rsv bad!"),
         "rsv bad!", True),
        ("vault_wait_timeout_negative", m, "recovery_vault", dict(new_vault, wait_timeout=-1),
         "wait_timeout must be 0 or more seconds", True),
        # Machines: IP addresses, OS, names, provider settings.
        ("ip_octet_over_255", m, "physical_machine", dict(machine, ip_address="10.10.1.400"),
         "ip_address '10.10.1.400' is not a valid IPv4 or IPv6 address", True),
        ("ip_is_a_host_name", m, "physical_machine", dict(machine, ip_address="vm-bad.contoso.local"),
         "ip_address 'vm-bad.contoso.local' is not a valid IPv4 or IPv6 address", True),
        ("os_unknown", m, "physical_machine", dict(machine, os_type="Solaris"),
         "value of os_type must be one of: Windows, Linux, got: Solaris", True),
        ("machine_classic_with_appliance", m, "physical_machine", dict(machine, provider="classic", configuration_server="cs-gov-01",
                                                                       appliance="asr-appliance-01"),
         ("appliance", "provider"), True),
        ("host_os_unknown", m, "source_host_preparation",
         {"use_connection": "source", "name": "vm-app-win01", "resource_group": "rg-app-gov", "os_type": "solaris",
          "account": "azmove-push", "password": "Bad-Input-0-Secret"},  # pragma: allowlist secret
         "value of os_type must be one of: windows, linux, got: solaris", True),
        ("host_vm_id_of_a_disk", m, "source_host_preparation",
         {"use_connection": "source", "resource_group": None, "vm_id": disk_id, "account": "azmove-push",
          "password": "Bad-Input-0-Secret"},  # pragma: allowlist secret
         "is not the resource id of a virtual machine", True),
        # Replication policy.
        ("retention_over_limit_modernized", m, "replication_policy", dict(vault, name="gov-long", retention_hours=400),
         "at most 15 days (360 hours)", True),
        ("retention_over_limit_classic_premium", m, "replication_policy",
         dict(vault, name="gov-premium", provider="classic", target_storage="premium", retention_hours=48),
         "at most 24 hours on premium storage", True),
        ("policy_name_invalid", m, "replication_policy", dict(vault, name="gov policy!"),
         "Policy name 'gov policy!' is not valid", True),
        ("policy_modernized_with_configuration_servers", m, "replication_policy",
         dict(vault, name="gov-ok", configuration_servers=["cs-gov-01"]),
         "configuration_servers is a setting of the classic provider", True),
        ("policy_classic_with_appliances", m, "replication_policy",
         dict(vault, name="gov-ok", provider="classic", appliances=["asr-appliance-01"]),
         "appliances is a setting of the modernized provider", True),
        # Enabling replication.
        ("test_network_is_production", m, "replicated_machine", dict(enable, test_network="vnet-landing-eastus", appliance="asr-x"),
         "test_network is the production target network (vnet-landing-eastus)", True),
        ("enable_modernized_with_configuration_server", m, "replicated_machine", dict(enable, configuration_server="cs-gov-01"),
         "configuration_server is a setting only for the classic provider", True),
        ("enable_classic_with_test_network", m, "replicated_machine",
         dict(enable, provider="classic", configuration_server="cs-gov-01", test_network="vnet-test-eastus"),
         "test_network is a setting only for the modernized provider", True),
        ("enable_malformed_network_id", m, "replicated_machine",
         dict(enable, appliance="asr-x", target_network=SUB + "/virtualNetworks/vnet-landing-eastus"),
         ("target_network", "resource id"), True),
        ("enable_disk_type_unknown", m, "replicated_machine", dict(enable, appliance="asr-x", disk_type="UltraSSD_LRS"),
         "value of disk_type must be one of", True),
        ("enable_zone_out_of_range", m, "replicated_machine", dict(enable, appliance="asr-x", availability_zone="4"),
         "availability_zone '4' is not an Azure availability zone", True),
        # Test failover, failover, waiting.
        ("test_failover_malformed_network_id", m, "test_failover",
         dict(vault, name="vm-app-win01", network=SUB + "/resourceGroups/rg-landing-eastus/virtualNetworks"),
         ("network", "resource id"), True),
        ("failover_state_unknown", m, "failover", dict(vault, name="vm-app-win01", state="migrated"),
         "value of state must be one of: failed_over, committed, got: migrated", True),
        ("wait_for_no_machines", m, "replication_wait", dict(vault, machines=[]),
         "machines is empty", True),
        ("wait_for_a_blank_name", m, "replication_wait", dict(vault, machines=["vm-app-win01", " "]),
         "machines has 1 blank name (entry 2)", True),
        ("wait_until_unknown", m, "replication_wait", dict(vault, machines=["vm-app-win01"], until="deleted"),
         "value of until must be one of", True),
        ("job_wait_without_name", m, "replication_job_info", dict(vault, wait=True),
         "wait needs the name of the job to follow", True),
        # Decommissioning the source.
        ("decommission_without_confirm", m, "source_decommission",
         dict(vault, name="vm-app-win02", source_resource_group="rg-app-gov"),
         "set confirm to true", True),
        ("decommission_before_the_move", m, "source_decommission",
         dict(vault, name="vm-app-win02", source_resource_group="rg-app-gov", confirm=True),
         "nothing shows that it moved", False),
        ("decommission_vm_id_of_a_disk", m, "source_decommission", dict(vault, vm_id=disk_id, confirm=True),
         "is not the resource id of a virtual machine", True),
        ("decommission_vm_of_another_subscription", m, "source_decommission",
         dict(vault, vm_id=disk_id.replace(gov_sub, pub_sub).replace("disks/vm-app-win01-osdisk", "virtualMachines/vm-app-win02"),
              confirm=True),
         ("is in subscription %s" % pub_sub, "source connection 'source' is subscription %s" % gov_sub), True),
        ("decommission_unknown_kind", m, "source_decommission",
         dict(vault, name="vm-app-win02", source_resource_group="rg-app-gov", confirm=True, delete=["vms"]),
         "value of delete must be one or more of", True),
        # Networks.
        ("network_same_region", m, "target_network",
         {"source": {"connection": "source", "vms": ["vm-app-win01"]}, "resource_group": "rg-landing-eastus", "location": "usgovvirginia"},
         "must be another region than the source", False),
        ("network_test_prefix_invalid", m, "target_network",
         {"source": {"connection": "source", "vms": ["vm-app-win01"]}, "resource_group": "rg-landing-eastus", "location": "eastus",
          "test_network": {"source_virtual_network": "vnet-app-gov", "address_prefixes": ["10.300.0.0/16"]}},
         "test_network.address_prefixes", False),
        ("network_nothing_to_copy", m, "target_network",
         {"source": {"connection": "source"}, "resource_group": "rg-landing-eastus", "location": "eastus"},
         "source needs at least one of virtual_networks, vms and resources", True),
        # Keys, reports, backups, checks.
        ("key_renew_before_over_validity", m, "vault_registration_key", dict(vault, path="/tmp/azmove-bad-input.VaultCredentials",
                                                                             renew_before=500),
         "renew_before is 500", True),
        ("key_directory_missing", m, "vault_registration_key", dict(vault, path="/nonexistent/dir/rsv.VaultCredentials"),
         "The directory of path /nonexistent/dir/rsv.VaultCredentials does not exist", True),
        ("report_name_with_directory", m, "wave_report", dict(vault, dest="/tmp", name="../escape"),
         "name must be a plain file name without a directory", True),
        ("backup_delete_without_confirm", m, "backup_relocation",
         dict(vault, source_vault="rsv-backup-gov", source_vault_resource_group="rg-app-gov", source_vm="vm-app-win01",
              source_vm_resource_group="rg-app-gov", target_vm_resource_group="rg-landing-eastus", old_data="delete"),
         "set confirm_delete_old_data=true", True),
        ("backup_same_vault", m, "backup_relocation",
         dict(vault, source_connection="target", source_vault=VAULT, source_vault_resource_group="rg-landing-eastus",
              source_vm="vm-app-win01", source_vm_resource_group="rg-app-gov", target_vm_resource_group="rg-landing-eastus"),
         "source_vault and vault are the same vault", True),
        ("settings_same_vault", m, "vault_settings",
         {"source_vault": {"name": VAULT, "resource_group": "rg-landing-eastus", "use_connection": "target"},
          "target_vault": {"name": VAULT.upper(), "resource_group": "RG-landing-eastus"}, "resource_group": None},
         "source_vault and target_vault are the same vault", True),
        # Option ranges (one table in _module, for every module).
        ("policy_poll_interval_zero", m, "replication_policy", dict(vault, name="gov-ok", poll_interval=0),
         "poll_interval must be more than 0 seconds, not 0", True),
        ("job_wait_timeout_negative", m, "replication_job_info", dict(vault, name="job-x", wait=True, wait_timeout=-5),
         "wait_timeout must be 0 or more seconds, not -5", True),
        ("prerequisites_vcpus_zero", m, "move_prerequisites",
         {"target_location": "eastus", "machines": [{"name": "vm-a", "size": "Standard_D2s_v3", "vcpus": 0}]},
         "machines[0].vcpus must be at least 1, not 0", True),
        ("prerequisites_machine_without_size", m, "move_prerequisites",
         {"target_location": "eastus", "machines": [{"name": "vm-nosize"}]},
         "these have neither: vm-nosize", True),
        ("prerequisites_subnet_not_in_network", m, "move_prerequisites",
         {"target_location": "eastus", "checks": ["target_network"], "target_network": "vnet-landing-eastus", "target_subnet": "snet-nope",
          "machines": [{"name": "vm-a", "size": "Standard_D2s_v3"}]},
         "has no subnet snet-nope", False),
        ("prerequisites_unknown_check", m, "move_prerequisites",
         {"target_location": "eastus", "checks": ["dns"], "machines": [{"name": "vm-a", "size": "Standard_D2s_v3"}]},
         "value of checks must be one or more of", True),
    ]
    # Roles: their meta/argument_specs.yml refuses these before the first task.
    replicate = {"replicate_vault": VAULT, "replicate_vault_resource_group": "rg-landing-eastus", "replicate_policy": "gov-ok",
                 "replicate_run_as_account": "winadmin", "replicate_target_resource_group": "rg-landing-eastus",
                 "replicate_target_network": "vnet-landing-eastus", "replicate_cache_storage_account": "stmovecacheeastus",
                 "replicate_ip_address": "10.10.1.4", "replicate_os_type": "Windows", "replicate_machine_name": "vm-app-win01"}
    vault_role = {"vault_name": VAULT, "vault_resource_group": "rg-landing-eastus", "vault_location": "eastus",
                  "vault_source_location": "usgovvirginia", "vault_source_server": "asr-x", "vault_policy_name": "gov-ok"}
    cutover = {"cutover_vault": VAULT, "cutover_vault_resource_group": "rg-landing-eastus", "cutover_machine_name": "vm-app-win01"}
    test = {"test_failover_vault": VAULT, "test_failover_vault_resource_group": "rg-landing-eastus",
            "test_failover_network": "vnet-test-eastus", "test_failover_machine_name": "vm-app-win01"}
    r = "role"
    table += [
        ("role_configuration_server_expired_vault_credentials", r, "configuration_server",
         dict(CONFIGURATION_SERVER, configuration_server_vault_credentials_file=expired_key),
         ("expired", "vault_registration_key"), True),
        ("role_replicate_unknown_provider", r, "replicate", dict(replicate, replicate_provider="azure_to_azure"),
         "value of replicate_provider must be one of: modernized, classic, got: azure_to_azure", True),
        ("role_replicate_timeout_not_a_number", r, "replicate", dict(replicate, replicate_timeout="one day"),
         "argument 'replicate_timeout' is of type str and we were unable to convert", True),
        ("role_replicate_wait_until_unknown", r, "replicate", dict(replicate, replicate_wait_until="committed"),
         "value of replicate_wait_until must be one of: enabled, protected, got: committed", True),
        ("role_replicate_poll_interval_not_a_number", r, "replicate", dict(replicate, replicate_poll_interval="often"),
         "argument 'replicate_poll_interval' is of type str and we were unable to convert", True),
        ("role_replicate_missing_vault", r, "replicate", {k: v for k, v in replicate.items() if k != "replicate_vault"},
         "missing required arguments: replicate_vault", True),
        ("role_vault_in_source_region", r, "vault", dict(vault_role, vault_location="usgovvirginia"),
         "usgovvirginia", True),
        ("role_vault_retention_not_a_number", r, "vault", dict(vault_role, vault_retention_hours="a week"),
         "argument 'vault_retention_hours' is of type str and we were unable to convert", True),
        ("role_vault_unknown_redundancy", r, "vault", dict(vault_role, vault_storage_redundancy="Triple"),
         "value of vault_storage_redundancy must be one of", True),
        ("role_cutover_unknown_provider", r, "cutover", dict(cutover, cutover_provider="vmware"),
         "value of cutover_provider must be one of: modernized, classic, got: vmware", True),
        ("role_cutover_commit_not_a_bool", r, "cutover", dict(cutover, cutover_commit="perhaps"),
         "argument 'cutover_commit' is of type str and we were unable to convert", True),
        ("role_test_failover_missing_network", r, "test_failover",
         {k: v for k, v in test.items() if k != "test_failover_network"},
         "missing required arguments: test_failover_network", True),
        ("role_decommission_unknown_kind", r, "decommission",
         {"decommission_vault": VAULT, "decommission_vault_resource_group": "rg-landing-eastus", "decommission_confirm": True,
          "decommission_name": "vm-app-win02", "decommission_resource_group": "rg-app-gov", "decommission_delete": ["vm"]},
         "value of decommission_delete must be one or more of", True),
        ("role_target_network_unknown_include", r, "target_network",
         {"target_network_resource_group": "rg-landing-eastus", "target_network_location": "eastus", "target_network_include": ["firewalls"]},
         "value of target_network_include must be one or more of", True),
        ("role_prerequisites_unknown_storage", r, "prerequisites",
         {"prerequisites_source_location": "usgovvirginia", "prerequisites_target_location": "eastus",
          "prerequisites_resource_group": "rg-landing-eastus", "prerequisites_storage_type": "ultra"},
         "value of prerequisites_storage_type must be one of: standard, premium, got: ultra", True),
        ("role_backup_relocation_unknown_old_data", r, "backup_relocation",
         {"backup_relocation_source_vault": "rsv-backup-gov", "backup_relocation_source_vault_resource_group": "rg-app-gov",
          "backup_relocation_vault": VAULT, "backup_relocation_vault_resource_group": "rg-landing-eastus",
          "backup_relocation_target_resource_group": "rg-landing-eastus", "backup_relocation_old_data": "purge"},
         "value of backup_relocation_old_data must be one of: retain, delete, got: purge", True),
    ]
    out = []
    for case_id, kind, name, args, expected, local in table:
        case = {"id": case_id, kind: name}
        if kind == "module":  # resource_group: the vault's, unless the case says otherwise (None: not given)
            args = {k: v for k, v in dict({"resource_group": "rg-landing-eastus"}, **args).items() if v is not None}
        case["args" if kind == "module" else "vars"] = args
        out.append((case, (expected,) if isinstance(expected, str) else expected, local))
    return out


def expired_registration_key(directory):
    """A registration key of the vault, made as vault_registration_key makes one, whose certificate expired a day ago."""
    from ansible_collections.azmove.site_recovery.plugins.module_utils import _vault_credentials as vc

    then = vc.utcnow() - datetime.timedelta(hours=vc.VALID_HOURS + 24)
    creds = vc.build(SUB.rsplit("/", 1)[-1], "rg-landing-eastus", {"name": VAULT, "location": "eastus", "properties": {}},
                     {"properties": {"resourceId": "4242"}}, vc.new_integrity_key(), vc.generate_certificate(now=then))
    path = directory / vc.file_name(VAULT, then)
    vc.write_atomically(str(path), creds.to_xml())
    return str(path)


def case_ids():
    """The ids, known before the simulator runs (the endpoints only fill in connection settings)."""
    placeholder = {key: "" for key in ("metadata_url", "tenant_id", "client_id", "client_secret", "subscription_id")}
    return [case["id"] for case, _expected, _local in cases({"ca_bundle": "", "clouds": {"gov": placeholder, "public": placeholder}})]


@pytest.fixture(scope="module")
def outcome(simulator, admin, tmp_path_factory):
    """Run every case once; return {case id: (result, expected words, local, requests made during the case)}."""
    work = tmp_path_factory.mktemp("bad-input")
    table = cases(simulator, expired_registration_key(work))
    runner = Runner(simulator, work)
    mark = last_request_id(admin)
    done = runner.run("bad_input.yml", {
        "work_dir": str(work), "bad_input_vault": VAULT, "bad_input_cases": [c for c, _e, _l in table],
        "bad_input_marker_url": simulator["clouds"]["public"]["resource_manager"].rstrip("/") + MARKER.rstrip("/")})
    assert_ok(done)
    results = json.loads((work / "bad-input-results.json").read_text())
    log = admin.requests(since=mark, limit=1000000)
    markers = [i for i, r in enumerate(log) if r["path"].startswith(MARKER)]
    names = [log[i]["path"][len(MARKER):] for i in markers]
    # The cases run grouped by module (one play each), then the roles; "end" closes the last one.
    assert sorted(names[:-1]) == sorted(c["id"] for c, _e, _l in table) and names[-1] == "end", names
    per_case = {names[n]: log[markers[n] + 1:markers[n + 1]] for n in range(len(markers) - 1)}
    return {c["id"]: (results[c["id"]], expected, local, per_case[c["id"]]) for c, expected, local in table}


def test_the_table_is_big_enough():
    ids = case_ids()
    assert len(ids) >= 30 and len(set(ids)) == len(ids)


@pytest.mark.parametrize("case_id", case_ids())
def test_bad_input_is_refused_before_any_change(outcome, case_id):
    result, expected, local, requests = outcome[case_id]
    assert result.get("failed"), (case_id, "was accepted", result)
    assert all(words in result.get("msg", "") for words in expected), (case_id, expected, result.get("msg"))
    writes = [(r["cloud"], r["method"], r["path"]) for r in requests if r["method"] in WRITE_METHODS and r["port"] != "login"]
    assert writes == [], (case_id, "wrote before refusing", writes)
    if local:
        arm = [(r["cloud"], r["method"], r["path"]) for r in requests
               if r["port"] == "arm" and not r["path"].startswith("/metadata/endpoints")]
        assert arm == [], (case_id, "asked Azure before refusing input it could check itself", arm)


# The move's playbooks (azmove.site_recovery.<phase>) with a bad wave variable: refused before any request.
WAVE_VARIABLES = [
    ("batch_size_not_a_number", {"move_batch_size": "half"}, "move_batch_size"),
    ("max_fail_percentage_not_a_number", {"move_max_fail_percentage": "most"}, "move_max_fail_percentage"),
    ("vault_missing", {"move_vault": None}, "'move_vault' is undefined"),
]


@pytest.mark.parametrize("case_id,changes,expected", WAVE_VARIABLES, ids=[c[0] for c in WAVE_VARIABLES])
def test_bad_wave_variables_of_the_move_playbooks_are_refused_before_any_request(simulator, admin, tmp_path, case_id, changes, expected):
    runner = Runner(simulator, tmp_path)
    base = json.loads(runner.vars_file(name="base.json").read_text())
    wave = {"move_connections": base["azmove_connections"], "move_vault": VAULT, "move_vault_resource_group": "rg-landing-eastus",
            "move_policy": "gov-ok", "move_run_as_account": "winadmin", "move_target_resource_group": "rg-landing-eastus",
            "move_target_network": "vnet-landing-eastus", "move_cache_storage_account": "stmovecacheeastus",
            "azmove_os_type": "Windows", "azmove_name": "vm-app-win01", "azmove_private_ips": ["10.10.1.4"]}
    wave.update(changes)
    cmd, env = runner.command("replicate.yml", {k: v for k, v in wave.items() if v is not None})
    cmd[cmd.index(str(HERE / "playbooks" / "replicate.yml"))] = "azmove.site_recovery.replicate"
    mark = last_request_id(admin)
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert expected in output, (case_id, output[-3000:])
    arm = [(r["method"], r["path"]) for r in admin.requests(since=mark, limit=100000) if r["port"] == "arm"]
    assert arm == [], (case_id, arm)
