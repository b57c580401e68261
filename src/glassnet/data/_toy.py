"""The 2-D toy datasets of interactive playgrounds: spiral, circles, xor, moons, gaussians.

Each function returns a :class:`TensorDataset` of ``X`` float32 (the default dtype) of
shape ``(n, 2)`` and ``y`` int64 of shape ``(n,)``; ``X, y = ds.arrays`` gives the NumPy
arrays. Points lie roughly in ``[-1, 1]²`` (plus noise), classes are as balanced as ``n``
allows (sizes differ by at most one) and rows are shuffled. ``noise`` is the standard
deviation of Gaussian noise added to both coordinates. ``seed`` (int) gives the same points
every time; ``None`` draws from glassnet's default generator (see ``gn.manual_seed``).
"""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.data._dataset import TensorDataset
from glassnet.data._util import as_generator, check_positive_int

__all__ = ["spiral", "circles", "xor", "moons", "gaussians"]


def _labels(n, classes):
    """``n`` labels ``0 .. classes-1`` in blocks whose sizes differ by at most one."""
    sizes = np.full(classes, n // classes)
    sizes[: n % classes] += 1
    return np.repeat(np.arange(classes, dtype=np.int64), sizes)


def _check(n, noise, who, classes=2):
    n = check_positive_int(n, "n", who)
    classes = check_positive_int(classes, "classes", who)
    if classes < 2:
        raise GlassnetValueError(f"{who}: classes must be at least 2, got {classes}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.number)) or not (
        np.isfinite(noise) and noise >= 0
    ):
        raise GlassnetValueError(f"{who}: noise must be a finite number >= 0, got {noise!r}")
    return n, classes


def _finish(points, y, noise, rng, classes=2):
    """Add noise, shuffle rows, cast: X (n, 2) default float dtype, y (n,) int64."""
    points = points + noise * rng.standard_normal(points.shape)
    order = rng.permutation(len(y))
    X = points[order].astype(get_default_dtype())
    return TensorDataset(X, y[order], classes=range(classes))


def _polar(r, theta):
    return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)


def spiral(n=300, classes=2, noise=0.05, seed=None):
    """Interleaved spiral arms, one per class (the playground's hardest set).

    Arm ``k`` turns 1.75 times around the origin, radius growing from 0 to 1, rotated by
    ``2πk/classes``. Returns ``TensorDataset(X (n, 2) float32, y (n,) int64)``.
    """
    n, classes = _check(n, noise, "spiral", classes)
    rng = as_generator(seed, "spiral")
    y = _labels(n, classes)
    t = rng.random(n)  # position along the arm, 0 (centre) .. 1 (tip)
    theta = 2 * np.pi * (1.75 * t + y / classes)
    return _finish(_polar(t, theta), y, noise, rng, classes)


def circles(n=300, noise=0.05, seed=None):
    """A disc (class 0, radius ≤ 0.5) inside a ring (class 1, radius 0.7 .. 1).

    Returns ``TensorDataset(X (n, 2) float32, y (n,) int64)``.
    """
    n, _ = _check(n, noise, "circles")
    rng = as_generator(seed, "circles")
    y = _labels(n, 2)
    r = np.where(y == 0, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    theta = rng.uniform(0.0, 2 * np.pi, n)
    return _finish(_polar(r, theta), y, noise, rng)


def xor(n=300, noise=0.05, seed=None):
    """Exclusive or: class 1 where x₁ and x₂ have the same sign, class 0 where they differ.

    Coordinates have magnitudes in ``[0.05, 1]`` (a margin around the axes).
    Returns ``TensorDataset(X (n, 2) float32, y (n,) int64)``.
    """
    n, _ = _check(n, noise, "xor")
    rng = as_generator(seed, "xor")
    y = _labels(n, 2)
    magnitude = rng.uniform(0.05, 1.0, (n, 2))
    sign = rng.choice(np.array([-1.0, 1.0]), n)
    signs = np.stack([sign, np.where(y == 1, sign, -sign)], axis=1)
    return _finish(magnitude * signs, y, noise, rng)


def moons(n=300, noise=0.1, seed=None):
    """Two interleaving half circles (as scikit-learn's ``make_moons``), centred and scaled
    into ``[-1, 1] × [-0.5, 0.85]``: class 0 the upper moon, class 1 the lower.

    Returns ``TensorDataset(X (n, 2) float32, y (n,) int64)``.
    """
    n, _ = _check(n, noise, "moons")
    rng = as_generator(seed, "moons")
    y = _labels(n, 2)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    points = np.where((y == 0)[:, None], upper, lower)
    points = (points - np.array([0.5, 0.25])) / 1.5
    return _finish(points, y, noise, rng)


def gaussians(n=300, classes=2, noise=0.2, seed=None):
    """Gaussian blobs, one per class, centred on a circle of radius 0.6.

    Centre ``k`` is at angle ``π/4 + 2πk/classes`` (two classes: the diagonal, as in the
    playground); ``noise`` is each blob's standard deviation.
    Returns ``TensorDataset(X (n, 2) float32, y (n,) int64)``.
    """
    n, classes = _check(n, noise, "gaussians", classes)
    rng = as_generator(seed, "gaussians")
    y = _labels(n, classes)
    centres = _polar(np.full(classes, 0.6), np.pi / 4 + 2 * np.pi * np.arange(classes) / classes)
    return _finish(centres[y], y, noise, rng, classes)
