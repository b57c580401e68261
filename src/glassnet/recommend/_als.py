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

Under an initialised process group of N > 1 ranks (``gn.distributed.init_process_group()``
under ``mpiexec -n N``) fitting is distributed by itself: each rank solves its own block of
users (then of items) and an all-gather gives every rank all the factors
(:mod:`~glassnet.recommend._shard`); the result equals one process's. Every rank must call
``fit`` (or step) with the same ratings.
"""

import weakref

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.recommend._base import Recommender
from glassnet.recommend._normal import cg_rows, csr, entry_dots, solve_rows
from glassnet.recommend._shard import check_same_ratings, gather, row_bounds, world

__all__ = ["ALS", "ImplicitALS"]


class _Side:
    """One side's half-step data, fixed for a fit: row ``u``'s entries are
    ``indptr[u]:indptr[u+1]``, with the other side's ``indices`` and the ``values`` (ratings)
    in row order. Models attach what else they derive once per fit (weights, targets)."""

    def __init__(self, indices, indptr, values, n_cols):
        small = max(indices.size, n_cols) < np.iinfo(np.int32).max  # SciPy's own index dtype
        index = np.int32 if small else np.int64
        self.indices, self.indptr = indices.astype(index), indptr.astype(index)
        self.values, self.n_cols = values, n_cols
        self.weights = self.targets = self.scale = None  # set by the model's _prepare_side
        self.rows = slice(0, self.indptr.size - 1)  # the rows this rank solves (all of them alone)
        self.all_values = values  # every row's values, also in a shard
        self.row_counts = self.entry_counts = None  # rows and entries of each rank, when sharded

    def shard(self, bounds, rank):
        """Rank ``rank``'s rows ``bounds[rank]:bounds[rank+1]`` as a side of their own (its
        entries, re-based row pointer), remembering every rank's row and entry counts."""
        lo, hi = int(bounds[rank]), int(bounds[rank + 1])
        e0, e1 = int(self.indptr[lo]), int(self.indptr[hi])
        part = _Side(self.indices[e0:e1], self.indptr[lo:hi + 1] - e0, self.values[e0:e1], self.n_cols)
        part.rows, part.all_values = slice(lo, hi), self.values
        part.row_counts, part.entry_counts = np.diff(bounds), np.diff(self.indptr[bounds])
        return part

    def gather_rows(self, block, what):
        """(n_rows, …) from every rank's (its rows, …) ``block``; ``block`` itself alone."""
        return block if self.row_counts is None else gather(block, self.row_counts, what)

    def gather_entries(self, block, what):
        """(nnz,) from every rank's per-entry ``block`` (entries in row order)."""
        return block if self.entry_counts is None else gather(block, self.entry_counts, what)

    def csr(self, data):
        """The (n_rows, n_cols) CSR matrix with this side's entries and ``data``."""
        return csr(data, self.indices, self.indptr, self.n_cols)


def _pair_dots(X, Y, u, i):
    """(n,) ``x_u·y_i`` for index pairs (``take`` gathers rows about 2 × faster than ``X[u]``)."""
    return np.einsum("nk,nk->n", X.take(u, axis=0), Y.take(i, axis=0))


def _sides(ratings):
    """(users' side, items' side) of ``ratings``: R by rows, then Rᵀ by rows."""
    users = _Side(ratings.items, ratings.indptr, ratings.ratings, ratings.n_items)
    order = np.argsort(ratings.items, kind="stable")  # R is sorted by user: users stay sorted per item
    counts = np.bincount(ratings.items, minlength=ratings.n_items)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    items = _Side(ratings.users[order], indptr, ratings.ratings[order], ratings.n_users)
    return users, items


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
        self._cache = None  # sides are built afresh for every fit
        self.history_ = []  # training loss after each sweep (recorded only when tol > 0)
        for _ in range(self.iterations):
            self.step_users(ratings)
            if self.tol == 0:
                self.step_items(ratings)
            elif self._converged(self._step_items(ratings, with_loss=True)):
                break
        self._cache = None  # the sides are only needed while fitting

    def _sides(self, ratings):
        """Both :class:`_Side` of ``ratings``, built once per fit (or, when stepping by hand,
        once per ``ratings`` and settings: changing ``alpha``, ``dtype``… between steps is
        seen). Holds ``ratings`` only weakly."""
        rank, size = world()
        key = (self.global_mean_, repr(self._config()), rank, size)
        cache = getattr(self, "_cache", None)
        if cache is None or cache[0]() is not ratings or cache[1] != key:
            sides = _sides(ratings)
            if size > 1:  # this rank's rows of each side (see _shard)
                check_same_ratings(ratings, f"{type(self).__name__}.fit")
                sides = tuple(s.shard(row_bounds(s.indptr, size, self.rank), rank) for s in sides)
            for side in sides:
                self._prepare_side(side)
            self._cache = cache = (weakref.ref(ratings), key, sides)
        return cache[2]

    def step_items(self, ratings):
        """One item half-step in place (user side fixed); returns ``item_factors_``."""
        self._step_items(ratings)
        return self.item_factors_

    def item_vectors(self):
        return self.item_factors_

    def _solve(self, W, V, F, x0, with_dots=False, **kwargs):
        """Every row's normal equations, exactly or by warm-started CG from ``x0``; with
        ``with_dots`` also the solution's (nnz,) ``f_j·x_u`` (:func:`entry_dots`)."""
        if self.solver == "exact":
            x = solve_rows(W, V, F, self.reg, **kwargs)
            return (x, entry_dots(W, F, x)) if with_dots else x
        return cg_rows(W, V, F, self.reg, x0, steps=self.cg_steps, with_dots=with_dots, **kwargs)

    def _converged(self, loss):
        """Record the training loss; True once a sweep lowered it by less than ``tol`` (relative)."""
        self.history_.append(loss)
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

    Args:
        rank: k, the length of each user's and item's factor vector.
        reg: the L2 weight ``reg`` (> 0; it keeps every system solvable, also for users or
            items with no ratings).
        iterations: the most sweeps (a sweep is a user half-step, then an item half-step).
        biases: whether to learn the user and item biases ``b_u``, ``c_i`` (default True).
        weighted_reg: scale each row's ``reg`` by its number of ratings (ALS-WR, Zhou et al.
            2008) instead of one ``reg`` for every row.
        seed: the seed of the random initial factors (normal, standard deviation 0.1/√rank).
        dtype: the factors' dtype (default float32).
        solver: ``"cg"`` (warm-started conjugate gradient, the default) or ``"exact"``.
        cg_steps: the conjugate-gradient steps per half-step with ``solver="cg"``.
        tol: with ``tol > 0``, stop once a sweep lowers the training loss by less than this
            fraction (the losses are kept in ``history_``); 0 runs all ``iterations``.

    Shape:
        ``fit(ratings)`` with a ``Ratings`` of shape ``(n_users, n_items)`` learns
        ``user_factors_`` ``(n_users, rank)``, ``item_factors_`` ``(n_items, rank)``,
        ``user_bias_`` ``(n_users,)`` and ``item_bias_`` ``(n_items,)``.

    Example:
        >>> import numpy as np
        >>> from glassnet import recommend
        >>> ratings = recommend.Ratings.from_arrays(
        ...     ["ann", "ann", "bob", "bob", "cat", "cat"],
        ...     ["tea", "jam", "tea", "cake", "jam", "cake"], [5, 1, 4, 2, 2, 5])
        >>> model = recommend.ALS(rank=2, reg=0.1, iterations=20, solver="exact").fit(ratings)
        >>> model.user_factors_.shape, model.item_factors_.shape
        ((3, 2), (3, 2))
        >>> np.round(model.predict(["ann", "bob"], ["tea", "tea"]), 1)
        array([4.9, 4. ])
        >>> items, scores = model.recommend("ann", k=1)     # the best item ann has not rated
        >>> items.tolist()
        ['cake']
    """

    def __init__(self, rank=32, reg=1.0, iterations=15, biases=True, weighted_reg=False, seed=0,
                 dtype=np.float32, solver="cg", cg_steps=3, tol=0.0):
        super().__init__(rank, reg, iterations, seed, dtype, solver, cg_steps, tol)
        self.biases, self.weighted_reg = bool(biases), bool(weighted_reg)

    def _init_factors(self, ratings):
        super()._init_factors(ratings)
        self.user_bias_ = np.zeros(ratings.n_users, dtype=self.dtype)
        self.item_bias_ = np.zeros(ratings.n_items, dtype=self.dtype)

    def _prepare_side(self, side):
        """Once per fit: unit weights, targets ``r − μ`` and (``weighted_reg``) row counts."""
        side.weights = side.csr(np.ones(side.indices.size, dtype=self.dtype))
        side.targets = (side.values - self.global_mean_).astype(self.dtype)
        side.scale = np.diff(side.indptr).astype(self.dtype) if self.weighted_reg else None

    def _half_step(self, side, F, other_bias, own, own_bias, with_errors=False):
        """Solve one side: rows given the other side's factors F and biases (``own`` and
        ``own_bias``, this side's current values, are CG's starting point). Returns the new
        factors, biases and, with ``with_errors``, the (nnz,) training errors ``r − r̂``
        (a shard solves its own rows and gathers every rank's)."""
        own, own_bias, targets = own[side.rows], own_bias[side.rows], side.targets
        if self.biases:
            F = np.hstack([F, np.ones((F.shape[0], 1), dtype=F.dtype)])
            own = np.hstack([own, own_bias[:, None]])
            targets = targets - other_bias.take(side.indices)
        sol = self._solve(side.weights, side.csr(targets), F, own, row_scale=side.scale,
                          with_dots=with_errors)
        errors = None
        if with_errors:  # r − μ − (other bias) − [f_j, 1]·[x_u, own bias]
            sol, dots = sol
            errors = side.gather_entries(targets - dots, "ALS training errors")
        sol = side.gather_rows(sol, "ALS half-step factors")
        if self.biases:
            return sol[:, :-1], sol[:, -1], errors
        return sol, np.zeros(sol.shape[0], dtype=self.dtype), errors

    def step_users(self, ratings):
        """One user half-step in place (item side fixed); returns ``user_factors_``."""
        users, _ = self._sides(ratings)
        self.user_factors_, self.user_bias_, _ = self._half_step(
            users, self.item_factors_, self.item_bias_, self.user_factors_, self.user_bias_)
        return self.user_factors_

    def _step_items(self, ratings, with_loss=False):
        """The item half-step; with ``with_loss`` returns :meth:`training_loss` after it."""
        _, items = self._sides(ratings)
        self.item_factors_, self.item_bias_, errors = self._half_step(
            items, self.user_factors_, self.user_bias_, self.item_factors_, self.item_bias_, with_loss)
        return None if errors is None else self._loss(errors)

    def training_loss(self, ratings):
        """``Σ_(u,i)∈R (r_ui − r̂_ui)² + reg·(‖X‖² + ‖Y‖² + ‖b‖² + ‖c‖²)`` (the penalty
        unweighted also with ``weighted_reg``)."""
        return self._loss(ratings.ratings - self._predict_index(ratings.users, ratings.items))

    def _loss(self, errors):
        errors = np.asarray(errors, dtype=np.float64)
        return float(np.vdot(errors, errors)) + self._penalty()

    def _predict_index(self, u, i):
        dots = _pair_dots(self.user_factors_, self.item_factors_, u, i)
        return self.global_mean_ + self.user_bias_.take(u) + self.item_bias_.take(i) + dots

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

    def _prepare_side(self, side):
        """Once per fit: weights ``C_u − I`` (``alpha·r``) and targets ``C_u p_u``."""
        r = np.maximum(side.values, 0.0).astype(self.dtype)
        side.weights = side.csr(self.alpha * r)
        side.targets = np.where(r > 0, 1.0 + self.alpha * r, 0.0).astype(self.dtype)

    def _half_step(self, side, F, own, with_dots=False):
        """This side's new factors (and, ``with_dots``, the (nnz,) scores ``s_ui``); a shard
        solves its own rows and gathers every rank's."""
        sol = self._solve(side.weights, side.csr(side.targets), F, own[side.rows], base=F.T @ F,
                          with_dots=with_dots)
        if not with_dots:
            return side.gather_rows(sol, "ImplicitALS half-step factors")
        return (side.gather_rows(sol[0], "ImplicitALS half-step factors"),
                side.gather_entries(sol[1], "ImplicitALS scores"))

    def step_users(self, ratings):
        """One user half-step in place; returns ``user_factors_``."""
        users, _ = self._sides(ratings)
        self.user_factors_ = self._half_step(users, self.item_factors_, self.user_factors_)
        return self.user_factors_

    def _step_items(self, ratings, with_loss=False):
        """The item half-step; with ``with_loss`` returns :meth:`training_loss` after it."""
        _, items = self._sides(ratings)
        sol = self._half_step(items, self.user_factors_, self.item_factors_, with_dots=with_loss)
        if not with_loss:
            self.item_factors_ = sol
            return None
        self.item_factors_, scores = sol
        return self._loss(items.all_values, scores)

    def training_loss(self, ratings):
        """``Σ_all c_ui (p_ui − s_ui)² + reg·(‖X‖² + ‖Y‖²)`` without the dense matrix:
        ``Σ_all s_ui² = Σ (XᵀX) ∘ (YᵀY)`` plus, over the interactions only,
        ``c_ui (1 − s_ui)² − s_ui²``."""
        return self._loss(ratings.ratings, self._predict_index(ratings.users, ratings.items))

    def _loss(self, ratings, scores):
        """:meth:`training_loss` from the (nnz,) ``ratings`` and their scores ``s_ui``."""
        X, Y, s = self.user_factors_, self.item_factors_, np.asarray(scores, dtype=np.float64)
        c = 1.0 + self.alpha * np.maximum(ratings, 0.0)
        observed = np.sum(np.where(ratings > 0, c * (1.0 - s) ** 2 - s ** 2, 0.0))
        return float(np.sum((X.T @ X) * (Y.T @ Y))) + float(observed) + self._penalty()

    def _predict_index(self, u, i):
        return _pair_dots(self.user_factors_, self.item_factors_, u, i)

    def _score_rows(self, u):
        return self.user_factors_[u] @ self.item_factors_.T

    def _config(self):
        return {"rank": self.rank, "reg": self.reg, "iterations": self.iterations,
                "alpha": self.alpha, "seed": self.seed, "dtype": self.dtype.name,
                **self._solver_config()}

    def _arrays(self):
        return {"user_factors": self.user_factors_, "item_factors": self.item_factors_}
