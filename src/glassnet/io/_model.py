"""``load_model(path)``: rebuild a ready-made model from the config in its file's header.

This is the one place where ``io`` reaches up to ``models`` (imported when called), so
that a model file alone is enough to get a working model back.
"""

import os

import numpy as np

from glassnet._errors import GlassnetError
from glassnet.io._files import load_into, load_metadata
from glassnet.io._header import FileFormatError

__all__ = ["load_model"]


def load_model(path, dtype=None):
    """The model saved at ``path`` by ``gn.save(model, path)``, rebuilt and loaded.

    Works for models that describe themselves with a ``config`` dict — the kinds in
    ``glassnet.models.CONFIG_KINDS`` (``mlp``, ``logreg``, ``cnn1d``, ``cnn2d``, ``rnn``,
    ``lstm``, ``gru``). The floating dtype is the
    file's (float32 or float64) unless ``dtype`` is given. Returns the model in eval mode.
    """
    from glassnet.models import from_config

    path = os.fspath(path)
    meta = load_metadata(path)
    config = meta.get("config")
    if config is None:
        raise FileFormatError(
            f"load_model {path}: the file has no model config (it holds a bare state dict); "
            "build the model yourself and call gn.io.load_into(model, path)"
        )
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
