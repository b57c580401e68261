"""LogisticNormal against torch (log_prob and its gradients to 1e-10 in float64, shapes,
expand, draws on the simplex with the stick-breaking of Normal draws' moments); Kumaraswamy's
mode, which PyTorch 2.13 gives as NaN, against the density's maximum; GeneralizedPareto, which
PyTorch 2.13 cannot evaluate in float64 (its isclose against a float32 zero raises), against
SciPy's genpareto in float64 (1e-10) and torch in float32, with gradcheck and moments of draws;
LowRankMultivariateNormal against torch (every score, moment and matrix with its gradients, 1e-10);
VonMises's rejection draws have its circular moments."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import distributions as D
from glassnet.testing import gradcheck

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


# ξ = 0 and |ξ| ≤ 1e-8 take the exponential-tail branch, as PyTorch's isclose(ξ, 0)
GPD = (np.array([[-0.4, 0.0, 0.3], [0.2, -1e-9, -0.1]]), rng.standard_normal((2, 3)),
       rng.uniform(0.5, 2.0, (3,)))


def _gpd(lib, dist, xi, loc, scale, dtype):
    return dist.GeneralizedPareto(*(lib.tensor(a, dtype=dtype) for a in (loc, scale, xi)))


def test_generalized_pareto_equals_scipy_and_torch():
    from scipy.stats import genpareto

    xi, loc, scale = GPD
    ours = _gpd(gn, D, xi, loc, scale, gn.float64)
    theirs = _gpd(torch, TD, xi, loc, scale, torch.float32)
    value = loc + rng.uniform(0.01, 0.9, (4, 2, 3)) * scale
    u = rng.uniform(0.02, 0.98, (4, 2, 3))
    raw, xi = xi, np.where(np.abs(xi) <= 1e-8, 0.0, xi)  # the moments and entropy use ξ as given
    exact = {"log_prob": genpareto.logpdf(value, xi, loc, scale), "cdf": genpareto.cdf(value, xi, loc, scale),
             "log_survival_function": genpareto.logsf(value, xi, loc, scale)}
    for name, want in exact.items():
        got = getattr(ours, name)(gn.tensor(value))
        np.testing.assert_allclose(got.numpy(), want, **TOL)
        np.testing.assert_allclose(got.numpy(), getattr(theirs, name)(torch.tensor(value).float()).numpy(),
                                   rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(ours.icdf(gn.tensor(u)).numpy(), genpareto.ppf(u, xi, loc, scale), **TOL)
    np.testing.assert_allclose(ours.entropy().numpy(), genpareto.entropy(raw, loc, scale), **TOL)
    mean, var = genpareto.stats(raw, loc, scale, moments="mv")
    np.testing.assert_allclose(ours.mean.numpy(), mean, **TOL)
    np.testing.assert_allclose(ours.variance.numpy(), var, **TOL)
    for name in ("mean", "variance", "mode", "entropy"):
        got, want = getattr(ours, name), getattr(theirs, name)
        got, want = (got(), want()) if callable(got) else (got, want)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-5, atol=2e-5)
    heavy = D.GeneralizedPareto(0.0, 1.0, gn.tensor([0.7, 1.2], dtype=gn.float64))
    assert np.isnan(heavy.variance.numpy()).all() and np.isnan(heavy.mean.numpy()).tolist() == [False, True]
    with pytest.raises(RuntimeError):  # why the float64 comparison is with SciPy
        _gpd(torch, TD, xi, loc, scale, torch.float64).log_prob(torch.tensor(value))


def test_generalized_pareto_gradients_pass_gradcheck():
    """Away from ξ = 0, where the two branches meet (the value is continuous, ∂/∂ξ is not taken)."""
    _, loc, scale = GPD
    xi = np.array([[-0.4, 0.05, 0.3], [0.2, -0.02, -0.1]])
    value = gn.tensor(loc + rng.uniform(0.01, 0.9, (4, 2, 3)) * scale)
    u = gn.tensor(rng.uniform(0.02, 0.98, (4, 2, 3)))
    inputs = [gn.tensor(a, requires_grad=True) for a in (loc, scale, xi)]

    def scores(loc, scale, xi):
        d = D.GeneralizedPareto(loc, scale, xi)
        return (d.log_prob(value).sum() + d.cdf(value).sum() + d.icdf(u).sum() + d.entropy().sum()
                + d.mean.sum() + d.variance.sum())

    assert gradcheck(scores, inputs)

    def draw(loc, scale, xi):
        gn.manual_seed(3)
        return D.GeneralizedPareto(loc, scale, xi).rsample((3,))

    assert gradcheck(draw, inputs)


def test_generalized_pareto_draws_have_the_mean_and_variance():
    gn.manual_seed(9)
    d = D.GeneralizedPareto(gn.tensor([1.0, -2.0]), gn.tensor([0.5, 2.0]), gn.tensor([-0.3, 0.1]))
    n = 40_000
    x = d.sample((n,))
    assert tuple(x.shape) == (n, 2) and bool(d.support.check(x).all())
    x, mean, var = x.numpy(), d.mean.numpy(), d.variance.numpy()
    np.testing.assert_array_less(np.abs(x.mean(0) - mean), 5 * np.sqrt(var / n))
    fourth = ((x - mean) ** 4).mean(0)
    np.testing.assert_array_less(np.abs(x.var(0) - var), 5 * np.sqrt((fourth - var ** 2) / n))
    assert tuple(d.expand((3, 2)).sample((4,)).shape) == (4, 3, 2)


LOW_RANK = (rng.standard_normal((2, 4)), rng.standard_normal((3, 1, 4, 2)), rng.uniform(0.5, 2.0, (4,)))


def test_low_rank_multivariate_normal_equals_torchs():
    ours_p = [gn.tensor(a, requires_grad=True) for a in LOW_RANK]
    theirs_p = [torch.tensor(a, requires_grad=True) for a in LOW_RANK]
    ours, theirs = D.LowRankMultivariateNormal(*ours_p), TD.LowRankMultivariateNormal(*theirs_p)
    shapes = (tuple(ours.batch_shape), tuple(ours.event_shape))
    assert shapes == (tuple(theirs.batch_shape), tuple(theirs.event_shape)) == ((3, 2), (4,))
    value = rng.standard_normal((5, 3, 2, 4))
    total, ttotal = 0.0, 0.0
    for name in ("log_prob", "entropy", "mean", "variance", "covariance_matrix", "scale_tril",
                 "precision_matrix"):
        o, t = getattr(ours, name), getattr(theirs, name)
        if name == "log_prob":
            o, t = o(gn.tensor(value)), t(torch.tensor(value))
        elif name == "entropy":
            o, t = o(), t()
        _close(o, t)
        total, ttotal = total + o.sum(), ttotal + t.sum()
    total.backward()
    ttotal.backward()
    for o, t in zip(ours_p, theirs_p, strict=True):
        _close(o.grad, t.grad)
    wide = ours.expand((4, 3, 2))
    _close(wide.log_prob(gn.tensor(value[:4])), theirs.expand((4, 3, 2)).log_prob(torch.tensor(value[:4])))
    assert tuple(wide.sample((2,)).shape) == (2, 4, 3, 2, 4)


def test_low_rank_multivariate_normal_draws_have_its_covariance():
    gn.manual_seed(4)
    loc, W, diag = np.array([1.0, -2.0, 0.5]), rng.standard_normal((3, 2)), np.array([0.3, 1.0, 2.0])
    d = D.LowRankMultivariateNormal(gn.tensor(loc), gn.tensor(W), gn.tensor(diag))
    n = 40_000
    x = d.sample((n,)).numpy()
    cov = W @ W.T + np.diag(diag)
    var = np.diag(cov)
    np.testing.assert_array_less(np.abs(x.mean(0) - loc), 5 * np.sqrt(var / n))
    se = np.sqrt((np.outer(var, var) + cov ** 2) / n)
    np.testing.assert_array_less(np.abs(np.cov(x.T) - cov), 5 * se)

    inputs = [gn.tensor(a, requires_grad=True) for a in (loc, W, diag)]

    def draw(*params):
        gn.manual_seed(2)
        return D.LowRankMultivariateNormal(*params).rsample((3,))

    assert gradcheck(draw, inputs)


@pytest.mark.parametrize("shapes, message", [
    (((), (3, 1), (3,)), "loc must be at least one-dimensional"),
    (((3,), (3,), (3,)), "cov_factor must be at least two-dimensional"),
    (((3,), (2, 1), (3,)), "cov_factor must be a batch of matrices with shape 3 x m"),
    (((3,), (3, 1), (2,)), "cov_diag must be a batch of vectors with shape"),
    (((2, 3), (4, 3, 1), (3,)), "ncompatible batch shapes"),
])
def test_low_rank_multivariate_normal_refuses_what_torch_refuses(shapes, message):
    for lib, dist in ((gn, D), (torch, TD)):
        with pytest.raises(ValueError, match=message):
            dist.LowRankMultivariateNormal(*(lib.ones(s) if s else lib.tensor(0.0) for s in shapes))


@pytest.mark.parametrize("pair", ["low_low", "low_full", "full_low"])
def test_low_rank_kl_pairs_equal_torchs(pair):
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal((2, 3, 2)), rng.uniform(0.5, 2.0, (2, 3)),
              rng.standard_normal((3,)), rng.standard_normal((3, 3))]
    arrays[4] = arrays[4] @ arrays[4].T + 3 * np.eye(3)

    def build(lib, dist, loc, W, diag, loc2, cov):
        low = dist.LowRankMultivariateNormal(loc, W, diag)
        other = dist.LowRankMultivariateNormal(loc2, W[0] * 0.5, diag[1]) if pair == "low_low" else \
            dist.MultivariateNormal(loc2, covariance_matrix=cov)
        return (other, low) if pair == "full_low" else (low, other)

    ours_p = [gn.tensor(a, requires_grad=True) for a in arrays]
    theirs_p = [torch.tensor(a, requires_grad=True) for a in arrays]
    kl, tkl = D.kl_divergence(*build(gn, D, *ours_p)), TD.kl_divergence(*build(torch, TD, *theirs_p))
    _close(kl, tkl)
    kl.sum().backward()
    tkl.sum().backward()
    for o, t in zip(ours_p, theirs_p, strict=True):
        if t.grad is None:  # the covariance when both sides are low-rank
            assert o.grad is None
        else:
            _close(o.grad, t.grad)
    small = D.LowRankMultivariateNormal(gn.zeros(2), gn.ones(2, 1), gn.ones(2))
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(build(gn, D, *ours_p)[0], small)


def test_von_mises_draws_have_its_circular_moments():
    """40,000 Best–Fisher draws: E cos(x − μ) = I₁/I₀ = 1 − variance and E sin(x − μ) = 0,
    each within 5 standard errors (var cos = (1 + I₂/I₀)/2 − (I₁/I₀)², I₂/I₀ = 1 − 2(I₁/I₀)/κ)."""
    gn.manual_seed(8)
    loc, kappa = np.array([0.5, -3.0, 2.0, 0.0]), np.array([0.2, 1.0, 5.0, 1e-6])
    d = D.VonMises(gn.tensor(loc), gn.tensor(kappa))
    n = 40_000
    x = d.sample((n,))
    assert tuple(x.shape) == (n, 4) and str(x.dtype) == "float64" and not x.requires_grad
    x = x.numpy()
    assert ((x > -np.pi) & (x <= np.pi)).all()
    ratio = 1 - d.variance.numpy()
    ratio2 = 1 - 2 * ratio / kappa
    var_cos, var_sin = (1 + ratio2) / 2 - ratio ** 2, (1 - ratio2) / 2
    np.testing.assert_array_less(np.abs(np.cos(x - loc).mean(0) - ratio), 5 * np.sqrt(var_cos / n))
    np.testing.assert_array_less(np.abs(np.sin(x - loc).mean(0)), 5 * np.sqrt(var_sin / n))
    assert tuple(D.VonMises(0.0, gn.tensor([1.0, 2.0])).sample((3,)).shape) == (3, 2)
    assert not d.has_rsample
