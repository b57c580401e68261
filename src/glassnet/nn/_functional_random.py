"""Functions that draw random numbers: ``F.rrelu`` and ``F.gumbel_softmax`` (PyTorch's
signatures; draws from glassnet's seeded generator, so ``gn.manual_seed`` repeats them,
though not PyTorch's numbers).

- ``rrelu`` (randomized leaky ReLU, Xu et al. 2015): ``x`` where ``x ≥ 0``, else ``a·x``
  with a fresh slope ``a ~ U(lower, upper)`` per element while training and the mean slope
  ``(lower + upper)/2`` otherwise.
- ``gumbel_softmax`` (Jang et al. 2016): ``softmax((logits + g)/τ)`` with Gumbel(0, 1)
  noise ``g = −log(E)``, ``E ~ Exp(1)``; ``hard=True`` returns the one-hot of the argmax in
  forward and the soft sample's gradient (``y_hard − y_soft.detach() + y_soft``).
"""

import numpy as np

from glassnet import ops
from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetValueError
from glassnet.nn._functional_activation import activate
from glassnet.nn._functional_fold import constant

__all__ = ["rrelu", "rrelu_", "gumbel_softmax"]


def _draw(x, sample):
    """``sample(generator, shape)`` in x's floating dtype, on x's backend."""
    return constant(x, np.asarray(sample(default_generator(), x.shape), dtype=x.dtype))


def _rrelu(x, lower, upper, training):
    if not training:
        return ops.leaky_relu(x, (lower + upper) / 2)
    slope = _draw(x, lambda g, shape: g.uniform(lower, upper, shape))
    return ops.where(x >= 0, x, x * slope)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):  # noqa: A002
    """``x`` if ``x ≥ 0`` else ``a·x``: ``a ~ U(lower, upper)`` per element when ``training``,
    ``a = (lower + upper)/2`` otherwise (PyTorch's default is ``training=False``).

    Args:
        input: any tensor.
        lower: the smallest slope (default 1/8).
        upper: the largest slope (default 1/3).
        training: draw a slope per element (default False: the mean slope).
        inplace: write the result into ``input`` (default False).

    Example:
        >>> import glassnet as gn
        >>> print(gn.nn.functional.rrelu(gn.tensor([-2.0, 3.0]), 0.1, 0.3).numpy())
        [-0.4  3. ]
    """
    if not 0 <= lower <= upper:
        raise GlassnetValueError(f"rrelu: need 0 <= lower <= upper, got lower={lower}, upper={upper}")
    return activate(input, lambda t: _rrelu(t, lower, upper, training), inplace, "rrelu")


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):  # noqa: A002
    """``rrelu`` written into ``input``."""
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A differentiable sample from the categorical distribution ``softmax(logits)``:
    ``softmax((logits + g)/τ)`` along ``dim`` with Gumbel(0, 1) noise g. Small τ makes the
    sample nearly one-hot; ``hard=True`` makes it exactly one-hot in forward (the first
    maximum) while the gradient is the soft sample's (straight-through).

    Args:
        logits: unnormalised log-probabilities (…, classes, …).
        tau: the temperature τ > 0 (default 1).
        hard: return one-hot samples with the soft gradient (default False).
        eps: unused (PyTorch's deprecated argument).
        dim: the classes' axis (default −1).

    Shape:
        the output has the logits' shape; it sums to 1 along ``dim``.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
        >>> y = gn.nn.functional.gumbel_softmax(gn.zeros(2, 3), tau=0.5, hard=True)
        >>> y.sum(dim=-1).tolist()
        [1.0, 1.0]
    """
    if tau <= 0:
        raise GlassnetValueError(f"gumbel_softmax: tau must be > 0, got {tau}")
    gumbels = -ops.log(_draw(logits, lambda g, shape: g.exponential(1.0, shape)))
    y_soft = ops.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    soft = y_soft.array
    xp = namespace(soft)
    axis = dim % soft.ndim
    classes = xp.arange(soft.shape[axis]).reshape([-1 if a == axis else 1 for a in range(soft.ndim)])
    y_hard = (classes == xp.expand_dims(soft.argmax(axis=axis), axis)).astype(soft.dtype)
    return constant(logits, y_hard) - y_soft.detach() + y_soft
