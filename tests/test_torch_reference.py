"""Every registered op with a PyTorch reference: same inputs, same outputs and gradients.

float64 agrees to 1e-10, float32 to 1e-5 relative (with a small absolute floor for
entries near zero). Gradients are those of Σ out·w for one fixed random weighting w.
"""

import numpy as np
import pytest

import glassnet as gn
from op_registry import REGISTRY, make_inputs, to_torch

torch = pytest.importorskip("torch")

TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}
CASES = [pytest.param(spec, shapes, dtype,
                      id=f"{spec.name}-{'x'.join(map(str, shapes))}-{dtype.__name__}")
         for spec in REGISTRY if spec.torch is not None
         for shapes in spec.shapes for dtype in (np.float64, np.float32)]


def test_every_registered_op_has_a_torch_reference():
    assert [s.name for s in REGISTRY if s.torch is None] == []


@pytest.mark.parametrize("spec, shapes, dtype", CASES)
def test_forward_and_gradients_match_torch(spec, shapes, dtype):
    arrays = make_inputs(spec, shapes, dtype=dtype, seed=3)
    xs = [gn.tensor(a, requires_grad=True) for a in arrays]
    ts = [to_torch(a, requires_grad=True) for a in arrays]
    out, ref = spec.run(*xs), spec.run_torch(*ts)
    assert out.shape == tuple(ref.shape)
    assert str(out.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **TOL[dtype])

    w = np.random.default_rng(4).standard_normal(out.shape)
    (out * gn.tensor(w, dtype=out.dtype)).sum().backward()
    (ref * to_torch(w).to(ref.dtype)).sum().backward()
    for x, t in zip(xs, ts, strict=True):
        assert x.grad.dtype == t.grad.numpy().dtype
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **TOL[dtype])
