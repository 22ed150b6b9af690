"""HTTPS listeners: TLS wrapping per connection, dispatch, fault hook, request log."""
import json
import logging
import os
import signal
import socket
import ssl
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import throttle
from .httpbase import DropConnection, Request, Response

log = logging.getLogger("azsim")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "azsim"
    sys_version = ""

    def log_message(self, fmt, *args):  # the request log lives in SQLite
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _handle(self):
        srv = self.server
        t0 = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        req = Request(self.command, self.path, self.headers, body, srv.cloud, srv.kind, srv.base_url)
        req.request_id = str(uuid.uuid4())
        fault = None
        try:
            resp = None
            if srv.kind != "admin":
                resp = srv.sim.faults.request_fault(req)
            if resp is None:
                resp = srv.app.handle(req)
            fault = resp.fault
        except DropConnection as exc:
            self._log(req, None, t0, f"{exc.args[0]}:drop")
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        except Exception:  # noqa: BLE001 - never kill the listener thread
            log.error("unhandled error for %s %s\n%s", req.method, req.path, traceback.format_exc())
            resp = Response(500, {"error": {"code": "InternalServerError",
                                            "message": "azsim internal error (see azsim.log)"}})
        self._send(req, resp)
        self._log(req, resp.status, t0, fault)

    def _send(self, req, resp):
        srv = self.server
        headers = dict(resp.headers)
        if srv.kind == "arm":
            corr = req.header("x-ms-correlation-request-id") or req.header("x-ms-client-request-id") \
                or str(uuid.uuid4())
            headers.setdefault("x-ms-request-id", req.request_id)
            headers.setdefault("x-ms-correlation-request-id", corr)
            if not any(k.lower().startswith("x-ms-ratelimit-remaining-") for k in headers):
                # an answer before the buckets (an injected fault, no token): a full bucket of the request's kind
                kind = throttle.kind_of(req.method)
                headers["x-ms-ratelimit-remaining-subscription-" + kind] = str(throttle.DEFAULTS[kind][0])
            headers.setdefault("Cache-Control", "no-cache")
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        elif srv.kind == "login":
            headers.setdefault("x-ms-request-id", req.request_id)
            if req.header("client-request-id"):
                headers.setdefault("client-request-id", req.header("client-request-id"))
            headers.setdefault("Cache-Control", "no-store, no-cache")
        self.send_response(resp.status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if req.method != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    def _log(self, req, status, t0, fault):
        try:
            self.server.sim.store.log_request(
                ts=time.time(), cloud=self.server.cloud, port=self.server.kind, method=req.method,
                path=req.path, api_version=req.api_version, status=status,
                latency_ms=round((time.monotonic() - t0) * 1000, 2), request_id=req.request_id, fault=fault)
        except Exception:  # noqa: BLE001
            log.error("request log failed\n%s", traceback.format_exc())


class Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, port, sim, app, cloud, kind, ssl_ctx):
        self.sim, self.app, self.cloud, self.kind, self.ssl_ctx = sim, app, cloud, kind, ssl_ctx
        super().__init__(("127.0.0.1", port), Handler)
        self.base_url = f"https://localhost:{self.server_address[1]}"

    def finish_request(self, request, client_address):
        # TLS handshake in the worker thread so a slow client cannot stall accept()
        try:
            request.settimeout(60)
            tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def shutdown_request(self, request):
        try:
            request.close()
        except OSError:
            pass


def serve(opts):
    """Run all listeners in the foreground until SIGTERM/SIGINT."""
    from . import admin, arm, entra, tls
    from .clouds import CLOUDS
    from .sim import Sim

    state_dir = os.path.abspath(opts.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    endpoints_path = os.path.join(state_dir, "endpoints.json")
    if os.path.exists(endpoints_path):
        os.unlink(endpoints_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    ca_pem, srv_pem, srv_key = tls.ensure_certs(state_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(srv_pem, srv_key)

    sim = Sim(state_dir, time_factor=opts.time_factor, token_lifetime=opts.token_lifetime,
              page_size=opts.page_size, arm_throttle=getattr(opts, "arm_throttle", None))
    # leniency, off by default: appliance-discovered machines also appear as InMageRcm protectable items
    sim.mirror_rcm_protectable_items = bool(getattr(opts, "mirror_rcm_protectable_items", False))
    from .providers import siterecovery  # Site Recovery settings: kept from the previous run when omitted
    siterecovery.configure(sim, getattr(opts, "lro_style", None), getattr(opts, "transient_health_ratio", None))
    if opts.faults:
        with open(opts.faults) as fh:
            for rule in json.load(fh):
                sim.faults.add(rule)

    # Reuse the previous run's ports when possible so URLs handed out before a
    # restart (e.g. Azure-AsyncOperation of an in-flight LRO) keep working.
    kinds = [(c, k) for c in CLOUDS for k in ("arm", "login")] + [(None, "admin")]
    previous = sim.store.get_meta("ports", {})
    listeners = {}
    apps = {}
    for i, (cloud, kind) in enumerate(kinds):
        key = f"{cloud}:{kind}"
        if kind == "arm":
            app = arm.ArmApp(sim, cloud)
        elif kind == "login":
            app = entra.EntraApp(sim, cloud)
        else:
            app = admin.AdminApp(sim)
        apps[key] = app
        if opts.port_base:
            candidates = [opts.port_base + i]
        else:
            candidates = ([previous[key]] if key in previous else []) + [0]
        last_exc = None
        for port in candidates:
            try:
                listeners[key] = Listener(port, sim, app, cloud, kind, ctx)
                break
            except OSError as exc:
                last_exc = exc
        if key not in listeners:
            raise SystemExit(f"cannot bind {key}: {last_exc}")
        sim.urls[(cloud, kind)] = listeners[key].base_url
    sim.store.set_meta("ports", {k: l.server_address[1] for k, l in listeners.items()})
    if opts.seed:
        with open(opts.seed) as fh:
            admin.apply_seed(sim, json.load(fh))

    threads = []
    for key, lst in listeners.items():
        t = threading.Thread(target=lst.serve_forever, name=f"azsim-{key}", daemon=True)
        t.start()
        threads.append(t)

    with open(os.path.join(state_dir, "azsim.pid"), "w") as fh:
        fh.write(str(os.getpid()))
    doc = endpoints_document(sim, ca_pem)
    tmp = endpoints_path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, endpoints_path)
    log.info("azsim listening: %s", json.dumps({k: l.base_url for k, l in listeners.items()}))

    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not stop.is_set():
        stop.wait(0.5)
    log.info("azsim stopping")
    for path in (endpoints_path, os.path.join(state_dir, "azsim.pid")):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    for lst in listeners.values():
        lst.shutdown()
        lst.server_close()
    sim.store.close()
    return 0


def endpoints_document(sim, ca_pem):
    from .clouds import CLOUDS
    doc = {
        "ca_bundle": os.path.abspath(ca_pem),
        "admin": {"url": sim.urls[(None, "admin")], "token": sim.admin_token},
        "time_factor": sim.time_factor,
        "clouds": {},
    }
    for cloud, c in CLOUDS.items():
        ident = sim.identity[cloud]
        arm_url = sim.urls[(cloud, "arm")]
        doc["clouds"][cloud] = {
            "name": c["name"],
            "metadata_url": f"{arm_url}/metadata/endpoints?api-version=2022-09-01",
            "resource_manager": arm_url + "/",
            "login_endpoint": sim.urls[(cloud, "login")] + "/",
            "audience": c["audiences"][0],
            "audiences": list(c["audiences"]),
            "tenant_id": ident["tenant_id"],
            "subscription_id": ident["subscription_id"],
            "subscriptions": list(ident["subscriptions"]),
            "client_id": ident["client_id"],
            "client_secret": ident["client_secret"],
            "default_location": c["default_location"],
        }
    return doc
