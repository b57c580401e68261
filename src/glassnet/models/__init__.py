"""Ready-made models that the ``glassnet train`` command builds by name."""

from glassnet.models._cnn import CNN1d, CNN2d, build_cnn
from glassnet.models._config import CONFIG_KINDS, from_config
from glassnet.models._gpt import GPT, KVCache
from glassnet.models._load import load_model
from glassnet.models._mlp import MLP, LogisticRegression
from glassnet.models._recurrent import RNNClassifier
from glassnet.models._registry import MODELS, build_model

__all__ = ["CNN1d", "CNN2d", "CONFIG_KINDS", "GPT", "KVCache", "LogisticRegression", "MLP", "MODELS",
           "RNNClassifier", "build_cnn", "build_model", "from_config", "load_model"]
