"""gn.autograd.forward_ad (dual tensors, PyTorch's API) against torch.autograd.forward_ad:
the tangents J·v of the same functions, float64 to 1e-12."""

import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _tangents(lib):
    fwAD = lib.autograd.forward_ad
    rng = np.random.default_rng(6)
    x, v = lib.tensor(rng.standard_normal((3, 4))), lib.tensor(rng.standard_normal((3, 4)))
    w, u = lib.tensor(rng.standard_normal((4, 2))), lib.tensor(rng.standard_normal((4, 2)))
    bias = lib.tensor(rng.standard_normal(2), requires_grad=True)
    found = []
    with fwAD.dual_level():
        dx, dw = fwAD.make_dual(x, v), fwAD.make_dual(w, u)
        hidden = lib.tanh(dx @ dw + bias)
        out = lib.nn.functional.log_softmax(hidden, dim=1) * hidden.sum()
        for t in (hidden, out, dx * 3.0, dx):
            found.append(fwAD.unpack_dual(t).tangent)
        primal = fwAD.unpack_dual(out).primal
        assert fwAD.unpack_dual(bias * 2).tangent is None
    return [t.detach().numpy() for t in (*found, primal)]


def test_tangents_equal_torch_forward_ad():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch's dual levels use torch.jit.script
        expected = _tangents(torch)
    for ours, theirs in zip(_tangents(gn), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_duals_need_a_level_and_a_matching_tangent():
    fwAD = gn.autograd.forward_ad
    with pytest.raises(gn.GlassnetValueError, match="dual_level"):
        fwAD.make_dual(gn.ones(2), gn.ones(2))
    with fwAD.dual_level(), pytest.raises(gn.GlassnetValueError, match=r"\(3,\).*\(2,\)"):
        fwAD.make_dual(gn.ones(2), gn.ones(3))
