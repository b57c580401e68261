"""The user functions of the factorisations (``gn.linalg.cholesky``, ``qr``, ``eigh``,
``eigvalsh``, ``svd``, ``svdvals``) and PyTorch's older top-level forms (``gn.svd`` returns
V, not Vh; ``gn.qr(some=)``). Each applies one primitive of ``_linalg_factor`` and cuts its
packed output apart with differentiable indexing."""

from collections import namedtuple

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.ops._convert import write_out
from glassnet.ops._linalg_checks import require_matrices, require_square
from glassnet.ops._linalg_factor import QR, SVD, Cholesky, Eigh, EighResult, QRResult, SVDResult

__all__ = ["cholesky", "linalg_qr", "linalg_eigh", "eigvalsh", "linalg_svd", "svdvals", "svd", "qr"]

LegacySVDResult = namedtuple("LegacySVDResult", ["U", "S", "V"])


def _cut(packed, batch, sizes_and_shapes):
    """Consecutive pieces of the last axis of ``packed``, each reshaped to ``batch + shape``."""
    pieces, start = [], 0
    for size, shape in sizes_and_shapes:
        pieces.append(packed[..., start : start + size].reshape(batch + shape))
        start += size
    return pieces


def cholesky(A, *, upper=False, out=None):  # noqa: N803  (PyTorch's names)
    """``L`` with ``A = L·Lᵀ`` (``upper=True``: ``U = Lᵀ``, ``A = Uᵀ·U``) for each symmetric
    positive-definite matrix of ``A`` (..., n, n); reads the lower triangle only."""
    require_square("linalg.cholesky", A)
    lower = Cholesky.apply(A)
    return write_out(lower.mT if upper else lower, out, "cholesky")


def linalg_qr(A, mode="reduced", *, out=None):  # noqa: N803
    """``(Q, R)`` with ``A = Q·R`` for ``A`` (..., m, n): ``mode='reduced'`` Q (..., m, k),
    R (..., k, n), k = min(m, n); ``'complete'`` Q (..., m, m), R (..., m, n); ``'r'`` R only
    (Q empty, no gradient)."""
    require_matrices("linalg.qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise GlassnetValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = A.shape[-2:]
    k = m if mode == "complete" else min(m, n)
    q_shape = (0, 0) if mode == "r" else (m, k)
    batch = tuple(A.shape[:-2])
    q, r = _cut(QR.apply(A, mode=mode), batch, [(q_shape[0] * q_shape[1], q_shape), (k * n, (k, n))])
    if mode == "r":
        q = q.detach().reshape(0)  # PyTorch's empty Q, shape (0,)
    result = QRResult(q, r)
    return (
        result
        if out is None
        else QRResult(*(write_out(x, o, "qr") for x, o in zip(result, out, strict=True)))
    )


def linalg_eigh(A, UPLO="L", *, out=None):  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix of ``A`` (..., n, n), the
    values ascending (..., n), the vectors in columns (..., n, n); reads the ``UPLO`` triangle."""
    require_square("linalg.eigh", A)
    _check_uplo(UPLO, "linalg.eigh")
    packed = Eigh.apply(A, UPLO=UPLO)
    result = EighResult(packed[..., 0, :], packed[..., 1:, :])
    return (
        result
        if out is None
        else EighResult(*(write_out(x, o, "eigh") for x, o in zip(result, out, strict=True)))
    )


def eigvalsh(A, UPLO="L", *, out=None):  # noqa: N803
    """The eigenvalues (ascending) of each symmetric matrix of ``A`` (..., n, n) → (..., n)."""
    require_square("linalg.eigvalsh", A)
    _check_uplo(UPLO, "linalg.eigvalsh")
    return write_out(Eigh.apply(A, UPLO=UPLO)[..., 0, :], out, "eigvalsh")


def _check_uplo(uplo, name):
    if uplo not in ("L", "U"):
        raise GlassnetValueError(f"{name}: UPLO must be 'L' or 'U', got {uplo!r}")


def _svd_pieces(A, full_matrices):  # noqa: N803
    m, n = A.shape[-2:]
    k = min(m, n)
    ku, kv = (m, n) if full_matrices else (k, k)
    batch = tuple(A.shape[:-2])
    packed = SVD.apply(A, full_matrices=bool(full_matrices))
    return _cut(packed, batch, [(m * ku, (m, ku)), (k, (k,)), (kv * n, (kv, n))])


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):  # noqa: N803
    """``(U, S, Vh)`` with ``A = U·diag(S)·Vh`` for ``A`` (..., m, n), S descending (..., k);
    ``full_matrices=False`` gives U (..., m, k) and Vh (..., k, n)."""
    require_matrices("linalg.svd", A)
    result = SVDResult(*_svd_pieces(A, full_matrices))
    return (
        result
        if out is None
        else SVDResult(*(write_out(x, o, "svd") for x, o in zip(result, out, strict=True)))
    )


def svdvals(A, *, driver=None, out=None):  # noqa: N803
    """The singular values of each matrix of ``A`` (..., m, n), descending → (..., min(m, n))."""
    require_matrices("linalg.svdvals", A)
    return write_out(_svd_pieces(A, False)[1], out, "svdvals")


def svd(input, some=True, compute_uv=True, *, out=None):  # noqa: A002
    """PyTorch's older ``torch.svd``: ``(U, S, V)`` with ``A = U·diag(S)·Vᵀ`` (V, not Vh);
    ``some=True`` the reduced factors. ``compute_uv=False`` gives zero U and V."""
    require_matrices("svd", input)
    u, s, vh = _svd_pieces(input, not some)
    if not compute_uv:  # PyTorch's zero U (..., m, m) and V (..., n, n)
        m, n = input.shape[-2:]
        zeros = u.detach().array.dtype.type(0)
        u = Tensor._wrap(namespace(input.array).full((*input.shape[:-2], m, m), zeros), False, None)
        vh = Tensor._wrap(namespace(input.array).full((*input.shape[:-2], n, n), zeros), False, None)
    return LegacySVDResult(u, s, vh.mT)


def qr(input, some=True, *, out=None):  # noqa: A002
    """PyTorch's older ``torch.qr``: ``linalg.qr`` with ``some=True`` ↔ ``mode='reduced'``."""
    return linalg_qr(input, "reduced" if some else "complete", out=out)
