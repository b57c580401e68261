"""The seven-layer MLP (zero biases, ReLU) forward, layer by layer, by hand.

    python examples/by_hand_mlp.py
"""

import glassnet as gn
import glassnet.explain  # noqa: F401  (gn.explain)
from glassnet.explain._tour import seven_layer_mlp

model = seven_layer_mlp()
e = gn.explain.forward(model, [1, 2, 1])
print(e.to_text())
for k, layer in enumerate(e.layers, 1):
    print(f"layer {k}: a = {layer.A[0].astype(int).tolist()}")
print("output:", e.output[0].astype(int).tolist(), "parameters:", e.params)
