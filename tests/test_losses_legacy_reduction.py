"""PyTorch's deprecated ``size_average=`` / ``reduce=`` on every loss that takes them (old
programs: ``F.nll_loss(out, y, size_average=False)``, ``nn.MSELoss(size_average=False)``):
the reduction they choose, PyTorch's warning, the same numbers and signatures as torch."""

import inspect
import warnings

import numpy as np
import pytest
import torch

import glassnet as gn

RNG = np.random.default_rng(21)
X, Y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
P, T01 = 1 / (1 + np.exp(-X)), (Y > 0).astype(float)
LOGP = X - np.log(np.exp(X).sum(1, keepdims=True))
CLS, SIGN = np.array([0, 2, 1, 2]), np.sign(Y)
LABELS = np.array([[0, 2, -1], [1, -1, 0], [2, 0, 1], [-1, 0, 0]])

# name: (arguments as arrays (int arrays become class tensors), extra keyword arguments)
CASES = {
    "mse_loss": ((X, Y), {}), "l1_loss": ((X, Y), {}), "smooth_l1_loss": ((X, Y), {}),
    "cross_entropy": ((X, CLS), {}), "nll_loss": ((LOGP, CLS), {}),
    "binary_cross_entropy": ((P, T01), {}), "binary_cross_entropy_with_logits": ((X, T01), {}),
    "kl_div": ((LOGP, P), {}), "poisson_nll_loss": ((X, np.abs(Y)), {}),
    "soft_margin_loss": ((X, SIGN), {}), "multilabel_soft_margin_loss": ((X, T01), {}),
    "hinge_embedding_loss": ((X, SIGN), {}), "margin_ranking_loss": ((X[:, 0], Y[:, 0], SIGN[:, 0]), {}),
    "cosine_embedding_loss": ((X, Y, SIGN[:, 0]), {}), "triplet_margin_loss": ((X, Y, P), {}),
    "multi_margin_loss": ((X, CLS), {}), "multilabel_margin_loss": ((X, LABELS), {}),
}
LEGACY = [(None, False), (False, None), (True, True), (False, True), (True, None), (None, None)]


def _call(lib, name, size_average, reduce):
    args, kwargs = CASES[name]
    tensors = [lib.tensor(a) for a in args]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = getattr(lib.nn.functional, name)(*tensors, size_average=size_average, reduce=reduce, **kwargs)
    said = [str(w.message) for w in caught if "size_average" in str(w.message)]
    return out, said


@pytest.mark.parametrize("size_average, reduce", LEGACY)
@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_legacy_reduction_matches_torch(name, size_average, reduce):
    ours, our_warning = _call(gn, name, size_average, reduce)
    theirs, their_warning = _call(torch, name, size_average, reduce)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-13)
    assert bool(our_warning) == bool(their_warning)
    if their_warning:
        expected = their_warning[0].split("reduction=")[1]
        assert our_warning[0].endswith("reduction=" + expected), (our_warning, their_warning)


MODULES = ["MSELoss", "L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
           "KLDivLoss", "PoissonNLLLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "HingeEmbeddingLoss",
           "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss", "MultiMarginLoss",
           "MultiLabelMarginLoss"]


@pytest.mark.parametrize("name", MODULES)
def test_module_signatures_and_legacy_reduction_match_torch(name):
    ours, theirs = getattr(gn.nn, name), getattr(torch.nn, name)
    assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters)
    for size_average, reduce in LEGACY[:-1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made = ours(size_average=size_average, reduce=reduce)
            assert made.reduction == theirs(size_average=size_average, reduce=reduce).reduction


@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_signatures_match_torch(name):
    ours, theirs = getattr(gn.nn.functional, name), getattr(torch.nn.functional, name)
    names = list(inspect.signature(theirs).parameters)
    names = [n for n in names if n != "weight" or "weight" in inspect.signature(ours).parameters]
    assert list(inspect.signature(ours).parameters) == names


def test_old_mnist_test_loop_sums_the_loss():
    logp, target = gn.tensor(LOGP), gn.tensor(CLS)
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        total = gn.nn.functional.nll_loss(logp, target, size_average=False).item()
    assert abs(total - (-LOGP[np.arange(4), CLS].sum())) < 1e-12
