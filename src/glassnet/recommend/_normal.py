"""Batched normal equations: every row's k × k least-squares system at once.

For a sparse weight matrix ``W`` (n_rows × n_cols, CSR) and factors ``F`` (n_cols × k),
row ``u``'s Gram matrix is ``Σ_j W_uj f_j f_jᵀ``. Writing each ``f_j f_jᵀ`` as a row of
``P = [f_j,a · f_j,b]`` (the outer product, flattened), *all* Gram matrices are one
sparse matrix product::

    G_flat = W @ P                  (n_rows, k·k) → reshape (n_rows, k, k)

and the right-hand sides are another, ``B = V @ F`` (n_rows, k). Then one
``np.linalg.solve`` on the (n_rows, k, k) stack. Rows are processed in blocks so that the
stack stays small; nothing of size n_rows × n_cols is ever dense.

:func:`cg_rows` solves the same systems approximately by a few conjugate-gradient steps
warm-started from the previous factors (the trick of Takács et al. 2011 that `implicit`
uses). It never forms a k × k matrix: a product ``A_u p_u`` is ``base·p_u + s_u·reg·p_u +
Σ_j W_uj (f_j·p_u) f_j`` — one (nnz,) row of dot products and one sparse product for all
rows, O(nnz·k) per step instead of the Gram matrices' O(nnz·k²) plus O(n·k³) solves.
"""

import numpy as np

__all__ = ["cg_rows", "csr", "solve_rows"]

_BLOCK_ELEMENTS = 1 << 22  # k × k entries per block: 32 MB of float64


def csr(data, indices, indptr, n_cols):
    """A ``scipy.sparse.csr_matrix`` over existing arrays (no copy)."""
    from scipy import sparse

    return sparse.csr_matrix((data, indices, indptr), shape=(indptr.size - 1, n_cols))


def _outer_rows(F):
    """(n_cols, k·k): row j is ``f_j f_jᵀ`` flattened. (Computing only a ≤ b halves the
    sparse product but the scatter back into k × k costs more than it saves.)"""
    return (F[:, :, None] * F[:, None, :]).reshape(F.shape[0], -1)


def solve_rows(W, V, F, reg, base=None, row_scale=None):
    """Solve ``(base + Σ_j W_uj f_j f_jᵀ + s_u·reg·I) x_u = Σ_j V_uj f_j`` for every row u.

    ``W``, ``V``: (n_rows, n_cols) CSR with the same sparsity; ``F``: (n_cols, k);
    ``reg``: a number or a (k,) diagonal; ``base``: an optional (k, k) matrix shared by
    all rows (implicit ALS's ``FᵀF``); ``row_scale``: optional (n_rows,) ``s_u`` (1 if
    None). Returns X (n_rows, k) in ``F``'s dtype.
    """
    k = F.shape[1]
    P = _outer_rows(F)
    B = np.asarray(V @ F)
    ridge = np.diag(np.broadcast_to(np.asarray(reg, dtype=F.dtype), (k,))).astype(F.dtype)
    base = np.zeros((k, k), dtype=F.dtype) if base is None else base.astype(F.dtype)
    X = np.empty((W.shape[0], k), dtype=F.dtype)
    block = max(1, _BLOCK_ELEMENTS // (k * k))
    for start in range(0, W.shape[0], block):
        stop = min(start + block, W.shape[0])
        A = np.asarray(W[start:stop] @ P).reshape(stop - start, k, k)    # Σ_j W_uj f_j f_jᵀ
        if row_scale is None:
            A += base + ridge
        else:
            A += base
            A += row_scale[start:stop, None, None] * ridge
        X[start:stop] = np.linalg.solve(A, B[start:stop, :, None])[..., 0]
    return X


class _RowOperator:
    """``p ↦ A p`` for all rows at once, ``A_u = base + s_u·reg·I + Σ_j W_uj f_j f_jᵀ``."""

    def __init__(self, W, F, reg, base, row_scale):
        self.W, self.F, self.base = W, F, base
        self.gathered = F[W.indices]                                        # (nnz, k): f_j per entry
        self.counts = np.diff(W.indptr)
        reg = np.broadcast_to(np.asarray(reg, dtype=F.dtype), (F.shape[1],))
        self.ridge = reg if row_scale is None else row_scale[:, None] * reg  # (k,) or (n_rows, k)

    def __call__(self, p):
        dots = np.einsum("nk,nk->n", self.gathered, np.repeat(p, self.counts, axis=0))
        out = np.asarray(csr(self.W.data * dots, self.W.indices, self.W.indptr, self.F.shape[0]) @ self.F)
        out += self.ridge * p
        if self.base is not None:
            out += p @ self.base
        return out


def _ratio(num, den):
    """``num / den`` row-wise, 0 where ``den`` is 0 (a row that has already converged)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)[:, None]


def cg_rows(W, V, F, reg, x0, base=None, row_scale=None, steps=3):
    """``steps`` conjugate-gradient steps on the systems of :func:`solve_rows`, from ``x0``.

    Same arguments as :func:`solve_rows` plus ``x0`` (n_rows, k), the starting point (the
    factors of the previous sweep), and ``steps``. Each step, for every row at once::

        α = rᵀr / pᵀAp,   x ← x + α p,   r ← r − α A p,   p ← r + (r'ᵀr' / rᵀr) p

    With ``steps ≥ k`` it reaches the exact solution up to rounding (the systems are SPD);
    three steps per half-sweep are enough for ALS because the start is already close.
    Returns X (n_rows, k) in ``F``'s dtype.
    """
    A = _RowOperator(W, F, reg, None if base is None else base.astype(F.dtype), row_scale)
    x = np.array(x0, dtype=F.dtype)
    r = np.asarray(V @ F) - A(x)
    p = r.copy()
    rr = np.einsum("nk,nk->n", r, r)
    for _ in range(steps):
        Ap = A(p)
        alpha = _ratio(rr, np.einsum("nk,nk->n", p, Ap))
        x += alpha * p
        r -= alpha * Ap
        rr_next = np.einsum("nk,nk->n", r, r)
        p = r + _ratio(rr_next, rr) * p
        rr = rr_next
    return x
