"""Batched normal equations: every row's k × k least-squares system at once.

For a sparse weight matrix ``W`` (n_rows × n_cols, CSR) and factors ``F`` (n_cols × k),
row ``u``'s Gram matrix is ``Σ_j W_uj f_j f_jᵀ``. Writing each ``f_j f_jᵀ`` as a row of
``P = [f_j,a · f_j,b]`` (the outer product, flattened), *all* Gram matrices are one
sparse matrix product::

    G_flat = W @ P                  (n_rows, k·k) → reshape (n_rows, k, k)

and the right-hand sides are another, ``B = V @ F`` (n_rows, k). Then one
``np.linalg.solve`` on the (n_rows, k, k) stack. Rows are processed in blocks so that the
stack stays small; nothing of size n_rows × n_cols is ever dense.
"""

import numpy as np

__all__ = ["csr", "solve_rows"]

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
