"""The playground server's HTTP layer and its bounds, piece by piece: request parsing and
its refusals (and a fuzz of mangled requests: ``GLASSNET_FUZZ=1`` runs it longer),
deadlines, keep-alive, which connection gives way to a newcomer, the compute thread's
lanes, the training budget, the icon and the log."""

import json
import os
import socket
import struct
import threading
import time
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet import web
from glassnet.web import _routes
from glassnet.web._connections import ConnectionTable
from glassnet.web._worker import Busy, ComputeWorker
from playground_server import request, running_server


@pytest.fixture(scope="module")
def server():
    with running_server() as srv:
        yield srv


def exchange(server, raw, timeout=10):
    """Send ``raw`` on a fresh connection, end our side, and return all the server sent."""
    with socket.create_connection(server.server_address[:2], timeout=timeout) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def parse(answer):
    """(status, headers, body) of the first response in ``answer``."""
    head, _, rest = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, rest[:int(headers.get("Content-Length", 0))]


GET = b"GET /api/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
FUZZ_EXAMPLES = 3000 if os.environ.get("GLASSNET_FUZZ") == "1" else 150


@pytest.mark.parametrize("raw, status, words", [
    (GET + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411, "Content-Length"),
    (GET + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400, "content-length header appears twice"),
    (GET + b"Host: evil.example\r\n\r\n", 400, "host header appears twice"),
    (GET + b"Content-Length: abc\r\n\r\n", 400, "expected a byte count, got 'abc'"),
    (GET + b"Content-Length: " + b"9" * 30 + b"\r\n\r\n", 413, "at most 65536"),
    (GET + b"X-Folded: a\r\n b\r\n\r\n", 400, "malformed header line"),
    (GET + b"no colon here\r\n\r\n", 400, "malformed header line"),
    (GET + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n", 431, "over 16384 bytes"),
    (GET + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", 431, "at most 100 headers"),
    (b"GET /api/datasets HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505, "HTTP/1.1 only"),
    (b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, "malformed request line"),
    (b"GET  / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, "malformed request line"),
    (b"\xff\xfe / HTTP/1.1\r\n\r\n", 400, "malformed request line"),
    (b"BREW / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405, "BREW is not supported here"),
    (b"GET / HTTP/1.1\r\n\r\n", 403, "unexpected Host header None"),
    (b"POST /api/compute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\r\n", 411,
     "a Content-Length header is required"),
    (b"GET /api/train HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405, "use POST for /api/train"),
])
def test_malformed_requests_get_a_4xx_or_5xx_json_error(server, raw, status, words):
    got, headers, body = parse(exchange(server, raw))
    assert got == status, body
    assert words in json.loads(body)["error"] and headers["Content-Type"] == "application/json"


_VALID = (b"POST /api/compute?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: application/json"
          b"\r\nContent-Length: 2\r\n\r\n{}")
_PIECES = [b"\r\n", b"\r\n\r\n", b":", b" ", b"\x00", b"\xff", b"[", b"//", b"#", b"?", b"9" * 20,
           b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n", b"Host: [\r\n"]


@st.composite
def _mangled(draw):
    """A valid request with one to four pieces inserted, deleted or overwritten."""
    raw = bytearray(_VALID)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        piece = draw(st.sampled_from(_PIECES) | st.binary(min_size=1, max_size=4))
        kind = draw(st.sampled_from(["insert", "delete", "overwrite"]))
        end = at if kind == "insert" else at + len(piece)
        raw[at:end] = b"" if kind == "delete" else piece
    return bytes(raw)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=_mangled())
def test_mangled_requests_get_an_answer_or_a_close_never_a_500(server, raw):
    answer = exchange(server, raw)  # our side ends after the request: a wait for more ends too
    if answer:
        assert answer.startswith(b"HTTP/1.1 "), answer[:200]
        assert int(answer[9:12]) in (200, 400, 403, 404, 405, 411, 413, 415, 431, 505), answer[:300]


def test_keep_alive_head_and_expect_100_continue(server):
    body = json.dumps(web.default_state()).encode()
    answer = exchange(server, GET + b"\r\n" + b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                      + b"POST /api/compute HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                      + b"\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    first, rest = answer.split(b"\r\n\r\n", 1)
    assert first.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" not in first
    length = int(dict(l.split(": ", 1) for l in first.decode().split("\r\n")[1:])["Content-Length"])
    assert json.loads(rest[:length])["datasets"][0] == "circles"
    head_answer, rest = rest[length:].split(b"\r\n\r\n", 1)
    assert head_answer.startswith(b"HTTP/1.1 200 OK") and b"text/html" in head_answer
    assert rest.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")  # HEAD: no body
    status, _, computed = parse(rest[len(b"HTTP/1.1 100 Continue\r\n\r\n"):])
    assert status == 200 and json.loads(computed)["loss"] == pytest.approx(web.compute(
        web.default_state())["loss"])


def test_a_trickled_head_gets_408_at_its_total_deadline_not_per_byte():
    with running_server(limits={"head_seconds": 1.0}) as srv:
        with socket.create_connection(srv.server_address[:2], timeout=10) as sock:
            sent, answer = 0, b""
            for byte in GET.decode() * 10:  # a byte every 0.1 s: no single wait is long
                sock.send(byte.encode())
                sent += 1
                time.sleep(0.1)
                sock.setblocking(False)
                try:
                    answer = sock.recv(4096)
                    break
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
    status, headers, body = parse(answer)
    assert (status, headers["Connection"]) == (408, "close")
    assert json.loads(body)["error"] == "the request head did not arrive within 1 s"
    # answered after about 10 of the 450 bytes (a byte per 0.1 s, 1 s in all): a per-byte
    # deadline would never fire while bytes keep coming. Counted in bytes, not seconds
    assert sent < 30, sent


def test_an_idle_connection_is_closed_without_an_answer():
    with running_server(limits={"idle_seconds": 0.3}) as srv:
        with socket.create_connection(srv.server_address[:2], timeout=10) as sock:
            assert sock.recv(100) == b""


# -- which connection gives way --------------------------------------------------------
class FakeTask:
    cancelled = False

    def cancel(self):
        self.cancelled = True


TABLE_LIMITS = {"max_connections": 3, "max_connections_per_client": 2, "evict_idle_seconds": 1.0,
                "evict_slow_seconds": 0.25}


def test_a_client_at_its_bound_is_refused_until_one_of_its_connections_only_waits():
    table = ConnectionTable(TABLE_LIMITS)
    a1, a2 = table.admit("a", FakeTask(), now=0.0), table.admit("a", FakeTask(), now=0.0)
    assert table.admit("a", FakeTask(), now=0.5) is None  # both are new: nothing to evict
    a2.busy()  # answering: never evicted
    a3 = table.admit("a", FakeTask(), now=1.0)  # a1 idle for 1 s gives way
    assert a1.evicted and a1.task.cancelled and not a2.task.cancelled
    assert table.by_client["a"] == {a2, a3} and table.count == 2
    table.release(a1)  # the evicted connection's own release changes nothing
    assert table.count == 2


def test_a_slow_head_gives_way_sooner_than_an_idle_connection():
    table = ConnectionTable(TABLE_LIMITS)
    a1, a2 = table.admit("a", FakeTask(), now=0.0), table.admit("a", FakeTask(), now=0.5)
    a2.head_started(0.5)
    assert table.admit("a", FakeTask(), now=0.6) is None
    table.admit("a", FakeTask(), now=0.8)  # a2's head is still incomplete after 0.3 s
    assert a2.evicted and not a1.evicted


def test_the_overall_bound_takes_a_waiting_place_from_any_client():
    table = ConnectionTable(TABLE_LIMITS)
    a1 = table.admit("a", FakeTask(), now=0.0)
    b1, b2 = table.admit("b", FakeTask(), now=0.0), table.admit("b", FakeTask(), now=0.0)
    b1.busy(), b2.busy()
    assert table.admit("c", FakeTask(), now=0.5) is None
    c1 = table.admit("c", FakeTask(), now=2.0)
    assert a1.evicted and "a" not in table.by_client and table.by_client["c"] == {c1}


# -- the compute thread ----------------------------------------------------------------
class Steps:
    """A stepwise job of ``n`` slices that logs its ``name`` after each; with ``hold``
    (started, go: two events) its first slice signals ``started`` and waits for ``go``."""

    def __init__(self, n, log, name, hold=None):
        self.n, self.log, self.name, self.hold = n, log, name, hold

    def advance(self, until):
        if self.hold is not None:
            started, go = self.hold
            started.set()
            go.wait(5)
            self.hold = None
        self.n -= 1
        self.log.append(self.name)
        return self.n == 0

    def result(self):
        return self.name


def test_quick_jobs_go_before_trainings_which_take_turns():
    worker, log, hold = ComputeWorker(max_trainings=2, max_per_client=2), [], (threading.Event(),
                                                                                threading.Event())
    try:
        first = worker.submit_training(Steps(3, log, "A", hold), "x")
        second = worker.submit_training(Steps(3, log, "B"), "x")
        hold[0].wait(5)  # A's first slice is running
        quick = worker.submit(log.append, "quick")
        hold[1].set()
        assert (first.result(5), second.result(5), quick.result(5)) == ("A", "B", None)
    finally:
        hold[1].set()
        worker.close()
    assert log == ["A", "quick", "B", "A", "B", "A", "B"]


def test_full_lanes_refuse_at_once():
    worker, started, gate = ComputeWorker(max_queued=1, max_trainings=2, max_per_client=1), \
        threading.Event(), threading.Event()

    def block():
        started.set()
        return gate.wait(5)

    try:
        blocker = worker.submit(block)
        started.wait(5)  # the blocker runs: the queue is empty again
        queued = worker.submit(len, "ab")
        with pytest.raises(Busy, match=r"busy \(1 computations waiting\)"):
            worker.submit(len, "abc")
        worker.submit_training(Steps(1, [], "a"), "x")
        with pytest.raises(Busy, match=r"1 trainings of yours are running \(at most 1\)"):
            worker.submit_training(Steps(1, [], "b"), "x")
        worker.submit_training(Steps(1, [], "c"), "y")
        with pytest.raises(Busy, match=r"running 2 trainings \(at most 2\)"):
            worker.submit_training(Steps(1, [], "d"), "z")
        gate.set()
        assert blocker.result(5) is True and queued.result(5) == 2
    finally:
        gate.set()
        worker.close()


# -- the training budget ----------------------------------------------------------------
def _xor_doc(steps=20):
    state = web.init_state([2, 4, 2], ["tanh", "none"], seed=0, lr=0.5)
    return {"state": state, "dataset": "xor", "steps": steps, "grid": 4}


def test_a_training_out_of_budget_stops_and_says_so():
    doc = _xor_doc()
    stopped = web.train_steps(doc, budget_s=0)
    assert stopped["steps"] == 0 and stopped["losses"] == []
    assert stopped["stopped"] == ("train: stopped after 0 of 20 steps: a request may train for at "
                                  "most 0 s here; ask for fewer steps")
    assert stopped["state"]["layers"] == doc["state"]["layers"]  # nothing was updated
    full = web.train_steps(doc)
    assert full["steps"] == 20 and full["stopped"] is None and len(full["losses"]) == 20


def test_a_training_advanced_in_slices_equals_one_run():
    doc, sliced, slices = _xor_doc(), web.Training(_xor_doc()), 1
    assert not sliced.advance(time.monotonic())  # an empty slice runs no step
    while not sliced.advance(time.monotonic() + 0.0005) and slices < 10_000:
        slices += 1
    assert slices > 1 and sliced.result() == web.train_steps(doc)


def test_the_server_answers_a_training_over_budget_with_what_it_has():
    with running_server(limits={"train_seconds": 0}) as srv:
        status, _, answer = request(srv, "POST", "/api/train", _xor_doc())
    assert status == 200 and answer["steps"] == 0 and "stopped after 0 of 20" in answer["stopped"]


# -- the icon and the log ---------------------------------------------------------------
def test_the_icon_is_a_16x16_png_cached_for_a_day(server):
    status, headers, body = request(server, "GET", "/favicon.ico")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == "max-age=86400"
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", body[16:24]) == (16, 16)
    idat = body.index(b"IDAT")
    pixels = zlib.decompress(body[idat + 4:idat + 4 + struct.unpack(">I", body[idat - 4:idat])[0]])
    assert len(pixels) == 16 * (1 + 16 * 4) and pixels[1:5] == bytes((37, 99, 235, 255))  # blue (+)


def test_the_log_holds_errors_only_unless_verbose(capsys, monkeypatch):
    def broken(doc):
        raise RuntimeError("a bug")

    monkeypatch.setitem(_routes.POST, "/api/compute", broken)
    for verbose in (False, True):
        server = web.make_server(quiet=False, verbose=verbose)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            for path in ("/", "/favicon.ico", "/api/datasets", "/nothing"):
                request(server, "GET", path)
            status, _, answer = request(server, "POST", "/api/compute", {})
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
        assert status == 500 and answer["error"] == "RuntimeError: a bug"
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == (5 if verbose else 1)
        assert '"POST /api/compute HTTP/1.1" 500 {"error": "RuntimeError: a bug"' in lines[-1]


def test_unknown_limits_are_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown limits \['head_secs'\]"):
        web.make_server(limits={"head_secs": 1})
