"""Rendering shared by every explanation: numbers, matrices as text blocks, ANSI colours,
HTML tables, and the :class:`Explanation` base class (text, HTML, Markdown, notebooks).

A text *block* is a list of lines; a line is a list of ``(text, style)`` segments. Widths
count only the text, so colours (ANSI codes) never break the alignment. The same styles
become CSS classes in HTML: ``row`` (the highlighted row of the left operand), ``col``
(the highlighted column of the right operand), ``cell`` (the result cell), ``off`` (an
entry an activation zeroed).
"""

import contextlib
import contextvars
import html
import os
import re
import shutil
import sys
import textwrap

import numpy as np

__all__ = ["Explanation", "agreement", "fmt", "fmt_factor", "shape_str", "matrix_block", "hcat", "vcat",
           "flow", "block_width", "label_block", "wrap", "render_block", "html_matrix", "CSS", "to_numpy",
           "use_color", "text_width", "terminal_width", "fit_width", "rendering_width", "DEFAULT_WIDTH"]

DEFAULT_WIDTH = 100
MIN_WIDTH = 40
PARAGRAPH_WIDTH = 88  # prose reads best at this measure even on a wide terminal
_WIDTH = contextvars.ContextVar("glassnet_explain_width", default=DEFAULT_WIDTH)
_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")

ANSI = {"row": "\x1b[32m", "col": "\x1b[33m", "cell": "\x1b[1;35m", "off": "\x1b[2m",
        "title": "\x1b[1m", None: ""}
RESET = "\x1b[0m"

CSS = (
    ".gn-explain{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;"
    "line-height:1.35}"
    ".gn-explain h3{font-size:14px;margin:.8em 0 .3em}"
    ".gn-explain pre{margin:.2em 0}"
    ".gn-layout{border-collapse:collapse}.gn-layout>tbody>tr>td{padding:4px 8px;"
    "vertical-align:top}"
    ".gn-matrix{border-collapse:collapse;border-left:2px solid #444;border-right:2px solid #444}"
    ".gn-matrix td{padding:1px 7px;text-align:right}"
    ".gn-matrix caption{font-size:11px;color:#555}"
    ".gn-row{background:#c8f0c8}.gn-col{background:#fff2b0}"
    ".gn-cell{background:#f3c4f3;font-weight:bold;outline:2px solid #a0a}"
    ".gn-off{color:#aaa}"
)


def to_numpy(value, name="value"):
    """A float64 NumPy copy of a Tensor, array or nested list."""
    data = getattr(value, "array", value) if hasattr(value, "_ctx") else value
    if hasattr(data, "get") and not isinstance(data, np.ndarray | dict):
        data = data.get()  # a CuPy array
    return np.array(data, dtype=np.float64)


def fmt(x, digits=4):
    """A number the way a person writes it: ``9``, ``-1``, ``0.5``, ``0.5424``."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == int(x) and abs(x) < 1e12:
        return str(int(x))
    text = f"{x:.{digits}g}"
    return "0" if text in ("-0", "0") else text


def fmt_factor(x, digits=4):
    """A number inside a product: negatives in brackets, ``(-1)``."""
    text = fmt(x, digits)
    return f"({text})" if text.startswith("-") else text


def agreement(by_hand, engine):
    """``exactly`` / ``up to rounding`` / ``largest difference …``: how two results agree
    (worded so that renderings do not depend on the BLAS's summation order)."""
    by_hand, engine = np.asarray(by_hand, dtype=np.float64), np.asarray(engine, dtype=np.float64)
    if by_hand.size == 0:
        return "exactly"
    diff = float(np.max(np.abs(by_hand - engine)))
    scale = max(1.0, float(np.max(np.abs(engine))))
    if diff == 0:
        return "exactly"
    if diff <= 1e-6 * scale:
        return "up to floating-point rounding"
    return f"largest difference {fmt(diff, 3)}"


def shape_str(shape):
    """``(2, 3)`` → ``2×3``."""
    return "×".join(str(n) for n in shape) if len(shape) else "scalar"


# -- text blocks ------------------------------------------------------------------------


def _width(line):
    return sum(len(text) for text, _ in line)


def block_width(block):
    return max((_width(line) for line in block), default=0)


def matrix_block(M, *, row=None, col=None, cell=None, off=None, digits=4, sep=None, width=None):
    """A 2-D array as bracketed, right-aligned text rows.

    ``row``/``col`` highlight one row/column, ``cell`` one ``(i, j)``, ``off`` a boolean
    mask of zeroed entries; ``sep`` draws a ``|`` before that column (``[W | b]``).
    Without colour the highlights show as ``(9)`` around the cell. A matrix wider than
    ``width`` (default: the rendering width) shows its first and last columns with ``…``
    between them (the highlighted column kept).
    """
    M = np.atleast_2d(M)
    texts = [[fmt(v, digits) for v in r] for r in M.tolist()]
    if cell is not None:
        i, j = cell
        texts[i][j] = f"({texts[i][j]})"
    widths = [max(len(texts[i][j]) for i in range(len(texts))) for j in range(M.shape[1])]
    keep = _columns_that_fit(widths, text_width() if width is None else width, col, cell, sep)
    lines = []
    for i, r in enumerate(texts):
        line = [("[", None)]
        for k, j in enumerate(keep):
            if k and j != keep[k - 1] + 1:
                line.append(("  …", None))
            if sep is not None and j == sep:
                line.append((" |", None))
            style = _style_of(i, j, row, col, cell, off)
            line += [("  " if k else " ", None), (r[j].rjust(widths[j]), style)]
        line.append((" ]", None))
        lines.append(line)
    return lines


def _columns_that_fit(widths, width, col, cell, sep):
    """The column indices to show: all of them, or the first ones, the highlighted one and
    the last one when the whole row would be wider than ``width``."""
    total = sum(w + 2 for w in widths) + 3 + (2 if sep is not None else 0)
    if total <= width:
        return list(range(len(widths)))
    must = {len(widths) - 1} | {c for c in (col, cell[1] if cell is not None else None) if c is not None}
    keep, used = set(must), sum(widths[c] + 2 for c in must) + 3 + 3 + (2 if sep is not None else 0)
    for j in range(len(widths)):
        if j not in keep and used + widths[j] + 2 + 3 <= width:
            keep.add(j)
            used += widths[j] + 2
        elif j not in keep:
            break
    return sorted(keep)


def _style_of(i, j, row, col, cell, off):
    if cell is not None and (i, j) == tuple(cell):
        return "cell"
    if row is not None and i == row:
        return "row"
    if col is not None and j == col:
        return "col"
    if off is not None and bool(off[i, j]):
        return "off"
    return None


def label_block(text, style=None):
    return [[(text, style)]]


# -- the width of text output ----------------------------------------------------------------


def terminal_width(stream=None):
    """The width to render for: the terminal's columns (``COLUMNS`` wins, as
    :func:`shutil.get_terminal_size` reads it), ``DEFAULT_WIDTH`` (100) when not a terminal."""
    return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def text_width():
    """The width the text rendering in progress must fit (set by ``Explanation.to_text``)."""
    return _WIDTH.get()


@contextlib.contextmanager
def rendering_width(width):
    """Render text for ``width`` columns inside the block (None: keep the current width)."""
    token = _WIDTH.set(max(MIN_WIDTH, int(width))) if width is not None else None
    try:
        yield _WIDTH.get()
    finally:
        if token is not None:
            _WIDTH.reset(token)


def wrap(text, width=None):
    """Wrap each paragraph line of ``text`` to ``width`` columns (continuations indented);
    by default the smaller of 88 and the rendering width."""
    width = min(PARAGRAPH_WIDTH, text_width()) if width is None else width
    return "\n".join(textwrap.fill(line, width, subsequent_indent="  ", break_on_hyphens=False)
                     for line in text.split("\n"))


def fit_width(text, width=None):
    """Every line of ``text`` at most ``width`` columns (default: the rendering width): a
    longer line is wrapped at spaces (continuations indented), its colours dropped. The
    safety net behind the layouts, which try to fit first (:func:`flow`, elided columns)."""
    width = text_width() if width is None else width
    out = []
    for line in text.split("\n"):
        plain = _ANSI_CODE.sub("", line)
        if len(plain) <= width:
            out.append(line)
            continue
        out += textwrap.wrap(plain.rstrip(), width, subsequent_indent="  ", break_on_hyphens=False)
    return "\n".join(part.rstrip() for part in out)


def hcat(*blocks, gap=2, align="top"):
    """Blocks side by side, padded to equal height (top- or middle-aligned)."""
    height = max(len(b) for b in blocks)
    out = [[] for _ in range(height)]
    for k, b in enumerate(blocks):
        w = block_width(b)
        shift = (height - len(b)) // 2 if align == "middle" else 0
        for r in range(height):
            i = r - shift
            line = b[i] if 0 <= i < len(b) else []
            pad = w - _width(line) + (gap if k < len(blocks) - 1 else 0)
            out[r] = out[r] + line + [(" " * pad, None)]
    return out


def vcat(*blocks):
    return [line for b in blocks for line in b]


def flow(blocks, gap=4, width=None, max_per_row=None, row_gap=0):
    """Blocks side by side, as many to a row as fit in ``width`` (default: the rendering
    width) and at most ``max_per_row``, the rest in further rows (``row_gap`` blank lines
    between rows) — a layout that wraps instead of running off."""
    width = text_width() if width is None else width
    rows, row, used = [], [], 0
    for b in blocks:
        w = block_width(b)
        full = max_per_row is not None and len(row) >= max_per_row
        if row and (used + gap + w > width or full):
            rows.append(row)
            row, used = [], 0
        used += (gap if row else 0) + w
        row.append(b)
    if row:
        rows.append(row)
    between = [[("", None)]] * row_gap
    return vcat(*[hcat(*r, gap=gap) + (between if k < len(rows) - 1 else []) for k, r in enumerate(rows)])


def render_block(block, color=False):
    """The block as a string; ANSI colours when ``color``."""
    lines = []
    for line in block:
        parts = []
        for text, style in line:
            if color and style:
                parts.append(f"{ANSI[style]}{text}{RESET}")
            else:
                parts.append(text)
        lines.append("".join(parts).rstrip())
    return "\n".join(lines)


# -- HTML ----------------------------------------------------------------------------------


def html_matrix(M, *, caption=None, row=None, col=None, cell=None, off=None, digits=4, sep=None):
    """A 2-D array as an HTML table with the same highlight classes as the text."""
    M = np.atleast_2d(M)
    rows = []
    for i, r in enumerate(M.tolist()):
        tds = []
        for j, v in enumerate(r):
            style = _style_of(i, j, row, col, cell, off)
            cls = f' class="gn-{style}"' if style else ""
            border = ' style="border-left:1px solid #888"' if sep is not None and j == sep else ""
            tds.append(f"<td{cls}{border}>{html.escape(fmt(v, digits))}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="gn-matrix">{cap}{"".join(rows)}</table>'


def use_color(stream=None):
    """Colour when writing to a terminal and ``NO_COLOR`` is unset."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


class Explanation:
    """Base of every explanation: ``to_text()``, ``to_html()``, ``str()``, notebook display.

    Subclasses implement ``_text_parts(color)`` (a list of strings, joined by blank
    lines) and ``_html_parts()`` (a list of HTML fragments).
    """

    title = "explanation"

    def to_text(self, color=False, width=None):
        """Plain text (ANSI colours with ``color=True``), every line at most ``width``
        columns (default: the width in effect, 100 unless a caller set one)."""
        with rendering_width(width) as w:
            head = f"{ANSI['title']}{self.title}{RESET}" if color else self.title
            rule = "═" * min(w, max(len(self.title), 20))
            text = "\n\n".join([f"{head}\n{rule}"] + self._text_parts(color)) + "\n"
            return fit_width(text, w)

    def to_html(self, full_page=False):
        """An HTML fragment (``<div class="gn-explain">`` with its own ``<style>``), or a
        whole page with ``full_page=True``."""
        body = "".join(self._html_parts())
        frag = (f'<div class="gn-explain"><style>{CSS}</style>'
                f"<h3>{html.escape(self.title)}</h3>{body}</div>")
        if not full_page:
            return frag
        return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
                f"<title>{html.escape(self.title)}</title></head><body>{frag}</body></html>")

    def show(self, file=None, width=None):
        """Print it, in colour and fitted to the terminal's width when ``file`` is a
        terminal (else ``width`` or 100 columns)."""
        file = sys.stdout if file is None else file
        isatty = getattr(file, "isatty", None)
        if width is None and isatty and isatty():
            width = terminal_width(file)
        print(self.to_text(color=use_color(file), width=width), file=file)

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return self.to_text()

    def _repr_html_(self):
        return self.to_html()

    def _repr_markdown_(self):
        return "```text\n" + self.to_text() + "```\n"

    def _text_parts(self, color):  # pragma: no cover - abstract
        raise NotImplementedError

    def _html_parts(self):
        return [f"<pre>{html.escape(part)}</pre>" for part in self._text_parts(False)]
