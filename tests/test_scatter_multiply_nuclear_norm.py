"""``scatter(..., reduce="add"/"multiply")`` (PyTorch's deprecated form: values, no gradient),
``scatter_reduce(..., "prod")``'s gradient with zeros, and the nuclear norm through
``norm(p="nuc")`` — each against torch to 1e-10 in float64."""

import numpy as np
import pytest
import torch

import glassnet as gn

TOL = 1e-10
DEPRECATED = pytest.mark.filterwarnings("ignore:The reduce argument of (torch.)?scatter with (a )?Tensor src")


def _both(array, requires_grad=False):
    return (gn.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad))


def _close(ours, theirs):
    ours = ours.detach().numpy() if isinstance(ours, gn.Tensor) else ours
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=0, atol=TOL)


# -- scatter(..., reduce=) ------------------------------------------------------------------------
REPEATS = np.array([[0, 0, 2, 0], [1, 1, 1, 3], [4, 2, 2, 4]])  # repeated indices in every row


@DEPRECATED
@pytest.mark.parametrize("reduce", ["add", "multiply"])
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_reduce_form_matches_torch_with_repeats_and_zeros(reduce, dim):
    rng = np.random.default_rng(3)
    x, src = rng.normal(size=(5, 5)), rng.normal(size=(4, 6))
    src[1, 2] = x[2, 3] = 0.0
    index = REPEATS if dim == 1 else REPEATS.T.copy()
    src = src if dim == 1 else src.T.copy()
    (gx, tx), (gs, ts), (gi, ti) = _both(x), _both(src), _both(index)
    _close(gx.scatter(dim, gi, gs, reduce=reduce), tx.scatter(dim, ti, ts, reduce=reduce))
    _close(gn.scatter(gx, dim, gi, -1.5, reduce=reduce), torch.scatter(tx, dim, ti, -1.5, reduce=reduce))
    _close(gx.scatter(dim, gi, value=2.5, reduce=reduce), tx.scatter(dim, ti, value=2.5, reduce=reduce))
    gx.scatter_(dim, gi, gs, reduce=reduce)
    tx.scatter_(dim, ti, ts, reduce=reduce)
    _close(gx, tx)
    gx.scatter_(dim, gi, value=0.5, reduce=reduce)
    tx.scatter_(dim, ti, value=0.5, reduce=reduce)
    _close(gx, tx)


@DEPRECATED
def test_scatter_multiply_on_integers_and_3d():
    x, index, src = gn.tensor([[1, 2, 3]]), gn.tensor([[0, 0, 2]]), gn.tensor([[3, 4, 5]])
    ours = x.scatter(1, index, src, reduce="multiply")
    assert ours.tolist() == [[12, 2, 15]] and ours.dtype == gn.int64
    rng = np.random.default_rng(4)
    x, src, index = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4)), rng.integers(0, 3, size=(2, 2, 4))
    (gx, tx), (gs, ts), (gi, ti) = _both(x), _both(src), _both(index)
    _close(gx.scatter(1, gi, gs, reduce="multiply"), tx.scatter(1, ti, ts, reduce="multiply"))


def test_scatter_reduce_form_with_a_tensor_src_warns_as_torch():  # torch warns once per process
    with pytest.warns(UserWarning, match="reduce argument of scatter with a Tensor src is deprecated"):
        y = gn.ones(2).scatter(0, gn.tensor([1]), gn.tensor([2.0]), reduce="multiply")
    assert y.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("reduce", [None, "add", "multiply"])
def test_scatter_of_a_number_takes_an_index_longer_than_the_input_along_dim(reduce):
    x, index = np.arange(6.0).reshape(3, 2) + 1, np.array([[0, 1, 1], [1, 1, 0], [0, 0, 0]])
    kwargs = {} if reduce is None else {"reduce": reduce}
    _close(gn.tensor(x).scatter(1, gn.tensor(index), 1.5, **kwargs),
           torch.tensor(x).scatter(1, torch.tensor(index), 1.5, **kwargs))


@pytest.mark.parametrize("reduce, instead", [("add", "scatter_add"), ("multiply", "scatter_reduce")])
def test_scatter_reduce_form_has_no_gradient_as_in_torch(reduce, instead):
    (gx, tx), (gi, ti) = _both(np.ones((2, 3)), requires_grad=True), _both(np.array([[0, 0], [1, 2]]))
    with pytest.raises(RuntimeError, match="not implemented"):
        tx.scatter(1, ti, 2.0, reduce=reduce).sum().backward()
    y = gx.scatter(1, gi, 2.0, reduce=reduce)
    assert y.requires_grad
    with pytest.raises(gn.GlassnetValueError, match=f"reduce='{reduce}'.*no gradient.*{instead}"):
        y.sum().backward()


def test_scatter_rejects_other_reductions_naming_scatter_reduce():
    with pytest.raises(RuntimeError, match="add or multiply"):
        torch.zeros(2, 2).scatter(1, torch.tensor([[0], [1]]), 1.0, reduce="mean")
    with pytest.raises(gn.GlassnetValueError, match="'add' or 'multiply'.*scatter_reduce"):
        gn.zeros(2, 2).scatter(1, gn.tensor([[0], [1]]), 1.0, reduce="mean")


# -- scatter_reduce(..., "prod"): the gradient with zeros ---------------------------------------
PROD_CASES = {
    "no zeros": ([[1.5, -2.0, 0.5]], [[2.0, -1.0, 3.0, 0.5]], [[0, 0, 2, 2]]),
    "one zero in src": ([[1.5, -2.0, 0.5]], [[0.0, -1.0, 3.0, 0.5]], [[0, 0, 2, 2]]),
    "two zeros in src at one place": ([[1.5, -2.0, 0.5]], [[0.0, 0.0, 3.0, 0.5]], [[0, 0, 2, 2]]),
    "zero in self": ([[0.0, -2.0, 0.5]], [[2.0, -1.0, 3.0, 0.5]], [[0, 0, 2, 2]]),
    "zero in self and in src": ([[0.0, -2.0, 0.5]], [[2.0, 0.0, 3.0, 0.0]], [[0, 0, 2, 2]]),
    "zero not hit": ([[1.5, 0.0, 0.5]], [[2.0, -1.0, 3.0, 0.5]], [[0, 0, 2, 2]]),
}


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("case", PROD_CASES)
def test_scatter_reduce_prod_gradient_matches_torch_with_zeros(case, include_self):
    x, src = (np.array(a, dtype=float) for a in PROD_CASES[case][:2])
    index = np.array(PROD_CASES[case][2])
    (gx, tx), (gs, ts), (gi, ti) = _both(x, True), _both(src, True), _both(index)
    g = np.array([[0.7, -1.3, 2.1]])
    ours = gx.scatter_reduce(1, gi, gs, "prod", include_self=include_self)
    theirs = tx.scatter_reduce(1, ti, ts, "prod", include_self=include_self)
    ours.backward(gn.tensor(g))
    theirs.backward(torch.tensor(g))
    _close(ours, theirs)
    _close(gx.grad, tx.grad)
    _close(gs.grad, ts.grad)
    assert np.isfinite(gx.grad.numpy()).all() and np.isfinite(gs.grad.numpy()).all()


def test_scatter_reduce_prod_gradient_random_zeros_and_repeats():
    rng = np.random.default_rng(5)
    for _ in range(20):
        x, src, index = rng.normal(size=(3, 5)), rng.normal(size=(3, 6)), rng.integers(0, 5, size=(3, 6))
        x[rng.random(x.shape) < 0.3] = 0.0
        src[rng.random(src.shape) < 0.3] = 0.0
        g = rng.normal(size=(3, 5))
        for include_self in (True, False):
            (gx, tx), (gs, ts), (gi, ti) = _both(x, True), _both(src, True), _both(index)
            gx.scatter_reduce(1, gi, gs, "prod", include_self=include_self).backward(gn.tensor(g))
            tx.scatter_reduce(1, ti, ts, "prod", include_self=include_self).backward(torch.tensor(g))
            _close(gx.grad, tx.grad)
            _close(gs.grad, ts.grad)


# -- the nuclear norm -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape, kwargs", [((3, 4), {}), ((4, 3), {"dim": (1, 0)}),
                                           ((2, 3, 4), {"dim": (-2, -1)}), ((3, 2, 4), {"dim": (0, 2)}),
                                           ((2, 4, 3), {"dim": (1, 2), "keepdim": True})])
def test_norm_nuc_values_and_gradients_match_torch(shape, kwargs):
    rng = np.random.default_rng(6)
    (gx, tx) = _both(rng.normal(size=shape), requires_grad=True)
    ours, theirs = gx.norm(p="nuc", **kwargs), torch.norm(tx, p="nuc", **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    _close(ours, theirs)
    g = rng.normal(size=tuple(theirs.shape))
    ours.backward(gn.tensor(g))
    theirs.backward(torch.tensor(g))
    _close(gx.grad, tx.grad)


def test_norm_nuc_gradient_is_u_v_transposed_and_agrees_with_linalg():
    a = np.random.default_rng(7).normal(size=(4, 3))
    x = gn.tensor(a, requires_grad=True)
    gn.norm(x, p="nuc").backward()
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(x.grad.numpy(), u @ vh, rtol=0, atol=TOL)
    for value in (gn.linalg.matrix_norm(x, ord="nuc"), gn.linalg.norm(x, "nuc")):
        assert abs(value.item() - s.sum()) < TOL


@pytest.mark.parametrize("shape, kwargs, message", [
    ((2, 3, 4), {}, "two axes"), ((3, 4), {"dim": 1}, "two axes"), ((3,), {}, "at least 2")])
def test_norm_nuc_needs_two_axes_as_torch(shape, kwargs, message):
    with pytest.raises(RuntimeError):
        torch.ones(shape, dtype=torch.float64).norm(p="nuc", **kwargs)
    with pytest.raises(gn.GlassnetValueError, match=message):
        gn.ones(shape, dtype=gn.float64).norm(p="nuc", **kwargs)


def test_norm_nuc_second_derivative_raises_naming_the_svd():
    x = gn.tensor(np.random.default_rng(8).normal(size=(3, 3)), requires_grad=True)
    (grad,) = gn.autograd.grad(x.norm(p="nuc"), x, create_graph=True)
    with pytest.raises(gn.GlassnetError, match="gradient of a gradient reached the backward of"):
        grad.sum().backward()
