"""Shared by the playground tests: a server on 127.0.0.1, port 0, in a thread; a tiny
HTTP client; and the playground's network computed directly with glassnet's public API
(independently of glassnet.web) to compare the server's and the page's numbers with."""

import http.client
import json
import threading
from contextlib import contextmanager

import numpy as np

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

ACT = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "none": nn.Identity}


@contextmanager
def running_server(limits=None):
    from glassnet.web import make_server

    server = make_server("127.0.0.1", 0, limits=limits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def request(server, method, path, body=None, headers=None, raw=None):
    """(status, headers, parsed JSON or bytes) of one request on a fresh connection."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    hdrs.update(headers or {})
    conn.request(method, path, body=data, headers=hdrs)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if "json" in (response.getheader("Content-Type") or ""):
        payload = json.loads(payload)
    return response.status, dict(response.getheaders()), payload


def direct(doc):
    """Forward and backward of a state document with nn.Linear layers and F losses:
    {"Z": [...], "A": [...], "dZ", "dW", "db" per layer, "probs", "loss"} as arrays."""
    x = gn.tensor(doc["x"], dtype="float64")
    target = gn.tensor(doc["target"])
    out = {"Z": [], "A": [], "linears": []}
    a = x
    for layer in doc["layers"]:
        linear = nn.Linear(len(layer["W"][0]), len(layer["W"]), dtype="float64")
        linear.load_state_dict({"weight": np.array(layer["W"]), "bias": np.array(layer["b"])})
        z = linear(a).retain_grad()
        a = ACT[layer["activation"]]()(z)
        if a is not z:
            a.retain_grad()
        out["Z"].append(z)
        out["A"].append(a)
        out["linears"].append(linear)
    if doc["loss"] == "cross_entropy":
        loss = F.cross_entropy(a, target)
    else:
        loss = F.mse_loss(a, F.one_hot(target, a.shape[1]).double())
    loss.backward()
    return {"Z": [z.array for z in out["Z"]], "A": [t.array for t in out["A"]],
            "dZ": [z.grad.array for z in out["Z"]],
            "dW": [lin.weight.grad.array for lin in out["linears"]],
            "db": [lin.bias.grad.array for lin in out["linears"]],
            "probs": gn.softmax(a.detach(), dim=1).array, "loss": loss.item()}


class ServerProcess:
    """A playground server in a child process: ``server_address`` (for :func:`request`) and
    ``process``. The tests' own threads cannot slow it down, and its address space is
    limited, so that a memory blow-up fails a test instead of the machine."""

    CODE = """
import json, sys
try:
    import resource
except ImportError:  # Windows: no address-space limit
    pass
else:
    limit = int(sys.argv[2]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from glassnet.web import make_server
server = make_server("127.0.0.1", 0, limits=json.loads(sys.argv[1]), **json.loads(sys.argv[3]))
print(server.server_address[1], flush=True)
server.serve_forever()
"""

    def __init__(self, process, port):
        self.process, self.server_address = process, ("127.0.0.1", port)


@contextmanager
def server_process(limits=None, address_space_mb=1024, **options):
    """A :class:`ServerProcess` (``options``: make_server's ``quiet``, ``verbose``), stopped at
    the end; its standard error is in ``.stderr`` afterwards."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-c", ServerProcess.CODE, json.dumps(limits or {}), str(address_space_mb),
         json.dumps(options)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server = None
    try:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the server process did not start: {process.stderr.read()}")
        server = ServerProcess(process, int(line))
        yield server
        assert process.poll() is None, f"the server process died (exit code {process.returncode})"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
        if server is not None:
            server.stderr = stderr
