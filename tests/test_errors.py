"""Bad input raises a gn.GlassnetError that is also the builtin a Python user would catch,
with a message that names the operation and the shapes or dtypes it got."""

import re

import numpy as np
import pytest

import glassnet as gn


def _matmul_2x3_2x3():
    return gn.tensor([[1, 2, 3], [4, 5, 6]]) @ gn.tensor([[1, 2, 3], [4, 5, 6]])


# (label, bad call, builtin it must also be, regex the message must match)
CASES = [
    ("matmul_inner", _matmul_2x3_2x3, ValueError,
     re.escape("matmul: (2, 3) @ (2, 3) — inner dimensions 3 and 2 must match")),
    ("matmul_vector", lambda: gn.ones(3) @ gn.ones(2, 2), ValueError,
     re.escape("matmul: (3,) @ (2, 2) — inner dimensions 3 and 2 must match")),
    ("matmul_batch", lambda: gn.ones(2, 2, 3) @ gn.ones(3, 3, 2), ValueError,
     re.escape("matmul: (2, 2, 3) @ (3, 3, 2) — the batch dimensions (2,) and (3,)")),
    ("matmul_scalar", lambda: gn.ones(2, 3) @ gn.tensor(2.0), ValueError,
     re.escape("matmul: (2, 3) @ () — both operands need at least one dimension")),
    ("add_broadcast", lambda: gn.ones(3, 2) + gn.ones(3), ValueError,
     r"add: shapes \(3, 2\) and \(3,\) cannot broadcast .* dimension -1 has sizes 2 vs 3"),
    ("mul_broadcast", lambda: gn.mul(gn.ones(4, 1, 2), gn.ones(3, 5)), ValueError,
     r"mul: shapes \(4, 1, 2\) and \(3, 5\) cannot broadcast .* dimension -1 has sizes 2 vs 5"),
    ("compare_broadcast", lambda: gn.ones(2, 3) < gn.ones(2), ValueError,
     r"lt: shapes \(2, 3\) and \(2,\) cannot broadcast"),
    ("backward_non_scalar", lambda: (gn.ones(3, 2, requires_grad=True) * 2).backward(),
     ValueError, r"backward: called on a tensor of shape \(3, 2\) without `gradient`"),
    ("backward_no_graph", lambda: gn.ones(()).backward(), ValueError,
     r"backward: this tensor does not require grad"),
    ("requires_grad_int", lambda: gn.tensor([1, 2], requires_grad=True), TypeError,
     r"requires_grad: only floating tensors .* dtype int64"),
    ("requires_grad_int_setter", lambda: setattr(gn.arange(3), "requires_grad", True),
     TypeError, r"requires_grad: .* dtype int64"),
    ("ragged_list", lambda: gn.tensor([[1, 2, 3], [4, 5]]), ValueError,
     r"tensor: nested lists must be rectangular .* ragged list: \[\[1, 2, 3\], \[4, 5\]\]"),
    ("ragged_floats", lambda: gn.tensor([[1.0], [2.0, 3.0]]), ValueError,
     r"tensor: nested lists must be rectangular"),
    ("string_data", lambda: gn.tensor(["a"]), TypeError,
     r"tensor: data must be numbers .* from \['a'\]"),
    ("mixed_string", lambda: gn.tensor([1.0, "a"]), TypeError,
     r"tensor: cannot make a numeric array from \[1.0, 'a'\]"),
    ("none_data", lambda: gn.tensor(None), TypeError, r"tensor: data must be numbers"),
    ("reshape_count", lambda: gn.ones(2, 3).reshape(4, 2), ValueError,
     re.escape("reshape: cannot view a tensor of shape (2, 3) (6 elements) as (4, 2)")),
    ("view_count", lambda: gn.ones(5).view(2, -1), ValueError,
     re.escape("reshape: cannot view a tensor of shape (5,) (5 elements) as (2, -1)")),
    ("index_int", lambda: gn.ones(2, 3)[5], IndexError,
     r"index: index 5 is out of bounds for axis 0 with size 2 \(tensor shape \(2, 3\)\)"),
    ("index_second_axis", lambda: gn.ones(2, 3)[0, -4], IndexError,
     r"index -4 is out of bounds for axis 1 with size 3 \(tensor shape \(2, 3\)\)"),
    ("index_array", lambda: gn.ones(2, 3)[[0, 3]], IndexError,
     r"index 3 is out of bounds .* \(tensor shape \(2, 3\)\)"),
    ("index_mask", lambda: gn.ones(2, 3)[gn.tensor([True, False, True])], IndexError,
     r"boolean index did not match .* \(tensor shape \(2, 3\)\)"),
    ("index_float", lambda: gn.ones(2, 3)[gn.tensor([0.5])], TypeError,
     r"index: arrays used as indices must be integer or boolean, got float32"),
    ("sum_dim", lambda: gn.ones(2, 3).sum(dim=2), ValueError,
     re.escape("sum: dim 2 is out of range for a tensor with 2 dimension(s) (valid: -2..1)")),
    ("softmax_dim", lambda: gn.ones(2, 3).softmax(dim=-3), ValueError,
     r"softmax: dim -3 is out of range"),
    ("permute_repeat", lambda: gn.ones(2, 3).permute(0, 0), ValueError,
     re.escape("permute: (0, 0) is not a reordering of the 2 axes of shape (2, 3)")),
    ("permute_out_of_range", lambda: gn.ones(2, 3).permute(0, 2), ValueError,
     re.escape("permute: (0, 2) is not a reordering")),
    ("permute_negative_wrap", lambda: gn.ones(2, 3, 4).permute(-4, 1, 2), ValueError,
     re.escape("permute: (-4, 1, 2) is not a reordering")),
    ("cat_shapes", lambda: gn.cat([gn.ones(2, 3), gn.ones(2, 2)]), ValueError,
     re.escape("cat: shapes [(2, 3), (2, 2)] must agree on every axis but dim 0")),
    ("cat_empty", lambda: gn.cat([]), ValueError, r"cat: needs at least one tensor"),
    ("cat_non_tensor", lambda: gn.cat([gn.ones(2), 3]), TypeError,
     r"cat: expected a sequence of Tensors, got \['Tensor', 'int'\]"),
    ("stack_shapes", lambda: gn.stack([gn.ones(2, 3), gn.ones(2, 2)]), ValueError,
     re.escape("stack: all shapes must be equal, got [(2, 3), (2, 2)]")),
    ("stack_dim", lambda: gn.stack([gn.ones(2), gn.ones(2)], dim=2), ValueError,
     re.escape("stack: dim 2 out of range for a result with 2 dimensions (valid: -2..1)")),
    ("expand_new_dim_keep", lambda: gn.ones(3).expand(-1, 3), ValueError,
     re.escape("expand: cannot expand shape (3,) to (-1, 3); -1 keeps an existing size")),
    ("expand_shape", lambda: gn.ones(2, 3).expand(4, 3), ValueError,
     re.escape("expand: cannot broadcast shape (2, 3) to (4, 3)")),
    ("unsqueeze_dim", lambda: gn.ones(2, 3).unsqueeze(5), ValueError,
     r"unsqueeze: dim 5 out of range for a result with 3 dimensions"),
    ("pad_odd", lambda: gn.pad(gn.ones(2, 3), (1,)), ValueError,
     re.escape("pad: flat padding needs an even number of sizes, at most 2 per axis (4 for "
               "shape (2, 3)); got (1,)")),
    ("item_many", lambda: gn.ones(2, 3).item(), ValueError,
     r"item: only a one-element tensor .* shape \(2, 3\)"),
    ("bool_many", lambda: bool(gn.ones(2)), ValueError, r"truth value of a tensor of shape \(2,\)"),
    ("len_0d", lambda: len(gn.tensor(1.0)), TypeError, r"len\(\) of a 0-d tensor"),
    ("zeros_negative", lambda: gn.zeros(2, -1), ValueError,
     re.escape("zeros: sizes must be non-negative integers, got (2, -1)")),
    ("default_dtype_int", lambda: gn.set_default_dtype(gn.int64), TypeError,
     r"set_default_dtype: got int64"),
    ("unknown_device", lambda: gn.ones(2).to("tpu"), ValueError,
     r"to: unknown device 'tpu'"),
    ("from_numpy_list", lambda: gn.from_numpy([1, 2]), TypeError,
     r"from_numpy: expected a numpy.ndarray, got list"),
]


@pytest.mark.parametrize("bad, builtin, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_raises_a_glassnet_error_that_is_the_builtin(bad, builtin, message):
    with pytest.raises(gn.GlassnetError, match=message) as info:
        bad()
    assert isinstance(info.value, builtin)


def test_error_hierarchy():
    assert issubclass(gn.ShapeError, gn.GlassnetValueError)
    assert issubclass(gn.GlassnetValueError, ValueError)
    assert issubclass(gn.GlassnetTypeError, TypeError)
    assert issubclass(gn.GlassnetIndexError, IndexError)
    for cls in (gn.ShapeError, gn.GlassnetValueError, gn.GlassnetTypeError,
                gn.GlassnetIndexError):
        assert issubclass(cls, gn.GlassnetError)


def test_a_failed_op_leaves_grad_mode_and_inputs_intact():
    a = gn.ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError):
        a @ a
    assert gn.is_grad_enabled() and a.grad is None
    np.testing.assert_array_equal(a.numpy(), np.ones((2, 3)))


# -- the gradient checker must itself fail on a wrong backward --------------------------
class WrongSquare(gn.Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return g * self.x  # should be 2·x·g


def test_gradcheck_reports_a_wrong_gradient():
    x = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    with pytest.raises(gn.testing.GradcheckError, match=r"input 0: autograd gives") as info:
        gn.testing.gradcheck(WrongSquare.apply, [x])
    assert isinstance(info.value, AssertionError)
    with pytest.raises(gn.testing.GradcheckError, match=r"input 0 \(direction\)"):
        gn.testing.vjp_check(WrongSquare.apply, [x])


def test_gradcheck_refuses_float32():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(gn.testing.GradcheckError, match=r"input 0 has dtype float32"):
        gn.testing.gradcheck(gn.exp, [x])
