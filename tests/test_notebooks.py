"""The tutorial notebooks run: each chapter (docs/tutorials/<chapter>.md) is turned into a
notebook by docs/notebooks/build.py (jupytext) and executed in a Jupyter kernel (nbclient +
ipykernel), cell by cell, in a temporary directory; what each cell prints must equal the
output the page shows. Skips without the notebook tools (``pip install -e ".[test]"``)."""

import os
import pathlib
import runpy
import types

import pytest

from docs_pages import DOCS, python_blocks_with_output

pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
ipykernel_spec = pytest.importorskip("ipykernel.kernelspec")

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"


# docs/notebooks/build.py, run as a script's namespace (runpy writes no bytecode cache in docs/)
build = types.SimpleNamespace(**runpy.run_path(str(DOCS / "notebooks" / "build.py")))
CHAPTERS = build.chapters()


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A ``python3`` kernel spec that runs this interpreter, found first through
    ``JUPYTER_PATH``; the kernel imports glassnet from this checkout and keeps its runtime
    and IPython files in a temporary directory."""
    home = tmp_path_factory.mktemp("jupyter")
    ipykernel_spec.install(prefix=str(home))   # argv: [sys.executable, -m, ipykernel_launcher, …]
    env = {"JUPYTER_PATH": str(home / "share" / "jupyter"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTER_PLATFORM_DIRS": "1",
           "PYTHONPATH": os.pathsep.join([str(SRC)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    return env


def test_there_is_a_notebook_per_chapter_with_the_pages_code_cell_for_block():
    assert len(CHAPTERS) >= 11
    for chapter in CHAPTERS:
        nb = build.notebook_of(chapter)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        blocks = [source.rstrip("\n") for source, _ in python_blocks_with_output(chapter.read_text("utf-8"))]
        assert code == blocks, chapter.name
        assert nb.cells[0].source.startswith(f"*Generated from `docs/tutorials/{chapter.name}`")


def test_build_writes_one_ipynb_per_chapter_that_nbformat_validates(tmp_path):
    import nbformat

    paths = build.build(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{c.stem}.ipynb" for c in CHAPTERS)
    for path in paths:
        nbformat.validate(nbformat.read(path, as_version=4))
    first = paths[0].read_bytes()
    build.build(tmp_path)
    assert paths[0].read_bytes() == first        # a rebuild of an unchanged page: the same file


def _printed(cell):
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")


def _lines(text):
    return [line.rstrip() for line in text.rstrip().splitlines()]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_the_chapters_notebook_runs_in_a_kernel_and_prints_what_the_page_shows(
        chapter, kernel_env, tmp_path, monkeypatch):
    for key, value in kernel_env.items():
        monkeypatch.setenv(key, value)
    if "import torch" in chapter.read_text("utf-8"):
        pytest.importorskip("torch")
    nb = build.notebook_of(chapter)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", shutdown_kernel="immediate",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()     # raises CellExecutionError, naming the cell, if a cell fails
    code = [c for c in nb.cells if c.cell_type == "code"]
    shown = [out for _, out in python_blocks_with_output(chapter.read_text("utf-8"))]
    compared = 0
    for number, (cell, expected) in enumerate(zip(code, shown, strict=True), 1):
        if expected is not None:
            assert _lines(_printed(cell)) == _lines(expected), f"{chapter.name}: cell {number}"
            compared += 1
    assert compared >= 1
