"""Secrets never show: the whole demo (both waves, decommission and cleanup) run at -vvvv with known secret values,
then every line it printed and every file it wrote is searched for them. The inputs a user keeps in Ansible Vault
(move.yml, the inventory file) and the simulator's own files (its endpoints and database: Azure's side) are not
outputs of the run; a vault credentials file, if the run writes one, must be mode 0600."""

import os
import stat
import subprocess
import sys

import yaml

from conftest import ROOT

PASSWORD = "Demo-Push-9f31c7a2e5"  # pragma: allowlist secret  (a test value)
INPUTS = {"move.yml", "source.azure_vms.yml", "endpoints.json", "azsim.sqlite", "azsim.sqlite-wal", "azsim.sqlite-shm"}


def test_the_demo_at_vvvv_shows_no_secret_anywhere(tmp_path):
    state, home = tmp_path / "state", tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, ANSIBLE_VERBOSITY="4", DEMO_PUSH_PASSWORD=PASSWORD, HOME=str(home),
               ANSIBLE_HOME=str(home / ".ansible"), ANSIBLE_LOCAL_TEMP=str(home / "tmp"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), PYTHONPATH=str(ROOT / "tests" / "simulator"))
    for key in list(env):
        if key.startswith("AZURE_"):
            del env[key]
    done = subprocess.run(["bash", str(ROOT / "tests" / "demo" / "run-demo.sh"), str(state), "0.002"], env=env,
                          capture_output=True, text=True, timeout=1500, check=False, cwd=str(tmp_path))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "Demo finished" in output and "ESTABLISH LOCAL CONNECTION" in output  # it did run, at -vvvv
    # cleanup runs after decommission has emptied the inventory: the demo keeps Ansible's warning about it quiet.
    assert "provided hosts list is empty" not in output, output[-6000:]

    move = yaml.safe_load((state / "move.yml").read_text())  # the simulator's own endpoints file goes when it stops
    secrets = {PASSWORD: "the push-install password"}
    for conn in move["move_connections"]:
        secrets[conn["client_secret"]] = "the client secret of connection %s" % conn["name"]
    assert len(secrets) == 3 and move["move_push_accounts"]["Linux"]["password"] == PASSWORD
    assert all(len(s) >= 12 for s in secrets)

    found = [name for secret, name in secrets.items() if secret in output]
    assert not found, "printed: %s" % found
    written = [p for p in tmp_path.rglob("*") if p.is_file()]  # the state dir, HOME and Ansible's temp files
    assert any(p.name == "wave-report.html" for p in written) and any(p.name == "azsim.log" for p in written)
    for path in written:
        if path.name in INPUTS and path.parent == state:
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        leaked = [name for secret, name in secrets.items() if secret in text]
        assert not leaked, "%s holds %s" % (path, leaked)
        if path.suffix == ".VaultCredentials":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    # The demo ends with the move page: every sample machine moved, its target VM, downtime, data-loss window, timeline.
    sys.path.insert(0, str(ROOT / "tests" / "demo"))
    import check_report  # noqa: E402  (a helper script of the demo)
    check_report.check_move_page(state / "reports")
