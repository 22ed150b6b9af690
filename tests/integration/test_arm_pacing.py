"""A batch's threads pace their ARM requests from the x-ms-ratelimit-remaining-* headers: many concurrent reads past
the simulator's read bucket meet no 429 (without the pacing, the same burst meets hundreds and some requests fail
after their retries: see tests/simulator/README.md "ARM throttling"). About 5 s."""
from concurrent.futures import ThreadPoolExecutor

from azure.identity import ClientSecretCredential
from azure.mgmt.resource.resources import ResourceManagementClient

from ansible_collections.azmove.site_recovery.plugins.module_utils import _module as m


def test_concurrent_reads_pace_themselves_under_the_read_bucket(simulator, admin):
    gov = simulator["clouds"]["gov"]
    credential = ClientSecretCredential(gov["tenant_id"], gov["client_id"], gov["client_secret"],
                                        authority=gov["login_endpoint"].rstrip("/"), disable_instance_discovery=True,
                                        connection_verify=simulator["ca_bundle"])
    client = ResourceManagementClient(credential, gov["subscription_id"], base_url=gov["resource_manager"],
                                      credential_scopes=[gov["audience"] + ".default"],
                                      connection_verify=simulator["ca_bundle"],
                                      per_retry_policies=[m.arm_pacing_policy(m.ArmPacer())])
    client.resource_groups.get("rg-app-gov")  # token and first budget figure
    since = admin.requests()[-1]["id"]
    admin.arm_throttle("reads=40/25")  # a bucket small enough to empty in a second
    try:
        with ThreadPoolExecutor(20) as pool:
            names = list(pool.map(lambda unused: client.resource_groups.get("rg-app-gov").name, range(150)))
    finally:
        admin.arm_throttle("on")
    assert names == ["rg-app-gov"] * 150
    rows = admin.requests(since=since, port="arm", limit=100000)
    assert len(rows) == 150 and not [r for r in rows if r["status"] == 429]
