"""gn.distributions against torch.distributions: log_prob, entropy, cdf, moments and KL
equal in float64 (1e-12), gradients of log_prob equal, rsample's gradient checked by
central differences with the noise fixed (the seed), sample shapes and dtypes as
PyTorch's, and validation errors where PyTorch raises them."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import distributions as D
from glassnet.testing import gradcheck

torch = pytest.importorskip("torch")
TD = torch.distributions
TOL = {"rtol": 1e-12, "atol": 1e-12}
rng = np.random.default_rng(0)
LOC, SCALE = rng.standard_normal((2, 3)), rng.uniform(0.3, 2.0, (2, 3))
LOGITS = rng.standard_normal((2, 4))
PROBS = rng.uniform(0.05, 1.0, (2, 4))
BPROBS = rng.uniform(0.05, 0.95, (2, 3))
LOW, HIGH = rng.uniform(-2, 0, (2, 3)), rng.uniform(0.5, 2, (2, 3))


def _pair(*arrays, grad=True):
    """The same float64 arrays as glassnet and torch leaves."""
    ours = [gn.tensor(a, dtype=gn.float64, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
    return ours, theirs


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL)


BUILDERS = {  # name → (arrays, build(lib_distributions, *params), a value to score)
    "normal": ((LOC, SCALE), lambda d, m, s: d.Normal(m, s), rng.standard_normal((5, 2, 3))),
    "uniform": ((LOW, HIGH), lambda d, a, b: d.Uniform(a, b), rng.uniform(-0.2, 0.4, (5, 2, 3))),
    "bernoulli_probs": ((BPROBS,), lambda d, p: d.Bernoulli(probs=p), rng.integers(0, 2, (5, 2, 3)) * 1.0),
    "bernoulli_logits": ((LOC,), lambda d, l: d.Bernoulli(logits=l), rng.integers(0, 2, (5, 2, 3)) * 1.0),
    "categorical_logits": ((LOGITS,), lambda d, l: d.Categorical(logits=l), rng.integers(0, 4, (5, 2))),
    "categorical_probs": ((PROBS,), lambda d, p: d.Categorical(probs=p), rng.integers(0, 4, (5, 2))),
    "independent_normal": ((LOC, SCALE), lambda d, m, s: d.Independent(d.Normal(m, s), 1),
                           rng.standard_normal((5, 2, 3))),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_log_prob_entropy_and_moments_equal_torchs(name):
    arrays, build, value = BUILDERS[name]
    ours_p, theirs_p = _pair(*arrays)
    ours, theirs = build(D, *ours_p), build(TD, *theirs_p)
    assert (tuple(ours.batch_shape), tuple(ours.event_shape)) == (tuple(theirs.batch_shape),
                                                                   tuple(theirs.event_shape))
    value_dtype = torch.int64 if value.dtype.kind == "i" else torch.float64
    lp, tlp = ours.log_prob(gn.tensor(value)), theirs.log_prob(torch.tensor(value, dtype=value_dtype))
    _close(lp, tlp)
    _close(ours.entropy(), theirs.entropy())
    if "categorical" not in name:
        for moment in ("mean", "stddev", "variance"):
            _close(getattr(ours, moment), getattr(theirs, moment))
    (lp.sum() + ours.entropy().sum()).backward()
    (tlp.sum() + theirs.entropy().sum()).backward()
    for o, t in zip(ours_p, theirs_p, strict=True):
        _close(o.grad, t.grad)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_samples_have_pytorchs_shape_and_dtype(name):
    arrays, build, _ = BUILDERS[name]
    ours_p, theirs_p = _pair(*arrays)
    ours, theirs = build(D, *ours_p), build(TD, *theirs_p)
    for shape in ((), (4,), (2, 5)):
        s, t = ours.sample(shape), theirs.sample(shape)
        assert (tuple(s.shape), str(s.dtype)) == (tuple(t.shape), str(t.dtype).replace("torch.", ""))
        assert not s.requires_grad


def test_normal_cdf_and_uniform_cdf_equal_torchs():
    (m, s), (tm, ts) = _pair(LOC, SCALE)
    x = rng.standard_normal((2, 3))
    _close(D.Normal(m, s).cdf(gn.tensor(x)), TD.Normal(tm, ts).cdf(torch.tensor(x)))
    (a, b), (ta, tb) = _pair(LOW, HIGH)
    u = rng.uniform(-0.2, 0.4, (2, 3))
    _close(D.Uniform(a, b).cdf(gn.tensor(u)), TD.Uniform(ta, tb).cdf(torch.tensor(u)))


def test_draws_follow_the_distribution():
    """20,000 seeded draws: sample means within 5 standard errors of the true means."""
    gn.manual_seed(3)
    n = 20_000
    normal = D.Normal(gn.tensor([1.0, -2.0], dtype=gn.float64), gn.tensor([0.5, 3.0], dtype=gn.float64))
    draws = normal.sample((n,)).numpy()
    np.testing.assert_array_less(np.abs(draws.mean(0) - [1.0, -2.0]), 5 * np.array([0.5, 3.0]) / np.sqrt(n))
    probs = np.array([0.1, 0.6, 0.3])
    counts = np.bincount(D.Categorical(probs=gn.tensor(probs)).sample((n,)).numpy(), minlength=3) / n
    np.testing.assert_array_less(np.abs(counts - probs), 5 * np.sqrt(probs * (1 - probs) / n))
    p = D.Bernoulli(probs=gn.tensor([0.2, 0.9])).sample((n,)).numpy().mean(0)
    np.testing.assert_array_less(np.abs(p - [0.2, 0.9]), 5 * np.sqrt(np.array([0.16, 0.09]) / n))
    u = D.Uniform(-1.0, 3.0).sample((n,)).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 5 * 4 / np.sqrt(12 * n)


@pytest.mark.parametrize("kind", ["normal", "uniform"])
def test_rsample_gradient_with_fixed_noise(kind):
    """x = μ + σ·ε and x = a + u·(b − a) differentiate through the parameters."""
    make = {"normal": D.Normal, "uniform": D.Uniform}[kind]
    params = (LOC, SCALE) if kind == "normal" else (LOW, HIGH)
    inputs = [gn.tensor(a, dtype=gn.float64, requires_grad=True) for a in params]

    def draw(p1, p2):
        gn.manual_seed(11)
        return make(p1, p2).rsample((4,))

    assert gradcheck(draw, inputs)
    gn.manual_seed(11)
    x = make(*inputs).rsample((4,))
    assert x.requires_grad and tuple(x.shape) == (4, 2, 3)


def test_sample_is_cut_from_the_graph_and_discrete_have_no_rsample():
    m = gn.tensor(LOC, requires_grad=True)
    assert not D.Normal(m, 1.0).sample().requires_grad
    assert D.Normal(m, 1.0).rsample().requires_grad
    assert not D.Categorical(logits=m).has_rsample
    with pytest.raises(NotImplementedError, match="rsample"):
        D.Categorical(logits=m).rsample()


PAIRS = {  # (p arrays, q arrays, build)
    "normal": ((LOC, SCALE), (LOC[::-1].copy(), SCALE[::-1].copy()), lambda d, m, s: d.Normal(m, s)),
    "bernoulli": ((BPROBS,), (BPROBS[::-1].copy(),), lambda d, p: d.Bernoulli(probs=p)),
    "categorical": ((LOGITS,), (LOGITS[::-1].copy(),), lambda d, l: d.Categorical(logits=l)),
    "uniform": ((LOW, HIGH), (LOW - 0.5, HIGH + 0.5), lambda d, a, b: d.Uniform(a, b)),
    "independent": ((LOC, SCALE), (LOC[::-1].copy(), SCALE[::-1].copy()),
                    lambda d, m, s: d.Independent(d.Normal(m, s), 2)),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_kl_divergence_equals_torchs(name):
    p_arrays, q_arrays, build = PAIRS[name]
    (op, tp), (oq, tq) = _pair(*p_arrays), _pair(*q_arrays)
    ours = D.kl_divergence(build(D, *op), build(D, *oq))
    theirs = TD.kl_divergence(build(TD, *tp), build(TD, *tq))
    _close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    for o, t in zip(op + oq, tp + tq, strict=True):
        _close(o.grad, t.grad)


def test_kl_between_families_and_infinite_cases():
    (a, b, m, s), (ta, tb, tm, ts) = _pair(LOW, HIGH, LOC, SCALE, grad=False)
    _close(D.kl_divergence(D.Uniform(a, b), D.Normal(m, s)),
           TD.kl_divergence(TD.Uniform(ta, tb), TD.Normal(tm, ts)))
    _close(D.kl_divergence(D.Normal(m, s), D.Uniform(a, b)),
           TD.kl_divergence(TD.Normal(tm, ts), TD.Uniform(ta, tb)))
    narrow = D.kl_divergence(D.Uniform(a, b), D.Uniform(a + 0.1, b))
    assert np.isinf(narrow.numpy()).all()
    zero = np.array([0.0, 0.5, 1.0])
    (p, q), (tp, tq) = _pair(zero, zero[::-1].copy(), grad=False)
    _close(D.kl_divergence(D.Bernoulli(probs=p), D.Bernoulli(probs=q)),
           TD.kl_divergence(TD.Bernoulli(probs=tp), TD.Bernoulli(probs=tq)))
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(probs=gn.tensor(0.5)))


@pytest.mark.parametrize("make", [
    lambda d, lib: d.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])),
    lambda d, lib: d.Normal(lib.tensor([float("nan")]), lib.tensor([1.0])),
    lambda d, lib: d.Bernoulli(probs=lib.tensor([0.5, 1.5])),
    lambda d, lib: d.Categorical(probs=lib.tensor([0.5, -0.1, 0.6])),
    lambda d, lib: d.Uniform(lib.tensor([1.0]), lib.tensor([0.0])),
])
def test_invalid_parameters_raise_as_pytorch(make):
    with pytest.raises(ValueError, match="Expected parameter") as theirs:
        make(TD, torch)
    with pytest.raises(ValueError, match="Expected parameter") as ours:
        make(D, gn)
    assert str(ours.value).split(" (")[0] == str(theirs.value).split(" (")[0]


@pytest.mark.parametrize("build, value", [
    (lambda d, lib: d.Normal(0.0, 1.0), lambda lib: 0.5),
    (lambda d, lib: d.Bernoulli(probs=lib.tensor([0.3])), lambda lib: lib.tensor([0.5])),
    (lambda d, lib: d.Categorical(logits=lib.zeros(3)), lambda lib: lib.tensor(3)),
    (lambda d, lib: d.Uniform(0.0, 1.0), lambda lib: lib.tensor(1.5)),
    (lambda d, lib: d.Independent(d.Normal(lib.zeros(3), lib.ones(3)), 1), lambda lib: lib.zeros(2)),
    (lambda d, lib: d.Normal(lib.zeros(3), lib.ones(3)), lambda lib: lib.zeros(2)),
])
def test_invalid_values_raise_as_pytorch(build, value):
    with pytest.raises(ValueError) as theirs:
        build(TD, torch).log_prob(value(torch))
    with pytest.raises(ValueError) as ours:
        build(D, gn).log_prob(value(gn))
    assert str(ours.value)[:30] == str(theirs.value)[:30]


def test_validation_can_be_turned_off():
    d = D.Bernoulli(probs=gn.tensor([0.5]), validate_args=False)
    np.testing.assert_allclose(d.log_prob(gn.tensor([0.5])).numpy(), [np.log(0.5)], rtol=1e-6)
    D.Normal(gn.tensor([0.0]), gn.tensor([-1.0]), validate_args=False)
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(gn.tensor([0.0]), gn.tensor([-1.0]))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(gn.tensor([0.0]), gn.tensor([-1.0]))


def test_exactly_one_of_probs_and_logits():
    with pytest.raises(ValueError, match="exactly one of probs or logits, got neither"):
        D.Categorical()
    with pytest.raises(ValueError, match="got both"):
        D.Bernoulli(probs=gn.tensor([0.5]), logits=gn.tensor([0.0]))


def test_independent_shapes_and_errors():
    base = D.Normal(gn.zeros(4, 2, 3), gn.ones(4, 2, 3))
    ind = D.Independent(base, 2)
    assert (tuple(ind.batch_shape), tuple(ind.event_shape)) == ((4,), (2, 3))
    assert tuple(ind.log_prob(gn.zeros(4, 2, 3)).shape) == (4,)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims <= len"):
        D.Independent(base, 4)


def _spd(seed, batch=()):
    """Symmetric positive definite k×k matrices A·Aᵀ + k·I (float64)."""
    a = np.random.default_rng(seed).standard_normal(batch + (3, 3))
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)


MVN_FORMS = {  # name → (parameter arrays, build(lib_distributions, loc, matrix))
    "covariance": lambda d, m, c: d.MultivariateNormal(m, covariance_matrix=c),
    "precision": lambda d, m, c: d.MultivariateNormal(m, precision_matrix=c),
    "scale_tril": lambda d, m, c: d.MultivariateNormal(m, scale_tril=c),
}


def _mvn_params(form):
    cov = _spd(5, (2,))
    matrix = np.linalg.cholesky(cov) if form == "scale_tril" else cov
    return rng.standard_normal((2, 3)), matrix


@pytest.mark.parametrize("form", sorted(MVN_FORMS))
def test_multivariate_normal_equals_torchs(form):
    loc, matrix = _mvn_params(form)
    (m, c), (tm, tc) = _pair(loc, matrix)
    ours, theirs = MVN_FORMS[form](D, m, c), MVN_FORMS[form](TD, tm, tc)
    assert (tuple(ours.batch_shape), tuple(ours.event_shape)) == ((2,), (3,))
    value = rng.standard_normal((4, 2, 3))
    lp, tlp = ours.log_prob(gn.tensor(value)), theirs.log_prob(torch.tensor(value))
    _close(lp, tlp)
    _close(ours.entropy(), theirs.entropy())
    for attribute in ("mean", "variance", "stddev", "covariance_matrix", "precision_matrix", "scale_tril"):
        np.testing.assert_allclose(getattr(ours, attribute).detach().numpy(),
                                   getattr(theirs, attribute).detach().numpy(), rtol=1e-10, atol=1e-12)
    (lp.sum() + ours.entropy().sum()).backward()
    (tlp.sum() + theirs.entropy().sum()).backward()
    for o, t in ((m, tm), (c, tc)):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert tuple(ours.sample((5,)).shape) == tuple(theirs.sample((5,)).shape) == (5, 2, 3)
    wide = gn.tensor(value[:, :1].repeat(2, axis=1))
    _close(ours.expand((4, 2)).log_prob(wide), theirs.expand((4, 2)).log_prob(torch.tensor(wide.numpy())))


def test_multivariate_normal_rsample_gradient_and_kl():
    loc, cov = _mvn_params("covariance")
    inputs = [gn.tensor(loc, requires_grad=True), gn.tensor(cov, requires_grad=True)]

    def draw(m, c):
        gn.manual_seed(4)
        return D.MultivariateNormal(m, covariance_matrix=(c + c.transpose(-1, -2)) / 2).rsample((2,))

    assert gradcheck(draw, inputs)
    (m, c, m2, c2), (tm, tc, tm2, tc2) = _pair(loc, cov, loc[::-1].copy(), _spd(8, (2,)))
    q_tril = gn.linalg.cholesky(c2)
    ours = D.kl_divergence(D.MultivariateNormal(m, c), D.MultivariateNormal(m2, scale_tril=q_tril))
    theirs = TD.kl_divergence(TD.MultivariateNormal(tm, tc),
                              TD.MultivariateNormal(tm2, scale_tril=torch.linalg.cholesky(tc2)))
    _close(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    for o, t in ((m, tm), (c, tc), (m2, tm2), (c2, tc2)):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_multivariate_normal_draws_have_its_covariance():
    gn.manual_seed(6)
    cov = _spd(9)
    normal = D.MultivariateNormal(gn.zeros(3, dtype=gn.float64), covariance_matrix=gn.tensor(cov))
    draws = normal.sample((40_000,))
    np.testing.assert_allclose(np.cov(draws.numpy().T), cov, atol=0.1 * np.abs(cov).max())


@pytest.mark.parametrize("make", [
    lambda d, lib: d.MultivariateNormal(lib.zeros(2), covariance_matrix=lib.tensor([[1.0, 2], [2, 1]])),
    lambda d, lib: d.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 1.0], [0.0, 1.0]])),
    lambda d, lib: d.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[-1.0, 0.0], [0.0, 1.0]])),
])
def test_multivariate_normal_refuses_what_torch_refuses(make):
    with pytest.raises(ValueError, match="Expected parameter") as theirs:
        make(TD, torch)
    with pytest.raises(ValueError, match="Expected parameter") as ours:
        make(D, gn)
    assert str(ours.value).split(" (")[0] == str(theirs.value).split(" (")[0]
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        D.MultivariateNormal(gn.zeros(2))


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_expand_repeats_the_batch_as_torch(name):
    arrays, build, value = BUILDERS[name]
    ours_p, theirs_p = _pair(*arrays, grad=False)
    batch = (5, *build(TD, *theirs_p).batch_shape)
    ours, theirs = build(D, *ours_p).expand(batch), build(TD, *theirs_p).expand(batch)
    assert (tuple(ours.batch_shape), tuple(ours.event_shape)) == (tuple(theirs.batch_shape),
                                                                   tuple(theirs.event_shape))
    value_dtype = torch.int64 if value.dtype.kind == "i" else torch.float64
    _close(ours.log_prob(gn.tensor(value)), theirs.log_prob(torch.tensor(value, dtype=value_dtype)))
    _close(ours.entropy(), theirs.entropy())
    assert tuple(ours.sample((3,)).shape) == tuple(theirs.sample((3,)).shape)


def test_pytorchs_module_paths_import():
    """``from torch.distributions.categorical import Categorical`` and the like, after the import change."""
    import importlib

    for module, name in [("normal", "Normal"), ("uniform", "Uniform"), ("bernoulli", "Bernoulli"),
                         ("categorical", "Categorical"), ("independent", "Independent"),
                         ("multivariate_normal", "MultivariateNormal"), ("distribution", "Distribution"),
                         ("kl", "kl_divergence")]:
        ours = getattr(importlib.import_module(f"glassnet.distributions.{module}"), name)
        assert ours is getattr(D, name)
        assert hasattr(importlib.import_module(f"torch.distributions.{module}"), name)
