"""LayerNorm, GroupNorm, RMSNorm and Embedding's PyTorch options, against PyTorch.

(The module contract and torch-reference suites also run every norm layer through
norm_modules.py; these tests cover float32, defaults, errors and Embedding.)"""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.nn import _functional_embedding

torch = pytest.importorskip("torch")


def _pair(build, dtype=np.float64, seed=0):
    """The same layer in both frameworks, random affine parameters shared."""
    ours = build(nn)
    theirs = build(torch.nn)
    rng = np.random.default_rng(seed)
    state = {k: rng.uniform(0.5, 1.5, tuple(v.shape)).astype(dtype)
             for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return ours.to(dtype), theirs.to(torch.float64 if dtype == np.float64 else torch.float32)


@pytest.mark.parametrize(("build", "shape"), [
    (lambda m: m.LayerNorm(6), (4, 6)),
    (lambda m: m.LayerNorm([2, 3], eps=1e-6, bias=False), (2, 5, 2, 3)),
    (lambda m: m.GroupNorm(3, 6), (2, 6, 4, 4)),
    (lambda m: m.GroupNorm(2, 4, affine=False), (3, 4)),
    (lambda m: m.RMSNorm(5), (3, 5)),
    (lambda m: m.RMSNorm((2, 5), eps=1e-3), (3, 2, 5)),
], ids=["layer", "layer-2d", "group", "group-2d-noaffine", "rms", "rms-2d"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_backward_match_torch(build, shape, dtype):
    ours, theirs = _pair(build, dtype)
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype) * 3 + 1
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xg), theirs(xt)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=tol, atol=tol)
    w = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    (out * gn.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].grad.numpy(), rtol=tol * 10,
                                   atol=tol * 10)


def test_defaults_state_dicts_and_reprs_match_torch():
    for build in (lambda m: m.LayerNorm(5), lambda m: m.LayerNorm((2, 3), bias=False),
                  lambda m: m.LayerNorm(4, elementwise_affine=False), lambda m: m.GroupNorm(2, 6),
                  lambda m: m.GroupNorm(2, 6, bias=False), lambda m: m.GroupNorm(3, 6, affine=False),
                  lambda m: m.RMSNorm(4), lambda m: m.RMSNorm([2, 2], 1e-3, False)):
        ours, theirs = build(nn), build(torch.nn)
        assert repr(ours) == repr(theirs)
        ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
        assert list(ours_state) == list(theirs_state)
        for key, value in ours_state.items():
            np.testing.assert_array_equal(value.numpy(), theirs_state[key].numpy())
        assert ours.weight is None or ours.weight.dtype == np.float32


def test_functional_forms_match_torch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3))
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    wc, bc = rng.standard_normal(4), rng.standard_normal(4)
    X, W, B, WC, BC = (torch.tensor(a) for a in (x, w, b, wc, bc))
    G = [gn.tensor(a) for a in (x, w, b, wc, bc)]
    pairs = [
        (F.layer_norm(G[0], (3,), G[1], G[2], eps=1e-3), torch.nn.functional.layer_norm(X, [3], W, B, 1e-3)),
        (F.layer_norm(G[0], [4, 3]), torch.nn.functional.layer_norm(X, [4, 3])),
        (F.group_norm(G[0], 2, G[3], G[4]), torch.nn.functional.group_norm(X, 2, WC, BC)),
        (F.group_norm(G[0], 4), torch.nn.functional.group_norm(X, 4)),
        (F.rms_norm(G[0], (3,), G[1]), torch.nn.functional.rms_norm(X, [3], W)),
        (F.rms_norm(G[0].float(), 3), torch.nn.functional.rms_norm(X.float(), [3])),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6 if ours.dtype == np.float32
                                   else 1e-12, atol=1e-6)


def test_rms_norm_default_eps_is_the_dtype_epsilon():
    x = gn.tensor([[0.0, 0.0]], dtype=gn.float64)  # mean(x²) = 0: the output is 0 / √eps
    x.requires_grad_()
    F.rms_norm(x, 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 / np.sqrt(np.finfo(np.float64).eps))
    t = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.rms_norm(t, [2]).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: F.layer_norm(gn.ones(2, 3), (4,)), gn.ShapeError,
     r"layer_norm: normalized_shape \(4,\) expects input of shape \(\*, 4\), got \(2, 3\)"),
    (lambda: F.layer_norm(gn.ones(2, 3), 3, gn.ones(2)), gn.ShapeError, r"weight must have shape \(3,\)"),
    (lambda: F.group_norm(gn.ones(2, 6, 3), 4), gn.GlassnetValueError,
     r"divisible by num_groups, but got input of shape \(2, 6, 3\) and num_groups=4"),
    (lambda: F.group_norm(gn.ones(6), 2), gn.ShapeError, r"expected input \(N, C, \*\)"),
    (lambda: F.rms_norm(gn.ones(2, 3), (2, 3, 1)), gn.ShapeError, "rms_norm"),
    (lambda: nn.GroupNorm(4, 6), gn.GlassnetValueError, "num_channels must be divisible by num_groups"),
    (lambda: nn.LayerNorm(0), gn.GlassnetValueError, "positive sizes"),
    (lambda: nn.LayerNorm("x"), gn.GlassnetTypeError, "normalized_shape must be an int"),
    (lambda: nn.LayerNorm(3)(gn.ones(2, 4)), gn.ShapeError, r"expects input of shape \(\*, 3\)"),
])
def test_errors_name_the_layer_and_the_shapes(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- Embedding's PyTorch options --------------------------------------------------------

_IDX = np.array([[1, 3, 1], [0, 3, 3]])


def _embedding_pair(**options):
    weight = np.random.default_rng(4).standard_normal((5, 3)) * 2
    ours = nn.Embedding(5, 3, _weight=gn.tensor(weight), **options)
    theirs = torch.nn.Embedding(5, 3, _weight=torch.tensor(weight), **options)
    return ours, theirs


def _lookup_and_backward(module, fw):
    out = module(fw.tensor(_IDX))
    (out * fw.tensor(np.arange(18.0).reshape(2, 3, 3))).sum().backward()
    return out


def test_sparse_embedding_gives_the_dense_gradient_with_one_warning(monkeypatch):
    monkeypatch.setattr(_functional_embedding, "_warned_sparse", False)
    with pytest.warns(gn.GlassnetWarning, match="sparse=True gives a dense gradient"):
        ours = nn.Embedding(5, 3, sparse=True)
    F.embedding(gn.tensor([1]), ours.weight, sparse=True)  # no second warning
    ours, theirs = _embedding_pair(sparse=True)
    _lookup_and_backward(ours, gn)
    _lookup_and_backward(theirs, torch)
    assert theirs.weight.grad.is_sparse
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.to_dense().numpy(),
                               rtol=1e-12)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("options", [
    {"max_norm": 1.5}, {"max_norm": 2.0, "norm_type": 1.0}, {"scale_grad_by_freq": True},
    {"scale_grad_by_freq": True, "padding_idx": 3, "max_norm": 1.0},
], ids=lambda o: "-".join(o))
def test_embedding_options_match_torch(options):
    ours, theirs = _embedding_pair(**options)
    out = _lookup_and_backward(ours, gn)
    out_t = _lookup_and_backward(theirs, torch)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-7)  # float32
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)
    assert repr(ours) == repr(theirs)


def test_max_norm_renormalises_in_place_like_torch():
    ours, theirs = _embedding_pair(max_norm=1.0)
    kept_g = ours.weight * ours.weight  # an op that kept the weight for backward
    kept_t = theirs.weight * theirs.weight
    ours(gn.tensor([0, 2]))
    theirs(torch.tensor([0, 2]))
    norms = np.linalg.norm(ours.weight.numpy(), axis=1)
    assert norms[0] <= 1.0 and norms[2] <= 1.0 and norms[1] > 1.0  # only the rows looked up
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        kept_t.sum().backward()
    with pytest.raises(gn.GlassnetError, match="modified in place"):
        kept_g.sum().backward()


def test_from_pretrained_like_torch():
    table = np.arange(12.0).reshape(4, 3)
    for freeze in (True, False):
        ours = nn.Embedding.from_pretrained(gn.tensor(table), freeze=freeze, padding_idx=1)
        theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze,
                                                    padding_idx=1)
        assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
        np.testing.assert_array_equal(ours(gn.tensor([1, 3])).numpy(),
                                      theirs(torch.tensor([1, 3])).detach().numpy())
        assert repr(ours) == repr(theirs)
    with pytest.raises(gn.ShapeError, match="2-D"):
        nn.Embedding.from_pretrained(gn.ones(3))
    with pytest.raises(gn.ShapeError, match="does not match num_embeddings"):
        nn.Embedding(4, 2, _weight=gn.ones(3, 2))
