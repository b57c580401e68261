"""``t.data`` is PyTorch's: a Tensor sharing ``t``'s memory, cut from the graph; in-place
methods on it change ``t`` without being recorded. ``t.array`` is the backend array."""

import numpy as np
import pytest

import glassnet as gn


def _trained_weight():
    """w = [1, 2, 3] (requires grad) with w.grad = d(Σ 2·w²)/dw = 4·w = [4, 8, 12]."""
    w = gn.tensor([1.0, 2.0, 3.0], dtype=gn.float64, requires_grad=True)
    (2 * w * w).sum().backward()
    return w


def test_data_is_a_detached_tensor_on_the_same_memory():
    w = _trained_weight()
    d = w.data
    assert type(d) is gn.Tensor and d is not w
    assert d.requires_grad is False and d.is_leaf and d.grad_fn is None
    assert d.array is w.array and isinstance(w.array, np.ndarray)
    assert type(gn.nn.Parameter(gn.ones(2)).data) is gn.Tensor  # as torch: a Tensor, not a Parameter


def test_grad_data_zero_zeroes_the_gradient():
    w = _trained_weight()
    assert w.grad.tolist() == [4.0, 8.0, 12.0]
    w.grad.data.zero_()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]


def test_updates_through_data_change_the_leaf_without_recording():
    w = _trained_weight()
    w.data -= 0.25 * w.grad.data            # w − ¼·4w = 0
    assert w.tolist() == [0.0, 0.0, 0.0]
    w.data.add_(gn.tensor([1.0, 1.0, 1.0], dtype=gn.float64), alpha=2)
    w.data.mul_(3)
    assert w.tolist() == [6.0, 6.0, 6.0]
    assert w.is_leaf and w.requires_grad and w.grad_fn is None and gn.is_grad_enabled()
    with pytest.raises(gn.GlassnetValueError, match="leaf tensor that requires grad"):
        w.add_(1.0)                          # the same update on w itself, recorded, is refused


def test_the_deprecated_alpha_first_overload_warns_and_updates():
    w = _trained_weight()
    with pytest.warns(gn.GlassnetWarning, match=r"add_\(other, alpha=number\)"):
        w.data.add_(-0.5, w.grad.data)     # w − ½·4w = −w
    assert w.tolist() == [-1.0, -2.0, -3.0]


def test_assigning_data_replaces_values_and_shape():
    w = _trained_weight()
    other = gn.arange(6, dtype=gn.float64).reshape(2, 3)
    w.data = other
    assert w.shape == (2, 3) and w.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert w.array is other.array and w.requires_grad and w.is_leaf  # shared, as in PyTorch
    w.data = [[1.5, -1.5]]                   # anything gn.tensor takes
    assert w.shape == (1, 2) and w.dtype == gn.float32


def test_numpy_copy_and_random_fill_through_data():
    x = gn.zeros(2, 3)
    n = x.data.numpy()
    assert isinstance(n, np.ndarray) and np.shares_memory(n, x.array)
    x.data.copy_(gn.ones(2, 3))
    assert n.sum() == 6.0
    gn.manual_seed(0)
    x.data.uniform_(-0.1, 0.1)
    assert bool(((x >= -0.1) & (x < 0.1)).all()) and len(set(x.flatten().tolist())) == 6


def test_a_change_through_data_to_an_input_saved_for_backward_raises():
    # PyTorch gives .data its own version counter, so its backward would silently use the new
    # values (x.grad = 2·x = 4 here); glassnet counts versions per memory and refuses instead.
    x = gn.ones(3, requires_grad=True)
    y = x * x                                # keeps x for its gradient
    x.data.mul_(2)
    with pytest.raises(gn.GlassnetError, match="mul needs its input 0 .* modified in place"):
        y.sum().backward()


def test_a_change_through_data_to_an_output_is_used_by_backward_as_in_pytorch():
    x = gn.ones(3, dtype=gn.float64, requires_grad=True)
    y = x.exp()                              # keeps eˣ (its output) for its gradient
    y.data.mul_(2)                           # not recorded: backward reads 2·eˣ, as PyTorch's does
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2 * np.e), rtol=1e-15)
