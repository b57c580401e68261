"""A child process for the checkpoint tests (run with ``python _checkpoint_child.py``).

``saveloop DIR``: save checkpoints of a ~1 MB model forever (keep_last=2), printing each
epoch after its file is in place — the parent kills it with SIGKILL at a random moment.
``fit DIR EPOCHS OUT``: a small seeded training run with dropout and shuffling that
checkpoints into DIR (resuming from it if it holds checkpoints) and saves the final
weights to OUT.
"""

import sys

import numpy as np

import glassnet as gn
from glassnet import nn, optim, train


def build_run():
    """Model, optimizer, scheduler and data, all from seed 0."""
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 10)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(np.int64)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.7)
    return model, optimizer, scheduler, (X, y)


def fit(directory, epochs, **kwargs):
    model, optimizer, scheduler, data = build_run()
    train.fit(model, data, nn.CrossEntropyLoss(), optimizer, epochs=epochs, scheduler=scheduler,
              batch_size=16, checkpoint_dir=directory, keep_last=2, print_fn=_say, **kwargs)
    return model


def _say(line):
    print(line, flush=True)


def save_loop(directory):
    model = nn.Sequential(nn.Linear(500, 500), nn.Linear(500, 10))
    manager = train.CheckpointManager(directory, keep_last=2)
    for epoch in range(1, 100000):
        manager.save(train.Checkpoint.capture(model, epoch=epoch))
        _say(f"saved {epoch}")


if __name__ == "__main__":
    if sys.argv[1] == "saveloop":
        save_loop(sys.argv[2])
    else:
        trained = fit(sys.argv[2], int(sys.argv[3]), resume=True)
        gn.save(trained, sys.argv[4])
