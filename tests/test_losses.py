"""Losses against PyTorch (forward and gradient), including label smoothing,
ignore_index, class weights, probability targets and every reduction."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4))
LABELS = np.array([0, 3, 1, 1, 2, 3])
PROBS = RNG.dirichlet(np.ones(4), size=6)
WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])
REDUCTIONS = ["mean", "sum", "none"]


def _check_matches_torch(gn_fn, torch_fn, x, *rest):
    xg = gn.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_g, out_t = gn_fn(xg, *rest), torch_fn(xt, *rest)
    np.testing.assert_allclose(out_g.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(out_g.shape)
    (out_g * gn.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_cross_entropy_class_targets(reduction, smoothing, weight):
    def g(x):
        return F.cross_entropy(x, gn.tensor(LABELS), weight=weight, reduction=reduction,
                               label_smoothing=smoothing)

    def t(x):
        w = None if weight is None else torch.tensor(weight)
        return TF.cross_entropy(x, torch.tensor(LABELS), weight=w, reduction=reduction,
                                label_smoothing=smoothing)

    _check_matches_torch(g, t, LOGITS)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_ignore_index(reduction, smoothing):
    labels = LABELS.copy()
    labels[[1, 4]] = -100

    def g(x):
        return nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)(x, gn.tensor(labels))

    def t(x):
        return torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)(
            x, torch.tensor(labels))

    _check_matches_torch(g, t, LOGITS)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_cross_entropy_probability_targets(reduction, smoothing, weight):
    def g(x):
        return F.cross_entropy(x, gn.tensor(PROBS), weight=weight, reduction=reduction,
                               label_smoothing=smoothing)

    def t(x):
        w = None if weight is None else torch.tensor(weight)
        return TF.cross_entropy(x, torch.tensor(PROBS), weight=w, reduction=reduction,
                                label_smoothing=smoothing)

    _check_matches_torch(g, t, LOGITS)


def test_cross_entropy_spatial_and_unbatched():
    x = RNG.standard_normal((2, 3, 4, 5))
    y = RNG.integers(0, 3, (2, 4, 5))
    _check_matches_torch(lambda a: F.cross_entropy(a, gn.tensor(y)),
             lambda a: TF.cross_entropy(a, torch.tensor(y)), x)
    _check_matches_torch(lambda a: F.cross_entropy(a, gn.tensor(2)),
             lambda a: TF.cross_entropy(a, torch.tensor(2)), LOGITS[0])


def test_cross_entropy_backward_is_softmax_minus_onehot():
    x = gn.tensor(LOGITS, requires_grad=True)
    F.cross_entropy(x, gn.tensor(LABELS), reduction="sum").backward()
    p = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), p - np.eye(4)[LABELS], atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    labels = LABELS.copy()
    labels[2] = -100
    logp = np.log(PROBS)
    _check_matches_torch(lambda a: F.nll_loss(a, gn.tensor(labels), weight=WEIGHT, reduction=reduction),
             lambda a: TF.nll_loss(a, torch.tensor(labels), weight=torch.tensor(WEIGHT),
                                   reduction=reduction), logp)


TARGET = RNG.standard_normal((6, 4))
BINARY = (RNG.random((6, 4)) > 0.5).astype(np.float64)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("gn_loss", "torch_loss", "target"), [
    (nn.MSELoss, torch.nn.MSELoss, TARGET),
    (nn.L1Loss, torch.nn.L1Loss, TARGET),
    (nn.HuberLoss, torch.nn.HuberLoss, TARGET),
], ids=["mse", "l1", "huber"])
def test_regression_losses(reduction, gn_loss, torch_loss, target):
    _check_matches_torch(lambda a: gn_loss(reduction=reduction)(a, gn.tensor(target)),
             lambda a: torch_loss(reduction=reduction)(a, torch.tensor(target)), LOGITS)


def test_huber_delta():
    _check_matches_torch(lambda a: F.huber_loss(a, gn.tensor(TARGET), delta=0.5),
             lambda a: TF.huber_loss(a, torch.tensor(TARGET), delta=0.5), LOGITS)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce(reduction):
    probs = 1 / (1 + np.exp(-LOGITS))
    _check_matches_torch(lambda a: nn.BCELoss(reduction=reduction)(a, gn.tensor(BINARY)),
             lambda a: torch.nn.BCELoss(reduction=reduction)(a, torch.tensor(BINARY)), probs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 2.0, 0.5, 3.0])])
def test_bce_with_logits(reduction, pos_weight):
    big = LOGITS * 30  # far from zero: the stable formula must not overflow

    def g(a):
        pw = None if pos_weight is None else gn.tensor(pos_weight)
        return nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pw)(a, gn.tensor(BINARY))

    def t(a):
        pw = None if pos_weight is None else torch.tensor(pos_weight)
        return torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pw)(
            a, torch.tensor(BINARY))

    _check_matches_torch(g, t, big)


def test_cross_entropy_label_out_of_range_names_the_problem():
    with pytest.raises(gn.GlassnetValueError, match=r"target 7 is out of range for 4 classes"):
        F.cross_entropy(gn.tensor(LOGITS), gn.tensor([0, 1, 2, 7, 0, 1]))


def test_cross_entropy_float_labels_of_wrong_shape():
    with pytest.raises(gn.ShapeError, match="probability targets"):
        F.cross_entropy(gn.tensor(LOGITS), gn.tensor([0.0, 1.0]))


def test_mse_shape_mismatch():
    with pytest.raises(gn.ShapeError, match=r"mse_loss: input \(6, 4\) and target \(6,\)"):
        F.mse_loss(gn.tensor(LOGITS), gn.tensor(TARGET[:, 0]))


def test_penalties():
    w = gn.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    b = gn.tensor([-1.0], requires_grad=True)
    assert nn.l1_penalty([w, b]).item() == pytest.approx(7.5)
    l2 = nn.l2_penalty([w, b])
    assert l2.item() == pytest.approx(1 + 4 + 9 + 0.25 + 1)
    l2.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy())
