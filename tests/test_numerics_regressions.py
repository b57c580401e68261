"""Issue #21, "Wrong numbers": each reproducer, with PyTorch 2.13's numbers written out.

Every case is one function written against the API glassnet shares with PyTorch
(``lib`` is ``glassnet`` or ``torch``), returning named arrays or dtype names; next to it,
``@pytorch_gives`` records what PyTorch returned. ``test_glassnet_gives_pytorchs_numbers``
holds glassnet to those numbers (no torch needed); ``test_the_recorded_numbers_are_pytorchs``
re-runs each case on torch, so a number copied wrong cannot hide.
"""

import math
import warnings

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F

nan, inf = math.nan, math.inf
CASES = []


def _a(values, dtype):
    return np.asarray(values, dtype=dtype)


def pytorch_gives(expected):
    """Register a case with the numbers PyTorch gives for it."""
    def register(case):
        case.expected = expected
        CASES.append(case)
        return case

    return register


def _np(t):
    return t.detach().numpy()


def _leaf(lib, data, dtype=None):
    return lib.tensor(data, dtype=dtype or lib.float32, requires_grad=True)


# -- 1. binary cross-entropy on logits: gradient σ(z) - y at z = 0; log1p for small losses
@pytorch_gives({
    "loss": _a(1.0828166, "float32"),
    "grad": _a([-0.16666667, 0.015808625, 0.16443573], "float32"),
    "grad_pos_weight": _a([-0.33333334, 0.015808625, 0.16332026], "float32"),
    "loss_at_30": _a(9.357623e-14, "float32"),
})
def bce_with_logits(lib):
    F = lib.nn.functional
    z = _leaf(lib, [0.0, -3.0, 5.0])
    y = lib.tensor([1.0, 0.0, 0.5])
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    zw = _leaf(lib, [0.0, -3.0, 5.0])
    F.binary_cross_entropy_with_logits(zw, y, pos_weight=lib.tensor(2.0)).backward()
    small = F.binary_cross_entropy_with_logits(lib.tensor([30.0]), lib.tensor([1.0]))
    return {"loss": _np(loss), "grad": _np(z.grad), "grad_pos_weight": _np(zw.grad),
            "loss_at_30": _np(small)}


# -- 2. std of equal values: gradient 0, not NaN ----------------------------------------
@pytorch_gives({"std": _a(0.0, "float32"), "grad": _a([0.0, 0.0, 0.0], "float32")})
def std_of_constant(lib):
    x = _leaf(lib, [1.0, 1.0, 1.0])
    s = x.std()
    s.backward()
    return {"std": _np(s), "grad": _np(x.grad)}


# -- 3. x ** 0 at x = 0: gradient 0, for a number and a tensor exponent --------------------
@pytorch_gives({
    "scalar_exponent": _a([0.0, 0.0], "float32"),
    "tensor_exponent_base": _a([0.0, 1.0], "float32"),
    "tensor_exponent_exp": _a([0.0, 1.3862944], "float32"),
})
def pow_zero_at_zero(lib):
    x = _leaf(lib, [0.0, 2.0])
    (x**0).sum().backward()
    b = _leaf(lib, [0.0, 2.0])
    e = _leaf(lib, [0.0, 1.0])
    (b**e).sum().backward()
    return {"scalar_exponent": _np(x.grad), "tensor_exponent_base": _np(b.grad),
            "tensor_exponent_exp": _np(e.grad)}


# -- 4. clip to tensor bounds: x equal to a bound keeps the whole gradient ------------------
@pytorch_gives({
    "tie_min": _a([1.0], "float32"),
    "out": _a([1.0, 1.0, 1.5, 2.0, 2.0], "float32"),
    "x": _a([0.0, 2.0, 3.0, 4.0, 0.0], "float32"),
    "lo": _a([1.0, 0.0, 0.0, 0.0, 0.0], "float32"),
    "hi": _a([0.0, 0.0, 0.0, 0.0, 5.0], "float32"),
})
def clip_tensor_ties(lib):
    x = _leaf(lib, [1.0])
    x.clip(lib.tensor([1.0])).sum().backward()
    v = _leaf(lib, [0.0, 1.0, 1.5, 2.0, 3.0])
    lo = _leaf(lib, [1.0, 1.0, 1.0, 1.0, 1.0])
    hi = _leaf(lib, [2.0, 2.0, 2.0, 2.0, 2.0])
    out = v.clip(lo, hi)
    (out * lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    return {"tie_min": _np(x.grad), "out": _np(out), "x": _np(v.grad), "lo": _np(lo.grad),
            "hi": _np(hi.grad)}


# -- 5. every target ignored (mean): loss NaN, gradient 0 ------------------------------------
@pytorch_gives({
    "ce": _a(nan, "float32"),
    "ce_grad": _a([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "float32"),
    "nll": _a(nan, "float32"),
    "nll_grad": _a([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "float32"),
    "smoothed": _a(nan, "float32"),
    "smoothed_grad": _a([[0.0, 0.0, 0.0]], "float32"),
})
def everything_ignored(lib):
    F = lib.nn.functional
    z = _leaf(lib, [[0.0, 1.0, 2.0], [1.0, 0.0, -1.0]])
    ce = F.cross_entropy(z, lib.tensor([-100, -100]))
    ce.backward()
    logp = _leaf(lib, [[-1.0, -2.0, -0.5], [-0.3, -1.0, -2.0]])
    nll = F.nll_loss(logp, lib.tensor([1, 1]), ignore_index=1)
    nll.backward()
    zs = _leaf(lib, [[0.0, 1.0, 2.0]])
    smoothed = F.cross_entropy(zs, lib.tensor([-100]), label_smoothing=0.1)
    smoothed.backward()
    return {"ce": _np(ce), "ce_grad": _np(z.grad), "nll": _np(nll), "nll_grad": _np(logp.grad),
            "smoothed": _np(smoothed), "smoothed_grad": _np(zs.grad)}


# -- 6. binary cross-entropy at p = 0 and 1: logs clamped at -100, gradient ±1e12 --------------
@pytorch_gives({
    "loss": _a(100.0, "float32"),
    "grad": _a([-5e11, 5e11], "float32"),
    "grad_1e-20": _a([-1000000003995.8029], "float64"),
    "weighted": _a(3.465736, "float32"),
    "weighted_grad_p": _a([-8.0, 1.0], "float32"),
    "weighted_grad_y": _a([2.1972246, -0.0], "float32"),
})
def bce_at_the_edges(lib):
    F = lib.nn.functional
    p = _leaf(lib, [0.0, 1.0])
    loss = F.binary_cross_entropy(p, lib.tensor([1.0, 0.0]))
    loss.backward()
    q = _leaf(lib, [1e-20], lib.float64)
    F.binary_cross_entropy(q, lib.tensor([1.0], dtype=lib.float64)).backward()
    r = _leaf(lib, [0.25, 0.5])
    t = _leaf(lib, [1.0, 0.25])
    weighted = F.binary_cross_entropy(r, t, weight=lib.tensor([2.0, 1.0]), reduction="sum")
    weighted.backward()
    return {"loss": _np(loss), "grad": _np(p.grad), "grad_1e-20": _np(q.grad),
            "weighted": _np(weighted), "weighted_grad_p": _np(r.grad),
            "weighted_grad_y": _np(t.grad)}


# -- 7. var with n ≤ correction: the divisor is 0 -----------------------------------------
@pytorch_gives({"n2": _a(inf, "float32"), "n1": _a(nan, "float32"), "std_n2": _a(inf, "float32")})
def var_without_degrees_of_freedom(lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns: degrees of freedom <= 0
        two = lib.tensor([1.0, 2.0]).var(correction=2)
        one = lib.tensor([1.0]).var(correction=2)
        std = lib.tensor([1.0, 2.0]).std(correction=2)
    return {"n2": _np(two), "n1": _np(one), "std_n2": _np(std)}


# -- 9. cross-entropy / NLL over (N, C, d) with reduction='none': shape (N, d) ---------------
@pytorch_gives({
    "ce": _a([[2.407606, 2.407606, 2.169846, 0.09567437],
              [2.1041307, 0.4643688, 0.0, 1.5514448]], "float32"),
    "ce_grad": _a([[[-0.90996945, 0.48945698, 2.531384, -0.36496043],
                    [0.24472849, -1.8199389, 0.12603019, 0.29838225],
                    [0.66524094, 1.3304819, -2.6574144, 0.06657806]],
                   [[2.7327468, 0.8414663, 0.0, 1.6955323],
                    [1.6574948, 1.3873434, 0.0, -6.3044677],
                    [-4.3902416, -2.2288098, 0.0, 4.608935]]], "float32"),
    "nll": _a([[0.5, 2.0]], "float32"),
})
def cross_entropy_none_keeps_extra_dims(lib):
    F = lib.nn.functional
    z = _leaf(lib, [[[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, -1.0, 0.5], [2.0, 2.0, 0.0, -1.0]],
                    [[0.5, -0.5, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0], [-1.0, 1.0, 3.0, 1.0]]])
    y = lib.tensor([[0, 1, 2, 0], [2, 2, -100, 1]])
    ce = F.cross_entropy(z, y, reduction="none")
    (ce * lib.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])).sum().backward()
    nll = F.nll_loss(lib.tensor([[[-1.0, -2.0], [-0.5, -3.0]]]), lib.tensor([[1, 0]]),
                     reduction="none")
    return {"ce": _np(ce), "ce_grad": _np(z.grad), "nll": _np(nll)}


# -- 10. an integer index is applied first (PyTorch), never moved like an array index -------
@pytorch_gives({
    "out": _a([[0.0, 2.0, 2.0], [3.0, 5.0, 5.0]], "float32"),
    "grad": _a([[[1.0, 0.0, 5.0], [4.0, 0.0, 11.0]]], "float32"),
})
def int_index_then_list(lib):
    x = _leaf(lib, [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]])
    out = x[0, :, [0, 2, 2]]
    (out * lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    return {"out": _np(out), "grad": _np(x.grad)}


# -- 11. dim=() reduces every axis --------------------------------------------------------
@pytorch_gives({
    "sum": _a(10.0, "float32"),
    "mean": _a(2.5, "float32"),
    "grad": _a([[1.25, 1.25], [1.25, 1.25]], "float32"),
    "amax": _a(4.0, "float32"),
    "var": _a(1.6666666, "float32"),
})
def reduce_over_empty_dims(lib):
    x = _leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
    s = x.sum(dim=())
    m = x.mean(dim=())
    (s + m).backward()
    return {"sum": _np(s), "mean": _np(m), "grad": _np(x.grad),
            "amax": _np(x.amax(dim=())), "var": _np(x.var(dim=()))}


# -- 12. result dtypes -------------------------------------------------------------------
@pytorch_gives({
    "int_pow_half": "float32", "int_clip_floats": "float32", "int_clip_ints": "int64",
    "empty_list": "float32", "empty_nested": "float32", "cat_f32_i64": "float32",
    "stack_i32_i64": "int64", "i32_plus_0d_i64": "int32", "i32_plus_int": "int32",
    "i32_plus_0d_f64": "float64", "f32_plus_0d_f64": "float32", "0d_i32_plus_0d_i64": "int64",
    "bool_plus_0d_i64": "int64", "u8_plus_i8": "int16", "i64_plus_f16": "float16",
    "i64_clip_0d_float": "float32",
})
def dtypes(lib):
    i64, i32 = lib.tensor([1, 2, 3]), lib.tensor([1, 2, 3], dtype=lib.int32)
    made = {
        "int_pow_half": i64**0.5,
        "int_clip_floats": i64.clip(0.5, 2.5),
        "int_clip_ints": i64.clip(1, 2),
        "empty_list": lib.tensor([]),
        "empty_nested": lib.tensor([[], []]),
        "cat_f32_i64": lib.cat([lib.tensor([1.0]), lib.tensor([1])]),
        "stack_i32_i64": lib.stack([i32, i64]),
        "i32_plus_0d_i64": i32 + lib.tensor(3),
        "i32_plus_int": i32 + 3,
        "i32_plus_0d_f64": i32 + lib.tensor(3.0, dtype=lib.float64),
        "f32_plus_0d_f64": lib.tensor([1.0]) + lib.tensor(3.0, dtype=lib.float64),
        "0d_i32_plus_0d_i64": lib.tensor(1, dtype=lib.int32) + lib.tensor(3),
        "bool_plus_0d_i64": lib.tensor([True]) + lib.tensor(3),
        "u8_plus_i8": lib.tensor(np.array([1], np.uint8)) + lib.tensor(np.array([1], np.int8)),
        "i64_plus_f16": i64 + lib.tensor([1.0, 1.0, 1.0], dtype=lib.float16),
        "i64_clip_0d_float": i64.clip(lib.tensor(0.5)),
    }
    return {k: str(v.dtype).replace("torch.", "") for k, v in made.items()}


# -- 13. where PyTorch works: 0-d reductions over dim 0, empty tensors, negative padding ----
@pytorch_gives({
    "sum": _a(2.0, "float32"), "grad": _a(1.0, "float32"), "mean": _a(2.0, "float32"),
    "amax": _a(2.0, "float32"), "logsumexp": _a(2.0, "float32"), "max": _a(2.0, "float32"),
    "argmax": _a(0, "int64"), "var": _a(nan, "float32"),
})
def zero_d_reductions(lib):
    x = _leaf(lib, 2.0)
    s = x.sum(0)
    s.backward()
    values, indices = x.max(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns: degrees of freedom <= 0
        var = x.var(0)
    return {"sum": _np(s), "grad": _np(x.grad), "mean": _np(x.mean(-1)),
            "amax": _np(x.amax(0)), "logsumexp": _np(x.logsumexp(0)), "max": _np(values),
            "argmax": _np(indices), "var": _np(var)}


@pytorch_gives({
    "logsumexp0": _a([-inf, -inf, -inf], "float32"),
    "logsumexp1": _a(np.zeros((0,)), "float32"),
    "mean0": _a([nan, nan, nan], "float32"),
    "softmax1": _a(np.zeros((0, 3)), "float32"),
    "flatten": _a(np.zeros((0, 6)), "float32"),
    "no_columns": _a(np.zeros((2, 0)), "float32"),
    "no_columns_grad": _a([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "float32"),
})
def empty_tensors(lib):
    e = lib.zeros(0, 3)
    x = _leaf(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    picked = x[:, []]
    picked.sum().backward()
    return {"logsumexp0": _np(e.logsumexp(0)), "logsumexp1": _np(e.logsumexp(1)),
            "mean0": _np(e.mean(0)), "softmax1": _np(e.softmax(1)),
            "flatten": _np(lib.nn.Flatten()(lib.zeros(0, 2, 3))),
            "no_columns": _np(picked), "no_columns_grad": _np(x.grad)}


@pytorch_gives({
    "out": _a([1.0, 2.0, 3.0, 4.0, 0.0], "float32"),
    "grad": _a([0.0, 1.0, 2.0, 3.0, 4.0], "float32"),
    "grid": _a([[9.0, 3.0, 4.0]], "float32"),
})
def negative_padding(lib):
    F = lib.nn.functional
    x = _leaf(lib, [0.0, 1.0, 2.0, 3.0, 4.0])
    out = F.pad(x, (-1, 1))
    (out * lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    grid = F.pad(lib.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]), (1, -1, -1, 0), value=9.0)
    return {"out": _np(out), "grad": _np(x.grad), "grid": _np(grid)}


@pytorch_gives({
    "loss": _a(1.5, "float32"), "grad": _a([[-1.0, 0.0]], "float32"), "l1": _a(4.0, "float32"),
    "warned": ["UserWarning", "UserWarning"],
})
def mse_broadcasts(lib):
    F = lib.nn.functional
    x = _leaf(lib, [[1.0, 2.0]])
    y = lib.tensor([[1.0], [3.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = F.mse_loss(x, y)
        l1 = F.l1_loss(x, y, reduction="sum")
    loss.backward()
    return {"loss": _np(loss), "grad": _np(x.grad), "l1": _np(l1),
            "warned": [w.category.__name__ for w in caught]}


# -- the two checks over every case ------------------------------------------------------------
def _assert_same(got, expected, name):
    assert got.keys() == expected.keys(), name
    for key, want in expected.items():
        have = got[key]
        if isinstance(want, (str, list)):
            assert have == want, (name, key)
            continue
        assert have.shape == want.shape and have.dtype == want.dtype, (name, key, have, want)
        np.testing.assert_allclose(have, want, rtol=1e-6, atol=0, err_msg=f"{name}: {key}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_glassnet_gives_pytorchs_numbers(case):
    _assert_same(case(gn), case.expected, case.__name__)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_the_recorded_numbers_are_pytorchs(case):
    torch = pytest.importorskip("torch")
    _assert_same(case(torch), case.expected, case.__name__)


# -- errors that name the problem --------------------------------------------------------------
@pytest.mark.parametrize("dtype", [gn.float64, gn.int64])
def test_linear_refuses_an_input_of_another_dtype(dtype):
    layer = gn.nn.Linear(2, 3)
    x = gn.ones(4, 2, dtype=dtype)
    with pytest.raises(gn.GlassnetTypeError,
                       match=rf"Linear\(2→3\): input dtype {np.dtype(dtype)} does not match the "
                             r"weight's dtype float32; convert the input with x\.float\(\)"):
        layer(x)
    with pytest.raises(gn.GlassnetTypeError, match=r"linear: input dtype .* x\.float\(\)"):
        F.linear(x, layer.weight, layer.bias)
    assert layer(x.float()).dtype == np.float32


def test_linear_float64_layer_names_double():
    layer = gn.nn.Linear(2, 3, dtype=gn.float64)
    with pytest.raises(gn.GlassnetTypeError, match=r"convert the input with x\.double\(\) \(or the "
                                                   r"layer's parameters to float32\)"):
        layer(gn.ones(1, 2))


def test_losses_still_refuse_shapes_that_cannot_broadcast():
    with pytest.raises(gn.ShapeError, match=r"mse_loss: input \(2, 3\) and target \(2,\)"):
        F.mse_loss(gn.zeros(2, 3), gn.zeros(2))


def test_mse_warning_names_both_shapes():
    with pytest.warns(UserWarning, match=r"mse_loss: target shape \(2, 1\) differs from input "
                                         r"shape \(2,\); both are broadcast to \(2, 2\)"):
        F.mse_loss(gn.zeros(2), gn.zeros(2, 1))


def test_negative_padding_that_crops_too_much_is_refused():
    with pytest.raises(gn.GlassnetValueError, match=r"pad: negative padding \(-3, -3\) crops more"):
        F.pad(gn.zeros(5), (-3, -3))


# -- indexing: integers first, as PyTorch, for every layout of ints, slices and arrays ------------
INDEXES = [
    (0, slice(None), [0, 2]),
    ([0, 1], slice(None), 0),
    (slice(None), 0, [1, 2]),
    (0, [0, 1], slice(None)),
    (0, Ellipsis, [0, 1]),
    (Ellipsis, 0, [1, 2]),
    (None, 0, slice(None), [0, 1]),
    (0, slice(None), np.array([True, False, True, False])),
    (np.int64(1), slice(1, None), [3, 0]),
]
SHAPES = [(3, 2), (2, 3), (2, 2), (2, 4), (3, 2), (2, 2), (1, 3, 2), (3, 2), (2, 2)]


@pytest.mark.parametrize(("index", "shape"), zip(INDEXES, SHAPES, strict=True), ids=str)
def test_integer_and_array_indices_give_pytorchs_shape(index, shape):
    data = np.arange(24.0).reshape(2, 3, 4)
    x = gn.tensor(data, requires_grad=True)
    out = x[index]
    assert out.shape == shape
    out.sum().backward()
    assert x.grad.numpy().sum() == np.prod(shape)


@pytest.mark.parametrize("index", INDEXES, ids=str)
def test_integer_and_array_indices_match_torch(index):
    torch = pytest.importorskip("torch")
    data = np.arange(24.0).reshape(2, 3, 4)
    weights = np.arange(1.0, 1.0 + np.prod(torch.tensor(data)[index].shape))
    x, t = gn.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, ref = x[index], t[index]
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    (out * gn.tensor(weights.reshape(out.shape))).sum().backward()
    (ref * torch.tensor(weights.reshape(tuple(ref.shape)))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((0, 3), 1), ((2, 0), 1)])
def test_softmax_family_of_an_empty_tensor_is_empty_as_in_pytorch(shape, dim):
    x = gn.zeros(*shape, requires_grad=True)
    y, z = x.softmax(dim), x.log_softmax(dim)
    assert y.shape == z.shape == shape
    (y.sum() + z.sum()).backward()
    assert x.grad.shape == shape
