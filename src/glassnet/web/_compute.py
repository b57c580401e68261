"""What the playground computes, on glassnet's public API: forward and backward of a
small network layer by layer, one SGD step, and default networks.

Every number the page shows comes from here (float64, so the page can show it exactly):
per layer the input ``x`` (n, in), ``W`` (out, in), ``b`` (out,), the pre-activation
``Z = x·Wᵀ + b`` (n, out), the activation ``A = f(Z)`` with its ``formula`` and
``derivative`` f′ as the activation primitive writes them, the dot-product terms
``W[i,k]·x[j,k]`` behind every cell of Z, and after ``loss.backward()`` the gradients
``dZ``, ``dW = dZᵀ·x``, ``db = Σ_rows dZ`` and ``dA``.
"""

import numpy as np

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet import optim
from glassnet._backend import default_generator
from glassnet.explain._activation import activation_of
from glassnet.ops._linear import LinearOp
from glassnet.web._state import ACTIVATIONS, LIMITS, PlaygroundError, parse_state

__all__ = ["DEFAULT_X", "build_model", "compute", "default_state", "explain_trace", "init_state",
           "sgd_step", "state_doc", "to_json_list"]

DEFAULT_X = (0.5, 0.3, 0.2, 0.1, 0.0, -0.1, -0.2, -0.3)
_MODULES = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def _formulas():
    """The layer formulas the page shows, as the dense-layer primitive writes them."""
    dX, dW, db = LinearOp.grad_formulas
    return {"Z": LinearOp.formula, "dZ": "dZ = dA ⊙ f′(Z)", "dW": dW, "db": db, "dA_prev": dX}


def to_json_list(array, digits=None):
    """``array.tolist()`` with NaN/±Inf as None (JSON has no such numbers)."""
    array = np.asarray(array, dtype=np.float64)
    if digits is not None:
        array = np.round(array, digits)
    if np.isfinite(array).all():
        return array.tolist()
    return np.where(np.isfinite(array), array, None).tolist()


def build_model(state):
    """An ``nn.Sequential`` (float64) of Linear layers and their activations holding the
    state's weights; ``"none"`` adds no module. Returns (model, [Linear, ...])."""
    modules, linears = [], []
    for layer in state["layers"]:
        out_f, in_f = layer["W"].shape
        linear = nn.Linear(in_f, out_f, dtype="float64")
        linear.load_state_dict({"weight": layer["W"], "bias": layer["b"]})
        modules.append(linear)
        linears.append(linear)
        if layer["activation"] != "none":
            modules.append(_MODULES[layer["activation"]]())
    return nn.Sequential(*modules), linears


def _loss(output, target, kind):
    if kind == "cross_entropy":
        return F.cross_entropy(output, target)
    return F.mse_loss(output, F.one_hot(target, output.shape[1]).double())


def _forward_backward(state):
    """Run layer by layer keeping Z and A, then backward. Returns (records, output, loss)."""
    _, linears = build_model(state)
    a = gn.tensor(state["x"], dtype="float64")
    records = []
    for layer, linear in zip(state["layers"], linears, strict=True):
        z = linear(a).retain_grad()
        act = _MODULES.get(layer["activation"])
        out = act()(z).retain_grad() if act else z
        records.append((a, linear, z, out))
        a = out
    target = gn.tensor(state["target"])
    loss = _loss(a, target, state["loss"])
    loss.backward()
    return records, a, loss


def _layer_json(layer, record):
    x, linear, z, a = record
    X, W = x.array, layer["W"]
    rule = activation_of(None if layer["activation"] == "none" else layer["activation"])
    return {
        "activation": layer["activation"], "formula": rule.formula(), "derivative": rule.derivative_formula(),
        "x": to_json_list(X), "W": to_json_list(W),
        "b": to_json_list(layer["b"]), "Z": to_json_list(z.array), "A": to_json_list(a.array),
        "terms": to_json_list(W[:, None, :] * X[None, :, :]),  # (out, n, in): W[i,k]·x[j,k]
        "dZ": to_json_list(z.grad.array), "dA": to_json_list(a.grad.array),
        "dW": to_json_list(linear.weight.grad.array), "db": to_json_list(linear.bias.grad.array),
    }


def compute(doc):
    """Forward and backward of the state ``doc``: a JSON-ready dict with ``layers`` (one
    record per layer, see the module docstring), ``output`` (n, C), ``probs`` (softmax of
    the output, n × C), ``predicted`` (argmax per sample), ``loss`` and ``formulas`` (the
    dense layer's, from its primitive ``LinearOp``)."""
    return _compute(parse_state(doc))


def _compute(state):
    records, output, loss = _forward_backward(state)
    probs = F.softmax(output.detach(), dim=1).array
    return {
        "layers": [_layer_json(layer, rec) for layer, rec in zip(state["layers"], records, strict=True)],
        "output": to_json_list(output.array), "probs": to_json_list(probs),
        "predicted": np.argmax(output.array, axis=1).tolist(),
        "target": state["target"].tolist(), "loss": float(loss.item()),
        "loss_kind": state["loss"], "formulas": _formulas(),
    }


def explain_trace(doc):
    """The state's forward and backward pass recorded by ``gn.explain.trace`` (every primitive,
    its formula, module, inputs and outputs): ``{"trace": trace.to_dict()}`` in the schema
    ``glassnet.explain.trace/1`` (docs/explain_schema.md)."""
    from glassnet import explain

    state = parse_state(doc)
    model, _ = build_model(state)
    with explain.trace(model) as recorded:
        _loss(model(gn.tensor(state["x"], dtype="float64")), gn.tensor(state["target"]),
              state["loss"]).backward()
    return {"trace": recorded.to_dict()}


def state_doc(state):
    """The JSON document of a parsed state (the inverse of ``parse_state``)."""
    return {"x": to_json_list(state["x"]), "target": state["target"].tolist(),
            "layers": [{"W": to_json_list(layer["W"]), "b": to_json_list(layer["b"]),
                        "activation": layer["activation"]} for layer in state["layers"]],
            "loss": state["loss"], "lr": state["lr"], "seed": state["seed"]}


def sgd_step(doc):
    """One step of ``optim.SGD(lr)`` on the state's loss. Returns ``{"before": compute,
    "after": compute, "state": the new state document}`` — old and new weights side by side."""
    state = parse_state(doc)
    before = _compute(state)
    model, linears = build_model(state)
    optimizer = optim.SGD(model.parameters(), lr=state["lr"])
    optimizer.zero_grad()
    _loss(model(gn.tensor(state["x"], dtype="float64")), gn.tensor(state["target"]),
          state["loss"]).backward()
    optimizer.step()
    for layer, linear in zip(state["layers"], linears, strict=True):
        layer["W"], layer["b"] = linear.weight.array.copy(), linear.bias.array.copy()
    return {"before": before, "after": _compute(state), "state": state_doc(state)}


def _check_sizes(sizes, activations):
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= LIMITS["max_layers"] + 1
            or any(isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= LIMITS["max_units"]
                   for s in sizes)):
        raise PlaygroundError(
            f"sizes: expected 2 to {LIMITS['max_layers'] + 1} layer widths, each 1 to "
            f"{LIMITS['max_units']}, e.g. [3, 4, 2]; got {sizes!r}", "sizes")
    if activations is None:
        activations = ["relu"] * (len(sizes) - 2) + ["none"]
    if (not isinstance(activations, list) or len(activations) != len(sizes) - 1
            or any(a not in ACTIVATIONS for a in activations)):
        raise PlaygroundError(
            f"activations: expected {len(sizes) - 1} of {', '.join(ACTIVATIONS)}, got "
            f"{activations!r}", "activations")
    return activations


def init_state(sizes, activations=None, seed=0, loss="cross_entropy", lr=0.1, digits=2):
    """A fresh state: layer widths ``sizes`` (e.g. [3, 4, 2]), weights as
    ``gn.manual_seed(seed); nn.Linear(in, out)`` draws them (PyTorch's default init),
    rounded to ``digits`` decimals so they can be multiplied by hand. The global
    generator's position is restored afterwards."""
    activations = _check_sizes(sizes, activations)
    saved = default_generator().bit_generator.state
    try:
        gn.manual_seed(seed)
        layers = [nn.Linear(i, o, dtype="float64") for i, o in zip(sizes, sizes[1:], strict=False)]
    finally:
        gn.manual_seed(0).bit_generator.state = saved
    doc = {"x": [list(DEFAULT_X[: sizes[0]])], "target": [0], "loss": loss, "lr": lr,
           "seed": seed,
           "layers": [{"W": to_json_list(lin.weight.array, digits), "b": to_json_list(lin.bias.array, digits),
                       "activation": act} for lin, act in zip(layers, activations, strict=True)]}
    parse_state(doc)  # the same checks as every request
    return doc


def default_state():
    """The founding documents' 3-4-2 network: 3 inputs, 4 hidden ReLU units, 2 outputs,
    input ``x = [0.5, 0.3, 0.2]``, target class 0, cross-entropy, seed 0."""
    return init_state([3, 4, 2], ["relu", "none"], seed=0)
