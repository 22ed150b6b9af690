"""The wave status report: rows, counts and blockers from one list of items and one of jobs; a page that escapes
everything and reaches for nothing outside itself."""

import copy
import json
import re

from ansible_collections.azmove.site_recovery.plugins.module_utils import _report

VAULT = "/subscriptions/s/resourceGroups/rg-landing-eastus/providers/Microsoft.RecoveryServices/vaults/rsv-wave"
CONTAINER = VAULT + "/replicationFabrics/f1/replicationProtectionContainers/c1"
IDLE = {"scenarioName": "None", "jobId": VAULT + "/replicationJobs/None", "startTime": "1753-01-01T01:01:01Z"}
GENERATED = "2026-05-04T10:00:00Z"


def rcm_item(name, state="Protected", description="Protected", progress=None, rpo=31, point="2026-05-04T09:30:00Z",
             health="Normal", errors=None, tfo_state="None", current=None, last_tfo=None, ir_start="2026-05-04T08:01:00Z"):
    """An InMageRcm replicated item as the simulator and Azure render it (TestV2ARCMCommit keys)."""
    in_ir = state == "InitialReplicationInProgress"
    disks = [] if state == "EnablingFailed" else [{
        "diskId": "d0", "isInitialReplicationComplete": "false" if in_ir else "true",
        "logStorageAccountId": "/subscriptions/s/x/storageAccounts/stmovecacheeastus",
        "irDetails": {"startTime": ir_start, "progressPercentage": progress if in_ir else 100}}]
    props = {
        "friendlyName": name, "protectionState": state, "protectionStateDescription": description,
        "activeLocation": "Primary", "testFailoverState": tfo_state, "testFailoverStateDescription": tfo_state,
        "allowedOperations": ["TestFailover", "UnplannedFailover", "DisableProtection"], "replicationHealth": health,
        "failoverHealth": "Normal", "healthErrors": errors or [], "currentScenario": current or IDLE,
        "policyId": VAULT + "/replicationPolicies/gov-to-public-24h", "policyFriendlyName": "gov-to-public-24h",
        "primaryFabricFriendlyName": "asr-1234abcd",
        "providerSpecificDetails": {
            "instanceType": "InMageRcm", "targetVmName": name, "targetVmSize": "Standard_D2s_v3",
            "targetResourceGroupId": "/subscriptions/s/resourceGroups/rg-lifecycle-eastus",
            "targetNetworkId": "/subscriptions/s/resourceGroups/rg-landing-eastus/providers/Microsoft.Network/virtualNetworks/vnet-landing-eastus",
            "testNetworkId": "/subscriptions/s/resourceGroups/rg-landing-eastus/providers/Microsoft.Network/virtualNetworks/vnet-test-eastus",
            "initialReplicationProgressPercentage": progress if in_ir else None,
            "lastRpoInSeconds": None if in_ir or not disks else rpo,
            "lastRecoveryPointReceived": None if in_ir or not disks else point,
            "resyncState": "None",
            "protectedDisks": disks,
        },
    }
    if last_tfo:
        props["lastSuccessfulTestFailoverTime"] = last_tfo
    # Named after the source VM, as the collection enables it; the friendly name is what the appliance discovered.
    return {"id": CONTAINER + "/replicationProtectedItems/" + name, "name": name, "properties": props}


def job(name, scenario, target, start, end=None, state="Succeeded", errors=None):
    """A job as replicationJobs renders it (render_job keys; endTime missing while it runs)."""
    props = {"scenarioName": scenario, "friendlyName": scenario, "state": state, "stateDescription": state, "tasks": [],
             "errors": errors or [], "startTime": start, "targetObjectId": "vm-" + target, "targetObjectName": target,
             "targetInstanceType": "ProtectionEntity", "allowedActions": []}
    if end:
        props["endTime"] = end
    return {"id": VAULT + "/replicationJobs/" + name, "name": name, "properties": props}


PUSH_ERROR = {"serviceErrorDetails": {"code": "28041", "message": "Protection couldn't be enabled.",
                                      "recommendedAction": "Resolve the provider error and retry the operation."},
              "providerErrorDetails": {"errorCode": 95107, "errorMessage": "The credentials are not an administrator's.",
                                       "recommendedAction": "Set LocalAccountTokenFilterPolicy to 1."},
              "errorLevel": "Error", "taskId": "t2"}

ITEMS = [
    rcm_item("vm-app-win01", tfo_state="WaitingForCompletion", description="Cleanup test failover pending",
             current={"scenarioName": "TestFailover", "jobId": VAULT + "/replicationJobs/tfo-1", "startTime": "2026-05-04T09:40:00Z"},
             last_tfo="2026-05-04T09:40:00Z"),
    rcm_item("vm-app-lnx01", state="InitialReplicationInProgress", description="Initial replication in progress", progress=40),
    rcm_item("vm-app-win02", state="EnablingFailed", description="Protection couldn't be enabled", health="Critical",
             errors=[{"errorCode": "95107", "errorMessage": "The credentials are not an administrator's.",
                      "recommendedAction": "Set LocalAccountTokenFilterPolicy to 1.", "errorLevel": "Error"}],
             current={"scenarioName": "EnableDr", "jobId": VAULT + "/replicationJobs/en-3", "startTime": "2026-05-04T08:00:00Z"}),
    rcm_item("vm-db-lnx02", health="Critical",
             errors=[{"errorCode": "78122", "errorMessage": "No heartbeat from the Mobility service for 30 minutes.",
                      "errorLevel": "Error"}]),
]
JOBS = [
    job("en-1", "EnableDr", "vm-app-win01", "2026-05-04T08:00:00.1234567Z", "2026-05-04T08:01:00.5Z"),
    job("tfo-1", "TestFailover", "vm-app-win01", "2026-05-04T09:40:00Z", "2026-05-04T09:42:30Z"),
    job("en-2", "EnableDr", "vm-app-lnx01", "2026-05-04T08:00:00Z", "2026-05-04T08:01:00Z"),
    job("en-3", "EnableDr", "vm-app-win02", "2026-05-04T08:00:00Z", "2026-05-04T08:00:40Z", state="Failed", errors=[PUSH_ERROR]),
    job("en-4", "EnableDr", "vm-db-lnx02", "2026-05-04T07:00:00Z", "2026-05-04T07:01:00Z"),
    job("other", "CreatePolicy", "gov-to-public-24h", "2026-05-04T07:00:00Z", "2026-05-04T07:00:01Z"),
]
WAVE = {"vault": "rsv-wave", "resource_group": "rg-landing-eastus"}
DEPENDENCIES = {
    "scope": ["vm-app-win01"],
    "resources": [
        {"id": "/s/rg/providers/Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-app", "name": "vnet-app/snet-app",
         "type": "subnet", "used_by": ["vm-app-win01"], "used_outside_scope_by": ["vm-app-win02"], "shared_outside_scope": True},
        {"id": "/s/rg/providers/Microsoft.Network/virtualNetworks/vnet-app", "name": "vnet-app", "type": "virtual_network",
         "used_by": ["vm-app-win01"], "used_outside_scope_by": [], "shared_outside_scope": False},
        {"id": "/s/rg/providers/Microsoft.Network/loadBalancers/lbi-app-gov", "name": "lbi-app-gov", "type": "load_balancer",
         "used_by": ["vm-app-win01"], "used_outside_scope_by": ["vm-app-win02"], "shared_outside_scope": True},
    ],
    "edges": [
        {"from": "/s/rg/providers/Microsoft.Compute/virtualMachines/vm-app-win01",
         "to": "/s/rg/providers/Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-app", "relation": "network interface in subnet"},
        {"from": "/s/rg/providers/Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-app",
         "to": "/s/rg/providers/Microsoft.Network/virtualNetworks/vnet-app", "relation": "subnet of"},
        {"from": "/s/rg/providers/Microsoft.Compute/virtualMachines/vm-app-win01",
         "to": "/s/rg/providers/Microsoft.Network/loadBalancers/lbi-app-gov", "relation": "backend pool be-app"},
    ],
    "outside_edges": [
        {"from": "/s/rg/providers/Microsoft.Compute/virtualMachines/vm-app-win02",
         "to": "/s/rg/providers/Microsoft.Network/loadBalancers/lbi-app-gov", "relation": "backend pool be-app"},
    ],
    "shared_outside_scope": [],
}


def report(**kwargs):
    return _report.build(ITEMS, JOBS, WAVE, dependencies=kwargs.pop("dependencies", DEPENDENCIES), generated_at=GENERATED, **kwargs)


def rows(rep):
    return {r["name"]: r for r in rep["machines"]}


def test_each_machine_gets_phase_health_progress_rpo_point_tfo_and_target():
    by = rows(report())
    win01 = by["vm-app-win01"]
    assert win01["phase"] == "test_failover_pending_cleanup"
    assert win01["progress_percent"] == 100 and win01["rpo_seconds"] == 31
    assert win01["last_recovery_point"] == "2026-05-04T09:30:00Z"
    assert win01["last_test_failover"]["result"] == "Succeeded" and win01["last_test_failover"]["job"] == "tfo-1"
    assert win01["last_test_failover"]["when"] == "2026-05-04T09:40:00Z"
    assert win01["target_vm"] == "vm-app-win01"
    assert win01["target"] == {"vm_name": "vm-app-win01", "vm_size": "Standard_D2s_v3", "resource_group": "rg-lifecycle-eastus",
                               "network": "vnet-landing-eastus", "test_network": "vnet-test-eastus",
                               "resource_group_id": "/subscriptions/s/resourceGroups/rg-lifecycle-eastus", "vm_id": None}
    assert by["vm-app-lnx01"]["phase"] == "initial_replication" and by["vm-app-lnx01"]["progress_percent"] == 40
    assert by["vm-app-lnx01"]["last_test_failover"] is None
    win02 = by["vm-app-win02"]
    assert win02["health"] == "Critical" and win02["health_errors"][0]["code"] == "95107"
    assert win02["progress_percent"] is None and win02["rpo_seconds"] is None
    assert [t["step"] for t in win02["timings"]] == ["enable_replication"] and win02["timings"][0]["state"] == "Failed"


def test_timings_per_step_from_the_vaults_jobs():
    win01 = rows(report())["vm-app-win01"]
    steps = {t["step"]: t for t in win01["timings"]}
    assert list(steps) == ["enable_replication", "initial_replication", "test_failover"]
    assert steps["enable_replication"]["start"] == "2026-05-04T08:00:00Z" and steps["enable_replication"]["end"] == "2026-05-04T08:01:00Z"
    assert steps["enable_replication"]["duration_seconds"] == 60 and steps["enable_replication"]["job"] == "en-1"
    assert steps["test_failover"]["duration_seconds"] == 150 and steps["test_failover"]["state"] == "Succeeded"
    assert steps["initial_replication"]["start"] == "2026-05-04T08:01:00Z" and steps["initial_replication"]["state"] == "Completed"
    lnx = {t["step"]: t for t in rows(report())["vm-app-lnx01"]["timings"]}
    # Still running: measured up to the report's time.
    assert lnx["initial_replication"]["running"] and lnx["initial_replication"]["duration_seconds"] == 7140


def test_a_running_job_has_no_end_and_counts_until_now():
    jobs = JOBS + [job("fo-1", "UnplannedFailover", "vm-db-lnx02", "2026-05-04T09:59:00Z", state="InProgress")]
    db = rows(_report.build(ITEMS, jobs, WAVE, generated_at=GENERATED))["vm-db-lnx02"]
    failover = [t for t in db["timings"] if t["step"] == "failover"][0]
    assert failover["end"] is None and failover["running"] and failover["duration_seconds"] == 60


def test_counts_per_phase_and_blockers_in_words():
    wave = report()["wave"]
    assert wave["counts"] == {"enable_failed": 1, "initial_replication": 1, "protected": 1, "test_failover_pending_cleanup": 1}
    assert wave["machine_count"] == 4 and wave["blocked"] == 4 and wave["ready"] == 0
    reasons = {b["machine"]: b["reasons"] for b in wave["blockers"]}
    assert reasons["vm-app-lnx01"] == ["initial replication at 40 %"]
    assert reasons["vm-app-win01"] == ["test failover pending cleanup"]
    assert reasons["vm-app-win02"] == ["enable replication failed: 95107 The credentials are not an administrator's."]
    assert reasons["vm-db-lnx02"] == ["replication unhealthy: 78122 No heartbeat from the Mobility service for 30 minutes."]
    nexts = {b["machine"]: b["next_step"] for b in wave["blockers"]}
    assert nexts["vm-app-win01"] == "failover" and nexts["vm-app-lnx01"] == "test failover"


def test_a_healthy_protected_machine_after_its_test_is_ready_for_failover():
    item = rcm_item("vm-ok", last_tfo="2026-05-04T09:00:00Z")
    jobs = [job("t", "TestFailover", "vm-ok", "2026-05-04T09:00:00Z", "2026-05-04T09:01:00Z"),
            job("c", "TestFailoverCleanup", "vm-ok", "2026-05-04T09:10:00Z", "2026-05-04T09:12:00Z")]
    rep = _report.build([item], jobs, WAVE, generated_at=GENERATED)
    row = rep["machines"][0]
    assert row["phase"] == "protected" and row["next_step"] == "failover" and row["blockers"] == []
    assert rep["wave"]["blockers"] == [] and rep["wave"]["ready"] == 1
    assert [t["step"] for t in row["timings"]] == ["initial_replication", "test_failover", "test_failover_cleanup"]


def test_a_failed_failover_blocks_with_its_error_and_job():
    error = {"serviceErrorDetails": {"code": "70094", "message": "The failover of the virtual machine failed."}}
    jobs = [job("fo-9", "UnplannedFailover", "vm-db-lnx02", "2026-05-04T09:00:00Z", "2026-05-04T09:03:00Z", state="Failed", errors=[error])]
    item = rcm_item("vm-db-lnx02")
    row = _report.build([item], jobs, WAVE, generated_at=GENERATED)["machines"][0]
    assert row["blockers"] == ["last failover failed: 70094 The failover of the virtual machine failed. (job fo-9)"]


def test_named_machines_missing_or_migrated():
    jobs = [job("d-1", "DisableDr", "vm-gone", "2026-05-04T09:00:00Z", "2026-05-04T09:00:05Z")]
    rep = _report.build(ITEMS, jobs, WAVE, generated_at=GENERATED, names=["vm-gone", "vm-never", "VM-APP-LNX01"])
    by = rows(rep)
    assert by["vm-gone"]["phase"] == "migrated" and by["vm-gone"]["blockers"] == [] and by["vm-gone"]["next_step"] is None
    assert by["vm-never"]["phase"] == "missing" and by["vm-never"]["blockers"] == ["not replicated: the vault has no replicated item for it"]
    assert by["vm-app-lnx01"]["phase"] == "initial_replication"
    assert set(by) == {"vm-gone", "vm-never", "vm-app-lnx01"}


def test_job_summaries_are_taken_as_well_as_raw_jobs():
    from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import job_summary
    assert _report.build(ITEMS, [job_summary(j) for j in JOBS], WAVE, generated_at=GENERATED) == report(dependencies=None)


def test_comparable_ignores_the_time_and_the_rpo_within_the_minute():
    first = report()
    again = _report.build(copy.deepcopy(ITEMS), JOBS, WAVE, dependencies=DEPENDENCIES, generated_at="2026-05-04T10:05:00Z")
    assert _report.comparable(first) == _report.comparable(again)
    items = copy.deepcopy(ITEMS)
    items[3]["properties"]["providerSpecificDetails"]["lastRpoInSeconds"] = 44
    assert _report.comparable(_report.build(items, JOBS, WAVE, dependencies=DEPENDENCIES, generated_at=GENERATED)) == _report.comparable(first)
    items[3]["properties"]["providerSpecificDetails"]["lastRpoInSeconds"] = 75
    assert _report.comparable(_report.build(items, JOBS, WAVE, dependencies=DEPENDENCIES, generated_at=GENERATED)) != _report.comparable(first)
    items = copy.deepcopy(ITEMS)
    items[3]["properties"]["providerSpecificDetails"]["lastRecoveryPointReceived"] = "2026-05-04T09:35:00Z"
    assert _report.comparable(_report.build(items, JOBS, WAVE, dependencies=DEPENDENCIES, generated_at=GENERATED)) != _report.comparable(first)
    # What the JSON file holds compares equal to what was built, and renders the same page (the module compares both).
    assert _report.comparable(json.loads(_report.to_json(first))) == _report.comparable(first)
    assert _report.render_html(json.loads(_report.to_json(first))) == _report.render_html(first)


def test_parse_time_takes_azure_forms_and_drops_its_no_time_values():
    assert _report.iso(_report.parse_time("2017-04-27T11:25:57.3029434Z")) == "2017-04-27T11:25:57Z"
    assert _report.iso(_report.parse_time("2026-05-04T10:00:00+02:00")) == "2026-05-04T08:00:00Z"
    assert _report.parse_time("1753-01-01T01:01:01Z") is None and _report.parse_time("0001-01-01T00:00:00") is None
    assert _report.parse_time(None) is None and _report.parse_time("soon") is None
    assert [_report.duration_text(s) for s in (5, 60, 185, 7200, 90061)] == ["5 s", "1 min", "3 min 5 s", "2 h", "1 d 1 h"]


# -- the page ----------------------------------------------------------------------------------------------------
def test_page_shows_every_machine_with_its_phase_the_counts_blockers_and_an_svg():
    page = _report.render_html(report())
    for name in ("vm-app-win01", "vm-app-lnx01", "vm-app-win02", "vm-db-lnx02"):
        assert '<tr data-machine="%s">' % name in page
    assert "test failover pending cleanup" in page and "initial replication at 40 %" in page
    assert '<tr data-phase="initial_replication"><td><span class="phase phase-initial_replication">initial replication</span></td><td class="n">1</td>' in page
    assert '<svg id="dependency-graph"' in page and page.count('class="node ') == 5
    assert 'data-name="vm-app-win02"' in page and "VM outside the wave" in page
    assert "lbi-app-gov (load balancer): vm-app-win02" in page
    assert '<tr data-machine="vm-app-win01" data-step="test_failover"><td>vm-app-win01</td><td>Test failover</td><td>Succeeded</td>' in page
    assert "<td>2026-05-04 09:40:00</td><td>2026-05-04 09:42:30</td><td>2 min 30 s</td>" in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_page_without_dependencies_says_so():
    page = _report.render_html(report(dependencies=None))
    assert "<svg" not in page and "No dependency analysis was given" in page


def test_everything_from_azure_or_the_user_is_escaped():
    evil = '<script>alert("x")</script>&'
    items = copy.deepcopy(ITEMS)
    items[0]["properties"]["friendlyName"] = evil
    items[3]["properties"]["healthErrors"][0]["errorMessage"] = '<img src="https://example.com/x.png">'
    deps = copy.deepcopy(DEPENDENCIES)
    deps["resources"][2]["name"] = '"><a href="https://example.com">lb</a>'
    rep = _report.build(items, JOBS, WAVE, dependencies=deps, generated_at=GENERATED, title="Wave <1> & 'two'")
    page = _report.render_html(rep)
    assert "<script" not in page and "<img" not in page and "<a " not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page
    assert "<title>Wave &lt;1&gt; &amp; &#x27;two&#x27;</title>" in page
    assert "&lt;img src=&quot;https://example.com/x.png&quot;&gt;" in page


def test_page_reaches_for_nothing_outside_itself():
    page = _report.render_html(report())
    assert not re.search(r"""(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"<script\b", page, re.I) and not re.search(r"<link\b", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", page, re.I)
    assert "http://" not in page and "https://" not in page


def test_svg_layout_puts_wave_vms_first_then_dependencies_by_depth_and_outside_vms_last():
    nodes, edges = _report.graph_layout(DEPENDENCIES)
    cols = {n["name"]: n["col"] for n in nodes.values()}
    assert cols == {"vm-app-win01": 0, "vnet-app/snet-app": 1, "lbi-app-gov": 1, "vnet-app": 2, "vm-app-win02": 0}
    rows_ = {n["name"]: n["row"] for n in nodes.values() if n["col"] == 0}
    assert rows_ == {"vm-app-win01": 0, "vm-app-win02": 1}  # the wave's VMs first
    assert len(edges) == 4 and sum(1 for e in edges if e[3]) == 1
    positions = {(n["x"], n["y"]) for n in nodes.values()}
    assert len(positions) == len(nodes)  # no two boxes on top of each other
