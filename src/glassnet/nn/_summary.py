"""``model.summary(input_shape)``: a Keras-style table of layers and parameter counts."""

from dataclasses import dataclass, field

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor

__all__ = ["Summary", "SummaryRow", "summarize"]


@dataclass
class SummaryRow:
    name: str
    kind: str
    output_shape: tuple
    weights: int
    biases: int
    params: int
    trainable: int


@dataclass
class Summary:
    """Rows (one per layer that holds parameters or has no children) and the totals."""

    model_name: str
    input_shape: tuple
    rows: list = field(default_factory=list)
    total: int = 0
    trainable: int = 0

    @property
    def frozen(self):
        return self.total - self.trainable

    def __str__(self):
        header = ("Layer (type)", "Output shape", "Weights", "Biases", "Params")
        body = [
            (f"{r.name} ({r.kind})", _shape(r.output_shape), f"{r.weights:,}", f"{r.biases:,}",
             f"{r.params:,}")
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(5)]
        rule = "─" * (sum(widths) + 2 * 4)

        def fmt(row):
            return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True)))

        lines = [f"{self.model_name}  input {_shape((None, *self.input_shape))}", rule,
                 fmt(header), rule, *map(fmt, body), rule,
                 f"Total params: {self.total:,}", f"Trainable params: {self.trainable:,}",
                 f"Frozen params: {self.frozen:,}"]
        return "\n".join(lines)


def _shape(shape):
    return "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"


def _count(module, recurse):
    weights = biases = other = trainable = 0
    for name, p in module.named_parameters(recurse=recurse):
        n = int(p.array.size)
        leaf = name.rsplit(".", 1)[-1]
        if leaf.startswith("bias"):
            biases += n
        elif leaf.startswith("weight"):
            weights += n
        else:
            other += n
        trainable += n if p.requires_grad else 0
    return weights, biases, weights + biases + other, trainable


def summarize(model, input_shape, dtype=None):
    """Run one forward pass on zeros of shape ``(2, *input_shape)`` in eval mode and
    record each layer's output shape (batch axis shown as N) and parameter counts."""
    input_shape = tuple(input_shape)
    outputs, handles = {}, []
    for name, module in model.named_modules():
        has_own = any(True for _ in module.named_parameters(recurse=False))
        if module is model and any(True for _ in model.children()) and not has_own:
            continue
        if has_own or not any(True for _ in module.children()):
            handles.append(module.register_forward_hook(_recorder(outputs, name or "model")))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            x = Tensor._wrap(np.zeros((2, *input_shape), dtype=dtype or get_default_dtype()),
                             False, None)
            model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    result = Summary(type(model).__name__, input_shape)
    modules = dict(model.named_modules())
    for name, shape in outputs.items():
        module = modules[name] if name != "model" else model
        w, b, n, t = _count(module, recurse=False)
        result.rows.append(SummaryRow(name, type(module).__name__, shape, w, b, n, t))
    result.total = int(sum(p.array.size for p in model.parameters()))
    result.trainable = int(sum(p.array.size for p in model.parameters() if p.requires_grad))
    return result


def _recorder(outputs, name):
    def hook(module, inputs, output):
        out = output[0] if isinstance(output, tuple) else output
        outputs.setdefault(name, (None, *tuple(out.shape[1:])))

    return hook
