"""Tiny request/response types shared by the Entra, ARM and admin apps."""
import json
import urllib.parse


class DropConnection(Exception):
    """Raised (by the fault engine) to close the socket without any response."""


class Request:
    def __init__(self, method, raw_path, headers, body, cloud, port_kind, base_url):
        self.method = method.upper()
        self.raw_path = raw_path
        parsed = urllib.parse.urlsplit(raw_path)
        # collapse '//' produced by clients joining base URLs that end with '/'
        path = "/" + "/".join(p for p in parsed.path.split("/") if p != "")
        self.path = urllib.parse.unquote(path)
        self.query = {}
        for k, v in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True):
            self.query.setdefault(k, v)
        self.query_lower = {k.lower(): v for k, v in self.query.items()}
        self.headers = headers
        self.body = body
        self.cloud = cloud
        self.port_kind = port_kind
        self.base_url = base_url  # e.g. https://localhost:1234 (no trailing slash)
        self.request_id = None

    @property
    def api_version(self):
        return self.query_lower.get("api-version")

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def json(self):
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def form(self):
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


class Response:
    def __init__(self, status, body=b"", headers=None, content_type="application/json; charset=utf-8"):
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body or b""
        if self.body and content_type and "Content-Type" not in self.headers:
            self.headers["Content-Type"] = content_type
        self.fault = None


def json_response(status, obj, headers=None):
    return Response(status, obj, headers)
