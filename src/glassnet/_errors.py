"""The one family of glassnet errors.

Every error glassnet raises on bad input subclasses :class:`GlassnetError` and the
builtin a Python user would catch (``ValueError`` for wrong shapes or values,
``TypeError`` for wrong kinds of input), so both ``except gn.GlassnetError`` and
``except ValueError`` work.
"""

__all__ = ["GlassnetError", "ShapeError", "GlassnetTypeError", "GlassnetValueError",
           "GlassnetIndexError", "GlassnetWarning"]


class GlassnetError(Exception):
    """Base class of every error glassnet raises on purpose."""


class GlassnetValueError(GlassnetError, ValueError):
    """A value is out of range, ill-formed or inconsistent."""


class ShapeError(GlassnetValueError):
    """Shapes do not fit the operation (the message names the op and both shapes)."""


class GlassnetTypeError(GlassnetError, TypeError):
    """An input is of the wrong kind or dtype."""


class GlassnetIndexError(GlassnetError, IndexError):
    """An index is out of range for the tensor it selects from."""


class GlassnetWarning(UserWarning):
    """glassnet accepted a request it serves differently from PyTorch (and says how), e.g.
    ``DataLoader(num_workers=4)`` loading in the calling process."""
