"""docs/coming_from_pytorch.md runs as written: every Python block, in order, in one
namespace (in a temporary directory), so the page cannot drift from the library."""

import re

from docs_pages import DOCS, run_python_blocks

PAGE = DOCS / "coming_from_pytorch.md"


def test_every_python_block_of_the_page_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace = run_python_blocks(PAGE, at_least=5)
    assert namespace["loss"].item() < namespace["loss_fn"](namespace["model"](namespace["xx"]),
                                                            namespace["y"]).item() * 10
    printed = capsys.readouterr().out
    assert printed.startswith("y = ") and "cpu" in printed


def test_the_page_names_the_import_lines_that_exist():
    text = PAGE.read_text(encoding="utf-8")
    modules = re.findall(r"`(?:import|from) (glassnet[\w.]*)", text)
    assert modules, "the page names no glassnet import line"
    for module in modules:
        __import__(module)
