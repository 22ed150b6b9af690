"""Azure Resource Manager's own request throttling: token buckets, as ARM applies them since 2024.

Source: Microsoft Learn, "Understand how Azure Resource Manager throttles requests", section "Regional throttling and
token bucket algorithm":
https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling
- limits apply per region, per subscription (or tenant, for requests without a subscription), per service principal
  and per operation kind (reads, writes, deletes), with a token bucket each;
- subscription (and tenant) reads: bucket of 250 tokens refilled at 25 per second; writes and deletes: 200, 10 per s;
- every answer carries the budget left in x-ms-ratelimit-remaining-subscription-{reads,writes,deletes} (tenant-* for
  tenant requests); an empty bucket answers 429 with Retry-After (seconds).
The simulator has one ARM instance per cloud, so a cloud is one region here. The global limit (15 times a principal's,
across principals) is not modelled: the collection uses one principal per cloud. Resource providers' own limits are
fault rules (faults.py), not this.

Spec (CLI --arm-throttle, env AZSIM_ARM_THROTTLE, testing.start(arm_throttle=...), admin POST /arm-throttle):
"on" (or empty: the documented defaults), "off" / "0" (no buckets), or overrides of the defaults such as
"reads=1000/100,writes=400/20" (SIZE/REFILL_PER_SECOND; "deletes=0" or "deletes=off" leaves that kind unthrottled).
"""
import math
import threading
import time

DEFAULTS = {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}
KINDS = tuple(DEFAULTS)
OFF = ("off", "0", "false", "no", "none")


def kind_of(method):
    """ARM counts GET/HEAD as reads, DELETE as deletes and every other method (PUT, PATCH, POST) as writes."""
    method = method.upper()
    return "reads" if method in ("GET", "HEAD") else "deletes" if method == "DELETE" else "writes"


def parse_spec(spec):
    """{kind: (size, refill per second)} of a spec (see the module's doc); {} when throttling is off."""
    text = ("" if spec is None else str(spec)).strip().lower()
    if text in OFF:
        return {}
    limits = dict(DEFAULTS)
    if text in ("", "on", "default", "true", "yes"):
        return limits
    for item in text.split(","):
        kind, sep, value = item.strip().partition("=")
        if not sep or kind not in DEFAULTS:
            raise ValueError(f"arm throttle: {item!r} is not KIND=SIZE/REFILL with KIND one of {', '.join(KINDS)}")
        if value in OFF:
            limits.pop(kind)
            continue
        size, slash, rate = value.partition("/")
        size, rate = int(size), float(rate) if slash else DEFAULTS[kind][1]
        if size < 1 or rate <= 0:
            raise ValueError(f"arm throttle: {item!r} needs a size of at least 1 and a refill above 0")
        limits[kind] = (size, rate)
    return limits


class Throttle:
    """The buckets of one simulator, in memory (a restart refills them, as a few seconds of waiting would)."""

    def __init__(self, spec=None, clock=time.monotonic):
        self.lock = threading.Lock()
        self.clock = clock
        self.configure(spec)

    def configure(self, spec):
        limits = parse_spec(spec)
        with self.lock:
            self.limits, self.buckets = limits, {}
        return self.describe()

    def describe(self):
        return {kind: {"size": size, "refill_per_second": rate} for kind, (size, rate) in self.limits.items()}

    def take(self, key, kind):
        """Spend one token of bucket ``key`` (cloud, scope, id, principal) for ``kind``.
        Returns (allowed, remaining tokens, seconds until a token is back when refused)."""
        if kind not in self.limits:  # unthrottled: a full bucket of the documented size is reported
            return True, DEFAULTS[kind][0], 0.0
        size, rate = self.limits[kind]
        now = self.clock()
        with self.lock:
            tokens, then = self.buckets.get((key, kind), (float(size), now))
            tokens = min(float(size), tokens + (now - then) * rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self.buckets[(key, kind)] = (tokens, now)
        return allowed, int(tokens), 0.0 if allowed else (1 - tokens) / rate


def retry_after_seconds(wait):
    """ARM's Retry-After is whole seconds: at least 1, rounded up so the client never comes back too early."""
    return max(1, int(math.ceil(wait)))
