"""MultiMarginLoss, MultiLabelMarginLoss and TripletMarginWithDistanceLoss (modules and
functional forms) against PyTorch — values and gradients for every reduction — with
gradient checks in float64 and the errors for what PyTorch refuses."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(0)
SCORES = RNG.standard_normal((5, 4))
CLASSES = np.array([3, 0, 1, 1, 2])
CLASS_WEIGHT = RNG.uniform(0.5, 2.0, 4)
LABEL_LISTS = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, 1, -1, 0], [-1, 0, 1, 2], [2, 2, 3, -1]])
REDUCTIONS = ["mean", "sum", "none"]


def _matches_torch(gn_loss, torch_loss, *arrays):
    xs = [gn.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, out_t = gn_loss(*xs), torch_loss(*ts)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(out.shape)
    (out * gn.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, weighted):
    kwargs = dict(p=p, margin=0.7, reduction=reduction)
    _matches_torch(
        lambda x: gn.nn.MultiMarginLoss(weight=gn.tensor(CLASS_WEIGHT) if weighted else None, **kwargs)(
            x, gn.tensor(CLASSES)),
        lambda x: torch.nn.MultiMarginLoss(weight=torch.tensor(CLASS_WEIGHT) if weighted else None, **kwargs)(
            x, torch.tensor(CLASSES)),
        SCORES)


def test_multi_margin_loss_of_one_sample_and_its_errors():
    _matches_torch(lambda x: F.multi_margin_loss(x, gn.tensor(2)),
                   lambda x: TF.multi_margin_loss(x, torch.tensor(2)), SCORES[0])
    with pytest.raises(gn.GlassnetValueError, match="p must be 1 or 2"):
        F.multi_margin_loss(gn.tensor(SCORES), gn.tensor(CLASSES), p=3)
    with pytest.raises(gn.ShapeError, match=r"target must hold one class in \[0, 4\)"):
        F.multi_margin_loss(gn.tensor(SCORES), gn.tensor(CLASSES + 1))
    with pytest.warns(UserWarning, match="please use reduction='sum'"):
        assert gn.nn.MultiMarginLoss(size_average=False).reduction == "sum"


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    _matches_torch(lambda x: gn.nn.MultiLabelMarginLoss(reduction=reduction)(x, gn.tensor(LABEL_LISTS)),
                   lambda x: torch.nn.MultiLabelMarginLoss(reduction=reduction)(x, torch.tensor(LABEL_LISTS)),
                   SCORES)


def test_multilabel_margin_loss_of_one_sample_and_its_errors():
    _matches_torch(lambda x: F.multilabel_margin_loss(x, gn.tensor(LABEL_LISTS[0])),
                   lambda x: TF.multilabel_margin_loss(x, torch.tensor(LABEL_LISTS[0])), SCORES[0])
    with pytest.raises(gn.ShapeError, match="multilabel_margin_loss: target must be"):
        F.multilabel_margin_loss(gn.tensor(SCORES), gn.tensor(LABEL_LISTS[:, :3]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("distance", ["default", "cosine"])
def test_triplet_margin_with_distance_loss(reduction, swap, distance):
    def module(lib):
        d = None if distance == "default" else (lambda u, v: 1.0 - lib.nn.functional.cosine_similarity(u, v))
        return lib.nn.TripletMarginWithDistanceLoss(distance_function=d, margin=0.5, swap=swap,
                                                    reduction=reduction)

    a, p, n = (RNG.standard_normal((4, 3)) for _ in range(3))
    _matches_torch(module(gn), module(torch), a, p, n)


def test_margin_losses_pass_gradient_checks():
    x = gn.tensor(SCORES, requires_grad=True)
    checks = [lambda x: F.multi_margin_loss(x, gn.tensor(CLASSES), p=2, weight=gn.tensor(CLASS_WEIGHT)),
              lambda x: F.multilabel_margin_loss(x, gn.tensor(LABEL_LISTS), reduction="sum"),
              lambda x: F.triplet_margin_with_distance_loss(x[:2], x[2:4], x[3:5], margin=2.0)]
    for loss in checks:
        assert gn.testing.gradcheck(loss, [x])
        assert gn.autograd.gradgradcheck(loss, [x])
    with pytest.raises(gn.GlassnetValueError, match="margin must be > 0"):
        F.triplet_margin_with_distance_loss(x, x, x, margin=0.0)
