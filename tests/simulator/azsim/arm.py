"""Azure Resource Manager front door: auth, api-version, routing, paging, LRO responses.

Providers register routes on the module-level ROUTER:

    @ROUTER.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.X/things/{name}",
                  rtype="Microsoft.X/things", api_versions=X_VERSIONS)
    def get_thing(ctx, req, p): ...

Literal segments match case-insensitively (like ARM); `{name}` captures one segment.
A handler returns a Response or raises ArmError.
"""
import base64
import json
import logging
import time
import urllib.parse

from . import jwtutil, strict, throttle
from .clouds import CLOUDS, audience_matches, metadata_2015, metadata_2022
from .httpbase import Response

# Called as check(app, req, path segments) before a routed request runs; a check raises ArmError to refuse it
# (providers/authorization.py: role-based access control).
REQUEST_CHECKS = []


class ArmError(Exception):
    def __init__(self, status, code, message, target=None, details=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.target, self.details, self.headers = target, details, headers or {}

    def response(self):
        err = {"code": self.code, "message": self.message}
        if self.target:
            err["target"] = self.target
        if self.details is not None:  # an explicit [] is sent as ARM sends it (strict bodies, Network)
            err["details"] = self.details
        return Response(self.status, {"error": err}, self.headers)


class Route:
    def __init__(self, methods, template, handler, rtype, api_versions):
        self.methods = {m.upper() for m in methods}
        self.template = template
        self.segments = [s for s in template.split("/") if s]
        self.handler = handler
        self.rtype = rtype
        self.api_versions = api_versions

    def match(self, parts):
        if len(parts) != len(self.segments):
            return None
        params = {}
        for seg, part in zip(self.segments, parts):
            if seg.startswith("{") and seg.endswith("}"):
                params[seg[1:-1]] = part
            elif seg.lower() != part.lower():
                return None
        return params


class Router:
    def __init__(self):
        self.routes = []

    def route(self, methods, template, rtype, api_versions):
        if isinstance(methods, str):
            methods = [methods]

        def deco(fn):
            self.routes.append(Route(methods, template, fn, rtype, api_versions))
            return fn
        return deco

    def resolve(self, method, path):
        parts = [p for p in path.split("/") if p]
        path_matches = []
        for r in self.routes:
            params = r.match(parts)
            if params is None:
                continue
            if method in r.methods:
                return r, params
            path_matches.append(r)
        return None, path_matches


ROUTER = Router()


class ArmContext:
    """Per-request helpers handed to provider handlers."""

    def __init__(self, app, req):
        self.app, self.req = app, req
        self.sim, self.cloud, self.store = app.sim, app.cloud, app.sim.store

    @property
    def base(self):
        return self.req.base_url

    def url(self, path, **query):
        q = {"api-version": self.req.api_version}
        q.update(query)
        return self.base + path + "?" + urllib.parse.urlencode(q)

    def page(self, items):
        """One page of a list response, with an opaque absolute nextLink."""
        size = self.sim.page_size
        token = self.req.query.get("$skiptoken") or self.req.query.get("$skipToken")
        offset = 0
        if token:
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))["o"])
            except Exception:  # noqa: BLE001
                raise ArmError(400, "InvalidSkipToken", "The skip token is invalid.")
        top = self.req.query.get("$top")
        if top and top.isdigit():
            size = min(size, int(top))
        chunk = items[offset: offset + size]
        body = {"value": chunk}
        if offset + size < len(items) and not top:
            nxt = base64.urlsafe_b64encode(json.dumps({"o": offset + size, "n": int(time.time())}).encode()
                                           ).rstrip(b"=").decode()
            q = {k: v for k, v in self.req.query.items() if k.lower() != "$skiptoken"}
            q["$skiptoken"] = nxt
            body["nextLink"] = self.base + self.req.path + "?" + urllib.parse.urlencode(q)
        return Response(200, body)

    def accepted(self, op_id, status_path, location_path=None, status=202, body=None,
                 integer_retry_after=True, real_seconds=30, async_header=True):
        """Initial LRO response. Generated SDK code deserializes the *initial* Retry-After as "int"
        (azure-mgmt-resource / -recoveryservices), so sub-second delays go in x-ms-retry-after-ms there."""
        headers = {}
        if async_header:
            headers["Azure-AsyncOperation"] = self.url(f"{status_path}/{op_id}")
        if location_path:
            headers["Location"] = self.url(f"{location_path}/{op_id}")
        headers.update(self.sim.retry_after_headers(real_seconds, integer_retry_after))
        return Response(status, body if body is not None else b"", headers)


def _now_utc_str(ts):
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(ts))


class ArmApp:
    def __init__(self, sim, cloud):
        from . import providers  # noqa: F401 - registers routes
        providers.register_actions(sim)
        self.sim = sim
        self.cloud = cloud

    @property
    def login(self):
        return self.sim.urls[(self.cloud, "login")]

    def handle(self, req):
        req.ratelimit = None
        try:
            resp = self._handle(req)
        except ArmError as err:
            resp = err.response()
        if req.ratelimit:  # the budget left of the request's kind, on every answer as ARM sends it
            resp.headers.setdefault(*req.ratelimit)
            if resp.status == 429 and not resp.fault:
                resp.fault = "arm-throttle:" + req.ratelimit[0].rsplit("-", 1)[1]
        return resp

    def _handle(self, req):
        parts = [p for p in req.path.split("/") if p]
        if req.method == "GET" and [p.lower() for p in parts] == ["metadata", "endpoints"]:
            return self.metadata(req)
        self.authenticate(req)
        if not req.api_version:
            raise ArmError(400, "MissingApiVersionParameter",
                           "The api-version query parameter (?api-version=) is required for all requests.")
        if len(parts) >= 2 and parts[0].lower() == "subscriptions":
            sub = parts[1]
            if sub.lower() not in [s.lower() for s in self.sim.identity[self.cloud]["subscriptions"]]:
                raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        self.throttle(req, parts)
        route, extra = ROUTER.resolve(req.method, req.path)
        if route is None:
            if extra:
                raise ArmError(405, "HttpMethodNotAllowed",
                               f"The requested method '{req.method}' is not allowed for this resource.")
            raise self.unknown_path(req, parts)
        if req.api_version not in route.api_versions:
            raise self.bad_api_version(req, route)
        for check in REQUEST_CHECKS:
            check(self, req, parts)
        self.check_body(req, route)
        self.sim.apply_due()
        return route.handler(ArmContext(self, req), req, extra)

    def throttle(self, req, parts):
        """ARM's token bucket of the request's subscription (or tenant), principal and kind (throttle.py): one token
        spent, or 429 with Retry-After and ARM's error when the bucket is empty."""
        kind = throttle.kind_of(req.method)
        if len(parts) >= 2 and parts[0].lower() == "subscriptions":
            scope, scope_id = "subscription", parts[1].lower()
        else:
            scope, scope_id = "tenant", self.sim.identity[self.cloud]["tenant_id"]
        actor = req.claims.get("oid") or req.claims.get("appid") or ""
        allowed, remaining, wait = self.sim.throttle.take((self.cloud, scope, scope_id, actor), kind)
        req.ratelimit = (f"x-ms-ratelimit-remaining-{scope}-{kind}", str(remaining))
        if not allowed:
            seconds = throttle.retry_after_seconds(wait)
            raise ArmError(429, "SubscriptionRequestsThrottled" if scope == "subscription" else "TenantRequestsThrottled",
                           f"Number of '{kind[:-1]}' requests for {scope} '{scope_id}' actor '{actor}' exceeded. "
                           f"Please try again after '{seconds}' seconds.", headers={"Retry-After": str(seconds)})

    def check_body(self, req, route):
        """Strict request bodies (strict.py): a vault / Site Recovery write body must fit the SDK's model of the
        operation, before the handler (and its specific Azure checks) runs. Only the simulator's own tests turn it
        off (admin `strict-bodies`), to send a raw malformed body."""
        if not getattr(self.sim, "strict_bodies", True):
            return
        found = strict.problem(req.method, route.template, req)
        if found is not None:  # logged with what was sent: azsim.log tells why a client's request was refused
            logging.getLogger("azsim").warning("strict body refused: %s %s: %s: %s (sent: %s)", req.method, req.path,
                                               found.path, found.problem, found.sent)
            raise ArmError(400, "InvalidParameter", f"{found.path}: {found.problem}", target=found.path, details=[])

    def metadata(self, req):
        arm_url = self.sim.urls[(self.cloud, "arm")] + "/"
        login = self.login + "/"
        if req.api_version == "2015-01-01":
            return Response(200, metadata_2015(self.cloud, arm_url, login))
        return Response(200, metadata_2022(self.cloud, arm_url, login))

    # -- auth -------------------------------------------------------------------------
    def authenticate(self, req):
        auth = req.header("Authorization") or ""
        if not auth:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        if not auth.lower().startswith("bearer "):
            raise ArmError(401, "AuthenticationFailed",
                           "Authentication failed. The 'Authorization' header is provided in an invalid format.")
        token = auth[7:].strip()
        try:
            claims = jwtutil.verify_hs256(token, self.sim.signing_key)
        except jwtutil.JWTError:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.",
                           headers=self._www_auth("The access token is invalid"))
        now = time.time()
        if float(claims.get("exp", 0)) < now:
            raise ArmError(401, "ExpiredAuthenticationToken",
                           f"The access token expiry UTC time '{_now_utc_str(float(claims.get('exp', 0)))}' is "
                           f"earlier than current UTC time '{_now_utc_str(now)}'.",
                           headers=self._www_auth("The access token expiry UTC time is earlier than current UTC time"))
        if float(claims.get("nbf", 0)) > now + 300:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is not yet valid.")
        aud = claims.get("aud", "")
        if not audience_matches(self.cloud, aud):
            allowed = ",".join(CLOUDS[self.cloud]["audiences"])
            raise ArmError(401, "InvalidAuthenticationTokenAudience",
                           f"The access token has been obtained for wrong audience or resource '{aud}'. It should "
                           f"exactly match with one of the allowed audiences '{allowed}'.",
                           headers=self._www_auth("The access token has been obtained for wrong audience or resource"))
        tenant = self.sim.identity[self.cloud]["tenant_id"]
        if (claims.get("tid") or "").lower() != tenant.lower():
            iss = claims.get("iss", "")
            raise ArmError(401, "InvalidAuthenticationTokenTenant",
                           f"The access token is from the wrong issuer '{iss}'. It must match the tenant "
                           f"'https://sts.windows.net/{tenant}/' associated with this subscription. Please use the "
                           f"authority (URL) '{self.login}/{tenant}' to get the token. Note, if the subscription is "
                           "transferred to another tenant there is no impact to the services, but information about "
                           "new tenant could take time to propagate (up to an hour). If you just transferred your "
                           "subscription and see this error message, please try back later.",
                           headers=self._www_auth("The access token is from the wrong issuer"))
        req.claims = claims

    def _www_auth(self, description):
        return {"WWW-Authenticate": f'Bearer authorization_uri="{self.login}", error="invalid_token", '
                                    f'error_description="{description}"'}

    # -- errors -----------------------------------------------------------------------
    def unknown_path(self, req, parts):
        low = [p.lower() for p in parts]
        if "providers" in low:
            i = low.index("providers")
            ns = parts[i + 1] if len(parts) > i + 1 else ""
            rtype = "/".join(parts[i + 2::2]) if len(parts) > i + 2 else ""
            return ArmError(404, "InvalidResourceType",
                            f"The resource type '{rtype}' could not be found in the namespace '{ns}' for api "
                            f"version '{req.api_version}'.")
        return ArmError(404, "ResourceNotFound" if len(parts) > 2 else "NotFound",
                        f"The requested resource '{req.path}' was not found.")

    def bad_api_version(self, req, route):
        supported = ", ".join(sorted(route.api_versions, reverse=True))
        if route.rtype.lower().startswith("microsoft.resources/"):
            return ArmError(400, "InvalidApiVersionParameter",
                            f"The api-version '{req.api_version}' is invalid. The supported versions are "
                            f"'{supported}'. The supported api-versions are '{supported}'.")
        ns, _unused, rtype = route.rtype.partition("/")
        location = CLOUDS[self.cloud]["default_location"]
        return ArmError(400, "NoRegisteredProviderFound",
                        f"No registered resource provider found for location '{location}' and API version "
                        f"'{req.api_version}' for type '{rtype}'. The supported api-versions are '{supported}'. "
                        f"The supported locations are '{', '.join(CLOUDS[self.cloud]['locations'])}'.")


def normalize_location(loc):
    return (loc or "").replace(" ", "").lower()


def etag_now():
    ts = time.strftime("%Y-%m-%dT%H%%3A%M%%3A%S", time.gmtime())
    return f"W/\"datetime'{ts}.{int(time.time() * 1000) % 1000:03d}Z'\""
