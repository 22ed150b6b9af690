"""Admin API (separate listener; every call needs `Authorization: Bearer <admin token>`)."""
import hmac
import os
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from . import jwtutil
from .clouds import CLOUDS
from .httpbase import Response
from .providers import compute, siterecovery_cs, storage
from .providers import authorization, compute_catalog, network
from .providers import siterecovery, siterecovery_rcm
from .providers import compute_runcommand
from .providers import backup


def apply_seed(sim, doc):
    """Seed resource groups, VNets and VMs (each VM gets a NIC and an OS disk record)."""
    counts = {}
    for cloud, spec in (doc or {}).items():
        if cloud not in CLOUDS:
            raise ValueError(f"unknown cloud '{cloud}'")
        ident = sim.identity[cloud]
        default_loc = CLOUDS[cloud]["default_location"]
        sub = spec.get("subscription_id") or ident["subscription_id"]
        n = {"resource_groups": 0, "virtual_networks": 0, "virtual_machines": 0, "storage_accounts": 0}
        n.update({key: 0 for key in NETWORK_SEEDS})
        rgs = {r["name"].lower(): r for r in spec.get("resource_groups", [])}
        for item in spec.get("virtual_networks", []) + spec.get("virtual_machines", []) + \
                spec.get("storage_accounts", []) + [i for key in NETWORK_SEEDS for i in spec.get(key, [])]:
            rg_name = item["resource_group"]
            rgs.setdefault(rg_name.lower(), {"name": rg_name, "location": item.get("location", default_loc)})
        for rg in rgs.values():
            rg.setdefault("location", default_loc)
            compute.seed_resource_group(sim, cloud, rg.get("subscription_id", sub), rg)
            n["resource_groups"] += 1
        for key in ("network_security_groups", "route_tables", "public_ip_addresses", "availability_sets"):
            for item in spec.get(key, []):
                item.setdefault("location", default_loc)
                NETWORK_SEEDS[key](sim, cloud, item.get("subscription_id", sub), item)
                n[key] += 1
        for v in spec.get("virtual_networks", []):
            v.setdefault("location", default_loc)
            compute.seed_vnet(sim, cloud, v.get("subscription_id", sub), v)
            network.seed_subnet_refs(sim, cloud, v.get("subscription_id", sub), v)
            n["virtual_networks"] += 1
        for lb in spec.get("load_balancers", []):
            lb.setdefault("location", default_loc)
            network.seed_load_balancer(sim, cloud, lb.get("subscription_id", sub), lb)
            n["load_balancers"] += 1
        for vm in spec.get("virtual_machines", []):
            vm.setdefault("location", default_loc)
            compute.seed_vm(sim, cloud, vm.get("subscription_id", sub), vm)
            network.seed_vm_refs(sim, cloud, vm.get("subscription_id", sub), vm)
            compute_catalog.seed_vm_placement(sim, cloud, vm.get("subscription_id", sub), vm)
            if vm.get("host") is not None:  # Site Recovery push-install facts of the machine behind this IP
                siterecovery_cs.set_host(sim, vm["private_ip"], **vm["host"])
            n["virtual_machines"] += 1
        for sa in spec.get("storage_accounts", []):
            sa.setdefault("location", default_loc)
            storage.seed_storage_account(sim, cloud, sa.get("subscription_id", sub), sa)
            n["storage_accounts"] += 1
        if spec.get("backup_vaults"):  # after the VMs: Azure Backup protects seeded VMs
            n["backup_protected_items"] = backup.seed(sim, cloud, sub, spec["backup_vaults"])
        counts[cloud] = n
    return counts


# Seed keys of the Network provider and the Compute catalog, and their seeding functions.
NETWORK_SEEDS = {
    "network_security_groups": network.seed_nsg,
    "route_tables": network.seed_route_table,
    "public_ip_addresses": network.seed_public_ip,
    "availability_sets": compute_catalog.seed_availability_set,
    "load_balancers": network.seed_load_balancer,
}


class AdminApp:
    def __init__(self, sim):
        self.sim = sim

    def handle(self, req):
        auth = req.header("Authorization") or ""
        if not hmac.compare_digest(auth.encode(), f"Bearer {self.sim.admin_token}".encode()):
            return Response(401, {"error": {"code": "Unauthorized", "message": "admin token required"}})
        parts = [p for p in req.path.split("/") if p]
        m = req.method
        try:
            if parts == ["health"] and m == "GET":
                return Response(200, {"status": "ok", "pid": os.getpid(), "time_factor": self.sim.time_factor,
                                      "time": time.time()})
            if parts == ["requests"] and m == "GET":
                q = req.query
                return Response(200, self.sim.store.requests(
                    since=q.get("since", 0), cloud=q.get("cloud"), method=q.get("method"),
                    path_contains=q.get("path_contains"), port=q.get("port"), limit=q.get("limit", 10000)))
            if parts == ["requests"] and m == "DELETE":
                self.sim.store.execute("DELETE FROM requests")
                return Response(204)
            if parts[:1] == ["faults"]:
                if m == "GET" and len(parts) == 1:
                    return Response(200, self.sim.faults.list())
                if m == "POST" and len(parts) == 1:
                    body = req.json()
                    rules = body if isinstance(body, list) else [body]
                    return Response(201, [self.sim.faults.add(r) for r in rules])
                if m == "DELETE":
                    self.sim.faults.delete(parts[1] if len(parts) > 1 else None)
                    return Response(204)
            if parts == ["time-factor"] and m == "POST":
                self.sim.time_factor = float(req.json()["time_factor"])
                return Response(200, {"time_factor": self.sim.time_factor})
            if parts == ["time-factor"] and m == "GET":
                return Response(200, {"time_factor": self.sim.time_factor})
            if parts == ["strict-bodies"] and m in ("GET", "POST"):  # off only for the simulator's own tests
                if m == "POST":
                    self.sim.strict_bodies = bool(req.json()["enabled"])
                return Response(200, {"enabled": getattr(self.sim, "strict_bodies", True)})
            if parts == ["arm-throttle"] and m in ("GET", "POST"):  # ARM's token buckets (throttle.py)
                if m == "POST":
                    return Response(200, self.sim.throttle.configure((req.json() or {}).get("spec")))
                return Response(200, self.sim.throttle.describe())
            if parts == ["seed"] and m == "POST":
                return Response(200, apply_seed(self.sim, req.json()))
            if len(parts) == 3 and parts[0] == "apps" and parts[1] in CLOUDS and m == "POST":
                return self.app_credential(parts[1], parts[2], req.json() or {})
            if len(parts) == 2 and parts[0] == "tokens" and parts[1] in CLOUDS and m == "POST":
                return self.mint(parts[1], req.json() or {})
            if parts == ["identity"] and m == "GET":
                return Response(200, self.sim.identity)
            if parts == ["run-commands"] and m == "GET":  # Run Commands sent to VMs (values of parameters not stored)
                return Response(200, compute_runcommand.recorded(self.sim, req.query.get("cloud", "gov"),
                                                                 req.query.get("vm")))
            if parts[:1] == ["asr"]:
                return self.asr(parts[1:], m, req)
            if parts[:1] == ["compute"]:  # quota limits and size restrictions (compute_catalog)
                return compute_catalog.admin(self.sim, parts[1:], m, req.json() or {})
            if parts[:1] == ["authorization"]:  # the caller's role assignments (permissions)
                return authorization.admin(self.sim, parts[1:], m, req.json() or {})
        except siterecovery_cs.RegistrationError as exc:
            return Response(400, {"error": {"code": "InvalidVaultCredentials", "message": str(exc)}})
        except (ValueError, KeyError, TypeError) as exc:
            return Response(400, {"error": {"code": "BadRequest", "message": f"{type(exc).__name__}: {exc}"}})
        return Response(404, {"error": {"code": "NotFound", "message": "unknown admin endpoint"}})

    def asr(self, parts, m, req):
        """Site Recovery: configuration server registration and source-host facts (push install)."""
        body = req.json() or {}
        if parts == ["configuration-servers"] and m == "POST":
            return Response(200, siterecovery_cs.register_configuration_server(
                self.sim, body["vault_credentials"], body["name"], body["ip"], body.get("accounts") or [],
                body.get("process_server_ip"), bool(body.get("existing_classic", False))))
        if parts == ["classic-vaults"] and m == "POST":  # an existing classic vault: classic enables still allowed
            return Response(200, siterecovery_cs.mark_classic_vault(
                self.sim, body["subscription"], body["resource_group"], body["vault"],
                bool(body.get("existing_classic", True))))
        if parts == ["settings"] and m in ("GET", "POST"):  # --lro-style / --transient-health-ratio at run time
            return Response(200, siterecovery.configure(self.sim, body.get("lro_style"),
                                                        body.get("transient_health_ratio")))
        if parts == ["hosts"] and m == "POST":
            facts = dict(body)
            return Response(200, siterecovery_cs.set_host(self.sim, facts.pop("ip"), **facts))
        if len(parts) == 2 and parts[0] == "hosts" and m == "GET":
            return Response(200, siterecovery_cs.host_facts(self.sim, parts[1]))
        try:
            return self.asr_appliance(parts, m, req, body)
        except siterecovery_rcm.ApplianceError as exc:
            return Response(400, {"error": {"code": "ApplianceRequestRefused", "message": str(exc)}})

    def asr_appliance(self, parts, m, req, body):
        """Site Recovery, modernized: replication appliance registration, its credentials and servers, health knob."""
        rcm = siterecovery_rcm
        if parts == ["appliances"] and m == "POST":
            return Response(200, rcm.register_appliance(
                self.sim, body.get("name"), body.get("ip"), body.get("subscription"), body.get("resource_group"),
                body.get("vault"), body.get("appliance_key")))
        if parts == ["appliance-key"] and m == "GET":
            q = req.query
            rcm._vault(self.sim, q.get("subscription"), q.get("resource_group"), q.get("vault"))
            return Response(200, {"key": rcm.appliance_key(self.sim, q["subscription"], q["resource_group"],
                                                           q["vault"])})
        if parts == ["credentials"] and m == "POST":  # a password, if sent, is ignored and never stored
            return Response(200, rcm.add_credential(self.sim, body.get("name"), body.get("username"), body.get("os"),
                                                    body.get("appliance"), body.get("site")))
        if parts == ["servers"] and m == "POST":
            return Response(200, rcm.add_server(self.sim, body.get("address"), body.get("credential"),
                                                body.get("appliance"), body.get("site")))
        if parts == ["servers", "remove"] and m == "POST":  # the machine stays listed, isDeleted true
            return Response(200, rcm.remove_server(self.sim, body.get("address"), body.get("appliance"),
                                                   body.get("site")))
        if len(parts) == 3 and parts[0] == "appliances" and parts[2] == "health" and m == "POST":
            return Response(200, rcm.set_appliance_health(self.sim, parts[1], body.get("component"),
                                                          bool(body.get("healthy", False)), body.get("error_code"),
                                                          body.get("message")))
        return Response(404, {"error": {"code": "NotFound", "message": "unknown admin endpoint"}})

    def app_credential(self, cloud, kind, body):
        if kind == "certificates":
            cert = x509.load_pem_x509_certificate(body["pem"].encode())
            x5t, x5t256 = jwtutil.cert_thumbprints(cert)
            entry = {"pem": body["pem"], "x5t": x5t, "x5t_s256": x5t256,
                     "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper()}
            self.sim.store.add_credential(cloud, "certificate", entry)
            return Response(201, {k: v for k, v in entry.items() if k != "pem"})
        if kind == "federated-credentials":
            entry = {"issuer": body["issuer"], "subject": body["subject"],
                     "audiences": body.get("audiences") or ["api://AzureADTokenExchange"],
                     "name": body.get("name", "azsim-fic")}
            self.sim.store.add_credential(cloud, "federated", entry)
            return Response(201, entry)
        return Response(404, {"error": {"code": "NotFound", "message": "unknown credential kind"}})

    def mint(self, cloud, body):
        """Mint an ARM token with chosen claims, e.g. {"expired": true} or {"aud": "https://other/"}."""
        body = dict(body)
        resource = body.pop("resource", CLOUDS[cloud]["audiences"][0])
        lifetime = body.pop("lifetime", None)
        bad_signature = body.pop("bad_signature", False)
        if body.pop("expired", False):
            now = int(time.time())
            body.setdefault("iat", now - 7200)
            body.setdefault("nbf", now - 7200)
            body.setdefault("exp", now - 3600)
        elif lifetime is not None:
            body.setdefault("exp", int(time.time()) + int(lifetime))
        token, claims = self.sim.mint_token(cloud, resource, **body)
        if bad_signature:
            token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        return Response(200, {"access_token": token, "claims": claims})
