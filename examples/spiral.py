"""Train a small MLP on the two-arm spiral and print its accuracy.

    python examples/spiral.py            # full run (a few seconds)
    GLASSNET_QUICK=1 python examples/spiral.py   # tiny run, as CI does
"""

import os

import glassnet as gn
import glassnet.nn as nn
from glassnet import data, optim, train

QUICK = os.environ.get("GLASSNET_QUICK") == "1"


def main():
    gn.manual_seed(0)
    train_set, test_set = data.load("spiral", "train"), data.load("spiral", "test")
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    model.summary((2,), print_fn=print)
    epochs = 3 if QUICK else 100
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    train.fit(model, train_set, nn.CrossEntropyLoss(), optimizer, epochs=epochs, batch_size=32,
              validation_split=0.1, scheduler=scheduler, progress=not QUICK, seed=0)
    accuracy = train.evaluate(model, test_set)["accuracy"]
    print(f"spiral test accuracy: {accuracy:.1%}")
    return accuracy


if __name__ == "__main__":
    main()
