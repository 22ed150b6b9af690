"""Resource providers. Importing this package registers every provider's routes on arm.ROUTER.

To add a provider: create a module that decorates handlers with
`@ROUTER.route(methods, template, rtype=..., api_versions=...)`, import it below,
and (if its LROs have side effects) register completion actions in register_actions().
"""
import copy

from . import compute, recoveryservices, resources, storage  # noqa: F401  (route registration)
from . import siterecovery, siterecovery_cs, siterecovery_items  # noqa: F401
from . import siterecovery_failover  # noqa: F401
from . import siterecovery_rcm, siterecovery_rcm_items  # noqa: F401  (modernized: replication appliance, InMageRcm)
from . import compute_catalog, network  # noqa: F401  (Network writes; usages, SKUs, availability sets)
from . import compute_runcommand  # noqa: F401  (virtualMachines/runCommand and the guest it runs in)
from . import compute_power  # noqa: F401  (virtualMachines start, powerOff, deallocate)
from . import authorization  # noqa: F401  (effective permissions, and their enforcement)
from . import backup  # noqa: F401  (Azure Backup of Azure VMs: policies, protected items, recovery points)
from . import insights  # noqa: F401  (Microsoft.Insights/diagnosticSettings on any resource)
from . import tags  # noqa: F401  (Microsoft.Resources/tags at a resource's scope)
from . import sqlvm  # noqa: F401  (Microsoft.SqlVirtualMachine/sqlVirtualMachines of SQL Server VMs)

__all__ = ["compute", "recoveryservices", "resources", "storage", "siterecovery", "siterecovery_cs",
           "siterecovery_items", "siterecovery_failover", "siterecovery_rcm", "siterecovery_rcm_items",
           "register_actions", "deep_merge"]


def deep_merge(base, patch):
    out = copy.deepcopy(base)
    for k, v in (patch or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _delete_resource(sim, cloud, action):
    sim.store.delete_resource(cloud, action["rid"])


def _delete_rg(sim, cloud, action):
    sim.store.delete_rg_contents(cloud, action["sub"], action["rg"])
    sim.store.delete_resource(cloud, action["rid"])


def _merge_resource(sim, cloud, action):
    with sim.store.lock:
        body = sim.store.get_resource(cloud, action["rid"])
        if body is None:
            return
        body = deep_merge(body, action.get("patch"))
        meta = action["meta"]
        sim.store.put_resource(cloud, action["rid"], meta["type"], meta["sub"], meta["rg"], body)


def register_actions(sim):
    sim.register_action("delete_resource", _delete_resource)
    sim.register_action("delete_rg", _delete_rg)
    sim.register_action("merge_resource", _merge_resource)
    sim.register_action("compute_vm_delete", compute.finish_vm_delete)
    siterecovery.register_actions(sim)
    backup.register_actions(sim)
