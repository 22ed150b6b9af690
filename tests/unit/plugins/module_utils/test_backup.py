import copy

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _backup as bk

OLD_POLICY = {
    "backupManagementType": "AzureIaasVM", "policyType": "V2", "instantRpRetentionRangeInDays": 7,
    "timeZone": "Eastern Standard Time", "protectedItemsCount": 4,
    "instantRPDetails": {"azureBackupRGNamePrefix": "rg-gov-snapshots"},
    "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicyV2", "scheduleRunFrequency": "Weekly",
                       "weeklySchedule": {"scheduleRunDays": ["Sunday", "Wednesday"],
                                          "scheduleRunTimes": ["2026-01-05T23:00:00Z"]}},
    "retentionPolicy": {
        "retentionPolicyType": "LongTermRetentionPolicy",
        "weeklySchedule": {"daysOfTheWeek": ["Sunday", "Wednesday"], "retentionTimes": ["2026-01-05T23:00:00Z"],
                           "retentionDuration": {"count": 12, "durationType": "Weeks"}},
        "monthlySchedule": {"retentionScheduleFormatType": "Weekly",
                            "retentionScheduleWeekly": {"daysOfTheWeek": ["Sunday"], "weeksOfTheMonth": ["First"]},
                            "retentionTimes": ["2026-01-05T23:00:00Z"],
                            "retentionDuration": {"count": 60, "durationType": "Months"}},
        "yearlySchedule": {"retentionScheduleFormatType": "Weekly", "monthsOfYear": ["January"],
                           "retentionScheduleWeekly": {"daysOfTheWeek": ["Sunday"], "weeksOfTheMonth": ["First"]},
                           "retentionTimes": ["2026-01-05T23:00:00Z"],
                           "retentionDuration": {"count": 10, "durationType": "Years"}}},
}


def test_mapped_policy_keeps_schedule_retention_zone_type_and_drops_the_old_vaults_own_settings():
    mapped = bk.mapped_policy(OLD_POLICY)
    assert mapped["policyType"] == "V2" and mapped["timeZone"] == "Eastern Standard Time"
    assert mapped["instantRpRetentionRangeInDays"] == 7
    assert mapped["schedulePolicy"] == OLD_POLICY["schedulePolicy"]
    assert mapped["retentionPolicy"] == OLD_POLICY["retentionPolicy"]
    assert "protectedItemsCount" not in mapped and "instantRPDetails" not in mapped
    mapped["retentionPolicy"]["weeklySchedule"]["retentionDuration"]["count"] = 1
    assert OLD_POLICY["retentionPolicy"]["weeklySchedule"]["retentionDuration"]["count"] == 12  # a copy


def test_standard_is_the_default_policy_type():
    old = {k: v for k, v in OLD_POLICY.items() if k != "policyType"}
    assert bk.mapped_policy(old)["policyType"] == "V1"


def test_same_time_of_day_in_another_date_or_format_is_equivalent():
    other = copy.deepcopy(bk.mapped_policy(OLD_POLICY))
    other["schedulePolicy"]["weeklySchedule"]["scheduleRunTimes"] = ["2018-01-24T23:00:00+00:00"]
    other["schedulePolicy"]["weeklySchedule"]["scheduleRunDays"] = ["Wednesday", "Sunday"]
    other["protectedItemsCount"] = 0
    assert bk.policy_differences(bk.mapped_policy(OLD_POLICY), other) == []


@pytest.mark.parametrize("path, value, differs", [
    (("retentionPolicy", "yearlySchedule", "retentionDuration", "count"), 5, "retentionPolicy"),
    (("schedulePolicy", "weeklySchedule", "scheduleRunTimes"), ["2026-01-05T22:30:00Z"], "schedulePolicy"),
    (("timeZone",), "UTC", "timeZone"),
    (("policyType",), "V1", "policyType"),
    (("instantRpRetentionRangeInDays",), 2, "instantRpRetentionRangeInDays"),
])
def test_differences_are_named(path, value, differs):
    other = copy.deepcopy(OLD_POLICY)
    node = other
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert bk.policy_differences(bk.mapped_policy(OLD_POLICY), other) == [differs]


def test_policy_summary():
    summary = bk.policy_summary(OLD_POLICY)
    assert summary["times"] == ["23:00"] and summary["weekly_retention"] == 12 and summary["yearly_retention"] == 10
    assert summary["daily_retention"] is None and summary["policy_type"] == "V2"


@pytest.mark.parametrize("old, new, matches, exists, old_data, steps", [
    (None, None, False, False, "retain", []),
    ("active", None, False, False, "retain", ["create_policy", "enable_protection", "stop_old_protection"]),
    ("active", None, False, True, "retain", ["enable_protection", "stop_old_protection"]),
    ("active", "active", True, True, "retain", ["stop_old_protection"]),       # interrupted before the old stop
    ("stopped", "active", True, True, "retain", []),                          # relocated
    ("stopped", "active", True, False, "retain", []),                         # its policy renamed since: still done
    ("stopped", "stopped", True, True, "retain", ["resume_protection"]),
    ("active", "active", False, True, "retain", ["resume_protection", "stop_old_protection"]),
    ("active", "active", True, True, "delete", ["delete_old_data"]),
    ("stopped", "active", True, True, "delete", ["delete_old_data"]),           # retained first, deleted later
    ("deleted", "active", True, True, "delete", []),
    ("deleted", "active", True, True, "retain", []),                          # deleted data is not brought back
])
def test_plan(old, new, matches, exists, old_data, steps):
    assert bk.plan(old, new, matches, exists, old_data) == steps


def test_item_state_and_names():
    assert bk.item_state(None) is None
    assert bk.item_state({"properties": {"protectionState": "IRPending"}}) == "active"
    assert bk.item_state({"properties": {"protectionState": "ProtectionStopped"}}) == "stopped"
    assert bk.item_state({"properties": {"protectionState": "ProtectionStopped",
                                         "isScheduledForDeferredDelete": True}}) == "deleted"
    item_id = ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupFabrics/Azure/"
               "protectionContainers/iaasvmcontainer;iaasvmcontainerv2;rg-a;vm1/protectedItems/vm;iaasvmcontainerv2;rg-a;vm1")
    assert bk.item_names(item_id) == ("Azure", "iaasvmcontainer;iaasvmcontainerv2;rg-a;vm1", "vm;iaasvmcontainerv2;rg-a;vm1")
    assert bk.vm_key("/subscriptions/s/resourceGroups/RG-A/providers/Microsoft.Compute/virtualMachines/VM1") == ("rg-a", "vm1")
    assert bk.vm_key("") == (None, None)


def test_recovery_point_summary():
    pts = [{"properties": {"recoveryPointTime": t}} for t in
           ("2026-11-20T23:00:00.0000000Z", "2026-11-18T23:00:00.0000000Z", "2026-11-19T23:00:00.0000000Z")]
    assert bk.recovery_point_summary(pts) == {"count": 3, "oldest": "2026-11-18T23:00:00.0000000Z",
                                              "newest": "2026-11-20T23:00:00.0000000Z"}
    assert bk.recovery_point_summary([]) == {"count": 0, "oldest": None, "newest": None}


class FakeSide:
    """Reads only: a check-mode run must not need anything else."""

    shared = None  # alone, not in a batch

    def __init__(self, vault, items=(), policies=None, points=()):
        self.vault, self.resource_group, self.client = vault, "rg", None
        self.items, self.policies, self.points = list(items), dict(policies or {}), list(points)

    def remember_policy(self, name, policy):
        self.policies[name] = policy

    def find_item(self, rg, vm, fresh=False):
        for item in self.items:
            if bk.vm_key(bk.item_vm_id(item)) == (rg.lower(), vm.lower()):
                return item
        return None

    def get_policy(self, name, fresh=False):
        return self.policies.get(name)

    def recovery_points(self, item):
        return self.points

    def protectable_item(self, rg, vm):
        return None


def _item(vault, rg, vm, state="Protected", policy="P1"):
    vm_id = "/subscriptions/s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" % (rg, vm)
    return {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/%s/backupFabrics/Azure/"
                  "protectionContainers/iaasvmcontainer;iaasvmcontainerv2;%s;%s/protectedItems/vm;iaasvmcontainerv2;%s;%s"
                  % (vault, rg, vm, rg, vm),
            "name": "vm;iaasvmcontainerv2;%s;%s" % (rg, vm),
            "properties": {"sourceResourceId": vm_id, "protectionState": state,
                           "policyId": "/x/backupPolicies/%s" % policy if policy else ""}}


def test_check_mode_predicts_every_step_and_calls_no_writer():
    old = FakeSide("old", [_item("old", "rg-a", "vm1")], {"P1": {"id": "/x/backupPolicies/P1", "properties": OLD_POLICY}},
                   [{"properties": {"recoveryPointTime": "2026-11-20T23:00:00Z"}}])
    new = FakeSide("new")
    run = bk.BackupRelocation(old, new, ("rg-a", "vm1"), ("rg-b", "vm1"), check_mode=True)
    changed, before, after, result = run.run()
    assert changed is True
    assert [a.split(" ")[0] for a in result["actions"]] == ["create", "enable", "stop"]
    assert before["old_vault"]["protection"] == "Protected" and after["old_vault"]["protection"] == "ProtectionStopped"
    assert before["new_vault"]["policy_exists"] is False and after["new_vault"]["policy"] == "P1"
    assert result["recovery_points"]["count"] == 1 and result["policy"]["created"] is True


def test_no_backup_is_not_an_error():
    changed, _before, _after, result = bk.BackupRelocation(FakeSide("old"), FakeSide("new"), ("rg-a", "vm1"),
                                                           ("rg-b", "vm1")).run()
    assert changed is False and result["had_backup"] is False and result["actions"] == []


def test_stopped_without_policy_and_nothing_in_the_new_vault_asks_for_a_policy():
    old = FakeSide("old", [_item("old", "rg-a", "vm1", state="ProtectionStopped", policy=None)])
    with pytest.raises(ValueError, match="set policy"):
        bk.BackupRelocation(old, FakeSide("new"), ("rg-a", "vm1"), ("rg-b", "vm1"), check_mode=True).run()


def test_a_different_existing_policy_is_refused_before_any_write():
    changed_policy = copy.deepcopy(OLD_POLICY)
    changed_policy["timeZone"] = "UTC"
    old = FakeSide("old", [_item("old", "rg-a", "vm1")], {"P1": {"id": "/x/backupPolicies/P1", "properties": OLD_POLICY}})
    new = FakeSide("new", policies={"P1": {"id": "/y/backupPolicies/P1", "properties": changed_policy}})
    with pytest.raises(ValueError, match="timeZone"):
        bk.BackupRelocation(old, new, ("rg-a", "vm1"), ("rg-b", "vm1")).run()


class CountingBackupClient:
    """The two lists a batch shares, counted."""

    def __init__(self, items, protectable):
        self.calls = {"items": 0, "protectable": 0}
        outer = self

        class Lister:
            def __init__(self, key, docs):
                self.key, self.docs = key, docs

            def list(self, *args, **kwargs):
                outer.calls[self.key] += 1
                return list(self.docs)

        self.backup_protected_items = Lister("items", items)
        self.backup_protectable_items = Lister("protectable", protectable)


def test_a_batch_reads_each_vault_list_once_and_alone_reads_afresh():
    import threading
    items = [_item("v", "rg-a", "vm-%d" % i) for i in range(5)]
    client = CountingBackupClient(items, [])
    side = bk.Side(client, "v", "rg", {"lock": threading.RLock()})
    for i in range(5):
        assert side.find_item("RG-A", "vm-%d" % i)["name"].endswith("vm-%d" % i)
    assert side.find_item("rg-a", "vm-missing") is None
    assert client.calls["items"] == 1
    assert side.find_item("rg-a", "vm-1", fresh=True) is not None and client.calls["items"] == 2  # after a change
    for _i in range(3):
        side.protectable_item("rg-a", "vm-1")
    assert client.calls["protectable"] == 1
    alone = bk.Side(CountingBackupClient(items, []), "v", "rg")
    alone.find_item("rg-a", "vm-1")
    alone.find_item("rg-a", "vm-2")
    assert alone.client.calls["items"] == 2
