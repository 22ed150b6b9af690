"""CLI: serve | start | stop | wait | register-cs | mark-classic-vault | register-appliance | appliance-key |
add-credential | add-server | remove-server | appliance-health  (see README.md)."""
import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request


def _add_serve_args(p):
    p.add_argument("--state-dir", required=True)
    p.add_argument("--time-factor", type=float, default=None,
                   help="scale for simulated durations (default 0 = instant; kept from the last run if omitted)")
    p.add_argument("--seed", help="seed document (JSON) applied at start")
    p.add_argument("--faults", help="JSON list of fault rules applied at start")
    p.add_argument("--token-lifetime", type=int, default=3600)
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--arm-throttle", default=None,
                   help="ARM's token buckets (azsim/throttle.py): on (the documented sizes and refill rates, the "
                        "default), off, or KIND=SIZE/REFILL,... e.g. reads=1000/100; default from AZSIM_ARM_THROTTLE")
    p.add_argument("--mirror-rcm-protectable-items", action="store_true",
                   help="leniency: also list appliance-discovered machines as InMageRcm protectable items (real Azure "
                        "keeps them in Microsoft.OffAzure only)")
    p.add_argument("--port-base", type=int, default=None,
                   help="fixed ports: gov arm, gov login, public arm, public login, admin = base..base+4")
    p.add_argument("--lro-style", choices=["both", "location", "mixed"], default=None,
                   help="Site Recovery protected-item actions: Azure-AsyncOperation + Location (both), Location "
                        "only (location), or about half each by item and action (mixed, the default); kept from "
                        "the last run if omitted")
    p.add_argument("--transient-health-ratio", type=float, default=None,
                   help="share of replicated items whose health turns Critical for a while during initial "
                        "replication (default 0.33; kept from the last run if omitted)")


def _health(state_dir):
    path = os.path.join(state_dir, "endpoints.json")
    if not os.path.exists(path):
        return False
    try:
        with open(path) as fh:
            ep = json.load(fh)
        ctx = ssl.create_default_context(cafile=ep["ca_bundle"])
        req = urllib.request.Request(ep["admin"]["url"] + "/health",
                                     headers={"Authorization": "Bearer " + ep["admin"]["token"]})
        with urllib.request.urlopen(req, context=ctx, timeout=2) as resp:
            return resp.status == 200
    except Exception:  # noqa: BLE001
        return False


def wait(state_dir, timeout=30.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if _health(state_dir):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def stop(state_dir, timeout=15.0):
    pid_path = os.path.join(state_dir, "azsim.pid")
    if not os.path.exists(pid_path):
        return 0
    with open(pid_path) as fh:
        pid = int(fh.read().strip() or 0)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        os.unlink(pid_path)
        return 0
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 0
        # reap if it is our child (testing helper path)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return 1


def start(args, argv):
    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    if _health(state_dir):
        print("azsim already running", file=sys.stderr)
        return 0
    cmd = [sys.executable, "-m", "azsim", "serve"] + argv
    env = dict(os.environ)
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with open(os.path.join(state_dir, "azsim.log"), "ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
    if not wait(state_dir, 30, proc):
        print(f"azsim did not become ready; see {state_dir}/azsim.log", file=sys.stderr)
        return 1
    with open(os.path.join(state_dir, "endpoints.json")) as fh:
        sys.stdout.write(fh.read() + "\n")
    return 0


def register_cs(args):
    """Register a Site Recovery configuration server through the admin API; print its ids as JSON."""
    from .testing import AdminClient, AdminError, read_endpoints
    accounts = []
    for spec in args.account or []:
        name, sep, user = spec.partition("=")
        if not sep or not name or not user:
            print(f"--account must be NAME=USERNAME, not '{spec}'", file=sys.stderr)
            return 1
        accounts.append({"name": name, "username": user})
    try:
        with open(args.vault_credentials, encoding="utf-8-sig") as fh:
            creds = fh.read()
        result = AdminClient(read_endpoints(os.path.abspath(args.state_dir))).register_configuration_server(
            creds, args.name, args.ip, accounts, args.process_server_ip, args.existing_classic)
    except AdminError as err:
        try:
            reason = json.loads(err.body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            reason = err.body
        print(f"registration refused: {reason}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"cannot register: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


def _admin_call(args, what, call):
    """Run an AdminClient call for a Site Recovery CLI command: JSON on stdout (exit 0), or `<what> refused: <reason>`
    on stderr (exit 1)."""
    from .testing import AdminClient, AdminError, read_endpoints
    try:
        result = call(AdminClient(read_endpoints(os.path.abspath(args.state_dir))))
    except AdminError as err:
        try:
            reason = json.loads(err.body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            reason = err.body
        print(f"{what} refused: {reason}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"cannot reach the simulator: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


def _appliance_commands(sub):
    """Site Recovery, modernized (replication appliance): the appliance configuration manager's steps."""
    p = sub.add_parser("register-appliance", help="register a replication appliance (InMageRcm) with a vault")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--subscription", help="the vault's subscription (or give --appliance-key)")
    p.add_argument("--resource-group", help="the vault's resource group")
    p.add_argument("--vault", help="the Recovery Services vault (public cloud)")
    p.add_argument("--appliance-key", help="the vault's replication appliance key (see appliance-key)")
    p.add_argument("--name", required=True, help="appliance name (its computer name)")
    p.add_argument("--ip", required=True, help="the appliance's IPv4 address")
    p = sub.add_parser("appliance-key", help="print a vault's replication appliance key (what the portal shows)")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--subscription", required=True)
    p.add_argument("--resource-group", required=True)
    p.add_argument("--vault", required=True)
    p = sub.add_parser("add-credential", help="add a credential (run-as account) to a replication appliance")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--name", required=True, help="friendly name (the run-as account's displayName)")
    p.add_argument("--username", required=True)
    p.add_argument("--os", required=True, choices=["Windows", "Linux"])
    p.add_argument("--appliance", help="appliance name (needed when several are registered)")
    p.add_argument("--site", choices=["physical", "vmware"], default="physical", help="the appliance's site")
    p = sub.add_parser("add-server", help="add a physical server to a replication appliance")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--ip", required=True, metavar="IP_OR_FQDN", help="IPv4 address or FQDN of the server")
    p.add_argument("--credential", required=True, help="friendly name of a credential added with add-credential")
    p.add_argument("--appliance", help="appliance name (needed when several are registered)")
    p.add_argument("--site", choices=["physical", "vmware"], default="physical", help="the appliance's site")
    p = sub.add_parser("remove-server", help="remove a server (its discovered machine stays, isDeleted true)")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--ip", required=True, metavar="IP_OR_FQDN", help="the address the server was added with")
    p.add_argument("--appliance", help="appliance name (needed when several are registered)")
    p.add_argument("--site", choices=["physical", "vmware"], default="physical", help="the appliance's site")
    p = sub.add_parser("appliance-health", help="mark a component of an appliance unhealthy / healthy")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--name", required=True, help="appliance name")
    p.add_argument("--component", required=True,
                   help="processServer | rcmProxy | pushInstaller | replicationAgent | reprotectAgent | marsAgent | "
                        "dra")
    p.add_argument("--healthy", action="store_true", help="healthy again (default: unhealthy)")
    p.add_argument("--error-code")
    p.add_argument("--message")


def _appliance_command(args):
    if args.cmd == "register-appliance":
        return _admin_call(args, "registration", lambda a: a.register_appliance(
            args.name, args.ip, args.subscription, args.resource_group, args.vault, args.appliance_key))
    if args.cmd == "appliance-key":
        return _admin_call(args, "appliance key", lambda a: {"appliance_key": a.appliance_key(
            args.subscription, args.resource_group, args.vault)})
    if args.cmd == "add-credential":
        return _admin_call(args, "credential", lambda a: a.add_credential(args.name, args.username, args.os,
                                                                          args.appliance, args.site))
    if args.cmd == "add-server":
        return _admin_call(args, "server", lambda a: a.add_server(args.ip, args.credential, args.appliance,
                                                                  args.site))
    if args.cmd == "remove-server":
        return _admin_call(args, "server removal", lambda a: a.remove_server(args.ip, args.appliance, args.site))
    return _admin_call(args, "health change", lambda a: a.set_appliance_health(
        args.name, args.component, args.healthy, args.error_code, args.message))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="azsim")
    sub = parser.add_subparsers(dest="cmd", required=True)
    _add_serve_args(sub.add_parser("serve", help="run in the foreground"))
    _add_serve_args(sub.add_parser("start", help="run in the background, wait until ready"))
    p = sub.add_parser("stop")
    p.add_argument("--state-dir", required=True)
    p = sub.add_parser("wait")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--timeout", type=float, default=30)
    p = sub.add_parser("register-cs", help="register a Site Recovery configuration server with a vault")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--vault-credentials", required=True, help=".VaultCredentials file")
    p.add_argument("--name", required=True, help="configuration server name (the fabric's friendly name)")
    p.add_argument("--ip", required=True)
    p.add_argument("--account", action="append", metavar="NAME=USERNAME", help="run-as account (repeatable)")
    p.add_argument("--process-server-ip", help="IP of the process server (default: --ip)")
    p.add_argument("--existing-classic", action="store_true",
                   help="the vault is an existing classic vault: enabling classic replication stays allowed after "
                        "the retirement (January 31, 2026)")
    p = sub.add_parser("mark-classic-vault", help="mark a vault as an existing classic vault (classic enables allowed)")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--subscription", required=True)
    p.add_argument("--resource-group", required=True)
    p.add_argument("--vault", required=True)
    p.add_argument("--unmark", action="store_true", help="remove the mark")
    _appliance_commands(sub)
    args = parser.parse_args(argv)
    if args.cmd == "serve":
        from .server import serve
        return serve(args)
    if args.cmd == "start":
        return start(args, argv[1:])
    if args.cmd == "stop":
        return stop(os.path.abspath(args.state_dir))
    if args.cmd == "wait":
        return 0 if wait(os.path.abspath(args.state_dir), args.timeout) else 1
    if args.cmd == "register-cs":
        return register_cs(args)
    if args.cmd == "mark-classic-vault":
        return _admin_call(args, "mark", lambda a: a.mark_classic_vault(args.subscription, args.resource_group,
                                                                        args.vault, not args.unmark))
    if args.cmd in ("register-appliance", "appliance-key", "add-credential", "add-server", "remove-server",
                    "appliance-health"):
        return _appliance_command(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
