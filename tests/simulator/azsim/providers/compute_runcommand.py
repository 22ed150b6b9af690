"""Microsoft.Compute virtualMachines/runCommand (the action Run Command) and a model of the guest it runs in.

    POST .../virtualMachines/{vm}/runCommand   {"commandId", "script": [lines], "parameters": [{name, value}]}
      -> 202, Azure-AsyncOperation .../providers/Microsoft.Compute/locations/{loc}/operations/{id}
              Location             the same URL with monitor=true
    GET  .../locations/{loc}/operations/{id}                 {"status", "startTime", "endTime"?, "properties":
                                                              {"output": RunCommandResult}} once done
    GET  .../locations/{loc}/operations/{id}?monitor=true    202 while running, then 200 + RunCommandResult

A Run Command takes 30 s (× time factor); one runs per VM at a time. A simulator cannot run scripts, so it
recognises the collection's own host preparation scripts (plugins/module_utils/_host_preparation.py) by their first
line, reads their settings (the literals in their first lines) and the statements they make changes with, and
plays them against the guest: for a Government VM, the Site Recovery host facts of its private IPs (the push install
reads them, siterecovery_cs.HOST_DEFAULTS); for any other VM, a record of its own. The output is what the script
prints for that state. Any other script runs and prints nothing.

Each run is recorded (admin GET /run-commands) with its script and its parameters' names; parameter values are
never stored. A password parameter is kept only as an HMAC (with the simulator's signing key) in the guest model,
so a later run can tell whether the same password is given again.
"""
import base64
import binascii
import copy
import hashlib
import hmac
import json
import re
import shlex
import time
import uuid

from ..arm import ROUTER, ArmError
from ..httpbase import Response
from ..sim import iso
from . import siterecovery_cs
from .compute import COMPUTE_VERSIONS, DELETE_KIND, P, VM_TYPE, _get, compute_operation_status
from .compute_power import POWER_KIND
from .siterecovery import ACTIONS

RUN_SECONDS = 30  # Run Command takes about 20-30 s at the least
RETRY_SECONDS = 10
OUTPUT_LIMIT = 4096  # Azure returns the last 4096 bytes of each stream
OPS = "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations"
OPS_TYPE = "Microsoft.Compute/locations/operations"
COMMANDS = {"runpowershellscript": ("RunPowerShellScript", "Windows"), "runshellscript": ("RunShellScript", "Linux")}
REDACTED = "(not stored)"
MODE, SECRET = "azmove_mode", "azmove_secret"  # the scripts' parameters (names compared case-insensitively)

SIGNATURE = re.compile(r"^# azmove\.site_recovery host preparation \((windows|linux)\) v1\b")
SETTINGS = {
    "windows": {"account": r"^\$Account = (.*)$", "account_kind": r"^\$AccountKind = (.*)$", "state": r"^\$State = (.*)$",
                "firewall": r"^\$ManageFirewall = (.*)$", "update_password": r"^\$UpdatePassword = (.*)$"},
    "linux": {"state": r"^STATE=(.*)$", "authorized_key": r"^AUTHORIZED_KEY=(.*)$",
              "update_password": r"^UPDATE_PASSWORD=(.*)$", "update_ca_certificates": r"^UPDATE_CA_CERTIFICATES=(.*)$"},
}
# The statements each change is made with; a change whose statement is not in the script is an error, so the
# simulator and the scripts cannot drift apart silently.
STATEMENTS = {
    "windows": {
        "check_switch": "$Check = $AZMOVE_MODE -ne 'apply'",
        "registry_set": "New-ItemProperty -Path $PolicyKey -Name LocalAccountTokenFilterPolicy -Value 1 -PropertyType DWord",
        "registry_restore": "Remove-ItemProperty -Path $MarkerKey -Name LocalAccountTokenFilterPolicyBefore",
        "account_create": "New-LocalUser @NewUser",
        "account_enable": "Enable-LocalUser -Name $Account",
        "password_set": "Set-LocalUser -Name $Name -Password",
        "administrators_add": "Add-LocalGroupMember -SID $AdministratorsSid -Member $Account",
        "firewall_enable": "| Enable-NetFirewallRule",
    },
    "linux": {
        "check_switch": "if [ \"$MODE\" = apply ]; then CHECK=no; fi",
        "root_password_set": "printf 'root:%s\\n' \"$SECRET\" | chpasswd",
        "authorized_key_add": "printf '%s\\n' \"$AUTHORIZED_KEY\" >> \"$keys\"",
        "sshd_config_write": "cat \"$new\" > \"$SSHD_CONFIG\"",
        "sshd_reload": "systemctl reload-or-try-restart",
        "ca_certificates_update": "apt-get install -y -q --only-upgrade ca-certificates",
    },
}
NOTE_DOMAIN = ("{account} is a domain account: LocalAccountTokenFilterPolicy only matters for local accounts and is "
               "left as it is; manage the account and its rights in the domain.")
NOTE_NO_MARKER = "LocalAccountTokenFilterPolicy was not set by azmove.site_recovery; it is left as it is."
NOTE_NO_BLOCK = "sshd_config has no settings of azmove.site_recovery; it is left as it is."
ERROR_NO_ROOT = ("root has no password and no key was given: give the root password the replication appliance (or "
                 "configuration server) holds.")
SSHD_FACTS = {"password_authentication": "sshd_password_authentication", "permit_root_login": "sshd_permit_root_login",
              "sftp_subsystem": "sftp_subsystem"}
EMPTY = {"azmove_markers": dict, "root_authorized_keys": list}  # host facts that default to None
WANTED_SSHD = {"sshd_password_authentication": True, "sshd_permit_root_login": "yes", "sftp_subsystem": True}


# -- the request -------------------------------------------------------------------------------------------------
@ROUTER.route("POST", P + "Microsoft.Compute/virtualMachines/{name}/runCommand", rtype=VM_TYPE,
              api_versions=COMPUTE_VERSIONS)
def run_command(ctx, req, p):
    vm = _get(ctx, p, VM_TYPE, "virtualMachines", VM_TYPE)
    try:
        body = req.json() or {}
    except ValueError:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
    command_id = body.get("commandId")
    if not command_id:
        raise ArmError(400, "InvalidParameter", "Required parameter 'commandId' is missing (null).", target="commandId")
    if str(command_id).lower() not in COMMANDS:  # the predefined commands (ipconfig, ...) are not simulated
        raise ArmError(404, "NotFound", "The entity was not found in this Azure location.")
    command_id, command_os = COMMANDS[str(command_id).lower()]
    script = body.get("script") or []
    parameters = body.get("parameters") or []
    if not isinstance(script, list) or not all(isinstance(line, str) for line in script):
        raise ArmError(400, "InvalidParameter", "The value of parameter 'script' is invalid.", target="script")
    if not isinstance(parameters, list) or not all(isinstance(x, dict) and x.get("name") and "value" in x
                                                   for x in parameters):
        raise ArmError(400, "InvalidParameter", "Each run command parameter needs a name and a value.",
                       target="parameters")
    if vm.get("azsim", {}).get("power_state", "running") != "running":
        raise ArmError(409, "OperationNotAllowed", "The operation requires the VM to be running (or set to run).")
    vm_os = vm["properties"]["storageProfile"]["osDisk"]["osType"]
    if vm_os.lower() != command_os.lower():
        raise ArmError(409, "Conflict", f"Run command OS type '{command_os}' does not match the target OS {vm_os}.")
    busy_key = f"runcommand_busy:{ctx.cloud}:{vm['id'].lower()}"
    with ctx.store.lock:
        running = ctx.store.get_meta(busy_key)
        if running and ctx.sim.operation_status(running)[0] == "InProgress":
            raise ArmError(409, "Conflict", "Run command extension execution is in progress. Please wait for "
                                            "completion before invoking a run command.")
        plan = interpret(ctx.sim, script, parameters)
        record_id = str(uuid.uuid4())
        _add_record(ctx.sim, ctx.cloud, vm, {
            "id": record_id, "operation": None, "time": iso(time.time()), "vm_id": vm["id"], "vm_name": vm["name"],
            "command_id": command_id, "script": script,
            "parameters": [{"name": x["name"], "value": REDACTED} for x in parameters],
            "recognised": plan["recognised"], "os": plan.get("os"), "mode": plan.get("mode"), "status": "Running",
            "exit_code": None, "stdout": None, "stderr": None, "changes": None})
        op_id = ctx.sim.start_operation(
            ctx.cloud, "runcommand", RUN_SECONDS,
            {"name": "compute_run_command", "vm_id": vm["id"], "record": record_id, "plan": plan,
             "on_failure": {"name": "compute_run_command_failed", "vm_id": vm["id"], "record": record_id}},
            req.method, req.path)
        ctx.store.set_meta(busy_key, op_id)
        index = {"cloud": ctx.cloud, "vm_id": vm["id"], "record": record_id, "os": command_os}
        ctx.store.set_meta("runcommand_op:" + op_id, index)
        _update_record(ctx.sim, ctx.cloud, vm["id"], record_id, operation=op_id)
    ops = OPS.format(sub=p["sub"], loc=vm["location"]) + "/" + op_id
    headers = {"Azure-AsyncOperation": ctx.url(ops), "Location": ctx.url(ops, monitor="true")}
    headers.update(ctx.sim.retry_after_headers(RETRY_SECONDS, integer_only=True))  # the SDK reads it as an int
    return Response(202, b"", headers)


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations/{opId}",
              rtype=OPS_TYPE, api_versions=COMPUTE_VERSIONS)
def operation(ctx, req, p):
    status, op = ctx.sim.operation_status(p["opId"])
    index = ctx.store.get_meta("runcommand_op:" + p["opId"])
    if op is not None and index is None and op["cloud"] == ctx.cloud and op["kind"] in (DELETE_KIND, POWER_KIND):
        return compute_operation_status(ctx, req, p, op)  # a VM delete, start, power off or deallocate shares this URL
    if op is None or index is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "NotFound", "The entity was not found in this Azure location.")
    monitor = (req.query_lower.get("monitor") or "").lower() == "true"
    retry = ctx.sim.retry_after_headers(RETRY_SECONDS)
    if monitor:
        if status == "InProgress":
            return Response(202, b"", dict(retry, Location=ctx.url(req.path, monitor="true")))
        if status == "Failed":
            return Response(400, {"error": _error(op)})
        return Response(200, _result(ctx.sim, ctx.cloud, index))
    body = {"startTime": iso(op["created"]), "status": status, "name": p["opId"]}
    if status != "InProgress":
        body["endTime"] = iso(op["due"])
    if status == "Succeeded":
        body["properties"] = {"output": _result(ctx.sim, ctx.cloud, index)}
    if status == "Failed":
        body["error"] = _error(op)
    return Response(200, body, retry if status == "InProgress" else {})


def _error(op):
    return {"code": op["failure"]["code"], "message": op["failure"]["message"]}


def _tail(text):
    data = (text or "").encode()
    return data[-OUTPUT_LIMIT:].decode(errors="ignore")


def _result(sim, cloud, index):
    """RunCommandResult: Windows two component statuses, Linux one provisioning state with both streams."""
    record = _record(sim, cloud, index["vm_id"], index["record"]) or {}
    out, err, code = _tail(record.get("stdout")), _tail(record.get("stderr")), record.get("exit_code") or 0
    if index["os"] == "Windows":  # a PowerShell exit code does not reach the API
        return {"value": [
            {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
             "message": out},
            {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
             "message": err}]}
    if code == 0:
        return {"value": [{"code": "ProvisioningState/succeeded", "level": "Info",
                           "displayStatus": "Provisioning succeeded",
                           "message": f"Enable succeeded: \n[stdout]\n{out}\n[stderr]\n{err}"}]}
    return {"value": [{"code": "ProvisioningState/failed/0", "level": "Error", "displayStatus": "Provisioning failed",
                       "message": f"Enable failed: failed to execute command: command terminated with exit "
                                  f"status={code}\n[stdout]\n{out}\n[stderr]\n{err}"}]}


# -- records (admin GET /run-commands) -------------------------------------------------------------------------------
def _key(cloud, vm_id):
    return f"runcommands:{cloud}:{vm_id.lower()}"


def _add_record(sim, cloud, vm, record):
    with sim.store.lock:
        records = sim.store.get_meta(_key(cloud, vm["id"])) or []
        records.append(record)
        sim.store.set_meta(_key(cloud, vm["id"]), records)


def _record(sim, cloud, vm_id, record_id):
    return next((r for r in sim.store.get_meta(_key(cloud, vm_id)) or [] if r["id"] == record_id), None)


def _update_record(sim, cloud, vm_id, record_id, **fields):
    with sim.store.lock:
        records = sim.store.get_meta(_key(cloud, vm_id)) or []
        for record in records:
            if record["id"] == record_id:
                record.update(fields)
        sim.store.set_meta(_key(cloud, vm_id), records)


def recorded(sim, cloud, vm_name=None):
    """Every Run Command sent to the VMs of a cloud named `vm_name` (all VMs without it), oldest first."""
    out = []
    for row in sim.store.query("SELECT value FROM meta WHERE key LIKE ?", (f"runcommands:{cloud}:%",)):
        out.extend(r for r in json.loads(row["value"]) if not vm_name or r["vm_name"].lower() == vm_name.lower())
    return sorted(out, key=lambda r: r["time"])


# -- reading the script ------------------------------------------------------------------------------------------
def _literal(os_name, text):
    text = text.strip()
    if os_name == "windows":
        if text in ("$true", "$false"):
            return text == "$true"
        if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
            return re.sub(r"(['\u2018\u2019\u201a\u201b])\1", r"\1", text[1:-1])
        return None
    words = shlex.split(text)
    return words[0] if words else ""


def secret_digest(sim, password):
    return hmac.new(sim.signing_key, b"azsim guest password:" + password.encode(), hashlib.sha256).hexdigest()


def interpret(sim, script, parameters):
    """What a script would do, as plain data without any secret: its OS, settings, statements, mode, password HMAC."""
    lines = [line.rstrip("\r") for line in script]
    match = next((m for m in (SIGNATURE.match(line) for line in lines[:3]) if m), None)
    if match is None:
        return {"recognised": False}
    os_name = match.group(1)
    text = "\n".join(lines)
    settings = {}
    for key, pattern in SETTINGS[os_name].items():
        found = next((m for m in (re.match(pattern, line) for line in lines[:12]) if m), None)
        settings[key] = _literal(os_name, found.group(1)) if found else None
    values = {x["name"].lower(): str(x["value"]) for x in parameters}
    statements = sorted(k for k, statement in STATEMENTS[os_name].items() if statement in text)
    mode = "apply" if values.get(MODE) == "apply" and "check_switch" in statements else "check"
    secret = None
    if values.get(SECRET):
        try:
            secret = secret_digest(sim, base64.b64decode(values[SECRET], validate=True).decode("utf-8"))
        except (binascii.Error, ValueError):
            secret = "undecodable"
    return {"recognised": True, "os": os_name, "settings": settings, "statements": statements, "mode": mode,
            "secret": secret}


# -- the guest -----------------------------------------------------------------------------------------------------
def private_ips(sim, cloud, vm):
    ips = []
    for ref in vm["properties"].get("networkProfile", {}).get("networkInterfaces", []):
        nic = sim.store.get_resource(cloud, ref["id"]) or {}
        ips += [c["properties"].get("privateIPAddress") for c in nic.get("properties", {}).get("ipConfigurations", [])]
    return [ip for ip in ips if ip]


def guest_facts(sim, cloud, vm):
    """The guest's facts: a Government VM's are the host facts of its first private IP (what push install reads)."""
    ips = private_ips(sim, cloud, vm)
    if cloud == "gov" and ips:
        return siterecovery_cs.host_facts(sim, ips[0])
    return dict(siterecovery_cs.HOST_DEFAULTS, **(sim.store.get_meta(f"guest:{cloud}:{vm['id'].lower()}") or {}))


def save_guest(sim, cloud, vm, changes):
    ips = private_ips(sim, cloud, vm)
    if cloud == "gov" and ips:
        for ip in ips:
            siterecovery_cs.set_host(sim, ip, **changes)
        return
    key = f"guest:{cloud}:{vm['id'].lower()}"
    sim.store.set_meta(key, dict(sim.store.get_meta(key) or {}, **changes))


class Run:
    """One script run against the guest's facts: changes, notes and errors the way the real script reports them."""

    def __init__(self, plan, facts):
        self.plan, self.settings, self.facts = plan, plan["settings"], facts
        self.check = plan["mode"] != "apply"
        self.secret = plan["secret"] if plan["secret"] != "undecodable" else None
        self.changes, self.notes, self.errors, self.new = [], [], [], {}
        if plan["secret"] == "undecodable":
            self.errors.append("The password parameter could not be decoded.")

    def get(self, key):
        value = self.new[key] if key in self.new else self.facts[key]
        if value is None and key in EMPTY:
            value = EMPTY[key]()
        return copy.deepcopy(value)

    def change(self, word, statement, **facts):
        if statement not in self.plan["statements"]:
            self.errors.append(f"azsim: the script has no statement for {statement} ({STATEMENTS[self.plan['os']]})")
            return
        self.changes.append(word)
        self.new.update(facts)


class WindowsRun(Run):
    def __init__(self, plan, facts, admin_user):
        super().__init__(plan, facts)
        self.account = self.settings["account"] or ""
        if self.facts["local_users"] is None:  # not modelled yet: the VM's admin user alone
            self.facts = dict(self.facts, local_users={admin_user: {"enabled": True, "password": None}},
                              local_admins=[admin_user])

    def user(self, users=None):
        users = self.get("local_users") if users is None else users
        return next((v for k, v in users.items() if k.lower() == self.account.lower()), None)

    def state(self):
        user = self.user() if self.settings["account_kind"] == "local" else None
        local = self.settings["account_kind"] == "local"
        current = None
        if user and user["enabled"] and self.secret and self.settings["update_password"] == "always":
            current = user["password"] == self.secret
        return {"local_account_token_filter_policy": self.get("local_account_token_filter_policy"),
                "azmove_marker": "local_account_token_filter_policy" in self.get("azmove_markers"),
                "account_exists": (user is not None) if local else None,
                "account_enabled": user["enabled"] if user else None,
                "account_in_administrators": (self.account.lower() in [a.lower() for a in self.get("local_admins")])
                if user else (False if local else None),
                "password_current": current,
                "firewall_file_and_printer_sharing": self.get("firewall_file_printer_sharing"),
                "firewall_wmi": self.get("firewall_wmi")}

    def present(self):
        before = self.state()
        if self.settings["account_kind"] == "local":
            if before["local_account_token_filter_policy"] != 1:
                markers = self.get("azmove_markers")
                markers.setdefault("local_account_token_filter_policy", before["local_account_token_filter_policy"])
                self.change("registry_value_set", "registry_set", local_account_token_filter_policy=1,
                            azmove_markers=markers)
            users = self.get("local_users")
            name = next((k for k in users if k.lower() == self.account.lower()), self.account)
            if not before["account_exists"]:
                if not self.secret:
                    self.errors.append(f"The local account {self.account} does not exist; give its password to "
                                       "create it.")
                else:
                    users[name] = {"enabled": True, "password": self.secret}
                    self.change("account_created", "account_create", local_users=users)
            else:
                if not before["account_enabled"]:
                    users[name] = dict(users[name], enabled=True)
                    self.change("account_enabled", "account_enable", local_users=users)
                if self.secret and self.settings["update_password"] == "always" and before["password_current"] is not True:
                    users[name] = dict(users[name], password=self.secret)
                    self.change("password_set", "password_set", local_users=users)
            if self.user() is not None and not before["account_in_administrators"]:
                self.change("added_to_administrators", "administrators_add",
                            local_admins=self.get("local_admins") + [name])
        else:
            self.notes.append(NOTE_DOMAIN.format(account=self.account))
        if self.settings["firewall"]:
            for word, fact in (("firewall_file_and_printer_sharing", "firewall_file_printer_sharing"),
                               ("firewall_wmi", "firewall_wmi")):
                if not before[word]:
                    self.change(word + "_enabled", "firewall_enable", **{fact: True})
        return before

    def absent(self):
        before = self.state()
        markers = self.get("azmove_markers")
        if "local_account_token_filter_policy" not in markers:
            self.notes.append(NOTE_NO_MARKER)
        else:
            previous = markers.pop("local_account_token_filter_policy")
            self.change("registry_value_restored", "registry_restore", local_account_token_filter_policy=previous,
                        azmove_markers=markers)
        return before


class LinuxRun(Run):
    def state(self):
        key = self.settings["authorized_key"]
        current = None
        if self.secret and self.settings["update_password"] == "always" and self.get("root_password_set"):
            current = self.get("root_password_digest") == self.secret
        return {"password_authentication": "yes" if self.get("sshd_password_authentication") else "no",
                "permit_root_login": self.get("sshd_permit_root_login"),
                "sftp_subsystem": bool(self.get("sftp_subsystem")),
                "root_password_set": bool(self.get("root_password_set")),
                "root_password_current": current,
                "authorized_key_present": (key in self.get("root_authorized_keys")) if key else None,
                "ca_certificates_current": bool(self.get("ca_certificates_current"))
                if self.settings["update_ca_certificates"] == "yes" else None,
                "azmove_sshd_block": "sshd_block" in self.get("azmove_markers")}

    def present(self):
        before = self.state()
        key = self.settings["authorized_key"]
        if self.secret:
            if not before["root_password_set"] or before["root_password_current"] is False:
                self.change("root_password_set", "root_password_set", root_password_set=True,
                            root_password_digest=self.secret)
        elif not before["root_password_set"] and not key:
            self.errors.append(ERROR_NO_ROOT)
        if key and not before["authorized_key_present"]:
            self.change("authorized_key_added", "authorized_key_add",
                        root_authorized_keys=self.get("root_authorized_keys") + [key])
        markers = self.get("azmove_markers")
        base = dict({fact: self.get(fact) for fact in WANTED_SSHD}, **markers.get("sshd_block", {}))
        words = {"sshd_password_authentication": "password_authentication_enabled",
                 "sshd_permit_root_login": "permit_root_login_enabled", "sftp_subsystem": "sftp_subsystem_enabled"}
        if any(self.get(fact) != wanted for fact, wanted in WANTED_SSHD.items()):
            markers["sshd_block"] = {fact: base[fact] for fact, wanted in WANTED_SSHD.items() if base[fact] != wanted}
            for fact, wanted in WANTED_SSHD.items():
                if self.get(fact) != wanted:
                    self.change(words[fact], "sshd_config_write", **{fact: wanted})
            self.change("sshd_reloaded", "sshd_reload", azmove_markers=markers)
        if self.settings["update_ca_certificates"] == "yes" and not before["ca_certificates_current"]:
            self.change("ca_certificates_updated", "ca_certificates_update", ca_certificates_current=True)
        return before

    def absent(self):
        before = self.state()
        markers = self.get("azmove_markers")
        if "sshd_block" not in markers:
            self.notes.append(NOTE_NO_BLOCK)
        else:
            restored = markers.pop("sshd_block")
            self.change("sshd_settings_restored", "sshd_config_write", **restored)
            self.change("sshd_reloaded", "sshd_reload", azmove_markers=markers)
        return before


def play(sim, cloud, vm, plan):
    """Run a recognised script against the guest: (stdout, stderr, exit code, changes). Applies changes in apply mode."""
    facts = guest_facts(sim, cloud, vm)
    if plan["os"] == "windows":
        admin_user = (vm["properties"].get("osProfile") or {}).get("adminUsername") or "azureuser"
        run = WindowsRun(plan, facts, admin_user)
    else:
        run = LinuxRun(plan, facts)
    state = run.settings["state"]
    before = run.state() if run.errors else (run.present() if state == "present" else run.absent())
    if run.errors:  # the scripts change nothing once something is wrong (and report the state they found)
        run.changes, run.new = [], {}
    after = run.state()
    if not run.check and run.new:
        if plan["os"] == "windows" and facts is not run.facts:  # the modelled accounts become facts
            run.new.setdefault("local_users", run.facts["local_users"])
            run.new.setdefault("local_admins", run.facts["local_admins"])
        save_guest(sim, cloud, vm, run.new)
    result = {"os": plan["os"], "mode": plan["mode"], "state": state,
              "account": run.settings.get("account") or "root",
              "account_kind": run.settings.get("account_kind") or "local", "changes": run.changes, "before": before,
              "after": after, "notes": run.notes, "errors": run.errors}
    stdout = "AZMOVE-RESULT " + json.dumps(result, separators=(",", ":")) + "\n"
    stderr = "".join(e + "\n" for e in run.errors)
    return stdout, stderr, 1 if run.errors else 0, run.changes


# -- completion ------------------------------------------------------------------------------------------------------
def _complete(sim, cloud, action):
    with sim.store.lock:
        vm = sim.store.get_resource(cloud, action["vm_id"])
        stdout, stderr, code, changes = "", "", 0, []
        if vm is not None and action["plan"]["recognised"]:
            stdout, stderr, code, changes = play(sim, cloud, vm, action["plan"])
        _update_record(sim, cloud, action["vm_id"], action["record"], status="Succeeded", stdout=stdout,
                       stderr=stderr, exit_code=code, changes=changes)


def _failed(sim, cloud, action):
    _update_record(sim, cloud, action["vm_id"], action["record"], status="Failed")


# siterecovery.ACTIONS is the registry of completion actions that providers/__init__.py hands to the simulator.
ACTIONS.update(compute_run_command=_complete, compute_run_command_failed=_failed)
