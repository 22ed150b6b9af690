"""Power actions of Microsoft.Compute/virtualMachines: POST .../start, .../powerOff, .../deallocate.

As Azure answers them (azure-mgmt-compute's begin_start / begin_power_off / begin_deallocate: initial 200 or 202, then
ARMPolling): 202 with no body, Azure-AsyncOperation .../locations/{loc}/operations/{id} and a Location with
monitor=true (the same pair a VM delete gets, served by compute_runcommand.operation through
compute.compute_operation_status); the SDK polls the Azure-AsyncOperation URL and, a POST having a Location, ends with
a GET of it (204 once done). The VM shows the transition at once (PowerState/starting, stopping, deallocating) and its
final state when the operation ends. A VM already in the state asked for is left as it is, and the action still
answers 202, as Azure does. Durations are invented (tens of seconds, a deallocate longer than a stop).
"""
from ..arm import ROUTER
from ..httpbase import Response
from . import compute
from .resources import require_rg

POWER_KIND = "compute-power"
# action -> (state while it runs, state at the end, seconds)
ACTIONS = {"start": ("starting", "running", 45), "powerOff": ("stopping", "stopped", 30),
           "deallocate": ("deallocating", "deallocated", 90)}


def _route(action):
    during, final, seconds = ACTIONS[action]

    @ROUTER.route("POST", compute.P + "Microsoft.Compute/virtualMachines/{name}/" + action, rtype=compute.VM_TYPE,
                  api_versions=compute.COMPUTE_VERSIONS)
    def power(ctx, req, p):
        require_rg(ctx, p["sub"], p["rg"])
        vm = compute._get(ctx, p, compute.VM_TYPE, "virtualMachines", compute.VM_TYPE)  # pylint: disable=protected-access
        current = vm.get("azsim", {}).get("power_state", "running")
        # powerOff keeps a deallocated VM deallocated (it is off, and stopping it frees nothing more)
        if current != final and not (action == "powerOff" and current == "deallocated"):
            compute.set_power_state(ctx.sim, ctx.cloud, vm["id"], during)
            patch = {"azsim": {"power_state": final}}
        else:
            patch = {}
        op_id = ctx.sim.start_operation(ctx.cloud, POWER_KIND, seconds if patch else 0, {
            "name": "merge_resource", "rid": vm["id"], "patch": patch,
            "meta": {"type": compute.VM_TYPE, "sub": p["sub"], "rg": p["rg"]}}, req.method, req.path)
        return Response(202, b"", compute._delete_headers(ctx, p["sub"], vm["location"], op_id, "operations"))  # pylint: disable=protected-access

    power.__name__ = "vm_" + action
    return power


for _action in ACTIONS:
    _route(_action)
