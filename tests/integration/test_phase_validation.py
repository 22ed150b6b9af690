"""Every phase playbook checks its inputs first (issue 18): one table per phase of bad inputs - a host variable a static
inventory lacks, a move_* variable of the wrong type or value, the connections, no wave named for a destructive
phase, no confirmation - each refused by a failed play whose message names the problem, with no request at all to
either cloud (the inventory is static, so the refusal is the only thing the run did)."""

import json
import os
import subprocess

import pytest
import yaml

from conftest import ROOT
from test_replication import last_request_id

import fleet as demo_fleet  # noqa: E402  (tests/demo, on the path through conftest)

PASSWORD = "Phase-Validation-4b1d"  # pragma: allowlist secret  (a test value)
NIC = [{"ip_configurations": [{"subnet": "snet-app"}]}]
# The demo's four Government VMs as a static inventory, with the host variables the azure_vms plugin would give.
HOSTS = {
    "vm-app-win01": {"azmove_os_type": "Windows", "azmove_resource_group": "rg-app-gov", "azmove_private_ips": ["10.10.1.4"]},
    "vm-app-win02": {"azmove_os_type": "Windows", "azmove_resource_group": "rg-app-gov", "azmove_private_ips": ["10.10.1.5"]},
    "vm-app-lnx01": {"azmove_os_type": "Linux", "azmove_resource_group": "rg-linux-gov", "azmove_private_ips": ["10.10.2.4"]},
    "vm-app-lnx02": {"azmove_os_type": "Linux", "azmove_resource_group": "rg-linux-gov", "azmove_private_ips": ["10.10.2.5"]},
}
WAVES = {"wave_1": ["vm-app-win01", "vm-app-win02"], "wave_2": ["vm-app-lnx01", "vm-app-lnx02"]}
WAVE_1 = ["-l", "wave_1"]
CONFIRMED = ["-e", "move_decommission_confirm=true"]
BACKUP = {"move_backup_source_vault": "rsv-backup-gov", "move_backup_source_vault_resource_group": "rg-app-gov",
          "move_backup_vault": "rsv-phase-validation-backup"}

# (case id, phase playbook, changes to the move's variables (None removes one), changes to one host's variables
# (host, {var: value or None}), command line, words the failed play must show).
CASES = [
    # prepare: the machines' host variables its roles read, and the move's variables.
    ("prepare_host_without_size", "prepare", {}, ("vm-app-win02", {"azmove_size": None}), [],
     ["vm-app-win02: neither azmove_size", "move_target_vm_size"]),
    ("prepare_host_without_os_type", "prepare", {}, ("vm-app-lnx01", {"azmove_os_type": None}), [],
     ["vm-app-lnx01: azmove_os_type is undefined"]),
    ("prepare_host_without_resource_group", "prepare", {}, ("vm-app-win01", {"azmove_resource_group": None}), [],
     ["vm-app-win01: azmove_resource_group is undefined", "Run Command"]),
    ("prepare_no_push_account_for_linux", "prepare", {"move_push_accounts": {"Windows": {"username": "winadmin", "password": PASSWORD}}},
     None, [], ["move_push_accounts has no username and password for Linux"]),
    ("prepare_unknown_provider", "prepare", {"move_provider": "vmware"}, None, [],
     ["value of move_provider must be one of: modernized, classic, got: vmware"]),
    ("prepare_vault_missing", "prepare", {"move_vault": None}, None, [], ["'move_vault' is undefined"]),
    ("prepare_same_region", "prepare", {"move_target_location": "usgovvirginia"}, None, [],
     ["move_target_location is move_source_location"]),
    ("prepare_unknown_host_preparation", "prepare", {"move_host_preparation": "ssh"}, None, [],
     ["value of move_host_preparation must be one of"]),
    # every problem at once, in one message
    ("prepare_several_problems", "prepare", {"move_policy": None, "move_retention_hours": "a week"},
     ("vm-app-lnx02", {"azmove_size": None}), [],
     ["'move_policy' is undefined", "move_retention_hours", "vm-app-lnx02: neither azmove_size"]),
    # replicate
    ("replicate_host_without_addresses", "replicate", {}, ("vm-app-win01", {"azmove_private_ips": None}), WAVE_1,
     ["vm-app-win01: azmove_private_ips is undefined"]),
    ("replicate_host_without_subnet", "replicate", {}, ("vm-app-win02", {"azmove_nics": None}), WAVE_1,
     ["vm-app-win02: no target subnet", "move_target_subnet"]),
    ("replicate_host_os_unknown", "replicate", {}, ("vm-app-win02", {"azmove_os_type": "Solaris"}), WAVE_1,
     ["vm-app-win02: azmove_os_type is 'Solaris'"]),
    ("replicate_no_run_as_account", "replicate", {"move_run_as_accounts": {"Windows": "winadmin"}}, None, [],
     ["vm-app-lnx01: no run-as account", "move_run_as_accounts.Linux"]),
    ("replicate_batch_size_not_a_number", "replicate", {"move_batch_size": "half"}, None, WAVE_1, ["move_batch_size"]),
    ("replicate_poll_interval_zero", "replicate", {"move_poll_interval": 0}, None, WAVE_1,
     ["move_poll_interval must be 1 or more, not 0"]),
    ("replicate_concurrency_not_a_number", "replicate", {"move_concurrency": "many"}, None, WAVE_1,
     ["argument 'move_concurrency' is of type str"]),
    ("replicate_classic_without_server", "replicate", {"move_provider": "classic", "move_source_server": None}, None, WAVE_1,
     ["'move_source_server' is undefined", "classic"]),
    # test
    ("test_without_test_network", "test", {"move_test_network": None}, None, WAVE_1, ["'move_test_network' is undefined"]),
    ("test_network_is_production", "test", {"move_test_network": "vnet-app-gov"}, None, WAVE_1,
     ["move_test_network is the production network"]),
    ("test_max_fail_percentage_over_100", "test", {"move_max_fail_percentage": 150}, None, WAVE_1,
     ["move_max_fail_percentage must be from 0 to 100"]),
    # cutover: it must be told which wave
    ("cutover_no_wave_named", "cutover", {}, None, [], ["cutover would act on waves wave_1, wave_2", "move_all_waves_confirm"]),
    ("cutover_limit_of_two_waves", "cutover", {}, None, ["-l", "wave_1:wave_2"], ["cutover would act on waves wave_1, wave_2"]),
    ("cutover_unknown_wave", "cutover", {}, None, ["-e", "move_wave=wave_9"], ["move_wave 'wave_9' is not a group of the inventory"]),
    ("cutover_duplicate_connection", "cutover", {"move_connections": "duplicate"}, None, WAVE_1,
     ["move_connections has 2 entries named 'target'"]),
    ("cutover_subscription_not_a_guid", "cutover", {"move_connections": "bad-subscription"}, None, WAVE_1,
     ["subscription_id 'not-a-subscription' is not a subscription id"]),
    # decommission: the refusal comes first, with backup relocation configured
    ("decommission_without_confirm", "decommission", dict(BACKUP), None, WAVE_1, ["set move_decommission_confirm to true"]),
    ("decommission_no_wave_named", "decommission", dict(BACKUP), None, CONFIRMED, ["decommission would act on", "move_all_waves_confirm"]),
    ("decommission_host_without_resource_group", "decommission", {}, ("vm-app-win01", {"azmove_resource_group": None}),
     WAVE_1 + CONFIRMED, ["vm-app-win01: azmove_resource_group is undefined"]),
    ("decommission_backup_without_resource_group", "decommission", dict(BACKUP, move_backup_source_vault_resource_group=None), None,
     WAVE_1 + CONFIRMED, ["'move_backup_source_vault_resource_group' is undefined"]),
    ("decommission_old_data_unknown", "decommission", dict(BACKUP, move_backup_old_data="purge"), None, WAVE_1 + CONFIRMED,
     ["value of move_backup_old_data must be one of: retain, delete, got: purge"]),
    # cleanup
    ("cleanup_without_confirm", "cleanup", {}, None, [], ["set move_cleanup_confirm to true"]),
    ("cleanup_without_resource_group", "cleanup", {"move_vault_resource_group": None, "move_target_resource_group": None}, None,
     ["-e", "move_cleanup_confirm=true"], ["None of move_vault_resource_group, move_target_resource_group is set"]),
    # status
    ("status_without_connections", "status", {"move_connections": None}, None, [], ["'move_connections' is undefined"]),
    ("status_without_source_connection", "status", {"move_connections": "target-only"}, None, [],
     ["move_connections has no entry named source"]),
    # rollback: confirmed, and told which wave, before anything
    ("rollback_without_confirm", "rollback", {}, None, WAVE_1, ["set move_rollback_confirm to true"]),
    ("rollback_no_wave_named", "rollback", {}, None, ["-e", "move_rollback_confirm=true"],
     ["rollback would act on waves wave_1, wave_2", "move_all_waves_confirm"]),
    ("rollback_without_source_connection", "rollback", {"move_connections": "target-only"}, None,
     WAVE_1 + ["-e", "move_rollback_confirm=true"], ["move_connections has no entry named source"]),
    # move: the checks of every selected phase come before prepare
    ("move_cutover_no_wave_named", "move", {}, None, [], ["cutover would act on"]),
    ("move_decommission_tag_without_confirm", "move", {}, None, WAVE_1 + ["--tags", "all,decommission"],
     ["set move_decommission_confirm to true"]),
]


def connections(base, kind):
    conns = [dict(c) for c in base]
    if kind == "duplicate":
        return conns + [dict(conns[-1])]
    if kind == "bad-subscription":
        conns[-1]["subscription_id"] = "not-a-subscription"
        return conns
    return [c for c in conns if c["name"] == "target"]  # target-only


@pytest.fixture(scope="module")
def work(simulator, tmp_path_factory):
    return tmp_path_factory.mktemp("phase-validation")


def inventory(path, host_changes):
    hosts = {name: dict(values, azmove_name=name, azmove_size="Standard_D2s_v3", azmove_nics=NIC) for name, values in HOSTS.items()}
    if host_changes:
        name, changes = host_changes
        hosts[name].update(changes)
        hosts[name] = {k: v for k, v in hosts[name].items() if v is not None}
    data = {"all": {"children": {wave: {"hosts": {h: hosts[h] for h in names}} for wave, names in WAVES.items()}}}
    path.write_text(yaml.safe_dump(data))
    return path


def move_variables(simulator, directory, changes):
    move = demo_fleet.move_variables(simulator, directory / "reports", PASSWORD, move_vault="rsv-phase-validation")
    for key, value in changes.items():
        if key == "move_connections" and isinstance(value, str):
            value = connections(move["move_connections"], value)
        move[key] = value
    move = {k: v for k, v in move.items() if v is not None}
    path = directory / "move.json"
    path.write_text(json.dumps(move))
    os.chmod(path, 0o600)
    return path


@pytest.mark.parametrize("case_id,phase,changes,host_changes,args,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_of_a_phase_is_refused_before_any_request(simulator, admin, work, runner, case_id, phase, changes,
                                                            host_changes, args, expected):
    directory = work / case_id
    directory.mkdir()
    inv = inventory(directory / "inventory.yml", host_changes)
    move = move_variables(simulator, directory, changes)
    _cmd, env = runner.command("replication_one.yml")  # the environment the integration tests use
    cmd = [str(runner.bin / "ansible-playbook"), "azmove.site_recovery." + phase, "-i", str(inv), "-e", "@%s" % move] + args
    mark = last_request_id(admin)
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False, cwd=str(directory))
    output = done.stdout + done.stderr
    assert done.returncode != 0, (case_id, "was accepted", output[-3000:])
    missing = [words for words in expected if words not in output]
    assert not missing, (case_id, missing, output[-3000:])
    assert "nothing was read or changed in Azure" in output, (case_id, output[-3000:])
    # Not a single request to either cloud: no write, and no read either (the inventory is static).
    requests = [(r["cloud"], r["method"], r["path"]) for r in admin.requests(since=mark, limit=100000) if r["port"] != "admin"]
    assert requests == [], (case_id, requests)
    assert PASSWORD not in output


def test_every_phase_playbook_has_cases():
    phases = {os.path.basename(p)[:-4] for p in os.listdir(ROOT / "playbooks") if p.endswith(".yml")}
    assert phases <= {c[1] for c in CASES}, phases - {c[1] for c in CASES}
