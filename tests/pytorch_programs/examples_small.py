"""Small programs by others' habits: a tiny autograd engine's test file that checks itself
against PyTorch (legacy torch.Tensor([...]).double(), requires_grad set as an attribute,
.data.item()), and pytorch/examples' polynomial regression (weights printed with format
specs, a batch from torch.randn replaced by NumPy draws, itertools.count)."""

# ruff: noqa: B007, B905, UP008, UP031, UP032  (code as its authors write it: str.format included)

from itertools import count

import numpy as np


def tiny_autograd_tests(torch):
    """micrograd's test_engine.py, torch side: its two expressions and their gradients."""

    def test_sanity_check():
        x = torch.Tensor([-4.0]).double()
        x.requires_grad = True
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        y = h + q + q * x
        y.backward()
        return [y.data.item(), x.grad.item()]

    def test_more_ops():
        a = torch.Tensor([-4.0]).double()
        b = torch.Tensor([2.0]).double()
        a.requires_grad = True
        b.requires_grad = True
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        g.backward()
        return [g.data.item(), a.grad.item(), b.grad.item()]

    def test_tanh_exp_pow():
        x = torch.tensor([0.5, -1.5], dtype=torch.float64, requires_grad=True)
        y = (x.tanh() * x.exp() + abs(x) ** 2.5).sum()
        y.backward()
        return [y.item(), x.grad.tolist()]

    return {"sanity": test_sanity_check(), "more_ops": test_more_ops(), "tanh": test_tanh_exp_pow()}


def polynomial_regression(torch):
    """pytorch/examples regression/main.py: features x^1..x^4 by torch.cat of powers, a
    target function from a fixed W, b, F.smooth_l1_loss, the manual update
    param.data.add_(-0.1 * param.grad), stopping when the loss is small, and poly_desc
    formatting each weight with '{:+.2f}'."""
    F = torch.nn.functional
    POLY_DEGREE = 4
    W_target = torch.tensor([[0.5], [-1.2], [2.0], [0.3]], dtype=torch.float64)
    b_target = torch.tensor([0.7], dtype=torch.float64)
    rng = np.random.default_rng(110)

    def make_features(x):
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x):
        return x.mm(W_target) + b_target.item()

    def poly_desc(W, b):
        result = "y = "
        for i, w in enumerate(W):
            result += "{:+.2f} x^{} ".format(w, i + 1)
        result += "{:+.2f}".format(b[0])
        return result

    def get_batch(batch_size=8):
        random = torch.from_numpy(rng.standard_normal(batch_size))
        x = make_features(random)
        y = f(x)
        return x, y

    fc = torch.nn.Linear(W_target.size(0), 1).double()
    fc.load_state_dict({"weight": torch.zeros(1, 4, dtype=torch.float64),
                        "bias": torch.zeros(1, dtype=torch.float64)})
    losses = []
    for batch_idx in count(1):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.02 * param.grad)
        losses.append(loss)
        if loss < 1e-2 or batch_idx >= 40:
            break
    return {"losses": losses, "batches": batch_idx, "learned": poly_desc(fc.weight.view(-1), fc.bias),
            "actual": poly_desc(W_target.view(-1), b_target), "loss_line": "Loss: {:.6f}".format(loss)}


PROGRAMS = {f.__name__: f for f in (tiny_autograd_tests, polynomial_regression)}
