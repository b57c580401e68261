"""Ready-made models that the ``glassnet train`` command builds by name."""

from glassnet.models._mlp import MLP, LogisticRegression
from glassnet.models._registry import MODELS, build_model

__all__ = ["MLP", "MODELS", "LogisticRegression", "build_model"]
