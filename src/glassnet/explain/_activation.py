"""What the explanations know of an activation: everything, read from its primitive.

An activation is one :class:`glassnet.ops._activation.Activation` subclass, which holds
its ``formula``, its ``derivative_formula`` (f′ in ``x`` and ``y``) and ``derivative(x, y)``.
:func:`activation_of` finds that primitive for a module (by running the module once on
zeros and watching which primitive the engine applied), a name (``"relu"``) or the class
itself; :class:`ActivationRule` writes its formulas in a layer's letters (``z`` for ``x``,
``a`` for ``y``) and evaluates f′ on a layer's real numbers. No activation (``None``, or a
module that applies no op, like ``nn.Identity``) is the identity ``a = z``.
"""

import re

import numpy as np

from glassnet._backend import default_generator
from glassnet._errors import GlassnetTypeError
from glassnet.autograd._mode import no_grad, observe
from glassnet.nn._module import Module
from glassnet.ops._activation import ACTIVATIONS, Activation

__all__ = ["ActivationRule", "activation_of", "activation_module"]

_XY = re.compile(r"(?<![A-Za-z_])[xy](?![A-Za-z_])")  # x and y as whole letters


class ActivationRule:
    """An activation as explain uses it: ``primitive`` (an ``Activation`` subclass, or
    None for the identity), its ``params``, ``name`` (``"ReLU"``) and ``symbol`` (``"σ"``)."""

    def __init__(self, primitive=None, params=None):
        self.primitive, self.params = primitive, dict(params or {})
        self.name = "Identity" if primitive is None else primitive.__name__
        self.symbol = (primitive.symbol if primitive is not None else "") or self.name

    def formula(self, z="z", a="a"):
        """``"a = max(z, 0)"``: the primitive's formula in the layer's letters (and the
        values of its numeric parameters: ``"… else 0.1·z"``)."""
        if self.primitive is None:
            return f"{a} = {z} (no activation)"
        return self._written(self.primitive.formula, z, a)

    def derivative_formula(self, z="z", a="a"):
        """f′ as the primitive writes it, in the layer's letters: ``"[z2 > 0]"``."""
        return "1" if self.primitive is None else self._written(self.primitive.derivative_formula, z, a)

    def _written(self, text, z, a):
        text = _XY.sub(lambda m: z if m[0] == "x" else a, text)
        for name, value in self.params.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                text = re.sub(rf"\b{re.escape(name)}\b", f"{value:g}", text)
        return text

    def mask_condition(self, z="z", a="a"):
        """``"z > 0"`` when f′ is a 0/1 mask ``[z > 0]`` (an Iverson bracket), else None."""
        bracket = re.fullmatch(r"\[(.+)\]", self.derivative_formula(z, a))
        return bracket[1] if bracket else None

    def derivative_words(self, z="z", a="a"):
        """f′ for a sentence: a mask reads ``"[z2 > 0] (1 where z2 > 0, 0 elsewhere)"``."""
        cond = self.mask_condition(z, a)
        words = self.derivative_formula(z, a)
        return f"{words} (1 where {cond}, 0 elsewhere)" if cond else words

    def derivative(self, Z, A):
        """f′(z) elementwise on real numbers (float64, Z's shape), by the primitive's own
        ``derivative`` from the layer's input ``Z`` and output ``A``."""
        Z = np.asarray(Z, dtype=np.float64)
        if self.primitive is None:
            return np.ones_like(Z)
        d = self.primitive.derivative(Z, np.asarray(A, dtype=np.float64), **self.params)
        return np.broadcast_to(np.asarray(d, dtype=np.float64), Z.shape).copy()

    def apply(self, Z):
        """``a = f(z)`` computed by the engine (the primitive), as float64."""
        import glassnet as gn

        if self.primitive is None:
            return np.asarray(Z, dtype=np.float64)
        with no_grad():
            return self.primitive.apply(gn.tensor(Z, dtype=gn.float64), **self.params).numpy()


def _lookup(name, where):
    key = name.lower().replace("_", "")
    if key == "identity":
        return None
    if key not in ACTIVATIONS:
        raise GlassnetTypeError(f"{where}: unknown activation {name!r}; use one of "
                                f"{sorted(ACTIVATIONS)}, an Activation primitive or an activation module")
    return ACTIVATIONS[key]


def activation_of(act, width=1, where="explain"):
    """The :class:`ActivationRule` of ``act``: ``None`` (identity), a name (``"sigmoid"``,
    ``"leaky_relu"``), an ``Activation`` subclass, or a module whose forward applies exactly
    one activation primitive (found by running it on zeros of shape ``(1, width)``,
    with the random generator restored). Raises ``GlassnetTypeError`` otherwise."""
    if act is None:
        return ActivationRule()
    if isinstance(act, str):
        return ActivationRule(_lookup(act, where))
    if isinstance(act, type) and issubclass(act, Activation):
        return ActivationRule(act)
    if not isinstance(act, Module) or any(True for _ in act.parameters()) or any(True for _ in act.buffers()):
        raise GlassnetTypeError(f"{where}: {type(act).__name__} is not an activation (a module without "
                                "parameters or buffers whose forward applies one Activation primitive)")
    ops = _ops_applied(act, width)
    if not ops:
        return ActivationRule()
    if len(ops) == 1 and isinstance(ops[0], Activation):
        return ActivationRule(type(ops[0]), ops[0].params)
    raise GlassnetTypeError(f"{where}: {type(act).__name__} applies {[op.name for op in ops]}, "
                            f"not one elementwise activation (known: {sorted(ACTIVATIONS)})")


def _ops_applied(module, width):
    """The ops ``module`` applies to zeros (1, width), watched through the engine's hook."""
    import glassnet as gn

    ops, rng = [], default_generator()
    saved = rng.bit_generator.state
    try:
        with no_grad(), observe(lambda event: ops.append(event.op)):
            module(gn.zeros((1, width), dtype=gn.float64))
    finally:
        rng.bit_generator.state = saved
    return ops


class _Apply(Module):
    """A module that applies one activation primitive (for activations given by name)."""

    def __init__(self, rule):
        super().__init__()
        self.primitive, self.params = rule.primitive, rule.params

    def forward(self, x):
        return x if self.primitive is None else self.primitive.apply(x, **self.params)

    def extra_repr(self):
        return self.primitive.__name__ if self.primitive else "identity"


def activation_module(act, where="explain"):
    """A new module applying ``act``'s primitive (``act`` as :func:`activation_of` takes it)."""
    return _Apply(activation_of(act, where=where))
