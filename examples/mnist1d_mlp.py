"""The MNIST-1D paper's MLP (40 → 100 → 100 → 10, ReLU, Adam) written as a plain
PyTorch-style loop, with the test accuracy after each epoch.

    python examples/mnist1d_mlp.py
    GLASSNET_QUICK=1 python examples/mnist1d_mlp.py
"""

import os

import glassnet as gn
import glassnet.nn as nn
from glassnet import data, optim, train

QUICK = os.environ.get("GLASSNET_QUICK") == "1"


def main():
    gn.manual_seed(0)
    train_set, test_set = data.load("mnist1d", "train"), data.load("mnist1d", "test")
    model = nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
                          nn.Linear(100, 10))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    loader = data.DataLoader(train_set, batch_size=100, shuffle=True, seed=0)
    for epoch in range(1 if QUICK else 20):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        accuracy = train.evaluate(model, test_set)["accuracy"]
        print(f"epoch {epoch + 1:2d}  last batch loss {loss.item():.3f}  test accuracy {accuracy:.1%}")
    return accuracy


if __name__ == "__main__":
    main()
