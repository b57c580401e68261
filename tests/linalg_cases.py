"""Op-registry entries for ``gn.linalg`` and PyTorch's top-level linear-algebra names.

The registry draws plain random inputs; these entries turn them into the matrices each
function wants inside the function itself (so the gradient flows through that too):
``_shifted`` adds 4·I to a standard normal matrix (well conditioned), ``_spd`` gives
X·Xᵀ + n·I (symmetric positive-definite), ``_sym`` gives X + Xᵀ. Eigenvectors and singular
vectors are fixed only up to sign, so entries read them through sign-free forms
(``V * V``), and factors of several outputs are flattened side by side into one tensor.
"""

import math

import numpy as np

import glassnet as gn
from linalg_lu_cases import lu_ops

__all__ = ["linalg_ops"]

L = gn.linalg
SQ = (((3, 3),), ((2, 2, 2),))  # a matrix and a batch of two
SQ_LARGE = ((5, 5),)


class _Lib:
    """Builds the helpers for one framework (glassnet, torch or NumPy)."""

    def __init__(self, name):
        self.name = name

    def _mod(self):
        if self.name == "torch":
            import torch

            return torch
        return gn if self.name == "gn" else np

    def eye(self, x):
        m = self._mod()
        n = x.shape[-1]
        return m.eye(n, dtype=x.dtype) if self.name != "np" else np.eye(n, dtype=x.dtype)

    def mT(self, x):  # noqa: N802
        return np.swapaxes(x, -1, -2) if self.name == "np" else x.mT

    def shifted(self, x):
        return x + 4 * self.eye(x)

    def spd(self, x):
        return x @ self.mT(x) + x.shape[-1] * self.eye(x)

    def sym(self, x):
        return x + self.mT(x)

    def flat(self, kinds, *parts):
        """The parts side by side on the last axis; ``kinds`` says which are matrices ('m',
        their last two axes flattened) and which vectors ('v')."""

        def flatten(p, kind):
            if kind == "v":
                return p
            return np.reshape(p, p.shape[:-2] + (-1,)) if self.name == "np" else p.flatten(-2)

        pieces = [flatten(p, k) for p, k in zip(parts, kinds, strict=True)]
        return np.concatenate(pieces, -1) if self.name == "np" else self._mod().cat(pieces, -1)


G, TT, N = _Lib("gn"), _Lib("torch"), _Lib("np")


def _torch_linalg():
    import torch

    return torch.linalg


def _torch():
    import torch

    return torch


def _np_matrix_norm(a, ord):  # noqa: A002
    return np.linalg.norm(a, ord, axis=(-2, -1))


def _np_pinv(a):
    return np.linalg.pinv(a)


def _np_expm(a, squarings=6, terms=24):
    """exp(A) by the Taylor series of A / 2^s, squared s times (the reference, not the algorithm)."""
    x = a / 2.0**squarings
    term = result = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    for k in range(1, terms):
        term = term @ x / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


def _np_householder_product(a, tau):
    """The first n columns of Π_i (I − τ_i v_i v_iᵀ), v_i = e_i + the part of column i below the diagonal."""
    m, n = a.shape[-2:]
    q = np.broadcast_to(np.eye(m), a.shape[:-2] + (m, m)).copy()
    for i in range(tau.shape[-1]):
        lead = a.shape[:-2]
        v = np.concatenate([np.zeros(lead + (i,)), np.ones(lead + (1,)), a[..., i + 1:, i]], -1)
        q = q - tau[..., i, None, None] * (q @ v[..., :, None]) @ v[..., None, :]
    return q[..., :n]


def _np_lstsq(a, b):
    return np.linalg.pinv(a) @ b


def linalg_ops(O):  # noqa: N803  (the registry's OpSpec)
    tl, t = _torch_linalg, _torch
    cases = [
        # -- inverses and determinants ----------------------------------------------------------
        O(
            "linalg_inv",
            lambda x: L.inv(G.shifted(x)),
            lambda x: np.linalg.inv(N.shifted(x)),
            lambda x: tl().inv(TT.shifted(x)),
            "Inverse",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "inverse",
            lambda x: gn.inverse(G.shifted(x)),
            lambda x: np.linalg.inv(N.shifted(x)),
            lambda x: t().inverse(TT.shifted(x)),
            "inverse",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "inverse_method",
            lambda x: G.shifted(x).inverse(),
            lambda x: np.linalg.inv(N.shifted(x)),
            lambda x: TT.shifted(x).inverse(),
            "inverse",
            domain="smooth",
            shapes=SQ[:1],
            large=SQ_LARGE,
        ),
        O(
            "linalg_det",
            lambda x: L.det(x),
            np.linalg.det,
            lambda x: tl().det(x),
            "Det",
            domain="smooth",
            shapes=(*SQ, ((1, 1),)),
            large=SQ_LARGE,
        ),
        O(
            "det",
            gn.det,
            np.linalg.det,
            lambda x: t().det(x),
            "det",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "det_method",
            lambda x: x.det(),
            np.linalg.det,
            lambda x: x.det(),
            "det",
            domain="smooth",
            shapes=SQ[:1],
            large=SQ_LARGE,
        ),
        O(
            "slogdet",
            lambda x: gn.slogdet(x)[1],
            lambda x: np.linalg.slogdet(x)[1],
            lambda x: t().slogdet(x)[1],
            "slogdet",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_slogdet_product",
            lambda x: L.slogdet(x).logabsdet * L.slogdet(x).sign,
            lambda x: np.prod(np.linalg.slogdet(x), axis=0),
            lambda x: tl().slogdet(x).logabsdet * tl().slogdet(x).sign,
            "LogAbsDet",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "logdet",
            lambda x: gn.logdet(G.spd(x)),
            lambda x: np.linalg.slogdet(N.spd(x))[1],
            lambda x: t().logdet(TT.spd(x)),
            "logdet",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_solve",
            L.solve,
            lambda a, b: np.linalg.solve(a, b),
            lambda a, b: tl().solve(a, b),
            "Solve",
            2,
            domain="smooth",
            shapes=(((2, 2), (2, 3)), ((2, 3, 3), (3, 1)), ((3, 3), (2, 3, 2))),
            large=((5, 5), (5, 4)),
        ),
        O(
            "linalg_solve_vector",
            lambda a, b: L.solve(G.shifted(a), b),
            lambda a, b: np.linalg.solve(N.shifted(a), b[..., None])[..., 0],
            lambda a, b: tl().solve(TT.shifted(a), b),
            "Solve",
            2,
            domain="smooth",
            shapes=(((3, 3), (3,)), ((2, 3, 3), (2, 3))),
            large=((5, 5), (5,)),
        ),
        O(
            "linalg_solve_right",
            lambda a, b: L.solve(G.shifted(a), b, left=False),
            lambda a, b: np.swapaxes(np.linalg.solve(N.mT(N.shifted(a)), N.mT(b)), -1, -2),
            lambda a, b: tl().solve(TT.shifted(a), b, left=False),
            "Solve",
            2,
            domain="smooth",
            shapes=(((3, 3), (2, 3)),),
            large=((5, 5), (4, 5)),
        ),
        O(
            "linalg_solve_triangular",
            lambda a, b: L.solve_triangular(G.shifted(a), b, upper=True),
            lambda a, b: np.linalg.solve(np.triu(N.shifted(a)), b),
            lambda a, b: tl().solve_triangular(TT.shifted(a), b, upper=True),
            "Solve",
            2,
            domain="smooth",
            shapes=(((3, 3), (3, 2)),),
            large=((5, 5), (5, 3)),
        ),
        O(
            "linalg_solve_triangular_unit_right",
            lambda a, b: L.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
            lambda a, b: np.swapaxes(
                np.linalg.solve(N.mT(np.tril(a, -1) + np.eye(a.shape[-1])), N.mT(b)), -1, -2
            ),
            lambda a, b: tl().solve_triangular(a, b, upper=False, left=False, unitriangular=True),
            "Solve",
            2,
            domain="smooth",
            shapes=(((3, 3), (2, 3)),),
            large=((5, 5), (4, 5)),
        ),
        O(
            "linalg_pinv",
            lambda x: L.pinv(x),
            _np_pinv,
            lambda x: tl().pinv(x),
            "PseudoInverse",
            domain="smooth",
            shapes=(((4, 3),), ((2, 3),), ((2, 5, 3),)),
            large=((6, 4),),
        ),
        O(
            "linalg_pinv_hermitian",
            lambda x: L.pinv(G.spd(x), hermitian=True),
            lambda x: np.linalg.pinv(N.spd(x)),
            lambda x: tl().pinv(TT.spd(x), hermitian=True),
            "PseudoInverse",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "pinverse",
            lambda x: gn.pinverse(x),
            _np_pinv,
            lambda x: t().pinverse(x),
            "pinverse",
            domain="smooth",
            shapes=(((3, 2),),),
            large=((6, 4),),
        ),
        # -- factorisations -----------------------------------------------------------------------
        O(
            "cholesky",
            lambda x: gn.cholesky(G.spd(x)),
            lambda x: np.linalg.cholesky(N.spd(x)),
            lambda x: t().linalg.cholesky(TT.spd(x)),
            "cholesky",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_cholesky_upper",
            lambda x: L.cholesky(G.spd(x), upper=True),
            lambda x: N.mT(np.linalg.cholesky(N.spd(x))),
            lambda x: tl().cholesky(TT.spd(x), upper=True),
            "Cholesky",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_qr",
            lambda x: G.flat("mm", *L.qr(x)),
            lambda x: N.flat("mm", *np.linalg.qr(x)),
            lambda x: TT.flat("mm", *tl().qr(x)),
            "QR",
            domain="smooth",
            shapes=(((4, 2),), ((2, 4),), ((2, 3, 2),)),
            large=((6, 4),),
        ),
        O(
            "linalg_qr_square",
            lambda x: G.flat("mm", *L.qr(G.shifted(x))),
            lambda x: N.flat("mm", *np.linalg.qr(N.shifted(x))),
            lambda x: TT.flat("mm", *tl().qr(TT.shifted(x))),
            "QR",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_qr_complete_wide",
            lambda x: G.flat("mm", *L.qr(x, mode="complete")),
            lambda x: N.flat("mm", *np.linalg.qr(x, mode="complete")),
            lambda x: TT.flat("mm", *tl().qr(x, mode="complete")),
            "QR",
            domain="smooth",
            shapes=(((2, 3),),),
            large=((3, 5),),
        ),
        O(
            "qr",
            lambda x: G.flat("mm", *gn.qr(x)),
            lambda x: N.flat("mm", *np.linalg.qr(x)),
            lambda x: TT.flat("mm", *tl().qr(x)),  # torch.qr itself warns that it is deprecated
            "qr",
            domain="smooth",
            shapes=(((4, 3),),),
            large=((6, 4),),
        ),
        O(
            "linalg_eigh",
            lambda x: G.flat("vm", L.eigh(G.sym(x))[0], L.eigh(G.sym(x))[1] ** 2),
            lambda x: N.flat("vm", np.linalg.eigh(N.sym(x))[0], np.linalg.eigh(N.sym(x))[1] ** 2),
            lambda x: TT.flat("vm", tl().eigh(TT.sym(x))[0], tl().eigh(TT.sym(x))[1] ** 2),
            "Eigh",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_eigh_upper",
            lambda x: L.eigh(G.sym(x), UPLO="U").eigenvectors ** 2,
            lambda x: np.linalg.eigh(N.sym(x), UPLO="U")[1] ** 2,
            lambda x: tl().eigh(TT.sym(x), UPLO="U").eigenvectors ** 2,
            "Eigh",
            domain="smooth",
            shapes=SQ[:1],
            large=SQ_LARGE,
        ),
        O(
            "linalg_eigvalsh",
            lambda x: L.eigvalsh(G.sym(x)),
            lambda x: np.linalg.eigvalsh(N.sym(x)),
            lambda x: tl().eigvalsh(TT.sym(x)),
            "Eigh",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_svd",
            lambda x: G.flat("mvm", *_svd_signless(L.svd(x, full_matrices=False))),
            lambda x: N.flat("mvm", *_svd_signless(np.linalg.svd(x, full_matrices=False))),
            lambda x: TT.flat("mvm", *_svd_signless(tl().svd(x, full_matrices=False))),
            "SVD",
            domain="smooth",
            shapes=(((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)),
            large=((6, 4),),
        ),
        O(
            "linalg_svd_full",
            lambda x: G.flat("mvm", *_svd_signless(L.svd(x), k=2)),
            lambda x: N.flat("mvm", *_svd_signless(np.linalg.svd(x), k=2)),
            lambda x: TT.flat("mvm", *_svd_signless(tl().svd(x), k=2)),
            "SVD",
            domain="smooth",
            shapes=(((4, 2),), ((2, 4),)),
            large=((5, 2),),
        ),
        O(
            "svd",
            lambda x: G.flat("mvm", *_svd_signless(gn.svd(x))),
            lambda x: N.flat("mvm", *_svd_signless(_np_legacy_svd(x))),
            lambda x: TT.flat("mvm", *_svd_signless(t().svd(x))),
            "svd",
            domain="smooth",
            shapes=(((4, 3),), ((2, 3),)),
            large=((6, 4),),
        ),
        O(
            "linalg_svdvals",
            L.svdvals,
            lambda x: np.linalg.svd(x, compute_uv=False),
            lambda x: tl().svdvals(x),
            "SVD",
            domain="smooth",
            shapes=(((3, 3),), ((4, 2),), ((2, 3, 4),)),
            large=((6, 4),),
        ),
        # -- norms ----------------------------------------------------------------------------------
        *[
            O(
                f"linalg_matrix_norm_{name}",
                _gn_matrix_norm(order),
                lambda x, order=order: _np_matrix_norm(x, order),
                _torch_matrix_norm(order),
                "SVD" if order in ("nuc", 2, -2) else "norm",
                domain="smooth",
                shapes=(((3, 3),), ((2, 3),), ((2, 4, 3),)),
                large=((6, 4),),
            )
            for name, order in (
                ("fro", "fro"),
                ("nuc", "nuc"),
                ("2", 2),
                ("minus2", -2),
                ("1", 1),
                ("minus1", -1),
                ("inf", math.inf),
                ("minus_inf", -math.inf),
            )
        ],
        O(
            "linalg_matrix_norm_dims_keepdim",
            lambda x: L.matrix_norm(x, "nuc", dim=(0, 2), keepdim=True),
            lambda x: np.linalg.norm(np.moveaxis(x, 1, 0), "nuc", axis=(-2, -1))[None, :, None],
            lambda x: tl().matrix_norm(x, "nuc", dim=(0, 2), keepdim=True),
            "SVD",
            domain="smooth",
            shapes=(((3, 2, 4),),),
            large=((3, 2, 5),),
        ),
        O(
            "linalg_matrix_norm_inf_keepdim",
            lambda x: L.matrix_norm(x, math.inf, keepdim=True),
            lambda x: np.linalg.norm(x, math.inf, axis=(-2, -1), keepdims=True),
            lambda x: tl().matrix_norm(x, math.inf, keepdim=True),
            "norm",
            domain="smooth",
            shapes=(((2, 3, 4),),),
            large=((3, 5, 4),),
        ),
        *[
            O(
                f"linalg_vector_norm_{name}",
                lambda x, order=order: L.vector_norm(x, order),
                lambda x, order=order: np.linalg.norm(np.ravel(x), order),
                lambda x, order=order: tl().vector_norm(x, order),
                "norm",
                domain="nonzero",
                shapes=(((3, 2),), ((4,),)),
                large=((5, 4),),
            )
            for name, order in (
                ("2", 2),
                ("1", 1),
                ("3", 3),
                ("inf", math.inf),
                ("minus1", -1),
                ("half", 0.5),
            )
        ],
        O(
            "linalg_vector_norm_dim_keepdim",
            lambda x: L.vector_norm(x, 2, dim=(0, 2), keepdim=True),
            lambda x: np.sqrt((x * x).sum(axis=(0, 2), keepdims=True)),
            lambda x: tl().vector_norm(x, 2, dim=(0, 2), keepdim=True),
            "norm",
            domain="smooth",
            shapes=(((2, 3, 2),),),
            large=((3, 4, 5),),
        ),
        O(
            "linalg_norm_flat",
            lambda x: L.norm(x),
            lambda x: np.linalg.norm(np.ravel(x)),
            lambda x: tl().norm(x),
            "norm",
            domain="smooth",
            shapes=(((2, 3, 2),), ((3,),)),
            large=((3, 4, 5),),
        ),
        O(
            "linalg_norm_spectral",
            lambda x: L.norm(x, 2),
            lambda x: np.linalg.norm(x, 2),
            lambda x: tl().norm(x, 2),
            "SVD",
            domain="smooth",
            shapes=(((3, 2),),),
            large=((6, 4),),
        ),
        O(
            "linalg_norm_dim_vector",
            lambda x: L.norm(x, 3, dim=1),
            lambda x: np.linalg.norm(x, 3, axis=1),
            lambda x: tl().norm(x, 3, dim=1),
            "norm",
            domain="nonzero",
            shapes=(((3, 2),),),
            large=((6, 4),),
        ),
        # -- products, powers, least squares -------------------------------------------------------------
        O(
            "linalg_matrix_exp",
            L.matrix_exp,
            lambda x: _np_expm(x),
            lambda x: tl().matrix_exp(x),
            "MatrixExp",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "matrix_exp_method",
            lambda x: x.matrix_exp(),
            lambda x: _np_expm(x),
            lambda x: x.matrix_exp(),
            "matrix_exp",
            domain="smooth",
            shapes=SQ[:1],
            large=SQ_LARGE,
        ),
        O(
            "linalg_householder_product",
            L.householder_product,
            lambda a, tau: _np_householder_product(a, tau),
            lambda a, tau: tl().householder_product(a, tau),
            "householder_product",
            2,
            domain="smooth",
            shapes=(((4, 3), (3,)), ((2, 3, 3), (2, 2))),
            large=((5, 4), (4,)),
        ),
        O(
            "matrix_power",
            lambda x: gn.matrix_power(x, 3),
            lambda x: np.linalg.matrix_power(x, 3),
            lambda x: t().matrix_power(x, 3),
            "matrix_power",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "linalg_matrix_power_negative",
            lambda x: L.matrix_power(G.shifted(x), -2),
            lambda x: np.linalg.matrix_power(N.shifted(x), -2),
            lambda x: tl().matrix_power(TT.shifted(x), -2),
            "matrix_power",
            domain="smooth",
            shapes=SQ,
            large=SQ_LARGE,
        ),
        O(
            "matrix_power_method",
            lambda x: x.matrix_power(5),
            lambda x: np.linalg.matrix_power(x, 5),
            lambda x: x.matrix_power(5),
            "matrix_power",
            domain="smooth",
            shapes=SQ[:1],
            large=SQ_LARGE,
        ),
        O(
            "linalg_multi_dot",
            lambda a, b, c: L.multi_dot([a, b, c]),
            lambda a, b, c: np.linalg.multi_dot([a, b, c]),
            lambda a, b, c: tl().multi_dot([a, b, c]),
            "matmul",
            3,
            domain="smooth",
            shapes=(((2,), (2, 3), (3,)), ((2, 3), (3, 4), (4, 2))),
            large=((5, 4), (4, 6), (6, 3)),
        ),
        O(
            "linalg_cross",
            lambda a, b: L.cross(a, b),
            lambda a, b: np.cross(a, b),
            lambda a, b: tl().cross(a, b),
            "cross",
            2,
            domain="smooth",
            shapes=(((3,), (3,)), ((2, 3), (1, 3)), ((4, 1, 3), (1, 2, 3))),
            large=((5, 3), (5, 3)),
        ),
        O(
            "cross_dim0",
            lambda a, b: gn.cross(a, b),
            lambda a, b: np.cross(a, b, axis=0),
            lambda a, b: t().cross(a, b, dim=0),
            "cross",
            2,
            domain="smooth",
            shapes=(((3, 2), (3, 2)),),
            large=((3, 5), (3, 5)),
        ),
        O(
            "cross_method",
            lambda a, b: a.cross(b, dim=-1),
            lambda a, b: np.cross(a, b),
            lambda a, b: a.cross(b, dim=-1),
            "cross",
            2,
            domain="smooth",
            shapes=(((2, 3), (2, 3)),),
            large=((5, 3), (5, 3)),
        ),
        O(
            "linalg_vecdot",
            lambda a, b: L.vecdot(a, b, dim=0),
            lambda a, b: (a * b).sum(0),
            lambda a, b: tl().vecdot(a, b, dim=0),
            "mul",
            2,
            domain="smooth",
            shapes=(((3, 2), (3, 2)),),
            large=((5, 4), (5, 4)),
        ),
        O(
            "linalg_diagonal",
            lambda x: L.diagonal(x, offset=1),
            lambda x: np.diagonal(x, 1, -2, -1),
            lambda x: tl().diagonal(x, offset=1),
            "diagonal",
            domain="smooth",
            shapes=(((2, 3, 3),),),
            large=((4, 5),),
        ),
        O(
            "linalg_lstsq",
            lambda a, b: L.lstsq(a, b).solution,
            _np_lstsq,
            lambda a, b: tl().lstsq(a, b).solution,
            "PseudoInverse",
            2,
            domain="smooth",
            shapes=(((5, 3), (5, 2)), ((2, 4, 2), (2, 4, 1))),
            large=((7, 4), (7, 3)),
        ),
        O(
            "linalg_lstsq_vector",
            lambda a, b: L.lstsq(a, b).solution,
            lambda a, b: np.linalg.pinv(a) @ b,
            lambda a, b: tl().lstsq(a, b).solution,
            "PseudoInverse",
            2,
            domain="smooth",
            shapes=(((5, 3), (5,)),),
            large=((7, 4), (7,)),
        ),
    ]
    cases += [  # the norm-based orders: tests/test_linalg.py (PyTorch 2.13 cannot differentiate them)
        O(
            f"linalg_cond_{name}",
            lambda x, p=p: L.cond(x, p),
            lambda x, p=p: np.linalg.cond(x, p),
            lambda x, p=p: tl().cond(x, p),
            "SVD",
            domain="smooth",
            shapes=(((3, 3),), ((2, 4, 3),)),
            large=SQ_LARGE,
        )
        for name, p in (("default", None), ("minus2", -2))
    ]
    cases.append(
        O(
            "dist",
            lambda a, b: gn.dist(a, b, 3),
            lambda a, b: np.linalg.norm(np.ravel(a - b), 3),
            lambda a, b: t().dist(a, b, 3),
            "dist",
            2,
            domain="smooth",
            shapes=(((3, 2), (3, 2)), ((3, 2), (2,))),
            large=((5, 4), (4,)),
        )
    )
    cases += lu_ops(O)  # the LU factorisation: linalg_lu_cases.py
    return cases


def _gn_matrix_norm(order):
    return lambda x: L.matrix_norm(x, order)


def _torch_matrix_norm(order):
    return lambda x: _torch_linalg().matrix_norm(x, order)


def _svd_signless(usv, k=None):
    """U², S, V² (or Vh²): free of the sign of each singular pair; the first k columns only."""
    u, s, v = usv
    if k is not None:
        return u[..., :k] ** 2, s, v[..., :k, :] ** 2
    return u**2, s, v**2


def _np_legacy_svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return u, s, np.swapaxes(vh, -1, -2)
