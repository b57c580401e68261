"""History: per-epoch loss and metrics of a training run."""

import html
import json

from glassnet._errors import GlassnetValueError
from glassnet.io._atomic import atomic_write, atomic_write_text
from glassnet.io._open import open_regular

__all__ = ["History"]


class History:
    """``history["loss"]`` is the list of per-epoch training losses; likewise every
    metric (``accuracy``; ``val_loss``, ``val_accuracy`` on the validation data; ``lr``;
    ``time``: the epoch's wall time in seconds).

    :func:`~glassnet.train.fit` returns one; ``records`` holds one dict per epoch, in order.
    ``save(path)`` writes it as JSON, ``History.load(path)`` reads it back, ``plot(path)``
    draws the curves to a PNG, and in a notebook it shows as a table.

    Args:
        records: the per-epoch dicts to start from (default: none), each with an ``epoch`` key.

    Example:
        >>> import glassnet as gn
        >>> history = gn.train.History([{"epoch": 1, "loss": 0.9, "accuracy": 0.5},
        ...                             {"epoch": 2, "loss": 0.4, "accuracy": 0.75}])
        >>> len(history), history.epochs, history.keys()
        (2, [1, 2], ['epoch', 'loss', 'accuracy'])
        >>> history["loss"], history.last("accuracy")
        ([0.9, 0.4], 0.75)
        >>> history.append({"epoch": 3, "loss": 0.3, "accuracy": 1.0})
        >>> history
        History(3 epochs, last={'epoch': 3, 'loss': 0.3, 'accuracy': 1.0})
    """

    def __init__(self, records=None):
        self.records = list(records or [])

    def append(self, logs):
        self.records.append(dict(logs))

    @property
    def epochs(self):
        return [r["epoch"] for r in self.records]

    def keys(self):
        keys = []
        for r in self.records:
            keys.extend(k for k in r if k not in keys)
        return keys

    def __getitem__(self, key):
        if key not in self.keys():
            raise KeyError(f"{key!r} not recorded; recorded: {self.keys()}")
        return [r.get(key) for r in self.records]

    def __len__(self):
        return len(self.records)

    def last(self, key):
        return self[key][-1]

    def to_dict(self):
        return {"records": self.records}

    def save(self, path):
        """Write the history as JSON (atomically)."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path):
        f, _ = open_regular(path, "History.load", "history file")  # a FIFO or device: refused
        with f:
            return cls(json.loads(f.read().decode("utf-8"))["records"])

    def plot(self, path):
        """Save a PNG with the loss curves and, beside them, the metric curves."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise GlassnetValueError(
                'History.plot needs matplotlib: pip install "glassnet[plot]"'
            ) from exc
        if not self.records:
            raise GlassnetValueError("History.plot: nothing recorded yet")
        metrics = [k for k in self.keys() if k not in ("epoch", "time", "lr") and "loss" not in k]
        fig, axes = plt.subplots(1, 2 if metrics else 1, figsize=(10 if metrics else 5, 3.6))
        axes = axes if metrics else [axes]
        epochs = self.epochs
        for key in (k for k in self.keys() if "loss" in k):
            axes[0].plot(epochs, self[key], marker="o", ms=3, label=key)
        axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
        axes[0].legend()
        for key in metrics:
            axes[1].plot(epochs, self[key], marker="o", ms=3, label=key)
        if metrics:
            axes[1].set(xlabel="epoch", title="metrics")
            axes[1].legend()
        fig.tight_layout()
        with atomic_write(path, "wb") as f:
            fig.savefig(f, format="png", dpi=100)
        plt.close(fig)
        return path

    def __repr__(self):
        last = self.records[-1] if self.records else {}
        return f"History({len(self)} epochs, last={last})"

    def _repr_html_(self):
        """In a notebook: one row per epoch, one column per recorded key (floats to 4
        significant digits; a key an epoch did not record is left empty)."""
        keys = self.keys()
        head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
        rows = ["<tr>" + "".join(f"<td>{_cell(r.get(k))}</td>" for k in keys) + "</tr>"
                for r in self.records]
        return (f'<table class="gn-history"><caption>History: {len(self)} epochs</caption>'
                f"<tr>{head}</tr>{''.join(rows)}</table>")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))
