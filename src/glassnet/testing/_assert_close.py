"""``assert_close``: PyTorch's ``torch.testing.assert_close`` for glassnet tensors.

Two tensors are close when they have the same shape (and dtype, unless
``check_dtype=False``) and every element satisfies ``|actual − expected| ≤ atol +
rtol·|expected|``. Without ``rtol``/``atol`` the tolerances are PyTorch's for the dtype:
float16 (1e-3, 1e-5), float32 (1.3e-6, 1e-5), float64 (1e-7, 1e-7), complex the same as
their parts, integers and bools exact. Sequences and mappings are compared item by item.
"""

from collections.abc import Mapping, Sequence

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor

__all__ = ["assert_close"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _array(value):
    if isinstance(value, Tensor):
        return np.asarray(value.detach().cpu().numpy())
    if isinstance(value, bool):
        return np.asarray(value)
    if isinstance(value, int):
        return np.asarray(value, dtype=np.int64)
    if isinstance(value, float):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, complex):
        return np.asarray(value, dtype=np.complex128)
    return None


def _fail(where, text, msg):
    if msg is None and where:
        text += f"\n\nThe failure occurred for item {where}"
    raise AssertionError(text if msg is None else msg)


def _compare_arrays(a, e, rtol, atol, equal_nan, check_dtype, where, msg):
    if a.shape != e.shape:
        _fail(where, f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.", msg)
    if check_dtype and a.dtype != e.dtype:
        _fail(where, f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.", msg)
    if rtol is None:
        rtol, atol = max(_TOLERANCES.get(str(a.dtype), (0.0, 0.0)), _TOLERANCES.get(str(e.dtype), (0.0, 0.0)))
    if a.dtype == bool or e.dtype == bool:
        a, e = a.astype(np.int64), e.astype(np.int64)
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    diff = np.abs(a.astype(np.complex128) - e.astype(np.complex128)).real
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = diff / np.abs(e.astype(np.complex128))
    worst_abs = _worst(np.where(close, -np.inf, diff))
    worst_rel = _worst(np.where(close, -np.inf, relative))
    exact = rtol == 0 and atol == 0
    kind, verdict = ("Scalars" if a.ndim == 0 else "Tensor-likes"), ("equal" if exact else "close")
    if a.ndim == 0:
        body = (f"Expected {e.item()} but got {a.item()}.\nAbsolute difference: {diff.item()}"
                f"{'' if exact else f' (up to {atol} allowed)'}\nRelative difference: {relative.item()}"
                f"{'' if exact else f' (up to {rtol} allowed)'}")
    else:
        body = (f"Mismatched elements: {int((~close).sum())} / {close.size} ({100 * (~close).mean():.1f}%)\n"
                f"Greatest absolute difference: {_number(diff[worst_abs], a.dtype)} at index {worst_abs}"
                f"{'' if exact else f' (up to {atol} allowed)'}\n"
                f"Greatest relative difference: {relative[worst_rel]} at index {worst_rel}"
                f"{'' if exact else f' (up to {rtol} allowed)'}")
    _fail(where, f"{kind} are not {verdict}!\n\n{body}", msg)


def _number(value, dtype):
    """An integer difference prints as an integer, as PyTorch's message does."""
    return int(value) if dtype.kind in "iub" else value


def _worst(values):
    """The index of the largest value (NaN counts as largest); () for a 0-d array."""
    if values.ndim == 0:
        return ()
    flat = np.where(np.isnan(values), np.inf, values)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(flat)), values.shape))


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise ``AssertionError`` (naming the mismatch) unless ``actual`` and ``expected`` are
    close (see the module docstring); tensors, Python numbers, and sequences or mappings
    of them, compared pairwise.

    Example:
        >>> import glassnet as gn
        >>> gn.testing.assert_close(gn.tensor([1.0, 2.0]), gn.tensor([1.0, 2.0 + 1e-7]))
        >>> gn.testing.assert_close(gn.tensor([1.0]), gn.tensor([1.1]))
        Traceback (most recent call last):
        ...
        AssertionError: Tensor-likes are not close!
        <BLANKLINE>
        Mismatched elements: 1 / 1 (100.0%)
        ...
    """
    if (rtol is None) != (atol is None):
        raise GlassnetValueError(f"assert_close: give both rtol and atol or neither, got rtol={rtol}, "
                                 f"atol={atol}")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, "", msg)


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, where, msg):
    a, e = _array(actual), _array(expected)
    if a is not None and e is not None:
        if isinstance(actual, Tensor) != isinstance(expected, Tensor):
            raise GlassnetTypeError(f"assert_close: cannot compare a {type(actual).__name__} with a "
                                    f"{type(expected).__name__}{' (item ' + where + ')' if where else ''}; "
                                    "make both tensors (gn.tensor(...)) or both numbers")
        return _compare_arrays(a, e, rtol, atol, equal_nan, check_dtype, where, msg)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            _fail(where, f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                         f"{sorted(map(str, expected))}", msg)
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, f"{where}[{key!r}]", msg)
        return None
    if isinstance(actual, Sequence) and isinstance(expected, Sequence) and not isinstance(actual, str):
        if len(actual) != len(expected):
            _fail(where, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", msg)
        for i, (x, y) in enumerate(zip(actual, expected, strict=True)):
            _compare(x, y, rtol, atol, equal_nan, check_dtype, f"{where}[{i}]", msg)
        return None
    raise GlassnetTypeError(f"assert_close: no comparison for {type(actual).__name__} and "
                            f"{type(expected).__name__}; give tensors, numbers, or sequences / mappings "
                            "of them")
