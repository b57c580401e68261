"""The two tiers agree: every registered kernel equals its primitive's reference.

For each kernel in ``gn.kernels.registered()``, every case of the op registry
(``op_registry.py``) whose graph the kernel takes part in runs twice — with only that
kernel enabled and under the reference tier — and forward values and input gradients
must agree (float64, 1e-12 relative). A kernel that no registry case exercises fails:
add a case to the registry that reaches it.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from op_registry import REGISTRY, make_inputs

KERNELS = gn.kernels.registered()


def _graph_ops(out):
    """Every op in the graph that made ``out``."""
    seen, stack, ops = set(), [out], []
    while stack:
        t = stack.pop()
        op = t.grad_fn
        if op is None or id(op) in seen:
            continue
        seen.add(id(op))
        ops.append(op)
        stack.extend(op.inputs)
    return ops


def _run(spec, arrays):
    """Forward value and the gradients of Σ out·w for every input."""
    xs = [gn.tensor(a, requires_grad=True) for a in arrays]
    out = spec.run(*xs)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * gn.tensor(weights, dtype=out.dtype)).sum().backward()
    grads = [None if x.grad is None else x.grad.numpy() for x in xs]
    return out, grads


def _cases_using(kernel):
    """(spec, shapes) of the registry whose graph runs ``kernel`` when only it is on."""
    found = []
    with gn.kernels.use(kernel.name):
        for spec in REGISTRY:
            for shapes in (*spec.shapes, spec.large_shapes):
                try:
                    out, _ = _run(spec, make_inputs(spec, shapes))
                except (gn.GlassnetError, ValueError, TypeError):
                    continue
                if any(op.kernel is kernel for op in _graph_ops(out)):
                    found.append((spec, shapes))
    return found


def _close(fast, ref, what):
    scale = max(1.0, float(np.max(np.abs(ref)))) if np.size(ref) else 1.0
    np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-12 * scale, err_msg=what)


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.name for k in KERNELS])
def test_kernel_equals_reference_on_every_registry_case_it_serves(kernel):
    cases = _cases_using(kernel)
    assert cases, (f"kernel {kernel.name} is registered for {kernel.primitive} but no case of "
                   "op_registry.REGISTRY exercises it: add one")
    for spec, shapes in cases:
        arrays = make_inputs(spec, shapes)
        with gn.kernels.use(kernel.name):
            fast, fast_grads = _run(spec, arrays)
        with gn.kernels.use("reference"):
            ref, ref_grads = _run(spec, arrays)
            assert not any(op.kernel for op in _graph_ops(ref)), "the reference tier ran a kernel"
        label = f"{kernel.name} on {spec.name} {shapes}"
        assert fast.shape == ref.shape and fast.dtype == ref.dtype, label
        _close(fast.numpy(), ref.numpy(), label + ": forward")
        for i, (g_fast, g_ref) in enumerate(zip(fast_grads, ref_grads, strict=True)):
            assert (g_fast is None) == (g_ref is None), label
            if g_ref is not None:
                _close(g_fast, g_ref, f"{label}: gradient of input {i}")


def _primitive_names():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {c.__name__ for c in subclasses(gn.Function) if c.__module__.startswith("glassnet.ops")}


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.name for k in KERNELS])
def test_kernel_names_a_primitive_of_the_ops_layer(kernel):
    assert kernel.primitive in _primitive_names(), kernel
    assert kernel.name and kernel.summary, kernel


def test_use_switches_tiers_and_restores_the_previous_choice():
    assert gn.kernels.tier() == "fast"
    with gn.kernels.use("reference"):
        assert gn.kernels.tier() == "reference"
        with gn.kernels.use("fast"):
            assert gn.kernels.tier() == "fast"
        assert gn.kernels.tier() == "reference"
    assert gn.kernels.tier() == "fast"


def test_use_rejects_an_unknown_tier_naming_the_choices():
    with pytest.raises(ValueError, match="unknown tier or kernel 'fastest'.*'reference'"):
        gn.kernels.use("fastest")
    assert gn.kernels.tier() == "fast"


def test_environment_variable_selects_the_reference_tier():
    code = "import glassnet as gn; print(gn.kernels.tier())"
    env = {**os.environ, "GLASSNET_KERNELS": "reference"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "reference"


def test_empty_cache_returns_pooled_memory_to_the_accounting():
    from glassnet.kernels._memory import scratch

    gn.kernels.empty_cache()
    buf = scratch(np, "test.block", (512, 512), np.float64)  # 2 MiB: pooled
    stats = gn.kernels.memory_stats()
    assert stats["scratch_bytes"] >= buf.nbytes and stats["scratch_buffers"] >= 1
    assert scratch(np, "test.block", (512, 512), np.float64) is buf  # reused
    gn.kernels.empty_cache()
    stats = gn.kernels.memory_stats()
    assert stats["scratch_bytes"] == 0 and stats["free_list_bytes"] == 0


def test_scratch_pool_stays_within_its_limit():
    from glassnet.kernels._memory import LIMITS, scratch

    gn.kernels.empty_cache()
    block = (1024, 1024)  # 8 MiB in float64
    for i in range(2 * LIMITS["scratch"] // (8 << 20)):
        scratch(np, f"test.limit{i}", block, np.float64)
    assert gn.kernels.memory_stats()["scratch_bytes"] <= LIMITS["scratch"]
    gn.kernels.empty_cache()
