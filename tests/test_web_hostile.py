"""The playground under attack (issue #21): slow clients, maximum-size trainings, a burst of
connections, fuzzed JSON. All traffic goes to 127.0.0.1; every attack is bounded in sockets
and seconds and stops by itself. The server runs in a child process with a limited address
space (``server_process``), so the tests' threads cannot slow it and a blow-up fails here.

The issue's goal is p99 ≤ 0.5 s for a normal request during an attack; typical figures are
tens of milliseconds (printed by each test, reported in the note). No test asserts a
wall-clock goal (a busy CI machine must not fail them): the assertion is that no client is
locked out — every normal request answered, p99 far below the 26–30 s lock-outs the probes
found (``LOCKOUT_BOUND``).
``GLASSNET_FUZZ=1`` runs the fuzz test for thousands of examples instead of a hundred.
"""

import copy
import json
import os
import select
import socket
import threading
import time
from urllib.parse import quote

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from glassnet import web
from playground_server import request, server_process

LOCKOUT_BOUND = 5.0  # seconds: ten times the goal, a fifth of the lock-outs measured before
FUZZ_EXAMPLES = 3000 if os.environ.get("GLASSNET_FUZZ") == "1" else 120


def _timed(server, method, path, body=None):
    start = time.perf_counter()
    status, _, _ = request(server, method, path, body)
    return status, time.perf_counter() - start


def _normal_traffic(server, seconds, state):
    """A page load (GET /) and a small API call (POST /api/compute) in turn, for ``seconds``:
    [(status, latency)]."""
    answers, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        answers.append(_timed(server, "GET", "/"))
        answers.append(_timed(server, "POST", "/api/compute", state))
        time.sleep(0.02)
    return answers


def _p99(answers):
    return float(np.percentile([seconds for _, seconds in answers], 99))


class SlowLoris:
    """``n`` sockets from ``source``, each sending one byte of an endless request head per
    ``interval``; a socket that is answered or closed reconnects, as an attacker's would.
    Counts the answers: ``timeouts`` (408) and ``refused`` (503)."""

    HEAD = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 100_000

    def __init__(self, address, n, source, interval=1.0):
        self.address, self.n, self.source, self.interval = address, n, source, interval
        self.timeouts = self.refused = 0
        self.opened = []

    def _connect(self):
        sock = socket.create_connection(self.address, timeout=5, source_address=(self.source, 0))
        self.opened.append(sock)
        return [sock, 0]

    def _answered(self, sock):
        if not select.select([sock], [], [], 0)[0]:
            return False
        try:
            data = sock.recv(65536)
        except OSError:
            return True
        self.timeouts += data.startswith(b"HTTP/1.1 408 ")
        self.refused += data.startswith(b"HTTP/1.1 503 ")
        return True

    def run(self, seconds):
        end = time.monotonic() + seconds
        slots = [self._connect() for _ in range(self.n)]
        try:
            while time.monotonic() < end:
                for slot in slots:
                    sock, sent = slot
                    try:
                        if not self._answered(sock):
                            sock.send(self.HEAD[sent:sent + 1])
                            slot[1] += 1
                            continue
                    except OSError:
                        pass
                    slot[:] = self._connect()
                time.sleep(self.interval)
        finally:
            for sock in self.opened:
                sock.close()


def _can_send_from(address):
    try:
        with socket.socket() as sock:
            sock.bind((address, 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize("source, sockets, per_client", [("127.0.0.1", 32, 128), ("127.0.0.2", 64, 32)],
                         ids=["same-address-as-the-victim", "another-address-over-its-bound"])
def test_slow_loris_clients_neither_lock_out_nor_slow_down_others(source, sockets, per_client):
    if not _can_send_from(source):
        pytest.skip(f"{source} is not a loopback address here (only Linux routes all of 127/8)")
    limits = {"head_seconds": 2.0, "max_connections_per_client": per_client}
    with server_process(limits) as server:
        state = request(server, "GET", "/api/default")[2]
        loris = SlowLoris(server.server_address, sockets, source)
        attack = threading.Thread(target=loris.run, args=(5.5,))
        attack.start()
        time.sleep(0.5)
        answers = _normal_traffic(server, 4.0, state)
        attack.join(30)
    print(f"\nslow loris ({sockets} sockets from {source}): {len(answers)} normal requests, "
          f"p99 {_p99(answers):.3f} s, max {max(s for _, s in answers):.3f} s; "
          f"the attack got {loris.timeouts} × 408, {loris.refused} × 503")
    assert [status for status, _ in answers] == [200] * len(answers)
    assert _p99(answers) <= LOCKOUT_BOUND
    assert loris.timeouts >= min(sockets, per_client)  # each slow head met its deadline
    if sockets > per_client:
        assert loris.refused > 0  # the attacker's sockets over its bound were refused at once


def _max_training_body():
    sizes = [2] + [web.LIMITS["max_units"]] * (web.LIMITS["max_layers"] - 1) + [2]
    state = web.init_state(sizes, ["tanh"] * (len(sizes) - 2) + ["none"], seed=0, lr=0.1)
    return {"state": state, "dataset": "spiral", "steps": web.LIMITS["max_steps"], "grid": 64}


def test_five_maximum_trainings_leave_normal_requests_fast_and_stop_at_their_budget():
    limits = {"max_trainings": 5, "max_trainings_per_client": 5, "train_seconds": 3.0}
    body, trainings = _max_training_body(), []

    def train(server):
        start = time.perf_counter()
        status, _, answer = request(server, "POST", "/api/train", body)
        trainings.append((status, time.perf_counter() - start, answer))

    with server_process(limits) as server:
        state = request(server, "GET", "/api/default")[2]
        clients = [threading.Thread(target=train, args=(server,)) for _ in range(5)]
        for client in clients:
            client.start()
        time.sleep(0.3)
        answers = _normal_traffic(server, 3.0, state)
        for client in clients:
            client.join(30)
    print(f"\n5 maximum trainings: {len(answers)} normal requests, p99 {_p99(answers):.3f} s, max "
          f"{max(s for _, s in answers):.3f} s; trainings answered after "
          f"{sorted(round(t, 2) for _, t, _ in trainings)} s, steps {[a['steps'] for _, _, a in trainings]}")
    assert [status for status, _ in answers] == [200] * len(answers)
    assert _p99(answers) <= LOCKOUT_BOUND
    assert [status for status, _, _ in trainings] == [200] * 5
    for _, seconds, answer in trainings:
        assert len(answer["losses"]) == answer["steps"] and answer["steps"] > 0
        assert seconds < limits["train_seconds"] + 2.0  # the budget, not 5 × 2000 steps
        if answer["steps"] < body["steps"]:
            assert answer["stopped"].startswith(f"train: stopped after {answer['steps']} of 2000 steps")


def test_trainings_over_a_clients_bound_are_refused_at_once_with_503():
    body = _max_training_body()
    with server_process({"max_trainings_per_client": 2, "train_seconds": 2.0}) as server:
        running = [threading.Thread(target=request, args=(server, "POST", "/api/train", body))
                   for _ in range(2)]
        for thread in running:
            thread.start()
        time.sleep(0.3)
        status, headers, answer = request(server, "POST", "/api/train", body)
        for thread in running:
            thread.join(30)
    assert status == 503 and headers["Retry-After"] == "1"
    assert answer["error"] == ("train: 2 trainings of yours are running (at most 2); wait for one "
                               "to finish")


def test_a_burst_of_200_connections_is_answered_not_reset():
    results, barrier = [], threading.Barrier(200)

    def client(server, i):
        barrier.wait(10)
        try:
            if i % 2:
                results.append(request(server, "GET", "/"))
            else:
                results.append(request(server, "POST", "/api/compute", state))
        except OSError as exc:  # a reset, a refused connection, a timeout
            results.append(exc)

    with server_process() as server:
        state = request(server, "GET", "/api/default")[2]
        threads = [threading.Thread(target=client, args=(server, i)) for i in range(200)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    errors = [r for r in results if isinstance(r, Exception)]
    statuses = [r[0] for r in results if not isinstance(r, Exception)]
    print(f"\nburst of 200: {statuses.count(200)} × 200, {statuses.count(503)} × 503, "
          f"{len(errors)} errors")
    assert errors == [] and len(statuses) == 200
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 20
    for status, headers, answer in results:
        if status == 503:
            assert headers["Retry-After"] == "1" and "try again" in answer["error"]


# -- fuzzing the JSON endpoints ------------------------------------------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=9) | st.dictionaries(st.text(max_size=8), inner, max_size=6),
    max_leaves=40)
_ENDPOINTS = ["/api/compute", "/api/step", "/api/trace", "/api/init", "/api/train",
              "/api/export/model", "/api/export/script", "/api/attention"]


def _leaf_paths(node, path=()):
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from _leaf_paths(child, (*path, key))


def _valid_document(path):
    state = web.init_state([2, 3, 2], ["relu", "none"], seed=1)
    state["x"], state["target"] = [[0.5, -0.5], [0.1, 0.2]], [1, 0]
    if path == "/api/train":
        return {"state": state, "dataset": "xor", "steps": 5, "grid": 4}
    if path == "/api/init":
        return {"sizes": [2, 3, 2], "activations": ["tanh", "none"], "seed": 3, "loss": "mse", "lr": 0.5}
    if path == "/api/attention":
        return dict(web.default_attention(), causal=True)
    return state


def _mutate(draw, doc):
    """One change to ``doc``: a part replaced by any JSON value, a number by any number, a
    key or list item removed, a list item repeated — or no change at all."""
    kind = draw(st.sampled_from(["any", "number", "remove", "repeat", "none"]))
    path = draw(st.sampled_from(list(_leaf_paths(doc))[1:]))
    doc = copy.deepcopy(doc)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if kind == "any":
        parent[path[-1]] = draw(_JSON)
    elif kind == "number":
        parent[path[-1]] = draw(st.integers() | st.floats())
    elif kind == "remove":
        del parent[path[-1]]
    elif kind == "repeat" and isinstance(parent, list):
        parent.append(parent[path[-1]])
    return doc


@st.composite
def _requests(draw):
    """(endpoint, body): mostly the endpoint's own valid document changed once; sometimes any
    JSON value or raw bytes."""
    path = draw(st.sampled_from(_ENDPOINTS))
    kind = draw(st.sampled_from(["document"] * 6 + ["json", "bytes"]))
    if kind == "json":
        return path, json.dumps(draw(_JSON)).encode()
    if kind == "bytes":
        return path, draw(st.binary(max_size=200))
    return path, json.dumps(_mutate(draw, _valid_document(path))).encode()


@pytest.fixture(scope="module")
def fuzz_server():
    with server_process({"train_seconds": 0.5}) as server:
        yield server


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(path_and_body=_requests())
def test_fuzzed_json_gets_an_answer_or_a_4xx_with_a_json_error(fuzz_server, path_and_body):
    path, body = path_and_body
    status, _, answer = request(fuzz_server, "POST", path, raw=body)  # a hang times out: a failure
    event(f"{path} {status}")
    assert status in (200, 400), (status, answer, body[:300])
    if status == 400:
        assert isinstance(answer["error"], str) and answer["error"], answer
        assert answer["field"] is None or isinstance(answer["field"], str)


@settings(max_examples=FUZZ_EXAMPLES // 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(max_size=30))
def test_fuzzed_dataset_names_get_points_or_a_400(fuzz_server, name):
    status, _, answer = request(fuzz_server, "GET", f"/api/dataset?name={quote(name)}")
    if name in web.TOY_DATASETS:
        assert status == 200 and answer["name"] == name
    else:
        assert status == 400 and answer["field"] == "dataset", answer
