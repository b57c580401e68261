"""PyTorch-style custom ``autograd.Function`` with several outputs: ``forward`` returns a
tuple, ``backward`` receives one gradient per output — zeros for an output nobody used,
None after ``ctx.set_materialize_grads(False)`` — and outputs that are integers or marked
with ``ctx.mark_non_differentiable`` carry no graph. Values and gradients equal torch's
(float64, 1e-12); a tensor saved for backward and changed in place makes backward raise
in both."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.testing import gradcheck

torch = pytest.importorskip("torch")
X = np.linspace(-1.0, 1.5, 6)


def _sin_cos(lib, materialize=True, seen=None):
    """(scale·sin x, cos x, argmax x): two differentiable outputs and an index."""
    class SinCos(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            ctx.scale = scale
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x.sin() * scale, x.cos(), index

        @staticmethod
        def backward(ctx, grad_sin, grad_cos, grad_index):
            if seen is not None:
                seen.append([None if g is None else g.detach().numpy().copy()
                             for g in (grad_sin, grad_cos, grad_index)])
            (x,) = ctx.saved_tensors
            total = 0
            if grad_sin is not None:
                total = total + grad_sin * x.cos() * ctx.scale
            if grad_cos is not None:
                total = total - grad_cos * x.sin()
            return total, None
    return SinCos


LOSSES = {  # how the outputs are used
    "both": lambda s, c: (s * s).sum() + (c * 3).sum(),
    "sin_only": lambda s, c: (s * 2).sum(),
    "cos_only": lambda s, c: (c ** 3).sum(),
}


def _run(lib, use, materialize=True):
    seen = []
    x = lib.tensor(X, requires_grad=True)
    s, c, index = _sin_cos(lib, materialize, seen).apply(x, 2.0)
    LOSSES[use](s, c).backward()
    flags = [s.requires_grad, c.requires_grad, index.requires_grad]
    return s.detach().numpy(), c.detach().numpy(), index.item(), x.grad.numpy(), flags, seen


@pytest.mark.parametrize("use", sorted(LOSSES))
@pytest.mark.parametrize("materialize", [True, False])
def test_values_gradients_and_what_backward_receives_are_torchs(use, materialize):
    ours, theirs = _run(gn, use, materialize), _run(torch, use, materialize)
    for a, b in zip(ours[:4], theirs[:4], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert ours[4] == theirs[4] == [True, True, False]
    (ours_seen,), (theirs_seen,) = ours[5], theirs[5]
    for a, b in zip(ours_seen, theirs_seen, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
            assert a.dtype == b.dtype


def test_retain_graph_runs_the_node_twice_with_fresh_gradients():
    results = []
    for lib in (gn, torch):
        x = lib.tensor(X, requires_grad=True)
        s, c, _ = _sin_cos(lib).apply(x, 0.5)
        s.sum().backward(retain_graph=True)
        first = x.grad.numpy().copy()
        c.sum().backward()
        results.append((first, x.grad.numpy().copy()))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_gradcheck_through_two_outputs():
    def f(x):
        s, c, _ = _sin_cos(gn).apply(x, 1.5)
        return s * c + s
    assert gradcheck(f, [gn.tensor(X, requires_grad=True)])


def _split_halves(lib):
    class Halves(lib.autograd.Function):
        """An integer count and two float halves; ``backward`` sees the count's gradient slot."""

        @staticmethod
        def forward(ctx, x):
            n = x.shape[0] // 2
            return x[:n] * 1, x[n:] * 2, (x > 0).sum()

        @staticmethod
        def backward(ctx, g1, g2, g_count):
            return lib.cat([g1, g2 * 2])
    return Halves


def test_integer_outputs_carry_no_graph_and_the_rest_flow():
    grads = []
    for lib in (gn, torch):
        x = lib.tensor(X, requires_grad=True)
        a, b, count = _split_halves(lib).apply(x)
        assert not count.requires_grad and a.requires_grad and count.item() == 3
        (a.sum() + (b * b).sum()).backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


def test_without_grad_the_outputs_are_plain():
    s, c, index = _sin_cos(gn).apply(gn.tensor(X), 2.0)
    assert not (s.requires_grad or c.requires_grad or index.requires_grad)
    with gn.no_grad():
        s, _, _ = _sin_cos(gn).apply(gn.tensor(X, requires_grad=True), 2.0)
    assert not s.requires_grad


def test_a_saved_input_changed_in_place_makes_backward_raise_as_torch():
    for lib, error in ((torch, RuntimeError), (gn, gn.GlassnetError)):
        x = lib.tensor(X, requires_grad=True)
        h = x * 1
        s, _, _ = _sin_cos(lib).apply(h, 2.0)
        with lib.no_grad():
            h.add_(1.0)
        with pytest.raises(error, match="modified"):
            s.sum().backward()


def test_mark_dirty_among_several_outputs_is_refused_with_the_fix():
    class AddOneTwice(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + 2 * g2

    h = gn.tensor(X, requires_grad=True) * 1
    with pytest.raises(ValueError, match="mark_dirty on an input that forward returns among several outputs"):
        AddOneTwice.apply(h)


def test_an_input_changed_in_place_before_the_call_is_not_taken_for_a_change_after_it():
    """The node notes the version its saved inputs had when recorded: a leaf updated in place
    before (an optimiser's step) is fine; one updated after raises."""
    for lib in (gn, torch):
        w = lib.tensor(X, requires_grad=True)
        with lib.no_grad():
            w.mul_(2)
        sin, _, _ = _sin_cos(lib).apply(w, 1.5)
        sin.sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), 1.5 * np.cos(2 * X), rtol=1e-12)
    w = gn.tensor(X, requires_grad=True)
    sin, _, _ = _sin_cos(gn).apply(w, 1.5)
    with gn.no_grad():
        w.mul_(2)
    with pytest.raises(gn.GlassnetError, match="modified in place"):
        sin.sum().backward()
