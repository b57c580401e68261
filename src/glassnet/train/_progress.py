"""What ``fit`` shows while it trains: a per-batch progress bar inside each epoch (tqdm,
on a terminal only) and one line per epoch.

The bar counts samples, so its rate is the epoch's throughput and its ETA the time left
in the epoch::

    epoch 3/20:  45%|████▌     | 1800/4000 [00:02<00:02, 871.20 samples/s, loss=0.8123]

It is drawn on ``sys.stderr`` only when that stream is a terminal (``isatty()``); piped,
redirected or captured output (a log file, CI, a test) never holds it, and ``fit(...,
progress=False)`` / ``glassnet train --no-progress`` turn it off everywhere. The bar is
erased at the end of its epoch (``leave=False``), where the epoch line takes its place::

    epoch 3/20  loss 0.8020  accuracy 0.7134  val_loss 0.8411  val_accuracy 0.7025  2.1s  1,905 samples/s
"""

import sys

__all__ = ["EpochBar", "epoch_line", "epoch_samples"]


def epoch_samples(loader):
    """Samples one pass over ``loader`` yields on this process: its sampler's length
    (a :class:`~glassnet.data.DistributedSampler` shard under MPI), less the last
    incomplete batch when ``drop_last``."""
    sampler = getattr(loader, "sampler", None)
    n = len(sampler) if sampler is not None else len(loader.dataset)
    batch = getattr(loader, "batch_size", None)
    if getattr(loader, "drop_last", False) and batch:
        n -= n % batch
    return n


class EpochBar:
    """A tqdm bar over one epoch's samples, or nothing (every method a no-op) when
    ``enabled`` is false or ``stream`` (default ``sys.stderr``) is not a terminal."""

    def __init__(self, loader, epoch, epochs, enabled, stream=None):
        stream = sys.stderr if stream is None else stream
        self.bar = None
        if enabled and _is_terminal(stream):
            from tqdm import tqdm

            self.bar = tqdm(total=epoch_samples(loader), desc=f"epoch {epoch}/{epochs}",
                            unit=" samples", leave=False, dynamic_ncols=True, file=stream)

    def update(self, samples, loss):
        """Advance by one batch of ``samples`` whose loss was ``loss``."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"loss={loss:.4f}", refresh=False)
            self.bar.update(samples)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def epoch_line(logs, epochs, samples):
    """``epoch 3/20  loss 0.8020  accuracy 0.7134  …  2.1s  1,905 samples/s``: the epoch,
    every logged number, the learning rate when logged, the epoch's wall time in seconds
    (``logs["time"]``: training, validation and scheduler) and ``samples`` trained on in
    it divided by that time."""
    parts = [f"epoch {logs['epoch']}/{epochs}"]
    parts += [f"{k} {v:.4f}" for k, v in logs.items() if k not in ("epoch", "time", "lr")]
    if "lr" in logs:
        parts.append(f"lr {logs['lr']:.3g}")
    parts.append(f"{logs['time']:.1f}s")
    parts.append(f"{samples / max(logs['time'], 1e-9):,.0f} samples/s")
    return "  ".join(parts)
