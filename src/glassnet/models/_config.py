"""Rebuilding a model from the ``config`` dict it describes itself with.

Every ready-made model sets ``self.config = {"kind": ..., <constructor arguments>}``;
``gn.save(model, path)`` stores it in the file's header and
``gn.load_model(path)`` calls :func:`from_config` to build the same architecture.

A config may come from a hostile file, so :func:`check_config` reads it before anything
is built: every size must be a real integer (not ``30000.0``, ``"30000"``, ``True`` or
``-5``), every other field of the kind the constructor expects, no unknown keys, at most
``glassnet.io.LIMITS.max_layers`` layers — and the numbers the model will hold (its
state dict: parameters and buffers) are counted from those integers with the formulas
below and checked against ``LIMITS.max_parameters``. A new model kind = one line in
``CONFIG_KINDS`` plus its fields and its count in ``_SCHEMAS``.
"""

import inspect

from glassnet._errors import GlassnetValueError
from glassnet.io._limits import LIMITS
from glassnet.models._cnn import CNN1d, CNN2d
from glassnet.models._gpt import GPT
from glassnet.models._mlp import ACTIVATIONS, MLP, LogisticRegression
from glassnet.models._recurrent import RNNClassifier

__all__ = ["CONFIG_KINDS", "check_config", "config_numbers", "from_config"]


def _recurrent(kind):
    def build(**kwargs):
        return RNNClassifier(kind, **kwargs)

    return build


CONFIG_KINDS = {"mlp": MLP, "logreg": LogisticRegression, "cnn1d": CNN1d, "cnn2d": CNN2d,
                "rnn": _recurrent("rnn"), "lstm": _recurrent("lstm"), "gru": _recurrent("gru"),
                "gpt": GPT}
"""``config["kind"]`` → the class (or builder) that takes the rest of the config."""

_CONSTRUCTORS = {"mlp": MLP, "logreg": LogisticRegression, "cnn1d": CNN1d, "cnn2d": CNN2d,
                 "rnn": RNNClassifier, "lstm": RNNClassifier, "gru": RNNClassifier, "gpt": GPT}

# -- field checks: each returns an error text, or None when the value fits ---------------


def _size(value):
    if type(value) is not int or value < 1:
        return "a positive integer"
    return None


def _sizes(count=None):
    def check(value):
        if (type(value) not in (list, tuple) or (count is not None and len(value) != count)
                or any(type(v) is not int or v < 1 for v in value)):
            many = f"{count} " if count is not None else ""
            return f"a list of {many}positive integers"
        if len(value) > LIMITS.max_layers:
            return f"at most {LIMITS.max_layers:,} sizes (glassnet.io.LIMITS.max_layers)"
        return None

    return check


def _layers(value):
    if _size(value) is not None:
        return "a positive integer"
    if value > LIMITS.max_layers:
        return f"at most {LIMITS.max_layers:,} (glassnet.io.LIMITS.max_layers)"
    return None


def _fraction(value):
    if type(value) not in (int, float) or not 0 <= value < 1:
        return "a number in [0, 1)"
    return None


def _flag(value):
    return None if type(value) is bool else "true or false"


def _activation(value):
    return None if type(value) is str and value in ACTIVATIONS else f"one of {sorted(ACTIVATIONS)}"


# -- the numbers (parameters and buffers) each kind holds ---------------------------------


def _linear(n_in, n_out):
    return n_out * n_in + n_out                                     # weight (out, in), bias


def _batchnorm(c):
    return 4 * c + 1              # weight, bias, running_mean, running_var, num_batches_tracked


def _conv(c_in, c_out, window):
    return c_out * c_in * window + c_out


def _mlp(c):
    widths = [c["in_features"], *c["hidden"], c["num_classes"]]
    return sum(_linear(a, b) for a, b in zip(widths, widths[1:], strict=False))


def _cnn1d(c):
    c1, c2, c3 = c["channels"]
    return (_conv(c["in_channels"], c1, 5) + _conv(c1, c2, 5) + _conv(c2, c3, 3)
            + _batchnorm(c1) + _batchnorm(c2) + _batchnorm(c3)
            + _linear(c3 * (c["length"] // 4), c["num_classes"]))


def _cnn2d(c):
    c1, c2, c3 = c["channels"]
    return (_conv(c["in_channels"], c1, 9) + _conv(c1, c2, 9) + _conv(c2, c3, 9)
            + _batchnorm(c1) + _batchnorm(c2) + _batchnorm(c3)
            + _linear(c3 * (c["height"] // 4) * (c["width"] // 4), c["num_classes"]))


def _recurrent_count(gates):
    def count(c):
        hidden, directions = c["hidden_size"], 2 if c["bidirectional"] else 1
        total, width = 0, c["input_size"]
        for _ in range(c["num_layers"]):  # w_ih (gH, in), w_hh (gH, H), b_ih, b_hh per direction
            total += directions * gates * hidden * (width + hidden + 2)
            width = hidden * directions
        return total + _linear(width, c["num_classes"])

    return count


def _gpt(c):
    e, f = c["d_model"], c["dim_feedforward"] or 4 * c["d_model"]
    block = _linear(e, 3 * e) + _linear(e, e) + _linear(e, f) + _linear(f, e) + 4 * e  # + 2 norms
    return (c["vocab_size"] + c["context_length"]) * e + c["num_layers"] * block + 2 * e


def _optional_size(value):
    return None if value is None else _size(value)


_RECURRENT_FIELDS = {"input_size": _size, "hidden_size": _size, "num_layers": _layers,
                     "num_classes": _size, "dropout": _fraction, "bidirectional": _flag}
_SCHEMAS = {
    "mlp": ({"in_features": _size, "hidden": _sizes(), "num_classes": _size,
             "activation": _activation, "dropout": _fraction}, _mlp),
    "logreg": ({"in_features": _size, "num_classes": _size},
               lambda c: _linear(c["in_features"], c["num_classes"])),
    "cnn1d": ({"length": _size, "num_classes": _size, "in_channels": _size, "channels": _sizes(3)},
              _cnn1d),
    "cnn2d": ({"height": _size, "width": _size, "num_classes": _size, "in_channels": _size,
               "channels": _sizes(3)}, _cnn2d),
    "rnn": (_RECURRENT_FIELDS, _recurrent_count(1)),
    "lstm": (_RECURRENT_FIELDS, _recurrent_count(4)),
    "gru": (_RECURRENT_FIELDS, _recurrent_count(3)),
    "gpt": ({"vocab_size": _size, "context_length": _size, "d_model": _size, "num_heads": _size,
             "num_layers": _layers, "dim_feedforward": _optional_size, "dropout": _fraction}, _gpt),
}
"""kind → ({field: check}, numbers(config with defaults filled in))."""


def _defaults(kind):
    params = inspect.signature(_CONSTRUCTORS[kind]).parameters.values()
    return {p.name: p.default for p in params
            if p.name != "kind" and p.default is not inspect.Parameter.empty}


def _show(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_config(config, who="from_config"):
    """``(kind, arguments, numbers)`` of a model config, every field checked (see the
    module doc) before anything is built; ``numbers`` is the count of parameters and
    buffers the model will hold. Errors start with ``who``."""
    if type(config) is not dict or type(config.get("kind")) is not str:
        raise GlassnetValueError(f"{who}: expected a dict with a 'kind', got {_show(config)}")
    kind = config["kind"]
    if kind not in _SCHEMAS:
        raise GlassnetValueError(f"{who}: unknown model kind {_show(kind)}; glassnet builds "
                                 f"{sorted(CONFIG_KINDS)}")
    fields, count = _SCHEMAS[kind]
    arguments = {k: v for k, v in config.items() if k != "kind"}
    unknown = sorted(set(arguments) - set(fields), key=str)
    if unknown:
        raise GlassnetValueError(f"{who}: {kind} has no field(s) {_show(unknown)}; its fields "
                                 f"are {sorted(fields)}")
    full = {**_defaults(kind), **arguments}
    missing = sorted(set(fields) - set(full))
    if missing:
        raise GlassnetValueError(f"{who}: {kind} needs the field(s) {missing}")
    for name, check in fields.items():
        wanted = check(full[name])
        if wanted is not None:
            raise GlassnetValueError(f"{who}: {kind} field {name!r} must be {wanted}, got "
                                     f"{_show(full[name])}")
    numbers = count(full)  # exact Python ints: no overflow, however large the sizes
    LIMITS.check("max_parameters", numbers, f"the {kind} config asks for {{:,}} numbers", who)
    return kind, arguments, numbers


def config_numbers(config):
    """The parameters and buffers a model built from ``config`` holds (checked first)."""
    return check_config(config)[2]


def from_config(config):
    """A new (freshly initialised) model built from ``config`` (``{"kind": ..., ...}``),
    after :func:`check_config`."""
    kind, arguments, _ = check_config(config)
    try:
        return CONFIG_KINDS[kind](**arguments)
    except TypeError as exc:
        raise GlassnetValueError(f"from_config: bad arguments for {kind!r}: {exc}") from None

