"""Forward-mode differentiation with PyTorch's API (``torch.autograd.forward_ad``): dual
tensors carry a tangent ``v``, and ``unpack_dual(f(x)).tangent`` is the Jacobian-vector
product ``J·v``.

glassnet computes it in reverse mode, with the "double-vjp" trick: a dual tensor is an
ordinary tensor that records a graph; at ``unpack_dual`` the gradient ``g(u) = uᵀ·J`` is
taken with ``create_graph=True`` for a dummy ``u``, and since ``g`` is linear in ``u``, the
gradient of ``⟨g(u), v⟩`` with respect to ``u`` is ``J·v``. The numbers are PyTorch's; the
cost is two backward passes per unpacked output instead of one forward pass.

Example:
    >>> import glassnet.autograd.forward_ad as fwAD
    >>> x = gn.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     dual = fwAD.make_dual(x, gn.tensor([1.0, 0.0]))
    ...     out = dual * dual.sum()                 # f(a) = a·(a₀ + a₁)
    ...     tangent = fwAD.unpack_dual(out).tangent
    >>> tangent.tolist()                            # J's first column: [2a₀ + a₁, a₁]
    [4.0, 2.0]
"""

from collections import namedtuple

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._grad import grad
from glassnet.autograd._tensor import Tensor

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

_levels = []  # one dict per open level: id(dual tensor) → (the dual tensor, its tangent)


def enter_dual_level():
    """Open a new level (duals made in it are forgotten when it closes); returns its number."""
    _levels.append({})
    return len(_levels) - 1


def exit_dual_level(*, level=None):
    """Close the innermost level."""
    if not _levels or (level is not None and level != len(_levels) - 1):
        raise GlassnetValueError("exit_dual_level: no such open dual level (levels close innermost first)")
    _levels.pop()


class dual_level:  # noqa: N801  (PyTorch's name)
    """``with dual_level(): ...`` — the region where dual tensors live."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def make_dual(tensor, tangent, *, level=None):
    """A tensor with the values of ``tensor`` carrying ``tangent`` (same shape and dtype)."""
    if not _levels:
        raise GlassnetValueError("make_dual: open a level first (with fwAD.dual_level(): ...)")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise GlassnetValueError(f"make_dual: the tangent has shape {tuple(tangent.shape)}, the tensor "
                                 f"{tuple(tensor.shape)}; they must match")
    if tensor.dtype.kind != "f":
        raise GlassnetValueError(f"make_dual: the tensor must be floating, got {tensor.dtype}")
    dual = tensor.detach().requires_grad_(True) if not tensor.requires_grad else tensor * 1
    _levels[-1 if level is None else level][id(dual)] = (dual, tangent.detach())
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``: the values, and ``J·v`` for the duals ``tensor`` was computed
    from (None when it depends on none of them)."""
    duals = list(_levels[-1 if level is None else level].values()) if _levels else []
    primal = tensor.detach()
    if not duals or not tensor.requires_grad:
        return UnpackedDualTensor(primal, None)
    dummy = Tensor._wrap(namespace(tensor.array).zeros(tensor.shape, dtype=tensor.dtype), True, None)
    found = grad(tensor, [d for d, _ in duals], dummy, retain_graph=True, create_graph=True,
                 allow_unused=True)
    terms = [(g * v).sum() for g, (_, v) in zip(found, duals, strict=True) if g is not None]
    total = sum(terms) if terms else None
    if total is None or not total.requires_grad:
        return UnpackedDualTensor(primal, None if total is None else _zeros(tensor))
    (tangent,) = grad(total, dummy, retain_graph=True, allow_unused=True)
    return UnpackedDualTensor(primal, _zeros(tensor) if tangent is None else tangent)


def _zeros(like):
    return Tensor._wrap(namespace(like.array).zeros(like.shape, dtype=like.dtype), False, None)
