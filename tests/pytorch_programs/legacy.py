"""Old-style PyTorch: updates through ``.data``, as programs written before ``torch.no_grad``
still do (``p.data -= lr * p.grad.data``, ``p.grad.data.zero_()``, ``p.data.copy_(…)``)."""

# ruff: noqa: B007  (tutorial code as PyTorch users write it: unused loop names)

import numpy as np

from pytorch_programs._weights import load_weights


def data_updates_loop(torch):
    """A two-layer regression net trained by hand through ``.data``: the update, the gradient
    reset, a weight decay with ``mul_``, a clamp, a copy into a twin and a swap of storage."""
    rng = np.random.default_rng(7)
    x = torch.tensor(rng.standard_normal((32, 5)), dtype=torch.float64)
    y = torch.tensor(rng.standard_normal((32, 2)), dtype=torch.float64)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    load_weights(torch, model, seed=11)
    twin = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2)).double()
    lr, losses = 0.05, []
    for step in range(40):
        loss = ((model(x) - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        for p in model.parameters():
            if step % 2:
                p.data -= lr * p.grad.data
            else:
                p.data.add_(p.grad.data, alpha=-lr)
            p.data.mul_(1 - 1e-3)
            p.grad.data.zero_()
    first = model[0]
    first.bias.data.clamp_(-0.2, 0.2)
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        q.data.copy_(p.data)
    last = model[2]
    last.weight.data = last.weight.data * 2          # a new storage, same shape
    swapped = torch.zeros(3, 3, dtype=torch.float64)
    swapped.data = torch.ones(2, 4, dtype=torch.float64)  # values and shape replaced
    zeroed = [float(p.grad.abs().sum()) for p in model.parameters()]
    return {"losses": losses[::5], "weight0": first.weight, "bias0": first.bias, "weight2": last.weight,
            "twin": list(twin.state_dict().values()), "twin_out": twin(x), "zeroed": zeroed,
            "numpy": first.weight.data.numpy().sum().item(), "swapped": swapped,
            "flags": [first.weight.data.requires_grad, first.weight.requires_grad, first.weight.data.is_leaf]}


PROGRAMS = {f.__name__: f for f in (data_updates_loop,)}
