"""MatrixFactorization: the recommender as an ``nn.Module`` trained through autograd."""

import numpy as np

from glassnet._backend import default_generator, get_default_dtype
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd import Tensor, no_grad
from glassnet.nn import Embedding, Module, init
from glassnet.recommend._base import Recommender

__all__ = ["MatrixFactorization"]

_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad")


class MatrixFactorization(Module, Recommender):
    """``r̂_ui = p_u·q_i + b_u + c_i + μ`` with learned tables, trained by any optimiser.

    Parameters (four ``nn.Embedding`` tables): ``user_factors.weight`` (num_users, rank),
    ``item_factors.weight`` (num_items, rank), ``user_bias.weight`` (num_users, 1), ``item_bias.weight``
    (num_items, 1); buffer ``global_mean`` (1,). ``forward(users, items)`` takes two (N,)
    integer index tensors/arrays and returns (N,) predictions — in matrix terms, the
    diagonal of ``P[users] · Q[items]ᵀ`` plus biases. :meth:`fit` minimises the mean
    squared error plus ``reg · (‖p_u‖² + ‖q_i‖² + b_u² + c_i²)`` per batch.
    """

    def __init__(self, num_users=None, num_items=None, rank=32, reg=0.05, epochs=20,
                 batch_size=1024, lr=0.01, optimizer="adam", init_std=0.1, dtype=None):
        super().__init__()
        self.rank, self.reg, self.epochs = int(rank), float(reg), int(epochs)
        self.batch_size = int(batch_size)
        self.lr, self.optimizer, self.init_std = float(lr), optimizer, float(init_std)
        self.dtype = np.dtype(dtype or get_default_dtype())
        self.history_ = []
        if num_users is not None and num_items is not None:
            self._build(int(num_users), int(num_items))

    def _build(self, num_users, num_items):
        self.num_users, self.num_items = num_users, num_items
        self.user_factors = Embedding(num_users, self.rank, dtype=self.dtype)
        self.item_factors = Embedding(num_items, self.rank, dtype=self.dtype)
        self.user_bias = Embedding(num_users, 1, dtype=self.dtype)
        self.item_bias = Embedding(num_items, 1, dtype=self.dtype)
        self.register_buffer("global_mean", Tensor(np.zeros(1, dtype=self.dtype)))
        with no_grad():
            init.normal_(self.user_factors.weight, 0.0, self.init_std)
            init.normal_(self.item_factors.weight, 0.0, self.init_std)
            init.zeros_(self.user_bias.weight)
            init.zeros_(self.item_bias.weight)

    def forward(self, users, items):
        u, i = _index(users), _index(items)
        dots = (self.user_factors(u) * self.item_factors(i)).sum(dim=1)                # (N,)
        return dots + self.user_bias(u).reshape(-1) + self.item_bias(i).reshape(-1) + self.global_mean

    # -- training ---------------------------------------------------------------------
    def _make_optimizer(self):
        from glassnet import optim

        opt = self.optimizer
        if isinstance(opt, optim.Optimizer):
            return opt
        if callable(opt):
            return opt(self.parameters())
        if opt not in _OPTIMIZERS:
            raise GlassnetValueError(f"MatrixFactorization: optimizer={opt!r}; expected one of "
                                     f"{list(_OPTIMIZERS)}, an Optimizer, or a callable(params)")
        cls = {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": optim.SGD,
               "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad}[opt]
        return cls(self.parameters(), lr=self.lr)

    def _fit(self, ratings):
        if getattr(self, "num_users", None) != ratings.n_users or self.num_items != ratings.n_items:
            self._build(ratings.n_users, ratings.n_items)
        self.global_mean.array[...] = self.global_mean_
        optimizer = self._make_optimizer()
        u_all, i_all = ratings.users, ratings.items
        r_all = ratings.ratings.astype(self.dtype)
        rng = default_generator()
        for _ in range(self.epochs):
            order = rng.permutation(ratings.nnz)
            total = 0.0
            for start in range(0, ratings.nnz, self.batch_size):
                batch = order[start:start + self.batch_size]
                total += self._step(optimizer, u_all[batch], i_all[batch], r_all[batch]) * batch.size
            self.history_.append((total / max(1, ratings.nnz)) ** 0.5)

    def _step(self, optimizer, u, i, r):
        """One optimiser step on a batch; returns the batch's mean squared error."""
        optimizer.zero_grad()
        error = self(u, i) - Tensor(r)
        mse = (error * error).mean()
        tables = (self.user_factors(u), self.item_factors(i), self.user_bias(u), self.item_bias(i))
        penalty = sum((t * t).sum() for t in tables) * (self.reg / u.size)
        (mse + penalty).backward()
        optimizer.step()
        return float(mse.item())

    # -- the Recommender contract -----------------------------------------------------
    def _predict_index(self, u, i):
        P, Q = self.user_factors.weight.numpy(), self.item_factors.weight.numpy()
        dots = np.einsum("nk,nk->n", P[u], Q[i])
        return (dots + self.user_bias.weight.numpy()[u, 0] + self.item_bias.weight.numpy()[i, 0]
                + self.global_mean_)

    def _score_rows(self, u):
        P, Q = self.user_factors.weight.numpy(), self.item_factors.weight.numpy()
        scores = P[u] @ Q.T                                                   # (rows, n_items)
        return (scores + self.item_bias.weight.numpy()[:, 0]
                + (self.user_bias.weight.numpy()[u, 0] + self.global_mean_)[:, None])

    def item_vectors(self):
        return self.item_factors.weight.numpy()

    def _config(self):
        optimizer = self.optimizer if isinstance(self.optimizer, str) else "adam"
        return {"num_users": self.num_users, "num_items": self.num_items, "rank": self.rank,
                "reg": self.reg, "epochs": self.epochs, "batch_size": self.batch_size,
                "lr": self.lr, "optimizer": optimizer, "init_std": self.init_std,
                "dtype": self.dtype.name}

    def _arrays(self):
        return {key: value.numpy() for key, value in self.state_dict().items()}

    @classmethod
    def _restore(cls, config, arrays):
        model = cls(**config)
        model.load_state_dict({k: v for k, v in arrays.items()
                               if not k.startswith("seen_") and not k.endswith("_ids")})
        return model


def _index(value):
    array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "iu":
        raise GlassnetTypeError(f"MatrixFactorization: users and items must be integer indices, "
                                f"got dtype {array.dtype}")
    return array.reshape(-1).astype(np.int64, copy=False)
