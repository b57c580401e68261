"""Class attributes swapped in for a while and put back: how a tool (gn.compile's recorder,
the profiler) hooks into the library without a check on any hot path.

``patches.patch(Tensor, "backward", recording_backward)`` sets the attribute and remembers
what was there (inherited attributes are remembered as absent); ``patches.undo()`` puts
every one back, last first, so that afterwards the classes are exactly as before. An
attribute that someone else has replaced since is left as they set it (two tools whose
swaps do not nest, e.g. a profile started inside a capture, undo only their own).
"""

__all__ = ["Patches", "with_subclasses"]


class _Missing:
    def __repr__(self):
        return "<absent>"


_MISSING = _Missing()


class Patches:
    """The attributes swapped in so far, with what each replaced."""

    def __init__(self):
        self._saved = []

    def patch(self, owner, name, value):
        """Set ``owner.name = value``, remembering the attribute ``owner`` itself had."""
        self._saved.append((owner, name, owner.__dict__.get(name, _MISSING), value))
        setattr(owner, name, value)

    def undo(self):
        """Put every swapped attribute back (an inherited one is deleted again)."""
        for owner, name, value, ours in reversed(self._saved):
            if owner.__dict__.get(name, _MISSING) is not ours:
                continue
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        self._saved.clear()

    def __len__(self):
        return len(self._saved)


def with_subclasses(cls):
    """``cls`` and every class derived from it (now), each once."""
    found, todo = [], [cls]
    while todo:
        c = todo.pop()
        if c not in found:
            found.append(c)
            todo.extend(c.__subclasses__())
    return found
