"""Einstein summation: ``gn.einsum("ij,jk->ik", a, b)`` is ``a @ b``.

The equation is first made explicit: ``...`` becomes letters (the operands are expanded to
a common size there, so the engine sums the gradient back over what was broadcast), and
an equation without ``->`` gets NumPy's and PyTorch's implicit output (the letters that
appear once, in alphabetical order). The :class:`Einsum` primitive then sees letters only.
"""

import string

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import promote
from glassnet.ops._shape import expand

__all__ = ["einsum"]


class Einsum(Function):
    """Backward for operand k is another einsum: ``dy`` with every other operand, summed
    into operand k's letters. A letter only operand k has (summed away by it alone) gets
    the gradient broadcast along it; a repeated letter (``"ii"``, a diagonal) gets it on
    the diagonal and 0 elsewhere."""

    formula = "y[out] = Σ over the letters not in out of Πₖ operandₖ[lettersₖ]"
    grad_formulas = ("d operandₖ[lettersₖ] = Σ dy[out] · Π_{j ≠ k} operandⱼ[lettersⱼ]",)

    @property
    def multilinear(self):
        """Linear in each operand: create_graph differentiates its backward generically."""
        return len(self.inputs)

    def forward(self, *arrays, inputs, output):
        self.arrays = arrays
        return namespace(arrays[0]).einsum(f"{','.join(inputs)}->{output}", *arrays, optimize=True)

    def backward(self, g):
        xp, inputs = namespace(g), self.params["inputs"]
        sizes = {}
        for letters, a in zip(inputs, self.arrays, strict=True):
            sizes.update(zip(letters, a.shape, strict=True))
        needs = self.needs_grad
        return tuple(self._grad_of(xp, k, g, sizes) if need else None for k, need in enumerate(needs))

    def _grad_of(self, xp, k, g, sizes):
        inputs, output = self.params["inputs"], self.params["output"]
        letters = inputs[k]
        unique = "".join(dict.fromkeys(letters))
        others = [(s, a) for j, (s, a) in enumerate(zip(inputs, self.arrays, strict=True)) if j != k]
        reachable = set(output).union(*(s for s, _ in others))
        target = "".join(c for c in unique if c in reachable)
        spec = ",".join([output, *(s for s, _ in others)]) + "->" + target
        d = xp.einsum(spec, g, *(a for _, a in others), optimize=True)
        if target != unique:  # letters summed by this operand alone: the gradient is the same along them
            d = d.reshape([sizes[c] if c in target else 1 for c in unique])
            d = xp.broadcast_to(d, [sizes[c] for c in unique])
        if unique == letters:
            return d
        full = xp.zeros([sizes[c] for c in letters], dtype=g.dtype)
        xp.einsum(f"{letters}->{unique}", full)[...] = d  # the diagonal, a writeable view of full
        return full


def _explicit(equation, operands):
    """(letters per operand, output letters, operands expanded where ``...`` broadcasts)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise GlassnetValueError(f"einsum: {equation!r} names {len(terms)} operands but {len(operands)} "
                                 "were given")
    used = set(equation) - set(".,->")
    spare = [c for c in string.ascii_letters if c not in used]
    widths = [t.ndim - len(term.replace("...", "")) if "..." in term else 0
              for term, t in zip(terms, operands, strict=True)]
    width = max(widths, default=0)
    dots = "".join(spare[:width])
    inputs = [term.replace("...", dots[width - w:]) for term, w in zip(terms, widths, strict=True)]
    for letters, t in zip(inputs, operands, strict=True):
        if len(letters) != t.ndim or not set(letters) <= set(string.ascii_letters):
            raise GlassnetValueError(f"einsum: subscripts {letters!r} do not fit an operand of shape "
                                     f"{tuple(t.shape)} in {equation!r}")
    if arrow:
        output = rhs.replace("...", dots)
    else:
        counts = "".join(inputs)
        output = dots + "".join(sorted(c for c in set(counts) - set(dots) if counts.count(c) == 1))
    return inputs, output, _broadcast_dots(inputs, operands, dots, equation)


def _broadcast_dots(inputs, operands, dots, equation):
    """The operands expanded so that each ``...`` letter has one size (size-1 axes broadcast)."""
    sizes = {}
    for letters, t in zip(inputs, operands, strict=True):
        for c, n in zip(letters, t.shape, strict=True):
            if c in dots and n != 1:
                if sizes.setdefault(c, n) != n:
                    raise GlassnetValueError(f"einsum: the '...' dimensions of {equation!r} do not broadcast "
                                             f"(sizes {sizes[c]} and {n})")
    out = []
    for letters, t in zip(inputs, operands, strict=True):
        shape = tuple(sizes.get(c, n) if c in dots else n for c, n in zip(letters, t.shape, strict=True))
        out.append(t if shape == tuple(t.shape) else expand(t, shape))
    return out


def einsum(equation, *operands):
    """Sum of products over the letters of ``equation`` (NumPy's and PyTorch's notation,
    ``...`` and implicit outputs included); differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(t, Tensor) for t in operands):
        raise GlassnetTypeError("einsum: the operands must be tensors (einsum('ij,jk->ik', a, b))")
    inputs, output, operands = _explicit(equation, operands)
    if len({t.array.dtype for t in operands}) > 1:
        operands = promote(*operands)
    try:
        return Einsum.apply(*operands, inputs=tuple(inputs), output=output)
    except ValueError as exc:
        raise GlassnetValueError(f"einsum: {equation!r} rejects shapes "
                                 f"{[tuple(t.shape) for t in operands]}: {exc}") from exc
