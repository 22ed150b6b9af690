"""Discarding what the move created: nothing a replicating machine needs goes, everything else does once the wave
is migrated, and nothing at all without confirm, in check mode, or on a second run."""

import json
import subprocess
import sys
import uuid

from azure.core.exceptions import ResourceNotFoundError

from conftest import ROOT, assert_ok
from test_lifecycle import compute, network
from test_replication import extra, last_request_id, writes

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import client_kwargs, credential  # noqa: E402

VAULT_RG = "rg-landing-eastus"
NAMES = ["vm-app-win01", "vm-app-win02", "vm-app-lnx01"]


def recovery_services(ep):
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    return RecoveryServicesClient(credential(ep, "public"), ep["clouds"]["public"]["subscription_id"], **client_kwargs(ep, "public"))


def storage(ep):
    from azure.mgmt.storage import StorageManagementClient
    return StorageManagementClient(credential(ep, "public"), ep["clouds"]["public"]["subscription_id"], **client_kwargs(ep, "public"))


def exists(call, *args):
    try:
        call(*args)
        return True
    except ResourceNotFoundError:
        return False


def result(tmp_path, label):
    return json.loads((tmp_path / ("cleanup-%s.json" % label)).read_text())


def test_cleanup_keeps_what_a_replicating_machine_needs_then_discards_the_rest(runner, simulator, admin, tmp_path):
    suffix = uuid.uuid4().hex[:6]
    vault, target_rg = "rsv-cleanup-" + suffix, "rg-cleanup-" + suffix
    test_vnet, cache = "vnet-test-cleanup-" + suffix, "stcleanup" + suffix
    admin.seed({"public": {
        "resource_groups": [{"name": target_rg, "location": "eastus"}],
        "virtual_networks": [{"name": test_vnet, "resource_group": VAULT_RG, "location": "eastus", "address_space": "10.40.0.0/16",
                              "subnets": [{"name": "snet-app", "address_prefix": "10.40.1.0/24"}]}],
        "storage_accounts": [{"name": cache, "resource_group": VAULT_RG, "location": "eastus", "sku": "Standard_LRS", "kind": "StorageV2"}]}})
    # Classic: three machines replicating through a configuration server, a policy and its failback policy.
    assert_ok(runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, target_rg=target_rg, provider="classic",
                                                       cache_storage=cache, run_label="setup")))
    assert_ok(runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=vault, provider="classic", run_label="move1",
                                                steps=["failover", "commit", "migrate"], names=NAMES[:2])))
    everything = dict(vault=vault, test_networks=[test_vnet], cache_storage_accounts=[cache], remove_registration=True, delete_vault=True)
    ep = simulator
    rs, st, net = recovery_services(ep), storage(ep), network(ep, "public")

    # Without confirm: refused before any request.
    mark = last_request_id(admin)
    assert_ok(runner.run("move_cleanup.yml", extra(simulator, tmp_path, run_label="refused", **dict(everything, confirm=False))))
    refused = result(tmp_path, "refused")
    assert refused["failed"] and "set confirm to true" in refused["msg"] and "Nothing was read or deleted" in refused["msg"]
    assert [r for r in admin.requests(since=mark, cloud="public") if r["port"] != "login"] == []

    # One machine still replicates: what it needs stays, and the result says why.
    mark = last_request_id(admin)
    assert_ok(runner.run("move_cleanup.yml", extra(simulator, tmp_path, run_label="partial", **everything)))
    partial = result(tmp_path, "partial")
    assert not partial.get("failed"), partial.get("msg")
    assert [e["kind"] for e in partial["plan"]] == ["test_network"] and partial["deleted"] == [partial["plan"][0]["id"]]
    reasons = {(k["kind"], k["name"]): k["reason"] for k in partial["kept"]}
    assert reasons[("policy", "gov-to-public-24h")] == "machine vm-app-lnx01 still replicates through policy gov-to-public-24h"
    assert reasons[("policy", "gov-to-public-24h-failback")] == "still associated with server cs-gov-01, through which machine vm-app-lnx01 still replicates"
    assert reasons[("cache_storage_account", cache)] == "machine vm-app-lnx01 still replicates through it"
    assert reasons[("registration", "configuration server cs-gov-01")] == "machine vm-app-lnx01 still replicates through it"
    assert reasons[("vault", vault)] == "it still replicates machine vm-app-lnx01"
    assert len([k for k in partial["kept"] if k["kind"] == "mapping"]) == 2
    deletes = [r["path"] for r in writes(admin, mark) if r["method"] == "DELETE"]
    assert len(deletes) == 1 and deletes[0].endswith("/virtualNetworks/" + test_vnet)
    assert exists(st.storage_accounts.get_properties, VAULT_RG, cache)
    assert not exists(net.virtual_networks.get, VAULT_RG, test_vnet)

    # The last machine moves; check mode lists everything that would go and sends no write.
    assert_ok(runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=vault, provider="classic", run_label="move2",
                                                steps=["failover", "commit", "migrate"], names=NAMES[2:])))
    mark = last_request_id(admin)
    assert_ok(runner.run("move_cleanup.yml", extra(simulator, tmp_path, run_label="check", **everything), check=True, diff=True))
    check = result(tmp_path, "check")
    assert check["changed"] and check["deleted"] == []
    assert [e["kind"] for e in check["plan"]] == ["mapping", "mapping", "policy", "policy", "cache_storage_account", "registration", "vault"]
    assert check["kept"] == [] and check["missing"] == [partial["plan"][0]["id"]]
    assert check["diff"]["before"]["vault"] and check["diff"]["after"] == {kind: [] for kind in check["diff"]["after"]}
    assert writes(admin, mark) == []

    # The real run: only the moved VMs and their network stay.
    assert_ok(runner.run("move_cleanup.yml", extra(simulator, tmp_path, run_label="all", **everything)))
    done = result(tmp_path, "all")
    assert done["changed"] and done["deleted"] == [e["id"] for e in check["plan"]], done.get("msg")
    assert not exists(rs.vaults.get, VAULT_RG, vault)
    assert not exists(st.storage_accounts.get_properties, VAULT_RG, cache)
    assert sorted(vm.name for vm in compute(ep, "public").virtual_machines.list(target_rg)) == sorted(NAMES)
    assert exists(net.virtual_networks.get, VAULT_RG, "vnet-landing-eastus")

    # Again: nothing left to do, nothing sent.
    mark = last_request_id(admin)
    assert_ok(runner.run("move_cleanup.yml", extra(simulator, tmp_path, run_label="again", **everything)))
    again = result(tmp_path, "again")
    assert not again["changed"] and again["plan"] == [] and not again.get("failed")
    assert writes(admin, mark) == []


def playbook(runner, move_vars, *extra_args, label="pb"):
    """The collection's own playbook, by its FQCN, as a user runs it."""
    path = runner.tmp_path / ("move-%s.json" % label)
    path.write_text(json.dumps(move_vars))
    cmd, env = runner.command("move_cleanup.yml")  # for the environment the integration tests use
    cmd = [cmd[0], "azmove.site_recovery.cleanup", "-i", "localhost,", "-c", "local", "-e", "@%s" % path] + list(extra_args)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)


def test_the_cleanup_playbook_maps_the_move_variables_and_needs_its_confirmation(runner, simulator, admin, tmp_path):
    suffix = uuid.uuid4().hex[:6]
    vault, test_vnet, cache = "rsv-cleanup-pb-" + suffix, "vnet-test-pb-" + suffix, "stcleanpb" + suffix
    admin.seed({"public": {
        "virtual_networks": [{"name": test_vnet, "resource_group": VAULT_RG, "location": "eastus", "address_space": "10.41.0.0/16",
                              "subnets": [{"name": "snet-app", "address_prefix": "10.41.1.0/24"}]}],
        "storage_accounts": [{"name": cache, "resource_group": VAULT_RG, "location": "eastus"}]}})
    rs, st, net = recovery_services(simulator), storage(simulator), network(simulator, "public")
    rs.vaults.begin_create_or_update(VAULT_RG, vault, {"location": "eastus", "sku": {"name": "Standard"}}).result()
    base = json.loads(runner.vars_file().read_text())
    move = {"move_connections": base["azmove_connections"], "move_vault": vault, "move_target_resource_group": VAULT_RG,
            "move_test_network": test_vnet, "move_cache_storage_account": cache, "move_poll_interval": 1}

    mark = last_request_id(admin)
    assert_ok(runner.run("move_cleanup.yml", extra(simulator, tmp_path, run_label="bad", vault=vault, test_networks=["/subscriptions/0/vnet"])))
    bad = result(tmp_path, "bad")
    assert bad["failed"] and "is neither a name nor the resource id" in bad["msg"]
    done = playbook(runner, move, label="refused")
    assert done.returncode != 0 and "set move_cleanup_confirm to true" in done.stdout
    assert [r for r in admin.requests(since=mark, cloud="public") if r["port"] != "login"] == []

    done = playbook(runner, move, "--check", "-e", "move_cleanup_delete_vault=true", label="check")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "changed=1" in done.stdout and writes(admin, mark) == []

    done = playbook(runner, dict(move, move_cleanup_confirm=True), label="kept")
    assert done.returncode == 0, done.stdout[-4000:]
    assert "vault %s stays: delete_vault is false" % vault in done.stdout
    assert not exists(net.virtual_networks.get, VAULT_RG, test_vnet)
    assert not exists(st.storage_accounts.get_properties, VAULT_RG, cache)
    assert exists(rs.vaults.get, VAULT_RG, vault)

    done = playbook(runner, dict(move, move_cleanup_confirm=True, move_cleanup_delete_vault=True), label="vault")
    assert done.returncode == 0, done.stdout[-4000:]
    assert not exists(rs.vaults.get, VAULT_RG, vault)
