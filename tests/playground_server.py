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
def running_server():
    from glassnet.web import make_server

    server = make_server("127.0.0.1", 0)
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
    return {"Z": [z.data for z in out["Z"]], "A": [t.data for t in out["A"]],
            "dZ": [z.grad.data for z in out["Z"]],
            "dW": [lin.weight.grad.data for lin in out["linears"]],
            "db": [lin.bias.grad.data for lin in out["linears"]],
            "probs": gn.softmax(a.detach(), dim=1).data, "loss": loss.item()}
