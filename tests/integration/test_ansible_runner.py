"""The replicate phase as AWX and Ansible Automation Platform run it: through ansible-runner (the engine their jobs
execute with), from a project directory holding the job template playbooks of docs/awx/project, on an inventory source
of the azure_vms plugin, with the credentials injected as the credential types of docs/awx/credential_types.json
inject them (a credentials file, environment variables, extra variables). The job's events and artifacts are checked:
one result per machine on the per-host step, and no secret anywhere."""

import json
import os
import shutil
import sys
import threading

import ansible_runner
import jinja2
import pytest
import yaml

from conftest import ROOT, Runner, assert_ok
from test_wave_playbooks import play, recap

import fleet as demo_fleet  # noqa: E402  (tests/demo, on the path through conftest)

AWX = ROOT / "docs" / "awx"
VAULT, VAULT_RG, NET_RG, VM_RG = "rsv-runner", "rg-runner-eastus", "rg-runner-net", "rg-runner-vms"
APPLIANCE, CACHE = "asr-runner-01", "strunnercache"
PASSWORD = "Push-Install-3b8e52"  # pragma: allowlist secret  (a test value, checked never to be written)
WAVE = ["vm-app-win01", "vm-app-win02"]  # wave_1 of the demo seed: the smallest wave
# The per-host step of the replicate role: each machine's own result (the batch steps before it run once per batch).
PER_HOST_TASK = "This machine is protected"  # (its title goes on with what the batch step did: a prefix)
BATCH_TASK = "Enable replication of the batch's machines (push install of the Mobility service)"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A simulator of its own (time factor 0): the wave's replication leaves nothing behind for other tests."""
    from azsim import testing

    state = tmp_path_factory.mktemp("azsim-runner")
    endpoints = testing.start(str(state), time_factor=0, seed=str(ROOT / "tests" / "simulator" / "seed" / "demo.json"))
    admin = testing.AdminClient(endpoints)
    admin.seed({"public": {"resource_groups": [{"name": n, "location": "eastus"} for n in (VAULT_RG, NET_RG, VM_RG)]}})
    try:
        yield endpoints, admin
    finally:
        testing.stop(str(state))


def credential_type(name):
    types = json.loads((AWX / "credential_types.json").read_text())["credential_types"]
    return next(t for t in types if t["name"] == name)


def inject(ctype, inputs, files_dir):
    """What AWX does with a credential of this type at launch: render each file template into a file of its own
    (mode 0600), then the env and extra_vars templates, with the inputs and tower.filename.<id> (Jinja2, as AWX)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    filenames = {}
    for key, template in ctype["injectors"].get("file", {}).items():
        path = files_dir / ("%s-%s" % (ctype["name"].split(":")[1].split("(")[0].strip().replace(" ", "-"), key))
        path.write_text(env.from_string(template).render(**inputs))
        os.chmod(path, 0o600)
        filenames[key.split(".", 1)[1] if "." in key else None] = str(path)
    context = dict(inputs, tower={"filename": filenames}, awx={"filename": filenames})
    rendered = {kind: {k: env.from_string(v).render(**context) for k, v in ctype["injectors"].get(kind, {}).items()}
                for kind in ("env", "extra_vars")}
    return rendered["env"], rendered["extra_vars"]


def cloud_inputs(endpoints, key):
    cloud = endpoints["clouds"][key]
    return {"subscription_id": cloud["subscription_id"], "tenant_id": cloud["tenant_id"], "client_id": cloud["client_id"],
            "client_secret": cloud["client_secret"], "cloud_environment": cloud["metadata_url"]}


def prepared(runner, endpoints, tmp_path):
    """The wave prepared as other tests prepare it (ansible-playbook), the appliance registered as soon as the vault
    exists (the appliance's own steps, played by the simulator while prepare waits for it)."""
    inventory = tmp_path / "prepare.azure_vms.yml"
    inventory.write_text(yaml.safe_dump(demo_fleet.inventory(endpoints)))
    os.chmod(inventory, 0o600)
    move = move_variables(endpoints, tmp_path, move_push_accounts={
        "Windows": {"username": "winadmin", "password": PASSWORD}, "Linux": {"username": "root", "password": PASSWORD}})
    move["move_connections"] = demo_fleet.connections.connections(endpoints)  # (prepare is not the job under test)
    move_vars = tmp_path / "prepare.json"
    move_vars.write_text(json.dumps(move))
    os.chmod(move_vars, 0o600)
    state_dir = os.path.dirname(endpoints["ca_bundle"])
    appliance = threading.Thread(target=demo_fleet.play_appliance, args=(state_dir, VAULT, VAULT_RG, APPLIANCE),
                                 kwargs={"timeout": 120}, daemon=True)
    appliance.start()
    done = play(runner, inventory, move_vars, "prepare", limit="wave_1", extra=["-e", "move_prepare_hosts=false", "-e", "move_report_each_phase=false"])
    appliance.join(10)
    assert_ok(done)
    assert sorted(recap(done.output)) == WAVE, done.output[-3000:]  # (a run with no hosts from the inventory succeeds too)


def move_variables(endpoints, tmp_path, **more):
    """The move's variables without anything secret in them, as a job template's extra variables or an inventory's
    variables would hold them: the connections name their profiles; the credentials give the rest."""
    move = demo_fleet.move_variables(
        endpoints, tmp_path / "reports", PASSWORD, move_vault=VAULT, move_vault_resource_group=VAULT_RG,
        move_source_server=APPLIANCE, move_source_server_timeout=120, move_policy="runner-3d",
        move_target_resource_group=VM_RG, move_target_network_resource_group=NET_RG,
        move_test_network_resource_group=NET_RG, move_poll_interval=1,
        move_cache_storage_account=CACHE, move_cache_storage_account_resource_group=VAULT_RG, move_backup_vault=None,
        move_backup_source_vault=None, move_backup_source_vault_resource_group=None)
    del move["move_push_accounts"]
    move = {k: v for k, v in move.items() if v is not None}
    move["move_connections"] = [
        {"name": "source", "ca_bundle": endpoints["ca_bundle"]},
        {"name": "target", "ca_bundle": endpoints["ca_bundle"], "profile": "target",
         "credentials_file": "{{ azmove_target_credentials_file }}"}]
    move.update(more)
    return move


def test_replicate_runs_under_ansible_runner_with_a_result_per_machine_and_no_secret(sim, tmp_path):
    endpoints = sim[0]
    runner = Runner(endpoints, tmp_path)
    prepared(runner, endpoints, tmp_path)

    # The job's private data directory, as AWX lays it out: the project, the inventory source, the credentials.
    job = tmp_path / "job"
    shutil.copytree(AWX / "project", job / "project")
    (job / "inventory").mkdir()
    source = yaml.safe_load((AWX / "project" / "inventories" / "source.azure_vms.yml").read_text())
    source["ca_bundle"] = endpoints["ca_bundle"]  # the simulator's CA (its cloud comes from the credential)
    (job / "inventory" / "source.azure_vms.yml").write_text(yaml.safe_dump(source))
    files = job / "credentials"  # AWX writes a credential's files into the job's private data directory
    files.mkdir(mode=0o700)
    envvars, extravars = {}, {}
    for name, key in (("Azure move: source cloud (Government)", "gov"), ("Azure move: target cloud (public)", "public")):
        env, extra = inject(credential_type(name), cloud_inputs(endpoints, key), files)
        envvars.update(env)
        extravars.update(extra)
    # Nothing from the developer's own Azure setup may leak in (ansible-runner starts from this process's environment).
    envvars.update({k: "" for k in os.environ if k.startswith("AZURE_") and k not in envvars})
    envvars.update({"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections"), "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
                    "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")})
    extravars.update(move_variables(endpoints, tmp_path))

    result = ansible_runner.run(private_data_dir=str(job), playbook="playbooks/replicate.yml", inventory=str(job / "inventory"),
                                limit="wave_1", envvars=envvars, extravars=extravars, quiet=True, timeout=300)
    artifacts = result.config.artifact_dir
    stdout = open(os.path.join(artifacts, "stdout"), encoding="utf-8").read()
    assert (result.status, result.rc) == ("successful", 0), stdout[-6000:]
    assert sorted(result.stats["ok"]) == WAVE and not result.stats["failures"], stdout[-6000:]

    events = list(result.events)
    results = [e for e in events if e["event"].startswith("runner_on_") and e["event_data"].get("task", "").startswith(PER_HOST_TASK)]
    per_host = {}
    for event in results:
        per_host.setdefault(event["event_data"]["host"], []).append(event)
    # Exactly one ok-or-failed per machine on the per-host step, and it is that machine's own result.
    assert sorted(per_host) == WAVE, sorted(per_host)
    for host, host_events in per_host.items():
        finished = [e for e in host_events if e["event"] in ("runner_on_ok", "runner_on_failed")]
        assert len(finished) == 1, (host, [e["event"] for e in host_events])
        res = finished[0]["event_data"]["res"]
        assert finished[0]["event"] == "runner_on_ok" and res["msg"] == "%s is protected" % host, res
        assert res["changed"] is True, res  # enabled by this run: shown on its own host
    # The batch step ran once for the wave and holds each machine's result under its name.
    batch = [e for e in events if e["event"] == "runner_on_ok" and e["event_data"].get("task") == BATCH_TASK]
    assert len(batch) == 1, [e["event"] for e in events if e["event_data"].get("task") == BATCH_TASK]
    machines = batch[0]["event_data"]["res"]["machines"]
    assert sorted(machines) == WAVE and not [m for m in machines.values() if m["failed"]], machines

    # No secret in any event or any artifact file: the credentials reached the modules through the credentials files
    # only (the job's environment, which ansible-runner writes to artifacts/<ident>/command, holds their path).
    secrets = [endpoints["clouds"][key]["client_secret"] for key in ("gov", "public")] + [PASSWORD]
    assert all(secrets), secrets
    for event in events:
        text = json.dumps(event)
        assert not [s for s in secrets if s in text], event["event"]
    for folder, unused, names in os.walk(artifacts):
        for name in names:
            data = open(os.path.join(folder, name), encoding="utf-8", errors="replace").read()
            assert not [s for s in secrets if s in data], os.path.join(folder, name)
    command = json.loads(open(os.path.join(artifacts, "command"), encoding="utf-8").read())
    assert command["env"]["AZURE_CREDENTIALS_FILE"].startswith(str(files)) and command["env"]["AZURE_PROFILE"] == "source"
