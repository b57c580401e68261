"""The API reference holds: every object a docs/api page documents (``::: name``) is
importable, has a PyTorch-style docstring (Args and an Example), and every ``>>>`` example
in it gives the output it shows."""

import doctest
import importlib
import re

import pytest

import glassnet as gn
from docs_pages import DOCS


def _documented():
    for page in sorted((DOCS / "api").glob("*.md")):
        for name in re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.M):
            yield pytest.param(name, id=name)


def _resolve(dotted):
    module_name, _, attribute = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except ModuleNotFoundError:  # a class's member: resolve the class first
        return getattr(_resolve(module_name), attribute)


def test_the_reference_documents_the_main_classes():
    names = {p.values[0] for p in _documented()}
    for name in ("glassnet.nn.Linear", "glassnet.nn.Conv2d", "glassnet.nn.LSTM", "glassnet.nn.GRU",
                 "glassnet.nn.MultiheadAttention", "glassnet.optim.SGD", "glassnet.optim.Adam",
                 "glassnet.data.DataLoader", "glassnet.explain.matmul", "glassnet.explain.backprop"):
        assert name in names, name


@pytest.mark.parametrize("name", list(_documented()))
def test_each_documented_object_exists_and_its_examples_run(name):
    obj = _resolve(name)
    doc = obj.__doc__ or ""
    assert "Args:" in doc or "Arguments:" in doc, f"{name}: the docstring has no Args section"
    assert ">>>" in doc, f"{name}: the docstring has no >>> Example"
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    try:
        for test in finder.find(obj, name, globs={}):
            runner.run(test)
    finally:
        gn.set_default_dtype(gn.float32)
    assert runner.tries > 0 and runner.failures == 0, f"{name}: {runner.failures} of {runner.tries} failed"
