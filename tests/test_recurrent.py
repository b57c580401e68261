"""RNN / LSTM / GRU and their cells: PyTorch equality (float64, 1e-10) under both kernel
tiers, shapes, errors."""

import itertools

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn

LAYERS = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
CASES = [(kind, layers, bi, bf, init) for kind in LAYERS
         for layers, bi, bf, init in itertools.product((1, 2), (False, True), (False, True),
                                                       (False, True))]
PROJ_CASES = list(itertools.product((1, 2), (False, True), (False, True), (False, True)))
TIERS = ("fast", "reference")
SCANS = {"RNN": "RNNScan", "LSTM": "LSTMScan", "GRU": "GRUScan"}


def _pair(torch, kind, **kw):
    """A torch layer with random weights and the glassnet layer loaded from it."""
    ref = getattr(torch.nn, kind)(3, 4, **kw).double()
    mine = LAYERS[kind](3, 4, **kw).double()
    mine.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    return ref, mine


def _states(kind, rng, shape, torch, proj=0):
    """Random initial states: h (and an LSTM's c) of ``shape``, h with ``proj`` features if set."""
    shapes = [(*shape[:-1], proj or shape[-1]), shape][: 2 if kind == "LSTM" else 1]
    arrays = [rng.standard_normal(s) for s in shapes]
    mine = [gn.tensor(a, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, requires_grad=True) for a in arrays]
    pack = (lambda s: tuple(s)) if kind == "LSTM" else (lambda s: s[0])
    return mine, ref, pack


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("kind, layers, bi, bf, init", CASES,
                         ids=["-".join(map(str, c)) for c in CASES])
def test_matches_pytorch(kind, layers, bi, bf, init, tier):
    with gn.kernels.use(tier):
        _compare_with_pytorch(kind, layers, bi, bf, init)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("layers, bi, bf, init", PROJ_CASES, ids=["-".join(map(str, c)) for c in PROJ_CASES])
def test_lstm_with_projection_matches_pytorch(layers, bi, bf, init, tier):
    """proj_size=2 < hidden_size=4: outputs, (h_n, c_n) and every gradient as PyTorch's."""
    with gn.kernels.use(tier):
        _compare_with_pytorch("LSTM", layers, bi, bf, init, proj=2)


def _compare_with_pytorch(kind, layers, bi, bf, init, proj=0):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    extra = {"proj_size": proj} if proj else {}
    ref, mine = _pair(torch, kind, num_layers=layers, bidirectional=bi, batch_first=bf, **extra)
    T, N, D, out = 5, 2, 2 if bi else 1, proj or 4
    x = rng.standard_normal((N, T, 3) if bf else (T, N, 3))
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    sg, st, pack = _states(kind, rng, (D * layers, N, 4), torch, proj)
    out_g, fin_g = mine(xg, pack(sg) if init else None)
    out_t, fin_t = ref(xt, pack(st) if init else None)
    fin_g = list(fin_g) if kind == "LSTM" else [fin_g]
    fin_t = list(fin_t) if kind == "LSTM" else [fin_t]
    assert out_g.shape == tuple(out_t.shape) == ((N, T, out * D) if bf else (T, N, out * D))
    assert [tuple(f.shape) for f in fin_g] == [tuple(f.shape) for f in fin_t]
    loss_g, loss_t = 0, 0
    for a, b in zip([out_g, *fin_g], [out_t, *fin_t], strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
        w = rng.standard_normal(a.shape)
        loss_g = loss_g + (a * gn.tensor(w)).sum()
        loss_t = loss_t + (b * torch.tensor(w)).sum()
    loss_g.backward()
    loss_t.backward()
    pairs = [(xg, xt)] + (list(zip(sg, st, strict=True)) if init else [])
    grads_t = dict(ref.named_parameters())
    pairs += [(p, grads_t[name]) for name, p in mine.named_parameters()]
    assert [name for name, _ in mine.named_parameters()] == list(grads_t)
    for a, b in pairs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def _graph_ops(out):
    seen, stack, ops = set(), [out], []
    while stack:
        op = stack.pop().grad_fn
        if op is not None and id(op) not in seen:
            seen.add(id(op))
            ops.append(op)
            stack.extend(op.inputs)
    return ops


@pytest.mark.parametrize("kind", LAYERS)
def test_a_layer_direction_is_one_scan_and_the_tiers_agree(kind):
    """One scan primitive per layer and direction, given PyTorch's parameters as they are;
    the fast kernel runs it by default, the reference under use("reference"), same numbers."""
    gn.manual_seed(0)
    layer = LAYERS[kind](3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 5, 3)), requires_grad=True)
    results = {}
    for tier in TIERS:
        with gn.kernels.use(tier):
            layer.zero_grad()
            x.grad = None
            out = layer(x)[0]
            scans = [op for op in _graph_ops(out) if type(op).__name__ == SCANS[kind]]
            assert len(scans) == 4
            assert {op.kernel.name if op.kernel else None for op in scans} == (
                {f"{kind.lower()}_scan_fused"} if tier == "fast" else {None})
            (out * out).sum().backward()
            results[tier] = [out.numpy(), x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]
    for fast, ref in zip(*results.values(), strict=True):
        np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-13)


def test_lstm_forward_without_grad_mode_gives_the_same_numbers():
    gn.manual_seed(0)
    lstm = nn.LSTM(3, 4)
    x = gn.randn(6, 2, 3)
    out, (h, c) = lstm(x)
    with gn.no_grad():
        out2, (h2, c2) = lstm(x)
    assert out2.grad_fn is None
    for a, b in ((out, out2), (h, h2), (c, c2)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("tier", TIERS)
def test_scans_without_biases_match_zero_biases(tier):
    from glassnet.ops._recurrent import gru_scan, lstm_scan, rnn_scan

    rng = np.random.default_rng(0)
    x, h, c = (gn.tensor(rng.standard_normal(s)) for s in ((4, 2, 3), (2, 5), (2, 5)))
    for scan, k, states in ((rnn_scan, 1, (h,)), (gru_scan, 3, (h,)), (lstm_scan, 4, (h, c))):
        w_ih, w_hh = gn.tensor(rng.standard_normal((k * 5, 3))), gn.tensor(rng.standard_normal((k * 5, 5)))
        zeros = gn.zeros(k * 5, dtype=x.dtype)
        with gn.kernels.use(tier):
            np.testing.assert_array_equal(scan(x, *states, w_ih, w_hh).numpy(),
                                          scan(x, *states, w_ih, w_hh, zeros, zeros).numpy())


def test_scan_shape_errors_say_what_fits():
    from glassnet.ops._recurrent import lstm_scan, rnn_scan

    x, h = gn.zeros(4, 2, 3), gn.zeros(2, 5)
    with pytest.raises(gn.ShapeError, match=r"lstm_scan: 4 gate block\(s\) of hidden size H = 5 .* "
                                            r"w_ih \(20, 3\).* \(4, 2, 3\), \(2, 5\), \(2, 5\), \(20, 2\)"):
        lstm_scan(x, h, h, gn.zeros(20, 2), gn.zeros(20, 5))
    with pytest.raises(gn.GlassnetValueError, match="rnn_scan: nonlinearity must be 'tanh' or 'relu', got"):
        rnn_scan(x, h, gn.zeros(5, 3), gn.zeros(5, 5), nonlinearity="gelu")


def test_parameter_names_and_shapes_are_pytorchs():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in lstm.state_dict().items()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "weight_ih_l0_reverse"]
    assert shapes["weight_ih_l0"] == (16, 3) and shapes["weight_ih_l1"] == (16, 8)
    assert shapes["weight_hh_l1_reverse"] == (16, 4) and len(shapes) == 16
    assert [k for k in nn.GRU(2, 3, bias=False).state_dict()] == ["weight_ih_l0", "weight_hh_l0"]


def test_initialisation_is_uniform_within_one_over_sqrt_hidden():
    gn.manual_seed(0)
    w = np.concatenate([p.numpy().ravel() for p in nn.GRU(8, 16, 2).parameters()])
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.249
    assert abs(w.mean()) < 0.01 and abs(w.std() - 0.25 / np.sqrt(3)) < 0.005


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_cells_match_pytorch_and_the_layer(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    ref = getattr(torch.nn, kind + "Cell")(3, 4).double()
    cell = getattr(nn, kind + "Cell")(3, 4).double()
    cell.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x, h = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    hx_g = (gn.tensor(h), gn.tensor(-h)) if kind == "LSTM" else gn.tensor(h)
    hx_t = (torch.tensor(h), torch.tensor(-h)) if kind == "LSTM" else torch.tensor(h)
    got, want = cell(gn.tensor(x), hx_g), ref(torch.tensor(x), hx_t)
    got = got if kind == "LSTM" else (got,)
    want = want if kind == "LSTM" else (want,)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)
    layer = LAYERS[kind](3, 4).double()  # one step of the layer = the cell
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    hx_layer = tuple(s.unsqueeze(0) for s in hx_g) if kind == "LSTM" else hx_g.unsqueeze(0)
    out, _ = layer(gn.tensor(x[None]), hx_layer)
    np.testing.assert_allclose(out.numpy()[0], got[0].numpy(), rtol=1e-12, atol=1e-14)


def test_cells_pass_gradcheck():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    h = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    c = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    for cell in (nn.RNNCell(3, 4).double(), nn.GRUCell(3, 4).double()):
        assert gn.testing.gradcheck(lambda x, h, *p, cell=cell: cell(x, h), [x, h, *cell.parameters()])
    lstm = nn.LSTMCell(3, 4).double()
    assert gn.testing.gradcheck(lambda x, h, c, *p: lstm(x, (h, c))[1] * 2 + lstm(x, (h, c))[0],
                                [x, h, c, *lstm.parameters()])


def test_unbatched_input_and_states():
    gn.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers=2)
    x = gn.randn(5, 3)
    out, h = gru(x, gn.zeros(2, 4))
    assert out.shape == (5, 4) and h.shape == (2, 4)
    batched, hb = gru(x.unsqueeze(1))
    np.testing.assert_allclose(out.numpy(), batched.numpy()[:, 0], rtol=1e-6)
    out, (h, c) = nn.LSTM(3, 4)(x)
    assert out.shape == (5, 4) and h.shape == c.shape == (1, 4)
    assert nn.GRUCell(3, 4)(gn.randn(3)).shape == (4,)


def test_dropout_between_layers_only_in_training():
    gn.manual_seed(0)
    lstm = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = gn.randn(6, 4, 3)
    gn.manual_seed(1)
    a = lstm(x)[0].numpy()
    gn.manual_seed(2)
    b = lstm(x)[0].numpy()
    assert np.abs(a - b).max() > 1e-3  # different dropout masks
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].numpy(), lstm(x)[0].numpy())


def test_float32_stays_float32():
    out, h = nn.GRU(3, 4)(gn.randn(5, 2, 3))
    assert out.dtype == np.float32 and h.dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: nn.GRU(3, 4)(gn.randn(5, 2, 7)), "GRU(input_size=3, hidden_size=4): expected input (L, N, 3)"),
    (lambda: nn.GRU(1, 4, batch_first=True)(gn.randn(8, 40)), "use x.unsqueeze(-1)"),
    (lambda: nn.LSTM(3, 4)(gn.randn(5, 3, 2, 3)), "LSTM(input_size=3"),
    (lambda: nn.RNN(3, 4)(gn.randn(5, 2, 3), gn.zeros(1, 3, 4)), "RNN: h_0 must have shape"),
    (lambda: nn.LSTM(3, 4, 2)(gn.randn(5, 2, 3), (gn.zeros(2, 2, 4), gn.zeros(1, 2, 4))),
     "LSTM: c_0 must have shape (num_layers·directions, N, hidden_size) = (2, 2, 4)"),
    (lambda: nn.LSTM(3, 4)(gn.randn(5, 2, 3), gn.zeros(1, 2, 4)), "LSTM: hx must be a tuple"),
    (lambda: nn.GRUCell(3, 4)(gn.randn(2, 5)), "GRUCell(3, 4): expected input (N, 3)"),
    (lambda: nn.LSTMCell(3, 4)(gn.randn(2, 3), (gn.zeros(2, 5), gn.zeros(2, 4))),
     "LSTMCell(3, 4): hidden state must have shape (2, 4)"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity must be 'tanh' or 'relu'"),
])
def test_bad_input_errors_name_the_layer(call, message):
    with pytest.raises(gn.GlassnetError, match=None) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert message in str(info.value)


def test_summary_of_a_sequence_model():
    from glassnet.models import RNNClassifier

    model = RNNClassifier("gru", 1, 8, 1, 10)
    s = model.summary((40,))
    assert [r.output_shape for r in s.rows] == [(None, 40, 8), (None, 10)]
    assert s.total == 3 * 8 * (1 + 8 + 2) + 8 * 10 + 10 == 354
    assert s.rows[0].weights == 3 * 8 * 9 and s.rows[0].biases == 48


@pytest.mark.parametrize("kind", ["gru", "lstm", "rnn"])
def test_glassnet_train_model_recurrent(kind, tmp_path, capsys):
    from glassnet import io
    from glassnet.cli import main
    from glassnet.models import RNNClassifier

    out = tmp_path / kind
    code = main(["train", "--model", kind, "--dataset", "xor", "--epochs", "2", "--hidden", "6",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    gates = {"gru": 3, "lstm": 4, "rnn": 1}[kind]
    assert f"{gates * 6 * (1 + 6 + 2) + 6 * 2 + 2:,}" in capsys.readouterr().out
    model = RNNClassifier(kind, 1, 6, 1, 2)
    model.load_state_dict(io.load(out / "model.safetensors"))
    assert model(gn.randn(3, 2)).shape == (3, 2)


@pytest.mark.parametrize("kind, optimizer, lr", [("gru", "adam", "0.01"), ("lstm", "adam", "0.003"),
                                                 ("rnn", "adam", "0.001"), ("lstm", "sgd", "0.03")])
def test_glassnet_train_scales_the_default_lr_for_lstm_and_rnn(kind, optimizer, lr, tmp_path, capsys):
    from glassnet.cli import main

    assert main(["train", "--model", kind, "--dataset", "xor", "--epochs", "1", "--hidden", "4",
                 "--optimizer", optimizer, "--out", str(tmp_path)]) == 0
    assert f"{optimizer} lr={lr}\n" in capsys.readouterr().out
    main(["train", "--model", kind, "--dataset", "xor", "--epochs", "1", "--hidden", "4", "--lr", "0.5",
          "--optimizer", optimizer, "--out", str(tmp_path)])
    assert f"{optimizer} lr=0.5\n" in capsys.readouterr().out  # an explicit --lr is used as given


def test_build_model_reads_hidden_as_layers():
    from glassnet.models import build_model

    model = build_model("lstm", 40, 10, hidden=(16, 16))
    assert model.rnn.num_layers == 2 and model.rnn.hidden_size == 16
    assert model.config["kind"] == "lstm"
    with pytest.raises(ValueError, match="stacked layers share one width"):
        build_model("gru", 40, 10, hidden=(64, 32))


# -- LSTM with projections (proj_size) --------------------------------------------------------
def test_lstm_proj_state_dict_names_shapes_order_and_initialisation_are_pytorchs():
    torch = pytest.importorskip("torch")
    ref = torch.nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2)
    gn.manual_seed(0)
    lstm = nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2)
    mine = {k: tuple(v.shape) for k, v in lstm.state_dict().items()}
    assert mine == {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert list(mine) == list(ref.state_dict()) and list(mine)[4] == "weight_hr_l0"
    assert mine["weight_hh_l0"] == (24, 2) and mine["weight_ih_l1"] == (24, 4)
    assert mine["weight_hr_l1"] == (2, 6)
    assert [n for n, _ in lstm.named_parameters()] == [n for n, _ in ref.named_parameters()]
    w_hr = np.concatenate([lstm.state_dict()[k].numpy().ravel() for k in mine if k.startswith("weight_hr")])
    everything = np.concatenate([p.numpy().ravel() for p in lstm.parameters()])
    bound = 1 / np.sqrt(6)  # every parameter, weight_hr included: U(-1/√hidden_size, 1/√hidden_size)
    assert np.abs(everything).max() <= bound and np.abs(everything).max() > 0.99 * bound
    assert np.abs(w_hr).max() <= bound and np.abs(w_hr).max() > 0.5 * bound
    assert repr(lstm) == repr(ref) == "LSTM(3, 6, proj_size=2, num_layers=2, bidirectional=True)"
    assert lstm.proj_size == 2 and nn.LSTM(3, 6).proj_size == 0


def _proj_run(lib, x, hx, state, bias):
    model = lib.nn.LSTM(3, 4, proj_size=3, num_layers=2, bias=bias).double()
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    x = lib.tensor(x, requires_grad=True)
    hx = tuple(lib.tensor(s, requires_grad=True) for s in hx)
    out, (h, c) = model(x, hx)
    (out.sum() * 2 + (h * h).sum() + (c * 3).sum()).backward()
    grads = [x.grad, *(s.grad for s in hx), *(p.grad for p in model.parameters())]
    return [t.detach().numpy() for t in (out, h, c, *grads)]


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_proj_on_one_unbatched_sequence_matches_pytorch(bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    state = {k: rng.standard_normal(tuple(v.shape)) * 0.5
             for k, v in torch.nn.LSTM(3, 4, proj_size=3, num_layers=2, bias=bias).state_dict().items()}
    x, hx = rng.standard_normal((6, 3)), (rng.standard_normal((2, 3)), rng.standard_normal((2, 4)))
    ours, theirs = _proj_run(gn, x, hx, state, bias), _proj_run(torch, x, hx, state, bias)
    assert len(ours) == 3 + 3 + (10 if bias else 6)
    assert [a.shape for a in ours[:3]] == [(6, 3), (2, 3), (2, 4)]
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_lstm_proj_runs_one_projected_scan_per_layer_direction_under_both_tiers():
    """No fast kernel applies to the projected scan: both tiers run the reference, same numbers;
    the unprojected LSTM still runs the fused kernel."""
    from glassnet.ops._recurrent import LSTMProjScan

    gn.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2).double()
    x = gn.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    for tier in TIERS:
        with gn.kernels.use(tier):
            scans = [op for op in _graph_ops(lstm(x)[0]) if isinstance(op, LSTMProjScan)]
            assert len(scans) == 4 and {op.kernel for op in scans} == {None}
    plain = nn.LSTM(3, 4).double()
    assert {op.kernel.name for op in _graph_ops(plain(x)[0]) if op.kernel} == {"lstm_scan_fused"}


def test_lstm_proj_gradients_of_gradients_match_finite_differences():
    gn.manual_seed(0)
    lstm = nn.LSTM(2, 3, proj_size=1, bidirectional=True).double()
    x = gn.tensor(np.random.default_rng(0).standard_normal((3, 2, 2)), requires_grad=True)
    assert gn.autograd.gradgradcheck(lambda x, *p: lstm(x)[0], [x, *lstm.parameters()], atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("call, message", [
    (lambda: nn.LSTM(3, 4, proj_size=4), "LSTM: proj_size must be smaller than hidden_size, got proj_size=4"),
    (lambda: nn.LSTM(3, 4, proj_size=-1), "LSTM: proj_size must be a non-negative integer"),
    (lambda: nn.RNNBase("GRU", 3, 4, proj_size=2), "proj_size is only supported for LSTM, not RNN or GRU"),
    (lambda: nn.LSTM(3, 4, proj_size=2)(gn.randn(5, 2, 3), (gn.zeros(1, 2, 4), gn.zeros(1, 2, 4))),
     "LSTM: h_0 must have shape (num_layers·directions, N, proj_size) = (1, 2, 2), got (1, 2, 4)"),
    (lambda: nn.LSTM(3, 4, proj_size=2)(gn.randn(5, 2, 3), (gn.zeros(1, 2, 2), gn.zeros(1, 2, 2))),
     "LSTM: c_0 must have shape (num_layers·directions, N, hidden_size) = (1, 2, 4), got (1, 2, 2)"),
])
def test_lstm_proj_errors_say_what_fits(call, message):
    with pytest.raises(gn.GlassnetValueError) as info:
        call()
    assert message in str(info.value)


def test_lstm_proj_scan_shape_error_says_what_fits():
    from glassnet.ops._recurrent import lstm_proj_scan

    x, h, c = gn.zeros(4, 2, 3), gn.zeros(2, 2), gn.zeros(2, 5)
    with pytest.raises(gn.ShapeError, match=r"lstm_proj_scan: a projection w_hr \(P, H\) = \(2, 5\) "
                                            r"with P < H needs x \(T, N, I\), h0 \(2, 2\), c0 \(2, 5\), "
                                            r"w_ih \(20, 3\), w_hh \(20, 2\).* "
                                            r"\(20, 5\), \(20,\), \(20,\), \(2, 5\)"):
        lstm_proj_scan(x, h, c, gn.zeros(20, 3), gn.zeros(20, 5), None, None, gn.zeros(2, 5))
    with pytest.raises(gn.GlassnetTypeError, match="lstm_proj_scan: .* must be floating point, got int64, "):
        x = gn.zeros(4, 2, 3, dtype=gn.int64)
        lstm_proj_scan(x, h, c, gn.zeros(20, 3), gn.zeros(20, 2), None, None, gn.zeros(2, 5))
