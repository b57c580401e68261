"""Running a documentation page as a test: every Python block, in order, in one namespace,
so a page cannot drift from the library (shared by the docs tests)."""

import pathlib
import re

import glassnet as gn

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def run_python_blocks(page, at_least):
    """Execute ``page``'s ```python blocks in order in one namespace (the caller chdirs to a
    temporary directory) and return the namespace; the default dtype is restored after."""
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) >= at_least, f"{page.name}: {len(blocks)} Python blocks"
    namespace = {}
    try:
        for block in blocks:
            exec(compile(block, str(page), "exec"), namespace)  # noqa: S102 - our own documentation
    finally:
        gn.set_default_dtype(gn.float32)
    return namespace
