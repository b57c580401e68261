"""Every ``glassnet …`` command line shown on the site and in the README is one the parser
accepts: a renamed or removed option fails here instead of in a reader's terminal. (The
lines are parsed, not run: many train for minutes; tests/test_cli.py runs the commands.)"""

import pathlib
import re
import shlex

import pytest

from docs_pages import DOCS
from glassnet.cli import build_parser

PAGES = sorted(DOCS.rglob("*.md")) + [DOCS.parent / "README.md"]
_SHELL_BLOCK = re.compile(r"^[ \t]*```(?:bash|console|sh)\n(.*?)^[ \t]*```", re.S | re.M)


def command_lines(page):
    """``[(line, arguments after 'glassnet')]`` for the page's shell blocks' glassnet lines
    (comments dropped, backslash continuations joined; ``mpiexec -n 2 glassnet …`` too)."""
    found = []
    for block in _SHELL_BLOCK.findall(page.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if "glassnet" in words[:4] and "pip" not in words:
                found.append((line.strip(), words[words.index("glassnet") + 1:]))
    return found


def _cases():
    for page in PAGES:
        for line, args in command_lines(page):
            yield pytest.param(args, id=f"{pathlib.Path(page).name}: {line[:60]}")


def test_the_pages_show_command_lines():
    assert len(list(_cases())) >= 20


@pytest.mark.parametrize("args", list(_cases()))
def test_each_command_line_shown_is_accepted(args, capsys):
    try:
        build_parser().parse_args(args)
    except SystemExit as exc:  # --version and --help exit 0; a refused line exits 2
        assert exc.code == 0, capsys.readouterr().err
