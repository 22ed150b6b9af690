"""Shared setup of the modernized (InMageRcm) Site Recovery tests: one vault with a replication appliance, its
credentials, servers, policy and mapping, built once per simulator session (test_siterecovery_rcm and
test_conformance both use it)."""
import types

from rawhttp import call
from simhelpers import asr_client, clients

RG, VAULT = "rg-asr-rcm", "rsv-rcm-eastus"
APPLIANCE = "rcm-app-01"
GOV_RG = "rg-rcm-gov"
MACHINES = {  # name: (ip, os, size, host facts, data disks GiB)
    "rcm-win01": ("10.10.5.4", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 1}, [32]),
    "rcm-win02": ("10.10.5.5", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 1}, []),
    "rcm-win03": ("10.10.5.6", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 0}, []),
    "rcm-lnx01": ("10.10.6.4", "Linux", "Standard_B2ms", {}, []),
    "rcm-lnx02": ("10.10.6.5", "Linux", "Standard_B2ms", {}, []),
    "rcm-conf01": ("10.10.5.7", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 1}, []),
}
CREDENTIALS = {"win-admin": ("Administrator", "Windows"), "linux-root": ("root", "Linux"),
               "linux-user": ("azureuser", "Linux")}
RCM_POLICY = {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 4320,
              "crashConsistentFrequencyInMinutes": 5, "appConsistentFrequencyInMinutes": 60, "enableMultiVmSync": "True"}
_WORLDS = {}


def world(ep, admin):
    """The RCM vault, appliance, credentials, policy, mapping and the Gov source VMs (idempotent, cached)."""
    key = ep["admin"]["url"]
    if key in _WORLDS:
        return _WORLDS[key]
    gov_sub = ep["clouds"]["gov"]["subscriptions"][1]
    admin.seed({"gov": {"subscription_id": gov_sub, "virtual_networks": [{
        "name": "vnet-rcm-gov", "resource_group": GOV_RG, "address_space": "10.10.0.0/16",
        "subnets": [{"name": "snet-rcm-win", "address_prefix": "10.10.5.0/24"},
                    {"name": "snet-rcm-lnx", "address_prefix": "10.10.6.0/24"}]}],
        "virtual_machines": [{"name": name, "resource_group": GOV_RG, "size": size, "os_type": os_type,
                              "private_ip": ip, "vnet": "vnet-rcm-gov", "host": facts, "os_disk_size_gb": 64,
                              "subnet": "snet-rcm-win" if os_type == "Windows" else "snet-rcm-lnx",
                              "data_disks": [{"size_gb": gb} for gb in data]}
                             for name, (ip, os_type, size, facts, data) in MACHINES.items()]},
        "public": {"storage_accounts": [{"name": "strcmwestus", "resource_group": "rg-landing-eastus",  # noqa: E128
                                         "location": "westus"}]}})
    rm, rs = clients(ep, "public")
    rm.resource_groups.create_or_update(RG, {"location": "eastus"})
    rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"},
                                                 "identity": {"type": "SystemAssigned"},
                                                 "properties": {"publicNetworkAccess": "Enabled"}}).result()
    sub = ep["clouds"]["public"]["subscription_id"]
    key_text = admin.appliance_key(sub, RG, VAULT)
    app = admin.register_appliance(APPLIANCE, "10.10.5.10", appliance_key=key_text)
    creds = {name: admin.add_credential(name, user, os_type, appliance=APPLIANCE)
             for name, (user, os_type) in CREDENTIALS.items()}
    asr = asr_client(ep)
    policy = asr.replication_policies.begin_create(RG, VAULT, "policy-rcm", {"properties": {
        "providerSpecificInput": RCM_POLICY}}).result()
    mapping = asr.replication_protection_container_mappings.begin_create(
        RG, VAULT, app["fabric_name"], app["container_name"], "map-rcm",
        {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": policy.id,
                        "providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}}
    ).result()
    landing = f"/subscriptions/{sub}/resourceGroups/rg-landing-eastus"
    net = landing + "/providers/Microsoft.Network/virtualNetworks/"
    w = types.SimpleNamespace(
        ep=ep, admin=admin, rm=rm, rs=rs, asr=asr, sub=sub, gov_sub=gov_sub, key=key_text, app=app, creds=creds,
        policy=policy, mapping=mapping, f=app["fabric_name"], c=app["container_name"], landing=landing,
        vnet=net + "vnet-landing-eastus", test_vnet=net + "vnet-test-eastus",
        storage=landing + "/providers/Microsoft.Storage/storageAccounts/stmovecacheeastus",
        storage_westus=landing + "/providers/Microsoft.Storage/storageAccounts/strcmwestus", servers={}, extra={})
    _WORLDS[key] = w
    return w


def server(w, name, address=None, credential=None):
    """Add a server (by IP unless `address`), return admin.add_server's answer (cached per name)."""
    if name not in w.servers:
        ip, os_type = MACHINES[name][:2] if name in MACHINES else (None, "Windows")
        cred = credential or ("win-admin" if os_type == "Windows" else "linux-root")
        w.servers[name] = w.admin.add_server(address or ip, cred, appliance=APPLIANCE)
    return w.servers[name]


def enable_input(w, srv, cred="win-admin", **over):
    psd = {"instanceType": "InMageRcm", "fabricDiscoveryMachineId": srv["fabric_discovery_machine_id"],
           "processServerId": w.app["process_server_id"], "runAsAccountId": w.creds[cred]["run_as_account_id"],
           "targetResourceGroupId": w.landing, "targetNetworkId": w.vnet, "targetSubnetName": "snet-app",
           "testNetworkId": w.test_vnet, "testSubnetName": "snet-app",
           "disksDefault": {"diskType": "Standard_LRS", "logStorageAccountId": w.storage},
           "licenseType": "NotSpecified"}
    psd.update(over)
    return {"properties": {"policyId": w.policy.id, "protectableItemId": None,
                           "providerSpecificDetails": {k: v for k, v in psd.items() if v is not None}}}


def enable(w, name, srv, cred="win-admin", **over):
    return w.asr.replication_protected_items.begin_create(RG, VAULT, w.f, w.c, name, enable_input(w, srv, cred, **over))


def arm_list(w, rid, api="2023-06-06", pages=None):
    """Every entry of an ARM list, following nextLink (the session simulator pages by 1). `pages`: a list that gets
    each page's size."""
    arm = w.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    url, out = f"{arm}{rid}?api-version={api}", []
    token = w.admin.mint_token("public")
    while url:
        status, _h, body = call(w.ep, "GET", url, token=token)
        assert status == 200, body
        out += body["value"]
        if pages is not None:
            pages.append(len(body["value"]))
        url = body.get("nextLink")
    return out
