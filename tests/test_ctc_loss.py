"""CTCLoss and F.ctc_loss against PyTorch: losses and the logits' gradients (through
log_softmax) in float64 to 1e-10 and float32 to 1e-5 — padded and concatenated targets, the
three reductions, mixed lengths in one batch, repeated labels, an empty target, an
impossible alignment (with and without zero_infinity), a blank other than 0, unbatched input
— the gradient with respect to log_probs itself, the errors, and a short LSTM training run."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from ctc_reference import brute_force_nll

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
T, N, C = 7, 5, 5
LOGITS = RNG.standard_normal((T, N, C))
# mixed lengths; [3, 3] needs a blank between; an empty target; [1, 2, 3, 4] cannot fit in 3 steps
TARGETS = [[1, 2, 1], [3, 3], [], [1, 2, 3, 4], [4, 1, 4, 4]]
INPUT_LENGTHS = [7, 6, 4, 3, 7]
REDUCTIONS = ["mean", "sum", "none"]
TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}


def _padded(targets, fill=0):
    out = np.full((len(targets), max(map(len, targets))), fill, dtype=np.int64)
    for n, target in enumerate(targets):
        out[n, :len(target)] = target
    return out


def _concatenated(targets):
    return np.array([c for target in targets for c in target], dtype=np.int64)


def _compare(logits, targets, input_lengths, target_lengths, dtype=np.float64, **kwargs):
    """Loss and dloss·w/dlogits of glassnet and torch for the same arguments (targets and
    lengths given as NumPy arrays or lists, passed as tensors of either library)."""
    def as_lib(lib, value):
        return lib.tensor(value) if isinstance(value, np.ndarray) else value

    z = gn.tensor(logits.astype(dtype), requires_grad=True)
    zt = torch.tensor(logits.astype(dtype), requires_grad=True)
    dim = logits.ndim - 1
    out = F.ctc_loss(z.log_softmax(dim), as_lib(gn, targets), as_lib(gn, input_lengths),
                     as_lib(gn, target_lengths), **kwargs)
    ref = TF.ctc_loss(zt.log_softmax(dim), as_lib(torch, targets), as_lib(torch, input_lengths),
                      as_lib(torch, target_lengths), **kwargs)
    assert out.shape == tuple(ref.shape) and str(out.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **TOL[dtype])
    w = np.random.default_rng(1).standard_normal(out.shape)
    (out * gn.tensor(w, dtype=out.dtype)).sum().backward()
    (ref * torch.tensor(w, dtype=ref.dtype)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), **TOL[dtype])  # NaN where torch's are
    return out.numpy(), z.grad.numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("form", ["padded", "concatenated"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_a_mixed_batch_matches_torch(reduction, form, zero_infinity):
    targets = _padded(TARGETS, fill=-1) if form == "padded" else _concatenated(TARGETS)  # padding ignored
    lengths = np.array([len(t) for t in TARGETS])
    loss, grad = _compare(LOGITS, targets, np.array(INPUT_LENGTHS), lengths, reduction=reduction,
                          zero_infinity=zero_infinity)
    if reduction == "none":  # sample 3 is impossible: inf (0 with zero_infinity), and NaN gradients
        assert loss[3] == (0.0 if zero_infinity else np.inf)
        assert np.isnan(grad[:3, 3]).all() != zero_infinity and (grad[3:, 3] == 0).all()
        assert np.isfinite(grad[:, [0, 1, 2, 4]]).all()
        assert (grad[4:, 2] == 0).all() and (grad[3:, 3] == 0).all()  # beyond each input's length


def test_the_recursion_equals_the_sum_over_every_path():
    lp = LOGITS - np.log(np.exp(LOGITS).sum(-1, keepdims=True))
    short = [4, 5, 4, 3, 6]  # at most 6 steps: 5⁶ paths
    expected = brute_force_nll(lp, TARGETS, short)
    out = F.ctc_loss(gn.tensor(lp), gn.tensor(_padded(TARGETS)), short, [len(t) for t in TARGETS],
                     reduction="none")
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert np.isinf(expected[3]) and np.isfinite(expected[[0, 1, 2, 4]]).all()


@pytest.mark.parametrize("blank", [2, 4])
def test_a_blank_other_than_zero(blank):
    targets = [[c if c != blank else 0 for c in target] for target in TARGETS]
    for reduction in REDUCTIONS:
        _compare(LOGITS, _padded(targets, fill=blank), INPUT_LENGTHS, tuple(len(t) for t in targets),
                 blank=blank, reduction=reduction)
    assert gn.nn.CTCLoss(blank=blank).blank == blank


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched_input(reduction):
    loss, _ = _compare(LOGITS[:, 0], np.array([1, 2, 1]), np.array(6), np.array(3), reduction=reduction)
    assert loss.shape == ()
    _compare(LOGITS[:, 1], np.array([3, 3]), (7,), [2], reduction=reduction)
    lp = gn.tensor(LOGITS[:, 0]).log_softmax(1)
    padded = F.ctc_loss(lp, gn.tensor([1, 2, 1, 0]), 6, 3, reduction=reduction)
    assert padded.item() == loss  # (S,) with S ≥ the target length, as PyTorch's docs allow


def test_lengths_as_lists_and_int32_tensors_and_an_empty_input():
    lengths = [len(t) for t in TARGETS]
    _compare(LOGITS, _concatenated(TARGETS), INPUT_LENGTHS, tuple(lengths), reduction="none")
    _compare(LOGITS, _padded(TARGETS).astype(np.int32), np.array(INPUT_LENGTHS, dtype=np.int32),
             np.array(lengths, dtype=np.int32))
    loss, grad = _compare(LOGITS[:, :2], _padded([[], [1]]), np.array([0, 0]), np.array([0, 1]),
                          reduction="none")
    assert loss.tolist() == [0.0, np.inf] and (grad == 0).all()  # no steps: only "" is possible


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_float32_matches_torch(reduction):
    _compare(LOGITS, _padded(TARGETS), np.array(INPUT_LENGTHS), np.array([len(t) for t in TARGETS]),
             dtype=np.float32, reduction=reduction, zero_infinity=True)


def test_the_gradient_of_log_probs_is_minus_the_occupancy():
    """dloss/dlp_t(c) = −γ_t(c): what finite differences give. torch returns exp(lp) − γ (the
    logits' gradient under a log_softmax) — the same once the log_softmax's backward runs."""
    lp = LOGITS[:, [0, 1, 4]] - np.log(np.exp(LOGITS[:, [0, 1, 4]]).sum(-1, keepdims=True))
    targets, in_len = _padded([TARGETS[0], TARGETS[1], TARGETS[4]]), [7, 6, 5]
    assert gn.testing.gradcheck(lambda v: F.ctc_loss(v, gn.tensor(targets), in_len, [3, 2, 4]),
                                [gn.tensor(lp, requires_grad=True)])
    x = gn.tensor(lp, requires_grad=True)
    F.ctc_loss(x, gn.tensor(targets), in_len, [3, 2, 4], reduction="sum").backward()
    xt = torch.tensor(lp, requires_grad=True)
    TF.ctc_loss(xt, torch.tensor(targets), torch.tensor(in_len), torch.tensor([3, 2, 4]),
                reduction="sum").backward()
    live = (np.arange(T)[:, None] < np.array(in_len)[None, :])[..., None]
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy() - np.exp(lp) * live, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy().sum(-1), -1.0 * live[..., 0], rtol=1e-10)  # Σ_c γ_t(c) = 1


def test_the_module_matches_torch():
    lp = gn.tensor(LOGITS, requires_grad=True).log_softmax(2)
    args = (_padded(TARGETS), INPUT_LENGTHS, [len(t) for t in TARGETS])
    out = gn.nn.CTCLoss(reduction="none", zero_infinity=True)(lp, gn.tensor(args[0]), *args[1:])
    ref = torch.nn.CTCLoss(reduction="none", zero_infinity=True)(
        torch.tensor(LOGITS).log_softmax(2), torch.tensor(args[0]), *map(torch.tensor, args[1:]))
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), rtol=1e-12)
    assert out.grad_fn.name() == "CtclossBackward"


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_gradients_of_gradients(zero_infinity):
    """With create_graph the gradient is that of the recursion written with Tensor ops: the
    same numbers as the array backward (NaN where it gives NaN), differentiable again."""
    targets, lengths = gn.tensor(_padded(TARGETS)), [len(t) for t in TARGETS]
    in_len = [7, 6, 0, 3, 5]  # an empty input; sample 3 impossible
    w = gn.tensor(np.random.default_rng(2).standard_normal(N))

    def loss(z):
        return (F.ctc_loss(z.log_softmax(2), targets, in_len, lengths, reduction="none",
                           zero_infinity=zero_infinity) * w).sum()

    z1, z2 = gn.tensor(LOGITS, requires_grad=True), gn.tensor(LOGITS, requires_grad=True)
    (plain,) = gn.autograd.grad(loss(z1), z1)
    (graphed,) = gn.autograd.grad(loss(z2), z2, create_graph=True)
    np.testing.assert_allclose(graphed.detach().numpy(), plain.numpy(), rtol=1e-10, atol=1e-14)
    assert np.isnan(plain.numpy()[:3, 3]).all() != zero_infinity
    possible = gn.tensor(LOGITS[:5, [0, 1, 4]], requires_grad=True)
    assert gn.autograd.gradgradcheck(
        lambda z: F.ctc_loss(z.log_softmax(2), gn.tensor(_padded([TARGETS[0], [3, 3], [4, 1]])), [5, 4, 3],
                             [3, 2, 2]), [possible])


@pytest.mark.parametrize("call, message", [
    (lambda lp: F.ctc_loss(lp[0, 0], gn.tensor([1]), [1], [1]), r"log_probs must be .*got \(5,\)"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1]] * N), [8] * N, [1] * N), r"at most T = 7 .*got \[8, 8"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1]] * N), [7] * 4, [1] * N), r"per sample \(5,\), got \[7, 7"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1]] * N), [7] * N, [2] * N), r"\(5, ≥ 2\).*got \(5, 1\)"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([1, 2, 3]), [7] * N, [1] * N), r"concatenated \(5,\).*got \(3,\)"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[0]] * N), [7] * N, [1] * N), r"other than the blank 0, got \[0\]"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[5]] * N), [7] * N, [1] * N), r"in \[0, 5\) .*got \[5\]"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1]] * N), [7] * N, [-1] * N), r"target_lengths must be ≥ 0"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1]] * N), gn.tensor([7.0] * N), [1] * N),
     r"input_lengths must hold integers, got dtype float"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1.5]] * N), [7] * N, [1] * N), r"targets must hold integers"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1]] * N), [7] * N, [1] * N, blank=5), r"blank .*\[0, 5\), got 5"),
    (lambda lp: F.ctc_loss(lp, gn.tensor([[1]] * N), [7] * N, [1] * N, reduction="x"), r"reduction must be"),
    (lambda lp: F.ctc_loss(lp[:, 0], gn.tensor([1]), [7], [2]), r"target_length = 2 labels, got \(1,\)"),
    (lambda lp: F.ctc_loss(lp[:0], gn.tensor([1]), [0], [1]), r"must not be empty .*got \(0, 5, 5\)"),
])
def test_errors_name_the_op_what_it_got_and_what_fits(call, message):
    with pytest.raises(gn.GlassnetError, match=message) as info:
        call(gn.tensor(LOGITS).log_softmax(2))
    assert str(info.value).startswith("ctc_loss: ")


def test_whole_float_targets_are_taken_as_in_torch():
    _compare(LOGITS, _padded(TARGETS).astype(np.float64), np.array(INPUT_LENGTHS),
             np.array([len(t) for t in TARGETS]), reduction="none", zero_infinity=True)


def test_a_short_lstm_training_run_gives_torch_losses():
    steps, batch, features, hidden, classes = 12, 4, 3, 8, 4
    rng = np.random.default_rng(5)
    x = rng.standard_normal((steps, batch, features))
    targets = rng.integers(1, classes, size=(batch, 4))
    target_lengths, input_lengths = [4, 2, 3, 1], [12, 10, 12, 7]

    def run(lib, lstm, head):
        params = list(lstm.parameters()) + list(head.parameters())
        opt, loss_fn = lib.optim.Adam(params, lr=0.05), lib.nn.CTCLoss()
        losses = []
        for _ in range(5):
            opt.zero_grad()
            out, _ = lstm(lib.tensor(x))
            loss = loss_fn(head(out).log_softmax(2), lib.tensor(targets), lib.tensor(input_lengths),
                           lib.tensor(target_lengths))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    torch.manual_seed(0)
    lstm_t, head_t = torch.nn.LSTM(features, hidden).double(), torch.nn.Linear(hidden, classes).double()
    lstm, head = gn.nn.LSTM(features, hidden).double(), gn.nn.Linear(hidden, classes).double()
    for mine, ref in ((lstm, lstm_t), (head, head_t)):
        mine.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    ours, theirs = run(gn, lstm, head), run(torch, lstm_t, head_t)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    assert ours[-1] < ours[0]
