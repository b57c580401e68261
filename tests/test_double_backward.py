"""Gradients of gradients: ``backward(create_graph=True)`` and ``autograd.grad(create_graph=True)``.

The contract: every op of ``op_registry`` either passes ``gradgradcheck`` (second
derivatives against central differences of the first, float64) or is one of the
first-order-only ops listed here, and then a second backward through it raises an error
naming it — never a silent zero. Then the engine's semantics as PyTorch's, and the uses
that need it (gradient penalty, Hessian-vector products, a meta-learning step) against
PyTorch to 1e-10.
"""

import numpy as np
import pytest

import glassnet as gn
from op_registry import REGISTRY, make_inputs

# Ops whose backward glassnet computes with arrays only — the factorisations (Cholesky, QR,
# eigh, SVD) and what is built on them: the first derivative is exact, a second one through
# them raises (see glassnet.autograd._graph_mode.FirstOrderOnly).
FIRST_ORDER_ONLY = {
    "cholesky", "linalg_cholesky_upper", "linalg_cond_default", "linalg_cond_minus2", "linalg_eigh",
    "linalg_eigh_upper", "linalg_eigvalsh", "linalg_lstsq", "linalg_lstsq_vector", "linalg_matrix_norm_2",
    "linalg_matrix_norm_dims_keepdim", "linalg_matrix_norm_minus2", "linalg_matrix_norm_nuc",
    "linalg_norm_spectral", "linalg_pinv", "linalg_pinv_hermitian", "linalg_qr", "linalg_qr_complete_wide",
    "linalg_qr_square", "linalg_svd", "linalg_svd_full", "linalg_svdvals", "pinverse", "qr", "svd",
    "norm_nuc", "norm_nuc_dims_keepdim",  # norm(p="nuc") is linalg.matrix_norm's Σσ: through the SVD
    # issue #16: digamma's derivative (trigamma) and scatter_reduce's backward are computed on arrays
    "digamma", "scatter_reduce_amax", "scatter_reduce_amin_exclude_self", "scatter_reduce_mean",
    "scatter_reduce_mean_exclude_self", "scatter_reduce_prod", "scatter_reduce_sum",
    "scatter_reduce_sum_exclude_self", "index_reduce_amax", "index_reduce_mean",
}

CASES = [pytest.param(spec, shapes, id=f"{spec.name}-{'x'.join(map(str, shapes))}")
         for spec in REGISTRY for shapes in spec.shapes[:2]]


def test_first_order_only_names_registry_ops():
    assert FIRST_ORDER_ONLY <= {spec.name for spec in REGISTRY}


@pytest.mark.parametrize("spec, shapes", CASES)
def test_second_derivatives_match_finite_differences_or_refuse(spec, shapes):
    xs = [gn.tensor(a, requires_grad=True) for a in make_inputs(spec, shapes)]
    check = lambda: gn.autograd.gradgradcheck(spec.run, xs, eps=spec.eps,  # noqa: E731
                                              atol=max(spec.atol, 1e-5) * 10, rtol=1e-3)
    if spec.name in FIRST_ORDER_ONLY:
        with pytest.raises(gn.GlassnetError, match="gradient of a gradient reached the backward of"):
            check()
    else:
        assert check()


# -- the engine --------------------------------------------------------------------------------
def _x(values):
    return gn.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_second_and_third_derivative_of_a_cube():
    x = _x([2.0, -1.5])
    (d1,) = gn.autograd.grad((x ** 3).sum(), x, create_graph=True)
    (d2,) = gn.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = gn.autograd.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.detach().numpy(), [12.0, 6.75])
    np.testing.assert_allclose(d2.detach().numpy(), [12.0, -9.0])
    np.testing.assert_allclose(d3.numpy(), [6.0, 6.0])


def test_backward_create_graph_leaves_a_grad_with_a_graph_and_keeps_the_graph():
    x = _x([0.5, 2.0])
    y = (gn.sin(x) * x).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None and g.grad_fn.name() != ""
    a = np.array([0.5, 2.0])
    np.testing.assert_allclose(g.detach().numpy(), np.cos(a) * a + np.sin(a))
    (again,) = gn.autograd.grad(y, x, retain_graph=True)  # create_graph kept y's graph: it runs again
    np.testing.assert_allclose(again.numpy(), g.detach().numpy())
    x.grad = None
    g.sum().backward()  # differentiates the gradient
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.cos(a) - a * np.sin(a))


def test_a_constant_gradient_has_no_graph_as_in_pytorch():
    x = _x([1.0, 2.0])
    (g,) = gn.autograd.grad((x * 3.0).sum(), x, create_graph=True)
    assert not g.requires_grad
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])


def test_create_graph_under_no_grad_records_nothing():
    x = _x([1.0, 2.0])
    y = (x * x).sum()
    with gn.no_grad():
        (g,) = gn.autograd.grad(y, x, create_graph=True)
    assert not g.requires_grad


def test_inputs_and_hooks_see_tensors_with_graphs():
    x, w = _x([1.0, 2.0]), _x([3.0, -1.0])
    seen = []
    x.register_hook(lambda grad: seen.append(grad.requires_grad))
    (x * x * w).sum().backward(create_graph=True, inputs=[x])
    assert seen == [True] and w.grad is None
    (dw,) = gn.autograd.grad(x.grad.sum(), w)  # d/dw Σ 2xw = 2x
    np.testing.assert_allclose(dw.numpy(), [2.0, 4.0])


def test_grad_outputs_with_a_graph_carry_it():
    x, v = _x([1.0, 2.0]), _x([0.5, -1.0])
    (g,) = gn.autograd.grad(x * x, x, grad_outputs=v, create_graph=True)  # 2x·v
    (dv,) = gn.autograd.grad(g.sum(), v)
    np.testing.assert_allclose(dv.numpy(), [2.0, 4.0])


def test_a_third_derivative_through_a_first_order_only_node_names_it():
    x = _x([0.3, 0.7])
    (g,) = gn.autograd.grad(gn.nn.functional.mish(x).sum(), x, create_graph=True)
    (h,) = gn.autograd.grad(g.sum(), x, create_graph=True)  # through f″(x), an ActivationSlope node
    with pytest.raises(gn.GlassnetError, match="backward of activationslope.*differentiates"):
        h.sum().backward()


def test_pytorch_style_custom_function_backward_is_differentiable():
    class Cube(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    x = _x([2.0, -1.0])
    (g,) = gn.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = gn.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [12.0, -6.0])


# -- against PyTorch ----------------------------------------------------------------------------
def _critic(lib, rng):
    """A small conv critic with layer norm, as WGAN-GP builds it (weights from NumPy)."""
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.LeakyReLU(0.2), nn.AvgPool2d(2),
                          nn.Flatten(), nn.LayerNorm(12), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 1))
    model.double()
    for p in model.parameters():
        p.data = lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.5)
    return model


def _gradient_penalty(lib):
    rng = np.random.default_rng(3)
    critic = _critic(lib, rng)
    real, fake = (lib.tensor(rng.standard_normal((4, 1, 4, 4))) for _ in range(2))
    alpha = lib.tensor(rng.uniform(size=(4, 1, 1, 1)))
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed)
    (grads,) = lib.autograd.grad(scores, mixed, grad_outputs=lib.ones_like(scores), create_graph=True,
                                 retain_graph=True)
    penalty = ((grads.reshape(4, -1).norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    loss.backward()
    return [float(penalty.detach())] + [p.grad.numpy() for p in critic.parameters()]


def _hessian_vector_product(lib):
    rng = np.random.default_rng(5)
    w = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    x = lib.tensor(rng.standard_normal((6, 4)))
    y = lib.tensor(rng.integers(0, 3, 6))
    loss = lib.nn.functional.cross_entropy(lib.nn.functional.gelu(x @ w.T), y)
    (g,) = lib.autograd.grad(loss, w, create_graph=True)
    v = lib.tensor(rng.standard_normal((3, 4)))
    (hv,) = lib.autograd.grad((g * v).sum(), w)
    return [g.detach().numpy(), hv.numpy()]


def _maml_step(lib):
    """One inner SGD step written functionally, then the outer loss's gradient through it."""
    rng = np.random.default_rng(7)
    F = lib.nn.functional
    w1 = lib.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    b1 = lib.tensor(rng.standard_normal(5), requires_grad=True)
    w2 = lib.tensor(rng.standard_normal((1, 5)), requires_grad=True)
    xs, ys = lib.tensor(rng.standard_normal((8, 2))), lib.tensor(rng.standard_normal((8, 1)))
    xq, yq = lib.tensor(rng.standard_normal((8, 2))), lib.tensor(rng.standard_normal((8, 1)))

    def net(x, params):
        a, b, c = params
        return F.linear(F.relu(F.linear(x, a, b)), c)

    params = [w1, b1, w2]
    grads = lib.autograd.grad(F.mse_loss(net(xs, params), ys), params, create_graph=True)
    adapted = [p - 0.1 * g for p, g in zip(params, grads, strict=True)]
    F.mse_loss(net(xq, adapted), yq).backward()
    return [p.grad.numpy() for p in params]


@pytest.mark.parametrize("program", [_gradient_penalty, _hessian_vector_product, _maml_step])
def test_equals_pytorch(program):
    torch = pytest.importorskip("torch")
    ours, theirs = program(gn), program(torch)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
