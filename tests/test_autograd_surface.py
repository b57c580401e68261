"""torch.autograd names real programs use (issue 16), against PyTorch: torch.autograd.function
(once_differentiable, FunctionCtx), custom Functions in the setup_context style,
autograd.backward over several roots, set_detect_anomaly."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _exp_function(lib):
    once_differentiable = lib.autograd.function.once_differentiable

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        @once_differentiable
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    return Exp


def _scaled_function(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, factor):
            return x * factor

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, factor = inputs
            ctx.factor = factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor, None

    return Scale


@pytest.mark.parametrize("make", [_exp_function, _scaled_function])
def test_custom_functions_give_pytorchs_values_and_gradients(make):
    results = []
    for lib in (gn, torch):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        fn = make(lib)
        out = fn.apply(x) if fn.__name__ == "Exp" else fn.apply(x, 3.0)
        (out * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy()))
    for ours, theirs in zip(results[0], results[1], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert gn.autograd.function.FunctionCtx is gn.autograd.FunctionCtx


def test_backward_of_several_roots_accumulates_as_pytorch():
    grads = []
    for lib in (gn, torch):
        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        shared = w * w
        a, b = shared.sum(), (shared * 3).sum()
        c = shared[0] * 1.0
        lib.autograd.backward([a, b, c], [None, lib.tensor(2.0, dtype=lib.float64), None])
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    with pytest.raises(ValueError, match="one gradient"):
        gn.autograd.backward([gn.ones(1, requires_grad=True).sum()], [None, None])


def test_set_detect_anomaly_switches_now_and_restores_as_a_context():
    gn.autograd.set_detect_anomaly(True)
    try:
        x = gn.tensor([0.0], requires_grad=True)
        with pytest.raises(Exception, match="(?i)nan|inf"):
            gn.log(x * 0 - 1)
    finally:
        gn.autograd.set_detect_anomaly(False)
    with gn.autograd.set_detect_anomaly(True):
        pass
    gn.log(gn.tensor([-1.0]))  # detection is off again: NaN as NumPy gives it
