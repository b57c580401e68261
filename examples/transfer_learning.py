"""Transfer learning: reuse the weight matrices of a network trained on one task.

An MLP learns to tell MNIST-1D's classes 0–4 apart (40-sample 1-D signals, about 2000 of
them). Its hidden layers then get a new 5-way head for a related task — the classes 5–9 —
with only 20 labelled signals per class. We fine-tune (the head first on the frozen body,
then everything at a lower learning rate) and compare with the same network trained from
scratch on those same 100 signals.

    python examples/transfer_learning.py            # full run (about 10 s)
    GLASSNET_QUICK=1 python examples/transfer_learning.py   # shorter, as CI does
"""

import os

import numpy as np

import glassnet as gn
import glassnet.nn as nn
from glassnet import data, optim, train

QUICK = os.environ.get("GLASSNET_QUICK") == "1"
PER_CLASS = 20  # labelled signals per class on the new task


def subset(split, classes, per_class=None, seed=0):
    """MNIST-1D signals of ``classes`` relabelled 0..k-1; ``per_class`` of each (None: all)."""
    X, y = data.load("mnist1d", split).tensors
    X, y = X.numpy(), y.numpy()
    rng = np.random.default_rng(seed)
    rows = []
    for label in classes:
        members = np.flatnonzero(y == label)
        rows.append(members if per_class is None else rng.choice(members, per_class, replace=False))
    rows = np.sort(np.concatenate(rows))
    return data.TensorDataset(X[rows], (y[rows] - min(classes)).astype(np.int64))


class Net(nn.Module):
    """``body``: 40 → 100 → 100 with ReLUs (the features); ``head``: 100 → 5 (the classes)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU())
        self.head = nn.Linear(100, 5)

    def forward(self, x):
        return self.head(self.body(x))


def fit_quietly(model, dataset, epochs, batch_size):
    train.fit(model, dataset, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01),
              epochs=epochs, batch_size=batch_size, progress=False, seed=0)


def main():
    pre_epochs, small_epochs = (10, 30) if QUICK else (15, 40)
    gn.manual_seed(0)
    model = Net()
    fit_quietly(model, subset("train", range(5)), pre_epochs, 32)
    source = train.evaluate(model, subset("test", range(5)))["accuracy"]
    print(f"pretrained on MNIST-1D classes 0-4: test accuracy {source:.1%}")

    small = subset("train", range(5, 10), PER_CLASS)
    target_test = subset("test", range(5, 10))
    model.head = nn.Linear(100, 5)  # a new head for the new classes
    train.fine_tune(model, small, nn.CrossEntropyLoss(), head=model.head, epochs=small_epochs,
                    freeze_epochs=small_epochs // 2, lr=0.01, batch_size=8, progress=False,
                    seed=0)
    fine_tuned = train.evaluate(model, target_test)["accuracy"]

    gn.manual_seed(0)
    scratch = Net()
    fit_quietly(scratch, small, small_epochs, 8)
    from_scratch = train.evaluate(scratch, target_test)["accuracy"]

    print(f"classes 5-9 with {len(small)} training signals, tested on {len(target_test)}:")
    print(f"  fine-tuned from the 0-4 network: {fine_tuned:.1%}")
    print(f"  trained from scratch:            {from_scratch:.1%}")
    return {"source": source, "fine_tuned": fine_tuned, "scratch": from_scratch}


if __name__ == "__main__":
    main()
