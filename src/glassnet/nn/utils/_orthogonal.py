"""The orthogonal parametrization (PyTorch's ``parametrizations.orthogonal``): a weight
(..., n, k) kept orthogonal — ``QᵀQ = I`` when tall, ``QQᵀ = I`` when wide (handled as its
transpose) — as a map of an unconstrained ``original`` X:

- ``matrix_exp``: ``Q = exp(A)[:, :k]``, A = S − Sᵀ, S = tril(X) padded with zero columns to n×n;
- ``cayley``: ``Q = (I − A/2)⁻¹ (I + A/2)[:, :k]`` with the same skew-symmetric A;
- ``householder``: ``Q = H₁…H_k · diag(trunc(diag X))``, ``H_i = I − τ_i v_i v_iᵀ`` with v_i
  from the strict lower triangle of X and ``τ_i = 2 / ‖v_i‖²``.

With ``use_trivialization=True`` the weight is ``base @ Q``: assigning an orthogonal matrix
stores it as the buffer ``base`` (completed to n×n and re-orthogonalised through QR) and
resets X to −I, the point each map sends to the identity.
"""

import numpy as np

from glassnet._backend import default_generator, namespace, to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._module import Module
from glassnet.nn.utils.parametrize import register_parametrization
from glassnet.ops._arrange import tril
from glassnet.ops._linalg_exp import householder_product, matrix_exp
from glassnet.ops._linalg_inverse import solve
from glassnet.ops._shape import cat

__all__ = ["orthogonal"]

_MAPS = ("matrix_exp", "cayley", "householder")


def _const(array, like):
    """``array`` as a constant Tensor on the device of the array ``like``."""
    return Tensor._wrap(namespace(like).asarray(np.ascontiguousarray(array)), False, None)


def _diag(a):
    return np.diagonal(a, axis1=-2, axis2=-1)


def _is_orthogonal(q):
    """Whether the tall q (..., n, k) has ``qᵀq = I`` (to 10·n·ε)."""
    n, k = q.shape[-2:]
    eps = np.finfo(q.dtype).eps
    return np.allclose(np.swapaxes(q, -1, -2) @ q, np.eye(k), atol=10.0 * n * eps)


def _make_orthogonal(a):
    """The Q of ``a = QR`` (a tall, ..., n, k) with diag(R) ≥ 0."""
    q, r = np.linalg.qr(a)
    return q * np.sign(_diag(r))[..., None, :]


class _Orthogonal(Module):
    """``forward(X)`` is the orthogonal Q of the module docstring (times ``base`` when
    trivialised); ``right_inverse(Q)`` gives an X that maps to Q."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):  # noqa: N803  (PyTorch's names)
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X, n, k = X.transpose(-1, -2), k, n
        if self.orthogonal_map == "householder":
            A = tril(X, -1)  # noqa: N806
            tau = 2.0 / (1.0 + (A * A).sum(-2))
            Q = householder_product(A, tau)  # noqa: N806
            signs = np.trunc(_diag(to_numpy(X.array)))[..., None, :]  # not differentiated
            Q = Q * _const(signs, X.array)  # noqa: N806
        else:
            S = tril(X)  # noqa: N806
            if n != k:
                zeros = np.zeros(S.shape[:-2] + (n, n - k), dtype=S.array.dtype)
                S = cat([S, _const(zeros, X.array)], -1)  # noqa: N806
            A = S - S.transpose(-1, -2)  # noqa: N806
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)  # noqa: N806
            else:
                eye = _const(np.eye(n, dtype=A.array.dtype), X.array)
                Q = solve(eye + A * -0.5, eye + A * 0.5)  # noqa: N806
            Q = Q[..., :k]  # noqa: N806
        if "base" in self._buffer_names:
            Q = self.base @ Q  # noqa: N806
        return Q.transpose(-1, -2) if transposed else Q

    def right_inverse(self, Q):  # noqa: N803
        if tuple(Q.shape) != self.shape:
            raise GlassnetValueError(f"orthogonal: expected a matrix or batch of matrices of shape "
                                     f"{self.shape}, got {tuple(Q.shape)}")
        like = Q.array
        q = to_numpy(Q.detach().array)
        n, k = q.shape[-2:]
        transposed = n < k
        if transposed:
            q, n, k = np.swapaxes(q, -1, -2), k, n
        if "base" not in self._buffer_names:
            return _const(self._householder_inverse(q, transposed), like)
        if n == k:
            q = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
        else:
            extra = default_generator().normal(0.0, 1.0, q.shape[:-2] + (n, n - k)).astype(q.dtype)
            q = _make_orthogonal(np.concatenate([q, extra], -1))
        self.base = _const(q, like)
        neg_eye = np.zeros(self.shape, dtype=q.dtype)
        idx = np.arange(min(self.shape[-2:]))
        neg_eye[..., idx, idx] = -1.0
        return _const(neg_eye, like)

    def _householder_inverse(self, q, transposed):
        """X with householder(X) = the Q factor of q: the reflectors of q's QR (geqrf), the
        diagonal the signs of R's (−1 where no reflection was used)."""
        if self.orthogonal_map != "householder":
            raise NotImplementedError("orthogonal: the matrix_exp and cayley maps cannot be assigned "
                                      "to when use_trivialization=False")
        h, tau = np.linalg.qr(q, mode="raw")
        a = np.swapaxes(h, -1, -2).copy()
        idx = np.arange(a.shape[-1])
        sign = np.sign(a[..., idx, idx])
        a[..., idx, idx] = np.where(tau == 0.0, -sign, sign)
        return np.swapaxes(a, -1, -2) if transposed else a


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Make ``module.<name>`` (a matrix or a batch of them, real) orthogonal.

    Args:
        module: the module whose parameter is parametrised.
        name: the parameter's name (default ``"weight"``).
        orthogonal_map: ``"matrix_exp"``, ``"cayley"`` or ``"householder"``; default
            ``"matrix_exp"`` for square matrices, ``"householder"`` otherwise (as PyTorch).
        use_trivialization: keep the current orthogonal point as the buffer ``base`` and
            learn a map around it (default True; PyTorch's dynamic trivialisation).

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.utils.parametrizations.orthogonal(gn.nn.Linear(3, 5, dtype=gn.float64))
        >>> w = layer.weight
        >>> bool(gn.allclose(w.T @ w, gn.eye(3, dtype=gn.float64)))
        True
        >>> list(layer.state_dict())
        ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0.base']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise GlassnetValueError(f"orthogonal: {type(module).__name__} has no tensor {name!r}")
    if weight.ndim < 2:
        raise GlassnetValueError(f"orthogonal: expected a matrix or batch of matrices, got a tensor of "
                                 f"{weight.ndim} dimensions (shape {tuple(weight.shape)})")
    if weight.array.dtype.kind != "f":
        raise GlassnetTypeError(f"orthogonal: supports real floating weights, got {weight.dtype}")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _MAPS:
        raise GlassnetValueError(f'orthogonal: orthogonal_map has to be one of "matrix_exp", "cayley", '
                                 f'"householder"; got {orthogonal_map!r}')
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    return register_parametrization(module, name, orth, unsafe=True)
