"""Every documentation page runs as written: each page under docs/ with Python blocks has
them executed in order in one namespace (in a temporary directory), and every ```text
block shown under a Python block must equal what that block prints (tests/docs_pages.py).
Pages with a test file of their own are run there, with their extra checks."""

import pytest

from docs_pages import DOCS, python_blocks_with_output, run_python_blocks

# Pages run by their own test file (which also asserts what they compute).
OWN_TEST = {"attention.md": "test_docs_attention.py", "coming_from_pytorch.md": "test_docs_pytorch.py",
            "notebooks.md": "test_widget.py"}  # notebooks.md needs ipywidgets (the notebook extra)
# Pages whose programs cannot run inside pytest, and where they are run instead.
NOT_HERE = {
    "distributed.md": "an MPI program: it needs mpiexec and several processes "
                      "(tests/test_distributed.py runs such programs under mpiexec)",
}


def _pages():
    for page in sorted(DOCS.rglob("*.md")):
        name = page.relative_to(DOCS).as_posix()
        if name in OWN_TEST or not python_blocks_with_output(page.read_text(encoding="utf-8")):
            continue
        marks = [pytest.mark.skip(reason=NOT_HERE[name])] if name in NOT_HERE else []
        yield pytest.param(page, id=name, marks=marks)


@pytest.mark.parametrize("page", list(_pages()))
def test_every_python_block_of_the_page_runs_and_prints_what_the_page_shows(page, tmp_path, monkeypatch):
    if "import torch" in page.read_text(encoding="utf-8"):
        pytest.importorskip("torch")          # the PyTorch interop examples need PyTorch
    monkeypatch.chdir(tmp_path)
    run_python_blocks(page, at_least=1)


def test_the_tutorials_show_their_output():
    """Each tutorial chapter shows what its code prints (a page without shown output could
    not fail on a changed number)."""
    chapters = [p for p in (DOCS / "tutorials").glob("*.md") if p.name != "index.md"]
    assert len(chapters) >= 11
    for page in chapters:
        shown = [out for _, out in python_blocks_with_output(page.read_text(encoding="utf-8")) if out]
        assert shown, f"{page.name} shows no output"


def test_the_own_test_pages_exist():
    for name, test in OWN_TEST.items():
        assert (DOCS / name).exists() and (DOCS.parent / "tests" / test).exists(), name
