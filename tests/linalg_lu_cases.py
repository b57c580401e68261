"""Op-registry entries for the LU factorisation (``gn.linalg.lu_factor``, ``lu``, ``lu_solve``,
``gn.lu_unpack`` and the older ``gn.lu``/``gn.lu_solve``), added to the linear-algebra cases.

The factorisation's entries read the packed LU (or L and U) of plain random matrices,
square and rectangular; the NumPy references are SciPy's LAPACK ``getrf``. ``lu_solve`` and
``lu_unpack`` are checked on an arbitrary packed ``LU`` with fixed pivots (built by ``_pivots``),
so their gradients w.r.t. LU itself are compared with torch's.
"""

import numpy as np

import glassnet as gn

__all__ = ["lu_ops"]

L = gn.linalg
RECTANGULAR = (((3, 3),), ((2, 4, 3),), ((2, 3, 4),))


def _tl():
    import torch

    return torch.linalg


def _t():
    import torch

    return torch


def _pivots_array(lu):
    """Fixed 1-based pivots for LU (..., n, n): step i swaps row i with row min(i + 2, n)."""
    n = lu.shape[-1]
    return np.broadcast_to(np.minimum(np.arange(n) + 2, n), lu.shape[:-1]).astype(np.int32)


def _pivots(lib, lu):
    return lib.tensor(_pivots_array(np.asarray(lu.detach().numpy())), dtype=lib.int32)


def _np_unpack(lu):
    """(P, L, U) of a packed LU with :func:`_pivots_array` pivots."""
    n = lu.shape[-1]
    perm = np.arange(n)
    for i, p in enumerate(np.minimum(np.arange(n) + 2, n) - 1):
        perm[[i, p]] = perm[[p, i]]
    permutation = np.eye(n)[:, np.argsort(perm)].T
    return permutation, np.tril(lu, -1) + np.eye(n), np.triu(lu)


def _np_lu_solve(lu, b, left=True, adjoint=False):
    p, lower, upper = _np_unpack(lu)
    a = p @ lower @ upper
    a = np.swapaxes(a, -1, -2) if adjoint else a
    if left:
        return np.linalg.solve(a, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def _flat(x):
    return x.reshape(x.shape[:-2] + (-1,))


def _np_lu_factor(x):
    import scipy.linalg

    return scipy.linalg.lu_factor(x)[0]


def _np_lu(x):
    import scipy.linalg

    _, lower, upper = scipy.linalg.lu(x)
    return np.concatenate([_flat(lower), _flat(upper)], -1)


def _lu_parts(lib, parts):
    return lib.cat([parts[1].flatten(-2), parts[2].flatten(-2)], -1)


def _shifted(x):
    return x + 4 * (np.eye(x.shape[-1]) if isinstance(x, np.ndarray) else x.new_ones(x.shape[-1]).diag())


def lu_ops(O):  # noqa: N803  (the registry's OpSpec)
    tl, t = _tl, _t
    solve_shapes = (((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((3, 3), (2, 3, 2)))
    cases = [
        O("linalg_lu_factor", lambda x: L.lu_factor(x).LU, _np_lu_factor, lambda x: tl().lu_factor(x).LU,
          "LUFactor", domain="smooth", shapes=RECTANGULAR, large=((5, 5),)),
        O("linalg_lu_factor_ex", lambda x: L.lu_factor_ex(x).LU, _np_lu_factor,
          lambda x: tl().lu_factor_ex(x).LU, "LUFactor", domain="smooth", shapes=RECTANGULAR[:2],
          large=((5, 5),)),
        O("linalg_lu", lambda x: _lu_parts(gn, L.lu(x)), _np_lu, lambda x: _lu_parts(t(), tl().lu(x)),
          "LUFactor", domain="smooth", shapes=RECTANGULAR, large=((6, 4),)),
        O("lu", lambda x: gn.lu(x)[0], _np_lu_factor, lambda x: tl().lu_factor(x).LU,
          "lu", domain="smooth", shapes=RECTANGULAR[:2], large=((5, 5),)),
        O("lu_unpack", lambda x: _lu_parts(gn, gn.lu_unpack(x, _pivots(gn, x))),
          lambda x: np.concatenate([_flat(m) for m in _np_unpack(x)[1:]], -1),
          lambda x: _lu_parts(t(), t().lu_unpack(x, _pivots(t(), x))),
          "lu_unpack", domain="smooth", shapes=(((3, 3),), ((2, 4, 4),)), large=((5, 5),)),
        O("linalg_lu_solve", lambda a, b: L.lu_solve(_shifted(a), _pivots(gn, a), b),
          lambda a, b: _np_lu_solve(_shifted(a), b),
          lambda a, b: tl().lu_solve(_shifted(a), _pivots(t(), a), b),
          "Solve", 2, domain="smooth", shapes=solve_shapes, large=((5, 5), (5, 4))),
        O("linalg_lu_solve_adjoint_right",
          lambda a, b: L.lu_solve(_shifted(a), _pivots(gn, a), b, left=False, adjoint=True),
          lambda a, b: _np_lu_solve(_shifted(a), b, left=False, adjoint=True),
          lambda a, b: tl().lu_solve(_shifted(a), _pivots(t(), a), b, left=False, adjoint=True),
          "Solve", 2, domain="smooth", shapes=(((3, 3), (2, 3)), ((2, 3, 3), (1, 3))),
          large=((5, 5), (4, 5))),
        O("lu_solve", lambda a, b: gn.lu_solve(b, *gn.lu(_shifted(a))),
          lambda a, b: np.linalg.solve(_shifted(a), b),
          lambda a, b: tl().lu_solve(*tl().lu_factor(_shifted(a)), b),
          "lu_solve", 2, domain="smooth", shapes=(((3, 3), (3, 2)),), large=((5, 5), (5, 4))),
    ]
    return cases
