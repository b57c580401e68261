"""A validation split carved from the training data (``fit(..., validation_split=0.1)``,
``glassnet train --val-split 0.1``).

Of ``n`` training samples, ``n_val = max(1, round(fraction · n))`` chosen at random are held
out and ``n − n_val`` remain to train on; the two parts never share a sample. Keras takes
the *last* fraction instead, which goes wrong on data sorted by class; a random choice
does not. The choice is reproducible: a ``seed`` gives it its own generator
(``numpy.random.default_rng([seed, 1])``, so it does not move the shuffling stream), and
``seed=None`` draws from glassnet's default generator (``gn.manual_seed``).

Metrics on the held-out part are logged as ``val_*`` (``val_loss``, ``val_accuracy``); a
test set is a different thing — evaluated once at the end, reported as ``test_*``.
"""

import numbers

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.data import Subset, random_split

__all__ = ["check_fraction", "split_validation", "validation_size"]


def check_fraction(fraction, who, name="validation_split"):
    """``fraction`` as a float in [0, 1), or an error naming ``who`` and ``name``."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) or not 0 <= fraction < 1:
        raise GlassnetValueError(f"{who}: {name} must be a fraction in [0, 1) of the training "
                                 f"samples (e.g. 0.1), got {fraction!r:.80}")
    return float(fraction)


def validation_size(n, fraction):
    """``max(1, round(fraction · n))`` for ``fraction > 0``, else 0."""
    return 0 if fraction == 0 else max(1, int(round(fraction * n)))


def split_validation(dataset, fraction, seed=None, who="fit", name="validation_split"):
    """``(train, validation)``: two :class:`~glassnet.data.Subset` s of ``dataset``, the
    second holding :func:`validation_size` random samples; ``(dataset, None)`` when
    ``fraction`` is 0. At least one sample must be left to train on.

    Args:
        dataset: a map-style Dataset of n samples.
        fraction: the share held out, in [0, 1).
        seed: an int for a split of its own, or None for glassnet's default generator.
        who, name: the operation and option the errors name.

    Example:
        >>> import glassnet as gn
        >>> kept, held = gn.train.split_validation(gn.data.load("xor", "train"), 0.1, seed=0)
        >>> len(kept), len(held)
        (720, 80)
    """
    fraction = check_fraction(fraction, who, name)
    n = len(dataset)
    n_val = validation_size(n, fraction)
    if n_val == 0:
        return dataset, None
    if n - n_val < 1:
        raise GlassnetValueError(f"{who}: {name} {fraction:g} of {n} training sample(s) holds out "
                                 f"{n_val}, leaving none to train on; give more data or {name} 0")
    generator = None if seed is None else np.random.default_rng([int(seed), 1])
    train, val = random_split(dataset, [n - n_val, n_val], seed=generator)
    return _sorted(train), _sorted(val)


def _sorted(subset):
    """The subset with its indices in increasing order (reading nearby rows of the base
    array; which samples are in it does not change, and the loader shuffles anyway)."""
    return Subset(subset.dataset, np.sort(subset.indices))
