"""The playground's HTTP API: every endpoint's numbers equal glassnet's computed directly;
malformed, oversized and hostile requests get a 4xx with a message and the server keeps
serving."""

import copy
import json
import random
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import data, web
from glassnet.web import LIMITS
from playground_server import direct, request, running_server


@pytest.fixture(scope="module")
def server():
    with running_server() as srv:
        yield srv


@pytest.fixture
def default():
    return web.default_state()


def post(server, path, body):
    status, _, payload = request(server, "POST", path, body)
    assert status == 200, payload
    return payload


def test_default_state_is_the_3_4_2_network(server, default):
    status, _, doc = request(server, "GET", "/api/default")
    assert status == 200 and doc == default
    assert [len(layer["W"][0]) for layer in doc["layers"]] == [3, 4]
    assert [len(layer["W"]) for layer in doc["layers"]] == [4, 2]
    assert doc["x"] == [[0.5, 0.3, 0.2]] and doc["target"] == [0] and doc["seed"] == 0
    assert doc["layers"][0]["W"][1] == [-0.56, 0.36, 0.48]  # gn.manual_seed(0) + nn.Linear, rounded


def test_compute_equals_glassnet_directly(server, default):
    got = post(server, "/api/compute", default)
    want = direct(default)
    for k, layer in enumerate(got["layers"]):
        for name in ("Z", "A", "dZ", "dW", "db"):
            np.testing.assert_allclose(layer[name], want[name][k], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got["probs"], want["probs"], rtol=1e-12)
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-12)
    # by hand: z[1] = (-0.56)(0.5) + 0.36(0.3) + 0.48(0.2) + (-0.54) = -0.616
    assert got["layers"][0]["Z"][0][1] == pytest.approx(-0.616, abs=1e-12)
    assert got["layers"][0]["terms"][1][0] == pytest.approx([-0.28, 0.108, 0.096])
    assert got["layers"][1]["x"] == got["layers"][0]["A"]  # layer 2's input is layer 1's output


@pytest.mark.parametrize("loss, acts", [("mse", ["sigmoid", "tanh", "none"]),
                                        ("cross_entropy", ["tanh", "relu", "sigmoid"])])
def test_compute_other_activations_and_losses_batch(server, loss, acts):
    doc = web.init_state([4, 3, 5, 3], acts, seed=7, loss=loss)
    doc["x"] = [[0.1, -0.2, 0.3, 0.9], [1.0, 0.5, -1.5, 0.0]]
    doc["target"] = [2, 0]
    got, want = post(server, "/api/compute", doc), direct(doc)
    for k in range(3):
        np.testing.assert_allclose(got["layers"][k]["dW"], want["dW"][k], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(got["layers"][k]["A"], want["A"][k], rtol=1e-12)
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-12)


def test_step_is_one_sgd_update(server, default):
    default["lr"] = 0.5
    got = post(server, "/api/step", default)
    grads = direct(default)
    for k, layer in enumerate(got["state"]["layers"]):
        old = default["layers"][k]
        np.testing.assert_allclose(layer["W"], np.array(old["W"]) - 0.5 * grads["dW"][k], rtol=1e-12)
        np.testing.assert_allclose(layer["b"], np.array(old["b"]) - 0.5 * grads["db"][k], rtol=1e-12)
    assert got["before"]["loss"] == pytest.approx(grads["loss"])
    assert got["after"]["loss"] < got["before"]["loss"]
    assert got["after"]["loss"] == pytest.approx(direct(got["state"])["loss"], rel=1e-12)


def test_train_on_xor_learns_and_matches_a_direct_sgd_loop(server):
    state = web.init_state([2, 8, 8, 2], ["tanh", "tanh", "none"], seed=0, lr=0.5)
    got = post(server, "/api/train", {"state": state, "dataset": "xor", "steps": 150, "grid": 16})
    assert len(got["losses"]) == 150 and got["losses"][-1] < 0.5 * got["losses"][0]
    assert got["accuracy"] > 0.95
    assert len(got["grid"]["probs"]) == 16 * 16 and got["grid"]["size"] == 16
    np.testing.assert_allclose(np.sum(got["grid"]["probs"], axis=1), 1, atol=2e-3)
    X, y = data.load("xor", "train").arrays  # the same loop written with the public API
    model, _ = web.build_model(web.parse_state(state))
    optimizer = gn.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        loss = gn.nn.functional.cross_entropy(model(gn.tensor(X.astype(np.float64))), gn.tensor(y))
        loss.backward()
        optimizer.step()
    assert got["losses"][2] == pytest.approx(loss.item(), rel=1e-10)


def test_trace_is_explains_json_of_the_same_pass(server, default):
    steps = post(server, "/api/trace", default)["trace"]["steps"]
    forward = [(s["op"], s["module"]) for s in steps if s["phase"] == "forward"]
    assert forward[:3] == [("linearop", "0"), ("relu", "1"), ("linearop", "2")]
    assert steps[0]["output"]["data"][0][1] == pytest.approx(-0.616)
    last = [s for s in steps if s["phase"] == "backward"][-1]
    assert last["inputs"][1]["name"] == "0.weight"  # dW of the first layer, the last step
    np.testing.assert_allclose(last["grad_inputs"][1]["data"], direct(default)["dW"][0], rtol=1e-12)


def test_train_refuses_a_network_of_the_wrong_shape(server, default):
    status, _, answer = request(server, "POST", "/api/train", {"state": default, "dataset": "xor"})
    assert status == 400 and "2 inputs" in answer["error"] and answer["field"] == "sizes"


def test_datasets_and_points(server):
    status, _, info = request(server, "GET", "/api/datasets")
    assert status == 200 and info["datasets"] == ["circles", "gaussians", "moons", "spiral", "xor"]
    assert info["limits"]["max_units"] == 8 and info["limits"]["max_layers"] == 7
    status, _, points = request(server, "GET", "/api/dataset?name=moons")
    X, y = data.load("moons", "train").arrays
    assert status == 200 and points["y"] == y.tolist()
    np.testing.assert_allclose(points["X"], X, atol=1e-4)


def test_init_is_seeded_and_leaves_the_global_generator_alone(server):
    gn.manual_seed(123)
    expected = gn.rand(3).tolist()
    gn.manual_seed(123)
    a = post(server, "/api/init", {"sizes": [2, 3, 2], "seed": 5})
    assert gn.rand(3).tolist() == expected
    assert post(server, "/api/init", {"sizes": [2, 3, 2], "seed": 5}) == a
    assert post(server, "/api/init", {"sizes": [2, 3, 2], "seed": 6})["layers"] != a["layers"]
    assert [layer["activation"] for layer in a["layers"]] == ["relu", "none"]


def test_export_model_file_loads_with_gn_load(server, default, tmp_path):
    status, headers, body = request(server, "POST", "/api/export/model", default)
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    path = tmp_path / "net.safetensors"
    path.write_bytes(body)
    tensors = gn.load(path)
    np.testing.assert_array_equal(tensors["0.weight"].numpy(), default["layers"][0]["W"])
    np.testing.assert_array_equal(tensors["1.bias"].numpy() if "1.bias" in tensors
                                  else tensors["2.bias"].numpy(), default["layers"][1]["b"])
    meta = gn.io.load_metadata(path)
    assert meta["playground"] == {"sizes": [3, 4, 2], "activations": ["relu", "none"],
                                  "loss": "cross_entropy"}


def test_export_script_rebuilds_the_network(server, default, tmp_path):
    default["loss"] = "mse"
    status, _, body = request(server, "POST", "/api/export/script", default)
    assert status == 200
    script = tmp_path / "network.py"
    script.write_bytes(body)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         check=True)
    loss = float(next(line for line in run.stdout.splitlines() if line.startswith("loss")).split()[1])
    assert loss == pytest.approx(direct(default)["loss"], rel=1e-5)
    assert "nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))" in body.decode()


def test_page_and_static_files(server):
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and b"glassnet playground" in body and "text/html" in headers["Content-Type"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for path, kind in (("/static/playground.js", "javascript"), ("/static/training.js", "javascript"),
                       ("/static/attention.js", "javascript"), ("/static/playground.css", "css")):
        status, headers, body = request(server, "GET", path)
        assert status == 200 and kind in headers["Content-Type"] and len(body) > 1000
    assert b"http://" not in request(server, "GET", "/")[2].replace(b"http://www.w3.org", b"")


def _with(doc, path, value):
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize("path, value, field, words", [
    (("layers", 0, "W", 1, 2), "abc", "layers[0].W[1][2]", "expected a number"),
    (("layers", 0, "W", 1, 2), float("nan"), "layers[0].W[1][2]", "finite"),
    (("layers", 0, "W", 1, 2), 1e300, "layers[0].W[1][2]", "finite"),
    (("layers", 0, "b", 0), True, "layers[0].b[0]", "expected a number"),
    (("x", 0, 1), None, "x[0][1]", "expected a number"),
    (("target", 0), 2, "target[0]", "class index 0..1"),
    (("layers", 1, "activation"), "softplus", "layers[1].activation", "relu, sigmoid"),
    (("loss",), "hinge", "loss", "cross_entropy, mse"),
    (("lr",), 0, "lr", "0 < lr"),
    (("layers", 0, "W"), [[0.1] * 9] * 4, "layers[0].W[0]", "expected 3 numbers"),
    (("layers", 0, "W"), [[0.1] * 3] * 9, "layers[0].W", "at most 8 rows"),
    (("layers",), [{"W": [[0.1] * 3] * 3, "b": [0.0] * 3, "activation": "relu"}] * 8, "layers",
     "at most 7 layers"),
    (("x",), [[0.1, 0.2, 0.3]] * 9, "x", "at most 8 rows"),
])
def test_bad_states_get_400_naming_the_field(server, default, path, value, field, words):
    body = json.dumps(_with(default, path, value)).encode()  # NaN goes out as the JSON NaN
    status, _, answer = request(server, "POST", "/api/compute", raw=body)
    assert status == 400, answer
    assert answer["field"] == field and words in answer["error"]


@pytest.mark.parametrize("method, path, raw, headers, expected, words", [
    ("POST", "/api/compute", b"x" * (LIMITS["max_body_bytes"] + 1), {}, 413, "at most"),
    ("POST", "/api/compute", b"{not json", {}, 400, "not valid JSON"),
    ("POST", "/api/compute", b"[" * 50000 + b"]" * 50000, {"Content-Length": "100000"}, 413, "at most"),
    ("POST", "/api/compute", b"[" * 30000 + b"]" * 30000, {}, 400, ""),
    ("POST", "/api/compute", b"\xff\xfe", {}, 400, "not valid JSON"),
    ("POST", "/api/compute", b"{}", {"Content-Type": "text/plain"}, 415, "application/json"),
    ("POST", "/api/compute", b"{}", {"Content-Type": "text/plain; x=json"}, 415, "application/json"),
    ("POST", "/api/nothing", b"{}", {}, 404, "no such endpoint"),
    ("GET", "/etc/passwd", None, {}, 404, "no such page"),
    ("GET", "/static/../_server.py", None, {}, 404, "no such page"),
    ("GET", "/api/compute", None, {}, 405, "use POST"),
    ("PUT", "/api/compute", b"{}", {}, 405, "not supported"),
    ("GET", "/api/dataset?name=mnist1d", None, {}, 400, "expected one of"),
    ("GET", "/", None, {"Host": "evil.example:80"}, 403, "Host"),
    ("POST", "/api/init", b'{"sizes": [3, 9, 2]}', {}, 400, "each 1 to 8"),
    ("POST", "/api/train", b'{"state": {}, "dataset": "xor"}', {}, 400, "expected a non-empty list"),
])
def test_bad_requests_get_4xx_with_a_message(server, method, path, raw, headers, expected, words):
    status, _, answer = request(server, method, path, raw=raw, headers=headers)
    assert status == expected, answer
    assert words in answer["error"]
    assert request(server, "GET", "/api/datasets")[0] == 200  # still serving


def _mutations(doc, rng):
    """Yield bodies: the default state with one part replaced by junk, and raw junk."""
    junk = [None, True, "1", "", [], {}, [[]], -1, 10**400, 1e308, [1, 2], {"W": 1}, "NaN", 3.5]
    leaves = []

    def walk(node, path):
        leaves.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, child in items:
            walk(child, (*path, key))

    walk(doc, ())
    for _ in range(200):
        path = rng.choice(leaves[1:])
        yield json.dumps(_with(doc, path, rng.choice(junk))).encode()
    for _ in range(100):
        text = json.dumps(doc)
        cut = rng.randrange(len(text))
        yield (text[:cut] + rng.choice(["", "}", "[", "\x00", "1e999", '"'])).encode()


def test_fuzzed_requests_never_crash_the_server(server, default):
    rng = random.Random(0)
    statuses = []
    for body in _mutations(default, rng):
        path = rng.choice(["/api/compute", "/api/step", "/api/export/script"])
        status, _, answer = request(server, "POST", path, raw=body)
        statuses.append(status)
        assert status in (200, 400), (status, answer, body[:200])
    assert statuses.count(400) > 200
    assert post(server, "/api/compute", default)["loss"] == pytest.approx(direct(default)["loss"])


def test_cli_playground_prints_the_url_and_serves(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "glassnet", "playground", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("glassnet playground: http://127.0.0.1:")
        url = line.split()[2]
        import urllib.request

        with urllib.request.urlopen(url + "api/datasets", timeout=10) as response:
            assert json.loads(response.read())["datasets"][-1] == "xor"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_cli_playground_rejects_a_bad_port(capsys):
    from glassnet.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["playground", "--port", "70000"])
    assert exit_info.value.code == 2 and "0..65535" in capsys.readouterr().err


def test_a_diverging_network_gets_400_naming_lr(server):
    state = web.init_state([2, 4, 2], ["relu", "none"], seed=0, lr=10.0)
    for layer in state["layers"]:
        layer["W"] = (np.array(layer["W"]) * 1e6).tolist()
    state["loss"] = "mse"
    status, _, answer = request(server, "POST", "/api/train",
                                {"state": state, "dataset": "xor", "steps": 50})
    assert status == 400 and answer["field"] == "lr" and "diverged" in answer["error"]
    assert request(server, "GET", "/api/datasets")[0] == 200


def test_a_stalled_client_gets_408_and_others_are_served():
    import socket

    with running_server(limits={"body_seconds": 0.5}) as server:
        stalled = socket.create_connection(server.server_address[:2])
        stalled.sendall(b"POST /api/compute HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{")
        assert request(server, "GET", "/api/datasets")[0] == 200
        stalled.settimeout(5)
        answer = b""
        while chunk := stalled.recv(4096):  # the server answers, then closes
            answer += chunk
        stalled.close()
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b'"error": "the request body did not arrive within 0.5 s"' in answer


@pytest.mark.parametrize("lr", [-5, "abc", "", 0, 1e300, 10.5, None, True, float("nan")])
@pytest.mark.parametrize("path", ["/api/compute", "/api/step", "/api/train", "/api/init"])
def test_an_invalid_learning_rate_is_refused_not_replaced(server, default, path, lr):
    if path == "/api/train":
        body = {"state": dict(web.init_state([2, 3, 2]), lr=lr), "dataset": "xor", "steps": 5}
    elif path == "/api/init":
        body = {"sizes": [3, 4, 2], "lr": lr}
    else:
        body = dict(default, lr=lr)
    status, _, answer = request(server, "POST", path, raw=json.dumps(body).encode())
    assert status == 400, answer
    assert answer["field"] == "lr"
    assert answer["error"].startswith("lr (learning rate): expected a number with 0 < lr <= 10")
    assert answer["error"].endswith(f"got {lr!r}")  # the value it got, as sent


def test_a_learning_rate_in_range_is_used_as_given(server, default):
    default["lr"] = 10  # the upper bound itself is allowed
    got = post(server, "/api/step", default)
    grads = direct(default)
    np.testing.assert_allclose(got["state"]["layers"][1]["b"],
                               np.array(default["layers"][1]["b"]) - 10 * grads["db"][1], rtol=1e-12)
    assert got["state"]["lr"] == 10


def _attention_doc(seed, L=3, E=2, d=2, dv=2, causal=False):
    rng = np.random.default_rng(seed)
    shapes = {"X": (L, E), "W_Q": (E, d), "W_K": (E, d), "W_V": (E, dv)}
    doc = {name: rng.normal(size=shape).round(2).tolist() for name, shape in shapes.items()}
    return doc | {"causal": causal}


@pytest.mark.parametrize("doc", [web.default_attention(), dict(web.default_attention(), causal=True),
                                 _attention_doc(1), _attention_doc(2, L=4, E=4, d=4, dv=4, causal=True),
                                 _attention_doc(3, L=6, E=3, d=2, dv=4)])
def test_attention_equals_glassnet_attention(server, doc):
    from glassnet import explain
    from glassnet.nn.functional import scaled_dot_product_attention

    got = post(server, "/api/attention", doc)
    X, W_Q, W_K, W_V = (np.array(doc[k]) for k in ("X", "W_Q", "W_K", "W_V"))
    by_hand = explain.attention((X, W_Q, W_K, W_V), causal=doc["causal"])
    for name, want in (("Q", by_hand.Q), ("K", by_hand.K), ("V", by_hand.V), ("scores", by_hand.S),
                       ("weights", by_hand.P), ("output", by_hand.Y)):
        np.testing.assert_allclose(got[name], want, rtol=0, atol=1e-12, err_msg=name)
    q, k, v = (gn.tensor(X, dtype="float64") @ gn.tensor(W, dtype="float64") for W in (W_Q, W_K, W_V))
    sdpa = scaled_dot_product_attention(q, k, v, is_causal=doc["causal"]).numpy()
    np.testing.assert_allclose(got["output"], sdpa, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["engine_output"], sdpa, rtol=0, atol=1e-12)
    assert got["max_error"] <= 1e-12
    d = W_Q.shape[1]
    np.testing.assert_allclose(got["scaled"], by_hand.S / np.sqrt(d), rtol=0, atol=1e-12)
    # the hover's numbers: each score is the sum of its terms, each weight exps / sums,
    # each output cell the sum of its terms
    np.testing.assert_allclose(np.sum(got["score_terms"], axis=2), got["scores"], atol=1e-12)
    np.testing.assert_allclose(np.array(got["exps"]) / np.array(got["sums"])[:, None], got["weights"],
                               atol=1e-12)
    np.testing.assert_allclose(np.sum(got["output_terms"], axis=2), got["output"], atol=1e-12)
    L = X.shape[0]
    masked = np.array(got["masked"])
    later_keys = np.triu(np.ones((L, L), bool), 1)
    assert masked.tolist() == (later_keys if doc["causal"] else np.zeros((L, L), bool)).tolist()
    assert (np.array(got["weights"])[masked] == 0).all() and np.allclose(np.sum(got["weights"], axis=1), 1)


def test_attention_default_is_served_and_by_hand(server):
    status, _, doc = request(server, "GET", "/api/attention/default")
    assert status == 200 and doc == web.default_attention()
    got = post(server, "/api/attention", doc)
    # by hand: Q[0] = X[0]·W_Q = [1, 0]·[[1, 0.5], [-0.5, 1]] = [1, 0.5]; K[2] = [1, 1]·W_K = [1.5, 1.5]
    assert got["Q"][0] == [1.0, 0.5] and got["K"][2] == [1.5, 1.5]
    assert got["scores"][0][2] == pytest.approx(1.0 * 1.5 + 0.5 * 1.5, abs=1e-15)
    assert got["scaled"][0][2] == pytest.approx(2.25 / np.sqrt(2), abs=1e-15)


@pytest.mark.parametrize("change, field, words", [
    ({"X": [[1.0, "a"]]}, "X[0][1]", "expected a number"),
    ({"X": [[0.1, 0.2]] * 7}, "X", "at most 6 rows"),
    ({"W_Q": [[1.0, 0.0]]}, "W_Q", "expected 2 rows"),
    ({"W_K": [[1.0], [0.0]]}, "W_K", "same width d"),
    ({"W_V": [[1e7, 0.0], [0.0, 1.0]]}, "W_V[0][0]", "finite number"),
    ({"causal": "yes"}, "causal", "true or false"),
])
def test_bad_attention_requests_get_400_naming_the_field(server, change, field, words):
    status, _, answer = request(server, "POST", "/api/attention", dict(web.default_attention(), **change))
    assert status == 400, answer
    assert answer["field"] == field and words in answer["error"]
