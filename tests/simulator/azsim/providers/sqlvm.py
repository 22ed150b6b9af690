"""Microsoft.SqlVirtualMachine/sqlVirtualMachines: the SQL IaaS Agent extension's resource of a VM running SQL Server.

A VM registered with the extension has this resource, named like the VM, in the VM's resource group; its
`sqlServerLicenseType` (PAYG, AHUB = Azure Hybrid Benefit, DR = free passive disaster-recovery replica) is where the
SQL Server licence lives (not on the VM). Seeded with the VM (`sql_license_type`, `sql_image_offer`?, `sql_image_sku`?,
`sql_management`?); read-only here. Shape: azure-rest-api-specs specification/sqlvirtualmachine, stable 2023-10-01
GetSqlVirtualMachine.json (SqlVirtualMachines_Get), ListByResourceGroup / ListSubscription examples.
"""
from ..arm import ROUTER, ArmError
from ..httpbase import Response
from .resources import require_rg

SQLVM_TYPE = "Microsoft.SqlVirtualMachine/sqlVirtualMachines"
# The provider's api-versions in azure-rest-api-specs (stable 2022-02-01 and 2023-10-01, and the previews).
SQLVM_VERSIONS = {"2023-10-01", "2022-08-01-preview", "2022-07-01-preview", "2022-02-01",
                  "2022-02-01-preview", "2021-11-01-preview", "2017-03-01-preview"}
LICENSES = ("PAYG", "AHUB", "DR")
P = "/subscriptions/{sub}/resourceGroups/{rg}/providers/" + SQLVM_TYPE


def _rid(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{SQLVM_TYPE}/{name}"


def seed_sql_vm(sim, cloud, sub, vm, vm_body):
    """The SQL VM resource of a seeded VM with `sql_license_type`."""
    lic = vm["sql_license_type"]
    if lic not in LICENSES:
        raise ValueError(f"VM {vm['name']}: sql_license_type must be one of {', '.join(LICENSES)}")
    os_name = vm_body["azsim"].get("os_name") or ""
    ws = "".join(ch for ch in os_name if ch.isdigit())[:4] or "2019"  # Windows Server 2019 -> WS2019
    body = {"name": vm["name"], "id": _rid(sub, vm["resource_group"], vm["name"]), "type": SQLVM_TYPE,
            "location": vm_body["location"], "tags": {},
            "properties": {"virtualMachineResourceId": vm_body["id"], "provisioningState": "Succeeded",
                           "sqlImageOffer": vm.get("sql_image_offer") or f"SQL2019-WS{ws}",
                           "sqlServerLicenseType": lic, "sqlManagement": vm.get("sql_management") or "Full",
                           "leastPrivilegeMode": "Enabled", "sqlImageSku": vm.get("sql_image_sku") or "Standard",
                           "osType": "Windows"}}
    sim.store.put_resource(cloud, body["id"], SQLVM_TYPE, sub, vm["resource_group"], body)
    return body


@ROUTER.route("GET", P + "/{name}", rtype=SQLVM_TYPE, api_versions=SQLVM_VERSIONS)
def get_sql_vm(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    body = ctx.store.get_resource(ctx.cloud, _rid(p["sub"], p["rg"], p["name"]))
    if body is None:  # a VM not registered with the SQL IaaS Agent extension has none
        raise ArmError(404, "ResourceNotFound",
                       f"The Resource '{SQLVM_TYPE}/{p['name']}' under resource group '{p['rg']}' was not found. "
                       "For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    return Response(200, body)


@ROUTER.route("GET", P, rtype=SQLVM_TYPE, api_versions=SQLVM_VERSIONS)
def list_sql_vms(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, SQLVM_TYPE, p["sub"], p["rg"]))


@ROUTER.route("GET", "/subscriptions/{sub}/providers/" + SQLVM_TYPE, rtype=SQLVM_TYPE, api_versions=SQLVM_VERSIONS)
def list_all_sql_vms(ctx, req, p):
    return ctx.page(ctx.store.list_resources(ctx.cloud, SQLVM_TYPE, p["sub"]))
