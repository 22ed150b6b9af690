"""The move's playbooks, run as a user runs them: the collection's own playbooks by their FQCN, on an inventory from
the azure_vms plugin, one wave after the other - prepare, replicate, test, cutover - with ansible-playbook killed in
the middle of a phase at several points and run again, then every phase again, the report and the decommission."""

import json
import os
import re
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from conftest import ROOT, RUN_MARKER, assert_ok, crash
from test_backup_relocation import backup, item, points
from test_cache_storage_account import BLOB_DATA_CONTRIBUTOR, CONTRIBUTOR, assignments, sdk
from test_lifecycle import compute, network, power, vm_or_none
from test_replication import last_request_id, writes

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import asr_client  # noqa: E402

import fleet as demo_fleet  # noqa: E402  (tests/demo, on the path through conftest)

VAULT, VAULT_RG = "rsv-waves", "rg-landing-eastus"
BACKUP_VAULT, CACHE = "rsv-waves-backup", "stwavescache"
CLEANUP_ALL = ["-e", "move_cleanup_confirm=true", "-e", "move_cleanup_remove_registration=true", "-e", "move_cleanup_delete_vault=true"]
NET_RG, VM_RG = "rg-waves-net", "rg-waves-vms"
APPLIANCE = "asr-waves-01"
PASSWORD = "Push-Install-7c21e9"  # pragma: allowlist secret  (a test value, checked never to be printed)
WAVES = {"wave_1": ["vm-app-win01", "vm-app-win02"], "wave_2": ["vm-app-lnx01", "vm-app-lnx02"]}
SOURCE_RG = {"vm-app-win01": "rg-app-gov", "vm-app-win02": "rg-app-gov", "vm-app-lnx01": "rg-linux-gov",
             "vm-app-lnx02": "rg-linux-gov"}


@pytest.fixture
def fleet(simulator, admin, tmp_path):
    """An inventory of the Government VMs (azure_vms plugin) and the move's variables; the seed is restored after."""
    inventory = tmp_path / "source.azure_vms.yml"
    inventory.write_text(yaml.safe_dump(demo_fleet.inventory(simulator)))
    os.chmod(inventory, 0o600)
    with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
        gov_seed = json.load(handle)["gov"]
    admin.seed({"gov": gov_seed})  # as seeded, whatever earlier tests did (backup protection included)
    admin.seed({"public": {"resource_groups": [{"name": NET_RG, "location": "eastus"}, {"name": VM_RG, "location": "eastus"}]}})
    yield inventory
    admin.seed({"gov": gov_seed})


def variables(runner, tmp_path, vault=VAULT, appliance=APPLIANCE, confirm=False):
    move = demo_fleet.move_variables(
        runner.endpoints, tmp_path / "reports", PASSWORD, move_vault=vault, move_vault_resource_group=VAULT_RG,
        move_source_server=appliance, move_source_server_timeout=5, move_policy="waves-3d",
        move_target_resource_group=VM_RG, move_target_network_resource_group=NET_RG,
        move_test_network_resource_group=NET_RG, move_poll_interval=1, move_decommission_confirm=confirm,
        move_all_waves_confirm=confirm,
        move_cache_storage_account=CACHE, move_cache_storage_account_resource_group=VAULT_RG, move_backup_vault=BACKUP_VAULT)
    path = tmp_path / ("move-confirmed.json" if confirm else "move.json")
    path.write_text(json.dumps(move))
    os.chmod(path, 0o600)
    return path


def command(runner, inventory, move_vars, phase, limit=None, verbosity=0, extra=()):
    cmd, env = runner.command("replication_one.yml")  # for the environment the integration tests use
    cmd = [cmd[0], "azmove.site_recovery." + phase, "-i", str(inventory), "-e", "@%s" % move_vars] + list(extra)
    if limit:
        cmd += ["-l", limit]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    return cmd, env


def play(runner, inventory, move_vars, phase, limit=None, verbosity=0, extra=()):
    cmd, env = command(runner, inventory, move_vars, phase, limit, verbosity, extra)
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    done.output = done.stdout + done.stderr
    return done


def recap(output):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP of the last play."""
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines()[1:]:
        if ":" in line and "=" in line:
            host, counts = line.split(":", 1)
            out[host.strip()] = {k: int(v) for k, v in (kv.split("=") for kv in counts.split())}
    return out


def tasks(output):
    """[(title, [host, ...])] of a run's tasks in order: the title as printed and the hosts of its result lines."""
    found = []
    for block in re.split(r"\n(?=TASK \[)", output):
        title = re.match(r"TASK \[(.*)\] \*+\n", block)
        if title:
            found.append((title.group(1), re.findall(r"^(?:ok|changed|failed|fatal|skipping): \[([^\]\s]+)", block, re.M)))
    return found


def readable(output, once=("move_validate", "target_network", "target_storage", "prerequisites", "vault")):
    """What a person reads in a phase's output: no warning about an empty inventory, and the roles whose steps run once
    for the play check their arguments once (one line, not one per machine)."""
    assert "provided hosts list is empty" not in output, output[-3000:]
    checks = [(title, hosts) for title, hosts in tasks(output) if "Validating arguments against arg spec" in title]
    assert checks, output[-3000:]
    for title, hosts in checks:
        if title.split(" : ")[0].rsplit(".", 1)[-1] in once:
            assert len(hosts) == 1, (title, hosts)


def register_appliance(simulator, vault=VAULT, appliance=APPLIANCE):
    """The replication appliance's own steps (configuration manager), after the vault exists: played by the simulator."""
    demo_fleet.play_appliance(os.path.dirname(simulator["ca_bundle"]), vault, VAULT_RG, appliance, timeout=0)


def interrupted(runner, admin, inventory, move_vars, phase, limit, started):
    """Run a phase and kill ansible-playbook (SIGKILL, the whole process group) as soon as the simulator has received
    a write request for which started(request) is true; return the request id before the run."""
    mark = last_request_id(admin)
    cmd, env = command(runner, inventory, move_vars, phase, limit)
    log = runner.tmp_path / ("killed-%s.log" % phase)
    with open(log, "w", encoding="utf-8") as out:
        marker = uuid.uuid4().hex
        proc = subprocess.Popen(cmd, env=dict(env, **{RUN_MARKER: marker}), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None and not [r for r in all_writes(admin, mark) if started(r)]:
            time.sleep(0.1)
        finished = proc.poll() is not None
        crash(marker)  # ansible's workers and their modules too, not only ansible-playbook
        proc.wait()
    assert not finished, "%s ended before the point where it was to be killed:\n%s" % (phase, log.read_text()[-3000:])
    assert [r for r in all_writes(admin, mark) if started(r)], "%s never reached the point where it was to be killed" % phase
    return mark


def all_writes(admin, since):
    return [r for r in admin.requests(since=since) if r["method"] in ("PUT", "PATCH", "POST", "DELETE") and r["port"] != "login"]


def ends(*suffixes):
    return lambda r: r["path"].split("?")[0].endswith(suffixes)


def test_two_waves_through_every_phase_killed_and_resumed_then_again_with_no_change(runner, simulator, admin, tmp_path, fleet):
    move_vars = variables(runner, tmp_path)
    # prepare killed while it writes the target networks; run again, it goes on to the vault and waits for the
    # appliance, which is not there yet: it says so (and the push password is not shown, even at -vvvv).
    mark = interrupted(runner, admin, fleet, move_vars, "prepare", None,
                       lambda r: r["method"] == "PUT" and "/resourceGroups/%s/" % NET_RG in r["path"])
    done = play(runner, fleet, move_vars, "prepare", verbosity=4)
    assert done.returncode != 0 and "asr-waves-01" in done.output, done.output[-3000:]
    assert PASSWORD not in done.output
    register_appliance(simulator)  # the appliance's own steps, once the vault exists
    done = play(runner, fleet, move_vars, "prepare")
    assert_ok(done)
    assert set(recap(done.output)) == set(SOURCE_RG)
    readable(done.output)
    vnet_puts = [r for r in all_writes(admin, mark) if r["method"] == "PUT" and ends("/virtualNetworks/vnet-app-gov-test")(r)]
    assert len(vnet_puts) == 1, vnet_puts  # each network written once, however often prepare ran

    # The cache storage account: made by prepare, secured, and the vault's identity has its roles on it.
    account = sdk(simulator, "storage").storage_accounts.get_properties(VAULT_RG, CACHE)
    assert (account.location, account.sku.name, account.minimum_tls_version, account.allow_blob_public_access) == (
        "eastus", "Standard_LRS", "TLS1_2", False)
    principal = sdk(simulator, "recoveryservices").vaults.get(VAULT_RG, VAULT).identity.principal_id
    assert assignments(simulator, account.id, principal) == sorted([CONTRIBUTOR, BLOB_DATA_CONTRIBUTOR])

    public_net = network(simulator, "public")
    assert public_net.virtual_networks.get(NET_RG, "vnet-app-gov").location == "eastus"
    assert public_net.virtual_networks.get(NET_RG, "vnet-app-gov-test").id != public_net.virtual_networks.get(NET_RG, "vnet-app-gov").id

    # Where each wave's phase is killed mid-way (and run again): the request that marks the point, and the write
    # that must have been sent exactly once per machine of the wave in the end.
    kills = {("wave_1", "test"): ends("/testFailover"), ("wave_2", "replicate"): lambda r: r["method"] == "PUT" and (
        "/replicationProtectedItems/" in r["path"] and "/" not in r["path"].split("/replicationProtectedItems/")[1]),
        ("wave_2", "cutover"): ends("/unplannedFailover")}
    gov, public = compute(simulator, "gov"), compute(simulator, "public")
    admin.set_time_factor(0.002)  # jobs last long enough (seconds) to be interrupted while they run
    try:
        for wave, names in WAVES.items():
            for phase in ("replicate", "test", "cutover"):
                started = kills.get((wave, phase))
                mark = interrupted(runner, admin, fleet, move_vars, phase, wave, started) if started else None
                done = play(runner, fleet, move_vars, phase, limit=wave)
                assert_ok(done)
                assert set(recap(done.output)) == set(names), (phase, recap(done.output))
                readable(done.output)
                if phase == "cutover" and not started:  # a batch step's result names one host: the next title says more
                    assert "This machine failed over (the batch: 2 machines: 2 changed (%s), 0 unchanged)" % ", ".join(names) in [
                        title.split(" : ")[-1] for title, unused in tasks(done.output)], tasks(done.output)
                if not started:  # each machine's change shows on its own host, not all on the batch's first one
                    assert all(c["changed"] >= 1 for c in recap(done.output).values()), (wave, phase, recap(done.output))
                    # The batch's long steps showed their progress while they waited, ending with every machine's count.
                    assert re.search(r"^\[localhost\] \d+m\d\ds: %d (ready|done), 0 in progress, 0 failed" % len(names),
                                     done.output, re.M), (wave, phase, done.output[-3000:])
                if started:  # the re-run followed what the killed run had started; it did not start it again
                    sent = [r for r in all_writes(admin, mark) if started(r)]
                    assert len(sent) == len(names), (wave, phase, [r["path"] for r in sent])
                report = json.loads((tmp_path / "reports" / "wave-report.json").read_text())  # written by every phase
                # (a row is named as Site Recovery names the machine: the guest's host name, not the Azure VM's name)
                phase_of = {m["name"]: m["phase"] for m in report["machines"]}
                assert len(phase_of) == len(names), phase_of
                assert set(phase_of.values()) == {{"replicate": "protected", "test": "protected", "cutover": "migrated"}[phase]}, phase_of
            for name in names:
                target = vm_or_none(public, VM_RG, name)
                assert target is not None and power(target) == "running", name
                assert "/virtualNetworks/vnet-app-gov/subnets/" in public_net.network_interfaces.get(
                    VM_RG, target.network_profile.network_interfaces[0].id.rsplit("/", 1)[-1]).ip_configurations[0].subnet.id
                assert vm_or_none(public, VM_RG, name + "-test") is None
                assert power(gov.virtual_machines.get(SOURCE_RG[name], name, expand="instanceView")) in ("stopped", "deallocated")
            if wave == "wave_1":  # the second wave has not moved yet
                for name in WAVES["wave_2"]:
                    assert power(gov.virtual_machines.get("rg-linux-gov", name, expand="instanceView")) == "running"
                    assert vm_or_none(public, VM_RG, name) is None
    finally:
        admin.set_time_factor(0)

    assert list(asr_client(simulator).replication_protected_items.list(VAULT_RG, VAULT)) == []
    assert sorted(vm.name for vm in public.virtual_machines.list(VM_RG)) == sorted(SOURCE_RG)

    # Every phase again, on the whole fleet: nothing changes and nothing is written (the report, which now covers the
    # whole fleet instead of the last wave, is left to status below). cutover on every wave needs its confirmation.
    mark = last_request_id(admin)
    for phase in ("replicate", "test", "cutover"):
        done = play(runner, fleet, move_vars, phase, extra=["-e", "move_report_each_phase=false", "-e", "move_all_waves_confirm=true"])
        assert_ok(done)
        assert all(c["changed"] == 0 and c["failed"] == 0 for c in recap(done.output).values()), (phase, done.output[-3000:])
        if phase == "cutover":  # (the title of the step after the batch's failover says what it did)
            assert "This machine failed over (the batch: 4 machines: 0 changed, 4 unchanged)" in done.output, tasks(done.output)
    assert writes(admin, mark) == []

    # The status report: every machine moved.
    done = play(runner, fleet, move_vars, "status")
    assert_ok(done)
    report = json.loads((tmp_path / "reports" / "wave-report.json").read_text())
    assert sorted(m["phase"] for m in report["machines"]) == ["migrated"] * len(SOURCE_RG), report["machines"]

    # Decommission: refused without the confirmation, before anything is read or written (backup relocation included).
    mark = last_request_id(admin)
    done = play(runner, fleet, move_vars, "decommission", limit="wave_1")
    assert done.returncode != 0 and "set move_decommission_confirm to true" in done.output, done.output[-3000:]
    # (only the inventory's reads of the source VMs: nothing reached the target, where the backup vault would be made)
    assert all_writes(admin, mark) == [] and admin.requests(since=mark, cloud="public", limit=100000) == []
    # Confirmed: backup protection follows the machines to the new vault, then the sources are deleted.
    move_vars_confirmed = variables(runner, tmp_path, confirm=True)
    interrupted(runner, admin, fleet, move_vars_confirmed, "decommission", None,
                lambda r: r["method"] == "DELETE" and r["cloud"] == "gov" and "/virtualMachines/" in r["path"])
    # Before it deleted anything, the killed run carried the old backup vault's settings to the new one; the private
    # endpoint could not be, and the run said why.
    killed = (tmp_path / "killed-decommission.log").read_text()
    assert "private_endpoints (pe-rsv-backup-gov" in killed, killed[-4000:]
    backup_vault = sdk(simulator, "recoveryservices").vaults.get(VAULT_RG, BACKUP_VAULT)
    assert backup_vault.location == "eastus" and backup_vault.properties.public_network_access == "Disabled"
    # Run again: the VMs deleted by the killed run have left the inventory; their NICs and disks are finished by the
    # playbook's last play, which finds them by their azmove-decommission tag.
    done = play(runner, fleet, move_vars_confirmed, "decommission")
    assert_ok(done)
    gov_net = network(simulator, "gov")
    assert [n.name for n in gov_net.network_interfaces.list_all() if n.name[:-len("-nic")] in SOURCE_RG] == []
    assert [d.name for d in gov.disks.list() if d.name.split("_")[0] in SOURCE_RG] == []
    for name, rg in SOURCE_RG.items():
        assert vm_or_none(gov, rg, name) is None, name
        assert vm_or_none(public, VM_RG, name) is not None, name
    for name in ("vm-app-win01", "vm-app-lnx01"):  # the two machines that had VM backup
        new = item(backup(simulator, "public"), BACKUP_VAULT, VAULT_RG, VM_RG, name)
        assert new["protectionState"] in ("IRPending", "Protected") and new["policyId"], new
        old = item(backup(simulator, "gov"), "rsv-backup-gov", "rg-app-gov", SOURCE_RG[name], name)
        assert old["protectionState"] == "ProtectionStopped", old  # stopped, its recovery points kept
        assert points(backup(simulator, "gov"), SOURCE_RG[name], name), name

    # What the move itself created goes, once asked to: the test network, the policy, the cache storage, the
    # appliance's registration and the vault. Left: the moved VMs, their network and the backup vault.
    done = play(runner, fleet, move_vars, "cleanup", extra=CLEANUP_ALL)
    assert_ok(done)
    assert "localhost" in recap(done.output), done.output[-3000:]  # it ran, although the sources left the inventory
    rs = sdk(simulator, "recoveryservices")
    vaults = [v.name for v in rs.vaults.list_by_resource_group(VAULT_RG)]  # (other tests keep theirs there too)
    assert VAULT not in vaults and BACKUP_VAULT in vaults, done.output[-5000:]
    assert [a.name for a in sdk(simulator, "storage").storage_accounts.list_by_resource_group(VAULT_RG)
            if a.name == CACHE] == []
    assert sorted(n.name for n in public_net.virtual_networks.list(NET_RG)) == ["vnet-app-gov"]
    assert sorted(vm.name for vm in public.virtual_machines.list(VM_RG)) == sorted(SOURCE_RG)
    assert all(power(public.virtual_machines.get(VM_RG, name, expand="instanceView")) == "running" for name in SOURCE_RG)
    mark = last_request_id(admin)
    done = play(runner, fleet, move_vars, "cleanup", extra=CLEANUP_ALL)
    assert_ok(done)
    assert writes(admin, mark) == []  # again: nothing left to delete


def test_a_machine_that_fails_shows_as_a_failed_host_and_the_others_go_on(runner, simulator, admin, tmp_path, fleet):
    move_vars = variables(runner, tmp_path, vault="rsv-waves-fail", appliance="asr-waves-02")
    play(runner, fleet, move_vars, "prepare", limit="wave_1")  # stops at the appliance wait: the vault exists now
    register_appliance(simulator, "rsv-waves-fail", "asr-waves-02")
    assert_ok(play(runner, fleet, move_vars, "prepare", limit="wave_1"))
    admin.set_host("10.10.1.5", local_account_token_filter_policy=0)  # win02 not prepared: push install fails
    try:
        done = play(runner, fleet, move_vars, "replicate", limit="wave_1")
    finally:
        admin.set_host("10.10.1.5", local_account_token_filter_policy=1)
    assert done.returncode != 0
    hosts = recap(done.output)
    assert hosts["vm-app-win02"]["failed"] == 1 and hosts["vm-app-win01"]["failed"] == 0, hosts
    assert "95107" in done.output
