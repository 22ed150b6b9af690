"""ARM's token buckets (azsim/throttle.py): sizes and refill, kinds apart, the remaining-* headers and the 429."""
import pytest

from azsim import throttle
from simhelpers import clients
from rawhttp import call


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


KEY = ("gov", "subscription", "sub", "actor")


def test_documented_defaults_and_specs():
    # Microsoft Learn, "Understand how Azure Resource Manager throttles requests" (regional token buckets)
    assert throttle.parse_spec(None) == {"reads": (250, 25.0), "writes": (200, 10.0), "deletes": (200, 10.0)}
    assert throttle.parse_spec("on") == throttle.DEFAULTS
    assert throttle.parse_spec("off") == {} and throttle.parse_spec("0") == {}
    assert throttle.parse_spec("reads=1000/100,deletes=off") == {"reads": (1000, 100.0), "writes": (200, 10.0)}
    assert throttle.parse_spec("writes=50") == dict(throttle.DEFAULTS, writes=(50, 10.0))
    for bad in ("reeds=1/1", "reads", "reads=0/1", "reads=5/0"):
        with pytest.raises(ValueError):
            throttle.parse_spec(bad)


def test_bucket_empties_then_refills_at_its_rate():
    clock = Clock()
    buckets = throttle.Throttle("reads=3/2", clock=clock)
    assert [buckets.take(KEY, "reads")[:2] for unused in range(3)] == [(True, 2), (True, 1), (True, 0)]
    allowed, remaining, wait = buckets.take(KEY, "reads")
    assert (allowed, remaining) == (False, 0) and wait == pytest.approx(0.5)
    assert throttle.retry_after_seconds(wait) == 1
    clock.now += 0.5  # one token back after 1/rate seconds
    assert buckets.take(KEY, "reads")[:2] == (True, 0)
    clock.now += 60  # never more than the bucket's size
    assert buckets.take(KEY, "reads")[:2] == (True, 2)


def test_kinds_and_subscriptions_have_their_own_buckets():
    clock = Clock()
    buckets = throttle.Throttle("reads=1/1,writes=1/1,deletes=1/1", clock=clock)
    assert buckets.take(KEY, "writes")[0] and not buckets.take(KEY, "writes")[0]
    assert buckets.take(KEY, "reads")[0] and buckets.take(KEY, "deletes")[0]  # untouched by the writes
    assert buckets.take(("gov", "subscription", "other", "actor"), "writes")[0]
    assert buckets.take(("public",) + KEY[1:], "writes")[0]  # another cloud is another region
    assert [throttle.kind_of(m) for m in ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE")] == \
        ["reads", "reads", "writes", "writes", "writes", "deletes"]


def test_off_never_refuses():
    buckets = throttle.Throttle("off")
    assert all(buckets.take(KEY, "writes") == (True, 200, 0.0) for unused in range(500))


@pytest.fixture
def small_buckets(admin):
    admin.arm_throttle("reads=3/0.5,writes=2/0.5,deletes=2/0.5")
    yield admin
    admin.arm_throttle("on")


def _url(ep, path):
    gov = ep["clouds"]["gov"]
    return gov["resource_manager"] + "subscriptions/" + gov["subscription_id"] + path


def test_headers_and_429(ep, small_buckets):
    admin = small_buckets
    token = admin.mint_token("gov")
    since = (admin.requests() or [{"id": 0}])[-1]["id"]
    rg = _url(ep, "/resourcegroups/rg-throttle?api-version=2021-04-01")
    st, headers, body = call(ep, "PUT", rg, token=token, body={"location": "usgovvirginia"})
    assert st in (200, 201) and headers["x-ms-ratelimit-remaining-subscription-writes"] == "1"
    assert "x-ms-ratelimit-remaining-subscription-reads" not in headers
    seen = []
    for unused in range(4):
        st, headers, body = call(ep, "GET", rg, token=token)
        seen.append((st, headers.get("x-ms-ratelimit-remaining-subscription-reads")))
    assert seen == [(200, "2"), (200, "1"), (200, "0"), (429, "0")]
    # ARM's answer to an empty bucket: whole seconds to wait, and its error
    assert headers["Retry-After"] == "2"
    assert body["error"]["code"] == "SubscriptionRequestsThrottled"
    assert body["error"]["message"].startswith("Number of 'read' requests for subscription '%s'"
                                               % ep["clouds"]["gov"]["subscription_id"].lower())
    assert "Please try again after '2' seconds." in body["error"]["message"]
    # the writes' and the deletes' buckets are their own
    st, headers, body = call(ep, "DELETE", rg, token=token)
    assert st in (200, 202) and headers["x-ms-ratelimit-remaining-subscription-deletes"] == "1"
    assert "x-ms-ratelimit-remaining-subscription-writes" not in headers
    # the request log has the 429 (benchmarks/scale.py counts them by status)
    rows = [r for r in admin.requests(since=since, port="arm") if "rg-throttle" in r["path"]]
    assert [r["status"] for r in rows if r["method"] == "GET"] == [200, 200, 200, 429]
    assert [r["fault"] for r in rows if r["status"] == 429] == ["arm-throttle:reads"]


def test_tenant_requests_have_tenant_buckets(ep, small_buckets):
    token = small_buckets.mint_token("gov")
    st, headers, unused = call(ep, "GET", ep["clouds"]["gov"]["resource_manager"] + "subscriptions?api-version=2022-12-01",
                               token=token)
    assert headers.get("x-ms-ratelimit-remaining-tenant-reads") == "2"
    assert "x-ms-ratelimit-remaining-subscription-reads" not in headers


def test_sdk_waits_out_the_retry_after(ep, small_buckets):
    """azure-core's RetryPolicy honours the 429's Retry-After: a burst past the bucket still succeeds."""
    rm, unused = clients(ep, "gov", retry_backoff_factor=0.01)
    names = [rm.resource_groups.get("rg-app-gov").name for unused in range(5)]
    assert names == ["rg-app-gov"] * 5


def test_configured_from_admin(admin):
    assert admin.arm_throttle() == {"reads": {"size": 250, "refill_per_second": 25.0},
                                    "writes": {"size": 200, "refill_per_second": 10.0},
                                    "deletes": {"size": 200, "refill_per_second": 10.0}}
    try:
        assert admin.arm_throttle("off") == {}
    finally:
        admin.arm_throttle("on")
