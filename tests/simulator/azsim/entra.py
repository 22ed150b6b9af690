"""Microsoft Entra ID (login host) subset: discovery, OIDC metadata and the token endpoint.

Enough for MSAL / azure-identity confidential clients: client secret, certificate
(client_assertion signed RS256, x5t or x5t#S256 header) and federated workload
identity assertions. Error bodies mimic Entra's (AADSTS codes, trace/correlation ids).
"""
import datetime
import time
import urllib.parse
import uuid

from cryptography import x509

from . import jwtutil
from .clouds import audience_matches
from .httpbase import Response

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


def _thumb(value):
    """Normalize a JWT x5t value: MSAL sends base64url *with* '=' padding, others without."""
    return (value or "").rstrip("=").replace("+", "-").replace("/", "_")


class EntraApp:
    def __init__(self, sim, cloud):
        self.sim = sim
        self.cloud = cloud

    @property
    def login(self):
        return self.sim.urls[(self.cloud, "login")]

    @property
    def ident(self):
        return self.sim.identity[self.cloud]

    # -- errors -------------------------------------------------------------------
    def error(self, status, error, code, text):
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        return Response(status, {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {corr} Timestamp: {ts}",
            "error_codes": [code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": f"{self.login}/error?code={code}",
        })

    def tenant_not_found(self, tenant):
        return self.error(400, "invalid_request", 90002,
                          f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                          "signing into the correct cloud. Check with your subscription administrator, this may "
                          "happen if there are no active subscriptions for the tenant.")

    # -- dispatch -------------------------------------------------------------------
    def handle(self, req):
        parts = [p for p in req.path.split("/") if p]
        if req.method == "GET" and parts[:3] == ["common", "discovery", "instance"]:
            return self.instance_discovery(req)
        if len(parts) >= 2 and req.method == "GET" and parts[-2:] == [".well-known", "openid-configuration"]:
            v2 = len(parts) == 4 and parts[1] == "v2.0"
            if len(parts) in (3, 4):
                return self.openid_configuration(parts[0], v2)
        if req.method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self.token(req, parts[0], v2=True)
        if req.method == "POST" and len(parts) == 3 and parts[1:] == ["oauth2", "token"]:
            return self.token(req, parts[0], v2=False)
        return Response(404, {"error": "not_found", "error_description": "azsim: unknown login endpoint"})

    def _tenant_ok(self, tenant):
        return tenant.lower() in (self.ident["tenant_id"].lower(), self.ident["tenant_name"].lower())

    def instance_discovery(self, req):
        host = urllib.parse.urlsplit(self.login).netloc
        auth_ep = req.query.get("authorization_endpoint", "")
        path = [p for p in urllib.parse.urlsplit(auth_ep).path.split("/") if p]
        tenant = path[0] if path else "common"
        return Response(200, {
            "tenant_discovery_endpoint": f"{self.login}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        })

    def openid_configuration(self, tenant, v2):
        if tenant.lower() in ("common", "organizations"):
            tid = "{tenantid}"
        elif self._tenant_ok(tenant):
            tid = self.ident["tenant_id"]
        else:
            return self.error(400, "invalid_tenant", 90002,
                              f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                              "and are signing into the correct cloud.")
        base = f"{self.login}/{tenant}"
        if v2:
            doc = {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": f"{self.login}/{tenant}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{self.login}/{tid}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{self.login}/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver"],
                "kerberos_endpoint": f"{base}/kerberos",
                "tenant_region_scope": "USG" if self.cloud == "gov" else "NA",
                "cloud_instance_name": urllib.parse.urlsplit(self.login).netloc,
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.us" if self.cloud == "gov" else "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            }
        else:
            doc = {
                "token_endpoint": f"{base}/oauth2/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": f"{self.login}/common/discovery/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
                "scopes_supported": ["openid"],
                "issuer": f"https://sts.windows.net/{tid}/",
                "authorization_endpoint": f"{base}/oauth2/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/devicecode",
                "end_session_endpoint": f"{base}/oauth2/logout",
                "tenant_region_scope": "USG" if self.cloud == "gov" else "NA",
                "cloud_instance_name": urllib.parse.urlsplit(self.login).netloc,
            }
        return Response(200, doc)

    # -- token endpoint ---------------------------------------------------------------
    def token(self, req, tenant, v2):
        form = req.form()
        if not self._tenant_ok(tenant):
            return self.tenant_not_found(tenant)
        grant = form.get("grant_type")
        if grant != "client_credentials":
            return self.error(400, "unsupported_grant_type", 70003,
                              "The app requested an unsupported grant type '%s'." % (grant or ""))
        client_id = form.get("client_id", "")
        if client_id.lower() != self.ident["client_id"].lower():
            return self.error(400, "unauthorized_client", 700016,
                              f"Application with identifier '{client_id}' was not found in the directory "
                              f"'{self.ident['tenant_name']}'. This can happen if the application has not been "
                              "installed by the administrator of the tenant or consented to by any user in the "
                              "tenant. You may have sent your authentication request to the wrong tenant.")
        token_endpoint = f"{self.login}/{tenant}/oauth2/{'v2.0/' if v2 else ''}token"
        appidacr = "1"
        if "client_secret" in form:
            if form["client_secret"] != self.ident["client_secret"]:
                return self.error(401, "invalid_client", 7000215,
                                  "Invalid client secret provided. Ensure the secret being sent in the request is "
                                  "the client secret value, not the client secret ID, for a secret added to app "
                                  f"'{self.ident['client_id']}'.")
        elif form.get("client_assertion_type") == JWT_BEARER and form.get("client_assertion"):
            problem, appidacr = self.check_assertion(form["client_assertion"], token_endpoint)
            if problem:
                return self.error(401, "invalid_client", 700027, problem)
        else:
            return self.error(401, "invalid_client", 7000218,
                              "The request body must contain the following parameter: 'client_assertion' or "
                              "'client_secret'.")
        if v2:
            scope = form.get("scope", "")
            scopes = scope.split()
            resource = None
            for s in scopes:
                if s.endswith("/.default"):
                    resource = s[: -len(".default")]
            if resource is None:
                resource = scope
        else:
            resource = form.get("resource", "")
        if not resource or not audience_matches(self.cloud, resource):
            return self.error(400, "invalid_resource", 500011,
                              f"The resource principal named {resource.rstrip('/') if resource else scope} was not "
                              f"found in the tenant named {self.ident['tenant_name']}. This can happen if the "
                              "application has not been installed by the administrator of the tenant or consented "
                              "to by any user in the tenant. You might have sent your authentication request to "
                              "the wrong tenant.")
        # Token `aud` is the resource as requested (without /.default), like Entra v1 tokens.
        token, claims = self.sim.mint_token(self.cloud, resource, appidacr=appidacr)
        body = {"token_type": "Bearer", "expires_in": self.sim.token_lifetime,
                "ext_expires_in": self.sim.token_lifetime, "access_token": token}
        if not v2:
            body.update({"expires_on": str(claims["exp"]), "not_before": str(claims["nbf"]), "resource": resource})
        return Response(200, body)

    def check_assertion(self, assertion, token_endpoint):
        """Return (problem or None, appidacr)."""
        try:
            header, claims, _unused, _unused = jwtutil.split(assertion)
        except jwtutil.JWTError:
            return "Client assertion is not within its valid time range or is malformed.", "2"
        now = time.time()
        if "x5t" in header or "x5t#S256" in header:
            cert = None
            want = {_thumb(header.get("x5t")), _thumb(header.get("x5t#S256"))} - {""}
            for entry in self.sim.store.credentials(self.cloud, "certificate"):
                if want & {_thumb(entry["x5t"]), _thumb(entry["x5t_s256"])}:
                    cert = x509.load_pem_x509_certificate(entry["pem"].encode())
                    break
            if cert is None:
                thumb = header.get("x5t") or header.get("x5t#S256")
                return (f"Client assertion failed signature validation. Reason - The key was not found., "
                        f"Thumbprint of key used by client: '{thumb}'. Please visit the Azure Portal, Graph "
                        "Explorer or directly use MS Graph to see configured keys for app Id "
                        f"'{self.ident['client_id']}'."), "2"
            try:
                jwtutil.verify_rs256(assertion, cert)
            except jwtutil.JWTError:
                return "Client assertion failed signature validation.", "2"
            aud = claims.get("aud")
            if aud not in (token_endpoint, token_endpoint.replace("/v2.0/", "/")) and \
                    aud != f"{self.login}/{self.ident['tenant_id']}/oauth2/v2.0/token":
                return "Client assertion audience claim does not match Realm issuer. Review the documentation at " \
                       "https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .", "2"
            if claims.get("iss") != self.ident["client_id"] or claims.get("sub") != self.ident["client_id"]:
                return "Client assertion contains an invalid issuer or subject claim.", "2"
            if float(claims.get("exp", 0)) < now - 300:
                return "Client assertion is not within its valid time range.", "2"
            return None, "2"
        # federated (workload identity) assertion: signature is not checked (see README)
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if float(claims.get("exp", now + 1)) < now - 300:
            return "Client assertion is not within its valid time range.", "2"
        for fc in self.sim.store.credentials(self.cloud, "federated"):
            if claims.get("iss") == fc["issuer"] and claims.get("sub") == fc["subject"] and \
                    any(a in fc.get("audiences", [FEDERATED_AUDIENCE]) for a in auds):
                return None, "2"
        return (f"No matching federated identity record found for presented assertion issuer "
                f"'{claims.get('iss')}' and subject '{claims.get('sub')}'."), "2"
