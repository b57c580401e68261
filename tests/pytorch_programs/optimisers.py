"""Optimisers as programs write them: a custom ``torch.optim.Optimizer`` subclass (its own
``step`` with ``@torch.no_grad()``, Tensor state, a closure), saved with ``state_dict`` and
resumed in a fresh optimiser; and an embedding table trained by ``SparseAdam`` beside
``Adam`` for the dense head, with ``maximize`` and ``foreach`` passed as torch allows."""

import importlib
import warnings

import numpy as np

from pytorch_programs._weights import load_weights


def custom_optimizer(torch):
    """Sign-momentum SGD written against torch.optim.optimizer.Optimizer."""
    Optimizer = importlib.import_module(f"{torch.__name__}.optim.optimizer").Optimizer

    class SignMomentum(Optimizer):
        def __init__(self, params, lr=0.01, momentum=0.9):
            if lr <= 0:
                raise ValueError(f"Invalid learning rate: {lr}")
            super().__init__(params, dict(lr=lr, momentum=momentum))

        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["buf"] = torch.zeros_like(p)
                    state["step"] += 1
                    buf = state["buf"]
                    buf.mul_(group["momentum"]).add_(p.grad, alpha=1 - group["momentum"])
                    p.add_(torch.sign(buf), alpha=-group["lr"])
            return loss

    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(31)
    nn = torch.nn
    model = load_weights(torch, nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)), seed=32)
    x, y = torch.tensor(rng.standard_normal((10, 3))), torch.tensor(rng.standard_normal((10, 1)))

    def closure():
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    optimizer = SignMomentum(model.parameters(), lr=0.02)
    losses = [optimizer.step(closure).item() for _ in range(4)]
    saved = optimizer.state_dict()
    optimizer = SignMomentum(model.parameters(), lr=0.02)
    optimizer.load_state_dict(saved)
    losses += [optimizer.step(closure).item() for _ in range(3)]
    state = optimizer.state_dict()["state"][0]
    return {"losses": losses, "state": dict(model.state_dict()), "step": state["step"], "buf": state["buf"]}


def sparse_embedding(torch):
    """An nn.Embedding(sparse=True) bag-of-words classifier: SparseAdam for the table,
    Adam(maximize=False, foreach=False) for the head, a StepLR on each."""
    torch.set_default_dtype(torch.float64)
    nn, F = torch.nn, torch.nn.functional
    rng = np.random.default_rng(33)
    with warnings.catch_warnings():  # glassnet says once that its "sparse" gradient is dense
        warnings.simplefilter("ignore")
        table = load_weights(torch, nn.Embedding(30, 6, sparse=True), seed=34, scale=1.0)
    head = load_weights(torch, nn.Linear(6, 2), seed=35)
    sparse = torch.optim.SparseAdam(list(table.parameters()), lr=0.05)
    dense = torch.optim.Adam(head.parameters(), lr=0.02, maximize=False, foreach=False)
    schedulers = [torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5) for o in (sparse, dense)]
    losses = []
    for _ in range(8):
        words = torch.tensor(rng.integers(0, 20, (6, 4)))
        labels = torch.tensor(rng.integers(0, 2, 6))
        loss = F.cross_entropy(head(table(words).mean(1)), labels)
        sparse.zero_grad()
        dense.zero_grad()
        loss.backward()
        sparse.step()
        dense.step()
        for s in schedulers:
            s.step()
        losses.append(loss.item())
    return {"losses": losses, "table": table.weight, "head": dict(head.state_dict()),
            "lr": [s.get_last_lr()[0] for s in schedulers]}


PROGRAMS = {f.__name__: f for f in (custom_optimizer, sparse_embedding)}
