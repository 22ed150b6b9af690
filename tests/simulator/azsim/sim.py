"""Simulator context: persistent identities, clock scaling and the LRO engine."""
import datetime
import os
import secrets
import threading
import time
import uuid

from . import jwtutil
from .clouds import CLOUDS
from .faults import FaultEngine, format_retry_after
from .store import Store
from .throttle import Throttle


def iso(ts):
    """ARM-style UTC timestamp with 7 fractional digits, e.g. 2019-11-20T09:49:44.0478496Z."""
    dt = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % (dt.microsecond * 10)


class Sim:
    def __init__(self, state_dir, time_factor=None, token_lifetime=3600, page_size=100, rng_seed=1234,
                 arm_throttle=None):
        self.state_dir = os.path.abspath(state_dir)
        self.store = Store(os.path.join(self.state_dir, "azsim.sqlite"))
        self.token_lifetime = int(token_lifetime)
        self.page_size = max(1, int(page_size))
        self.faults = FaultEngine(self.store, rng_seed)
        # ARM's token buckets (throttle.py): the documented defaults unless the CLI or AZSIM_ARM_THROTTLE says otherwise
        self.throttle = Throttle(os.environ.get("AZSIM_ARM_THROTTLE") if arm_throttle is None else arm_throttle)
        self.urls = {}  # (cloud, kind) -> "https://localhost:port"
        self.apply_lock = threading.Lock()
        self.actions = {}  # action name -> fn(sim, cloud, action_dict)
        self._bootstrap()
        if time_factor is not None:
            self.store.set_meta("time_factor", float(time_factor))

    # -- identity ---------------------------------------------------------------
    def _bootstrap(self):
        ident = self.store.get_meta("identity")
        if ident is None:
            ident = {}
            for cloud in CLOUDS:
                ident[cloud] = {
                    "tenant_id": str(uuid.uuid4()),
                    "subscription_id": str(uuid.uuid4()),
                    "subscriptions": [],
                    "client_id": str(uuid.uuid4()),
                    "client_secret": secrets.token_urlsafe(30),
                    "sp_object_id": str(uuid.uuid4()),
                    "tenant_name": ("contosogov" if cloud == "gov" else "contoso") + ".onmicrosoft.com",
                }
                ident[cloud]["subscriptions"] = [ident[cloud]["subscription_id"], str(uuid.uuid4())]
            self.store.set_meta("identity", ident)
        self.identity = ident
        key = self.store.get_meta("signing_key")
        if key is None:
            key = secrets.token_hex(32)
            self.store.set_meta("signing_key", key)
        self.signing_key = bytes.fromhex(key)
        tok = self.store.get_meta("admin_token")
        if tok is None:
            tok = secrets.token_urlsafe(24)
            self.store.set_meta("admin_token", tok)
        self.admin_token = tok

    @property
    def time_factor(self):
        return float(self.store.get_meta("time_factor", 0.0))

    @time_factor.setter
    def time_factor(self, value):
        self.store.set_meta("time_factor", float(value))

    def cloud_of_tenant(self, tenant):
        for cloud, ident in self.identity.items():
            if ident["tenant_id"].lower() == (tenant or "").lower():
                return cloud
        return None

    # -- tokens -------------------------------------------------------------------
    def mint_token(self, cloud, resource, appidacr="1", **overrides):
        ident = self.identity[cloud]
        now = int(time.time())
        claims = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{ident['tenant_id']}/",
            "iat": now, "nbf": now, "exp": now + self.token_lifetime,
            "aio": secrets.token_urlsafe(16),
            "appid": ident["client_id"], "appidacr": appidacr,
            "idp": f"https://sts.windows.net/{ident['tenant_id']}/",
            "idtyp": "app",
            "oid": ident["sp_object_id"], "sub": ident["sp_object_id"],
            "tid": ident["tenant_id"],
            "uti": secrets.token_urlsafe(16), "ver": "1.0",
            "xms_azsim_cloud": cloud,
        }
        claims.update(overrides)
        return jwtutil.encode_hs256(claims, self.signing_key), claims

    # -- long-running operations ----------------------------------------------------
    def register_action(self, name, fn):
        self.actions[name] = fn

    def scaled(self, seconds):
        return seconds * self.time_factor

    def retry_after(self, real_seconds=30, integer_only=False):
        return format_retry_after(self.scaled(real_seconds), integer_only)

    def retry_after_headers(self, real_seconds=30, integer_only=False):
        """Retry-After headers for an LRO response.

        Some generated SDK operations (azure-mgmt-recoveryservices vaults) deserialize
        the initial response's Retry-After as "int"; a decimal there raises. For those
        (integer_only=True) a sub-second delay is sent as x-ms-retry-after-ms instead,
        which azure-core's get_retry_after() also honours.
        """
        value = self.scaled(real_seconds)
        if integer_only and value < 1:
            return {"x-ms-retry-after-ms": str(max(10, int(value * 1000)))}
        return {"Retry-After": format_retry_after(value)}

    def start_operation(self, cloud, kind, duration, action, method, path):
        """Create an LRO that completes `duration` (real Azure) seconds × time factor from now."""
        op_id = str(uuid.uuid4())
        failure = self.faults.lro_failure(cloud, method, path)
        due = time.time() + self.scaled(duration)
        self.store.add_operation(op_id, cloud, kind, due, action, failure)
        if due <= time.time():
            self.apply_due()
        return op_id

    def operation_status(self, op_id):
        """Return (status, op) computed from stored timestamps: survives restarts."""
        self.apply_due()
        op = self.store.get_operation(op_id)
        if op is None:
            return None, None
        if time.time() < op["due"]:
            return "InProgress", op
        return ("Failed" if op["failure"] else "Succeeded"), op

    def apply_due(self):
        """Apply side effects (delete, state change) of operations whose time has come.

        Locks are always taken in one order - the store's, then this one (then the fault engine's) - because a
        provider may start an operation, and so apply due ones, inside its own transaction on the store."""
        with self.store.lock, self.apply_lock:
            for op_id in self.store.due_operations(time.time()):
                op = self.store.get_operation(op_id)
                if not self.store.mark_applied(op_id):
                    continue
                action = op["action"]
                if op["failure"]:
                    action = action.get("on_failure") or {}
                fn = self.actions.get(action.get("name"))
                if fn:
                    fn(self, op["cloud"], action)

    def status_body(self, op_id, status, op, op_resource_id):
        body = {"id": op_resource_id, "name": op_id, "status": status, "startTime": iso(op["created"])}
        if status != "InProgress":
            body["endTime"] = iso(op["due"])
        if status == "Failed":
            body["error"] = {"code": op["failure"]["code"], "message": op["failure"]["message"]}
        return body
