"""docs/coming_from_pytorch.md runs as written: every Python block, in order, in one
namespace (in a temporary directory), so the page cannot drift from the library."""

import pathlib
import re

import glassnet as gn

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "coming_from_pytorch.md"


def test_every_python_block_of_the_page_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace = {}
    try:
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - our own documentation
    finally:
        gn.set_default_dtype(gn.float32)
    assert namespace["loss"].item() < namespace["loss_fn"](namespace["model"](namespace["xx"]),
                                                            namespace["y"]).item() * 10
    printed = capsys.readouterr().out
    assert printed.startswith("y = ") and "cpu" in printed


def test_the_page_names_the_import_lines_that_exist():
    text = PAGE.read_text(encoding="utf-8")
    for module in re.findall(r"`(?:import|from) (glassnet[\w.]*)", text):
        __import__(module)
