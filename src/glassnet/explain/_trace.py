"""Tracing: every primitive of a forward and backward pass, recorded through the engine's
observer hook (:func:`glassnet.observe`) — the engine never knows who listens.

``with gn.explain.trace(model) as t:`` records, for each op applied, its name, formula (or
gradient formulas), the module it ran in, its parameters, and its input and output values
(arrays above ``size_cap`` elements are summarised, not copied). The JSON form is
documented in docs/explain_schema.md.
"""

import html
import json

import numpy as np

from glassnet.autograd._mode import observe
from glassnet.explain._render import CSS, Explanation, fmt, shape_str
from glassnet.nn._module import module_stack

__all__ = ["Trace", "TraceStep", "trace", "summarize", "SCHEMA"]

SCHEMA = "glassnet.explain.trace/1"


def summarize(array, size_cap=64, name=None):
    """A JSON-ready description of an array: its values when ``size <= size_cap``,
    otherwise min/max/mean/norm and the first 8 values."""
    if array is None:
        return None
    data = getattr(array, "array", array) if hasattr(array, "_ctx") else array
    a = np.asarray(data.get() if hasattr(data, "get") and not isinstance(data, np.ndarray) else data)
    out = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if name is not None:
        out["name"] = name
    if a.size <= size_cap:
        out["data"] = a.tolist()
        return out
    f = a.astype(np.float64)
    out["summary"] = {"min": float(f.min()), "max": float(f.max()), "mean": float(f.mean()),
                      "norm": float(np.sqrt((f * f).sum()))}
    out["head"] = f.reshape(-1)[:8].tolist()
    return out


def _jsonable(value):
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


class TraceStep:
    """One recorded op event; ``to_dict()`` is its JSON form."""

    __slots__ = ("index", "phase", "op", "formula", "module", "module_type", "params",
                 "inputs", "output", "grad_output", "grad_inputs")

    def __init__(self, **fields):
        for key in self.__slots__:
            setattr(self, key, fields.get(key))

    def to_dict(self):
        return {key: getattr(self, key) for key in self.__slots__}

    def where(self):
        if self.module_type is None:
            return "—"
        return f"{self.module} ({self.module_type})" if self.module else f"({self.module_type})"

    def __repr__(self):
        return f"<TraceStep #{self.index} {self.phase} {self.op} in {self.where()}>"

    def _repr_html_(self):
        """The step as a notebook shows it: the trace table's header and this step's row."""
        return (f'<div class="gn-explain"><style>{CSS}</style>'
                f'<table class="gn-trace" border="1" style="border-collapse:collapse">'
                f"{_TRACE_HEAD}{_step_row_html(self)}</table></div>")


def _show(value, limit=70):
    if value is None:
        return "—"
    name = f"{value['name']} " if "name" in value else ""
    if "data" in value:
        text = json.dumps(_fmt_nested(value["data"]), ensure_ascii=False).replace('"', "")
        text = text if len(text) <= limit else text[: limit - 1] + "…"
        return f"{name}{shape_str(value['shape'])} {text}"
    s = value["summary"]
    return (f"{name}{shape_str(value['shape'])} min {fmt(s['min'])} max {fmt(s['max'])} "
            f"mean {fmt(s['mean'])}")


def _fmt_nested(data):
    if isinstance(data, list):
        return [_fmt_nested(d) for d in data]
    return fmt(data) if isinstance(data, float | int) and not isinstance(data, bool) else data


class Trace(Explanation):
    """The recorded steps of a ``with gn.explain.trace():`` block (``steps``, a list of
    :class:`TraceStep`), renderable as text, HTML and JSON."""

    title = "Trace"

    def __init__(self, model=None, size_cap=64, backward=True):
        self.steps = []
        self.size_cap, self.backward = size_cap, backward
        self._where = {}  # id(op) -> (op, module path, type), from the op's forward
        self._param_names = {}
        if model is not None:
            self._param_names = {id(p): name for name, p in model.named_parameters()}
        self._observer = observe(self._record)

    def __enter__(self):
        self._observer.__enter__()
        return self

    def __exit__(self, *exc):
        return self._observer.__exit__(*exc)

    def _record(self, event):
        if event.phase == "backward" and not self.backward:
            return
        op, cap = event.op, self.size_cap
        if event.phase == "forward":
            path, kind = _module_path()
            self._where[id(op)] = (op, path, kind)
        else:
            _, path, kind = self._where.get(id(op), (None, None, None))
        names = self._param_names
        backward = event.phase == "backward"
        self.steps.append(TraceStep(
            index=len(self.steps), phase=event.phase, op=op.name,
            formula=list(op.grad_formulas) if backward else op.formula,
            module=path, module_type=kind, params=_jsonable(getattr(op, "params", {})),
            inputs=[summarize(t, cap, names.get(id(t))) for t in event.inputs],
            output=summarize(event.output, cap),
            grad_output=summarize(event.grad_output, cap) if backward else None,
            grad_inputs=[summarize(g, cap) for g in event.grad_inputs] if backward else None,
        ))

    def __len__(self):
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    @property
    def forward_steps(self):
        return [s for s in self.steps if s.phase == "forward"]

    @property
    def backward_steps(self):
        return [s for s in self.steps if s.phase == "backward"]

    def to_dict(self):
        """``{"schema": "glassnet.explain.trace/1", "size_cap": …, "steps": [...]}``."""
        return {"schema": SCHEMA, "size_cap": self.size_cap,
                "steps": [s.to_dict() for s in self.steps]}

    def to_json(self, indent=None):
        """The trace as JSON text (schema: docs/explain_schema.md)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=True)

    def _step_lines(self, s):
        formula = "; ".join(s.formula) if isinstance(s.formula, list) else s.formula
        lines = [f"#{s.index:<3} {s.phase:<8} {s.op:<12} in {s.where():<16} {formula}"]
        lines.append("      in:  " + "  ·  ".join(_show(v) for v in s.inputs))
        if s.phase == "forward":
            lines.append("      out: " + _show(s.output))
        else:
            lines.append("      grad of output: " + _show(s.grad_output))
            lines.append("      grads of inputs: " + "  ·  ".join(_show(v) for v in s.grad_inputs))
        return "\n".join(lines)

    def _text_parts(self, color):
        nf, nb = len(self.forward_steps), len(self.backward_steps)
        head = f"{len(self.steps)} steps: {nf} forward, {nb} backward (values above " \
               f"{self.size_cap} elements summarised)"
        return [head] + ["\n".join(self._step_lines(s) for s in self.steps)]

    def _html_parts(self):
        rows = [_TRACE_HEAD] + [_step_row_html(s) for s in self.steps]
        return [f"<p>{len(self.steps)} steps</p>",
                '<table class="gn-trace" border="1" style="border-collapse:collapse">'
                + "".join(rows) + "</table>"]


_TRACE_HEAD = ("<tr><th>#</th><th>phase</th><th>op</th><th>module</th><th>formula</th>"
               "<th>inputs</th><th>output / gradients</th></tr>")


def _step_row_html(s):
    """One :class:`TraceStep` as a row of the trace table."""
    formula = "; ".join(s.formula) if isinstance(s.formula, list) else s.formula
    ins = "<br>".join(html.escape(_show(v)) for v in s.inputs)
    if s.phase == "forward":
        out = html.escape(_show(s.output))
    else:
        out = "<br>".join(html.escape(_show(v)) for v in s.grad_inputs)
    cells = [str(s.index), s.phase, s.op, s.where(), formula]
    return ("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            + f"<td>{ins}</td><td>{out}</td></tr>")


def _module_path():
    """(dotted path from the outermost running module, innermost module's class name)."""
    if not module_stack:
        return None, None
    names = []
    for parent, child in zip(module_stack, module_stack[1:], strict=False):
        names.append(next((n for n, c in parent.named_children() if c is child), "?"))
    return ".".join(names), type(module_stack[-1]).__name__


def trace(model=None, size_cap=64, backward=True):
    """Record every primitive applied inside the ``with`` block, forward and backward.

    ``model`` (optional) names parameter inputs (``0.weight``); ``size_cap`` is the
    largest array stored whole; ``backward=False`` records the forward pass only.

    Args:
        model: the model whose parameters are named in the trace (optional).
        size_cap: arrays with more elements than this are summarised, not stored.
        backward: also record the backward pass (default True).

    Returns:
        Trace: a context manager; ``steps`` (one :class:`TraceStep` per op event),
        ``to_text()``, ``to_html()``, ``to_json()`` (schema: docs/explain_schema.md).

    Example:
        >>> import glassnet as gn, glassnet.explain
        >>> net = gn.nn.Sequential(gn.nn.Linear(3, 4), gn.nn.ReLU(), gn.nn.Linear(4, 2))
        >>> with gn.explain.trace(net) as t:
        ...     net(gn.randn(2, 3)).sum().backward()
        >>> for step in t.steps[:3]:
        ...     print(step.phase, step.op)
        forward linearop
        forward relu
        forward linearop
    """
    return Trace(model=model, size_cap=size_cap, backward=backward)
