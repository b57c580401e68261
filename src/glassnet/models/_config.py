"""Rebuilding a model from the ``config`` dict it describes itself with.

Every ready-made model sets ``self.config = {"kind": ..., <constructor arguments>}``;
``gn.save(model, path)`` stores it in the file's header and
``gn.load_model(path)`` calls :func:`from_config` to build the same architecture.
A new model kind = one line in ``CONFIG_KINDS``.
"""

from glassnet._errors import GlassnetValueError
from glassnet.models._cnn import CNN1d, CNN2d
from glassnet.models._mlp import MLP, LogisticRegression
from glassnet.models._recurrent import RNNClassifier

__all__ = ["CONFIG_KINDS", "from_config"]


def _recurrent(kind):
    def build(**kwargs):
        return RNNClassifier(kind, **kwargs)

    return build


CONFIG_KINDS = {"mlp": MLP, "logreg": LogisticRegression, "cnn1d": CNN1d, "cnn2d": CNN2d,
                "rnn": _recurrent("rnn"), "lstm": _recurrent("lstm"), "gru": _recurrent("gru")}
"""``config["kind"]`` → the class (or builder) that takes the rest of the config."""


def from_config(config):
    """A new (freshly initialised) model built from ``config`` (``{"kind": ..., ...}``)."""
    if not isinstance(config, dict) or not isinstance(config.get("kind"), str):
        raise GlassnetValueError(f"from_config: expected a dict with a 'kind', got {config!r}")
    kind = config["kind"]
    if kind not in CONFIG_KINDS:
        raise GlassnetValueError(
            f"from_config: unknown model kind {kind!r}; glassnet builds {sorted(CONFIG_KINDS)}"
        )
    kwargs = {k: v for k, v in config.items() if k != "kind"}
    try:
        return CONFIG_KINDS[kind](**kwargs)
    except TypeError as exc:
        raise GlassnetValueError(f"from_config: bad arguments for {kind!r}: {exc}") from None
