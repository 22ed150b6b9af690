"""Requests pace themselves from ARM's x-ms-ratelimit-remaining-* headers; the pooled transport is azure-core's public
RequestsTransport(session=...)."""
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import HttpTransport, RequestsTransport
from azure.core.rest import HttpRequest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _module as m

SUB = "https://management.example/subscriptions/0b5c2f43-1f6a-4d5e-9a8b-7c6d5e4f3a2b"


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def pacer():
    clock = FakeClock()
    return m.ArmPacer(clock=clock, sleep=clock.sleep), clock


def test_key_is_arm_bucket_of_the_request():
    assert m.ArmPacer.key("GET", SUB + "/resourceGroups/rg?api-version=1") == ("management.example", SUB[-36:], "reads")
    assert m.ArmPacer.key("post", SUB + "/x")[2] == "writes"
    assert m.ArmPacer.key("DELETE", SUB + "/x")[2] == "deletes"
    assert m.ArmPacer.key("GET", "https://management.example/providers/Microsoft.Compute?api-version=1")[1] == ""


def test_no_wait_while_the_budget_is_ample():
    p, clock = pacer()
    key = p.key("PUT", SUB + "/x")
    p.before(key)  # nothing known yet: no wait
    p.after(key, {"x-ms-ratelimit-remaining-subscription-writes": "150"})
    for unused in range(20):
        p.before(key)
        p.after(key, {"x-ms-ratelimit-remaining-subscription-writes": "150"})
    assert clock.slept == []


def test_requests_spread_at_the_refill_rate_when_the_budget_runs_low():
    p, clock = pacer()
    key = p.key("PUT", SUB + "/x")
    p.before(key)
    p.after(key, {"x-ms-ratelimit-remaining-subscription-writes": "3"})
    # five threads' writes at once: one every 1/10 s (writes refill at 10 a second), not a burst into 429s
    waits = [round(p.before(key), 3) for unused in range(5)]
    assert waits == [0.0, 0.1, 0.1, 0.1, 0.1]  # each goes 1/10 s after the one before it


def test_the_other_kinds_and_subscriptions_are_not_slowed():
    p, clock = pacer()
    key = p.key("DELETE", SUB + "/x")
    p.before(key)
    p.after(key, {"x-ms-ratelimit-remaining-subscription-deletes": "0"})
    p.before(p.key("GET", SUB + "/x"))
    p.before(p.key("DELETE", SUB.replace("0b5c", "ffff") + "/x"))
    assert clock.slept == []


class Transport(HttpTransport):
    """Answers every request with the remaining budget it is given, counting the requests."""

    def __init__(self, remaining):
        self.remaining, self.sent = remaining, 0

    def send(self, request, **kwargs):
        from azure.core.pipeline.transport import HttpResponse

        self.sent += 1
        response = HttpResponse(request, None)
        response.status_code = 200
        response.headers = {"x-ms-ratelimit-remaining-subscription-reads": str(self.remaining)}
        return response

    def open(self):
        pass

    def close(self):
        pass

    def __exit__(self, *args):
        pass


def test_the_policy_slows_a_pipeline_down_when_remaining_is_low():
    p, clock = pacer()
    for remaining, slowed in ((200, False), (2, True)):
        p._buckets.clear()
        clock.slept.clear()
        transport = Transport(remaining)
        pipeline = Pipeline(transport, policies=[RetryPolicy(), m.arm_pacing_policy(p)])
        for unused in range(4):
            pipeline.run(HttpRequest("GET", SUB + "/resourceGroups?api-version=2021-04-01"))
        assert transport.sent == 4
        assert bool(clock.slept) is slowed
    assert clock.slept == [0.04, 0.04]  # after an answer said 2 were left: one read every 1/25 s


def test_connection_pools_through_the_public_transport(monkeypatch):
    conn = m.Connection({"cloud": "AzureCloud", "subscription_id": SUB[-36:]}, environ={})
    conn.pool_size = 32
    kwargs = conn.client_kwargs()
    transport = kwargs["transport"]
    assert transport.__class__ is RequestsTransport and transport.session is not None
    adapter = transport.session.get_adapter("https://management.azure.com/")
    assert adapter._pool_maxsize == 32 and adapter.max_retries.total is False
    assert conn.client_kwargs()["transport"].session is transport.session  # one pool for the connection's clients
    assert [type(policy).__name__ for policy in kwargs["per_retry_policies"]] == ["ArmPacingPolicy"]
