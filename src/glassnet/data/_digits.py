"""scikit-learn's bundled 8×8 handwritten digits (1797 images, read from disk, offline)."""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.data._dataset import TensorDataset
from glassnet.data._util import check_split, require

__all__ = ["digits"]

DIGITS_SEED = 0


def _stratified_split(y, test_fraction, seed):
    """Sorted train and test indices; each class sends round(fraction · count) to test."""
    rng = np.random.default_rng(seed)
    test = []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        test.append(members[: int(round(test_fraction * len(members)))])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


def digits(split="train", seed=None, test_fraction=0.2, flatten=True):
    """The 8×8 digits of ``sklearn.datasets.load_digits``, pixels scaled to ``[0, 1]``.

    A fixed stratified split (``seed`` None means 0; 20% test by default) gives 1438
    train and 359 test images. Returns ``TensorDataset(X, y)`` with ``X`` float32 of shape
    ``(n, 64)`` (``flatten=False``: ``(n, 1, 8, 8)``, NCHW for a CNN) and ``y`` int64 in
    ``0 .. 9``.
    """
    check_split(split, "digits")
    if not 0.0 < test_fraction < 1.0:
        raise GlassnetValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction!r}")
    datasets = require("sklearn.datasets", "gn.data.digits", "scikit-learn")
    bunch = datasets.load_digits()
    X = bunch.data / 16.0  # pixel intensities 0 .. 16
    y = bunch.target.astype(np.int64)
    train, test = _stratified_split(y, test_fraction, DIGITS_SEED if seed is None else seed)
    rows = train if split == "train" else test
    X = X[rows].astype(get_default_dtype())
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    return TensorDataset(X, y[rows], classes=range(10))
