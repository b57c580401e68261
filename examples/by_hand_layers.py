"""One neuron, a layer, a batch and a hidden layer by hand (ReLU and sigmoid).

    python examples/by_hand_layers.py
"""

import glassnet as gn
import glassnet.explain  # noqa: F401  (gn.explain)
from glassnet import nn


def linear(W, b=None):
    W = gn.tensor(W, dtype=gn.float64)
    layer = nn.Linear(W.shape[1], W.shape[0], bias=b is not None, dtype=gn.float64)
    layer.weight.data[...] = W.numpy()
    if b is not None:
        layer.bias.data[...] = b
    return layer


# One neuron with ReLU: z = w·x + b, a = max(z, 0)
neuron = linear([[1, -1, 2]], [-1])
for x in ([2, 1, 3], [0, 3, 1]):
    e = gn.explain.layer(neuron, x, activation="relu")
    print(e.to_text())
    print(f"neuron x={x}: z = {e.Z[0, 0]:g}, a = {e.A[0, 0]:g}")

# Three sigmoid neurons on [0.5, 0.3, 0.2] (the founding documents' layer)
three = linear([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
e = gn.explain.layer(three, [0.5, 0.3, 0.2], activation="sigmoid")
print(e.to_text())
print("sigmoid layer output:", [round(float(v), 4) for v in e.A[0]])

# A layer of four ReLU neurons, for one input and for a batch of three (columns side by side)
four = nn.Sequential(linear([[1, 0, 1], [0, 1, -1], [1, 1, 0], [-1, 0, 1]], [0, -1, 1, -2]), nn.ReLU())
print(gn.explain.layer(four, [2, 1, 3]).to_text())
batch = gn.explain.layer(four, [[2, 1, 3], [1, -1, 0], [0, 2, 1]])
print(batch.to_text())
print("batch A (columns = inputs):", batch.A.T.astype(int).tolist())

# A hidden layer: the 3-4-2 network and its parameter count
hidden = nn.Sequential(four[0], nn.ReLU(), linear([[1, -1, 0, 1], [0, 1, 1, -1]], [1, 0]))
f = gn.explain.forward(hidden, [2, 1, 3])
print(f.to_text())
print("3-4-2 output:", f.output[0].astype(int).tolist(), "parameters:", f.params)
