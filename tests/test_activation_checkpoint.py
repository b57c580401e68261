"""torch.utils.checkpoint for real: forward keeps only the inputs, backward recomputes.

Every run is compared with the same program without checkpointing (to 1e-12 in float64)
and with PyTorch's checkpoint given the same weights (to 1e-10): values, the inputs'
gradients and every parameter's. The memory saving is asserted through the graph (what
the output's grad_fn reaches) and through tracemalloc (what stays allocated between
forward and backward)."""

import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")
pytest.importorskip("torch.utils.checkpoint")  # torch imports the submodule lazily

BOTH = pytest.mark.parametrize("reentrant", [True, False])


def _mlp(lib, seed=0, p=0.0):
    rng = np.random.default_rng(seed)
    block = lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Dropout(p), lib.nn.Linear(5, 4),
                              lib.nn.Sigmoid(), lib.nn.Linear(4, 2), lib.nn.Tanh()).double()
    for q in block.parameters():
        q.data = lib.tensor(rng.standard_normal(tuple(q.shape)))
    x = lib.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    return block, x


def _results(lib, block, x, y):
    """The output, the input's gradient and every parameter's, as arrays."""
    (y ** 2).sum().backward()
    grads = [q.grad.numpy() for q in block.parameters()]
    return [y.detach().numpy()] + ([] if x.grad is None else [x.grad.numpy()]) + grads


def _close(a, b, tol):
    assert len(a) == len(b)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, rtol=tol, atol=tol)


def _three_ways(program, **kwargs):
    """program(lib, checkpointed) for glassnet with and without checkpointing, and torch's."""
    ours = program(gn, True, **kwargs)
    _close(ours, program(gn, False, **kwargs), 1e-12)
    _close(ours, program(torch, True, **kwargs), 1e-10)
    return ours


@BOTH
def test_an_mlp_block_gives_the_unchecked_and_torchs_values_and_gradients(reentrant):
    def program(lib, checkpointed):
        block, x = _mlp(lib)
        y = lib.utils.checkpoint.checkpoint(block, x, use_reentrant=reentrant) if checkpointed else block(x)
        return _results(lib, block, x, y)

    _three_ways(program)


def test_parameters_alone_get_gradients_without_reentrant():
    def program(lib, checkpointed):
        block, x = _mlp(lib)
        x = x.detach()
        y = lib.utils.checkpoint.checkpoint(block, x, use_reentrant=False) if checkpointed else block(x)
        return _results(lib, block, x, y)

    assert len(_three_ways(program)) == 7  # the output and six parameters' gradients


def test_reentrant_without_an_input_requiring_grad_warns_and_has_no_graph_as_torchs():
    for lib in (gn, torch):
        block, x = _mlp(lib)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = lib.utils.checkpoint.checkpoint(block, x.detach(), use_reentrant=True)
        assert not y.requires_grad
        assert any("None" in str(w.message) for w in caught)


def test_a_missing_use_reentrant_warns_and_runs_the_reentrant_variant_as_torchs():
    for lib in (gn, torch):
        block, x = _mlp(lib)
        with pytest.warns(UserWarning, match="use_reentrant"):
            y = lib.utils.checkpoint.checkpoint(block, x)
        assert y.grad_fn.name() == "CheckpointFunctionBackward"
        with pytest.warns(UserWarning, match="use_reentrant"):
            lib.utils.checkpoint.checkpoint_sequential(block, 2, x)


@pytest.mark.parametrize("preserve", [True, False])
def test_dropout_inside_sees_the_same_mask_in_the_recomputation(preserve):
    def program(lib, checkpointed):
        block, x = _mlp(lib, p=0.5)
        gn.manual_seed(3)
        run = lib.utils.checkpoint.checkpoint
        y = run(block, x, use_reentrant=False, preserve_rng_state=preserve) if checkpointed else block(x)
        return _results(lib, block, x, y)

    ours, plain = program(gn, True), program(gn, False)
    no_dropout = _mlp(gn)[0](_mlp(gn)[1]).detach().numpy()
    assert not np.allclose(ours[0], no_dropout)  # dropout is on (training mode)
    if preserve:
        _close(ours, plain, 1e-12)
    else:  # a fresh mask in the recomputation: the gradients are those of another mask, as in PyTorch
        _close(ours[:1], plain[:1], 1e-12)
        assert not np.allclose(ours[1], plain[1])


@BOTH
def test_several_outputs_and_non_tensor_arguments_and_outputs(reentrant):
    def f(a, scale, name, b):
        return a * b * scale, name, (a - b).tanh(), 3

    def program(lib, checkpointed):
        rng = np.random.default_rng(4)
        a = lib.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        b = lib.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        args = (a, 2.5, "tag", b)
        out = lib.utils.checkpoint.checkpoint(f, *args, use_reentrant=reentrant) if checkpointed else f(*args)
        assert out[1] == "tag" and out[3] == 3
        (out[0].sum() + (out[2] ** 3).sum()).backward()
        return [out[0].detach().numpy(), out[2].detach().numpy(), a.grad.numpy(), b.grad.numpy()]

    _three_ways(program)


def test_keyword_arguments_and_nested_outputs_without_reentrant():
    def f(a, *, w, shift=0.0):
        return {"y": (a @ w + shift).relu(), "pair": [a.sum(), "s"]}

    def program(lib, checkpointed):
        rng = np.random.default_rng(5)
        a = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
        w = lib.tensor(rng.standard_normal((3, 2)), requires_grad=True)
        run = lib.utils.checkpoint.checkpoint
        out = run(f, a, w=w, shift=0.1, use_reentrant=False) if checkpointed else f(a, w=w, shift=0.1)
        assert out["pair"][1] == "s"
        ((out["y"] ** 2).sum() * out["pair"][0]).backward()
        return [out["y"].detach().numpy(), a.grad.numpy(), w.grad.numpy()]

    _three_ways(program)
    with pytest.raises(gn.GlassnetValueError, match="keyword arguments"):
        gn.utils.checkpoint.checkpoint(f, gn.ones(4, 3), w=gn.ones(3, 2), use_reentrant=True)


@BOTH
@pytest.mark.parametrize("segments", [2, 3])
def test_checkpoint_sequential_on_a_sequential(reentrant, segments):
    def program(lib, checkpointed):
        block, x = _mlp(lib)
        run = lib.utils.checkpoint.checkpoint_sequential
        y = run(block, segments, x, use_reentrant=reentrant) if checkpointed else block(x)
        return _results(lib, block, x, y)

    _three_ways(program)


@BOTH
def test_nested_checkpoints(reentrant):
    def program(lib, checkpointed):
        block, x = _mlp(lib)
        if not checkpointed:
            return _results(lib, block, x, block(x))
        run = lib.utils.checkpoint.checkpoint

        def outer(h):
            return run(block[3:5], run(block[:3], h, use_reentrant=reentrant), use_reentrant=reentrant)

        with warnings.catch_warnings():  # reentrant: the inner calls see inputs without grad in forward
            warnings.simplefilter("ignore")
            y = block[5:](run(outer, x, use_reentrant=reentrant))
        return _results(lib, block, x, y)

    _three_ways(program)


def test_the_same_tensor_twice_and_a_tensor_the_function_closes_over():
    def program(lib, checkpointed):
        rng = np.random.default_rng(6)
        a = lib.tensor(rng.standard_normal(4), requires_grad=True)
        h = a.exp()  # computed outside, read inside both as an argument and from the closure

        def f(p, q):
            return p * q * h

        y = lib.utils.checkpoint.checkpoint(f, h, h, use_reentrant=False) if checkpointed else f(h, h)
        y.sum().backward()
        return [y.detach().numpy(), a.grad.numpy()]

    _three_ways(program)


def test_autograd_grad_and_create_graph_through_a_checkpoint():
    def program(lib, checkpointed):
        block, x = _mlp(lib)
        params = list(block.parameters())
        y = lib.utils.checkpoint.checkpoint(block, x, use_reentrant=False) if checkpointed else block(x)
        grads = lib.autograd.grad((y ** 2).sum(), [x] + params, create_graph=True)
        hvp = lib.autograd.grad(sum((g ** 2).sum() for g in grads), [x, params[0]])
        return [g.detach().numpy() for g in grads] + [g.numpy() for g in hvp]

    _three_ways(program)


def test_a_second_derivative_through_several_outputs_raises_naming_the_checkpoint():
    x = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    a, b = gn.utils.checkpoint.checkpoint(lambda t: (t ** 3, t * 2), x, use_reentrant=False)
    (g,) = gn.autograd.grad((a + b).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [5.0, 14.0])
    with pytest.raises(gn.GlassnetError, match="checkpointFunction"):
        gn.autograd.grad(g.sum(), x)


def test_batchnorm_running_statistics_update_twice_as_in_torch():
    def program(lib, checkpointed):
        block, x = _mlp(lib)
        norm = lib.nn.BatchNorm1d(2).double()
        y = lib.utils.checkpoint.checkpoint(lambda t: norm(block(t)), x, use_reentrant=False)
        (y ** 2).sum().backward()
        return [y.detach().numpy(), x.grad.numpy(), norm.running_mean.numpy(), norm.running_var.numpy()]

    _close(program(gn, True), program(torch, True), 1e-10)


def test_a_hook_on_a_parameter_runs_once_and_retain_graph_recomputes():
    block, x = _mlp(gn)
    calls = []
    block[0].weight.register_hook(lambda g: calls.append(g.numpy().copy()))
    y = gn.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
    y.sum().backward(retain_graph=True)
    first = block[0].weight.grad.numpy().copy()
    y.sum().backward()
    assert len(calls) == 2
    np.testing.assert_allclose(calls[0], first, rtol=1e-12)
    np.testing.assert_allclose(block[0].weight.grad.numpy(), 2 * first, rtol=1e-12)


def test_an_input_changed_in_place_before_backward_raises():
    x = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    h = x * 1
    y = gn.utils.checkpoint.checkpoint(lambda t: t.exp(), h, use_reentrant=False)
    with gn.no_grad():
        h.mul_(2)
    with pytest.raises(gn.GlassnetError, match="modified in place"):
        y.sum().backward()


def test_a_recomputation_that_differs_from_forward_raises():
    state = {"n": 2}

    def grows(t):
        state["n"] += 1
        return t[: state["n"]] * 2

    y = gn.utils.checkpoint.checkpoint(grows, gn.ones(5, requires_grad=True), use_reentrant=False)
    with pytest.raises(gn.GlassnetError, match="determinism_check"):
        y.sum().backward()


def test_a_tensor_read_only_in_the_recomputation_raises_rather_than_losing_its_gradient():
    w = gn.tensor([3.0], requires_grad=True)
    y = gn.utils.checkpoint.checkpoint(lambda t: t * (w if gn.is_grad_enabled() else 3.0),
                                       gn.ones(2, requires_grad=True), use_reentrant=False)
    with pytest.raises(gn.GlassnetError, match="did not read"):
        y.sum().backward()


def _reachable_arrays(y):
    """The arrays the output's graph holds: every tensor reachable through grad_fn inputs."""
    arrays, stack, seen = {}, [y], set()
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        arrays[id(t.array)] = t.array.nbytes
        if t._ctx is not None:
            stack.extend(t._ctx.inputs)
    return arrays


def _deep_block(depth=12, width=128):
    gn.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [gn.nn.Linear(width, width).double(), gn.nn.Tanh()]
    return gn.nn.Sequential(*layers), gn.randn(256, width, dtype=gn.float64, requires_grad=True)


def test_the_graph_holds_only_the_inputs_and_parameters():
    block, x = _deep_block()
    y = gn.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
    held = _reachable_arrays(y)
    expected = {id(x.array)} | {id(q.array) for q in block.parameters()}
    assert set(held) - {id(y.array)} == expected
    plain = _reachable_arrays(block(x))
    assert len(plain) - len(held) == 2 * 12 - 1  # each Linear's and Tanh's output but the last (y)


def test_the_memory_held_between_forward_and_backward_drops_by_the_activations():
    activation = 256 * 128 * 8

    def held(checkpointed):
        block, x = _deep_block()
        block(x[:1])  # a first call may import modules lazily: not measured
        gn.utils.checkpoint.checkpoint(block, x[:1], use_reentrant=False)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        y = gn.utils.checkpoint.checkpoint(block, x, use_reentrant=False) if checkpointed else block(x)
        between = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        y.sum().backward()
        assert x.grad is not None and block[0].weight.grad is not None
        return between

    plain, checkpointed = held(False), held(True)
    assert plain > 2 * 12 * activation  # every layer's output and more
    assert checkpointed < 2 * activation  # the output, and no activation inside


def test_training_steps_through_checkpoints_match_torch():
    """Parameters updated in place by the optimiser between steps are read afresh each step."""
    def program(lib, checkpointed):
        block, x = _mlp(lib)
        opt = lib.optim.SGD(block.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            y = (lib.utils.checkpoint.checkpoint_sequential(block, 3, x.detach(), use_reentrant=False)
                 if checkpointed else block(x.detach()))
            loss = (y ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return [np.array(losses)] + [q.detach().numpy() for q in block.parameters()]

    _three_ways(program)


def test_named_tuple_outputs_and_context_fn():
    from collections import namedtuple
    from contextlib import contextmanager

    Pair = namedtuple("Pair", "double square")
    entered = []

    @contextmanager
    def note(phase):
        entered.append((phase, gn.is_grad_enabled()))
        yield

    def contexts():
        return note("forward"), note("recompute")

    x = gn.tensor([1.0, -2.0], dtype=gn.float64, requires_grad=True)
    out = gn.utils.checkpoint.checkpoint(lambda t: Pair(t * 2, t ** 2), x, use_reentrant=False,
                                         context_fn=contexts)
    assert isinstance(out, Pair) and out.square.requires_grad
    (out.double + out.square).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, -2.0])
    assert entered == [("forward", False), ("recompute", True)]
    with pytest.raises(gn.GlassnetValueError, match="use_reentrant=False"):
        gn.utils.checkpoint.checkpoint(lambda t: t, x, use_reentrant=True, context_fn=contexts)
    noop = gn.utils.checkpoint.noop_context_fn
    y = gn.utils.checkpoint.checkpoint(lambda t: t * 3, x, use_reentrant=True, context_fn=noop)
    assert y.requires_grad


def test_bad_arguments_are_refused_naming_what_fits():
    block, x = _mlp(gn)
    with pytest.raises(gn.GlassnetValueError, match="determinism_check"):
        gn.utils.checkpoint.checkpoint(block, x, use_reentrant=False, determinism_check="strict")
    with pytest.raises(gn.GlassnetValueError, match="segments must be an int from 1 to the number"):
        gn.utils.checkpoint.checkpoint_sequential(block, 9, x, use_reentrant=False)
    with pytest.raises(gn.GlassnetValueError, match="preserve_rng_state"):
        gn.utils.checkpoint.checkpoint_sequential(block, 2, x, use_reentrant=False, debug=True)
