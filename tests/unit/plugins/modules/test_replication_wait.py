"""replication_wait: a wave poll reads the jobs only of machines whose job has run long (to see a Suspended one)."""

import datetime

from ansible_collections.azmove.site_recovery.plugins.modules import replication_wait as rw

NOW = datetime.datetime(2026, 2, 1, 12, 0, tzinfo=datetime.timezone.utc)


def item(name, job, start):
    return {"name": name, "properties": {"friendlyName": name, "protectionState": "EnablingProtection", "replicationHealth": "Normal",
                                         "currentScenario": {"scenarioName": "EnableDr", "jobId": "/x/replicationJobs/" + job,
                                                             "startTime": start},
                                         "providerSpecificDetails": {"instanceType": "InMageRcm"}}}


class FakeSiteRecovery:
    def __init__(self, items, states):
        self.items, self.states, self.read = items, states, []

    def list(self, group, *a, **k):
        return self.items

    def job(self, name):
        self.read.append(name)
        return {"name": name, "properties": {"state": self.states[name]}}


def test_only_long_running_jobs_are_read_and_a_suspended_one_fails_its_machine():
    sr = FakeSiteRecovery([item("a", "job-a", "2026-02-01T11:58:00.1234567Z"), item("b", "job-b", "2026-02-01T10:00:00Z")],
                          {"job-a": "InProgress", "job-b": "Suspended"})
    status = rw.poll_wave(sr, ["a", "b"], "protected", now=NOW)
    assert sr.read == ["job-b"]
    assert status["a"][0] == "in_progress" and status["b"][0] == "failed"
    assert "Resume-AzRecoveryServicesAsrJob -Name job-b" in rw.results_of(status)["b"]["suspended_job"]
