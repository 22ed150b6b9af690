"""VM start, power off and deallocate as the compute SDK's begin_* LROs see them: 202 with Azure-AsyncOperation and
a Location (monitor=true), the transition state at once, the final state when the operation ends."""
import pytest

from simhelpers import client_kwargs, credential

RG = "rg-power-sim"
LOC = "usgovvirginia"


@pytest.fixture(scope="module")
def compute(ep, admin):
    from azure.mgmt.compute import ComputeManagementClient
    admin.seed({"gov": {"resource_groups": [{"name": RG, "location": LOC}],
                        "virtual_machines": [{"name": "vm-power-a", "resource_group": RG, "location": LOC,
                                              "os_type": "Linux", "private_ip": "10.60.1.4", "vnet": "vnet-power",
                                              "subnet": "snet-a", "subnet_prefix": "10.60.1.0/24"}]}})
    yield ComputeManagementClient(credential(ep), ep["clouds"]["gov"]["subscription_id"], polling_interval=0,
                                  **client_kwargs(ep))
    from azure.mgmt.resource.resources import ResourceManagementClient
    rm = ResourceManagementClient(credential(ep), ep["clouds"]["gov"]["subscription_id"], polling_interval=0,
                                  **client_kwargs(ep))
    rm.resource_groups.begin_delete(RG).result()


def power(compute):
    vm = compute.virtual_machines.get(RG, "vm-power-a", expand="instanceView")
    return [s.code for s in vm.instance_view.statuses if s.code.startswith("PowerState/")][0].split("/")[1]


def test_power_off_deallocate_and_start_end_in_their_states(compute, admin):
    compute.virtual_machines.begin_power_off(RG, "vm-power-a").result()
    assert power(compute) == "stopped"
    compute.virtual_machines.begin_deallocate(RG, "vm-power-a").result()
    assert power(compute) == "deallocated"
    compute.virtual_machines.begin_power_off(RG, "vm-power-a").result()  # off already: it stays deallocated
    assert power(compute) == "deallocated"
    compute.virtual_machines.begin_start(RG, "vm-power-a").result()
    assert power(compute) == "running"
    compute.virtual_machines.begin_start(RG, "vm-power-a").result()  # running already: no change, no error
    assert power(compute) == "running"


def test_the_transition_shows_while_the_operation_runs(compute, admin):
    compute.virtual_machines.begin_power_off(RG, "vm-power-a").result()
    admin.set_time_factor(1)  # 45 s: long enough to read the VM while it starts
    poller = compute.virtual_machines.begin_start(RG, "vm-power-a", polling=False)
    assert power(compute) == "starting"
    headers = poller._polling_method._initial_response.http_response.headers  # pylint: disable=protected-access
    assert "/providers/Microsoft.Compute/locations/" in headers["Azure-AsyncOperation"]
    assert "monitor=true" in headers["Location"]
    admin.set_time_factor(0)
