"""Regressions found by ``test_differential_torch.py`` (issue #21), each pinned to the numbers PyTorch
gives, without PyTorch installed."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops._loss import SoftmaxCrossEntropyIndex


@pytest.mark.parametrize("op, value, expect", [(gn.any, 2.0, True), (gn.all, 0.0, False)])
@pytest.mark.parametrize("dim", [0, -1])
def test_any_all_over_dim_0_of_a_0d_tensor(op, value, expect, dim):
    """torch.any(torch.tensor(2.), 0) is tensor(True): dim 0 or -1 names a 0-d tensor's element."""
    out = op(gn.tensor(value), dim, keepdim=True)
    assert out.shape == () and out.item() is expect


def test_any_over_dim_1_of_a_0d_tensor_is_refused():
    with pytest.raises(gn.GlassnetError, match="any: dim 1 is out of range"):
        gn.any(gn.tensor(1.0), 1)


def test_unflatten_refuses_sizes_that_do_not_multiply_to_an_empty_dim():
    """(0, 0) split into (2, 1) along dim 1: NumPy's reshape accepts it (0 elements either way),
    PyTorch raises, and so does glassnet."""
    message = r"unflatten: sizes \(2, 1\) multiply to 2, but dim 1 of shape \(0, 0\)"
    with pytest.raises(gn.ShapeError, match=message):
        gn.unflatten(gn.zeros(0, 0), 1, (2, 1))
    assert gn.unflatten(gn.zeros(0, 4), 1, (2, 2)).shape == (0, 2, 2)
    assert gn.unflatten(gn.zeros(3, 0), 1, (-1, 2)).shape == (3, 0, 2)


@pytest.mark.parametrize("reduction, expect", [("none", np.zeros(0)), ("sum", 0.0), ("mean", np.nan)])
@pytest.mark.parametrize("classes", [0, 3])
def test_cross_entropy_of_no_rows(reduction, expect, classes, recwarn):
    """No rows (and even no classes): PyTorch returns an empty loss, 0 or NaN, an empty gradient, and
    no warning."""
    z = gn.zeros(0, classes, requires_grad=True)
    out = SoftmaxCrossEntropyIndex.apply(z, labels=np.zeros(0, dtype=np.int64), reduction=reduction)
    np.testing.assert_array_equal(out.numpy(), expect)
    out.sum().backward()
    assert z.grad.shape == (0, classes)
    assert len(recwarn) == 0


def test_mean_of_an_empty_tensor_backward_is_quiet(recwarn):
    """PyTorch: mean of shape (0,) is NaN and its gradient is empty, without a warning (glassnet's
    backward divided by n = 0 and warned)."""
    x = gn.zeros(0, requires_grad=True)
    gn.mean(x).backward()
    assert x.grad.shape == (0,) and len(recwarn) == 0


def test_logsumexp_of_integers_is_in_the_default_float_dtype():
    """torch.logsumexp(torch.tensor([1, 2]), 0) is tensor(2.3133, dtype=torch.float32)."""
    for value in ([1, 2], [True, False]):
        out = gn.logsumexp(gn.tensor(value))
        assert out.dtype == gn.float32
    np.testing.assert_allclose(gn.logsumexp(gn.tensor([1, 2])).item(), np.log(np.e + np.e**2), rtol=1e-6)


@pytest.mark.parametrize("op", [gn.var, gn.std])
@pytest.mark.parametrize("value", [[1, 2], [True, False]])
def test_var_and_std_of_integers_are_refused(op, value):
    """PyTorch: 'std and var only support floating point and complex dtypes'."""
    with pytest.raises(gn.GlassnetTypeError, match=f"{op.__name__}: the input must be floating, got dtype"):
        op(gn.tensor(value))


@pytest.mark.parametrize("op, expect", [(gn.sigmoid, [0.7310586, 0.5]), (gn.tanh, [0.7615942, 0.0])])
@pytest.mark.parametrize("value", [[1, 0], [True, False]])
def test_sigmoid_and_tanh_of_integers_are_float32(op, expect, value):
    """PyTorch gives float32 for int64 and bool (NumPy: float64, and float16 for bool)."""
    out = op(gn.tensor(value))
    assert out.dtype == gn.float32
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-6)
