"""Static per-cloud facts (names, audiences, metadata endpoint documents).

The metadata documents follow the real `GET {arm}/metadata/endpoints?api-version=2022-09-01`
response (a JSON array of cloud objects) and the Azure Stack flavour
(`api-version=2015-01-01`, a single object) that azure-cli's
`get_cloud_from_metadata_endpoint` and Ansible's azure_rm_common understand.
Only loginEndpoint / resourceManager / audiences point at the simulator; the
other service URLs are the real cloud's values (nothing here serves them).
"""

CLOUDS = {
    "gov": {
        "name": "AzureUSGovernment",
        "audiences": ["https://management.core.usgovcloudapi.net/", "https://management.usgovcloudapi.net/"],
        "default_location": "usgovvirginia",
        "portal": "https://portal.azure.us",
        "media": "https://rest.media.usgovcloudapi.net",
        "graph": "https://graph.windows.net/",
        "batch": "https://batch.core.usgovcloudapi.net/",
        "sqlManagement": "https://management.core.usgovcloudapi.net:8443/",
        "activeDirectoryDataLake": None,
        "microsoftGraphResourceId": "https://graph.microsoft.us/",
        "appInsightsResourceId": "https://api.applicationinsights.us",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.us/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.usgovcloudapi.net",
        "logAnalyticsResourceId": "https://api.loganalytics.us",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.usgovcloudapi.net",
        "suffixes": {
            "acrLoginServer": "azurecr.us",
            "sqlServerHostname": "database.usgovcloudapi.net",
            "keyVaultDns": "vault.usgovcloudapi.net",
            "storage": "core.usgovcloudapi.net",
            "azureFrontDoorEndpointSuffix": "azurefd.us",
            "storageSyncEndpointSuffix": "afs.azure.us",
            "mhsmDns": "managedhsm.usgovcloudapi.net",
            "mysqlServerEndpoint": "mysql.database.usgovcloudapi.net",
            "postgresqlServerEndpoint": "postgres.database.usgovcloudapi.net",
            "mariadbServerEndpoint": "mariadb.database.usgovcloudapi.net",
            "synapseAnalytics": "dev.azuresynapse.usgovcloudapi.net",
        },
        "locations": ["usgovvirginia", "usgovtexas", "usgovarizona", "usdodeast", "usdodcentral", "usgoviowa"],
    },
    "public": {
        "name": "AzureCloud",
        "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
        "default_location": "eastus",
        "portal": "https://portal.azure.com",
        "media": "https://rest.media.azure.net",
        "graph": "https://graph.windows.net/",
        "batch": "https://batch.core.windows.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "appInsightsResourceId": "https://api.applicationinsights.io",
        "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
        "attestationResourceId": "https://attest.azure.net",
        "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "storageSyncEndpointSuffix": "afs.azure.net",
            "mhsmDns": "managedhsm.azure.net",
            "mysqlServerEndpoint": "mysql.database.azure.com",
            "postgresqlServerEndpoint": "postgres.database.azure.com",
            "mariadbServerEndpoint": "mariadb.database.azure.com",
            "synapseAnalytics": "dev.azuresynapse.net",
        },
        "locations": ["eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus",
                      "southcentralus", "westcentralus", "canadacentral", "northeurope", "westeurope", "uksouth"],
    },
}


def norm_aud(aud):
    return (aud or "").rstrip("/").lower()


def audience_matches(cloud, aud):
    return norm_aud(aud) in {norm_aud(a) for a in CLOUDS[cloud]["audiences"]}


def metadata_2022(cloud, arm_url, login_url):
    c = CLOUDS[cloud]
    doc = {
        "portal": c["portal"],
        "authentication": {
            "loginEndpoint": login_url,
            "audiences": list(c["audiences"]),
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": c["media"],
        "graphAudience": c["graph"],
        "graph": c["graph"],
        "name": c["name"],
        "suffixes": dict(c["suffixes"]),
        "batch": c["batch"],
        "resourceManager": arm_url,
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": c["activeDirectoryDataLake"],
        "sqlManagement": c["sqlManagement"],
        "microsoftGraphResourceId": c["microsoftGraphResourceId"],
        "appInsightsResourceId": c["appInsightsResourceId"],
        "appInsightsTelemetryChannelResourceId": c["appInsightsTelemetryChannelResourceId"],
        "attestationResourceId": c["attestationResourceId"],
        "synapseAnalyticsResourceId": c["synapseAnalyticsResourceId"],
        "logAnalyticsResourceId": c["logAnalyticsResourceId"],
        "ossrDbmsResourceId": c["ossrDbmsResourceId"],
    }
    if doc["activeDirectoryDataLake"] is None:
        del doc["activeDirectoryDataLake"]
    return [doc]


def metadata_2015(cloud, arm_url, login_url):
    """Azure Stack style document (what `api-version=2015-01-01` returns)."""
    c = CLOUDS[cloud]
    return {
        "galleryEndpoint": c["portal"] + "/",
        "graphEndpoint": c["graph"],
        "portalEndpoint": c["portal"] + "/",
        "authentication": {"loginEndpoint": login_url, "audiences": list(c["audiences"])},
    }
