"""Training on the 2-D toy datasets, the decision-boundary grid, and exports (a glassnet
model file and a short Python script that rebuilds the network with the public API)."""

import functools
import json
import math
import os
import tempfile
import time

import numpy as np

import glassnet as gn
from glassnet import data, optim
from glassnet.web._compute import _loss, build_model, state_doc, to_json_list
from glassnet.web._state import LIMITS, PlaygroundError, parse_state

__all__ = ["TOY_DATASETS", "Training", "dataset_points", "export_model_bytes", "export_script", "train_steps"]

TOY_DATASETS = ("circles", "gaussians", "moons", "spiral", "xor")
GRID_EXTENT = 1.25  # the heat map covers [-1.25, 1.25]² (the toy points lie in about [-1, 1]²)


@functools.lru_cache(maxsize=len(TOY_DATASETS))
def _arrays(name):
    X, y = data.load(name, "train").arrays
    X = np.asarray(X, dtype=np.float64)
    X.flags.writeable = False
    return X, np.asarray(y)


def _dataset(name):
    if name not in TOY_DATASETS:
        raise PlaygroundError(f"dataset: expected one of {', '.join(TOY_DATASETS)}, got {name!r}",
                              "dataset")
    return _arrays(name)


def dataset_points(name):
    """The training split of a toy set (``gn.data.load(name, "train")``) for plotting:
    ``{"name", "X" (n, 2), "y" (n,), "description"}``."""
    X, y = _dataset(name)
    return {"name": name, "X": to_json_list(X, 4), "y": y.tolist(),
            "description": data.available()[name]}


def _int_param(doc, key, default, low, high):
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlaygroundError(f"{key}: expected an integer {low} .. {high}, got {value!r}", key)
    return value


def _grid(model, size):
    ticks = np.linspace(-GRID_EXTENT, GRID_EXTENT, size)
    gx, gy = np.meshgrid(ticks, ticks)  # row r = y value ticks[r]
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    with gn.no_grad():
        probs = gn.softmax(model(gn.tensor(points)), dim=1).array
    return {"size": size, "extent": GRID_EXTENT, "probs": to_json_list(probs, 3)}


class Training:
    """A run of ``steps`` full-batch SGD steps that can be advanced a slice at a time, so
    that a server can interleave it with other work and stop it at a time budget.

    ``Training(doc, budget_s)`` checks the request and builds the network (nothing runs yet);
    ``advance(until)`` runs steps while ``time.monotonic() < until`` and returns True once
    the run is over: every step done, or ``budget_s`` seconds gone since ``started``
    (default: now). ``result()`` then answers as :func:`train_steps` does.
    """

    def __init__(self, doc, budget_s=None, started=None):
        if not isinstance(doc, dict):
            raise PlaygroundError("train: expected a JSON object with state, dataset, steps", "state")
        self.state = parse_state(doc.get("state"))
        self.X, self.y = _dataset(doc.get("dataset"))
        self.steps = _int_param(doc, "steps", 10, 0, LIMITS["max_steps"])
        self.grid_size = _int_param(doc, "grid", 24, 2, 64)
        n_in, n_out = self.state["layers"][0]["W"].shape[1], self.state["layers"][-1]["W"].shape[0]
        n_classes = int(self.y.max()) + 1
        if n_in != 2 or n_out != n_classes:
            raise PlaygroundError(
                f"train: {doc['dataset']} has 2 inputs and {n_classes} classes, the network "
                f"{n_in} inputs and {n_out} outputs — use sizes [2, …, {n_classes}]", "sizes")
        self.model, self.linears = build_model(self.state)
        self.optimizer = optim.SGD(self.model.parameters(), lr=self.state["lr"])
        self.inputs, self.targets = gn.tensor(self.X), gn.tensor(self.y)
        self.losses, self.done = np.empty(self.steps), 0
        self.budget_s = budget_s
        started = time.monotonic() if started is None else started
        self.deadline = math.inf if budget_s is None else started + budget_s

    def over_budget(self):
        return time.monotonic() >= self.deadline

    def advance(self, until=math.inf):
        """Run steps until all are done, ``until`` or the budget's end; True when the run is over."""
        while self.done < self.steps:
            if time.monotonic() >= min(until, self.deadline):
                break
            self.optimizer.zero_grad()
            loss = _loss(self.model(self.inputs), self.targets, self.state["loss"])
            loss.backward()
            self.optimizer.step()
            self.losses[self.done] = loss.item()
            self.done += 1
        return self.done == self.steps or self.over_budget()

    def result(self):
        """``{"state", "losses", "loss", "accuracy", "grid", "steps" (done), "stopped"}``."""
        with gn.no_grad():
            output = self.model(self.inputs)
            final = _loss(output, self.targets, self.state["loss"]).item()
        for layer, linear in zip(self.state["layers"], self.linears, strict=True):
            layer["W"], layer["b"] = linear.weight.array.copy(), linear.bias.array.copy()
        stopped = None
        if self.done < self.steps:
            stopped = (f"train: stopped after {self.done} of {self.steps} steps: a request may "
                       f"train for at most {self.budget_s:g} s here; ask for fewer steps")
        return {"state": state_doc(self.state), "losses": to_json_list(self.losses[:self.done]),
                "loss": final, "accuracy": float((np.argmax(output.array, axis=1) == self.y).mean()),
                "grid": _grid(self.model, self.grid_size), "steps": self.done, "stopped": stopped}


def train_steps(doc, budget_s=None):
    """``steps`` full-batch SGD steps (lr from the state) of the state's network on the toy
    set ``dataset``. The network must take 2 inputs and give one output per class.

    Returns ``{"state", "losses" (one per step, before its update), "loss", "accuracy" (on
    the training points, after the steps), "grid", "steps", "stopped"}``; ``grid.probs``
    holds the softmax of the output at ``size × size`` points covering
    ``[-extent, extent]²``, row by row from the bottom (y = -extent) up. With ``budget_s``
    the run stops once that many seconds have passed: ``steps`` is then the number done
    and ``stopped`` says why (it is None when every step ran).
    """
    training = Training(doc, budget_s)
    training.advance()
    return training.result()


def _architecture(state):
    return {"sizes": [state["layers"][0]["W"].shape[1]] + [l["W"].shape[0] for l in state["layers"]],
            "activations": [l["activation"] for l in state["layers"]], "loss": state["loss"]}


def export_model_bytes(doc):
    """The network as a glassnet model file (``gn.save``; safetensors bytes), keys as in
    ``nn.Sequential`` (``0.weight``…), the architecture under the ``playground`` metadata key."""
    state = parse_state(doc)
    model, _ = build_model(state)
    fd, path = tempfile.mkstemp(suffix=".safetensors", prefix="glassnet-playground-")
    os.close(fd)
    try:
        gn.save(model, path, metadata={"playground": _architecture(state)})
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.remove(path)


_LOSS_CODE = {"cross_entropy": "nn.CrossEntropyLoss()(output, target)",
              "mse": "nn.MSELoss()(output, F.one_hot(target, output.shape[1]).float())"}
_ACT_CODE = {"relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()"}


def export_script(doc):
    """A short Python script that rebuilds the state's network with glassnet's public API,
    loads its weights, and computes the output, loss and gradients for its input."""
    state = parse_state(doc)
    model, _ = build_model(state)
    modules = []
    for layer in state["layers"]:
        out_f, in_f = layer["W"].shape
        modules.append(f"nn.Linear({in_f}, {out_f})")
        if layer["activation"] != "none":
            modules.append(_ACT_CODE[layer["activation"]])
    weights = "\n".join(f"    {key!r}: gn.tensor({json.dumps(to_json_list(value.array, 6))}),"
                        for key, value in model.state_dict().items())
    return (
        '"""The glassnet playground\'s network, rebuilt with the public API."""\n\n'
        "import glassnet as gn\nimport glassnet.nn as nn\nimport glassnet.nn.functional as F\n\n"
        f"model = nn.Sequential({', '.join(modules)})\n"
        f"model.load_state_dict({{\n{weights}\n}})\n\n"
        f"x = gn.tensor({json.dumps(to_json_list(state['x']))})  # one row per sample\n"
        f"target = gn.tensor({json.dumps(state['target'].tolist())})  # class indices\n"
        "output = model(x)\n"
        f"loss = {_LOSS_CODE[state['loss']]}\n"
        "loss.backward()\n"
        "print('output', output)\nprint('loss', loss.item())\n"
        "for name, p in model.named_parameters():\n    print('d' + name, p.grad)\n"
    )
