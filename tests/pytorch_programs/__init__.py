"""Small PyTorch programs, each written once against a ``torch`` namespace.

Every program is a function ``program(torch)`` whose body is plain PyTorch: it reads
``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.utils.data`` as a script
would after ``import torch``. ``tests/test_pytorch_programs.py`` runs each one twice —
with ``torch`` and with ``glassnet`` in its place (the one-line import change) — and
requires the results it returns to agree. Weights come from :func:`load_weights` (drawn
by NumPy, the same on both sides) and data from NumPy generators, so only the library
differs. Programs return a dict of name → tensor, number, bool or list.
"""

from pytorch_programs import (
    basics,
    examples_learning,
    examples_nn,
    examples_seq,
    examples_small,
    examples_tutorials,
    examples_vision,
    legacy,
    linear_algebra,
    models,
    optimisers,
    probabilistic,
    profiling,
    sequences,
)
from pytorch_programs._weights import load_weights

__all__ = ["PROGRAMS", "load_weights"]


PROGRAMS = {**basics.PROGRAMS, **legacy.PROGRAMS, **linear_algebra.PROGRAMS, **models.PROGRAMS,
            **optimisers.PROGRAMS, **probabilistic.PROGRAMS, **sequences.PROGRAMS,
            **examples_nn.PROGRAMS, **examples_vision.PROGRAMS, **examples_learning.PROGRAMS,
            **examples_tutorials.PROGRAMS, **examples_seq.PROGRAMS, **examples_small.PROGRAMS,
            **profiling.PROGRAMS}
