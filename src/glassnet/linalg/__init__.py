"""``gn.linalg``: PyTorch's ``torch.linalg`` — names, arguments, dtypes and numbers.

Every function takes stacks of matrices ``(..., m, n)`` (leading axes are a batch), float32
or float64, and is differentiable. The primitives (inverse, determinant, solve, pseudo-
inverse, Cholesky, QR, eigh, SVD, the matrix exponential) live in ``glassnet.ops`` with their
gradient formulas beside them; norms, powers, products (``householder_product``) and least
squares are composed of them.

>>> import glassnet as gn
>>> A = gn.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=gn.float64, requires_grad=True)
>>> gn.linalg.det(A).item()
11.0

The LU factorisation (``lu_factor``, ``lu``, ``lu_solve``) is differentiable too. The general
eigendecomposition ``eig``/``eigvals`` returns complex tensors (values only: an input that
requires grad is refused), and the LDL factorisation (``ldl_factor``, ``ldl_solve``) is values
only, as in PyTorch.
"""

from glassnet.ops._linalg import matmul
from glassnet.ops._linalg_checks import LinAlgError
from glassnet.ops._linalg_decompose import cholesky, eigvalsh, svdvals
from glassnet.ops._linalg_decompose import linalg_eigh as eigh
from glassnet.ops._linalg_decompose import linalg_qr as qr
from glassnet.ops._linalg_decompose import linalg_svd as svd
from glassnet.ops._linalg_eig import eig, eigvals
from glassnet.ops._linalg_exp import householder_product, matrix_exp
from glassnet.ops._linalg_inverse import det, inv, pinv, slogdet, solve
from glassnet.ops._linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve
from glassnet.ops._linalg_lu import linalg_lu as lu
from glassnet.ops._linalg_lu import linalg_lu_solve as lu_solve
from glassnet.ops._linalg_lu import lu_factor, lu_factor_ex
from glassnet.ops._linalg_norms import cond, matrix_norm, vector_norm
from glassnet.ops._linalg_norms import linalg_norm as norm
from glassnet.ops._linalg_products import linalg_cross as cross
from glassnet.ops._linalg_products import linalg_diagonal as diagonal
from glassnet.ops._linalg_products import (
    lstsq,
    matrix_power,
    matrix_rank,
    multi_dot,
    solve_triangular,
    vecdot,
)

__all__ = [
    "LinAlgError",
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "householder_product",
    "inv",
    "ldl_factor",
    "ldl_factor_ex",
    "ldl_solve",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]
