"""Named datasets: :func:`available` lists them, :func:`load` builds one split.

``load`` is for fixed, named datasets: ``seed=None`` means the dataset's canonical seed,
so ``load("spiral")`` is the same points on every machine and ``load(name, "train")`` and
``load(name, "test")`` never share samples.
"""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.data import _toy as toy
from glassnet.data._digits import digits
from glassnet.data._mnist1d import mnist1d
from glassnet.data._util import check_split

__all__ = ["available", "load"]

TOY_SIZES = {"train": 800, "test": 200}
TOY_SEED = 0


def _toy(generate):
    """A split of a toy set: train and test come from independent streams of one seed."""

    def load_split(split, seed, **kwargs):
        seed = TOY_SEED if seed is None else seed
        rng = np.random.default_rng([seed, 0 if split == "train" else 1])
        kwargs.setdefault("n", TOY_SIZES[split])
        return generate(seed=rng, **kwargs)

    return load_split


def _digits(split, seed, **kwargs):
    return digits(split, seed=seed, **kwargs)


def _mnist1d(split, seed, **kwargs):
    return mnist1d(split, **kwargs) if seed is None else mnist1d(split, seed=seed, **kwargs)


_SIZES = f"{TOY_SIZES['train']} train / {TOY_SIZES['test']} test"
_REGISTRY = {
    "circles": (f"2-D toy: a disc inside a ring, 2 classes ({_SIZES})", _toy(toy.circles)),
    "digits": (
        "8x8 handwritten digits (scikit-learn), 64 pixels in [0, 1], 10 classes "
        "(1438 train / 359 test)",
        _digits,
    ),
    "gaussians": (f"2-D toy: two Gaussian blobs, 2 classes ({_SIZES})", _toy(toy.gaussians)),
    "mnist1d": (
        "MNIST-1D: signals of length 40, 10 classes (4000 train / 1000 test), generated "
        "locally and cached",
        _mnist1d,
    ),
    "moons": (f"2-D toy: two interleaving half circles, 2 classes ({_SIZES})", _toy(toy.moons)),
    "spiral": (f"2-D toy: two interleaved spiral arms, 2 classes ({_SIZES})", _toy(toy.spiral)),
    "xor": (f"2-D toy: exclusive or of the signs, 2 classes ({_SIZES})", _toy(toy.xor)),
}


def available():
    """``{name: one-line description}`` of every dataset :func:`load` knows, by name."""
    return {name: _REGISTRY[name][0] for name in sorted(_REGISTRY)}


def load(name, split="train", seed=None, **kwargs):
    """One split (``"train"`` or ``"test"``) of the named dataset, as a TensorDataset.

    ``seed=None`` gives the dataset's canonical version; other keyword arguments go to
    the dataset's function (e.g. ``noise=0.2`` for the toy sets, ``flatten=False`` for
    digits; ``n`` sets a toy split's size).

    Args:
        name: the dataset's name, one of ``gn.data.available()``'s keys (``"moons"``, ``"digits"``,
            ``"mnist1d"``, ...).
        split: ``"train"`` or ``"test"``; the two never share samples.
        seed: None for the canonical version (the same points on every machine), or an int
            for another draw of a generated dataset.
        **kwargs: passed on to the dataset's function (``noise=``, ``n=``, ``flatten=``...).

    Returns:
        A ``TensorDataset`` of features (float32) and labels (int64), with ``classes``.

    Shape:
        features ``(n, *features)`` — ``(n, 2)`` for the 2-D toy sets, ``(n, 64)`` for
        digits — and labels ``(n,)``.

    Example:
        >>> import glassnet as gn
        >>> train = gn.data.load("moons")
        >>> X, y = train.tensors
        >>> X.shape, X.dtype, y.shape, y.dtype
        ((800, 2), dtype('float32'), (800,), dtype('int64'))
        >>> len(gn.data.load("moons", "test")), len(gn.data.load("spiral", n=100, noise=0.1))
        (200, 100)
    """
    if name not in _REGISTRY:
        import difflib

        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise GlassnetValueError(
            f"load: no dataset named {name!r}{hint}; available: {', '.join(sorted(_REGISTRY))}"
        )
    check_split(split, "load")
    return _REGISTRY[name][1](split, seed, **kwargs)
