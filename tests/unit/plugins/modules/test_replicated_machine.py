"""replicated_machine: classic enables refused since Microsoft retired them (unless opted in), and the classic enable
body names its replication group."""

import pytest

from ansible_collections.azmove.site_recovery.plugins.modules import replicated_machine as rm


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, **params):
        self.params = dict(name="vm-app-win01", provider="classic", allow_classic_enable=False, replicate_again=False,
                           computer_name=None, source_vm_id=None, source_connection="source", wait=False, wait_for="enabled", resource_group="rg", vault="v",
                           configuration_server="cs-gov-01", appliance=None)
        self.params.update(params)
        self.check_mode = False

    def fail(self, msg, **result):
        raise Failed(msg)


class FakeSiteRecovery:
    """Records writes; reads answer from what the test gives."""

    def __init__(self, container_items=()):
        self.azmod = None
        self.resource_group, self.vault = "rg", "v"
        self.container_items = list(container_items)
        self.writes = []

    def list(self, group, method="list", *names, **kw):
        if group == "replication_jobs":
            return []
        return self.container_items

    def get(self, group, *names, **kw):
        return None

    def start(self, group, method, *args, **kw):
        self.writes.append((method, args))
        return rm.Operation("job-1")


def replication(module, sr):
    rep = rm.Replication(module)
    rep.sr = sr
    rep.protectable = {"id": "pi-1", "name": "pi-1"}
    rep.server = {"fabric_name": "cs-fabric", "container_name": "cloud_1"}
    rep.resolve_spec = lambda: dict(policy_id="P", protectable_item_id="pi-1", process_server_id="PS", run_as_account_id="1",
                                    target_resource_group_id="RG", target_network_id="/s/N",
                                    target_subnet_id="/s/N/subnets/snet-app", target_vm_name="vm-app-win01",
                                    log_storage_account_id="SA", multi_vm_group="wave1")
    return rep


def test_a_new_classic_enable_is_refused_before_any_write_with_microsofts_dates():
    sr = FakeSiteRecovery()
    with pytest.raises(Failed) as err:
        replication(FakeModule(), sr).present(None)
    assert "January 31, 2026" in str(err.value) and "March 15, 2026" in str(err.value)
    assert "allow_classic_enable: true" in str(err.value)
    assert sr.writes == []


def test_a_failed_classic_enable_is_not_removed_and_enabled_again_without_the_opt_in():
    sr = FakeSiteRecovery()
    failed = {"name": "vm-app-win01", "properties": {"protectionState": "EnablingFailed",
                                                     "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}
    with pytest.raises(Failed):
        replication(FakeModule(), sr).present(failed)
    assert sr.writes == []


def test_with_the_opt_in_the_enable_joins_the_existing_group_by_its_id():
    group_member = {"properties": {"providerSpecificDetails": {"instanceType": "InMageAzureV2", "multiVmGroupName": "wave1",
                                                               "multiVmGroupId": "g-wave1"}}}
    sr = FakeSiteRecovery([group_member])
    replication(FakeModule(allow_classic_enable=True), sr).present(None)
    (method, args), = sr.writes
    details = args[-1]["properties"]["providerSpecificDetails"]
    assert method == "begin_create"
    assert (details["multiVmGroupName"], details["multiVmGroupId"]) == ("wave1", "g-wave1")
    assert details["targetAzureSubnetId"] == "snet-app"


def test_modernized_enables_need_no_opt_in():
    sr = FakeSiteRecovery()
    replication(FakeModule(provider="modernized", configuration_server=None), sr).present(None)
    assert [w[0] for w in sr.writes] == ["begin_create"]


def test_disable_sends_no_provider_input():
    assert rm.Replication.disable_input("MigrationComplete") == {"properties": {"disableProtectionReason": "MigrationComplete"}}
