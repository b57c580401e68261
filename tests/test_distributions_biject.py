"""biject_to / transform_to and the vector, matrix and chaining transforms against
torch.distributions: forward, inverse, log|det J| and their gradients equal torch's (1e-10,
float64); each constraint torch registers (among glassnet's) gives torch's transform type and
numbers; an unconstrained parameter optimised through biject_to(support) follows torch's path."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
TOL = {"rtol": 1e-10, "atol": 1e-10}
rng = np.random.default_rng(7)


def _pair(x):
    return (gn.tensor(x, dtype=gn.float64, requires_grad=True),
            torch.tensor(x, dtype=torch.float64, requires_grad=True))


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOL)


def _compose(T, lib):
    return T.ComposeTransform([T.AffineTransform(0.5, -2.0), T.ExpTransform(),
                               T.IndependentTransform(T.SoftplusTransform(), 1)])


TRANSFORMS = {  # name → (build(transforms module, lib), input, has log|det J|)
    "compose": (_compose, rng.standard_normal((2, 3)), True),
    "compose_stick": (lambda T, lib: T.ComposeTransform([T.AffineTransform(0.3, 1.5),
                                                         T.StickBreakingTransform(), T.ExpTransform()]),
                      rng.standard_normal((2, 3)), True),
    "identity": (lambda T, lib: T.identity_transform, rng.standard_normal((2, 3)), True),
    "independent": (lambda T, lib: T.IndependentTransform(T.SigmoidTransform(), 2),
                    rng.standard_normal((4, 2, 3)), True),
    "reshape": (lambda T, lib: T.ReshapeTransform((2, 3), (3, 2)), rng.standard_normal((4, 2, 3)), True),
    "stick_breaking": (lambda T, lib: T.StickBreakingTransform(), rng.standard_normal((4, 5)) * 2, True),
    "softmax": (lambda T, lib: T.SoftmaxTransform(), rng.standard_normal((4, 5)) * 3, False),
    "lower_cholesky": (lambda T, lib: T.LowerCholeskyTransform(), rng.standard_normal((2, 3, 3)), False),
    "corr_cholesky": (lambda T, lib: T.CorrCholeskyTransform(), rng.standard_normal((2, 6)) * 2, True),
    "corr_cholesky_4": (lambda T, lib: T.CorrCholeskyTransform(), rng.standard_normal((3, 2, 6)), True),
    "positive_definite": (lambda T, lib: T.PositiveDefiniteTransform(), rng.standard_normal((2, 3, 3)),
                          False),
    "cat": (lambda T, lib: T.CatTransform([T.ExpTransform(), T.IndependentTransform(T.SigmoidTransform(), 1)],
                                          dim=-1, lengths=[2, 2]), rng.standard_normal((3, 4)), True),
    "cat_batch": (lambda T, lib: T.CatTransform([T.ExpTransform(), T.TanhTransform()], dim=0, lengths=[1, 2]),
                  rng.standard_normal((3, 2)), True),
    "stack": (lambda T, lib: T.StackTransform([T.ExpTransform(), T.SigmoidTransform()], dim=1),
              rng.standard_normal((3, 2)), True),
    "cdf_normal": (lambda T, lib: T.CumulativeDistributionTransform(
        (D if lib is gn else TD).Normal(lib.tensor(0.5, dtype=lib.float64),
                                        lib.tensor(2.0, dtype=lib.float64))),
        rng.standard_normal((2, 3)), True),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_event_transforms_equal_torchs(name):
    build, x, has_jacobian = TRANSFORMS[name]
    ours, theirs = build(D.transforms, gn), build(TD.transforms, torch)
    ox, tx = _pair(x)
    y, ty = ours(ox), theirs(tx)
    _close(y, ty)
    back, tback = ours.inv(y), theirs.inv(ty)
    _close(back, tback)
    if ours.bijective:
        _close(back, tx)
    loss, tloss = y.sum() + (y * y).sum(), ty.sum() + (ty * ty).sum()
    if has_jacobian:
        ladj, tladj = ours.log_abs_det_jacobian(ox, y), theirs.log_abs_det_jacobian(tx, ty)
        assert tuple(ladj.shape) == tuple(tladj.shape)
        _close(ladj, tladj)
        _close(ours.inv.log_abs_det_jacobian(y, ox), theirs.inv.log_abs_det_jacobian(ty, tx))
        loss, tloss = loss + ladj.sum(), tloss + tladj.sum()
    loss.backward()
    tloss.backward()
    _close(ox.grad, tx.grad)
    for a, b in ((ours.domain, theirs.domain), (ours.codomain, theirs.codomain)):
        assert b.event_dim == a.event_dim and repr(a) == repr(b)
    assert ours.bijective == theirs.bijective
    assert tuple(ours.forward_shape(x.shape)) == tuple(theirs.forward_shape(x.shape))
    assert tuple(ours.inverse_shape(tuple(ty.shape))) == tuple(theirs.inverse_shape(ty.shape))


def test_stick_breaking_inverse_gradient_equals_torchs():
    y = rng.uniform(0.1, 1.0, (3, 5))
    oy, ty = _pair(y / y.sum(-1, keepdims=True))
    x, tx = D.transforms.StickBreakingTransform().inv(oy), TD.transforms.StickBreakingTransform().inv(ty)
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    _close(oy.grad, ty.grad)


def _constraints(c, lib):
    return {
        "real": c.real, "real_vector": c.real_vector, "positive": c.positive, "nonnegative": c.nonnegative,
        "unit_interval": c.unit_interval, "simplex": c.simplex, "greater_than": c.greater_than(-1.5),
        "greater_than_eq": c.greater_than_eq(2.0), "less_than": c.less_than(0.5),
        "interval": c.interval(-1.0, 3.0), "half_open_interval": c.half_open_interval(0.5, 2.0),
        "interval_01_tensor": c.interval(lib.tensor(0.0, dtype=lib.float64),
                                         lib.tensor(1.0, dtype=lib.float64)),
        "interval_tensor": c.interval(lib.tensor([-1.0, 0.0, 1.0], dtype=lib.float64),
                                      lib.tensor([1.0, 2.0, 4.0], dtype=lib.float64)),
        "independent": c.independent(c.positive, 2), "lower_cholesky": c.lower_cholesky,
        "positive_definite": c.positive_definite, "corr_cholesky": c.corr_cholesky,
        "cat": c.cat([c.positive, c.interval(-1.0, 2.0)], dim=-1, lengths=[1, 2]),
        "stack": c.stack([c.real, c.unit_interval], dim=1),
    }


def _structure(t):
    """The transform's type names, nested through Compose / Independent."""
    name = type(t).__name__
    if hasattr(t, "parts"):
        return (name, tuple(_structure(p) for p in t.parts))
    if hasattr(t, "transforms"):
        return (name, tuple(_structure(p) for p in t.transforms))
    if hasattr(t, "base_transform"):
        return (name, _structure(t.base_transform), t.reinterpreted_batch_ndims)
    return name


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(_constraints(TD.constraints, torch)))
def test_registry_gives_torchs_transform(registry, name):
    constraint, tconstraint = _constraints(D.constraints, gn)[name], _constraints(TD.constraints, torch)[name]
    try:
        theirs = getattr(TD, registry)(tconstraint)
    except NotImplementedError as error:
        with pytest.raises(NotImplementedError, match=str(error).replace("_", ".")):
            getattr(D, registry)(constraint)
        return
    ours = getattr(D, registry)(constraint)
    assert _structure(ours) == _structure(theirs)
    shape = {"lower_cholesky": (2, 3, 3), "positive_definite": (2, 3, 3), "corr_cholesky": (2, 6)}.get(
        name, (4, 2, 3))
    ox, tx = _pair(rng.standard_normal(shape))
    y, ty = ours(ox), theirs(tx)
    _close(y, ty)
    assert bool(constraint.check(y).all())
    loss, tloss = (y * y).sum(), (ty * ty).sum()
    if ours.bijective:
        ladj, tladj = ours.log_abs_det_jacobian(ox, y), theirs.log_abs_det_jacobian(tx, ty)
        _close(ladj, tladj)
        _close(ours.inv(y), tx)
        loss, tloss = loss + ladj.sum(), tloss + tladj.sum()
    loss.backward()
    tloss.backward()
    _close(ox.grad, tx.grad)


def test_registry_refuses_what_torch_refuses_and_registers():
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        D.biject_to(D.constraints.boolean)
    registry = D.constraint_registry.ConstraintRegistry()
    registry.register(D.constraints.positive, lambda c: D.transforms.ExpTransform())
    assert isinstance(registry(D.constraints.greater_than(3.0)), D.transforms.ExpTransform)

    @registry.register(type(D.constraints.simplex))
    def _softmax(constraint):
        return D.transforms.SoftmaxTransform()

    assert isinstance(registry(D.constraints.simplex), D.transforms.SoftmaxTransform)
    with pytest.raises(TypeError, match="expected a Constraint"):
        registry.register(3, _softmax)


def test_corr_cholesky_constraint_as_torch():
    ox, _ = _pair(rng.standard_normal((4, 10)))
    y = D.transforms.CorrCholeskyTransform()(ox)
    ty = torch.tensor(y.detach().numpy())
    assert tuple(y.shape) == (4, 5, 5) and bool(D.constraints.corr_cholesky.check(y).all())
    for bad in (ty * 1.01, ty.mT, -ty):
        assert D.constraints.corr_cholesky.check(gn.tensor(bad.numpy())).tolist() == \
            TD.constraints.corr_cholesky.check(bad).tolist() == [False] * 4
    assert repr(D.constraints.corr_cholesky) == repr(TD.constraints.corr_cholesky)
    with pytest.raises(ValueError, match="last size 5, which is not D\\(D - 1\\)/2"):
        D.transforms.CorrCholeskyTransform()(gn.zeros(5))


def test_transform_errors_name_what_they_got():
    with pytest.raises(ValueError, match=r"ReshapeTransform: in_shape \(2, 3\) and out_shape \(4,\)"):
        D.transforms.ReshapeTransform((2, 3), (4,))
    with pytest.raises(ValueError, match=r"expected a shape ending in \(2, 3\), got \(3, 2\)"):
        D.transforms.ReshapeTransform((2, 3), (6,))(gn.zeros(3, 2))
    with pytest.raises(NotImplementedError, match="StickBreakingTransform.sign"):
        _ = D.transforms.StickBreakingTransform().sign
    assert D.transforms.ComposeTransform([D.transforms.ExpTransform(), D.transforms.AffineTransform(0.0, -2.0)
                                          ]).sign == -1


def test_variational_fit_through_biject_to_follows_torch():
    """Optimise unconstrained u so that Beta(biject_to(positive)(u)) fits data (Pyro-style),
    and a 4-simplex parameter through biject_to(simplex) of 3 numbers: torch's path, step by step."""
    data = rng.uniform(0.1, 0.9, 20)
    u0, w0 = rng.standard_normal(2), rng.standard_normal(3)

    def run(lib, dist):
        u = lib.tensor(u0, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(w0, dtype=lib.float64, requires_grad=True)
        opt = lib.optim.Adam([u, w], lr=0.05)
        x = lib.tensor(data, dtype=lib.float64)
        target = lib.tensor([0.1, 0.2, 0.3, 0.4], dtype=lib.float64)
        for _ in range(30):
            opt.zero_grad()
            ab = dist.biject_to(dist.Beta.arg_constraints["concentration1"])(u)
            probs = dist.biject_to(dist.constraints.simplex)(w)
            loss = -dist.Beta(ab[0], ab[1]).log_prob(x).sum() + ((probs - target) ** 2).sum()
            loss.backward()
            opt.step()
        return u.detach().numpy(), w.detach().numpy(), float(loss.detach())

    (u, w, loss), (tu, tw, tloss) = run(gn, D), run(torch, TD)
    np.testing.assert_allclose(u, tu, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(w, tw, rtol=1e-9, atol=1e-9)
    assert abs(loss - tloss) < 1e-8


def test_cache_size_one_reuses_the_forward_pass_as_torch():
    """SAC's squashed Gaussian: log_prob of its own rsample through TanhTransform(cache_size=1)
    inverts from the cache, so a float32 draw far in the tail (tanh rounds to 1) scores finitely
    and equals torch's, gradients included; without the cache atanh(1) = ∞ in both."""
    loc, scale = np.array([0.0, 8.0, -12.0], dtype=np.float32), np.array([1.0, 0.5, 2.0], dtype=np.float32)

    def run(lib, dist, cache):
        m, s = lib.tensor(loc, requires_grad=True), lib.tensor(scale, requires_grad=True)
        base = dist.Normal(m, s)
        squash = dist.TransformedDistribution(
            base, [dist.transforms.AffineTransform(0.0, 2.0, cache_size=cache),
                   dist.transforms.TanhTransform(cache_size=cache)])
        x = lib.tensor([0.3, 9.5, -15.0])
        y = squash.transforms[1](squash.transforms[0](x))
        lp = squash.log_prob(y)
        lp.sum().backward() if cache else None
        return lp, m.grad, s.grad

    (lp, gm, gs), (tlp, tgm, tgs) = run(gn, D, 1), run(torch, TD, 1)
    assert np.isfinite(lp.detach().numpy()).all()
    np.testing.assert_allclose(lp.detach().numpy(), tlp.detach().numpy(), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(gm.numpy(), tgm.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gs.numpy(), tgs.numpy(), rtol=1e-6, atol=1e-6)
    with np.errstate(all="ignore"):  # atanh(1) = ∞, then ∞ − ∞
        lp0, tlp0 = run(gn, D, 0)[0], run(torch, TD, 0)[0]
    assert not np.isfinite(lp0.detach().numpy()[1:]).any()
    assert not np.isfinite(tlp0.detach().numpy()[1:]).any()


def test_with_cache_and_compose_share_the_cache():
    t = D.transforms.ExpTransform().with_cache(1)
    x = gn.tensor([1.0, 2.0])
    y = t(x)
    assert t(x) is y and t.inv(y) is x and t.inv.inv is t
    parts = [D.transforms.ExpTransform(), D.transforms.AffineTransform(1.0, 2.0)]
    chain = D.transforms.ComposeTransform(parts, cache_size=1)
    z = chain(x)
    assert chain.inv(z) is x and all(p._cache_size == 1 for p in chain.parts)
    assert D.transforms.ExpTransform().with_cache(0)._cache_size == 0
    independent = D.transforms.IndependentTransform(D.transforms.SigmoidTransform(), 1, cache_size=1)
    assert independent.inv(independent(x)) is x


FAMILY_SUPPORTS = {  # name → build(lib_distributions, lib): a distribution whose support is transformed
    "normal": lambda d, lib: d.Normal(0.0, 1.0),
    "uniform": lambda d, lib: d.Uniform(lib.tensor([-1.0, 0.5], dtype=lib.float64),
                                        lib.tensor([2.0, 3.0], dtype=lib.float64)),
    "beta": lambda d, lib: d.Beta(2.0, 3.0),
    "gamma": lambda d, lib: d.Gamma(2.0, 3.0),
    "dirichlet": lambda d, lib: d.Dirichlet(lib.ones(3, dtype=lib.float64)),
    "exponential": lambda d, lib: d.Exponential(2.0),
    "half_normal": lambda d, lib: d.HalfNormal(2.0),
    "pareto": lambda d, lib: d.Pareto(lib.tensor([1.5, 2.0], dtype=lib.float64), 3.0),
    "log_normal": lambda d, lib: d.LogNormal(0.0, 1.0),
    "kumaraswamy": lambda d, lib: d.Kumaraswamy(2.0, 3.0),
    "multivariate_normal": lambda d, lib: d.MultivariateNormal(lib.zeros(2, dtype=lib.float64),
                                                               lib.eye(2, dtype=lib.float64)),
    "independent_gamma": lambda d, lib: d.Independent(d.Gamma(lib.ones(2, 2, dtype=lib.float64), 1.0), 2),
    "logistic_normal": lambda d, lib: d.LogisticNormal(lib.zeros(2, dtype=lib.float64),
                                                       lib.ones(2, dtype=lib.float64)),
}


@pytest.mark.parametrize("name", sorted(FAMILY_SUPPORTS))
def test_biject_to_each_familys_support_as_torch(name):
    """The Pyro-style idiom biject_to(d.support)(u): torch's transform type and numbers."""
    ours_d, theirs_d = FAMILY_SUPPORTS[name](D, gn), FAMILY_SUPPORTS[name](TD, torch)
    ours, theirs = D.biject_to(ours_d.support), TD.biject_to(theirs_d.support)
    assert _structure(ours) == _structure(theirs)
    shape = tuple(ours.inverse_shape(tuple(ours_d.batch_shape) + tuple(ours_d.event_shape)))
    ox, tx = _pair(rng.standard_normal((3,) + shape))
    y, ty = ours(ox), theirs(tx)
    _close(y, ty)
    assert bool(ours_d.support.check(y).all())
    _close(ours.log_abs_det_jacobian(ox, y), theirs.log_abs_det_jacobian(tx, ty))
