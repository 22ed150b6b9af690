"""Plain HTTPS calls for checks the SDKs hide (status codes, headers)."""
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request


def call(ep, method, url, token=None, body=None, headers=None, form=None):
    ctx = ssl.create_default_context(cafile=ep["ca_bundle"])
    h = dict(headers or {})
    data = None
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        h["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers), (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, dict(err.headers), (json.loads(raw) if raw else None)
