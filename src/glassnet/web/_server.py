"""The playground's HTTP server: the standard library's ThreadingHTTPServer, JSON in and
out, the static page from package data. It keeps no state (the page sends the whole
network with every request), runs no user code, and bounds what it accepts.

Endpoints (POST bodies are JSON objects of at most ``LIMITS["max_body_bytes"]`` bytes):

============================  =========================================================
``GET  /``                    the page (``/static/…``: its script and style sheet)
``GET  /api/datasets``        toy datasets, limits, activations and losses
``GET  /api/dataset?name=xor`` the points of one toy dataset
``GET  /api/default``         the default state (the 3-4-2 network)
``POST /api/init``            ``{sizes, activations, seed, loss, lr}`` → a fresh state
``POST /api/compute``         state → per-layer x, W, b, Z, A, dot-product terms, dZ, dW, db
``POST /api/step``            state → one SGD step: ``{before, after, state}``
``POST /api/trace``           state → ``gn.explain.trace`` of forward + backward (its JSON schema)
``POST /api/train``           ``{state, dataset, steps, grid}`` → losses, accuracy, grid
``POST /api/export/model``    state → a glassnet model file (safetensors)
``POST /api/export/script``   state → a Python script rebuilding the network
============================  =========================================================

Errors are JSON ``{"error": message, "field": name-or-null}`` with a 4xx status.
"""

import json
import socket
import sys
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

import numpy as np

from glassnet._errors import GlassnetError
from glassnet.web._compute import compute, default_state, explain_trace, init_state, sgd_step
from glassnet.web._state import ACTIVATIONS, LIMITS, LOSSES, PlaygroundError
from glassnet.web._train import TOY_DATASETS, dataset_points, export_model_bytes, export_script, train_steps

__all__ = ["LOOPBACK_HOSTS", "PlaygroundServer", "make_server", "serve"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
           "/static/playground.js": ("playground.js", "text/javascript; charset=utf-8"),
           "/static/playground.css": ("playground.css", "text/css; charset=utf-8")}
_LOCK = threading.Lock()  # glassnet's grad mode and generator are process-wide: one request at a time


class _HTTPError(Exception):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.field = status, field


def _init(doc):
    if not isinstance(doc, dict):
        raise PlaygroundError("init: expected a JSON object with sizes", "sizes")
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise PlaygroundError(f"seed: expected an integer 0 .. 2**32-1, got {seed!r}", "seed")
    return init_state(doc.get("sizes"), doc.get("activations"), seed,
                      doc.get("loss", "cross_entropy"), doc.get("lr", 0.1))


_POST = {"/api/compute": compute, "/api/step": sgd_step, "/api/train": train_steps,
         "/api/init": _init, "/api/trace": explain_trace}
_EXPORTS = {"/api/export/model": (export_model_bytes, "application/octet-stream", "network.safetensors"),
            "/api/export/script": (export_script, "text/x-python; charset=utf-8", "network.py")}


def _datasets():
    return {"datasets": list(TOY_DATASETS), "limits": LIMITS, "activations": list(ACTIVATIONS),
            "losses": list(LOSSES)}


class _Handler(BaseHTTPRequestHandler):
    server_version = "glassnet-playground"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed ACK
    timeout = 10  # seconds a client may stall mid-request before its connection is dropped

    def log_message(self, format, *args):
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status, body, content_type, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:")
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status, obj):
        try:
            body = json.dumps(obj, allow_nan=False)
        except ValueError:  # NaN or Inf in the numbers: the network diverged
            status, body = HTTPStatus.BAD_REQUEST, json.dumps({
                "error": "the computation diverged (NaN or Inf); lower the learning rate or "
                         "the weights", "field": "lr"})
        self._send(status, body.encode(), "application/json")

    def _error(self, status, message, field=None):
        self.close_connection = True
        self._json(status, {"error": message, "field": field})

    def _check_host(self):
        """Refuse other Host names when bound to loopback (DNS-rebinding defence)."""
        if self.server.server_address[0] not in LOOPBACK_HOSTS:
            return
        host = urlsplit("//" + (self.headers.get("Host") or "")).hostname
        if host not in LOOPBACK_HOSTS:
            raise _HTTPError(HTTPStatus.FORBIDDEN, f"unexpected Host header {host!r}")

    def _body(self):
        media_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise _HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise _HTTPError(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required") from None
        if length < 0 or length > LIMITS["max_body_bytes"]:
            raise _HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"request body of {length} bytes; at most {LIMITS['max_body_bytes']}")
        raw = self.rfile.read(length)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _HTTPError(HTTPStatus.BAD_REQUEST, f"the body is not valid JSON ({exc})") from None

    def _dispatch(self, handler):
        try:
            self._check_host()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                handler()  # a diverging network is answered with a 400, not warnings
        except _HTTPError as exc:
            self._error(exc.status, str(exc), exc.field)
        except PlaygroundError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc), exc.field)
        except (GlassnetError, RecursionError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except TimeoutError:
            self.close_connection = True  # a stalled client: drop it, keep serving others
        except Exception as exc:  # never take the server down; report and keep serving
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}")

    def do_GET(self):
        self._dispatch(self._get)

    def do_HEAD(self):
        self._dispatch(self._get)

    def do_POST(self):
        self._dispatch(self._post)

    def do_PUT(self):
        self._dispatch(self._not_allowed)

    do_DELETE = do_PATCH = do_PUT

    def _not_allowed(self):
        raise _HTTPError(HTTPStatus.METHOD_NOT_ALLOWED, f"{self.command} is not supported here")

    def _get(self):
        url = urlsplit(self.path)
        if url.path in _STATIC:
            name, content_type = _STATIC[url.path]
            body = resources.files("glassnet.web").joinpath("static", name).read_bytes()
            return self._send(HTTPStatus.OK, body, content_type)
        if url.path == "/favicon.ico":
            return self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        if url.path == "/api/datasets":
            return self._json(HTTPStatus.OK, _datasets())
        if url.path == "/api/default":
            with _LOCK:
                return self._json(HTTPStatus.OK, default_state())
        if url.path == "/api/dataset":
            name = parse_qs(url.query).get("name", [None])[0]
            with _LOCK:
                return self._json(HTTPStatus.OK, dataset_points(name))
        if url.path in _POST or url.path in _EXPORTS:
            raise _HTTPError(HTTPStatus.METHOD_NOT_ALLOWED, f"use POST for {url.path}")
        raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such page: {url.path}")

    def _post(self):
        path = urlsplit(self.path).path
        if path not in _POST and path not in _EXPORTS:
            raise _HTTPError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
        doc = self._body()
        if path in _POST:
            with _LOCK:
                result = _POST[path](doc)
            return self._json(HTTPStatus.OK, result)
        make, content_type, filename = _EXPORTS[path]
        with _LOCK:
            body = make(doc)
        body = body.encode() if isinstance(body, str) else body
        self._send(HTTPStatus.OK, body, content_type,
                   [("Content-Disposition", f'attachment; filename="{filename}"')])


class PlaygroundServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer serving the playground; ``url`` is where it listens."""

    daemon_threads = True
    max_connections = 64  # beyond this, new connections are closed at once

    def __init__(self, address, quiet=True):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.quiet = quiet
        self._slots = threading.BoundedSemaphore(self.max_connections)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    @property
    def url(self):
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"


def make_server(host="127.0.0.1", port=0, quiet=True):
    """A playground server bound to ``host:port`` (port 0: any free port), not yet serving:
    call ``serve_forever()`` (e.g. in a thread) and ``shutdown()``; ``server.url`` is its address."""
    return PlaygroundServer((host, port), quiet=quiet)


def serve(host="127.0.0.1", port=8000, open_browser=False, print_fn=print):
    """Serve the playground until Ctrl-C: prints the URL (and a warning when ``host`` is not
    a loopback address: anyone who can reach it can then use the page)."""
    try:
        server = make_server(host, port, quiet=False)
    except OSError as exc:
        raise GlassnetError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    if host not in LOOPBACK_HOSTS:
        print(f"glassnet playground: warning: listening on {host}, not only on this machine; "
              "anyone who can reach it can use the playground", file=sys.stderr)
    print_fn(f"glassnet playground: {server.url}  (Ctrl-C stops it)")
    sys.stdout.flush()
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print_fn("glassnet playground: stopped")
    finally:
        server.server_close()
    return 0
