"""PyTorch's optimiser switches and SparseAdam.

``foreach=`` and ``fused=`` are accepted as speed hints with identical numbers;
``maximize=True`` ascends (trajectories equal torch's, float64 1e-10); ``capturable=True``
and ``differentiable=True`` are refused with the reason; ``optim.SparseAdam`` with
``nn.Embedding(sparse=True)`` gives torch's SparseAdam numbers (float64 1e-10).
"""

import inspect
import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

FLAGS = ("foreach", "fused", "capturable", "differentiable", "maximize")
OPTIMISERS = {  # name → options besides the flags
    "SGD": {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2}, "Adam": {"lr": 0.01, "amsgrad": True},
    "AdamW": {"lr": 0.01}, "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adagrad": {"lr": 0.1, "lr_decay": 1e-3}, "Adadelta": {"lr": 0.5}, "Adamax": {"lr": 0.01},
    "NAdam": {"lr": 0.01}, "RAdam": {"lr": 0.01}, "Rprop": {"lr": 0.01, "etas": (0.4, 1.3)},
    "ASGD": {"lr": 0.05, "lambd": 1e-2, "t0": 2, "weight_decay": 1e-3},
}


def _torch_flags(name):
    return [f for f in FLAGS if f in inspect.signature(getattr(torch.optim, name).__init__).parameters]


NOT_HERE = {"Adafactor", "Muon"}  # torch's newest two (2.5+), not in glassnet yet


def test_every_torch_optimiser_but_the_newest_is_here():
    names = {n for n, v in vars(torch.optim).items()
             if isinstance(v, type) and issubclass(v, torch.optim.Optimizer)}
    assert names - NOT_HERE <= set(gn.optim.__all__), names - NOT_HERE - set(gn.optim.__all__)


def test_every_optimiser_takes_the_flags_torch_takes():
    for name in [*OPTIMISERS, "SparseAdam", "LBFGS"]:
        ours = inspect.signature(getattr(gn.optim, name).__init__).parameters
        assert [f for f in _torch_flags(name) if f not in ours] == [], name


def _trajectory(lib, name, options, steps=5):
    """A small float64 regression model trained ``steps`` steps; its final weights."""
    rng = np.random.default_rng(0)
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1)).double()
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape))))
    x, y = lib.tensor(rng.standard_normal((8, 3))), lib.tensor(rng.standard_normal((8, 1)))
    optimizer = getattr(lib.optim, name)(model.parameters(), **options)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
@pytest.mark.parametrize("hint", ["foreach", "fused", None])
def test_maximize_and_speed_hints_give_torchs_numbers(name, hint):
    if hint is not None and hint not in _torch_flags(name):
        pytest.skip(f"torch.optim.{name} has no {hint}")
    options = {**OPTIMISERS[name], "maximize": True, **({hint: True} if hint else {})}
    ours, theirs = _trajectory(gn, name, options), _trajectory(torch, name, options)
    assert ours[0][-1] > ours[0][0]  # ascending the loss
    # torch's multi-tensor ASGD multiplies by its float32 eta tensor: its foreach numbers
    # differ from its own single-tensor ones by ~3e-8 (glassnet gives the single-tensor ones)
    rtol = 1e-7 if (name, hint) == ("ASGD", "foreach") else 1e-10
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=1e-12)
    for a, b in zip(ours[1], theirs[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)
    plain = _trajectory(gn, name, {**OPTIMISERS[name], "maximize": True})
    np.testing.assert_array_equal(ours[0], plain[0])  # a hint changes nothing


@pytest.mark.parametrize("name", sorted(OPTIMISERS))
@pytest.mark.parametrize("flag", ["capturable", "differentiable"])
def test_capturable_and_differentiable_are_refused_with_the_reason(name, flag):
    if flag not in _torch_flags(name):
        pytest.skip(f"torch.optim.{name} has no {flag}")
    w = gn.nn.Parameter(gn.zeros(2))
    getattr(gn.optim, name)([w], **{flag: False})
    message = rf"{name}: {flag}=True is not supported by glassnet .* leave {flag}=False"
    with pytest.raises(ValueError, match=message):
        getattr(gn.optim, name)([w], **{flag: True})


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_and_foreach_together_are_refused_as_torch(name):
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], foreach=True, fused=True)
    with pytest.raises(ValueError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(gn.optim, name)([gn.nn.Parameter(gn.zeros(2))], foreach=True, fused=True)


def _embedding_model(lib, maximize=False, steps=6):
    """A bag-of-embeddings classifier: nn.Embedding(sparse=True) trained by SparseAdam,
    the linear head by Adam (torch's recipe for sparse tables); some rows never looked up."""
    rng = np.random.default_rng(1)
    emb = lib.nn.Embedding(20, 5, sparse=True).double()
    head = lib.nn.Linear(5, 3).double()
    with lib.no_grad():
        emb.weight.copy_(lib.tensor(rng.standard_normal((20, 5))))
        head.weight.copy_(lib.tensor(rng.uniform(-0.5, 0.5, (3, 5))))
        head.bias.zero_()
    sparse = lib.optim.SparseAdam(list(emb.parameters()), lr=0.05, maximize=maximize)
    dense = lib.optim.Adam(head.parameters(), lr=0.01)
    losses = []
    for step in range(steps):
        ids = lib.tensor(rng.integers(0, 12 if step < 3 else 16, (4, 3)))
        labels = lib.tensor(rng.integers(0, 3, 4))
        loss = lib.nn.functional.cross_entropy(head(emb(ids).mean(1)), labels)
        sparse.zero_grad()
        dense.zero_grad()
        loss.backward()
        sparse.step()
        dense.step()
        losses.append(loss.item())
    state = sparse.state[emb.weight]
    return (np.array(losses), emb.weight.detach().numpy().copy(), head.weight.detach().numpy().copy(),
            np.asarray(state["exp_avg_sq"]).copy(), int(state["step"]))


@pytest.mark.parametrize("maximize", [False, True])
def test_sparse_adam_on_an_embedding_gives_torchs_numbers(maximize):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gn.GlassnetWarning)  # sparse=True gives a dense gradient here
        ours = _embedding_model(gn, maximize)
    theirs = _embedding_model(torch, maximize)
    for a, b in zip(ours[:4], theirs[:4], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert ours[4] == theirs[4] == 6
    assert (ours[3][16:] == 0).all() and (ours[3][:12] > 0).all()  # rows 16-19 were never looked up


def test_sparse_adam_leaves_rows_without_gradient_as_they_were():
    """Dense Adam keeps moving a row once it has momentum; SparseAdam does not."""
    w = gn.nn.Parameter(gn.tensor(np.ones((3, 2))))
    opt = gn.optim.SparseAdam([w], lr=0.1)
    w.grad = gn.tensor(np.array([[1.0, 1.0], [0.0, 0.0], [2.0, 0.0]]))
    opt.step()
    after_first = w.numpy().copy()
    # a touched row moves by lr·sign(g) on the first step, even where its gradient entry is 0
    np.testing.assert_allclose(after_first, [[0.9, 0.9], [1.0, 1.0], [0.9, 1.0]], rtol=1e-6)
    w.grad = gn.tensor(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]))
    opt.step()
    np.testing.assert_array_equal(w.numpy()[:2], after_first[:2])
    assert not np.array_equal(w.numpy()[2], after_first[2])


@pytest.mark.parametrize("options, message", [
    ({"lr": 0.0}, r"SparseAdam: lr must be > 0, got 0.0"), ({"eps": 0.0}, r"SparseAdam: eps must be > 0"),
    ({"betas": (0.9, 1.0)}, r"SparseAdam: beta parameter at index 1 must be in \[0, 1\), got 1.0"),
])
def test_sparse_adam_refuses_torchs_invalid_options(options, message):
    with pytest.raises(ValueError):
        torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=message):
        gn.optim.SparseAdam([gn.nn.Parameter(gn.zeros(2))], **options)
