"""gn.explain: matmul cells, layers, forward passes, backprop checked against autograd,
traces, worksheets (answer keys recomputed independently), rendering."""

import copy
import json
from html.parser import HTMLParser

import numpy as np
import pytest

import glassnet as gn
import glassnet.explain as ex
from glassnet import nn
from glassnet.autograd._mode import state
from glassnet.explain._tour import seven_layer_mlp, tour_network


class _Collect(HTMLParser):
    """Parses HTML strictly enough to catch unbalanced tables; collects text by class."""

    def __init__(self):
        super().__init__()
        self.stack, self.by_class, self.tags = [], {}, 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        self.stack.append(dict(attrs).get("class"))

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        for cls in filter(None, self.stack):
            for c in cls.split():
                self.by_class.setdefault(c, []).append(data)


def parse(page):
    p = _Collect()
    p.feed(page)
    p.close()
    return p


def linear(W, b=None):
    W = np.asarray(W, dtype=np.float64)
    lay = nn.Linear(W.shape[1], W.shape[0], bias=b is not None, dtype=gn.float64)
    lay.weight.data[...] = W
    if b is not None:
        lay.bias.data[...] = b
    return lay


# -- matmul -------------------------------------------------------------------------------


def test_matmul_seed_example_cells():
    e = ex.matmul([[1, 1], [-1, 1]], [[1, 5, 2], [2, 4, 2]], highlight=(0, 1))
    text = e.to_text()
    assert "C[0,1] = 1·5 + 1·4 = 9" in text
    assert "C[1,0] = (-1)·1 + 1·2 = 1" in text
    assert "(n×k)·(k×m) → (n×m)" in text and "A (2×2) · B (2×3) → C (2×3)" in text
    assert e.cells.tolist() == [[3, 9, 4], [1, -1, 0]]
    assert "\x1b[" not in text and "\x1b[33m" in e.to_text(color=True)


@pytest.mark.parametrize("seed", range(5))
def test_every_cell_recombines_exactly_to_a_at_b(seed):
    rng = np.random.default_rng(seed)
    n, k, m = rng.integers(1, 6, size=3)
    A, B = rng.integers(-9, 10, (n, k)), rng.integers(-9, 10, (k, m))
    e = ex.matmul(A, B)
    assert np.array_equal(e.cells, A @ B) and np.array_equal(e.C, A @ B)
    assert np.array_equal(e.products.sum(axis=1), A @ B)
    Af, Bf = rng.standard_normal((n, k)), rng.standard_normal((k, m))
    np.testing.assert_allclose(ex.matmul(Af, Bf).cells, Af @ Bf, rtol=1e-13, atol=1e-13)


def test_matmul_html_parses_and_highlights_the_cell():
    e = ex.matmul([[1, 1], [-1, 1]], [[1, 5, 2], [2, 4, 2]], highlight=(0, 1))
    p = parse(e.to_html(full_page=True))
    assert p.by_class["gn-cell"][0] == "9"
    assert p.by_class["gn-row"] == ["1", "1"] and p.by_class["gn-col"] == ["5", "4"]
    assert e._repr_html_() == e.to_html() and e._repr_markdown_().startswith("```")


def test_matmul_shape_mismatch_is_explained():
    e = ex.matmul([[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5, 6]])
    assert not e.ok
    text = e.to_text()
    assert "A has 3 columns but B has 2 rows" in text and "A·Bᵀ" in text and "in_features" in text
    with pytest.raises(gn.ShapeError, match="3 columns but B has 2 rows"):
        e.raise_for_shape()


def test_matmul_elides_many_cells():
    e = ex.matmul(np.ones((10, 12)), np.ones((12, 10)), max_cells=5)
    text = e.to_text()
    assert "… and 95 more cells" in text and "1·1 + 1·1 + 1·1 + … + 1·1 + 1·1 = 12" in text


# -- layers and forward passes ------------------------------------------------------------


def test_layer_sigmoid_seed_numbers():
    three = linear([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    e = ex.layer(three, [0.5, 0.3, 0.2], activation="sigmoid")
    np.testing.assert_allclose(e.Z[0], [0.17, 0.47, 0.77], atol=1e-15)
    np.testing.assert_allclose(e.A[0], 1 / (1 + np.exp(-np.array([0.17, 0.47, 0.77]))), atol=1e-15)
    text = e.to_text()
    assert "σ(0.17) = 0.5424" in text and "(no bias)" in text
    assert "z = W·x (3×1)" in text and "[W | b]" not in text  # no column of zeros for a bias


def test_a_layer_without_bias_shows_just_w_in_backprop():
    net = nn.Sequential(nn.Linear(3, 2, bias=False, dtype=gn.float64), nn.ReLU(),
                        nn.Linear(2, 2, dtype=gn.float64))
    with gn.no_grad():
        net[0].weight.array[...] = [[1, 0, 1], [0, 1, -1]]
    e = ex.backprop(net, [1.0, 2.0, 3.0], 1, step=False)
    text = e.to_text()
    assert "[W1 | b1]" not in text and "∂L/∂W1 = ∂L/∂z1 · xᵀ   (no bias)" in text
    assert "[W2 | b2]" in text and "old W1 (2×3)" in text
    assert max(s.max_difference() or 0 for s in e.steps) <= 1e-12


def test_layer_batch_columns_and_relu_mask():
    four = nn.Sequential(linear([[1, 0, 1], [0, 1, -1], [1, 1, 0], [-1, 0, 1]], [0, -1, 1, -2]), nn.ReLU())
    X = np.array([[2, 1, 3], [1, -1, 0], [0, 2, 1]], dtype=float)
    e = ex.layer(four, X)
    W, b = four[0].weight.numpy(), four[0].bias.numpy()
    assert np.array_equal(e.Z, X @ W.T + b) and np.array_equal(e.Z_by_hand, e.Z)
    assert np.array_equal(e.A, np.maximum(X @ W.T + b, 0)) and np.array_equal(e.mask, e.Z > 0)
    assert "6 of 12 entries were ≤ 0" in e.to_text()
    row = ex.layer(four, X, notation="row")
    assert "Z = X·Wᵀ + b" in row.to_text() and np.array_equal(row.Z_by_hand, e.Z)
    assert parse(e.to_html()).by_class["gn-off"]


def test_layer_errors_name_what_fits():
    with pytest.raises(gn.ShapeError, match=r"Linear\(3→4\) needs inputs \(N, 3\)"):
        ex.layer(nn.Linear(3, 4), [1.0, 2.0])
    with pytest.raises(gn.GlassnetTypeError, match="unknown activation"):
        ex.layer(nn.Linear(3, 4), [1.0, 2.0, 3.0], activation="swish")


def test_forward_seven_layer_mlp_matches_the_model():
    model = seven_layer_mlp()
    e = ex.forward(model, [1, 2, 1])
    with gn.no_grad():
        out = model(gn.tensor([[1.0, 2.0, 1.0]], dtype=gn.float64)).numpy()
    assert len(e.layers) == 7 and np.array_equal(e.output, out) and e.output[0].tolist() == [21, 0]
    assert e.params == sum(p.numel() for p in model.parameters()) == 100
    assert "total: 100 parameters" in e.to_text()


def test_forward_hidden_layer_parameter_count():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    e = ex.forward(model, [[0.5, 0.3, 0.2], [1.0, 0.0, -1.0]])
    assert e.params == 26 and [lay.params for lay in e.layers] == [16, 10]
    with pytest.raises(gn.GlassnetTypeError, match="Sequential of Linear"):
        ex.forward(nn.Sequential(nn.Linear(3, 4), nn.Dropout(), nn.Linear(4, 2)), [1.0, 2.0, 3.0])


# -- backprop ---------------------------------------------------------------------------------


def _random_net(rng, sizes, act=nn.ReLU):
    gn.manual_seed(int(rng.integers(1000)))
    layers = []
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers += [nn.Linear(i, o, dtype=gn.float64)] + ([act()] if k < len(sizes) - 2 else [])
    return nn.Sequential(*layers)


def _reference_step(model, X, Y, loss, lr):
    """Plain autograd + SGD on a copy: the independent answer."""
    ref = copy.deepcopy(model)
    out = ref(gn.tensor(X, dtype=gn.float64))
    Yt = gn.tensor(Y, dtype=gn.float64)
    L = {"cross_entropy": lambda: nn.functional.cross_entropy(out, Yt),
         "mse": lambda: nn.functional.mse_loss(out, Yt),
         "sse": lambda: 0.5 * ((out - Yt) ** 2).sum()}[loss]()
    L.backward()
    grads = {n: p.grad.numpy().copy() for n, p in ref.named_parameters()}
    gn.optim.SGD(ref.parameters(), lr=lr).step()
    return float(L.item()), grads, {n: p.numpy() for n, p in ref.named_parameters()}


@pytest.mark.parametrize("seed,loss,act", [(0, "cross_entropy", nn.ReLU), (1, "cross_entropy", nn.Tanh),
                                            (2, "mse", nn.Sigmoid), (3, "sse", nn.ReLU)])
def test_backprop_numbers_equal_autograd_and_the_optimiser(seed, loss, act):
    rng = np.random.default_rng(seed)
    sizes = tuple(int(s) for s in rng.integers(2, 6, size=4))
    model = _random_net(rng, sizes, act)
    X = rng.standard_normal((3, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], 3)] if loss == "cross_entropy" \
        else rng.standard_normal((3, sizes[-1]))
    ref_loss, ref_grads, ref_new = _reference_step(model, X, Y, loss, 0.05)
    e = ex.backprop(model, X, Y, loss=loss, lr=0.05)
    assert e.loss == pytest.approx(ref_loss, abs=1e-12)
    for step in e.steps:
        for name, (by_hand, auto) in step.values.items():
            assert auto is not None, name
            np.testing.assert_allclose(by_hand, auto, rtol=0, atol=1e-12, err_msg=name)
    values = {k: v[0] for s in e.steps for k, v in s.values.items()}
    for k in range(1, len(sizes)):
        i = 2 * (k - 1)
        np.testing.assert_allclose(values[f"dW{k}"], ref_grads[f"{i}.weight"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(values[f"db{k}"], ref_grads[f"{i}.bias"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(values[f"W{k} new"], ref_new[f"{i}.weight"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(model[i].weight.numpy(), ref_new[f"{i}.weight"], rtol=0, atol=1e-12)


def test_backprop_tour_example_steps_and_text():
    model = tour_network()
    e = ex.backprop(model, [1, 2, 1], [0, 1, 0], lr=0.1)
    titles = [s.title for s in e.steps]
    assert titles[:4] == ["Forward pass", "Layer 3: gradient at the output", "Layer 3: weights and biases",
                          "Layer 2: activations"]
    assert titles[-1] == "Gradient descent" and len(e.steps) == 10
    dz3 = e.steps[1].values["dZ3"][0][0]
    np.testing.assert_allclose(dz3, e.prediction[0] - [0, 1, 0], atol=1e-15)
    text = e.to_text()
    assert "∂L/∂z3 = (ŷ − y) / N" in text and "W ← W − lr·∂L/∂W" in text and "(exactly)" in text
    assert "∂L/∂[W3 | b3] = ∂L/∂z3 · [a2; 1]ᵀ" in text
    row = ex.backprop(tour_network(), [1, 2, 1], [0, 1, 0], notation="row")
    assert "(∂L/∂Z3)ᵀ · [A2 | 1]" in row.to_text()
    parse(e.to_html())


def test_backprop_step_false_leaves_the_model_and_other_optimisers():
    model = tour_network()
    before = [p.numpy().copy() for p in model.parameters()]
    e = ex.backprop(model, [1, 2, 1], 1, step=False)
    assert all(np.array_equal(b, p.numpy()) for b, p in zip(before, model.parameters(), strict=True))
    assert "not applied" in e.to_text()
    opt = gn.optim.Adam(model.parameters(), lr=0.01)
    e = ex.backprop(model, [1, 2, 1], 1, optimizer=opt)
    assert e.lr == 0.01 and not e.plain_sgd and "its own rule" in e.to_text()
    with pytest.raises(gn.GlassnetValueError, match="loss must be one of"):
        ex.backprop(model, [1, 2, 1], 1, loss="hinge")


# -- trace --------------------------------------------------------------------------------------


def test_trace_records_forward_backward_with_modules_and_json():
    model = tour_network()
    W1 = model[0].weight.numpy().tolist()
    x = gn.tensor([[1.0, 2.0, 1.0]], dtype=gn.float64)
    with ex.trace(model, size_cap=12) as t:
        nn.functional.cross_entropy(model(x), gn.tensor([1])).backward()
    assert not state.slow_path and state.observers == []
    first, ops = t.forward_steps[0], [s.op for s in t.forward_steps]
    assert (first.module, first.module_type) == ("0", "Linear")
    assert any(op.startswith("softmaxcrossentropy") for op in ops)
    relu = next(s for s in t.forward_steps if s.op == "relu")
    assert (relu.module, relu.module_type, relu.formula) == ("1", "ReLU", "y = max(x, 0)")
    inputs = [v for s in t.forward_steps for v in s.inputs]
    assert any(v.get("name") == "0.weight" and v["data"] == W1 for v in inputs)
    assert any(v["data"] == [[1.0, 2.0, 1.0]] for v in inputs if "data" in v)
    big = [v for v in inputs if v.get("name") == "2.weight"]
    assert big and "summary" in big[0] and big[0]["shape"] == [4, 4]  # 16 > size_cap 12
    back0 = [s for s in t.backward_steps if s.module == "0"]
    assert back0 and isinstance(back0[-1].formula, list) and back0[-1].grad_inputs
    doc = json.loads(t.to_json())
    assert doc["schema"] == "glassnet.explain.trace/1" and len(doc["steps"]) == len(t)
    assert set(doc["steps"][0]) == {"index", "phase", "op", "formula", "module", "module_type", "params",
                                   "inputs", "output", "grad_output", "grad_inputs"}
    assert "#1   forward" in t.to_text() and "in 0 (Linear)" in t.to_text() and parse(t.to_html()).tags > 10


def test_trace_forward_only_and_values_are_copies():
    w = gn.tensor([[1.0, 2.0]], requires_grad=True)
    with ex.trace(backward=False) as t:
        y = (w * 3.0).sum()
        y.backward()
    w.data[...] = 0
    assert [s.phase for s in t] == ["forward", "forward"] and t.steps[0].inputs[0]["data"] == [[1.0, 2.0]]
    assert t.steps[0].module_type is None and t.steps[0].where() == "—"


# -- worksheets ------------------------------------------------------------------------------


def _relu(v):
    return np.maximum(v, 0)


def _recompute(sheet):
    g = sheet.givens
    if sheet.kind == "matmul":
        return {"C": g["A"] @ g["B"]}
    if sheet.kind in ("neuron", "layer", "batch"):
        X = g["X (inputs as columns)"] if sheet.kind == "batch" else g["x"]
        Z = g["W"] @ X + g["b"]
        return {"Z": Z, "A": _relu(Z)} if sheet.kind == "batch" else {"z": Z, "a": _relu(Z)}
    n = len([k for k in g if k.startswith("W")])
    a, out = g["x"], {}
    for k in range(1, n + 1):
        z = g[f"W{k}"] @ a + g[f"b{k}"]
        out[f"z{k}"] = z
        a = _relu(z) if k < n else z
        if k < n:
            out[f"a{k}"] = a
    return out


@pytest.mark.parametrize("kind", ["matmul", "neuron", "layer", "batch", "mlp"])
def test_worksheet_answer_key_recomputed_independently(kind):
    sheet = ex.worksheet(kind, seed=3)
    expected = _recompute(sheet)
    assert list(sheet.answers) == list(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(np.asarray(sheet.answers[name]).reshape(value.shape), value)
    assert all(float(v).is_integer() for m in sheet.givens.values() for v in np.ravel(m))
    assert "____" in sheet.to_text() and "____" not in sheet.answer_key.to_text()
    parse(sheet.to_html()), parse(sheet.answer_key.to_html())


def test_worksheet_backprop_key_by_hand():
    sheet = ex.worksheet("backprop", seed=7)
    g, ans = sheet.givens, sheet.answers
    z1 = g["W1"] @ g["x"] + g["b1"]
    a1 = _relu(z1)
    z2 = g["W2"] @ a1 + g["b2"]
    dz2 = z2 - g["y"]
    dW2, dz1 = dz2 @ a1.T, (g["W2"].T @ dz2) * (z1 > 0)
    np.testing.assert_allclose(ans["dZ2"], dz2, atol=1e-12)
    np.testing.assert_allclose(ans["dW2"], dW2, atol=1e-12)
    np.testing.assert_allclose(ans["dZ1"], dz1, atol=1e-12)
    np.testing.assert_allclose(ans["dW1"], dz1 @ g["x"].T, atol=1e-12)
    np.testing.assert_allclose(ans["W1′ (new)"], g["W1"] - 0.1 * dz1 @ g["x"].T, atol=1e-12)


def test_worksheet_is_deterministic_per_seed():
    assert ex.worksheet("layer", seed=5).to_text() == ex.worksheet("layer", seed=5).to_text()
    assert ex.worksheet("layer", seed=5).to_html() == ex.worksheet("layer", seed=5).to_html()
    assert ex.worksheet("layer", seed=5).to_text() != ex.worksheet("layer", seed=6).to_text()
    spec = ex.worksheet((2, 3, 1), seed=1)
    assert spec.kind == "mlp" and spec.givens["W1"].shape == (3, 2)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert ex.worksheet(model, seed=1).to_text() == spec.to_text()
    with pytest.raises(gn.GlassnetValueError, match="kind must be one of"):
        ex.worksheet("conv")


def test_backprop_takes_class_indices_for_mse_too():
    gn.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    x = [[0.5, 0.3, 0.2], [1, 0, -1], [0, 1, 0]]
    by_index = gn.explain.backprop(net, x, [0, 1, 1], loss="mse", step=False)
    one_hot = gn.explain.backprop(net, x, [[1, 0], [0, 1], [0, 1]], loss="mse", step=False)
    assert by_index.to_text() == one_hot.to_text()


def test_one_bias_is_singular_in_layer_and_forward_texts():
    one = nn.Linear(3, 1)
    text = ex.layer(one, np.ones((2, 3))).to_text()
    assert "+ 1 bias = 4" in text and "1 biases" not in text
    assert "1 biases" not in ex.forward(nn.Sequential(one), np.ones(3)).to_text()
