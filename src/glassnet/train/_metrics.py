"""Metrics computed batch by batch and averaged over an epoch.

A metric takes ``(output, target)`` arrays and returns ``(total, count)`` so that
averages over batches of different sizes are exact.
"""

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError

__all__ = ["METRICS", "resolve_metric"]


def _predicted_classes(output):
    xp = namespace(output)
    if output.ndim == 1 or output.shape[-1] == 1:
        return (output.reshape(output.shape[0], -1)[:, 0] > 0).astype(xp.int64)
    return output.argmax(axis=-1)


def accuracy(output, target):
    """Fraction of rows whose predicted class (argmax; sign for one logit) is the label."""
    if target.dtype.kind == "f" and target.ndim == output.ndim and target.shape[-1] > 1:
        target = target.argmax(axis=-1)  # probability targets
    pred = _predicted_classes(output)
    target = target.reshape(pred.shape)
    return float((pred == target).sum()), int(pred.size)


def mse(output, target):
    diff = output - target.reshape(output.shape)
    return float((diff * diff).sum()), int(diff.size)


def mae(output, target):
    diff = output - target.reshape(output.shape)
    return float(namespace(diff).abs(diff).sum()), int(diff.size)


METRICS = {"accuracy": accuracy, "acc": accuracy, "mse": mse, "mae": mae}


def resolve_metric(metric):
    """A metric name or a callable ``(output, target) -> (total, count)``."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric not in METRICS:
        raise GlassnetValueError(f"unknown metric {metric!r}; choose from {sorted(METRICS)}")
    return ("accuracy" if metric == "acc" else metric), METRICS[metric]
