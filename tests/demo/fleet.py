"""The demo's fleet: an azure_vms inventory of the Government VMs and the move's variables, for a running simulator;
and the replication appliance's own steps (its configuration manager on real Azure), played by the simulator.

Usage: python tests/demo/fleet.py files STATE_DIR          writes source.azure_vms.yml and move.yml (mode 0600)
       python tests/demo/fleet.py appliance STATE_DIR       waits for the vault, registers the appliance, adds the servers
"""

import json
import os
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "simulator"))

import connections  # noqa: E402  (a sibling script)

SEED = HERE.parent / "simulator" / "seed" / "demo.json"
APP_TAG = {"app": "contoso-app"}
# Friendly name (the appliance's credential) -> (username, OS); the run-as accounts the push install uses.
CREDENTIALS = {"winadmin": ("winadmin", "Windows"), "linuxroot": ("root", "Linux")}
CREDENTIAL_OF_OS = {"Windows": "winadmin", "Linux": "linuxroot"}


def inventory(endpoints, tags=None):
    """The azure_vms inventory plugin's configuration for the Government cloud (the source)."""
    gov = endpoints["clouds"]["gov"]
    return {"plugin": "azmove.site_recovery.azure_vms", "cloud": gov["metadata_url"], "ca_bundle": endpoints["ca_bundle"],
            "auth_source": "client_secret", "tenant_id": gov["tenant_id"], "client_id": gov["client_id"],
            "client_secret": gov["client_secret"], "subscription_id": gov["subscription_id"], "tags": tags or APP_TAG}


def move_variables(endpoints, report_dir, password, **overrides):
    """The move's variables (docs/waves.md) for the demo: everything lands in rg-landing-eastus."""
    move = {
        "move_connections": connections.connections(endpoints),
        "move_source_location": endpoints["clouds"]["gov"]["default_location"],
        "move_target_location": endpoints["clouds"]["public"]["default_location"],
        "move_vault": "rsv-move-demo", "move_vault_resource_group": "rg-landing-eastus",
        "move_source_server": "asr-gov-01", "move_source_server_timeout": 600,
        "move_policy": "gov-to-public-3d", "move_retention_hours": 72,
        "move_target_resource_group": "rg-landing-eastus",
        "move_target_network": "vnet-app-gov", "move_target_network_resource_group": "rg-landing-eastus",
        "move_test_network": "vnet-app-gov-test", "move_test_network_resource_group": "rg-landing-eastus",
        "move_cache_storage_account": "stmovecacheeastus", "move_cache_storage_account_resource_group": "rg-landing-eastus",
        "move_run_as_accounts": dict(CREDENTIAL_OF_OS),
        "move_push_accounts": {"Windows": {"username": "winadmin", "password": password},
                               "Linux": {"username": "root", "password": password}},
        "move_poll_interval": 2,
        "move_report_dir": str(report_dir),
        "move_backup_source_vault": "rsv-backup-gov", "move_backup_source_vault_resource_group": "rg-app-gov",
        "move_backup_vault": "rsv-backup-eastus",
        "move_decommission_confirm": False,
    }
    move.update(overrides)
    return move


def servers(tags=None):
    """(IP, credential friendly name) of each seeded Government VM with the fleet's tags."""
    with open(SEED, encoding="utf-8") as handle:
        vms = json.load(handle)["gov"]["virtual_machines"]
    want = tags or APP_TAG
    return [(vm["private_ip"], CREDENTIAL_OF_OS[vm["os_type"]]) for vm in vms
            if all((vm.get("tags") or {}).get(k) == v for k, v in want.items())]


def play_appliance(state_dir, vault, resource_group, name, ip="10.10.1.20", server_list=None, timeout=600, out=None):
    """What an administrator does in the appliance's configuration manager once the vault exists: register it with
    the vault, add the credentials, add the servers. Waits for the vault (prepare creates it). Idempotent."""
    from azsim.testing import AdminClient, AdminError, read_endpoints
    endpoints = read_endpoints(os.path.abspath(state_dir))
    admin = AdminClient(endpoints)
    sub = endpoints["clouds"]["public"]["subscription_id"]
    deadline = time.time() + timeout
    while True:
        try:
            admin.register_appliance(name, ip, sub, resource_group, vault, None)
            break
        except AdminError as err:
            if time.time() > deadline or "not found" not in err.body.lower():
                raise
            time.sleep(2)
    for cred, (username, os_type) in CREDENTIALS.items():
        admin.add_credential(cred, username, os_type, name)
    for address, cred in server_list if server_list is not None else servers():
        admin.add_server(address, cred, name)
    if out:
        out.write(f"   (appliance {name}: registered with {vault}, {len(server_list or servers())} servers added)\n")


def write_files(state_dir, password):
    endpoints = connections.load(state_dir)
    old = os.umask(0o077)
    try:
        Path(state_dir, "source.azure_vms.yml").write_text(yaml.safe_dump(inventory(endpoints), sort_keys=False))
        Path(state_dir, "move.yml").write_text(yaml.safe_dump(
            move_variables(endpoints, Path(state_dir, "reports"), password), sort_keys=False))
    finally:
        os.umask(old)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("files", "appliance"):
        sys.exit(__doc__)
    if sys.argv[1] == "files":
        write_files(sys.argv[2], os.environ.get("DEMO_PUSH_PASSWORD") or os.urandom(12).hex() + "Aa1!")
    else:
        with open(Path(sys.argv[2], "move.yml"), encoding="utf-8") as fh:
            move = yaml.safe_load(fh)
        play_appliance(sys.argv[2], move["move_vault"], move["move_vault_resource_group"], move["move_source_server"],
                       out=sys.stdout)
