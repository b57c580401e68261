"""LogisticNormal against torch (log_prob and its gradients to 1e-10 in float64, shapes,
expand, draws on the simplex with the stick-breaking of Normal draws' moments), and
Kumaraswamy's mode, which PyTorch 2.13 gives as NaN: checked against the density's maximum."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
TOL = {"rtol": 1e-10, "atol": 1e-10}
rng = np.random.default_rng(3)


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL)


def test_logistic_normal_equals_torchs():
    loc, scale = rng.standard_normal((2, 3)), rng.uniform(0.5, 2.0, (2, 3))
    m, s = (gn.tensor(a, requires_grad=True) for a in (loc, scale))
    tm, ts = (torch.tensor(a, requires_grad=True) for a in (loc, scale))
    ours, theirs = D.LogisticNormal(m, s), TD.LogisticNormal(tm, ts)
    assert (tuple(ours.batch_shape), tuple(ours.event_shape)) == (tuple(theirs.batch_shape),
                                                                   tuple(theirs.event_shape)) == ((2,), (4,))
    y = rng.uniform(0.05, 1.0, (5, 2, 4))
    y /= y.sum(-1, keepdims=True)
    lp, tlp = ours.log_prob(gn.tensor(y)), theirs.log_prob(torch.tensor(y))
    _close(lp, tlp)
    lp.sum().backward()
    tlp.sum().backward()
    _close(m.grad, tm.grad)
    _close(s.grad, ts.grad)
    _close(ours.loc, theirs.loc)
    _close(ours.scale, theirs.scale)
    wide, twide = ours.expand((3, 2)), theirs.expand((3, 2))
    assert tuple(wide.batch_shape) == tuple(twide.batch_shape) and tuple(wide.sample().shape) == (3, 2, 4)
    _close(wide.log_prob(gn.tensor(y[:3])), twide.log_prob(torch.tensor(y[:3])))
    scalar, tscalar = D.LogisticNormal(0.0, 1.0), TD.LogisticNormal(0.0, 1.0)
    assert tuple(scalar.sample((3,)).shape) == tuple(tscalar.sample((3,)).shape) == (3, 2)
    assert ours.has_rsample and ours.rsample().requires_grad


def test_logistic_normal_draws_are_stick_broken_normals():
    """40,000 draws lie on the simplex, and their inverse stick-breaking has the Normal's mean
    and variance (5 standard errors)."""
    gn.manual_seed(5)
    loc, scale = np.array([0.5, -1.0, 2.0]), np.array([0.3, 1.0, 2.0])
    y = D.LogisticNormal(gn.tensor(loc), gn.tensor(scale)).sample((40_000,))
    assert bool(D.constraints.simplex.check(y).all())
    x = D.transforms.StickBreakingTransform().inv(y).numpy()
    np.testing.assert_array_less(np.abs(x.mean(0) - loc), 5 * scale / np.sqrt(40_000))
    np.testing.assert_array_less(np.abs(x.var(0) - scale ** 2), 5 * scale ** 2 * np.sqrt(2 / 40_000))


def test_kumaraswamy_mode_is_the_density_maximum():
    a, b = np.array([3.0, 1.5, 5.0, 0.5]), np.array([4.0, 5.0, 1.5, 2.0])
    mode = D.Kumaraswamy(gn.tensor(a), gn.tensor(b)).mode.numpy()
    grid = np.linspace(1e-4, 1 - 1e-4, 200_001)[:, None]
    density = np.log(a * b) + (a - 1) * np.log(grid) + (b - 1) * np.log1p(-grid ** a)
    np.testing.assert_allclose(mode[:3], grid[density[:, :3].argmax(0), 0], atol=1e-5)
    assert np.isnan(mode[3])
    assert np.isnan(TD.Kumaraswamy(torch.tensor(a), torch.tensor(b)).mode.numpy()).all()
