"""Fault injection rules.

Rule: {id, cloud?, port? ("arm"/"login"), method?, path_regex?, kind, count? | ratio?, ...}
  kind "status":   status (429/500/502/503/504), retry_after? (seconds), code?, message?
  kind "drop":     close the connection without a response
  kind "lro_fail": the next matching long-running operation ends Failed with code/message
`count` = apply to the next N matching requests (then the rule is spent);
`ratio` = apply to that share of matching requests (seeded RNG, reproducible).
Neither = apply to every match until deleted.
"""
import json
import random
import re
import threading
import time
import uuid

from .httpbase import DropConnection, Response

DEFAULT_CODES = {
    429: ("TooManyRequests", "The request is being throttled as the limit has been reached for operation type - "
                             "{kind}. For more information, see - https://aka.ms/srpthrottlinglimits"),
    500: ("InternalServerError", "Encountered internal server error. Diagnostic information: timestamp '{ts}', "
                                 "subscription id '', tracking id '{rid}', request correlation id '{rid}'."),
    502: ("BadGateway", "The server encountered a temporary error and could not complete your request."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please try again later."),
    504: ("GatewayTimeout", "The gateway did not receive a response from 'Microsoft.RecoveryServices' "
                            "within the specified time period."),
}
KINDS = ("status", "drop", "lro_fail")


class FaultEngine:
    def __init__(self, store, seed=1234):
        self.store = store
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def add(self, rule):
        rule = dict(rule)
        if rule.get("kind") not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if rule["kind"] == "status" and int(rule.get("status", 0)) < 400:
            raise ValueError("status rules need an HTTP error 'status'")
        if rule.get("path_regex"):
            re.compile(rule["path_regex"])
        rule.setdefault("id", str(uuid.uuid4()))
        remaining = rule.get("count")
        self.store.execute("INSERT OR REPLACE INTO faults (id, rule, remaining, created) VALUES (?,?,?,?)",
                           (rule["id"], json.dumps(rule), remaining, time.time()))
        return rule

    def list(self):
        out = []
        for r in self.store.query("SELECT * FROM faults ORDER BY created"):
            rule = json.loads(r["rule"])
            rule["remaining"] = r["remaining"]
            rule["hits"] = r["hits"]
            out.append(rule)
        return out

    def delete(self, rule_id=None):
        if rule_id:
            self.store.execute("DELETE FROM faults WHERE id=?", (rule_id,))
        else:
            self.store.execute("DELETE FROM faults")

    def _take(self, kinds, cloud, port, method, path):
        """Find the first matching active rule of the given kinds and consume one use of it."""
        # The store's lock first, as every caller that already holds it (a provider starting an operation inside
        # its own transaction) does: the other order deadlocks two concurrent requests.
        with self.store.lock, self.lock:
            for r in self.store.query("SELECT * FROM faults ORDER BY created"):
                rule = json.loads(r["rule"])
                if rule["kind"] not in kinds:
                    continue
                if r["remaining"] is not None and r["remaining"] <= 0:
                    continue
                if rule.get("cloud") not in (None, "", "any", cloud):
                    continue
                if rule.get("port") not in (None, "", "any", port):
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("path_regex") and not re.search(rule["path_regex"], path, re.IGNORECASE):
                    continue
                if rule.get("ratio") is not None and self.rng.random() >= float(rule["ratio"]):
                    continue
                self.store.execute(
                    "UPDATE faults SET hits=hits+1, remaining=CASE WHEN remaining IS NULL THEN NULL "
                    "ELSE remaining-1 END WHERE id=?", (r["id"],))
                return rule
        return None

    def request_fault(self, req):
        """Called before dispatch for ARM/login requests. Returns a Response, raises DropConnection, or None."""
        rule = self._take(("status", "drop"), req.cloud, req.port_kind, req.method, req.path)
        if not rule:
            return None
        if rule["kind"] == "drop":
            raise DropConnection(rule["id"])
        status = int(rule["status"])
        code, message = DEFAULT_CODES.get(status, ("ServerError", "The server returned an error."))
        code = rule.get("code", code)
        message = rule.get("message", message).format(
            kind="Microsoft.RecoveryServices/" + ("read" if req.method == "GET" else "write"),
            ts=time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()), rid=req.request_id)
        headers = {}
        if rule.get("retry_after") is not None:
            headers["Retry-After"] = format_retry_after(float(rule["retry_after"]))
        if req.port_kind == "login":
            body = {"error": "temporarily_unavailable" if status >= 500 else "too_many_requests",
                    "error_description": f"AADSTS90033: {message}", "error_codes": [90033]}
        else:
            body = {"error": {"code": code, "message": message}}
        resp = Response(status, body, headers)
        resp.fault = f"{rule['id']}:status:{status}"
        return resp

    def lro_failure(self, cloud, method, path):
        """Consume an lro_fail rule matching the request that starts an LRO; returns the error dict or None."""
        rule = self._take(("lro_fail",), cloud, "arm", method, path)
        if not rule:
            return None
        return {"code": rule.get("code", "InternalError"),
                "message": rule.get("message", "The operation failed (injected by azsim fault rule %s)." % rule["id"]),
                "rule": rule["id"]}


def format_retry_after(seconds, integer_only=False):
    """Retry-After value: integer when >= 1, else a decimal with a 0.01 floor.

    azure-core parses floats; "0" would be ignored (falsy) and the SDK would fall
    back to its 30 s polling interval, so small values never round down to 0.
    """
    if seconds >= 1 or integer_only:
        return str(max(1, int(round(seconds))))
    return ("%.3f" % max(0.01, seconds)).rstrip("0").rstrip(".")
