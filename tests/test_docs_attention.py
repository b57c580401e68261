"""docs/attention.md runs as written: every Python block, in order, in one namespace (in a
temporary directory), so the tutorial cannot drift from the library."""

import pathlib
import re

import glassnet as gn

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "attention.md"


def test_every_python_block_of_the_tutorial_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) >= 8
    monkeypatch.chdir(tmp_path)
    namespace = {}
    try:
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - our own documentation
    finally:
        gn.set_default_dtype(gn.float32)
    printed = capsys.readouterr().out
    assert "score = 2.8284" in printed and "Attention by hand" in printed
    assert "validation loss" in printed
    assert namespace["sheet"].max_error < 1e-12


def test_the_page_names_files_that_exist():
    root = PAGE.parents[1] / "src" / "glassnet"
    text = PAGE.read_text(encoding="utf-8")
    for path in re.findall(r"`(?:glassnet/)?((?:nn|models|data|train)/_\w+\.py)`", text):
        assert (root / path).exists(), path
