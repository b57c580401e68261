"""Small top-level functions PyTorch programs call: ``is_tensor``, ``numel``, the default
generator's seed and state, and ``Size``."""

from glassnet._backend import default_generator
from glassnet._errors import GlassnetTypeError
from glassnet.autograd._size import Size
from glassnet.autograd._tensor import Tensor

__all__ = ["Size", "get_rng_state", "initial_seed", "is_tensor", "numel", "seed", "set_rng_state"]


def is_tensor(obj):
    """True if ``obj`` is a glassnet Tensor."""
    return isinstance(obj, Tensor)


def numel(input):  # noqa: A002  (PyTorch's name)
    """The number of elements of ``input``."""
    if not isinstance(input, Tensor):
        raise GlassnetTypeError(f"numel: expected a Tensor, got {type(input).__name__}")
    return input.numel()


def seed():
    """Reseed glassnet's default generator from the operating system; returns the seed."""
    return default_generator().seed()


def initial_seed():
    """The seed last given to ``gn.manual_seed`` (None if never seeded)."""
    return default_generator().initial_seed()


def get_rng_state():
    """The default generator's position (NumPy's state dict), for :func:`set_rng_state`."""
    return default_generator().get_state()


def set_rng_state(state):
    """Put the default generator back at a position from :func:`get_rng_state`."""
    default_generator().set_state(state)
