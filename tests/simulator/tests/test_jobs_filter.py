"""The vault's job list and its $filter: StartTime and EndTime bound when a job started (how a batch reads the
history of one window once); what the service does not take is refused with 400 InvalidFilter, not ignored."""

import datetime

import pytest
from azure.core.exceptions import HttpResponseError

from simhelpers import asr_client, clients

RG, VAULT = "rg-jobsfilter-eastus", "rsv-jobsfilter"
POLICY = {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 4320, "crashConsistentFrequencyInMinutes": 5,
          "enableMultiVmSync": "True"}


def window(start, end):
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return "StartTime eq '%s' and EndTime eq '%s'" % (start.strftime(fmt), end.strftime(fmt))


def test_time_window_and_refusals(ep):
    rm, rs = clients(ep, "public")
    rm.resource_groups.create_or_update(RG, {"location": "eastus"})
    rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"},
                                                 "properties": {"publicNetworkAccess": "Enabled"}}).result()
    asr = asr_client(ep)
    asr.replication_policies.begin_create(RG, VAULT, "policy-window", {"properties": {"providerSpecificInput": POLICY}}).result()
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    names = [j.name for j in asr.replication_jobs.list(RG, VAULT)]
    assert names
    assert [j.name for j in asr.replication_jobs.list(RG, VAULT, filter=window(now - day, now + day))] == names
    assert list(asr.replication_jobs.list(RG, VAULT, filter=window(now - 2 * day, now - day))) == []
    assert list(asr.replication_jobs.list(RG, VAULT, filter=window(now + day, now + 2 * day))) == []
    for bad in ("StartTime ge '2026-01-01T00:00:00Z'", "StartTime eq 'yesterday'", "Colour eq 'blue'",
                "JobStatus eq 'Failed' or JobStatus eq 'Succeeded'", "StartTime eq 2026-01-01"):
        with pytest.raises(HttpResponseError) as exc:
            list(asr.replication_jobs.list(RG, VAULT, filter=bad))
        assert exc.value.status_code == 400 and "InvalidFilter" in str(exc.value), bad
