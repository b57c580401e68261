"""Small PyTorch conventions that real programs lean on, each against PyTorch: the dtype
questions (promote_types, result_type, can_cast), std/var's older ``unbiased=``, softmax's
``dtype=`` and implicit dim (with PyTorch's warning), the float32 matmul precision setting
and ``torch.default_generator``."""

import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "complex64",
          "complex128"]


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_types_and_can_cast_equal_torch(a, b):
    assert str(gn.promote_types(getattr(gn, a), getattr(gn, b))) == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b))).removeprefix("torch.")
    assert gn.can_cast(getattr(gn, a), getattr(gn, b)) == torch.can_cast(getattr(torch, a), getattr(torch, b))


@pytest.mark.parametrize("left, right", [([1, 2], 2.5), ([1.0, 2.0], 2), (3, 2.5), ([1, 2], True),
                                         ([True], 2), ([1, 2], [1.5]), ([1.5], 2j)])
def test_result_type_equals_torch(left, right):
    def operand(lib, value):
        return lib.tensor(value) if isinstance(value, list) else value

    ours = gn.result_type(operand(gn, left), operand(gn, right))
    theirs = torch.result_type(operand(torch, left) if isinstance(left, list) else torch.tensor(left),
                               operand(torch, right))
    assert str(ours) == str(theirs).removeprefix("torch.")


def _statistics(lib, x):
    return [x.std(dim=0, unbiased=False), x.var(unbiased=True), x.var(1, False), x.std(False),
            lib.std(x, 1, keepdim=True, unbiased=False), lib.var(x, dim=(0, 2), unbiased=False),
            lib.nn.functional.softmax(x, dim=1, dtype=lib.float32), x.log_softmax(2, dtype=lib.float32),
            lib.softmax(x, -1, dtype=lib.float32)]


def test_unbiased_and_softmax_dtype_equal_torch():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    for ours, theirs in zip(_statistics(gn, gn.tensor(a)), _statistics(torch, torch.tensor(a)), strict=True):
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_takes_pytorchs_implicit_dim_and_warns(shape):
    a = np.random.default_rng(1).standard_normal(shape)
    for f in ("softmax", "log_softmax"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = getattr(gn.nn.functional, f)(gn.tensor(a)).numpy()
            theirs = getattr(torch.nn.functional, f)(torch.tensor(a)).numpy()
        assert len(caught) == 2 and all("Implicit dimension choice" in str(w.message) for w in caught)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_matmul_precision_is_recorded_and_checked():
    assert gn.get_float32_matmul_precision() == "highest"
    gn.set_float32_matmul_precision("high")
    try:
        assert gn.get_float32_matmul_precision() == "high"
        with pytest.raises(gn.GlassnetValueError, match="highest"):
            gn.set_float32_matmul_precision("fast")
    finally:
        gn.set_float32_matmul_precision("highest")


def test_default_generator_is_the_one_manual_seed_seeds():
    gn.default_generator.manual_seed(3)
    first = gn.rand(3)
    gn.manual_seed(3)
    assert gn.equal(first, gn.rand(3)) and gn.default_generator.initial_seed() == 3


def test_shape_and_size_are_torch_sizes():
    x = gn.zeros(2, 3)
    assert isinstance(x.shape, gn.Size) and isinstance(x.size(), gn.Size) and isinstance(x.shape, tuple)
    assert x.shape.numel() == 6 == torch.zeros(2, 3).shape.numel()
    assert x.shape == (2, 3) == torch.Size([2, 3]) and repr(x.shape) == "(2, 3)" and x.size(1) == 3
