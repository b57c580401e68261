"""Matrix multiplication: the primitive every dense layer ends in.

NumPy's rules: 1-D @ 1-D is a dot product, a 1-D operand is treated as a row (left) or a
column (right) and that axis is dropped from the result, N-D operands are stacks of
matrices whose leading (batch) axes broadcast.
"""

from glassnet._backend import namespace
from glassnet._errors import ShapeError
from glassnet.autograd._function import Function
from glassnet.ops._convert import pair, write_out

__all__ = ["matmul", "dot", "mm", "bmm", "mv", "outer", "addmm"]


class MatMul(Function):
    formula = "C = A · B,  C[i,j] = Σ_k A[i,k] · B[k,j]"
    grad_formulas = ("dA = dC · Bᵀ", "dB = Aᵀ · dC")

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:
            da = g @ b.T if self.needs_grad[0] else None
            db = a.T @ g if self.needs_grad[1] else None
            return da, db
        return _general_backward(a, b, g, self.needs_grad)

    def differentiable_backward(self, g, out):
        """``_general_backward`` with Tensor ops: dA = dC·Bᵀ, dB = Aᵀ·dC (1-D operands lifted)."""
        a, b = self.inputs
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if b.ndim == 1:
            g = g.unsqueeze(-1)
        if a.ndim == 1:
            g = g.unsqueeze(-2)
        da = db = None
        if self.needs_grad[0]:
            da = matmul(g, b2.transpose(-1, -2))
            da = da[..., 0, :] if a.ndim == 1 else da
        if self.needs_grad[1]:
            db = matmul(a2.transpose(-1, -2), g)
            db = db[..., :, 0] if b.ndim == 1 else db
        return da, db

    def shape_error(self, inputs, exc):
        a, b = (tuple(t.shape) for t in inputs)
        if not a or not b:
            return ShapeError(
                f"matmul: {a} @ {b} — both operands need at least one dimension "
                "(use * to scale by a scalar)"
            )
        k_left, k_right = a[-1], b[-2] if len(b) > 1 else b[0]
        if k_left != k_right:
            hint = ""
            if len(b) > 1 and b[-1] == k_left:
                hint = " (did you mean to transpose the right operand: A @ B.T?)"
            elif len(a) > 1 and a[-2] == k_right:
                hint = " (did you mean to transpose the left operand: A.T @ B?)"
            return ShapeError(
                f"matmul: {a} @ {b} — inner dimensions {k_left} and {k_right} must match: "
                f"(n×k)·(k×m) → (n×m), each output cell is the dot product of a row of "
                f"length k with a column of length k{hint}"
            )
        return ShapeError(
            f"matmul: {a} @ {b} — the batch dimensions {a[:-2]} and {b[:-2]} cannot broadcast"
        )


def _general_backward(a, b, g, needs):
    """1-D and batched cases: lift 1-D operands to matrices, multiply, drop the axis again.
    Batch axes that broadcast are summed by the engine's unbroadcast."""
    xp = namespace(g)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    if b.ndim == 1:  # the column axis first: for 1-D @ 1-D, g goes () -> (1,) -> (1, 1)
        g = xp.expand_dims(g, -1)
    if a.ndim == 1:
        g = xp.expand_dims(g, -2)
    da = db = None
    if needs[0]:
        da = g @ xp.swapaxes(b2, -1, -2)
        if a.ndim == 1:
            da = da[..., 0, :]
    if needs[1]:
        db = xp.swapaxes(a2, -1, -2) @ g
        if b.ndim == 1:
            db = db[..., :, 0]
    return da, db


def matmul(a, b, *, out=None):
    """Matrix product ``a @ b`` (see the module docstring for 1-D and batched rules)."""
    result = MatMul.apply(*pair(a, b))
    return result if out is None else write_out(result, out, "matmul")


def _require_ndim(name, *pairs):
    for what, t, ndim in pairs:
        if t.ndim != ndim:
            raise ShapeError(f"{name}: {what} must have {ndim} dimensions, got shape {tuple(t.shape)} "
                             "(gn.matmul follows NumPy's rules for other shapes)")


def dot(a, b, *, out=None):
    """Dot product of two 1-D tensors."""
    _require_ndim("dot", ("the first operand", a, 1), ("the second operand", b, 1))
    return matmul(a, b, out=out)


def mm(input, mat2, *, out=None):  # noqa: A002  (PyTorch's names)
    """Product of two matrices, (n, k) @ (k, m) → (n, m)."""
    _require_ndim("mm", ("input", input, 2), ("mat2", mat2, 2))
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):  # noqa: A002
    """Batched product (b, n, k) @ (b, k, m) → (b, n, m), the batch sizes equal."""
    _require_ndim("bmm", ("input", input, 3), ("mat2", mat2, 3))
    if input.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm: batch sizes {input.shape[0]} and {mat2.shape[0]} differ "
                         f"({tuple(input.shape)} @ {tuple(mat2.shape)})")
    return matmul(input, mat2, out=out)


def mv(input, vec, *, out=None):  # noqa: A002
    """Matrix times vector, (n, k) @ (k,) → (n,)."""
    _require_ndim("mv", ("input", input, 2), ("vec", vec, 1))
    return matmul(input, vec, out=out)


def outer(input, vec2, *, out=None):  # noqa: A002
    """Outer product of two vectors, (n,) and (m,) → (n, m) with entries aᵢ·bⱼ."""
    _require_ndim("outer", ("input", input, 1), ("vec2", vec2, 1))
    return write_out(input.reshape(-1, 1) * vec2.reshape(1, -1), out, "outer")


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """``beta · input + alpha · (mat1 @ mat2)`` (composed)."""
    product = mm(mat1, mat2)
    product = product if alpha == 1 else product * alpha
    return write_out((input if beta == 1 else input * beta) + product, out, "addmm")
