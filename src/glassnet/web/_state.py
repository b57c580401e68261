"""The playground's network state: a small JSON document, checked and turned into arrays.

A state is what the page holds and sends with every request (the server keeps none)::

    {"x":      [[0.5, 0.3, 0.2]],            # samples, one row each: (n, in)
     "target": [0],                          # one class index per sample
     "layers": [{"W": [[...], ...],          # weight (out, in), PyTorch's layout
                 "b": [...],                 # bias (out,)
                 "activation": "relu"},      # relu | sigmoid | tanh | none
                ...],
     "loss": "cross_entropy",                # cross_entropy | mse (against one-hot targets)
     "lr": 0.1, "seed": 0}

Everything is bounded (:data:`LIMITS`) and every number must be finite; a bad value raises
:class:`PlaygroundError` whose ``field`` names the cell (``layers[0].W[1][2]``) so the page
can show the message next to it. Nothing in a state is ever executed.
"""

import math

import numpy as np

from glassnet._errors import GlassnetValueError

__all__ = ["ACTIVATIONS", "LIMITS", "LOSSES", "PlaygroundError", "learning_rate", "parse_state"]

ACTIVATIONS = ("relu", "sigmoid", "tanh", "none")
LOSSES = ("cross_entropy", "mse")
LIMITS = {"max_units": 8, "max_layers": 7, "max_samples": 8, "max_abs": 1e6,
          "max_steps": 2000, "max_lr": 10.0, "max_body_bytes": 64 * 1024}


class PlaygroundError(GlassnetValueError):
    """A request the playground refuses; ``field`` names the offending part (or None)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def _number(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PlaygroundError(f"{field}: expected a number, got {value!r}", field)
    huge_int = isinstance(value, int) and abs(value) > LIMITS["max_abs"]  # float() may overflow
    if huge_int or not math.isfinite(value) or abs(value) > LIMITS["max_abs"]:
        raise PlaygroundError(
            f"{field}: expected a finite number of magnitude at most {LIMITS['max_abs']:g}, "
            f"got {value!r:.40}", field)
    return float(value)


def learning_rate(value):
    """The state's ``lr`` as a float, if it is a number with 0 < lr <= ``LIMITS["max_lr"]``;
    anything else (a string, null, 0, a negative or huge number) raises a
    :class:`PlaygroundError` (field ``"lr"``) — never replaced by a default."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number and 0 < value <= LIMITS["max_lr"]:  # False for NaN; exact for huge ints
        return float(value)
    raise PlaygroundError(f"lr (learning rate): expected a number with 0 < lr <= {LIMITS['max_lr']:g} "
                          f"(e.g. 0.1), got {value!r:.40}", "lr")


def _vector(values, field, length=None):
    if not isinstance(values, list) or not values:
        raise PlaygroundError(f"{field}: expected a non-empty list of numbers", field)
    if length is not None and len(values) != length:
        raise PlaygroundError(f"{field}: expected {length} numbers, got {len(values)}", field)
    if len(values) > LIMITS["max_units"]:
        raise PlaygroundError(
            f"{field}: at most {LIMITS['max_units']} numbers, got {len(values)}", field)
    return [_number(v, f"{field}[{i}]") for i, v in enumerate(values)]


def _matrix(rows, field, max_rows, n_cols=None):
    if not isinstance(rows, list) or not rows:
        raise PlaygroundError(f"{field}: expected a non-empty list of rows", field)
    if len(rows) > max_rows:
        raise PlaygroundError(f"{field}: at most {max_rows} rows, got {len(rows)}", field)
    n_cols = n_cols if n_cols is not None else (len(rows[0]) if isinstance(rows[0], list) else 0)
    return np.array([_vector(r, f"{field}[{i}]", n_cols) for i, r in enumerate(rows)])


def _choice(value, options, field):
    if value not in options:
        raise PlaygroundError(f"{field}: expected one of {', '.join(options)}, got {value!r}", field)
    return value


def _layers(layers, n_in):
    if not isinstance(layers, list) or not layers:
        raise PlaygroundError("layers: expected a non-empty list of layers", "layers")
    if len(layers) > LIMITS["max_layers"]:
        raise PlaygroundError(
            f"layers: at most {LIMITS['max_layers']} layers, got {len(layers)}", "layers")
    out = []
    for k, layer in enumerate(layers):
        field = f"layers[{k}]"
        if not isinstance(layer, dict):
            raise PlaygroundError(f"{field}: expected an object with W, b, activation", field)
        W = _matrix(layer.get("W"), f"{field}.W", LIMITS["max_units"], n_in)
        b = np.array(_vector(layer.get("b"), f"{field}.b", W.shape[0]))
        act = _choice(layer.get("activation", "none"), ACTIVATIONS, f"{field}.activation")
        out.append({"W": W, "b": b, "activation": act})
        n_in = W.shape[0]
    return out


def _targets(target, n, n_out):
    if not isinstance(target, list) or len(target) != n:
        raise PlaygroundError(f"target: expected {n} class indices (one per sample)", "target")
    for i, t in enumerate(target):
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < n_out:
            raise PlaygroundError(
                f"target[{i}]: expected a class index 0..{n_out - 1} (the network has {n_out} "
                f"outputs), got {t!r}", f"target[{i}]")
    return np.array(target, dtype=np.int64)


def parse_state(doc):
    """Check a state document (see the module docstring) and return it with NumPy arrays:
    ``x`` (n, in) float64, ``target`` (n,) int64, ``layers`` [{W, b, activation}], ``loss``,
    ``lr``, ``seed``. Raises :class:`PlaygroundError` naming the first bad field."""
    if not isinstance(doc, dict):
        raise PlaygroundError("state: expected a JSON object with x, target, layers", "state")
    x = _matrix(doc.get("x"), "x", LIMITS["max_samples"])
    layers = _layers(doc.get("layers"), x.shape[1])
    lr = learning_rate(doc.get("lr", 0.1))
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise PlaygroundError(f"seed: expected an integer 0 .. 2**32-1, got {seed!r}", "seed")
    return {"x": x, "target": _targets(doc.get("target"), len(x), layers[-1]["W"].shape[0]),
            "layers": layers, "loss": _choice(doc.get("loss", "cross_entropy"), LOSSES, "loss"),
            "lr": lr, "seed": seed}
