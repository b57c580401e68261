"""The base of every distribution (PyTorch's ``torch.distributions.Distribution``):
shapes, argument validation, ``sample`` as ``rsample`` without gradients.

Shapes: a distribution holds a batch of independent distributions (``batch_shape``), each
over values of ``event_shape``. ``sample(sample_shape)`` has shape
``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` has the value's shape
less ``event_shape`` (broadcast against ``batch_shape``).
"""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetTypeError
from glassnet._utility import Size
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.distributions import constraints
from glassnet.ops import broadcast_to, clamp, log, log1p

__all__ = ["Distribution", "broadcast_all", "logits_to_probs", "probs_to_logits"]


class Distribution:
    """A batch of probability distributions; subclasses give the parameters' constraints
    (``arg_constraints``), the ``support``, and ``rsample``/``sample``/``log_prob``/``entropy``."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True  # PyTorch's default since 1.8
    arg_constraints = {}
    support = None

    @staticmethod
    def set_default_validate_args(value):
        """Check parameters and values by default (``True``, as PyTorch) or not."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self):
        for name, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint) or name not in self.__dict__:
                continue
            self._check_parameter(name, getattr(self, name), constraint)

    def _check_parameter(self, name, value, constraint):
        """PyTorch's error for a parameter outside its constraint (names both and the distribution)."""
        if not bool(constraint.check(value).all()):
            raise ValueError(
                f"Expected parameter {name} ({type(value).__name__} of shape {tuple(value.shape)}) of "
                f"distribution {self!r} to satisfy the constraint {constraint!r}, but found invalid "
                f"values:\n{value}")

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} has no mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} has no mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} has no variance")

    @property
    def stddev(self):
        """√variance."""
        return self.variance.sqrt()

    def expand(self, batch_shape):
        """The same distribution repeated over a larger ``batch_shape`` (parameters are
        broadcast views, not copies), as PyTorch's ``expand``."""
        batch_shape = Size(batch_shape)
        new = type(self).__new__(type(self))
        new.__dict__.update(self._expanded_params(tuple(batch_shape)))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expanded_params(self, batch_shape):
        """Attribute name → value for :meth:`expand` (each parameter broadcast to ``batch_shape``)."""
        raise NotImplementedError(f"{type(self).__name__}.expand: a Distribution subclass defines "
                                  "_expanded_params(batch_shape) (its parameters broadcast) to be expanded, "
                                  "as PyTorch's subclasses define expand")

    def sample(self, sample_shape=()):
        """A draw of shape ``sample_shape + batch_shape + event_shape``, cut from the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        """A reparameterised draw: a differentiable function of the parameters and noise."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (it is not reparameterisable); "
                                  "use sample() and a score-function estimator (log_prob) instead")

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        """exp(entropy)."""
        return self.entropy().exp()

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} has no icdf")

    def _extended_shape(self, sample_shape=()):
        """``sample_shape + batch_shape + event_shape``."""
        sample_shape = (sample_shape,) if isinstance(sample_shape, int) else tuple(sample_shape)
        return Size(sample_shape + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        """PyTorch's checks of a value to score: a Tensor, event shape on the right,
        broadcastable against the batch, inside the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape, event = Size(value.shape), self._event_shape
        if tuple(shape[len(shape) - len(event):]) != tuple(event):
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs {event}.")
        expected = tuple(self._batch_shape) + tuple(event)
        for i, j in zip(reversed(shape), reversed(expected), strict=False):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {shape} vs "
                                 f"{Size(expected)}.")
        support = self.support
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                             f"distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{k}: {_shown(self.__dict__[k])}" for k in names)
        return f"{type(self).__name__}({args})"


def _shown(param):
    """A parameter in a repr: its value when it has one element, else its size."""
    return param if param.numel() == 1 else param.size()


def broadcast_all(*values):
    """Numbers and tensors → tensors broadcast to one shape; numbers take the first
    tensor's dtype (the default dtype when there is none), as PyTorch."""
    for v in values:
        if not isinstance(v, (Tensor, int, float, np.number)) or isinstance(v, bool):
            raise GlassnetTypeError(f"distribution parameters must be numbers or Tensors, got "
                                    f"{type(v).__name__}")
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v, dtype=dtype), False, None)
               for v in values]
    shape = tuple(np.broadcast_shapes(*(tuple(t.shape) for t in tensors)))
    return tuple(t if tuple(t.shape) == shape else broadcast_to(t, shape) for t in tensors)


def clamp_probs(probs):
    """Probabilities kept in ``[eps, 1 − eps]`` (eps of their dtype) so their logs are finite."""
    eps = float(np.finfo(probs.dtype).eps)
    return clamp(probs, min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """log p (categories) or log p − log(1 − p) (binary), of the clamped probabilities."""
    clamped = clamp_probs(probs)
    return log(clamped) - log1p(-clamped) if is_binary else log(clamped)


def logits_to_probs(logits, is_binary=False):
    """σ(logits) (binary) or softmax over the last dimension."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)
