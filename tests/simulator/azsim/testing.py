"""Stdlib-only helpers for tests: start/stop the simulator and talk to its admin API.

    from azsim.testing import start, stop, AdminClient
    ep = start(tmp_dir, time_factor=0, seed="tests/simulator/seed/demo.json")
    admin = AdminClient(ep)
    admin.add_fault(kind="status", status=429, count=3, retry_after=0.1)
    ...
    stop(tmp_dir)
"""
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from . import __main__ as cli

_PKG_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_PROCS = {}


class Endpoints(dict):
    """endpoints.json as a dict with attribute helpers (ep.gov, ep.public, ep.ca_bundle)."""

    @property
    def ca_bundle(self):
        return self["ca_bundle"]

    @property
    def gov(self):
        return self["clouds"]["gov"]

    @property
    def public(self):
        return self["clouds"]["public"]

    def cloud(self, name):
        return self["clouds"][name]


def read_endpoints(state_dir):
    with open(os.path.join(state_dir, "endpoints.json")) as fh:
        return Endpoints(json.load(fh))


def start(state_dir, time_factor=0, seed=None, faults=None, token_lifetime=None, page_size=None,
          port_base=None, python=None, timeout=30, lro_style=None, transient_health_ratio=None,
          mirror_protectable_items=False, arm_throttle=None):
    """Start `python -m azsim serve` as a subprocess, wait until ready, return the endpoints. lro_style /
    transient_health_ratio: the Site Recovery settings (None keeps the stored value, or the default). arm_throttle:
    ARM's token buckets (throttle.py: "on", "off", "reads=1000/100,..."; None: AZSIM_ARM_THROTTLE, or on)."""
    state_dir = os.path.abspath(str(state_dir))
    os.makedirs(state_dir, exist_ok=True)
    cmd = [python or sys.executable, "-m", "azsim", "serve", "--state-dir", state_dir]
    if time_factor is not None:
        cmd += ["--time-factor", str(time_factor)]
    for flag, val in (("--seed", seed), ("--faults", faults), ("--token-lifetime", token_lifetime),
                      ("--page-size", page_size), ("--port-base", port_base), ("--lro-style", lro_style),
                      ("--transient-health-ratio", transient_health_ratio), ("--arm-throttle", arm_throttle)):
        if val is not None:
            cmd += [flag, str(val)]
    if mirror_protectable_items:  # a leniency no default-path test uses (README "Replication appliance")
        cmd.append("--mirror-rcm-protectable-items")
    env = dict(os.environ)
    env["PYTHONPATH"] = _PKG_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    log = open(os.path.join(state_dir, "azsim.log"), "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    log.close()
    _PROCS[state_dir] = proc
    if not cli.wait(state_dir, timeout, proc):
        proc.kill()
        raise RuntimeError(f"azsim did not start; see {state_dir}/azsim.log")
    return read_endpoints(state_dir)


def stop(state_dir, timeout=15):
    state_dir = os.path.abspath(str(state_dir))
    proc = _PROCS.pop(state_dir, None)
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return
    cli.stop(state_dir, timeout)


class AdminError(Exception):
    def __init__(self, status, body):
        super().__init__(f"admin API {status}: {body}")
        self.status, self.body = status, body


class AdminClient:
    def __init__(self, endpoints):
        self.url = endpoints["admin"]["url"]
        self.token = endpoints["admin"]["token"]
        self.ctx = ssl.create_default_context(cafile=endpoints["ca_bundle"])

    def _call(self, method, path, body=None, query=None):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raise AdminError(err.code, err.read().decode(errors="replace")) from None
        return json.loads(raw) if raw else None

    def health(self):
        return self._call("GET", "/health")

    def requests(self, **filters):
        """filters: since, cloud, method, path_contains, port."""
        return self._call("GET", "/requests", query=filters)

    def clear_requests(self):
        self._call("DELETE", "/requests")

    def add_fault(self, **rule):
        return self._call("POST", "/faults", rule)[0]

    def faults(self):
        return self._call("GET", "/faults")

    def clear_faults(self, rule_id=None):
        self._call("DELETE", "/faults" + (f"/{rule_id}" if rule_id else ""))

    def set_time_factor(self, factor):
        return self._call("POST", "/time-factor", {"time_factor": factor})

    def set_strict_bodies(self, enabled):
        """Strict request bodies on (the default) or off. Only the simulator's own tests that must send a raw
        malformed body turn it off (and back on); a test of the collection never does."""
        return self._call("POST", "/strict-bodies", {"enabled": enabled})["enabled"]

    def arm_throttle(self, spec=None):
        """ARM's token buckets: with a spec (throttle.py: "on", "off", "reads=1000/100,...") set them, full; without,
        read them. Returns {kind: {size, refill_per_second}} (an empty dict: off)."""
        if spec is None:
            return self._call("GET", "/arm-throttle")
        return self._call("POST", "/arm-throttle", {"spec": spec})

    def seed(self, doc):
        return self._call("POST", "/seed", doc)

    def register_certificate(self, cloud, pem):
        if isinstance(pem, bytes):
            pem = pem.decode()
        return self._call("POST", f"/apps/{cloud}/certificates", {"pem": pem})

    def add_federated_credential(self, cloud, issuer, subject, audiences=None):
        return self._call("POST", f"/apps/{cloud}/federated-credentials",
                          {"issuer": issuer, "subject": subject, "audiences": audiences})

    def register_configuration_server(self, vault_credentials, name, ip, accounts=None, process_server_ip=None,
                                      existing_classic=False):
        """Register a Site Recovery configuration server. vault_credentials: the .VaultCredentials text;
        accounts: {name: username} or [{"name", "username"}]; existing_classic: also mark the vault as an existing
        classic vault (see mark_classic_vault). Returns the fabric/container/process server ids."""
        if isinstance(accounts, dict):
            accounts = [{"name": k, "username": v} for k, v in accounts.items()]
        return self._call("POST", "/asr/configuration-servers",
                          {"vault_credentials": vault_credentials, "name": name, "ip": ip,
                           "accounts": accounts or [], "process_server_ip": process_server_ip,
                           "existing_classic": existing_classic})

    def mark_classic_vault(self, subscription, resource_group, vault, existing_classic=True):
        """Mark a vault as an existing classic vault: enabling classic (InMageAzureV2) replication stays allowed in
        it after the classic retirement (January 31, 2026). existing_classic=False removes the mark."""
        return self._call("POST", "/asr/classic-vaults", {"subscription": subscription, "resource_group":
                                                          resource_group, "vault": vault,
                                                          "existing_classic": existing_classic})

    def asr_settings(self, lro_style=None, transient_health_ratio=None):
        """Read or change the Site Recovery settings (lro_style both|location|mixed, transient_health_ratio 0..1);
        they apply to requests (and enables) from then on. Returns the current values."""
        return self._call("POST", "/asr/settings", {"lro_style": lro_style,
                                                    "transient_health_ratio": transient_health_ratio})

    def appliance_key(self, subscription, resource_group, vault):
        """The vault's "Azure Site Recovery replication appliance key" (what the portal shows)."""
        return self._call("GET", "/asr/appliance-key", query={"subscription": subscription,
                                                              "resource_group": resource_group, "vault": vault})["key"]

    def register_appliance(self, name, ip, subscription=None, resource_group=None, vault=None, appliance_key=None):
        """Register a Site Recovery replication appliance (modernized, InMageRcm) with a public-cloud vault, named
        by its ids and/or its appliance key. Returns the fabric / container / process server / site ids."""
        return self._call("POST", "/asr/appliances", {"name": name, "ip": ip, "subscription": subscription,
                                                      "resource_group": resource_group, "vault": vault,
                                                      "appliance_key": appliance_key})

    def add_credential(self, name, username, os_type, appliance=None, site="physical"):
        """A credential of the appliance (a run-as account of its physical site, or of its VMware site with
        site="vmware"); no password is needed."""
        return self._call("POST", "/asr/credentials", {"name": name, "username": username, "os": os_type,
                                                       "appliance": appliance, "site": site})

    def add_server(self, address, credential, appliance=None, site="physical"):
        """Add a server (IP address or FQDN) with a credential's friendly name (of the same site); it is discovered
        after a short scaled delay as a Microsoft.OffAzure machine. Returns the machine ids."""
        return self._call("POST", "/asr/servers", {"address": address, "credential": credential,
                                                   "appliance": appliance, "site": site})

    def remove_server(self, address, appliance=None, site="physical"):
        """Remove a server: its discovered machine stays listed with isDeleted true."""
        return self._call("POST", "/asr/servers/remove", {"address": address, "appliance": appliance, "site": site})

    def set_appliance_health(self, name, component, healthy=False, error_code=None, message=None):
        """Mark a component (processServer, rcmProxy, pushInstaller, replicationAgent, reprotectAgent, marsAgent,
        dra) of an appliance unhealthy (or healthy again). Returns the component as the fabric shows it."""
        return self._call("POST", f"/asr/appliances/{name}/health", {"component": component, "healthy": healthy,
                                                                     "error_code": error_code, "message": message})

    def set_host(self, ip, **facts):
        """Push-install facts of a source host: reachable, domain_joined, local_account_token_filter_policy,
        sshd_password_authentication, sftp_subsystem, agent_installed; shutdown_fails (the failover's source
        shutdown fails). Returns the effective facts."""
        return self._call("POST", "/asr/hosts", dict(facts, ip=ip))

    def host(self, ip):
        return self._call("GET", f"/asr/hosts/{ip}")

    def run_commands(self, cloud, vm_name=None):
        """The Run Commands sent to the VMs of a cloud named vm_name (all without it), oldest first: id, operation,
        time, vm_id, vm_name, command_id, script, parameters (names; values are never stored), recognised, os,
        mode (check/apply for the collection's scripts), status, exit_code, stdout, stderr, changes."""
        return self._call("GET", "/run-commands", query={"cloud": cloud, "vm": vm_name})

    def set_quota(self, cloud, location, name, limit):
        """Compute quota: the limit of a usage (`cores`, a VM family such as `standardDSv3Family`,
        `virtualMachines`, `availabilitySets`) in one location of a cloud."""
        return self._call("POST", "/compute/quotas", {"cloud": cloud, "location": location, "name": name,
                                                      "limit": limit})

    def restrict_size(self, cloud, location, size, reason="NotAvailableForSubscription", restricted=True):
        """Make a VM size unavailable in a location (a resource SKU `Location` restriction), or lift it."""
        return self._call("POST", "/compute/restrictions", {"cloud": cloud, "location": location, "size": size,
                                                            "reason": reason, "restricted": restricted})

    def set_permissions(self, cloud, assignments):
        """Replace the caller's role assignments in a cloud with [{scope, actions, notActions}], enforced on every
        ARM request from then on; None goes back to the default (Owner of every subscription)."""
        return self._call("PUT", "/authorization/permissions", {"cloud": cloud, "assignments": assignments})

    def reset_compute_knobs(self):
        """Default quotas and no size restrictions."""
        self._call("DELETE", "/compute/knobs")

    def mint_token(self, cloud, **claims):
        """Claims override the defaults; extras: resource=, expired=True, lifetime=, bad_signature=True."""
        return self._call("POST", f"/tokens/{cloud}", claims)["access_token"]


def wait_until(predicate, timeout=10, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
