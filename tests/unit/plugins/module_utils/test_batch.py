"""One module run for a batch of machines: input checked for all before any starts, failures kept per machine,
shared reads made once, results per machine."""

import threading

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _batch as b
from ansible_collections.azmove.site_recovery.plugins.module_utils._auth import AuthError
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import AzureFailure


class Exited(Exception):
    def __init__(self, kind, result):
        super().__init__(kind)
        self.kind = kind
        self.result = result


class FakeAnsible:
    def __init__(self):
        self.warnings = []

    def exit_json(self, **result):
        raise Exited("exit", result)

    def warn(self, msg):
        self.warnings.append(msg)


class FakeConnection:
    pool_size = None
    cloud = "AzureCloud"

    def describe(self):
        return {"name": "target"}


class FakeModule:
    """What run_batch needs of AzureModule."""

    def __init__(self, machines):
        self.params = dict(name=None, machines=machines, concurrency=4, fail_on_error=True, colour="blue")
        self.module = FakeAnsible()
        self.check_mode = False
        self.diff_mode = False
        self.conn = FakeConnection()

    def connection(self, name=None):
        return self.conn

    def connection_or_raise(self, name=None):
        return self.conn

    def client_or_raise(self, kind, connection=None):
        if kind == "broken":
            raise AuthError("Cannot read the cloud metadata from https://arm.example: connection refused")
        return kind

    def fail_from(self, exc, action=None):
        raise Exited("fail", {"msg": "%s: %s" % (action, exc)})

    def warn(self, msg):
        self.module.warn(msg)

    def fail(self, msg, **result):
        raise Exited("fail", dict(result, msg=msg))

    def exit(self, changed, **result):
        raise Exited("exit", dict(result, changed=changed))


def run(module, check, act):
    with pytest.raises(Exited) as caught:
        b.run_batch(module, check, act)
    return caught.value


def no_check(view):
    return None


def test_each_machine_gets_its_own_options_over_the_tasks():
    seen = {}

    def act(view):
        seen[view.params["name"]] = (view.params["colour"], "machines" in view.params)
        view.exit(view.params["name"] == "b", machine={"friendly_name": view.params["name"]})

    out = run(FakeModule([{"name": "a", "colour": None}, {"name": "b", "colour": "red"}]), no_check, act)
    assert out.kind == "exit" and out.result["changed"] is True
    assert seen == {"a": ("blue", False), "b": ("red", False)}
    assert out.result["machines"]["a"] == {"changed": False, "failed": False, "machine": {"friendly_name": "a"}}
    assert out.result["failed_machines"] == []


def test_bad_input_of_one_machine_stops_all_before_any_starts():
    started = []

    def check(view):
        if view.params["name"] == "bad":
            view.fail("ip_address 'x' is not a valid IPv4 or IPv6 address.")

    def act(view):
        started.append(view.params["name"])
        view.exit(True)

    out = run(FakeModule([{"name": "ok"}, {"name": "bad"}]), check, act)
    assert out.kind == "fail" and started == []
    assert "1 of 2 machines have bad input" in out.result["msg"] and "bad: ip_address 'x'" in out.result["msg"]


def test_a_failed_machine_fails_alone_and_says_why():
    def act(view):
        if view.params["name"] == "b":
            raise AzureFailure("The job failed.", code="PushInstallFailed", job_id="job-42")
        view.exit(True)

    module = FakeModule([{"name": "a"}, {"name": "b"}, {"name": "c"}])
    module.params["fail_on_error"] = False
    out = run(module, no_check, act)
    assert out.kind == "exit" and out.result["failed_machines"] == ["b"]
    assert out.result["machines"]["a"]["failed"] is False and out.result["machines"]["c"]["changed"] is True
    failed = out.result["machines"]["b"]
    assert failed["failed"] is True and "PushInstallFailed" in failed["msg"] and failed["error"]["code"] == "PushInstallFailed"


def test_fail_on_error_fails_the_task_naming_each_failed_machine_after_all_ran():
    ran = []

    def act(view):
        ran.append(view.params["name"])
        if view.params["name"] != "a":
            view.fail("Cannot fail over %s: it is not replicating." % view.params["name"])
        view.exit(False)

    out = run(FakeModule([{"name": "a"}, {"name": "b"}, {"name": "c"}]), no_check, act)
    assert out.kind == "fail" and sorted(ran) == ["a", "b", "c"]
    assert out.result["msg"].startswith("2 of 3 machines failed") and "b: Cannot fail over b" in out.result["msg"]
    assert out.result["machines"]["a"]["failed"] is False


def test_a_bug_in_one_machine_is_reported_not_raised():
    def act(view):
        if view.params["name"] == "b":
            raise KeyError("fabric_name")
        view.exit(False)

    module = FakeModule([{"name": "a"}, {"name": "b"}])
    module.params["fail_on_error"] = False
    out = run(module, no_check, act)
    assert out.result["machines"]["b"]["failed"] and "Unexpected error for b" in out.result["machines"]["b"]["msg"]
    assert "Traceback" in out.result["machines"]["b"]["exception"]


def test_repeated_names_are_refused():
    out = run(FakeModule([{"name": "vm1"}, {"name": "VM1"}]), no_check, lambda view: view.exit(True))
    assert out.kind == "fail" and "VM1" in out.result["msg"] and "more than once" in out.result["msg"]


def test_shared_reads_are_made_once_per_batch_and_fresh_alone():
    calls = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def fetch():
        with lock:
            calls.append(1)
        return {"items": 3}

    def act(view):
        barrier.wait(timeout=5)  # all four machines in flight together
        view.exit(False, items=b.shared(view, ("items", "rg", "vault"), fetch))

    out = run(FakeModule([{"name": n} for n in "abcd"]), no_check, act)
    assert len(calls) == 1 and all(r["items"] == {"items": 3} for r in out.result["machines"].values())

    alone = FakeModule([])
    b.shared(alone, "k", fetch)
    b.shared(alone, "k", fetch)
    assert len(calls) == 3


def test_warnings_name_their_machine_and_concurrency_sizes_the_pool():
    def act(view):
        view.warn("source could not be shut down")
        view.exit(True)

    module = FakeModule([{"name": "a"}, {"name": "b"}])
    module.params["concurrency"] = 50
    run(module, no_check, act)
    assert sorted(module.module.warnings) == ["a: source could not be shut down", "b: source could not be shut down"]
    assert module.conn.pool_size == 10


def test_machines_option_copies_the_per_machine_options_without_their_defaults():
    spec = dict(name=dict(type="str"), recovery_point=dict(type="str", default="latest"), state=dict(type="str"))
    option = b.machines_option(spec, ("name", "recovery_point"))
    assert option["options"] == {"name": {"type": "str", "required": True}, "recovery_point": {"type": "str"}}


def test_a_connection_problem_in_a_thread_fails_that_machine_and_never_ends_the_process():
    def act(view):
        if view.params["name"] == "b":
            view.client("broken")
        view.exit(False, client=view.client("siterecovery"))

    module = FakeModule([{"name": "a"}, {"name": "b"}])
    module.params["fail_on_error"] = False
    out = run(module, no_check, act)
    assert out.kind == "exit" and out.result["failed_machines"] == ["b"]
    assert "connection refused" in out.result["machines"]["b"]["msg"] and out.result["machines"]["a"]["client"] == "siterecovery"
