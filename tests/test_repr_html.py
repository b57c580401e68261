"""Every explanation, worksheet, step and training history renders in Jupyter: a notebook
shows an object through its ``_repr_html_``, and what it shows holds the engine's numbers."""

import inspect

import numpy as np

import glassnet as gn
import glassnet.explain
import glassnet.train
from glassnet.explain._render import fmt


def _net():
    gn.manual_seed(0)
    return gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.ReLU(), gn.nn.Linear(3, 2))


def test_every_public_explain_class_and_history_has_an_html_rendering():
    classes = [obj for name in gn.explain.__all__
               if inspect.isclass(obj := getattr(gn.explain, name))]
    assert len(classes) >= 10
    missing = [c.__name__ for c in classes + [gn.train.History] if not hasattr(c, "_repr_html_")]
    assert missing == []


def test_a_backprop_step_shows_its_matrices_as_its_explanation_does():
    e = gn.explain.backprop(_net(), [[1.0, 2.0]], [1])
    step = e.steps[1]
    page = step._repr_html_()
    assert page.startswith('<div class="gn-explain"><style>')
    label, matrix, _ = step.shown[0]
    assert f"Step {step.number}." in page and label in page
    for value in np.ravel(matrix):
        assert f"<td>{fmt(value)}</td>" in page
    inner = page[page.index("</style>") + len("</style>"):-len("</div>")]
    assert inner in e.to_html()      # the same rendering as inside the whole explanation


def test_a_trace_step_is_its_row_of_the_trace_table():
    net = _net()
    x = gn.tensor([[1.0, 2.0]])
    with gn.explain.trace(net) as t:
        out = net(x)
        out.sum().backward()
    first = t.steps[0]
    page = first._repr_html_()
    assert page.count("<tr>") == 2 and "<th>phase</th>" in page
    assert f"<td>{first.op}</td>" in page and "<td>forward</td>" in page
    z = x.numpy() @ net[0].weight.numpy().T + net[0].bias.numpy()
    assert fmt(z[0, 0]) in page             # the op's output, the engine's number
    row = page[page.index("</th></tr>") + len("</th></tr>"):page.index("</table>")]
    assert row in t.to_html()


def test_a_worksheet_shows_a_fragment_in_a_notebook_and_a_page_for_printing():
    sheet = gn.explain.worksheet("matmul", seed=3)
    fragment = sheet._repr_html_()
    assert not fragment.startswith("<!DOCTYPE") and fragment.startswith('<div class="gn-explain">')
    assert sheet.to_html().startswith("<!DOCTYPE html>")
    for value in np.ravel(sheet.givens["A"]):
        assert f"<td>{fmt(value)}</td>" in fragment
    key = sheet.answer_key._repr_html_()
    for value in np.ravel(sheet.answers["C"]):
        assert f"<td>{fmt(value)}</td>" in key


def test_a_history_shows_one_row_per_epoch_and_a_column_per_key():
    losses = [float(np.log(2.0)), float(np.log(2.0)) / 3]
    history = gn.train.History([{"epoch": 1, "loss": losses[0], "accuracy": 0.5},
                                {"epoch": 2, "loss": losses[1], "lr": 0.1}])
    page = history._repr_html_()
    assert "<caption>History: 2 epochs</caption>" in page
    assert "<th>epoch</th><th>loss</th><th>accuracy</th><th>lr</th>" in page
    assert f"<tr><td>1</td><td>{losses[0]:.4g}</td><td>0.5</td><td></td></tr>" in page
    assert f"<tr><td>2</td><td>{losses[1]:.4g}</td><td></td><td>0.1</td></tr>" in page
