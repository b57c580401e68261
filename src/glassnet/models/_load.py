"""``load_model(path)``: rebuild a ready-made model from the config in its file's header.

It lives with the models (which build on ``io``'s file reading), so that a model file
alone is enough to get a working model back while ``io`` stays below ``models``.
"""

import math
import os

import numpy as np

from glassnet._errors import GlassnetError
from glassnet.io._files import load_into, load_metadata
from glassnet.io._header import FileFormatError, read_header
from glassnet.models._config import from_config

__all__ = ["load_model"]


def load_model(path, dtype=None):
    """The model saved at ``path`` by ``gn.save(model, path)``, rebuilt and loaded.

    Works for models that describe themselves with a ``config`` dict — the kinds in
    :data:`glassnet.models.CONFIG_KINDS` (``mlp``, ``logreg``, ``cnn1d``, ``cnn2d``, ``rnn``,
    ``lstm``, ``gru``). The floating dtype is the
    file's (float32 or float64) unless ``dtype`` is given. Returns the model in eval mode.
    """
    path = os.fspath(path)
    meta = load_metadata(path)
    config = meta.get("config")
    if config is None:
        raise FileFormatError(
            f"load_model {path}: the file has no model config (it holds a bare state dict); "
            "build the model yourself and call gn.io.load_into(model, path)"
        )
    _check_config_fits_file(config, read_header(path), path)
    try:
        model = from_config(config)
    except GlassnetError as exc:
        raise FileFormatError(f"load_model {path}: {exc}") from None
    file_dtype = meta.get("dtype", "float32").split(",")[0]
    target = np.dtype(dtype if dtype is not None else
                      (file_dtype if file_dtype in ("float32", "float64") else "float32"))
    model.to(target)
    load_into(model, path)
    return model.eval()


def _config_integers(value):
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _config_integers(v)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _config_integers(v)]
    return []


def _check_config_fits_file(config, header, path):
    """Refuse a config that would build a model far larger than the weights the file
    holds, before anything is allocated. The two largest sizes in the config multiplied
    are a lower bound on the elements of the biggest layer (a weight matrix, or an input
    plane); they must fit within the file's element count, with slack for tiny models.
    A real model passes easily; a 200-byte file claiming a 10⁵ × 10⁵ layer does not."""
    elements = sum(math.prod(shape) for _, shape, _, _ in header.tensors.values())
    sizes = sorted(_config_integers(config), reverse=True) + [1, 1]
    if sizes[0] * sizes[1] > 4 * elements + 4096:
        raise FileFormatError(
            f"load_model {path}: the config asks for sizes up to {sizes[0]} but the file "
            f"holds only {elements:,} weights; the config does not describe these weights"
        )
