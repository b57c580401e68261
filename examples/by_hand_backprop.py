"""Backpropagation and gradient descent by hand: softmax + cross-entropy, numbered steps,
every number checked against autograd, then one SGD step.

    python examples/by_hand_backprop.py
"""

import glassnet as gn
import glassnet.explain  # noqa: F401  (gn.explain)
from glassnet.explain._tour import tour_network
from glassnet.nn import functional as F

# The founding documents' output layer: ŷ = [0.5, 0.5, 0] against y = [0, 1, 0]
z = gn.tensor([[0.0, 0.0, -1000.0]], dtype=gn.float64, requires_grad=True)
F.cross_entropy(z, gn.tensor([[0.0, 1.0, 0.0]], dtype=gn.float64)).backward()
print("y_pred =", gn.softmax(z, dim=-1).numpy()[0].tolist())
print("dL/dz = y_pred - y =", z.grad.numpy()[0].tolist())

model = tour_network()
e = gn.explain.backprop(model, [1, 2, 1], [0, 1, 0], lr=0.1)
print(e.to_text())
print(f"loss = {e.loss:.6f}")
print("dZ3 =", [round(float(v), 6) for v in e.steps[1].values["dZ3"][0][0]])
print("new b3 =", [round(float(v), 6) for v in model[4].bias.numpy()])
