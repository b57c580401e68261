"""Convolutional networks on real data: a 1-D CNN on MNIST-1D and a 2-D CNN on the 8×8
digits, each trained with Adam; prints the layer table and the test accuracy per epoch.

Every Conv layer is im2col + one matrix product: each row of the im2col matrix is one
patch of the input, each row of the reshaped weight one filter.

    python examples/cnn.py                  # ~95% on MNIST-1D, ~98% on digits
    GLASSNET_QUICK=1 python examples/cnn.py
"""

import os

import glassnet as gn
import glassnet.nn as nn
from glassnet import data, optim, train
from glassnet.models import CNN1d, CNN2d

QUICK = os.environ.get("GLASSNET_QUICK") == "1"


def fit(model, train_set, test_set, epochs, sample_shape):
    print(model.summary(sample_shape))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loader = data.DataLoader(train_set, batch_size=100, shuffle=True, seed=0)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        accuracy = train.evaluate(model, test_set)["accuracy"]
        print(f"epoch {epoch + 1:2d}  last batch loss {loss.item():.3f}  test accuracy {accuracy:.1%}")
    return accuracy


def main():
    gn.manual_seed(0)
    n = 500 if QUICK else None  # a slice of the training set for the smoke run
    signals = data.load("mnist1d", "train")
    signals = data.Subset(signals, range(n)) if n else signals
    acc_1d = fit(CNN1d(length=40), signals, data.load("mnist1d", "test"), 1 if QUICK else 15, (40,))
    print(f"MNIST-1D, 1-D CNN: test accuracy {acc_1d:.1%}\n")
    images = data.load("digits", "train", flatten=False)  # (n, 1, 8, 8) NCHW
    images = data.Subset(images, range(n)) if n else images
    acc_2d = fit(CNN2d(8, 8), images, data.load("digits", "test", flatten=False),
                 1 if QUICK else 15, (1, 8, 8))
    print(f"digits, 2-D CNN: test accuracy {acc_2d:.1%}")
    return acc_1d, acc_2d


if __name__ == "__main__":
    main()
