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

__all__ = ["cg_rows", "csr", "entry_dots", "solve_rows"]

_BLOCK_ELEMENTS = 1 << 22  # k × k entries per block: 32 MB of float64
_DOT_BLOCK_BYTES = 1 << 19  # (entries, k) rows gathered per block of _RowOperator.dots: fit in L2


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


def _repeat_rows(a, counts):
    """``np.repeat(a, counts, axis=0)`` for a C-contiguous (n, k) ``a``, about 1.3 × faster:
    each row moves as one opaque ``k·itemsize``-byte item."""
    row = np.dtype((np.void, a.shape[1] * a.itemsize))
    return a.view(row).ravel().repeat(counts).view(a.dtype).reshape(-1, a.shape[1])


def _row_blocks(indptr, entries):
    """``(r0, r1, e0, e1)``: consecutive row ranges of about ``entries`` entries each (a row
    is never split; ``e0:e1`` are the entries of rows ``r0:r1``)."""
    cuts = np.searchsorted(indptr, np.arange(entries, indptr[-1], entries))
    rows = np.unique(np.concatenate([[0], cuts, [indptr.size - 1]])).tolist()
    ends = indptr[rows].tolist()
    return list(zip(rows[:-1], rows[1:], ends[:-1], ends[1:], strict=True))


class _RowOperator:
    """``p ↦ A p`` for all rows at once, ``A_u = base + s_u·reg·I + Σ_j W_uj f_j f_jᵀ``.

    Built once per half-step (``F`` fixed); every product is two passes over the entries:
    the dots ``f_j·p_u`` (:meth:`dots`), then one sparse product ``(W ∘ dots) @ F`` through
    a CSR matrix whose ``data`` is reused."""

    def __init__(self, W, F, reg, base, row_scale):
        self.F, self.base, self.weights = F, base, W.data
        self.indices, self.counts = W.indices, np.diff(W.indptr)
        self.blocks = _row_blocks(W.indptr, max(1, _DOT_BLOCK_BYTES // (F.shape[1] * F.itemsize)))
        self.scatter = csr(np.zeros(W.nnz, dtype=F.dtype), W.indices, W.indptr, F.shape[0])
        reg = np.broadcast_to(np.asarray(reg, dtype=F.dtype), (F.shape[1],))
        self.ridge = reg if row_scale is None else row_scale[:, None] * reg  # (k,) or (n_rows, k)

    def dots(self, p):
        """(nnz,) ``f_j·p_u`` for every entry (u, j) of W; p (n_rows, k). A few thousand
        entries at a time: the gathered ``f_j`` and repeated ``p_u`` of a block stay in cache,
        where two (nnz, k) arrays would go through memory (~1.5 × slower)."""
        p = np.ascontiguousarray(p)
        out = np.empty(self.indices.size, dtype=self.F.dtype)
        for r0, r1, e0, e1 in self.blocks:
            f = self.F.take(self.indices[e0:e1], axis=0)                  # (entries, k): f_j
            np.einsum("nk,nk->n", f, _repeat_rows(p[r0:r1], self.counts[r0:r1]), out=out[e0:e1])
        return out

    def _diagonal(self, p):
        """``(base + s_u·reg·I) p_u`` for every row."""
        out = self.ridge * p
        if self.base is not None:
            out += p @ self.base
        return out

    def apply(self, p, p_dots):
        """``A p`` given ``p_dots = self.dots(p)``."""
        np.multiply(self.weights, p_dots, out=self.scatter.data)
        out = np.asarray(self.scatter @ self.F)
        out += self._diagonal(p)
        return out

    def residual(self, values, x, x_dots):
        """``b − A x`` with ``b = V @ F`` (``values`` = V's data, W's sparsity) in one sparse
        product: ``(V − W ∘ dots(x)) @ F − (base + s_u·reg·I) x``; ``x_dots = self.dots(x)``."""
        np.subtract(values, self.weights * x_dots, out=self.scatter.data)
        out = np.asarray(self.scatter @ self.F)
        out -= self._diagonal(x)
        return out


def entry_dots(W, F, X):
    """(nnz,) ``f_j·x_u`` for every entry (u, j) of CSR ``W``: F (n_cols, k), X (n_rows, k)."""
    return _RowOperator(W, F, 0.0, None, None).dots(X)


def _ratio(num, den):
    """``num / den`` row-wise, 0 where ``den`` is 0 (a row that has already converged)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)[:, None]


def _same_pattern(V, W):
    """True when CSR ``V`` has exactly ``W``'s entries (the usual case: built together)."""
    same = (V.indices is W.indices or np.array_equal(V.indices, W.indices))
    return same and (V.indptr is W.indptr or np.array_equal(V.indptr, W.indptr))


def cg_rows(W, V, F, reg, x0, base=None, row_scale=None, steps=3, with_dots=False):
    """``steps`` conjugate-gradient steps on the systems of :func:`solve_rows`, from ``x0``.

    Same arguments as :func:`solve_rows` plus ``x0`` (n_rows, k), the starting point (the
    factors of the previous sweep), and ``steps``. Each step, for every row at once::

        α = rᵀr / pᵀAp,   x ← x + α p,   r ← r − α A p,   p ← r + (r'ᵀr' / rᵀr) p

    With ``steps ≥ k`` it reaches the exact solution up to rounding (the systems are SPD);
    three steps per half-sweep are enough for ALS because the start is already close.
    Returns X (n_rows, k) in ``F``'s dtype; with ``with_dots`` also :func:`entry_dots` of X
    (what a training loss needs), kept up to date as ``x_dots += α_u·(f_j·p_u)`` from the
    dots each step computes anyway instead of a pass of its own.
    """
    A = _RowOperator(W, F, reg, None if base is None else base.astype(F.dtype), row_scale)
    x = np.array(x0, dtype=F.dtype)
    x_dots = A.dots(x)
    if _same_pattern(V, W):
        r = A.residual(V.data, x, x_dots)
    else:
        r = (np.asarray(V @ F) - A.apply(x, x_dots)).astype(F.dtype, copy=False)
    p = r.copy()
    rr = np.einsum("nk,nk->n", r, r)
    for _ in range(steps):
        p_dots = A.dots(p)
        Ap = A.apply(p, p_dots)
        alpha = _ratio(rr, np.einsum("nk,nk->n", p, Ap))
        x += alpha * p
        if with_dots:
            x_dots += np.repeat(alpha[:, 0], A.counts) * p_dots
        r -= alpha * Ap
        rr_next = np.einsum("nk,nk->n", r, r)
        p *= _ratio(rr_next, rr)
        p += r
        rr = rr_next
    return (x, x_dots) if with_dots else x
