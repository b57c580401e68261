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
from glassnet.models._config import check_config, from_config

__all__ = ["load_model"]


def load_model(path, dtype=None):
    """The model saved at ``path`` by ``gn.save(model, path)``, rebuilt and loaded.

    Works for models that describe themselves with a ``config`` dict — the kinds in
    :data:`glassnet.models.CONFIG_KINDS` (``mlp``, ``logreg``, ``cnn1d``, ``cnn2d``, ``rnn``,
    ``lstm``, ``gru``). The floating dtype is the
    file's (float32 or float64) unless ``dtype`` is given. Returns the model in eval mode.

    Nothing is built before the config has been checked (:func:`check_config`: real
    integers, known fields, ``glassnet.io.LIMITS``) and the numbers it asks for have been
    compared with the numbers the file holds: a 160 KB file cannot ask for a 12 GB model.

    Args:
        path: the file written by ``gn.save(model, path)`` (str or path-like).
        dtype: the floating dtype to build the model in (optional; default: the file's).

    Returns:
        The rebuilt model, weights loaded, in eval mode.

    Example:
        >>> import os, tempfile
        >>> import glassnet as gn
        >>> model = gn.models.MLP(4, hidden=[8], num_classes=3)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = gn.save(model, os.path.join(folder, "mlp.safetensors"))
        ...     again = gn.models.load_model(path)
        >>> type(again).__name__, again.training, again.config == model.config
        ('MLP', False, True)
        >>> x = gn.ones(2, 4)
        >>> gn.equal(again(x), model(x))
        True
    """
    path = os.fspath(path)
    meta = load_metadata(path)
    config = meta.get("config")
    if config is None:
        raise FileFormatError(
            f"load_model {path}: the file has no model config (it holds a bare state dict); "
            "build the model yourself and call gn.io.load_into(model, path)"
        )
    try:
        _, _, numbers = check_config(config, who=f"load_model {path}")
    except GlassnetError as exc:
        raise FileFormatError(str(exc)) from None
    _check_config_fits_file(numbers, read_header(path), path)
    model = from_config(config)
    file_dtype = meta.get("dtype", "float32").split(",")[0]
    target = np.dtype(dtype if dtype is not None else
                      (file_dtype if file_dtype in ("float32", "float64") else "float32"))
    model.to(target)
    load_into(model, path)
    return model.eval()


def _check_config_fits_file(numbers, header, path):
    """Refuse a config whose model holds more numbers (parameters and buffers, counted
    exactly from its checked sizes) than the file holds, before anything is allocated."""
    elements = sum(math.prod(shape) for _, shape, _, _ in header.tensors.values())
    if numbers > elements:
        raise FileFormatError(
            f"load_model {path}: the config describes a model of {numbers:,} numbers but the "
            f"file holds only {elements:,}; the config does not describe these weights"
        )
