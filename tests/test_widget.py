"""The notebook widget (glassnet.notebook.MatrixWidget): editing a number box recomputes
the layer with the engine, and the output matrix and the chosen cell's by-hand sum show the
new numbers. Skips without ipywidgets (``pip install -e ".[test]"`` installs it)."""

import doctest
import html
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain._render import fmt


def _engine(W, b, X, activation):
    """A = f(X·Wᵀ + b) by an nn.Linear of glassnet, independently of the widget."""
    linear = gn.nn.Linear(W.shape[1], W.shape[0], dtype=gn.float64)
    with gn.no_grad():
        linear.weight.copy_(gn.tensor(W, dtype=gn.float64))
        linear.bias.copy_(gn.tensor(b, dtype=gn.float64))
        Z = linear(gn.tensor(X, dtype=gn.float64))
        return Z.numpy(), getattr(gn, activation)(Z).numpy()


@pytest.fixture
def widget():
    pytest.importorskip("ipywidgets")
    from glassnet.notebook import MatrixWidget

    W = np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -3.0]])
    return MatrixWidget(W, [0.25, -1.0], [[1.0, 2.0, -1.0], [3.0, -1.0, 0.5]], activation="relu", cell=(1, 0))


def test_editing_a_weight_recomputes_the_output_and_the_cells_sum(widget):
    W, b, X = widget.W.copy(), widget.b.copy(), widget.X.copy()
    before_output, before_breakdown = widget.output.value, widget.breakdown.value
    widget.weight_boxes[1][2].value = 4.0           # W[1,2]: -3 → 4, as a learner's edit
    W[1, 2] = 4.0
    Z, A = _engine(W, b, X, "relu")
    np.testing.assert_allclose(widget.explanation.Z, Z, rtol=0, atol=1e-12)
    np.testing.assert_allclose(widget.explanation.A, A, rtol=0, atol=1e-12)
    assert widget.output.value != before_output and widget.breakdown.value != before_breakdown
    assert f'<td class="gn-cell">{fmt(A[0, 1])}</td>' in widget.output.value   # A[o=1, n=0]
    assert widget.cell_text().splitlines() == [
        f"Z[1,0] = {_dot(W[1], X[0], b[1])} = {fmt(Z[0, 1])}",
        f"A[1,0] = ReLU({fmt(Z[0, 1])}) = {fmt(A[0, 1])}"]
    assert widget.breakdown.value == f"<pre>{html.escape(widget.cell_text())}</pre>"


def _dot(w, x, bias):
    factor = lambda v: f"({fmt(v)})" if v < 0 else fmt(v)   # noqa: E731 - as explain writes factors
    return " + ".join(f"{factor(a)}·{factor(c)}" for a, c in [*zip(w, x, strict=True), (bias, 1.0)])


def test_editing_a_bias_an_input_and_the_chosen_cell(widget):
    W, b, X = widget.W.copy(), widget.b.copy(), widget.X.copy()
    widget.bias_boxes[0].value = -10.0
    widget.input_boxes[1][0].value = 7.0
    b[0], X[1, 0] = -10.0, 7.0
    widget.cell_picker.value = (0, 1)
    Z, A = _engine(W, b, X, "relu")
    np.testing.assert_allclose(widget.explanation.A, A, rtol=0, atol=1e-12)
    assert widget.cell_text().splitlines()[-1] == f"A[0,1] = ReLU({fmt(Z[1, 0])}) = {fmt(A[1, 0])}"
    assert f'<td class="gn-cell">{fmt(A[1, 0])}</td>' in widget.output.value


def test_a_layer_without_bias_or_activation(widget):
    from glassnet.notebook import MatrixWidget

    w = MatrixWidget([[2.0, -1.0]], None, [1.0, 3.0], activation=None)
    assert w.bias_boxes == [] and w.cell_text() == "Z[0,0] = 2·1 + (-1)·3 = -1"
    w.weight_boxes[0][1].value = 1.0
    assert w.cell_text() == "Z[0,0] = 2·1 + 1·3 = 5" and w.explanation.A.tolist() == [[5.0]]


def test_the_widget_displays_as_an_ipywidgets_view(widget):
    bundle = widget._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.view.model_id


def test_shapes_and_cells_that_do_not_fit_are_named(widget):
    from glassnet.notebook import MatrixWidget

    with pytest.raises(gn.ShapeError, match=r"X has shape \(1, 2\) but W \(2, 3\).*X \(N, 3\)"):
        MatrixWidget(np.ones((2, 3)), [0.0, 0.0], [[1.0, 2.0]])
    with pytest.raises(gn.ShapeError, match=r"b has shape \(3,\).*\(2,\)"):
        MatrixWidget(np.ones((2, 3)), [0.0, 0.0, 0.0])
    with pytest.raises(IndexError, match=r"cell \(2, 0\) is outside A of shape \(2, 1\)"):
        MatrixWidget(np.ones((2, 3)), [0.0, 0.0], cell=(2, 0))


def test_the_docstring_example_runs(widget):
    from glassnet.notebook import _matrix_widget

    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner()
    for test in finder.find(_matrix_widget.MatrixWidget, "MatrixWidget", globs={}):
        runner.run(test)
    assert runner.summarize(verbose=False) == (0, 5)        # five >>> lines, none failed


def test_without_ipywidgets_the_error_names_the_extra(monkeypatch):
    from glassnet.notebook import MatrixWidget

    monkeypatch.setitem(sys.modules, "ipywidgets", None)     # import ipywidgets → ImportError
    with pytest.raises(ImportError, match=r'pip install "glassnet\[notebook\]"'):
        MatrixWidget([[1.0]], [0.0])


def test_the_notebooks_page_runs_and_prints_what_it_shows(widget, tmp_path, monkeypatch):
    """docs/notebooks.md's blocks (run here rather than in test_docs_pages.py: they need
    ipywidgets)."""
    from docs_pages import DOCS, run_python_blocks

    monkeypatch.chdir(tmp_path)
    namespace = run_python_blocks(DOCS / "notebooks.md", at_least=2)
    assert namespace["widget"].W[1, 2] == 4.0

