"""Metrics computed batch by batch and averaged over an epoch.

A metric takes ``(output, target)`` arrays and returns ``(total, count)`` so that
averages over batches of different sizes are exact.
"""

import functools

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError

__all__ = ["METRICS", "resolve_metric"]


def _predicted_classes(output, threshold):
    xp = namespace(output)
    if output.ndim == 1 or output.shape[-1] == 1:
        return (output.reshape(output.shape[0], -1)[:, 0] > threshold).astype(xp.int64)
    return output.argmax(axis=-1)


def accuracy(output, target, threshold=0.0):
    """Fraction of rows whose predicted class is the label: argmax over classes, or for
    one output column ``output > threshold`` (0 for a logit; :func:`fit` uses 0.5 when
    the loss is ``BCELoss``, whose inputs are probabilities)."""
    if target.dtype.kind == "f" and target.ndim == output.ndim and target.shape[-1] > 1:
        target = target.argmax(axis=-1)  # probability targets
    pred = _predicted_classes(output, threshold)
    target = target.reshape(pred.shape)
    return float((pred == target).sum()), int(pred.size)


def mse(output, target):
    diff = output - target.reshape(output.shape)
    return float((diff * diff).sum()), int(diff.size)


def mae(output, target):
    diff = output - target.reshape(output.shape)
    return float(namespace(diff).abs(diff).sum()), int(diff.size)


METRICS = {"accuracy": accuracy, "acc": accuracy, "mse": mse, "mae": mae}


def resolve_metric(metric, probabilities=False):
    """A metric name or a callable ``(output, target) -> (total, count)``.
    ``probabilities``: the model outputs probabilities (accuracy thresholds at 0.5)."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric not in METRICS:
        raise GlassnetValueError(f"unknown metric {metric!r}; choose from {sorted(METRICS)}")
    fn = METRICS[metric]
    if fn is accuracy and probabilities:
        fn = functools.partial(accuracy, threshold=0.5)
    return ("accuracy" if metric == "acc" else metric), fn
