"""MNIST-1D: ten 1-D digit templates, padded, scaled, shifted, sheared and noised into
signals of length 40 (Greydanus, 2020). Generated on this machine by the ``mnist1d``
package's own generator (``make_dataset``; never its download path), then cached as .npz.
"""

import random

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetValueError
from glassnet.data._cache import cache_dir, load_npz_or_none, save_npz_atomic
from glassnet.data._dataset import TensorDataset
from glassnet.data._util import check_positive_int, check_split, require

__all__ = ["mnist1d", "mnist1d_cache_path"]

# The defaults of mnist1d.data.get_dataset_args(): 5000 samples (4000 train + 1000 test).
NUM_SAMPLES = 5000
SEED = 42
_KEYS = ("x_train", "y_train", "x_test", "y_test")
_FORMAT = 1  # bump when the layout of the cache file changes


def _package_version():
    from importlib import metadata

    try:
        return metadata.version("mnist1d")
    except metadata.PackageNotFoundError:
        require("mnist1d", "gn.data.mnist1d", "mnist1d")  # raises the install hint
        return "unknown"


def mnist1d_cache_path(num_samples=NUM_SAMPLES, seed=SEED):
    """The .npz file that caches MNIST-1D generated with these arguments."""
    return cache_dir() / f"mnist1d-v{_package_version()}-n{num_samples}-s{seed}-f{_FORMAT}.npz"


def _generate(num_samples, seed):
    """Run mnist1d's offline generator; NumPy's and Python's global RNGs are restored."""
    data = require("mnist1d.data", "gn.data.mnist1d", "mnist1d")
    args = data.get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    # The legacy global RNG is exactly what mnist1d uses, so that is what we save.
    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        made = data.make_dataset(args)  # seeds np.random and random globally
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002
        random.setstate(python_state)
    return {
        "x_train": made["x"].astype(np.float32),
        "y_train": made["y"].astype(np.int64),
        "x_test": made["x_test"].astype(np.float32),
        "y_test": made["y_test"].astype(np.int64),
    }


def _valid(arrays):
    if arrays is None:
        return False
    pairs = ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    return all(x.ndim == 2 and y.ndim == 1 and len(x) == len(y) for x, y in pairs)


def mnist1d(split="train", num_samples=NUM_SAMPLES, seed=SEED):
    """MNIST-1D signals and their digit labels.

    With the package defaults (``num_samples=5000``, ``seed=42``) this is the standard
    set: 4000 train and 1000 test signals. ``num_samples // 10`` signals per digit are
    made, 80% train. The first call generates them (about a second plus the package's
    import) and caches them under :func:`cache_dir`; later calls read the cache.
    Returns ``TensorDataset(X (n, 40) float32, y (n,) int64 in 0 .. 9)``.
    """
    check_split(split, "mnist1d")
    num_samples = check_positive_int(num_samples, "num_samples", "mnist1d")
    if num_samples < 10:
        raise GlassnetValueError(
            f"mnist1d: num_samples must be at least 10 (one per digit), got {num_samples}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise GlassnetValueError(f"mnist1d: seed must be an int >= 0, got {seed!r}")
    path = mnist1d_cache_path(num_samples, int(seed))
    arrays = load_npz_or_none(path, _KEYS)
    if not _valid(arrays):
        arrays = _generate(num_samples, int(seed))
        save_npz_atomic(path, **arrays)
    X, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    return TensorDataset(X.astype(get_default_dtype(), copy=False), y, classes=range(10))
