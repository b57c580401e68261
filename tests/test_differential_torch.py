"""Differential tests against PyTorch: every public op on shapes, dtypes and layouts drawn at random.

``test_torch_reference.py`` checks each registry op on a fixed battery of shapes; this module lets
hypothesis draw the cases instead: any shape with 0 to 3 axes (0-d tensors and sides of 0
included), broadcasting pairs (and, now and then, pairs that do not broadcast), float32 and float64
(int64 and bool for the ops in :data:`INT_OPS` and :data:`NONDIFF`), and non-contiguous inputs
(a transposed or a strided view of a NumPy array, shared by glassnet and torch without a copy).
For each case:

- if PyTorch raises, glassnet must raise (a ``GlassnetError``, ``ValueError``, ``TypeError``,
  ``IndexError`` or ``RuntimeError``), and the other way round;
- otherwise the result's shape, dtype and values agree (float64 to 1e-10, float32 to 1e-5
  relative, integers and bools exactly);
- for float64 inputs the gradients of Σ out·w (w drawn too) agree to 1e-10.

Bounded in CI: :data:`EXAMPLES` examples per op, derandomized (the same cases every run);
``GLASSNET_FUZZ=1`` draws 300 random examples per op. Every name in ``gn.ops.__all__`` is covered
by a registry line, a :data:`NONDIFF` line or a named reason in :data:`NOT_OPS`
(``test_every_public_op_is_covered``).
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import glassnet as gn
from op_registry import BINARY, ND1, ND2, REGISTRY, UNARY

torch = pytest.importorskip("torch")

FUZZ = os.environ.get("GLASSNET_FUZZ") == "1"
EXAMPLES = 300 if FUZZ else 10
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not FUZZ,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large])
ERRORS = (gn.GlassnetError, ValueError, TypeError, IndexError, RuntimeError)
TOL = {"float64": {"rtol": 1e-10, "atol": 1e-12}, "float32": {"rtol": 1e-5, "atol": 1e-6}}
MAX_SIDE = 3

# -- which cases each registry line accepts ------------------------------------------------
# Lines whose helpers build a fixed index for a (rows, n) input (tests/op_registry.py
# _index_for): drawn as 2-d inputs with non-empty sides, so the helper itself never fails.
INDEXED_2D = {"gather", "gather_fewer", "take_along_dim"}

# Registry lines whose helper or torch translation holds for one rank only (not a glassnet limit):
# pad's NumPy form pairs axes from the first, F.pad from the last (equal for 2-d); the fused
# softmax cross-entropy lines build (N, C) targets.
EXACT_NDIM = {"pad_numpy_form": 2, "softmax_cross_entropy": 2, "softmax_cross_entropy_index": 2,
              "softmax_cross_entropy_index_mean": 2, "softmax_cross_entropy_index_sum": 2}

# Registry lines drawn without empty inputs, each with the discrepancy an empty input shows. Both
# are in ops/_reduce.py, which another engineer was editing when this module was written.
_EMPTY_BACKWARD = ("the backward of an empty reduction warns (NumPy RuntimeWarning: {}) where PyTorch is "
                   "silent and returns an empty gradient")
NONEMPTY = {
    **dict.fromkeys(["mean", "mean_dim0", "mean_dim1", "mean_dim1_keepdim"],
                    _EMPTY_BACKWARD.format("divide by zero, Mean.backward's g / n with n = 0")),
    **dict.fromkeys(["logsumexp", "logsumexp_dim1_keepdim", "logsumexp_dim1", "logsumexp_dim0"],
                    _EMPTY_BACKWARD.format("invalid value in reduce, LogSumExp.backward")),
}

# Registry lines that also run on int64 inputs: PyTorch's integer rules (true division and
# int ** negative raise or promote, sums stay int64) must hold in glassnet.
INT_OPS = {
    "add", "add_scalar", "sub", "rsub_scalar", "mul", "div", "rdiv_scalar", "neg", "abs",
    "maximum", "minimum", "max_binary", "min_binary", "where", "where_method", "clip", "clamp_min",
    "sum", "sum_dim0", "sum_dim1_keepdim", "sum_dims_tuple", "sum_method_neg_dim", "amax",
    "amax_dim1", "amax_dim0_keepdim", "amin", "amin_dim0", "max", "max_dim_values", "min",
    "min_dim_keepdim", "prod", "prod_dim0", "cumsum_dim0", "cumsum_dim_last", "sign", "square",
    "pow_scalar_2", "pow_scalar_3", "flip", "flip_all", "roll", "roll_flat", "tril", "triu_diagonal",
    "repeat", "tile", "repeat_interleave", "clone", "t", "movedim", "select", "narrow",
    "remainder", "remainder_operator", "fmod", "mm", "bmm", "mv", "outer", "dot", "matmul_2d_2d",
}

# Registry lines left out of one dtype, each with the discrepancy it would show. They are
# known bugs in files another engineer is editing at the time of writing (see issue #21).
KNOWN = {}

# Registry lines drawn with contiguous inputs only, each with the discrepancy a strided input shows.
CONTIGUOUS_ONLY = {
    "view_method": "Tensor.view of a non-contiguous input copies (NumPy reshape) where PyTorch raises "
                   "'view size is not compatible with input tensor's size and stride'; view lives in "
                   "autograd/_tensor.py",
}


def _family(spec):
    """How the shapes of a registry line are drawn: 'any', 'broadcast', 'nd1', 'nd2', 'indexed'
    or 'battery' (one of the line's own shapes)."""
    if spec.name in INDEXED_2D:
        return "indexed"
    return {UNARY: "any", BINARY: "broadcast", ND1: "nd1", ND2: "nd2", UNARY[1:]: "nd1"}.get(
        spec.shapes, "battery")


def _shapes(spec):
    family = _family(spec)
    low = 1 if spec.name in NONEMPTY else 0
    if spec.name in EXACT_NDIM:
        n = EXACT_NDIM[spec.name]
        return array_shapes(min_dims=n, max_dims=n, min_side=low, max_side=MAX_SIDE).map(lambda s: (s,))
    if family == "any":
        return array_shapes(min_dims=0, max_dims=3, min_side=low, max_side=MAX_SIDE).map(lambda s: (s,))
    if family == "broadcast":
        return st.one_of(
            mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                          max_side=MAX_SIDE).map(lambda b: b.input_shapes),
            st.tuples(array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=MAX_SIDE),
                      array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=MAX_SIDE)))
    if family in ("nd1", "nd2"):
        return array_shapes(min_dims=1 if family == "nd1" else 2, max_dims=3, min_side=low,
                            max_side=MAX_SIDE).map(lambda s: (s,))
    if family == "indexed":
        return array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=MAX_SIDE + 1).map(lambda s: (s,))
    return st.sampled_from(spec.shapes)


# -- inputs ------------------------------------------------------------------------------------
def _values(rng, shape, domain, dtype):
    """Values in ``domain`` ('smooth', 'positive', 'nonzero', 'special' or 'count')."""
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype == "int64":
        low = {"positive": 1, "count": 0}.get(domain, -3)
        a = rng.integers(low, 4, size=shape)
        if domain == "nonzero":
            a = np.where(a == 0, 2, a)
        return a.astype(np.int64)
    if domain == "smooth":
        a = rng.standard_normal(shape)
    elif domain == "special":
        a = rng.choice([0.0, -1.5, 2.0, np.inf, -np.inf, np.nan], size=shape)
    else:
        a = rng.uniform(0.5, 2.0, size=shape)
        if domain == "nonzero":
            a = a * rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(a, dtype=dtype)


def _layout(a, layout):
    """``a``'s values in a view with the given layout: 'c' (contiguous), 'transposed' (the
    transpose of a contiguous array) or 'strided' (every other element of a wider array)."""
    if a.ndim == 0 or layout == "c":
        return a
    if layout == "transposed":
        return np.ascontiguousarray(a.T).T
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


@st.composite
def _case(draw, shapes, domains, dtype, contiguous=False):
    """NumPy inputs (in their drawn layouts) and the seed of the weights w for Σ out·w."""
    seed = draw(st.integers(0, 2**32 - 1))
    kinds = ["c"] if contiguous else ["c", "transposed", "strided"]
    layouts = [draw(st.sampled_from(kinds)) for _ in shapes]
    rng = np.random.default_rng(seed)
    arrays = [_layout(_values(rng, shape, domain, dtype), layout)
              for shape, domain, layout in zip(shapes, domains, layouts, strict=True)]
    return arrays, seed


def _leaves(arrays, grad):
    """The same memory as a glassnet leaf and a torch leaf (no copy: layouts survive)."""
    xs = [gn.from_numpy(a) for a in arrays]
    ts = [torch.from_numpy(a) for a in arrays]
    if grad:
        for x, t in zip(xs, ts, strict=True):
            x.requires_grad_(True)
            t.requires_grad_(True)
    return xs, ts


def _run(f, *args):
    """(result, None, warnings) or (None, the exception, warnings): warnings are recorded, not
    raised, so that a PyTorch warning (var with no degrees of freedom) is not an error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return f(*args), None, caught
        except Exception as e:  # noqa: BLE001 - sorted out by _agree
            return None, e, caught


def _quiet_as_torch(what, g_warned, t_warned):
    """glassnet may warn only where PyTorch warns (a stray NumPy RuntimeWarning is a bug: under
    ``-W error`` it is an exception)."""
    if g_warned and not t_warned:
        pytest.fail(f"{what}: glassnet warns {g_warned[0].category.__name__}: {g_warned[0].message}; "
                    "PyTorch is silent")


def _flat(result):
    """A result as a list of tensors or plain values (tuples and named tuples flattened)."""
    if isinstance(result, (tuple, list)):
        return [r for part in result for r in _flat(part)]
    return [result]


def _agree(what, out, g_err, ref, t_err):
    """Both raised (True), or neither did (False); anything else fails, naming the case."""
    if t_err is not None:
        if g_err is None:
            pytest.fail(f"{what}: PyTorch raises {type(t_err).__name__}: {str(t_err)[:200]}; "
                        f"glassnet returned {_describe(out)}")
        if not isinstance(g_err, ERRORS):
            raise g_err
        return True
    if g_err is not None:
        raise AssertionError(f"{what}: glassnet raises, PyTorch returns {_describe(ref)}") from g_err
    return False


def _describe(result):
    return ", ".join(f"shape {tuple(r.shape)} {r.dtype}" if hasattr(r, "shape") else repr(r)
                     for r in _flat(result))


def _dtype_name(t):
    return str(t.dtype).removeprefix("torch.")


def _compare(what, out, ref):
    """Same structure, shapes, dtypes and values (exact for integers and bools)."""
    outs, refs = _flat(out), _flat(ref)
    assert len(outs) == len(refs), f"{what}: {len(outs)} results, PyTorch {len(refs)}"
    for o, r in zip(outs, refs, strict=True):
        if not isinstance(r, torch.Tensor):
            assert not isinstance(o, gn.Tensor) and o == r, f"{what}: {o!r}, PyTorch {r!r}"
            continue
        assert isinstance(o, gn.Tensor), f"{what}: {o!r}, PyTorch a tensor {tuple(r.shape)}"
        assert o.shape == tuple(r.shape), f"{what}: shape {o.shape}, PyTorch {tuple(r.shape)}"
        assert str(o.dtype) == _dtype_name(r), f"{what}: dtype {o.dtype}, PyTorch {_dtype_name(r)}"
        expect = r.detach().numpy()
        if expect.dtype.kind in "fc":
            np.testing.assert_allclose(o.numpy(), expect, err_msg=what, equal_nan=True, **TOL[str(o.dtype)])
        else:
            np.testing.assert_array_equal(o.numpy(), expect, err_msg=what)


def _compare_grads(what, spec_out, ref, xs, ts, seed):
    """Gradients of Σ out·w for float64 results (w standard normal)."""
    if not (isinstance(ref, torch.Tensor) and ref.requires_grad and ref.dtype == torch.float64):
        return
    w = np.random.default_rng(seed + 1).standard_normal(tuple(ref.shape))
    _, g_err, g_warned = _run(lambda: (spec_out * gn.tensor(w)).sum().backward())
    _, t_err, t_warned = _run(lambda: (ref * torch.from_numpy(w)).sum().backward())
    _quiet_as_torch(f"{what} (backward)", g_warned, t_warned)
    if _agree(f"{what} (backward)", None, g_err, None, t_err):
        return
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        expect = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        assert got.shape == expect.shape, f"{what}: grad {i} shape {got.shape}, PyTorch {expect.shape}"
        np.testing.assert_allclose(got, expect, err_msg=f"{what}: gradient of input {i}", equal_nan=True,
                                   **TOL["float64"])


# -- the registry's differentiable ops -------------------------------------------------------
def _registry_params():
    for spec in REGISTRY:
        if spec.torch is None:
            continue
        dtypes = ["float64", "float32"] + (["int64"] if spec.name in INT_OPS else [])
        for dtype in dtypes:
            marks = ()
            if (spec.name, dtype) in KNOWN:
                marks = pytest.mark.skip(reason=KNOWN[spec.name, dtype])
            yield pytest.param(spec, dtype, id=f"{spec.name}-{dtype}", marks=marks)


@pytest.mark.parametrize("spec, dtype", list(_registry_params()))
@FUZZ_SETTINGS
@given(data=st.data())
def test_registry_op_matches_torch(spec, dtype, data):
    shapes = data.draw(_shapes(spec), label="shapes")
    arrays, seed = data.draw(_case(shapes, spec.domains, dtype, spec.name in CONTIGUOUS_ONLY), label="inputs")
    what = f"{spec.name} on {[(a.shape, str(a.dtype), a.strides) for a in arrays]}"
    xs, ts = _leaves(arrays, grad=dtype.startswith("float"))
    out, g_err, g_warned = _run(spec.run, *xs)
    ref, t_err, t_warned = _run(spec.run_torch, *ts)
    _quiet_as_torch(what, g_warned, t_warned)
    if _agree(what, out, g_err, ref, t_err):
        return
    _compare(what, out, ref)
    if dtype == "float64":
        _compare_grads(what, out, ref, xs, ts, seed)


# -- ops without a gradient ---------------------------------------------------------------
class Nd:
    """One non-differentiable op: glassnet and torch callables, arity, dtypes, shape family and
    value domain (as in the registry)."""

    def __init__(self, name, fn, ref, nargs=1, dtypes=("float64", "float32", "int64", "bool"),
                 family="any", domain="smooth", covers=None):
        self.name, self.fn, self.ref, self.nargs = name, fn, ref, nargs
        self.dtypes, self.family, self.domain = dtypes, family, domain
        self.covers = covers or name
        self.shapes = {"any": UNARY, "broadcast": BINARY, "nd1": ND1}[family]
        self.domains = (domain,) * nargs


def _cmp(how):
    return Nd(how, getattr(gn, how), getattr(torch, how), 2, family="broadcast")


def _method(name, *args, **kwargs):
    return lambda x: getattr(x, name)(*args, **kwargs)


FLOATS, INTS = ("float64", "float32"), ("int64", "bool")
NONDIFF = [
    *[_cmp(how) for how in ("eq", "ne", "lt", "le", "gt", "ge")],
    Nd("compare_lt", lambda a, b: gn.ops.compare(a, b, "lt"), torch.lt, 2, family="broadcast",
       covers="compare"),
    Nd("eq_operator", lambda a, b: a == b, lambda a, b: a == b, 2, family="broadcast", covers="eq"),
    Nd("ge_method", lambda a, b: a.ge(b), lambda a, b: a.ge(b), 2, family="broadcast", covers="ge"),
    *[Nd(n, getattr(gn, n), getattr(torch, n), 2, family="broadcast")
      for n in ("logical_and", "logical_or", "logical_xor")],
    Nd("logical_not", gn.logical_not, torch.logical_not),
    *[Nd(n, getattr(gn, n), getattr(torch, n), 2, family="broadcast")
      for n in ("bitwise_and", "bitwise_or", "bitwise_xor")],
    Nd("bitwise_not", gn.bitwise_not, torch.bitwise_not),
    *[Nd(n, getattr(gn, n), getattr(torch, n), domain="special")
      for n in ("isnan", "isinf", "isfinite", "isposinf", "isneginf")],
    Nd("argmax", gn.argmax, torch.argmax, dtypes=FLOATS + ("int64",)),
    Nd("argmax_dim0", lambda x: gn.argmax(x, 0), lambda x: torch.argmax(x, 0), dtypes=FLOATS,
       covers="argmax"),
    Nd("argmax_method_keepdim", _method("argmax", dim=-1, keepdim=True),
       _method("argmax", dim=-1, keepdim=True), dtypes=FLOATS, family="nd1", covers="argmax"),
    Nd("argmin", gn.argmin, torch.argmin, dtypes=FLOATS + ("int64",)),
    Nd("argmin_dim_last", lambda x: gn.argmin(x, -1), lambda x: torch.argmin(x, -1), dtypes=FLOATS,
       covers="argmin"),
    Nd("argsort", gn.argsort, torch.argsort, dtypes=FLOATS),
    Nd("argsort_dim0_descending", lambda x: gn.argsort(x, 0, descending=True),
       lambda x: torch.argsort(x, 0, descending=True), dtypes=FLOATS, family="nd1", covers="argsort"),
    Nd("argsort_stable_ints", lambda x: gn.argsort(x, stable=True), lambda x: torch.argsort(x, stable=True),
       dtypes=INTS, covers="argsort"),
    Nd("any", gn.any, torch.any),
    Nd("any_dim0_keepdim", lambda x: gn.any(x, 0, keepdim=True), lambda x: torch.any(x, 0, keepdim=True),
       covers="any"),
    Nd("all", gn.all, torch.all),
    Nd("all_dim_last", _method("all", -1), _method("all", -1), covers="all"),
    Nd("count_nonzero", gn.count_nonzero, torch.count_nonzero),
    Nd("count_nonzero_dim0", lambda x: gn.count_nonzero(x, 0), lambda x: torch.count_nonzero(x, 0),
       covers="count_nonzero"),
    Nd("nonzero", gn.nonzero, torch.nonzero),
    Nd("nonzero_as_tuple", lambda x: gn.nonzero(x, as_tuple=True), lambda x: torch.nonzero(x, as_tuple=True),
       covers="nonzero"),
    Nd("bincount", gn.bincount, torch.bincount, dtypes=("int64",), family="nd1", domain="count"),
    Nd("bincount_minlength", lambda x: gn.bincount(x, minlength=5), lambda x: torch.bincount(x, minlength=5),
       dtypes=("int64",), family="nd1", domain="count", covers="bincount"),
    Nd("equal", gn.equal, torch.equal, 2, family="broadcast"),
    Nd("equal_self", lambda x: gn.equal(x, x), lambda x: torch.equal(x, x), dtypes=FLOATS + INTS,
       covers="equal"),
    Nd("allclose", gn.allclose, torch.allclose, 2, dtypes=FLOATS, family="broadcast"),
    Nd("isclose", gn.isclose, torch.isclose, 2, dtypes=FLOATS, family="broadcast"),
    Nd("isclose_self_nan", lambda x: gn.isclose(x, x, equal_nan=True),
       lambda x: torch.isclose(x, x, equal_nan=True), dtypes=FLOATS, domain="special", covers="isclose"),
    Nd("to_device_cpu", lambda x: gn.ops.to_device(x, "cpu"), lambda x: x.to("cpu"), covers="to_device"),
    Nd("floor_divide", gn.floor_divide, torch.floor_divide, 2, dtypes=FLOATS + ("int64",),
       family="broadcast", domain="nonzero"),
]

# Public names of gn.ops that are not ops, with the reason they are not run here.
NOT_OPS = {
    "ACTIVATIONS": "the name -> Activation table behind nn's activation modules, not an op",
    "Activation": "the base class of the activation Functions (relu, gelu, ... are run as ops)",
}


def _nondiff_params():
    for op in NONDIFF:
        for dtype in op.dtypes:
            yield pytest.param(op, dtype, id=f"{op.name}-{dtype}")


@pytest.mark.parametrize("op, dtype", list(_nondiff_params()))
@FUZZ_SETTINGS
@given(data=st.data())
def test_nondifferentiable_op_matches_torch(op, dtype, data):
    shapes = data.draw(_shapes(op), label="shapes")
    arrays, _ = data.draw(_case(shapes, op.domains, dtype), label="inputs")
    what = f"{op.name} on {[(a.shape, str(a.dtype), a.strides) for a in arrays]}"
    xs, ts = _leaves(arrays, grad=False)
    out, g_err, g_warned = _run(op.fn, *xs)
    ref, t_err, t_warned = _run(op.ref, *ts)
    _quiet_as_torch(what, g_warned, t_warned)
    if not _agree(what, out, g_err, ref, t_err):
        _compare(what, out, ref)


def test_every_public_op_is_covered():
    covered = {s.covers for s in REGISTRY if s.torch is not None} | {op.covers for op in NONDIFF}
    assert sorted(set(gn.ops.__all__) - covered - set(NOT_OPS)) == []
