"""Alternating least squares: explicit ratings (ALS) and implicit feedback (ImplicitALS).

Both factor R ≈ X·Yᵀ with user factors X (n_users, k) and item factors Y (n_items, k).
With Y fixed, each user's row of X is a ridge regression with a closed form, and all of
them are solved at once by :func:`~glassnet.recommend._normal.solve_rows`; then the
roles swap. Each half-step is pure matrix algebra: with ``solver="exact"`` two sparse
products and a batched ``np.linalg.solve`` (:func:`~glassnet.recommend._normal.solve_rows`);
with ``solver="cg"`` (the default) ``cg_steps`` conjugate-gradient steps warm-started from
the previous sweep's factors (:func:`~glassnet.recommend._normal.cg_rows`), which never
form a k × k matrix and cost O(nnz·k) per step instead of O(nnz·k² + n·k³).
With ``tol > 0`` fitting records ``training_loss`` after every sweep in ``history_`` and
stops once a sweep lowers it by less than ``tol`` (relative); ``iterations`` caps the sweeps.
"""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.recommend._base import Recommender
from glassnet.recommend._normal import cg_rows, csr, solve_rows

__all__ = ["ALS", "ImplicitALS"]


class _Transposed:
    """The item-major CSR of R (its transpose), plus where each entry came from."""

    def __init__(self, ratings):
        self.order = np.lexsort((ratings.users, ratings.items))
        self.users = ratings.users[self.order]
        counts = np.bincount(ratings.items, minlength=ratings.n_items)
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


class _ALSBase(Recommender):
    def __init__(self, rank, reg, iterations, seed, dtype, solver="cg", cg_steps=3, tol=0.0):
        if solver not in ("cg", "exact") or cg_steps < 1 or not tol >= 0:
            raise GlassnetValueError(f"{type(self).__name__}: solver must be 'cg' or 'exact', "
                                     f"cg_steps ≥ 1 and tol ≥ 0, got solver={solver!r}, "
                                     f"cg_steps={cg_steps}, tol={tol}")
        self.solver, self.cg_steps, self.tol = solver, int(cg_steps), float(tol)
        if rank < 1 or iterations < 0:
            raise GlassnetValueError(f"{type(self).__name__}: rank must be ≥ 1 and iterations ≥ 0, "
                                     f"got rank={rank}, iterations={iterations}")
        if reg <= 0:
            raise GlassnetValueError(f"{type(self).__name__}: reg must be > 0 (it keeps every "
                                     f"k × k system solvable, also for empty rows), got {reg}")
        self.rank, self.reg, self.iterations, self.seed = int(rank), float(reg), int(iterations), seed
        self.dtype = np.dtype(dtype)

    def _init_factors(self, ratings):
        rng = np.random.default_rng(self.seed)
        scale = 0.1 / self.rank ** 0.5
        self.user_factors_ = (scale * rng.standard_normal((ratings.n_users, self.rank))).astype(self.dtype)
        self.item_factors_ = (scale * rng.standard_normal((ratings.n_items, self.rank))).astype(self.dtype)

    def _fit(self, ratings):
        self._init_factors(ratings)
        self._prepare(ratings)
        self.history_ = []  # training loss after each sweep (recorded only when tol > 0)
        for _ in range(self.iterations):
            self.step_users(ratings)
            self.step_items(ratings)
            if self.tol > 0 and self._converged(ratings):
                break
        self._t = None  # the transposed index is only needed while fitting

    def _prepare(self, ratings):
        self._t = _Transposed(ratings)

    def _transposed(self, ratings):
        if getattr(self, "_t", None) is None or self._t.users.size != ratings.nnz:
            self._prepare(ratings)
        return self._t

    def item_vectors(self):
        return self.item_factors_

    def _solve(self, W, V, F, x0, **kwargs):
        """Every row's normal equations, exactly or by warm-started CG from ``x0``."""
        if self.solver == "exact":
            return solve_rows(W, V, F, self.reg, **kwargs)
        return cg_rows(W, V, F, self.reg, x0, steps=self.cg_steps, **kwargs)

    def _converged(self, ratings):
        """Record the training loss; True once a sweep lowered it by less than ``tol`` (relative)."""
        self.history_.append(float(self.training_loss(ratings)))
        if len(self.history_) < 2:
            return False
        before, after = self.history_[-2:]
        return before - after <= self.tol * abs(before)

    def _penalty(self):
        return self.reg * sum(float(np.vdot(a, a)) for a in self._arrays().values())

    def _solver_config(self):
        return {"solver": self.solver, "cg_steps": self.cg_steps, "tol": self.tol}


class ALS(_ALSBase):
    """Explicit-feedback ALS with L2 regularisation and (optionally) biases.

    Model: ``r̂_ui = μ + b_u + c_i + x_u·y_i``; loss
    ``Σ_(u,i)∈R (r_ui − r̂_ui)² + reg·(‖X‖² + ‖Y‖² + ‖b‖² + ‖c‖²)``.

    User half-step (Y, c fixed), for every user u at once, with ``ỹ_i = [y_i, 1]``::

        [x_u; b_u] = (Σ_i∈I_u ỹ_i ỹ_iᵀ + reg·I)⁻¹ · Σ_i∈I_u (r_ui − μ − c_i) ỹ_i

    and the item half-step is the same with the roles swapped. With ``biases=False`` the
    ones column and the biases drop out: ``x_u = (Y_uᵀY_u + reg·I)⁻¹ Y_uᵀ(r_u − μ)``.
    ``solver="exact"`` solves these systems exactly; ``solver="cg"`` takes ``cg_steps``
    conjugate-gradient steps towards the solution from the current factors.
    Shapes: ``user_factors_`` (n_users, rank), ``item_factors_`` (n_items, rank).
    """

    def __init__(self, rank=32, reg=1.0, iterations=15, biases=True, weighted_reg=False, seed=0,
                 dtype=np.float32, solver="cg", cg_steps=3, tol=0.0):
        super().__init__(rank, reg, iterations, seed, dtype, solver, cg_steps, tol)
        self.biases, self.weighted_reg = bool(biases), bool(weighted_reg)

    def _init_factors(self, ratings):
        super()._init_factors(ratings)
        self.user_bias_ = np.zeros(ratings.n_users, dtype=self.dtype)
        self.item_bias_ = np.zeros(ratings.n_items, dtype=self.dtype)

    def _half_step(self, F, other_bias, own, own_bias, indices, indptr, targets):
        """Solve one side: rows given the other side's factors F and biases (``own`` and
        ``own_bias``, this side's current values, are CG's starting point)."""
        own_count = own.shape[0]
        if self.biases:
            F = np.hstack([F, np.ones((F.shape[0], 1), dtype=F.dtype)])
            own = np.hstack([own, own_bias[:, None]])
            targets = targets - other_bias[indices]
        ones = np.ones(indices.size, dtype=self.dtype)
        W = csr(ones, indices, indptr, F.shape[0])
        V = csr(targets.astype(self.dtype), indices, indptr, F.shape[0])
        scale = np.diff(indptr).astype(self.dtype) if self.weighted_reg else None
        sol = self._solve(W, V, F, own, row_scale=scale)
        if self.biases:
            return sol[:, :-1], sol[:, -1]
        return sol, np.zeros(own_count, dtype=self.dtype)

    def step_users(self, ratings):
        """One user half-step in place (item side fixed); returns ``user_factors_``."""
        targets = ratings.ratings - self.global_mean_
        self.user_factors_, self.user_bias_ = self._half_step(
            self.item_factors_, self.item_bias_, self.user_factors_, self.user_bias_, ratings.items,
            ratings.indptr, targets)
        return self.user_factors_

    def step_items(self, ratings):
        """One item half-step in place (user side fixed); returns ``item_factors_``."""
        t = self._transposed(ratings)
        targets = ratings.ratings[t.order] - self.global_mean_
        self.item_factors_, self.item_bias_ = self._half_step(
            self.user_factors_, self.user_bias_, self.item_factors_, self.item_bias_, t.users,
            t.indptr, targets)
        return self.item_factors_

    def training_loss(self, ratings):
        """``Σ_(u,i)∈R (r_ui − r̂_ui)² + reg·(‖X‖² + ‖Y‖² + ‖b‖² + ‖c‖²)`` (the penalty
        unweighted also with ``weighted_reg``)."""
        err = ratings.ratings - self._predict_index(ratings.users, ratings.items)
        return float(np.vdot(err, err)) + self._penalty()

    def _predict_index(self, u, i):
        dots = np.einsum("nk,nk->n", self.user_factors_[u], self.item_factors_[i])
        return self.global_mean_ + self.user_bias_[u] + self.item_bias_[i] + dots

    def _score_rows(self, u):
        scores = self.user_factors_[u] @ self.item_factors_.T               # (rows, n_items)
        return scores + self.item_bias_ + (self.global_mean_ + self.user_bias_[u])[:, None]

    def _config(self):
        return {"rank": self.rank, "reg": self.reg, "iterations": self.iterations,
                "biases": self.biases,
                "weighted_reg": self.weighted_reg, "seed": self.seed, "dtype": self.dtype.name,
                **self._solver_config()}

    def _arrays(self):
        return {"user_factors": self.user_factors_, "item_factors": self.item_factors_,
                "user_bias": self.user_bias_, "item_bias": self.item_bias_}


class ImplicitALS(_ALSBase):
    """Confidence-weighted ALS for implicit feedback (Hu, Koren & Volinsky 2008).

    Preference ``p_ui = 1`` where an interaction exists (else 0), confidence
    ``c_ui = 1 + alpha·r_ui`` (1 elsewhere). Loss ``Σ_all c_ui (p_ui − x_u·y_i)² +
    reg·(‖X‖² + ‖Y‖²)`` over *every* user-item pair, solved without touching the zeros::

        x_u = (YᵀY + Yᵀ(C_u − I)Y + reg·I)⁻¹ · Yᵀ C_u p_u

    ``YᵀY`` (k × k) is computed once per half-step and shared; ``Yᵀ(C_u − I)Y`` sums
    ``alpha·r_ui y_i y_iᵀ`` over the user's few items only. Scores ``x_u·y_i`` rank items
    (they are not ratings). Ratings of 0 or less count as no interaction. ``solver="cg"``
    (the default, as in `implicit`) takes ``cg_steps`` conjugate-gradient steps from the
    current factors; ``solver="exact"`` solves each system exactly.
    """

    predicts_ratings = False

    def __init__(self, rank=32, reg=0.1, iterations=15, alpha=40.0, seed=0, dtype=np.float32,
                 solver="cg", cg_steps=3, tol=0.0):
        super().__init__(rank, reg, iterations, seed, dtype, solver, cg_steps, tol)
        if alpha <= 0:
            raise GlassnetValueError(f"ImplicitALS: alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)

    def _half_step(self, F, own, indices, indptr, values):
        r = np.maximum(values, 0.0).astype(self.dtype)
        W = csr(self.alpha * r, indices, indptr, F.shape[0])                 # C_u − I
        V = csr(np.where(r > 0, 1.0 + self.alpha * r, 0.0).astype(self.dtype),  # C_u p_u
                indices, indptr, F.shape[0])
        return self._solve(W, V, F, own, base=F.T @ F)

    def step_users(self, ratings):
        """One user half-step in place; returns ``user_factors_``."""
        self.user_factors_ = self._half_step(self.item_factors_, self.user_factors_, ratings.items,
                                             ratings.indptr, ratings.ratings)
        return self.user_factors_

    def step_items(self, ratings):
        """One item half-step in place; returns ``item_factors_``."""
        t = self._transposed(ratings)
        self.item_factors_ = self._half_step(self.user_factors_, self.item_factors_, t.users, t.indptr,
                                             ratings.ratings[t.order])
        return self.item_factors_

    def training_loss(self, ratings):
        """``Σ_all c_ui (p_ui − s_ui)² + reg·(‖X‖² + ‖Y‖²)`` without the dense matrix:
        ``Σ_all s_ui² = Σ (XᵀX) ∘ (YᵀY)`` plus, over the interactions only,
        ``c_ui (1 − s_ui)² − s_ui²``."""
        X, Y = self.user_factors_, self.item_factors_
        s = self._predict_index(ratings.users, ratings.items)
        c = 1.0 + self.alpha * np.maximum(ratings.ratings, 0.0)
        seen = ratings.ratings > 0
        observed = np.sum(np.where(seen, c * (1.0 - s) ** 2 - s ** 2, 0.0))
        return float(np.sum((X.T @ X) * (Y.T @ Y))) + float(observed) + self._penalty()

    def _predict_index(self, u, i):
        return np.einsum("nk,nk->n", self.user_factors_[u], self.item_factors_[i])

    def _score_rows(self, u):
        return self.user_factors_[u] @ self.item_factors_.T

    def _config(self):
        return {"rank": self.rank, "reg": self.reg, "iterations": self.iterations,
                "alpha": self.alpha, "seed": self.seed, "dtype": self.dtype.name,
                **self._solver_config()}

    def _arrays(self):
        return {"user_factors": self.user_factors_, "item_factors": self.item_factors_}
