"""Running a documentation page as a test: every Python block, in order, in one namespace,
so a page cannot drift from the library (shared by the docs tests).

A page shows what a block prints in a ```text block right after it (nothing but blank
lines between the two); :func:`run_python_blocks` runs the block and requires its printed
output to equal the shown text, line by line (trailing spaces and trailing blank lines
ignored). A block with no ```text block after it is run and its output not compared.
"""

import contextlib
import io
import pathlib
import re
import sys

import glassnet as gn

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"

# A fenced block: its language and its body. Fences start at the beginning of a line.
_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def code_blocks(text):
    """``[(language, body, start, end)]`` of every fenced block of ``text`` (offsets of the
    whole fence), in order."""
    return [(m.group(1), m.group(2), m.start(), m.end()) for m in _FENCE.finditer(text)]


def python_blocks_with_output(text):
    """``[(python source, shown output or None)]``: each ```python block and the ```text
    block that directly follows it, if any."""
    blocks = code_blocks(text)
    pairs = []
    for k, (language, body, _, end) in enumerate(blocks):
        if language != "python":
            continue
        shown = None
        if k + 1 < len(blocks):
            next_language, next_body, next_start, _ = blocks[k + 1]
            if next_language == "text" and not text[end:next_start].strip():
                shown = next_body
        pairs.append((body, shown))
    return pairs


def _lines(output):
    return [line.rstrip() for line in output.rstrip().splitlines()]


def run_python_blocks(page, at_least):
    """Execute ``page``'s ```python blocks in order in one namespace (the caller chdirs to a
    temporary directory), compare each block's printed output with the ```text block shown
    after it, and return the namespace; the default dtype is restored after.

    What a block prints still reaches ``sys.stdout`` (so ``capsys`` sees it)."""
    pairs = python_blocks_with_output(page.read_text(encoding="utf-8"))
    assert len(pairs) >= at_least, f"{page.name}: {len(pairs)} Python blocks"
    namespace = {}
    try:
        for number, (source, shown) in enumerate(pairs, 1):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(source, str(page), "exec"), namespace)  # noqa: S102 - our own documentation
            sys.stdout.write(printed.getvalue())
            if shown is not None:
                assert _lines(printed.getvalue()) == _lines(shown), (
                    f"{page.name}: Python block {number} printed\n{printed.getvalue()}\n"
                    f"but the page shows\n{shown}")
    finally:
        gn.set_default_dtype(gn.float32)
    return namespace
