"""Helpers shared by the simulator self-tests (kept out of conftest.py so imports are unambiguous)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_ROOT = os.path.dirname(HERE)
if SIM_ROOT not in sys.path:
    sys.path.insert(0, SIM_ROOT)
DEMO_SEED = os.path.join(SIM_ROOT, "seed", "demo.json")


def credential(ep, cloud="gov", secret=None, **kw):
    from azure.identity import ClientSecretCredential
    c = ep["clouds"][cloud]
    kw.setdefault("disable_instance_discovery", True)
    return ClientSecretCredential(c["tenant_id"], c["client_id"], secret or c["client_secret"],
                                  authority=c["login_endpoint"].rstrip("/"),
                                  connection_verify=ep["ca_bundle"], **kw)


def client_kwargs(ep, cloud="gov", **extra):
    c = ep["clouds"][cloud]
    kw = dict(base_url=c["resource_manager"], credential_scopes=[c["audience"] + ".default"],
              connection_verify=ep["ca_bundle"])
    kw.update(extra)
    return kw


def clients(ep, cloud="gov", cred=None, **extra):
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    cred = cred or credential(ep, cloud)
    sub = ep["clouds"][cloud]["subscription_id"]
    return (ResourceManagementClient(cred, sub, **client_kwargs(ep, cloud, **extra)),
            RecoveryServicesClient(cred, sub, **client_kwargs(ep, cloud, **extra)))
