"""How much a file may make glassnet read, parse or allocate: ``glassnet.io.LIMITS``.

Every size a file (or a config inside one) asks for is computed from checked integers
and compared with these bounds *before* anything is allocated, so a small hostile file
cannot make glassnet use much more memory or time than its own size. The defaults hold
every model, checkpoint and dataset glassnet writes with a wide margin; raise one for a
file you trust::

    import glassnet as gn
    gn.io.LIMITS.max_tensors = 200_000        # a model file with very many tensors
    with gn.io.LIMITS.raised(max_parameters=10**11):
        model = gn.load_model("huge.safetensors")

The errors that a limit causes name the field to raise.
"""

import contextlib
import dataclasses

__all__ = ["LIMITS", "Limits"]


@dataclasses.dataclass
class Limits:
    """The bounds (all ints); see the module doc.

    - ``max_header_bytes``: the JSON header of a safetensors file (4 MiB: room for the
      entries of ``max_tensors`` tensors with long names, and for a checkpoint's state).
    - ``max_tensors``: tensors in one safetensors file (10,000: a large model shard holds a
      few thousand; parsing and checking 10,000 entries takes ~50 ms of CPU and ~10 MB).
    - ``max_header_values``: JSON values in a header, counted before parsing as its
      ``{``, ``[`` and ``,`` characters (strings included — a safe over-count); it bounds
      the Python objects a parse can create (each ≤ ~70 bytes).
    - ``max_parameters``: numbers a model config (a model file, a checkpoint's saved
      arguments, ``glassnet train --hidden``) or a recommender file may ask for.
    - ``max_layers``: layers a model config may ask for (hidden widths, recurrent layers).
    - ``max_classes``: classes a labelled dataset may have (``1 + the largest label``).
    - ``max_expansion``: how many times its size on disk an ``.npz`` archive may expand
      to (a zip bomb expands ~1000×; ``np.savez`` files ~1×), beyond a free 64 MiB.
    - ``max_archive_members``: arrays in one ``.npz`` archive.
    - ``max_line_chars``: characters in one line of a CSV file.
    """

    max_header_bytes: int = 4 * 2**20
    max_tensors: int = 10_000
    max_header_values: int = 300_000
    max_parameters: int = 2_000_000_000
    max_layers: int = 1_000
    max_classes: int = 100_000
    max_expansion: int = 100
    max_archive_members: int = 1_000
    max_line_chars: int = 4 * 2**20

    def check(self, field, value, what, who, error=None):
        """Raise ``error`` (a :class:`~glassnet.GlassnetValueError` by default) when
        ``value`` > the limit ``field``: ``"{who}: {what} — over the limit of …"``, with
        ``what`` a format string for the value (``"it holds {:,} tensors"``)."""
        from glassnet._errors import GlassnetValueError

        limit = getattr(self, field)
        if value > limit:
            raise (error or GlassnetValueError)(
                f"{who}: {what.format(value)}, over the limit of {limit:,} (glassnet.io.LIMITS."
                f"{field}; raise it only for a file you trust)"
            )

    @contextlib.contextmanager
    def raised(self, **fields):
        """``with LIMITS.raised(max_tensors=10**6): ...`` — other values inside, the old
        ones restored after."""
        unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            from glassnet._errors import GlassnetValueError

            raise GlassnetValueError(f"LIMITS.raised: no limits named {unknown}")
        old = {name: getattr(self, name) for name in fields}
        try:
            for name, value in fields.items():
                setattr(self, name, value)
            yield self
        finally:
            for name, value in old.items():
                setattr(self, name, value)


LIMITS = Limits()
"""The limits glassnet's readers check (a :class:`Limits`; change its fields to raise one)."""
