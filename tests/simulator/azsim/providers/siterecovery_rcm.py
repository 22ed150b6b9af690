"""Modernized Site Recovery (InMageRcm): the replication appliance, its fabric and the Microsoft.OffAzure site.

A replication appliance registers with a Recovery Services vault in the public cloud (admin API / CLI, the simulator's
stand-in for the appliance configuration manager). Registration writes, idempotently:

- the Microsoft.OffAzure physical-server site `{key}serversite` (ServerSiteResource) and VMware site `{key}vmwaresite`
  (VmwareSite); the run-as accounts and the discovered machines live under them: `{site}/runAsAccounts/{id}`,
  `{site}/machines/{id}` (REST paths of Azure/azure-rest-api-specs specification/migrate/resource-manager/
  Microsoft.OffAzure, 2023-06-06),
- the InMageRcm fabric `{vault}-vmwarefabric` (InMageRcmFabricSpecificDetails: physicalSiteId, processServers,
  rcmProxies, pushInstallers, replicationAgents, reprotectAgents, marsAgents, dras, each with id / name / biosId /
  fabricObjectId / fqdn / version / lastHeartbeatUtc (computed on read) / health / healthErrors),
- its protection container `{key}replicationcontainer` and one replicationRecoveryServicesProviders entry (the DRA) per
  appliance,
- and answers `GET {vault}/replicationAppliances` (ReplicationAppliances_List.json shape).

Names follow TestV2ARCMCommit (fabric `Rcm-Vault-150-vmwarefabric`, site `Rcm-Vault-4678vmwaresite`, container
`Rcm-Vault-4678replicationcontainer`: `{key}` = the vault name's first 10 characters + 4 digits). Credentials
(run-as accounts) and servers are added the way the configuration manager does; a server is discovered after a short
scaled delay and then appears as an OffAzure machine of its site, named by the guest's computer name (and only there,
as on Azure: a protectable item of the container only with the --mirror-rcm-protectable-items leniency). Protected
items: siterecovery_rcm_items.py.
"""
import base64
import hashlib
import hmac
import ipaddress
import json
import re
import time
import types

from ..arm import ROUTER, ArmError
from ..httpbase import Response
from ..sim import iso
from . import compute, compute_catalog
from .recoveryservices import VAULT, vault_id
from .resources import require_rg
from .siterecovery import (ASR_VERSIONS, FABRIC_RENDERERS, FILTER_RE, T_CONTAINER, T_FABRIC, T_ITEM, T_PROTECTABLE,
                           T_PROVIDER, Scope, guid, heartbeat, public, start_job, task, validate_ip)
from .siterecovery_cs import PROVIDER_VERSION, _cloud_of_subscription, _identity

# Microsoft.OffAzure api-versions with ServerSites / ServerRunAsAccounts / Servers (azure-rest-api-specs:
# OffAzure/stable/2023-06-06 and the 2024-12-01-preview examples).
OFFAZURE_VERSIONS = {"2023-06-06", "2024-12-01-preview"}
OFF = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.OffAzure"
T_SITE = "Microsoft.OffAzure/serverSites"
T_RUNAS = T_SITE + "/runAsAccounts"
T_MACHINE = T_SITE + "/machines"
SITE = OFF + "/serverSites/{site}"
# The appliance's VMware site (VmwareSite.tsp, VmwareRunAsAccountResource.tsp, MachineResource.tsp: segments
# vmwareSites / runAsAccounts / machines; ids spelled VMwareSites as TestV2ARCMCommit's vmwareSiteId).
T_VSITE = "Microsoft.OffAzure/VMwareSites"
T_VRUNAS = T_VSITE + "/runAsAccounts"
T_VMACHINE = T_VSITE + "/machines"
VSITE = OFF + "/VMwareSites/{site}"
# site kind -> (site type, run-as account type, machine type, azsim fabric key, credential types by OS)
SITE_KINDS = {"physical": (T_SITE, T_RUNAS, T_MACHINE, "site_id", {"windows": ("Windows", "WindowsServer"),
                                                                   "linux": ("Linux", "LinuxServer")}),
              "vmware": (T_VSITE, T_VRUNAS, T_VMACHINE, "vmware_site_id", {"windows": ("Windows", "WindowsGuest"),
                                                                           "linux": ("Linux", "LinuxGuest")})}
# The guests' DNS domain: every discovered Gov machine's fqdn is <computer name>.DNS_SUFFIX (invented; one AD domain
# for the Government estate, whatever the VNet).
DNS_SUFFIX = "gov.contoso.internal"
DISCOVERY_SECONDS = 120  # a server added to the appliance is discovered after 2 real minutes × time factor (invented)
APPLIANCE_VERSION = "9.62.7172.1"  # component versions (invented, RCM-era numbering)
# fabric customDetails list key -> InMageRcmApplianceDetails key (the components of one appliance)
COMPONENTS = {"processServers": "processServer", "rcmProxies": "rcmProxy", "pushInstallers": "pushInstaller",
              "replicationAgents": "replicationAgent", "reprotectAgents": "reprotectAgent", "marsAgents": "marsAgent",
              "dras": "dra"}
_COMPONENT_NAMES = {v.lower(): v for v in COMPONENTS.values()}


class ApplianceError(ValueError):
    """Refused appliance operation; the message is shown to the user as is."""


# -- naming ------------------------------------------------------------------------------------------------------
def _key(vault):
    """The site/container prefix: the vault name's first 10 characters + 4 digits (TestV2ARCMCommit: vault Rcm-Vault-150
    -> Rcm-Vault-4678vmwaresite, Rcm-Vault-4678replicationcontainer; OffAzure site names: ^[a-zA-Z0-9-]{3,24}$)."""
    digits = int(hashlib.sha256(vault["id"].lower().encode()).hexdigest()[:8], 16) % 9000 + 1000
    return re.sub(r"[^A-Za-z0-9-]", "", vault["name"])[:10] + str(digits)


def site_id_of(sub, rg, vault):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.OffAzure/serverSites/{_key(vault)}serversite"


def vmware_site_id_of(sub, rg, vault):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.OffAzure/VMwareSites/{_key(vault)}vmwaresite"


def _site_kind(site):
    kind = (site or "physical").strip().lower()
    if kind not in SITE_KINDS:
        raise ApplianceError(f"site '{site}' is not valid: physical or vmware")
    return kind


def fabric_name_of(vault):
    return f"{vault['name']}-vmwarefabric"


# -- appliance key (the portal's "Azure Site Recovery replication appliance key") --------------------------------
def appliance_key(sim, sub, rg, vault):
    """An opaque key naming the vault, signed with the simulator's key: base64url(sub/rg/vault) . base64url(HMAC)."""
    ref = f"{sub}/{rg}/{vault}"
    mac = hmac.new(sim.signing_key, b"appliance-key:" + ref.lower().encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(ref.encode()).decode().rstrip("=") + "." + \
        base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _parse_key(sim, key):
    try:
        ref_b64, _mac = key.strip().split(".", 1)
        ref = base64.urlsafe_b64decode(ref_b64 + "=" * (-len(ref_b64) % 4)).decode()
        sub, rg, vault = ref.split("/")
    except (ValueError, UnicodeDecodeError):
        raise ApplianceError("the replication appliance key is not valid: copy it again from the vault "
                             "(Site Recovery > Prepare infrastructure)")
    if not hmac.compare_digest(appliance_key(sim, sub, rg, vault), key.strip()):
        raise ApplianceError("the replication appliance key is not valid: copy it again from the vault "
                             "(Site Recovery > Prepare infrastructure)")
    return sub, rg, vault


def _vault(sim, sub, rg, name):
    cloud = _cloud_of_subscription(sim, sub or "")
    body = sim.store.get_resource(cloud, vault_id(sub, rg, name)) if cloud else None
    if body is None:
        raise ApplianceError(f"vault '{name}' not found in resource group '{rg}' of subscription '{sub}'")
    if cloud != "public":
        raise ApplianceError(f"vault '{name}' is in Azure Government; register the replication appliance with a "
                             "Recovery Services vault in the public cloud (AzureCloud), the target of the move")
    return body


def _scope(sim, sub, rg, vault):
    return Scope(None, {"sub": sub, "rg": rg}, sim=sim, cloud="public", vault=vault)


# -- appliance index (appliance names are unique in the simulator) ---------------------------------------------
def _index(sim):
    return sim.store.get_meta("asr_appliances") or {}


def _locate(sim, name=None):
    """(scope, fabric document, appliance entry) of a registered appliance (the only one when name is None)."""
    index = _index(sim)
    if name is None:
        if len(index) != 1:
            raise ApplianceError("name the appliance (--appliance): " + (
                f"{len(index)} appliances are registered" if index else "no appliance is registered"))
        name = next(iter(index.values()))["name"]
    ref = index.get((name or "").lower())
    if ref is None:
        raise ApplianceError(f"replication appliance '{name}' is not registered")
    vault = _vault(sim, ref["sub"], ref["rg"], ref["vault"])
    scope = _scope(sim, ref["sub"], ref["rg"], vault)
    fabric = scope.get(ref["fabric_id"])
    app = next(a for a in fabric["azsim"]["appliances"] if a["name"].lower() == name.lower())
    return scope, fabric, app


# -- registration ------------------------------------------------------------------------------------------------
def register_appliance(sim, name, ip, subscription=None, resource_group=None, vault=None, key=None):
    """Register (or re-register) a replication appliance. Returns the ids a client needs."""
    name = (name or "").strip()
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9-]{0,14}$", name):
        raise ApplianceError(f"'{name}' is not a valid appliance name (1-15 letters, digits or '-', a computer name)")
    try:
        validate_ip(ip)
    except ArmError:
        raise ApplianceError(f"'{ip}' is not a valid IPv4 address")
    if key:
        ksub, krg, kvault = _parse_key(sim, key)
        for given, from_key, what in ((subscription, ksub, "subscription"), (resource_group, krg, "resource group"),
                                      (vault, kvault, "vault")):
            if given and given.lower() != from_key.lower():
                raise ApplianceError(f"the replication appliance key is for {what} '{from_key}', not '{given}'")
        subscription, resource_group, vault = ksub, krg, kvault
    if not (subscription and resource_group and vault):
        raise ApplianceError("name the vault (subscription, resource group, vault) or give its appliance key")
    vault_body = _vault(sim, subscription, resource_group, vault)
    scope = _scope(sim, subscription, resource_group, vault_body)
    classic = [f["properties"]["friendlyName"] for f in scope.children(T_FABRIC)
               if f["properties"]["customDetails"]["instanceType"] != "InMageRcm"]
    if classic:
        raise ApplianceError(f"vault '{vault}' already holds configuration server (classic) fabrics "
                             f"({', '.join(classic)}); the modernized experience needs a new, exclusive Recovery "
                             "Services vault")
    ref = _index(sim).get(name.lower())
    if ref and ref["vault_id"].lower() != vault_body["id"].lower():
        raise ApplianceError(f"replication appliance '{name}' is already registered with vault '{ref['vault']}'; "
                             "an appliance registers with one vault (cloning is not supported)")
    now = time.time()
    fid = scope.rid("replicationFabrics", fabric_name_of(vault_body))
    fabric = scope.get(fid) or _new_fabric(sim, scope, vault_body, fid, now)
    az = fabric["azsim"]
    if not az.get("vmware_site_id"):
        az["vmware_site_id"] = vmware_site_id_of(scope.sub, scope.rg, vault_body)
        fabric["properties"]["customDetails"]["vmwareSiteId"] = az["vmware_site_id"]
    app = next((a for a in az["appliances"] if a["name"].lower() == name.lower()), None)
    new = app is None
    if new:
        app = {"name": name, "registered": now, "health": {},
               "ids": {c: guid(fid, c, name.lower()) for c in COMPONENTS.values()},
               "id": guid(fid, "appliance", name.lower()), "bios_id": guid(fid, "bios", name.lower()).upper(),
               "provider_id": f"{fid}/replicationRecoveryServicesProviders/{guid(fid, 'provider', name.lower())}"}
        az["appliances"].append(app)
    app["ip"] = ip
    scope.put(fabric, T_FABRIC)
    _put_provider(sim, scope, fabric, app)
    _put_site(sim, scope, vault_body, fabric)
    index = _index(sim)
    index[name.lower()] = {"name": name, "sub": subscription, "rg": resource_group, "vault": vault_body["name"],
                           "vault_id": vault_body["id"], "fabric_id": fid}
    sim.store.set_meta("asr_appliances", index)
    if new:
        start_job(scope, types.SimpleNamespace(method="POST", path=fid), "RegisterDra",
                  "Register the Azure Site Recovery Provider",
                  [task("RegisterDraTask", "RegisterDra", "Registering the replication appliance", 30)],
                  {"id": app["id"], "name": name, "type": "Server"})
    return describe(scope, fabric, app)


def describe(scope, fabric, app):
    az = fabric["azsim"]
    return {"appliance_name": app["name"], "appliance_id": app["id"], "vault_id": scope.vault["id"],
            "cloud": scope.cloud, "fabric_name": fabric["name"], "fabric_id": fabric["id"],
            "container_name": az["container_id"].rsplit("/", 1)[-1], "container_id": az["container_id"],
            "process_server_id": app["ids"]["processServer"], "recovery_services_provider_id": app["provider_id"],
            "physical_site_id": az["site_id"], "vmware_site_id": az["vmware_site_id"]}


def _new_fabric(sim, scope, vault, fid, now):
    key = _key(vault)
    iid = guid(fid, "fabric")
    site_id = site_id_of(scope.sub, scope.rg, vault)
    container_id = f"{fid}/replicationProtectionContainers/{key}replicationcontainer"
    region = vault["location"]
    vmware_site_id = vmware_site_id_of(scope.sub, scope.rg, vault)
    details = {"instanceType": "InMageRcm", "vmwareSiteId": vmware_site_id, "physicalSiteId": site_id,
               "serviceEndpoint": f"https://{region}-rcm.hypervrecoverymanager.windowsazure.com",
               "serviceResourceId": guid(fid, "service"), "serviceContainerId": guid(fid, "service-container"),
               "dataPlaneUri": f"https://{region}-rcm-dp.hypervrecoverymanager.windowsazure.com",
               "controlPlaneUri": f"https://{region}-rcm-cp.hypervrecoverymanager.windowsazure.com",
               "sourceAgentIdentityDetails": _identity(sim, scope.cloud, region, vault["name"], iid, "source-agent"),
               **{k: [] for k in COMPONENTS}, "agentDetails": []}
    fabric = {"id": fid, "name": fabric_name_of(vault), "type": T_FABRIC,
              "properties": {"friendlyName": fabric_name_of(vault), "encryptionDetails": {"kekState": "None"},
                             "rolloverEncryptionDetails": {"kekState": "None"}, "internalIdentifier": iid,
                             "bcdrState": "Valid", "customDetails": details, "healthErrorDetails": [],
                             "health": "Normal"},
              "azsim": {"registered": now, "appliances": [], "container_id": container_id, "site_id": site_id,
                        "vmware_site_id": vmware_site_id, "accounts": []}}
    container = {"id": container_id, "name": container_id.rsplit("/", 1)[-1], "type": T_CONTAINER,
                 "properties": {"fabricFriendlyName": fabric["name"], "friendlyName": container_id.rsplit("/", 1)[-1],
                                "fabricType": "InMageRcm", "protectedItemCount": 0, "pairingStatus": "NotPaired",
                                "role": ""}}
    scope.put(container, T_CONTAINER)
    return fabric


def _put_provider(sim, scope, fabric, app):
    """The appliance's DRA as a replicationRecoveryServicesProviders entry (fields as for a configuration server)."""
    registered = app["registered"]
    ident = _identity(sim, scope.cloud, scope.vault["location"], scope.vault["name"], app["id"])
    expiry = iso(registered + 365 * 86400)
    body = {"id": app["provider_id"], "name": app["provider_id"].rsplit("/", 1)[-1], "type": T_PROVIDER,
            "properties": {"fabricType": "InMageRcm", "friendlyName": app["name"], "providerVersion": PROVIDER_VERSION,
                           "serverVersion": APPLIANCE_VERSION, "providerVersionState": "Latest",
                           "providerVersionExpiryDate": expiry, "fabricFriendlyName": fabric["name"],
                           "connectionStatus": "Connected", "protectedItemCount": 0, "allowedScenarios": [],
                           "healthErrorDetails": [], "draIdentifier": app["ids"]["dra"],
                           "machineId": guid(app["id"], "machine"), "machineName": app["name"],
                           "biosId": app["bios_id"], "authenticationIdentityDetails": ident,
                           "resourceAccessIdentityDetails": ident, "dataPlaneAuthenticationIdentityDetails": ident,
                           "providerVersionDetails": {"version": PROVIDER_VERSION, "status": "Supported",
                                                      "expiryDate": expiry}},
            "azsim": {"registered": registered}}
    scope.put(body, T_PROVIDER)


def _put_site(sim, scope, vault, fabric):
    """The appliance's two Microsoft.OffAzure sites, in the vault's resource group and region: the physical-server
    site (ServerSiteResource) and the VMware site (VmwareSite); the fabric names both."""
    for site_type, key in ((T_SITE, "site_id"), (T_VSITE, "vmware_site_id")):
        site_id = fabric["azsim"][key]
        old = sim.store.get_resource("public", site_id)
        ident = _identity(sim, "public", vault["location"], vault["name"], site_id, "site")
        body = {"id": site_id, "name": site_id.rsplit("/", 1)[-1], "type": site_type, "location": vault["location"],
                "tags": {}, "properties": {
                    "servicePrincipalIdentityDetails": ident, "discoveryScenario": "DR",
                    "discoverySolutionId": f"{vault['id']}/replicationFabrics/{fabric['name']}",
                    "serviceEndpoint": fabric["properties"]["customDetails"]["serviceEndpoint"],
                    "provisioningState": "Succeeded"},
                "azsim": {"created": old["azsim"]["created"] if old else time.time(), "fabric_id": fabric["id"]}}
        sim.store.put_resource("public", site_id, site_type, scope.sub, scope.rg, body)


# -- health knob ---------------------------------------------------------------------------------------------------
def set_appliance_health(sim, name, component, healthy=False, error_code=None, message=None):
    """Mark one component of an appliance (processServer, rcmProxy, pushInstaller, replicationAgent, reprotectAgent,
    marsAgent, dra; snake/kebab case accepted) unhealthy (health Critical, a health error, heartbeat frozen) or
    healthy again. Returns the component as the fabric shows it."""
    scope, fabric, app = _locate(sim, name)
    kind = _COMPONENT_NAMES.get(re.sub(r"[-_ ]", "", component or "").lower())
    if kind is None:
        raise ApplianceError(f"unknown appliance component '{component}' (one of: {', '.join(COMPONENTS.values())})")
    if healthy:
        app["health"].pop(kind, None)
    else:
        app["health"][kind] = {"since": time.time(), "code": str(error_code or "148012"),
                               "message": message or f"The {kind} of the replication appliance '{app['name']}' is "
                                                     "not sending heartbeats."}
    scope.put(fabric, T_FABRIC)
    key = next(k for k, v in COMPONENTS.items() if v == kind)
    return next(c for c in render_fabric(scope, fabric, time.time())["properties"]["customDetails"][key]
                if c["name"] == app["name"])


def _health_error(app, kind, bad_state):
    return {"innerHealthErrors": [], "errorSource": kind, "errorType": "ApplianceComponentHealth",
            "errorLevel": "Error", "errorCategory": "ApplianceHealth", "errorCode": bad_state["code"],
            "summaryMessage": f"The {kind} of the appliance '{app['name']}' is unhealthy",
            "errorMessage": bad_state["message"],
            "possibleCauses": "The service of the component stopped, or the appliance lost its connection to Azure.",
            "recommendedAction": "Sign in to the appliance, check the component's service and the appliance's "
                                 "connectivity to the Site Recovery URLs, then restart the service.",
            "creationTimeUtc": iso(bad_state["since"]), "recoveryProviderErrorMessage": None,
            "entityId": app["ids"][kind], "errorId": f"{bad_state['code']}:{app['ids'][kind]}",
            "customerResolvability": "Allowed"}


def component_health(app, kind):
    return "Critical" if kind in app["health"] else "Normal"


def _component(scope, fabric, app, kind, now, items):
    bad_state = app["health"].get(kind)
    beat = heartbeat(app["registered"], bad_state["since"] if bad_state else now)
    mine = [i for i in items if i["properties"]["providerSpecificDetails"].get("processServerId") == app["ids"][
        "processServer"]]
    body = {"id": app["ids"][kind], "name": app["name"], "biosId": app["bios_id"],
            "fabricObjectId": guid(fabric["id"], "object", app["name"].lower(), kind), "fqdn": app["name"].lower(),
            "version": APPLIANCE_VERSION, "lastHeartbeatUtc": beat, "health": component_health(app, kind),
            "healthErrors": [_health_error(app, kind, bad_state)] if bad_state else []}
    status = "Critical" if bad_state else "Healthy"
    if kind == "processServer":
        body.update(ipAddresses=[app["ip"]], totalMemoryInBytes=34359738368, availableMemoryInBytes=21474836480,
                    usedMemoryInBytes=12884901888, memoryUsagePercentage=37.5, totalSpaceInBytes=665719930880,
                    availableSpaceInBytes=598881189888, usedSpaceInBytes=66838740992, freeSpacePercentage=89.96,
                    throughputUploadPendingDataInBytes=0, throughputInBytes=1048576 * len(mine),
                    processorUsagePercentage=6.25, throughputStatus=status, systemLoad=len(mine),
                    systemLoadStatus=status, diskUsageStatus="Healthy", memoryUsageStatus="Healthy",
                    processorUsageStatus="Healthy", protectedItemCount=len(mine),
                    historicHealth=body["health"])
    elif kind == "rcmProxy":
        body["clientAuthenticationType"] = "Certificate"
    elif kind == "reprotectAgent":
        body.update(protectedItemCount=0, accessibleDatastores=[], vcenterId="",
                    lastDiscoveryInUtc=heartbeat(app["registered"], now))
    elif kind == "dra":
        body.pop("fabricObjectId")
        body.pop("fqdn")
        body.update(forwardProtectedItemCount=len(mine), reverseProtectedItemCount=0)
    return body


def render_fabric(scope, doc, now):
    """InMageRcm fabric: the components of every appliance, heartbeats and counters computed on read."""
    body = public(doc)
    items = scope.children(T_ITEM, doc["id"])
    cd = dict(body["properties"]["customDetails"])
    errors = []
    for key, kind in COMPONENTS.items():
        cd[key] = [_component(scope, doc, app, kind, now, items) for app in doc["azsim"]["appliances"]]
        errors += [e for c in cd[key] for e in c["healthErrors"]]
    body["properties"] = dict(body["properties"], customDetails=cd, healthErrorDetails=errors,
                              health="Critical" if errors else "Normal")
    return body


FABRIC_RENDERERS["InMageRcm"] = render_fabric


def process_server(scope, fabric, ps_id):
    """(appliance entry, health) of the appliance whose process server has this id, or (None, None)."""
    for app in fabric["azsim"]["appliances"]:
        if app["ids"]["processServer"].lower() == (ps_id or "").lower():
            return app, component_health(app, "processServer")
    return None, None


# -- GET {vault}/replicationAppliances ---------------------------------------------------------------------------
@ROUTER.route("GET", VAULT + "/replicationAppliances", rtype="Microsoft.RecoveryServices/vaults/replicationAppliances",
              api_versions=ASR_VERSIONS)
def list_appliances(ctx, req, p):
    """One ReplicationAppliance per InMageRcm fabric: properties.providerSpecificDetails {instanceType InMageRcm,
    appliances: [InMageRcmApplianceDetails]}. `$filter`: `name eq '…'` (or applianceName) and `fabricName eq '…'`
    (or fabricArmId) clauses joined by `and`; other fields are ignored (invented syntax)."""
    scope = Scope(ctx, p)
    now = time.time()
    clauses = [(f.lower(), v.lower()) for f, _op, v in FILTER_RE.findall(req.query.get("$filter") or "")]
    out = []
    for doc in scope.children(T_FABRIC):
        if doc["properties"]["customDetails"]["instanceType"] != "InMageRcm":
            continue
        fabric = render_fabric(scope, doc, now)
        cd = fabric["properties"]["customDetails"]
        appliances = []
        for i, app in enumerate(doc["azsim"]["appliances"]):
            entry = {"id": app["id"], "name": app["name"], "fabricArmId": doc["id"],
                     **{kind: cd[key][i] for key, kind in COMPONENTS.items()},
                     "switchProviderBlockingErrorDetails": []}
            if all((f not in ("name", "appliancename") or v == app["name"].lower())
                   and (f not in ("fabricname", "fabricarmid") or v in (doc["name"].lower(), doc["id"].lower()))
                   for f, v in clauses):
                appliances.append(entry)
        out.append({"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm",
                                                               "appliances": appliances}}})
    return ctx.page(out)


# -- credentials (run-as accounts of a site) -------------------------------------------------------------------
def add_credential(sim, name, username, os_type, appliance=None, site="physical"):
    """A credential of the appliance's configuration manager = a run-as account of its physical site (or, with
    site="vmware", of its VMware site). The password is neither needed nor accepted. Idempotent by name (the
    username / OS type are updated)."""
    name, username = (name or "").strip(), (username or "").strip()
    if not name or not username:
        raise ApplianceError("a credential needs a friendly name and a username")
    kind = _site_kind(site)
    _site_type, runas_type, _machine_type, key, cred_types = SITE_KINDS[kind]
    os_name, cred_type = cred_types.get((os_type or "").lower(), (None, None))
    if os_name is None:
        raise ApplianceError(f"os type '{os_type}' is not valid: Windows or Linux")
    scope, fabric, app = _locate(sim, appliance)
    site_id = fabric["azsim"][key]
    rid = f"{site_id}/runAsAccounts/{guid(site_id, 'runas', name.lower())}"
    old = sim.store.get_resource("public", rid)
    now = time.time()
    body = {"id": rid, "name": rid.rsplit("/", 1)[-1], "type": runas_type, "properties": {
        "displayName": name, "credentialType": cred_type, "applianceName": app["name"],
        "createdTimestamp": old["properties"]["createdTimestamp"] if old else iso(now), "updatedTimestamp": iso(now),
        "provisioningState": "Created"},
        "azsim": {"username": username, "os": os_name}}
    sim.store.put_resource("public", rid, runas_type, scope.sub, scope.rg, body)
    return {"run_as_account_id": rid, "name": name, "credential_type": cred_type, "site": kind, "site_id": site_id,
            "physical_site_id": fabric["azsim"]["site_id"], "appliance_name": app["name"]}


def run_as_account(sim, rid):
    body = sim.store.get_resource("public", rid or "")
    return body if body and body.get("type") in (T_RUNAS, T_VRUNAS) else None


# -- servers (discovered machines) -------------------------------------------------------------------------------
def _vm_nics(sim, vm):
    return [sim.store.get_resource("gov", ref["id"]) for ref in vm["properties"]["networkProfile"]["networkInterfaces"]]


def _computer_name(vm):
    """The guest's host name (what the appliance discovers), never the Azure VM name (OSProfile.computerName)."""
    return (vm["properties"].get("osProfile") or {}).get("computerName") or vm["azsim"].get("computer_name") \
        or vm["name"]


def _resolve(sim, address):
    """(ip or None, Gov VM or None) of an IP address or FQDN. An FQDN resolves to the Gov VM whose computer name is
    its first label (the simulator has no DNS; the Azure VM name is not a host name); otherwise to nothing."""
    try:
        ipaddress.IPv4Address(address)
        return address, compute.vm_by_private_ip(sim.store, "gov", address)
    except ValueError:
        pass
    if not re.match(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                    r"[A-Za-z0-9])?)*$", address or ""):
        raise ApplianceError(f"'{address}' is neither an IPv4 address nor a host name / FQDN")
    label = address.split(".")[0].lower()
    for row in sim.store.query("SELECT body FROM resources WHERE cloud='gov' AND type_lower=?",
                               (compute.VM_TYPE.lower(),)):
        vm = json.loads(row["body"])
        if label == _computer_name(vm).lower():
            nics = _vm_nics(sim, vm)
            nic = next((n for n in nics if n["properties"].get("primary")), nics[0])
            return nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"], vm
    return None, None


def _machine_facts(sim, address, os_name):
    """What discovery finds on the machine: host name, FQDN, OS, disks, CPU, memory, NICs (from the Gov VM when there
    is one). facts["nics"]: one entry per NIC {mac, ips, network, subnet, primary, allocation}."""
    ip, vm = _resolve(sim, address)
    if vm is None:  # nothing answers there: the machine is known by the address it was added with
        return {"ip": ip, "vm_id": None, "host": address, "fqdn": address if ip != address else None, "os": os_name,
                "os_name": os_name, "disks": [128], "cpu": 2, "ram": 4096, "size": None,
                "nics": [{"mac": None, "ips": [ip] if ip else [], "network": "", "subnet": None, "primary": True,
                          "allocation": "Static"}]}
    prof = vm["properties"]["storageProfile"]
    size = vm["properties"]["hardwareProfile"]["vmSize"]
    from .siterecovery_items import VM_SIZES
    cpu, ram = VM_SIZES.get(size.lower(), (2, 4096))
    known = compute_catalog.SIZES.get(compute_catalog.catalog_size(size) or "")
    if known:  # the guest sees the size's vCPUs and memory
        cpu, ram = known[1], known[2] * 1024
    nics = []
    for nic in _vm_nics(sim, vm):
        cfgs = [c["properties"] for c in nic["properties"]["ipConfigurations"]]
        subnet_id = cfgs[0]["subnet"]["id"]
        nics.append({"mac": nic["properties"]["macAddress"].replace("-", ":").lower(),
                     "ips": [c["privateIPAddress"] for c in cfgs], "network": subnet_id.split("/")[-3],
                     "subnet": subnet_id.rsplit("/", 1)[-1], "primary": bool(nic["properties"].get("primary")),
                     "allocation": cfgs[0].get("privateIPAllocationMethod") or "Static"})
    if not any(n["primary"] for n in nics):
        nics[0]["primary"] = True
    host = _computer_name(vm)
    return {"ip": ip, "vm_id": vm["id"], "host": host, "fqdn": f"{host}.{DNS_SUFFIX}",
            "os": prof["osDisk"].get("osType") or os_name, "os_name": vm["azsim"].get("os_name"),
            "disks": [prof["osDisk"]["diskSizeGB"]] + [d["diskSizeGB"] for d in prof["dataDisks"]],
            "cpu": cpu, "ram": ram, "size": size, "nics": nics}


def _machine_id(sim, site_id, address):
    """The id of the live (not deleted) machine discovered at this address, or a new one: a server removed and added
    again is a new machine, the deleted entry stays listed."""
    for n in range(100):
        parts = ("machine", address.lower()) + ((str(n),) if n else ())
        mid = f"{site_id}/machines/{guid(site_id, *parts)}"
        old = sim.store.get_resource("public", mid)
        if old is None or not old["properties"].get("isDeleted"):
            return mid, old
    raise ApplianceError(f"server '{address}' was removed too many times")


def add_server(sim, address, credential, appliance=None, site="physical"):
    """Add a server (IP address or FQDN + credential friendly name) to an appliance, in its physical site (or its
    VMware site with site="vmware"). After DISCOVERY_SECONDS x time factor the server is a discovered machine of the
    site, and only there (Microsoft.OffAzure): no protectable item, unless the simulator runs with
    --mirror-rcm-protectable-items (a leniency). Idempotent per address (the credential is updated)."""
    address = (address or "").strip()
    kind = _site_kind(site)
    _site_type, _runas_type, machine_type, key, _cred = SITE_KINDS[kind]
    scope, fabric, app = _locate(sim, appliance)
    site_id = fabric["azsim"][key]
    account = sim.store.get_resource("public",
                                     f"{site_id}/runAsAccounts/{guid(site_id, 'runas', (credential or '').lower())}")
    if account is None:
        raise ApplianceError(f"credential '{credential}' is not known to the appliance '{app['name']}' ({kind} "
                             "site); add it first")
    facts = _machine_facts(sim, address, account["azsim"]["os"])
    mid, old = _machine_id(sim, site_id, address)
    mname = mid.rsplit("/", 1)[-1]
    mirror = bool(getattr(sim, "mirror_rcm_protectable_items", False))
    pid = f"{fabric['azsim']['container_id']}/replicationProtectableItems/{mname}" if mirror else None
    now = time.time()
    visible_at = old["azsim"]["visible_at"] if old else now + DISCOVERY_SECONDS * sim.time_factor
    os_name = facts["os"]
    disks = [{"name": (f"\\\\.\\PHYSICALDRIVE{i}" if os_name == "Windows" else f"/dev/sd{chr(97 + i)}"),
              "diskId": "{%s}" % guid(mid, "disk", str(i)).upper(), "maxSizeInBytes": gb * 1024 ** 3, "lun": i,
              "isOSDisk": i == 0} for i, gb in enumerate(facts["disks"])]
    props = {
        "displayName": facts["host"], "fqdn": facts["fqdn"],
        "biosGuid": guid(mid, "bios").upper(), "firmware": "BIOS", "numberOfProcessorCore": facts["cpu"],
        "allocatedMemoryInMb": float(facts["ram"]),
        "operatingSystemDetails": {"osType": os_name, "osName": facts["os_name"], "osVersion": None},
        "disks": [{"name": d["name"], "maxSizeInBytes": d["maxSizeInBytes"], "lun": d["lun"], "uuid": d["diskId"]}
                  for d in disks],
        "networkAdapters": [{"nicId": n["mac"] or guid(mid, "nic", str(i)), "macAddress": n["mac"],
                             "ipAddressList": n["ips"], "networkName": n["network"],
                             "ipAddressType": n["allocation"]} for i, n in enumerate(facts["nics"])],
        "runAsAccountId": account["id"], "applianceNames": [app["name"]], "isDeleted": False, "errors": [],
        "createdTimestamp": old["properties"]["createdTimestamp"] if old else iso(visible_at),
        "updatedTimestamp": iso(max(now, visible_at))}
    if kind == "vmware":  # a VMware machine names no account: clients take the site's run-as accounts by name
        del props["runAsAccountId"]
    machine_body = {"id": mid, "name": mname, "type": machine_type, "properties": props,
                    "azsim": {"visible_at": visible_at, "address": address, "facts": facts, "disks": disks,
                              "appliance": app["name"], "protectable_id": pid, "site": kind}}
    sim.store.put_resource("public", mid, machine_type, scope.sub, scope.rg, machine_body)
    if mirror:
        _put_protectable(scope, app, facts, address, pid, mname, mid, visible_at)
    return {"machine_name": mname, "fabric_discovery_machine_id": mid, "protectable_item_id": pid,
            "friendly_name": facts["host"], "fqdn": facts["fqdn"], "ip_address": facts["ip"],
            "run_as_account_id": account["id"], "site": kind, "site_id": site_id,
            "physical_site_id": fabric["azsim"]["site_id"], "discovered_at": iso(visible_at),
            "appliance_name": app["name"]}


def _put_protectable(scope, app, facts, address, pid, mname, mid, visible_at):
    """Leniency (--mirror-rcm-protectable-items only): the machine mirrored as a protectable item of the InMageRcm
    container. Real Azure keeps appliance-discovered machines in Microsoft.OffAzure only."""
    os_name = facts["os"]
    scope.put({"id": pid, "name": mname, "type": T_PROTECTABLE, "properties": {
        "friendlyName": facts["host"], "protectionStatus": "Unprotected", "replicationProtectedItemId": None,
        "recoveryServicesProviderId": app["provider_id"], "protectionReadinessErrors": [],
        "supportedReplicationProviders": ["InMageRcm"],
        "customDetails": {"instanceType": "VMwareVirtualMachine", "agentGeneratedId": None,
                          "agentInstalled": "NotInstalled", "osType": os_name.upper(), "agentVersion": None,
                          "ipAddress": facts["ip"] or address, "poweredOn": "On", "vCenterInfrastructureId": "",
                          "discoveryType": "PhysicalMachine", "diskDetails": [], "validationErrors": []}},
               "azsim": {"os": os_name, "ip": facts["ip"], "visible_at": visible_at, "machine_id": mid}}, T_PROTECTABLE)


def remove_server(sim, address, appliance=None, site="physical"):
    """Remove a server from an appliance: its discovered machine stays listed with isDeleted true (as Azure keeps
    deleted entries); adding the address again discovers a new machine."""
    address = (address or "").strip()
    kind = _site_kind(site)
    machine_type, key = SITE_KINDS[kind][2], SITE_KINDS[kind][3]
    scope, fabric, app = _locate(sim, appliance)
    mid, old = _machine_id(sim, fabric["azsim"][key], address)
    if old is None:
        raise ApplianceError(f"server '{address}' is not a server of the {kind} site of the appliance '{app['name']}'")
    old["properties"].update(isDeleted=True, updatedTimestamp=iso(time.time()))
    sim.store.put_resource("public", mid, machine_type, scope.sub, scope.rg, old)
    return {"machine_name": old["name"], "fabric_discovery_machine_id": mid, "is_deleted": True}


def machine(sim, rid, now=None):
    """The discovered machine (stored body) with this ARM id, if it has been discovered by now (deleted or not)."""
    body = sim.store.get_resource("public", rid or "")
    if body is None or body.get("type") not in (T_MACHINE, T_VMACHINE):
        return None
    return body if body["azsim"]["visible_at"] <= (time.time() if now is None else now) else None


def site_of_machine(fabric, mid):
    """The fabric's site (physical or VMware) a machine id belongs to, or None."""
    for key in ("site_id", "vmware_site_id"):
        site_id = fabric["azsim"].get(key)
        if site_id and (mid or "").lower().startswith(site_id.lower() + "/machines/"):
            return site_id
    return None


# -- Microsoft.OffAzure reads ---------------------------------------------------------------------------------------
def _off_route(template, rtype):
    return ROUTER.route("GET", template, rtype=rtype, api_versions=OFFAZURE_VERSIONS)


def _site(ctx, p, site_type=T_SITE):
    require_rg(ctx, p["sub"], p["rg"])
    segment = site_type.split("/")[1]
    body = ctx.store.get_resource(ctx.cloud, f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/"
                                             f"Microsoft.OffAzure/{segment}/{p['site']}")
    if body is None or body.get("type") != site_type:
        raise ArmError(404, "ResourceNotFound", f"The Resource '{site_type}/{p['site']}' under resource group "
                                                f"'{p['rg']}' was not found. For more details please go to "
                                                "https://aka.ms/ARMResourceNotFoundFix")
    return body


def render_site(ctx, body, now):
    out = public(body)
    fabric = ctx.store.get_resource(ctx.cloud, body["azsim"]["fabric_id"])
    apps = fabric["azsim"]["appliances"] if fabric else []
    ident = out["properties"]["servicePrincipalIdentityDetails"]
    agents = [{"applianceName": a["name"], "servicePrincipalIdentityDetails": ident, "agentDetails": {
        "id": a["ids"]["replicationAgent"], "version": APPLIANCE_VERSION,
        "lastHeartBeatUtc": heartbeat(a["registered"], now), "keyVaultId": None, "keyVaultUri": None}} for a in apps]
    out["properties"] = dict(out["properties"], applianceName=apps[0]["name"] if apps else None,
                             agentDetails=agents[0]["agentDetails"] if agents else None,
                             siteAppliancePropertiesCollection=agents)
    return out


def _children(ctx, p, site_type, rtype):
    site = _site(ctx, p, site_type)
    prefix = site["id"].lower() + "/"
    return [b for b in ctx.store.list_resources(ctx.cloud, rtype, p["sub"], p["rg"])
            if b["id"].lower().startswith(prefix)]


def _site_routes(site_template, site_type, runas_type, machine_type):
    """GET routes of one site kind: the site, the sites of the RG, run-as accounts and machines (lists page with
    the server's page size and nextLink; `top` answers one page of at most that many; deleted machines are listed,
    isDeleted true)."""
    @_off_route(site_template, site_type)
    def get_site(ctx, req, p):
        return Response(200, render_site(ctx, _site(ctx, p, site_type), time.time()))

    @_off_route(site_template.rsplit("/", 1)[0], site_type)
    def list_sites(ctx, req, p):
        require_rg(ctx, p["sub"], p["rg"])
        now = time.time()
        return ctx.page([render_site(ctx, b, now) for b in ctx.store.list_resources(ctx.cloud, site_type, p["sub"],
                                                                                    p["rg"])])

    @_off_route(site_template + "/runAsAccounts", runas_type)
    def list_run_as_accounts(ctx, req, p):
        return ctx.page([public(b) for b in _children(ctx, p, site_type, runas_type)])

    @_off_route(site_template + "/runAsAccounts/{account}", runas_type)
    def get_run_as_account(ctx, req, p):
        for body in _children(ctx, p, site_type, runas_type):
            if body["name"].lower() == p["account"].lower():
                return Response(200, public(body))
        raise ArmError(404, "ResourceNotFound", f"The run as account '{p['account']}' was not found in site "
                                                f"'{p['site']}'.")

    @_off_route(site_template + "/machines", machine_type)
    def list_machines(ctx, req, p):
        """Discovered machines (`filter`, `top` and `continuationToken` of the spec are accepted; `top` pages)."""
        if (req.query.get("top") or "").isdigit():
            req.query["$top"] = req.query["top"]
        now = time.time()
        return ctx.page([public(b) for b in _children(ctx, p, site_type, machine_type)
                         if b["azsim"]["visible_at"] <= now])

    @_off_route(site_template + "/machines/{machine}", machine_type)
    def get_machine(ctx, req, p):
        now = time.time()
        for body in _children(ctx, p, site_type, machine_type):
            if body["name"].lower() == p["machine"].lower() and body["azsim"]["visible_at"] <= now:
                return Response(200, public(body))
        raise ArmError(404, "ResourceNotFound", f"The machine '{p['machine']}' was not found in site '{p['site']}'.")


_site_routes(SITE, T_SITE, T_RUNAS, T_MACHINE)
_site_routes(VSITE, T_VSITE, T_VRUNAS, T_VMACHINE)


__all__ = ["ApplianceError", "register_appliance", "appliance_key", "add_credential", "add_server", "remove_server",
           "set_appliance_health", "machine", "run_as_account", "process_server", "site_of_machine"]
