"""docs/attention.md runs as written: every Python block, in order, in one namespace (in a
temporary directory), so the tutorial cannot drift from the library."""

import re

from docs_pages import DOCS, run_python_blocks

PAGE = DOCS / "attention.md"


def test_every_python_block_of_the_tutorial_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace = run_python_blocks(PAGE, at_least=8)
    printed = capsys.readouterr().out
    assert "score = 2.8284" in printed and "Attention by hand" in printed
    assert "validation loss" in printed
    assert namespace["sheet"].max_error < 1e-12


def test_the_page_names_files_that_exist():
    root = PAGE.parents[1] / "src" / "glassnet"
    text = PAGE.read_text(encoding="utf-8")
    for path in re.findall(r"`(?:glassnet/)?((?:nn|models|data|train)/_\w+\.py)`", text):
        assert (root / path).exists(), path
