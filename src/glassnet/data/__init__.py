"""Data: datasets, the DataLoader, built-in datasets and loaders for the user's files.

>>> import glassnet.data as gd
>>> train = gd.load("spiral", "train")             # TensorDataset: X (800, 2), y (800,)
>>> for X, y in gd.DataLoader(train, batch_size=32, shuffle=True, seed=0):
...     pass                                        # X (32, 2) float32, y (32,) int64

Every built-in dataset and file loader returns a :class:`TensorDataset` (features in the
default float dtype, float32; class labels int64); ``X, y = ds.arrays`` gives NumPy arrays,
``ds.tensors`` gives Tensors. scikit-learn and mnist1d are imported only when a dataset
needs them (``pip install "glassnet[data]"``).
"""

from glassnet.data import _profiling  # noqa: F401  (the profiler's range per batch loaded)
from glassnet.data._cache import cache_dir
from glassnet.data._collate import default_collate, default_convert
from glassnet.data._dataset import Dataset, Subset, TensorDataset, collate, random_split
from glassnet.data._digits import digits
from glassnet.data._distributed_sampler import DistributedSampler
from glassnet.data._files import from_csv, from_npz
from glassnet.data._iterable import ChainDataset, ConcatDataset, IterableDataset, StackDataset
from glassnet.data._loader import DataLoader
from glassnet.data._mnist1d import mnist1d
from glassnet.data._registry import available, load
from glassnet.data._sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from glassnet.data._text import CharVocab, char_windows, pydoc_topics, read_text, text_splits
from glassnet.data._toy import circles, gaussians, moons, spiral, xor
from glassnet.data._worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "CharVocab",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "available",
    "cache_dir",
    "char_windows",
    "circles",
    "collate",
    "default_collate",
    "default_convert",
    "digits",
    "from_csv",
    "from_npz",
    "gaussians",
    "get_worker_info",
    "load",
    "mnist1d",
    "moons",
    "pydoc_topics",
    "random_split",
    "read_text",
    "spiral",
    "text_splits",
    "xor",
]
