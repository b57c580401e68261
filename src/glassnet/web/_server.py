"""The playground's HTTP server: JSON in and out, the static page from package data. It keeps
no state (the page sends the whole network with every request), runs no user code, and
bounds what it accepts, how long each stage of a request may take, how many connections
one client holds, and how much computing one request gets.

Endpoints (POST bodies are JSON objects of at most ``LIMITS["max_body_bytes"]`` bytes):

============================  =========================================================
``GET  /``                    the page (``/static/…``: its script and style sheet)
``GET  /favicon.ico``         the page's icon (a 16×16 PNG, cached for a day)
``GET  /api/datasets``        toy datasets, limits, activations and losses
``GET  /api/dataset?name=xor`` the points of one toy dataset
``GET  /api/default``         the default state (the 3-4-2 network)
``POST /api/init``            ``{sizes, activations, seed, loss, lr}`` → a fresh state
``POST /api/compute``         state → per-layer x, W, b, Z, A, dot-product terms, dZ, dW, db
``POST /api/step``            state → one SGD step: ``{before, after, state}``
``POST /api/trace``           state → ``gn.explain.trace`` of forward + backward (its JSON schema)
``GET  /api/attention/default`` the attention panel's default head (X, W_Q, W_K, W_V)
``POST /api/attention``       ``{X, W_Q, W_K, W_V, causal}`` → Q, K, V, scores, weights, output
``POST /api/train``           ``{state, dataset, steps, grid}`` → losses, accuracy, grid,
                              ``steps`` done and ``stopped`` (why it stopped early, or null)
``POST /api/export/model``    state → a glassnet model file (safetensors)
``POST /api/export/script``   state → a Python script rebuilding the network
============================  =========================================================

Errors are JSON ``{"error": message, "field": name-or-null}`` with a 4xx status (503 with
``Retry-After`` when the server is full).

How it holds up (every bound is an entry of :data:`SERVER_LIMITS`):

* **one event loop** (asyncio) reads and writes every connection, so a slow client costs a
  suspended coroutine, not a thread; each stage of a request has a total deadline
  (:mod:`glassnet.web._http`): a byte a second does not keep a connection alive.
* **per-client fairness** (:mod:`glassnet.web._connections`): bounded connections per
  client address and overall; a newcomer over a bound replaces a connection that is only
  waiting, or is refused at once with 503 — never queued without end, never reset. The
  listen backlog is ``backlog`` (1024), so a burst of clients waits in the kernel's queue.
* **compute off the loop** (:mod:`glassnet.web._worker`): one compute thread; short
  requests go first, trainings share the rest in 20 ms slices, each stops at its time
  budget (``train_seconds``) and says so; full lanes answer 503.

Why asyncio from the standard library, and neither a hardened ``http.server`` nor a server
package: ``http.server`` gives each connection a thread that blocks in reads, so a total
deadline per request needs a watchdog that shuts sockets from outside, and answering the
excess with 503 instead of a reset needs yet more threads. uvicorn (the usual server for
local Python tools; installable here, with h11 and click) has a concurrency limit and a
keep-alive timeout, but no deadline for receiving a request — its timer restarts on every
byte (uvicorn issue #157 has asked for one since 2018) — and no per-client bound; aiohttp
and hypercorn likewise bound idle time or single reads, not a request's arrival. With any
of them the deadline, fairness and compute code here would still be needed, plus two or
three dependencies for an optional page. asyncio streams give a coroutine per connection in the standard
library; the HTTP the page needs (request line, headers, ``Content-Length`` bodies) is the
short :mod:`glassnet.web._http`, whose parser is fuzzed in tests/test_web_http.py.

Logging: errors only (5xx), every request with ``verbose=True``, nothing with ``quiet=True``.
"""

import asyncio
import socket
import sys
import threading
import time
import webbrowser
from datetime import datetime
from http import HTTPStatus
from urllib.parse import parse_qs

from glassnet._errors import GlassnetError, GlassnetValueError
from glassnet.web import _routes as routes
from glassnet.web._attention import default_attention
from glassnet.web._compute import default_state
from glassnet.web._connections import ConnectionTable
from glassnet.web._http import HTTPError, Response, close_gently, read_request, write_response
from glassnet.web._state import LIMITS
from glassnet.web._static import FAVICON, STATIC, favicon_png, static_file
from glassnet.web._train import dataset_points
from glassnet.web._worker import Busy, ComputeWorker

__all__ = ["LOOPBACK_HOSTS", "SERVER_LIMITS", "PlaygroundServer", "make_server", "serve"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SERVER_LIMITS = {
    "idle_seconds": 5.0,     # wait this long for a request's first byte, then close
    "head_seconds": 5.0,     # request line + headers complete this long after the first byte (408)
    "body_seconds": 5.0,     # the body complete this long after the head (408)
    "write_seconds": 10.0,   # the client takes the answer within this, or is dropped
    "linger_seconds": 1.0,   # after our last answer, read and drop input this long, then close
    "max_head_bytes": 16 * 1024,
    "max_connections": 256,  # connections served at once, all clients together
    "max_connections_per_client": 128,
    "evict_idle_seconds": 1.0,   # an idle connection this old may give its place to a newcomer
    "evict_slow_seconds": 0.25,  # so may one whose head is still incomplete after this long
    "max_refusing": 256,     # connections being answered 503 at once (beyond: closed at once)
    "max_queued": 64,        # short computations waiting for the compute thread (503 beyond)
    "max_trainings": 4,      # trainings in the round-robin, all clients together
    "max_trainings_per_client": 2,
    "train_seconds": 5.0,    # a training answers with what it has this long after it arrived
    "slice_seconds": 0.02,   # a training runs this long before short requests get their turn
    "answer_seconds": 30.0,  # a request waiting longer than this for the compute thread: 503
    "backlog": 1024,         # the kernel's queue of connections not yet accepted
}


def _limits(overrides):
    unknown = sorted(set(overrides or {}) - set(SERVER_LIMITS) - {"max_body_bytes"})
    if unknown:
        raise GlassnetValueError(f"make_server: unknown limits {unknown}; known: {sorted(SERVER_LIMITS)}")
    return {**SERVER_LIMITS, "max_body_bytes": LIMITS["max_body_bytes"], **(overrides or {})}


class PlaygroundServer:
    """The playground listening on ``address`` (``url``, ``server_address``); run it with
    ``serve_forever()`` (e.g. in a thread), stop it with ``shutdown()`` from another thread,
    then ``server_close()`` — the calls of the standard library's servers."""

    def __init__(self, address, quiet=True, verbose=False, limits=None):
        self.limits = _limits(limits)
        self.quiet, self.verbose = quiet, verbose
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.socket = socket.create_server(address, family=family, backlog=self.limits["backlog"])
        self.server_address = self.socket.getsockname()
        self._loopback = self.server_address[0] in LOOPBACK_HOSTS
        self._worker = ComputeWorker(self.limits["max_queued"], self.limits["max_trainings"],
                                     self.limits["max_trainings_per_client"], self.limits["slice_seconds"])
        self._table = ConnectionTable(self.limits)
        self._refusing, self._writers = 0, set()
        self._lock = threading.Lock()
        self._loop = self._stop = None
        self._stop_requested = False
        self._serving, self._done = threading.Event(), threading.Event()

    @property
    def url(self):
        host, port = self.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}/"

    def serve_forever(self):
        self._serving.set()
        self._done.clear()
        try:
            asyncio.run(self._serve())
        finally:
            self._worker.close()
            with self._lock:
                self._loop = self._stop = None
                self._stop_requested = False
            self._serving.clear()
            self._done.set()

    def shutdown(self):
        """Stop ``serve_forever`` and wait until it has returned."""
        with self._lock:
            self._stop_requested = True
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._serving.is_set():
            self._done.wait()

    def server_close(self):
        self._worker.close()
        self.socket.close()

    async def _serve(self):
        with self._lock:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            if self._stop_requested:
                self._stop.set()
        limits = self.limits
        server = await asyncio.start_server(self._connection, sock=self.socket, backlog=limits["backlog"],
                                            limit=limits["max_head_bytes"])
        try:
            await self._stop.wait()
        finally:
            server.close()
            for _ in range(3):  # connections accepted meanwhile reach their handlers
                await asyncio.sleep(0)
            for writer in list(self._writers):
                writer.transport.abort()
            await asyncio.sleep(0)  # asyncio.run then cancels what is left

    # -- connections -------------------------------------------------------------------------
    async def _connection(self, reader, writer):
        self._writers.add(writer)
        try:
            await self._admitted(reader, writer)
        finally:
            self._writers.discard(writer)

    async def _admitted(self, reader, writer):
        peer = writer.get_extra_info("peername")
        client = peer[0] if peer else "unknown"
        conn = self._table.admit(client, asyncio.current_task())
        if conn is None:
            return await self._refuse(reader, writer)
        try:
            await self._requests(conn, reader, writer)
        except asyncio.CancelledError:
            if not conn.evicted:  # the server is stopping
                writer.transport.abort()
                raise
            _uncancel(asyncio.current_task())
            if conn.head_since is not None:
                await write_response(writer, routes.error_response(
                    HTTPStatus.REQUEST_TIMEOUT, "the request head was too slow to arrive; its "
                    "connection went to another client"), False, self.limits)
        finally:
            self._table.release(conn)
        await close_gently(reader, writer, self.limits["linger_seconds"])

    async def _requests(self, conn, reader, writer):
        """Answer requests on one connection until it closes or an answer says close."""
        while True:
            conn.waiting(time.monotonic())
            try:
                request = await read_request(reader, writer, conn.client, self.limits,
                                             lambda: conn.head_started(time.monotonic()))
            except HTTPError as exc:
                conn.busy()
                response = routes.error_response(exc.status, str(exc), exc.field, exc.headers)
                await write_response(writer, response, False, self.limits)
                self._log(conn.client, "-", response.status)
                return None
            if request is None:
                return None
            conn.busy()
            response = await self._respond(request)
            keep_alive = request.keep_alive and not response.close
            sent = await write_response(writer, response, keep_alive, self.limits, request.method != "HEAD")
            self._log(conn.client, f"{request.method} {request.target[:200]} {request.version}",
                      response.status, response)
            if not (sent and keep_alive):
                return None

    async def _refuse(self, reader, writer):
        """Answer 503 to a connection over the bounds (or close it at once past ``max_refusing``)."""
        if self._refusing >= self.limits["max_refusing"]:
            writer.transport.abort()
            return
        self._refusing += 1
        try:
            response = routes.error_response(
                HTTPStatus.SERVICE_UNAVAILABLE, "the playground has too many connections open; "
                "try again in a moment", headers=[("Retry-After", "1")], close=True)
            await write_response(writer, response, False, self.limits)
            await close_gently(reader, writer, self.limits["linger_seconds"])
        finally:
            self._refusing -= 1

    def _log(self, client, request_line, status, response=None):
        if self.quiet or not (self.verbose or status >= 500):
            return
        when = datetime.now().strftime("%d/%b/%Y %H:%M:%S")
        detail = f" {response.body[:300].decode(errors='replace')}" if status >= 500 and response else ""
        print(f'{client} - - [{when}] "{request_line}" {status}{detail}', file=sys.stderr, flush=True)

    # -- requests ----------------------------------------------------------------------------
    async def _respond(self, request):
        try:
            self._check_host(request)
            path, _, query = request.target.partition("#")[0].partition("?")
            if request.method in ("GET", "HEAD"):
                return await self._get(path, query)
            if request.method == "POST":
                return await self._post(path, request)
            raise HTTPError(HTTPStatus.METHOD_NOT_ALLOWED, f"{request.method} is not supported here")
        except HTTPError as exc:
            return routes.error_response(exc.status, str(exc), exc.field, exc.headers)
        except Busy as exc:
            return routes.error_response(HTTPStatus.SERVICE_UNAVAILABLE, str(exc),
                                         headers=[("Retry-After", "1")])
        except Exception as exc:  # a bug: answer 500 (logged) and keep serving
            return routes.error_response(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}")

    def _check_host(self, request):
        """Refuse other Host names when bound to loopback (DNS-rebinding defence)."""
        if not self._loopback:
            return
        host = _hostname(request.headers.get("host"))
        if host not in LOOPBACK_HOSTS:
            raise HTTPError(HTTPStatus.FORBIDDEN, f"unexpected Host header {host!r}")

    async def _get(self, path, query):
        if path in STATIC:
            return Response(HTTPStatus.OK, *static_file(path))
        if path in FAVICON:
            return Response(HTTPStatus.OK, favicon_png(), "image/png", [("Cache-Control", "max-age=86400")])
        if path == "/api/datasets":
            return routes.json_response(HTTPStatus.OK, routes.datasets_info())
        if path == "/api/default":
            return await self._answer(self._worker.submit(routes.json_answer, default_state))
        if path == "/api/attention/default":
            return routes.json_response(HTTPStatus.OK, default_attention())
        if path == "/api/dataset":
            name = parse_qs(query).get("name", [None])[0]
            return await self._answer(self._worker.submit(routes.json_answer, dataset_points, name))
        if path in routes.POST or path in routes.EXPORTS or path == "/api/train":
            raise HTTPError(HTTPStatus.METHOD_NOT_ALLOWED, f"use POST for {path}")
        raise HTTPError(HTTPStatus.NOT_FOUND, f"no such page: {path}")

    async def _post(self, path, request):
        if path not in routes.POST and path not in routes.EXPORTS and path != "/api/train":
            raise HTTPError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json")
        if "content-length" not in request.headers:
            raise HTTPError(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required")
        if path == "/api/train":
            job = routes.TrainJob(request.body, self.limits["train_seconds"])
            return await self._answer(self._worker.submit_training(job, request.client))
        if path in routes.POST:
            future = self._worker.submit(routes.post_answer, routes.POST[path], request.body)
        else:
            future = self._worker.submit(routes.export_answer, path, request.body)
        return await self._answer(future)

    async def _answer(self, future):
        """The compute thread's answer, or 503 if it has not come within ``answer_seconds``."""
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.limits["answer_seconds"])
        except asyncio.TimeoutError:
            return routes.error_response(HTTPStatus.SERVICE_UNAVAILABLE, "the computation waited longer "
                                         f"than {self.limits['answer_seconds']:g} s; try again",
                                         headers=[("Retry-After", "1")])


def _hostname(host):
    """The name in a Host header, lower case: ``127.0.0.1:8000`` → ``127.0.0.1``, ``[::1]:80``
    → ``::1``; None without one."""
    if host is None:
        return None
    if host.startswith("["):
        return host[1:].partition("]")[0].lower()
    return host.partition(":")[0].lower()


def _uncancel(task):
    """Forget an eviction's cancel request, so that later deadlines of the task still read as
    timeouts (``Task.uncancel``, Python 3.11+; before that there is nothing to forget)."""
    if hasattr(task, "uncancel"):
        task.uncancel()


def make_server(host="127.0.0.1", port=0, quiet=True, verbose=False, limits=None):
    """A playground server bound to ``host:port`` (port 0: any free port), not yet serving:
    call ``serve_forever()`` (e.g. in a thread) and ``shutdown()``; ``server.url`` is its
    address. ``limits`` overrides entries of :data:`SERVER_LIMITS` (deadlines, bounds)."""
    return PlaygroundServer((host, port), quiet=quiet, verbose=verbose, limits=limits)


def serve(host="127.0.0.1", port=8000, open_browser=False, print_fn=print, verbose=False):
    """Serve the playground until Ctrl-C: prints the URL (and a warning when ``host`` is not
    a loopback address: anyone who can reach it can then use the page). Logs errors only,
    every request with ``verbose``."""
    try:
        server = make_server(host, port, quiet=False, verbose=verbose)
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
