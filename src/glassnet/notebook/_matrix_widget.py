"""The playground's matrix view as an ipywidgets cell: one dense layer ``a = f(W·x + b)``
with every weight, bias and input an editable number box; the output matrix and the
by-hand sum of a chosen cell are recomputed by the engine (:func:`glassnet.explain.layer`)
on every edit."""

import html

import numpy as np

from glassnet._errors import GlassnetIndexError, ShapeError
from glassnet.explain._layer import LayerExplanation
from glassnet.explain._render import CSS, fmt, html_matrix

__all__ = ["MatrixWidget"]

_BOX_WIDTH = "6.5em"


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError('notebook.MatrixWidget needs ipywidgets: pip install "glassnet[notebook]"') from exc
    return ipywidgets


def _as_matrix(value, name, ndim):
    array = np.array(value, dtype=np.float64)
    if array.ndim != ndim or array.size == 0:
        raise ShapeError(f"notebook.MatrixWidget: {name} must be a non-empty {ndim}-D array of numbers, "
                         f"got shape {array.shape}")
    return array


class MatrixWidget:
    """One dense layer ``a = f(W·x + b)`` as editable number boxes, for a notebook cell.

    Display it as the last expression of a cell. Each box of ``W`` (out, in), ``b`` (out,)
    and ``X`` (N, in: one input per row, as PyTorch; shown as columns side by side, the
    column view ``[W | b]·[X; 1]``) is an ``ipywidgets.FloatText``; editing one recomputes
    the layer with the engine and redraws ``A = f(Z)`` (out, N) and the chosen cell's sum
    ``Z[o,n] = Σₖ W[o,k]·X[n,k] + b[o]`` with its activation.

    Args:
        W: weights, shape (out, in).
        b: biases, shape (out,), or None for a layer without bias.
        X: inputs, shape (N, in) or one input (in,); default: ones.
        activation: an activation name (``"relu"``, ``"sigmoid"``, …) or None.
        cell: ``(o, n)``, the output cell whose sum is written out (``cell_picker`` changes it).
        digits: significant digits shown.

    Attributes:
        weight_boxes, bias_boxes, input_boxes: the FloatText boxes (``weight_boxes[o][k]``,
            ``bias_boxes[o]``, ``input_boxes[n][k]``); setting a box's ``value`` is an edit.
        cell_picker: a Dropdown of the output cells.
        output, breakdown: HTML widgets with ``A`` and the chosen cell's sum.
        explanation: the current :class:`~glassnet.explain.LayerExplanation` (``Z``, ``A``…).
        view: the whole widget (a VBox).

    Example:
        >>> from glassnet.notebook import MatrixWidget
        >>> w = MatrixWidget([[1.0, -1.0], [0.5, 2.0]], [0.0, -1.0], [[1.0, 2.0]])
        >>> first_row = w.weight_boxes[0]
        >>> first_row[0].value = 3.0
        >>> w.explanation.A.tolist()
        [[1.0, 3.5]]
    """

    def __init__(self, W, b=None, X=None, activation="relu", cell=(0, 0), digits=4):
        widgets = _ipywidgets()
        self.W = _as_matrix(W, "W (out, in)", 2)
        self.b = None if b is None else _as_matrix(b, "b (out,)", 1)
        X = np.ones((1, self.W.shape[1])) if X is None else np.array(X, dtype=np.float64)
        self.X = _as_matrix(X.reshape(1, -1) if X.ndim == 1 else X, "X (N, in)", 2)
        self._check_shapes()
        self.activation, self.digits = activation, digits
        self.weight_boxes = self._boxes(widgets, self.W, "W")
        bias_rows = [] if self.b is None else self._boxes(widgets, self.b[:, None], "b")
        self.bias_boxes = [row[0] for row in bias_rows]
        self.input_boxes = self._boxes(widgets, self.X, "X")
        self.cell_picker = widgets.Dropdown(options=self._cell_options(), value=self._checked_cell(cell),
                                            description="cell")
        self.cell_picker.observe(self._redraw, names="value")
        self.output, self.breakdown = widgets.HTML(), widgets.HTML()
        self.view = self._layout(widgets)
        self._redraw()

    def _check_shapes(self):
        (out, n_in), (_, x_in) = self.W.shape, self.X.shape
        if self.b is not None and self.b.shape != (out,):
            raise ShapeError(f"notebook.MatrixWidget: b has shape {self.b.shape} but W {self.W.shape} "
                             f"needs one bias per output row: ({out},)")
        if x_in != n_in:
            raise ShapeError(f"notebook.MatrixWidget: X has shape {self.X.shape} but W {self.W.shape} "
                             f"takes inputs of length {n_in}: X (N, {n_in})")

    def _checked_cell(self, cell):
        (out, _), N = self.W.shape, self.X.shape[0]
        o, n = cell
        if not (0 <= o < out and 0 <= n < N):
            raise GlassnetIndexError(f"notebook.MatrixWidget: cell {tuple(cell)} is outside A of shape "
                                     f"({out}, {N}); pick o in 0…{out - 1} and n in 0…{N - 1}")
        return (o, n)

    def _cell_options(self):
        return [(f"A[{o},{n}]", (o, n)) for o in range(self.W.shape[0]) for n in range(self.X.shape[0])]

    def _boxes(self, widgets, M, name):
        """One FloatText per entry of ``M`` (rows of boxes); each edit writes the array and redraws."""
        rows = []
        for i, row in enumerate(M):
            boxes = []
            for j, value in enumerate(row):
                box = widgets.FloatText(value=float(value), layout=widgets.Layout(width=_BOX_WIDTH))
                box.observe(self._editor(name, i, j), names="value")
                boxes.append(box)
            rows.append(boxes)
        return rows

    def _editor(self, name, i, j):
        def edit(change):
            if name == "b":
                self.b[i] = change["new"]
            else:
                getattr(self, name)[i, j] = change["new"]
            self._redraw()
        return edit

    def _layout(self, widgets):
        def grid(rows, caption):
            return widgets.VBox([widgets.HTML(f"<b>{html.escape(caption)}</b>")]
                                + [widgets.HBox(row) for row in rows])

        out, n_in = self.W.shape
        parts = [grid(self.weight_boxes, f"W ({out}×{n_in})")]
        if self.bias_boxes:
            parts.append(grid([[box] for box in self.bias_boxes], f"b ({out})"))
        inputs = [list(col) for col in zip(*self.input_boxes, strict=True)]  # X as columns: [X; 1] view
        parts.append(grid(inputs, f"X ({n_in}×{self.X.shape[0]}, one input per column)"))
        return widgets.VBox([widgets.HBox(parts), widgets.HBox([self.output, self.cell_picker]),
                             self.breakdown])

    def _linear(self):
        import glassnet as gn

        out, n_in = self.W.shape
        linear = gn.nn.Linear(n_in, out, bias=self.b is not None, dtype=gn.float64)
        with gn.no_grad():
            linear.weight.array[...] = self.W
            if self.b is not None:
                linear.bias.array[...] = self.b
        return linear

    def _redraw(self, change=None):
        """Recompute the layer with the engine and redraw the output and the cell's sum."""
        e = LayerExplanation(self._linear(), self.activation, X=self.X, digits=self.digits)
        self.explanation = e
        o, n = self.cell_picker.value
        name = e.act_name if e.has_act else "identity"
        A = html_matrix(e.A.T, caption=f"A = {name}(Z)", cell=(o, n), digits=self.digits)
        self.output.value = f'<div class="gn-explain"><style>{CSS}</style>{A}</div>'
        self.breakdown.value = f"<pre>{html.escape(self.cell_text())}</pre>"

    def cell_text(self):
        """The chosen cell by hand: its dot product (the bias as the last term, times 1) and
        its activation, with the engine's numbers."""
        e, (o, n) = self.explanation, self.cell_picker.value
        lines = [e.product.cell_line(o, n)]
        if e.has_act:
            lines.append(f"A[{o},{n}] = {e.act_name}({fmt(e.Z[n, o], self.digits)}) = "
                         f"{fmt(e.A[n, o], self.digits)}")
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)

    def __repr__(self):
        return f"<MatrixWidget W {self.W.shape} X {self.X.shape} {self.activation or 'no activation'}>"
