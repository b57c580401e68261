"""``torch.jit`` for PyTorch programs: TorchScript compiles a model into a graph of its own;
glassnet runs Python, so ``script`` and ``trace`` return what they were given — the same
numbers, computed eagerly — and the decorators that steer the compiler do nothing. What
has no eager meaning (saving or loading a TorchScript archive) raises, saying what to
use instead. (glassnet's own capture of a training step is ``gn.compile``.)

Example:
    >>> import glassnet as torch
    >>> @torch.jit.script
    ... def gelu_tanh(x):
    ...     return 0.5 * x * (1 + torch.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))
    >>> round(gelu_tanh(torch.tensor(1.0)).item(), 4)
    0.8412
"""

import typing

from glassnet._errors import GlassnetValueError

__all__ = ["Final", "annotate", "export", "ignore", "is_scripting", "is_tracing", "load", "save", "script",
           "trace", "unused"]

Final = typing.Final


def script(obj=None, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function or module) unchanged: it runs eagerly."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Return ``func`` unchanged (PyTorch would record one run with ``example_inputs``)."""
    return func


def _marker(fn=None, **kwargs):
    """A decorator used with or without arguments that leaves the function as it is."""
    return fn if callable(fn) else (lambda f: f)


ignore = unused = export = _marker


def is_scripting():
    """False: glassnet never runs TorchScript."""
    return False


def is_tracing():
    """False: glassnet never traces."""
    return False


def annotate(the_type, the_value):
    """The value itself (a type hint for the TorchScript compiler)."""
    return the_value


def save(m, f, _extra_files=None):
    raise GlassnetValueError("jit.save: glassnet writes no TorchScript archives; save the weights with "
                             "gn.save(model.state_dict(), path) (a safetensors file PyTorch can read)")


def load(f, map_location=None, _extra_files=None):
    raise GlassnetValueError("jit.load: glassnet cannot run a TorchScript archive (it holds compiled code); "
                             "build the model in Python and load its state_dict (gn.load)")
