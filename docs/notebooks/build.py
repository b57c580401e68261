"""Build the tutorial notebooks from the tutorial pages: one source, the markdown.

Each chapter ``docs/tutorials/<chapter>.md`` becomes ``<chapter>.ipynb`` through jupytext
(```python blocks → code cells; the prose and the shown ```text outputs → markdown
cells), with a first cell that names its source. The notebooks are generated, not
committed (docs/notebooks/.gitignore), so they can never drift from the pages;
tests/test_notebooks.py builds each one the same way and executes it in a Jupyter kernel.

    python docs/notebooks/build.py                # write docs/notebooks/<chapter>.ipynb
    python docs/notebooks/build.py --out DIR      # write them into DIR instead

Needs ``pip install "glassnet[notebook]"`` (jupytext).
"""

import argparse
import pathlib
import sys

import jupytext
import nbformat

HERE = pathlib.Path(__file__).resolve().parent
TUTORIALS = HERE.parent / "tutorials"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def chapters():
    """The tutorial chapters' markdown files, sorted (the index page is not a chapter)."""
    return sorted(p for p in TUTORIALS.glob("*.md") if p.name != "index.md")


def notebook_of(chapter):
    """The notebook (nbformat 4, no outputs) for ``chapter``, a tutorial .md path: a first
    cell naming the source, then jupytext's cells; cell ids numbered so that a rebuild of
    an unchanged page gives the same file."""
    nb = jupytext.read(chapter, fmt="md")
    source = (f"*Generated from `docs/tutorials/{chapter.name}` by `docs/notebooks/build.py`: "
              "edit the page, not this notebook. Run the cells in order; what each cell "
              "prints is shown below it on the page.*")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(source))
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    for number, cell in enumerate(nb.cells):
        cell.metadata, cell.id = {}, f"cell-{number}"
    return nb


def build(out=HERE):
    """Write every chapter's notebook into ``out``; returns the paths written."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for chapter in chapters():
        paths.append(out / f"{chapter.stem}.ipynb")
        nbformat.write(notebook_of(chapter), paths[-1])
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the tutorial notebooks from docs/tutorials/*.md.")
    parser.add_argument("--out", default=HERE, help="folder to write into (default: docs/notebooks/)")
    paths = build(parser.parse_args(argv).out)
    print(f"wrote {len(paths)} notebooks in {paths[0].parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
