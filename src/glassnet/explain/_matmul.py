"""Matrix multiplication by hand: the shape rule, every cell as a row·column dot product,
laid out the pen-and-paper way (B above, A to the left, C below B)."""

import html
import textwrap

from glassnet._errors import GlassnetIndexError, ShapeError
from glassnet.explain._render import (
    Explanation,
    agreement,
    block_width,
    flow,
    fmt,
    fmt_factor,
    hcat,
    html_matrix,
    label_block,
    matrix_block,
    render_block,
    shape_str,
    text_width,
    to_numpy,
    vcat,
    wrap,
)

__all__ = ["MatmulExplanation", "matmul", "dot_terms", "cell_lines"]

MAX_TERMS = 8


def dot_terms(a, b, digits=4):
    """``1·5 + 1·4`` for the vectors ``a`` and ``b`` (long ones elided in the middle)."""
    terms = [f"{fmt_factor(x, digits)}·{fmt_factor(y, digits)}" for x, y in zip(a, b, strict=True)]
    if len(terms) > MAX_TERMS:
        terms = terms[:3] + ["…"] + terms[-2:]
    return " + ".join(terms) if terms else "0 (no terms)"


class MatmulExplanation(Explanation):
    """``C = A·B`` cell by cell. Attributes: ``A``, ``B``, ``C`` (float64 arrays; ``C``
    from glassnet's own matmul), ``products`` (n, k, m) with ``products[i, :, j]`` the
    terms of ``C[i, j]``, ``cells`` (n, m) their sums, ``highlight`` ``(i, j)``, ``ok``
    (False when the shapes do not fit; ``problem`` and ``fixes`` then say why)."""

    def __init__(self, A, B, highlight=(0, 0), names=("A", "B", "C"), max_cells=24,
                 digits=4, sep=None):
        A, B = to_numpy(A), to_numpy(B)
        A = A.reshape(1, -1) if A.ndim == 1 else A
        B = B.reshape(-1, 1) if B.ndim == 1 else B
        if A.ndim != 2 or B.ndim != 2:
            raise ShapeError(f"explain.matmul: needs 2-D matrices, got shapes {A.shape} and {B.shape}")
        self.A, self.B, self.names = A, B, names
        self.max_cells, self.digits, self.sep = max_cells, digits, sep
        self.title = f"Matrix multiplication by hand: {names[2]} = {names[0]}·{names[1]}"
        self.ok = A.shape[1] == B.shape[0]
        self.problem, self.fixes = (None, []) if self.ok else _mismatch(A.shape, B.shape, names)
        if not self.ok:
            self.C = self.products = self.cells = self.highlight = None
            return
        import glassnet as gn

        self.C = (gn.tensor(A) @ gn.tensor(B)).numpy()  # the engine's own answer
        self.products = A[:, :, None] * B[None, :, :]
        self.cells = self.products.sum(axis=1)
        i, j = highlight if highlight is not None else (0, 0)
        n, m = A.shape[0], B.shape[1]
        if not (-n <= i < n and -m <= j < m):
            raise GlassnetIndexError(
                f"explain.matmul: highlight ({i}, {j}) is outside C of shape ({n}, {m}); pick a row "
                f"0…{n - 1} and a column 0…{m - 1}")
        self.highlight = (i % n, j % m)

    # -- words ---------------------------------------------------------------------------
    def shape_rule(self):
        (n, k), m = self.A.shape, self.B.shape[1]
        a, b, c = self.names
        if not self.ok:
            return self.problem
        return (f"Shape rule: (n×k)·(k×m) → (n×m).  {a} ({shape_str(self.A.shape)}) · "
                f"{b} ({shape_str(self.B.shape)}) → {c} ({n}×{m}).\n"
                f"Why: each {c}[i,j] is the dot product of row i of {a} with column j of {b}; a "
                f"dot product needs two vectors of one length, so {a}'s columns and {b}'s rows "
                f"must both be k = {k}. {c} gets one row per row of {a} (n = {n}) and one "
                f"column per column of {b} (m = {m}).")

    def cell_line(self, i, j):
        a_row, b_col = self.A[i], self.B[:, j]
        return f"{self.names[2]}[{i},{j}] = {dot_terms(a_row, b_col, self.digits)} = " \
               f"{fmt(self.cells[i, j], self.digits)}"

    def highlight_line(self):
        i, j = self.highlight
        a, b, c = self.names
        row = ", ".join(fmt(v, self.digits) for v in self.A[i])
        col = ", ".join(fmt(v, self.digits) for v in self.B[:, j])
        return (f"Highlighted: {c}[{i},{j}] = (row {i} of {a}) · (column {j} of {b}) = "
                f"[{row}]·[{col}] = {dot_terms(self.A[i], self.B[:, j], self.digits)} = "
                f"{fmt(self.cells[i, j], self.digits)}")

    def _cell_indices(self):
        n, m = self.cells.shape
        shown = [(i, j) for i in range(min(n, self.max_cells)) for j in range(m)][: self.max_cells]
        if self.highlight not in shown:
            shown.append(self.highlight)
        return shown, n * m - len(shown)

    def check_line(self):
        return (f"Check: glassnet's {self.names[0]} @ {self.names[1]} gives the same "
                f"{self.names[2]} ({agreement(self.cells, self.C)}).")

    # -- text ----------------------------------------------------------------------------
    def layout_block(self):
        i, j = self.highlight
        a, b, c = self.names
        A_b = matrix_block(self.A, row=i, digits=self.digits, sep=self.sep, width=text_width() - 2)
        A_b = [[("▶ " if r == i else "  ", "row" if r == i else None)] + line
               for r, line in enumerate(A_b)]
        B_b = matrix_block(self.B, col=j, digits=self.digits)
        C_b = matrix_block(self.cells, cell=(i, j), digits=self.digits)
        marker = [[(" " * _column_end(B_b[0], j), None), ("▼", "col")]]
        top = vcat(label_block(f"{b} ({shape_str(self.B.shape)})"), marker, B_b)
        right = vcat(top, label_block(f"{c} = {a}·{b} ({shape_str(self.cells.shape)})"), C_b)
        left = vcat([[("", None)]] * len(top), label_block(f"  {a} ({shape_str(self.A.shape)})"), A_b)
        layout = hcat(left, right, gap=3)
        if block_width(layout) <= text_width():
            return layout
        # too wide for the page: A, B and C one after another, wrapping as they must
        return flow([vcat(label_block(f"  {a} ({shape_str(self.A.shape)})"), A_b), top,
                     vcat(label_block(f"{c} = {a}·{b} ({shape_str(self.cells.shape)})"), C_b)],
                    gap=3, row_gap=1)

    def _text_parts(self, color):
        if not self.ok:
            return [wrap(self.problem), "Likely fixes:\n" + "\n".join(wrap(f"  • {f}") for f in self.fixes)]
        shown, more = self._cell_indices()
        lines = []
        for i, j in shown:
            wrapped = cell_lines(self.cell_line(i, j))
            if (i, j) == self.highlight:
                wrapped = [render_block([[(part[:2], None), (part[2:], "cell")]], color) for part in wrapped]
            lines += wrapped
        if more:
            lines.append(f"  … and {more} more cells, each the same way")
        return [wrap(self.shape_rule()), render_block(self.layout_block(), color),
                wrap(self.highlight_line()), "Every cell:\n" + "\n".join(lines), wrap(self.check_line())]

    # -- HTML ----------------------------------------------------------------------------
    def _html_parts(self):
        if not self.ok:
            return [f"<p>{html.escape(self.problem)}</p><ul>"
                    + "".join(f"<li>{html.escape(f)}</li>" for f in self.fixes) + "</ul>"]
        i, j = self.highlight
        a, b, c = self.names
        A_h = html_matrix(self.A, caption=f"{a} ({shape_str(self.A.shape)})", row=i,
                          digits=self.digits, sep=self.sep)
        B_h = html_matrix(self.B, caption=f"{b} ({shape_str(self.B.shape)})", col=j, digits=self.digits)
        C_h = html_matrix(self.cells, caption=f"{c} ({shape_str(self.cells.shape)})", cell=(i, j),
                          digits=self.digits)
        layout = (f'<table class="gn-layout"><tr><td></td><td>{B_h}</td></tr>'
                  f"<tr><td>{A_h}</td><td>{C_h}</td></tr></table>")
        shown, more = self._cell_indices()
        cells = []
        for r, s in shown:
            text = html.escape(self.cell_line(r, s))
            cells.append(f'<span class="gn-cell">{text}</span>' if (r, s) == (i, j) else text)
        if more:
            cells.append(f"… and {more} more cells, each the same way")
        return [f"<p>{html.escape(self.shape_rule())}</p>", layout,
                f"<p>{html.escape(self.highlight_line())}</p>",
                "<pre>" + "\n".join(cells) + "</pre>", f"<p>{html.escape(self.check_line())}</p>"]

    def raise_for_shape(self):
        """Raise the :class:`~glassnet.ShapeError` that glassnet's matmul would, with the
        explanation's words, when the shapes do not fit."""
        if not self.ok:
            raise ShapeError(self.problem + " Likely fixes: " + "; ".join(self.fixes))


def cell_lines(text):
    """One cell's sum as lines indented by 2 that fit the width (continuations by 6)."""
    return textwrap.wrap(text, text_width() - 2, initial_indent="  ", subsequent_indent="      ",
                         break_on_hyphens=False) if text else ["  "]


def _column_end(line, j):
    """The character offset of the last character of the highlighted column (the segment
    styled ``col``; column ``j`` stays shown when a wide matrix elides others)."""
    pos = 0
    for text, style in line:
        if style == "col":
            return pos + len(text) - 1
        pos += len(text)
    return 0


def _mismatch(sa, sb, names):
    a, b, c = names
    problem = (f"{a} ({shape_str(sa)}) · {b} ({shape_str(sb)}): cannot multiply — {a} has "
               f"{sa[1]} columns but {b} has {sb[0]} rows. The inner sizes must match: each "
               f"{c}[i,j] is a dot product of a row of {a} (length {sa[1]}) with a column of "
               f"{b} (length {sb[0]}), and vectors of different lengths have none.")
    fixes = []
    if sa[1] == sb[1]:
        fixes.append(f"transpose {b}: {a}·{b}ᵀ is ({sa[0]}×{sa[1]})·({sb[1]}×{sb[0]}) → "
                     f"({sa[0]}×{sb[0]}) — as nn.Linear does with its weight (x·Wᵀ)")
    if sa[0] == sb[0]:
        fixes.append(f"transpose {a}: {a}ᵀ·{b} is ({sa[1]}×{sa[0]})·({sb[0]}×{sb[1]}) → "
                     f"({sa[1]}×{sb[1]})")
    if sb[1] == sa[0]:
        fixes.append(f"swap the order: {b}·{a} is ({sb[0]}×{sb[1]})·({sa[0]}×{sa[1]}) → "
                     f"({sb[0]}×{sa[1]})")
    fixes.append(f"if {b} is a layer's weight, the layer's in_features must be {sa[1]} (the "
                 f"size of what comes in), or the previous layer must output {sb[0]} features")
    return problem, fixes


def matmul(A, B, highlight=(0, 0), names=("A", "B", "C"), max_cells=24, digits=4):
    """Explain ``C = A·B`` by hand.

    ``A`` (n, k) and ``B`` (k, m) may be Tensors, arrays or nested lists. Returns a
    :class:`MatmulExplanation`: the shape rule ``(n×k)·(k×m) → (n×m)`` and why, every cell
    as its row·column dot product with the numbers (``C[0,1] = 1·5 + 1·4 = 9``), laid out
    with B above, A to the left and C below B, the ``highlight`` cell's row and column
    marked (colours in a terminal, CSS in HTML). Shapes that do not fit are explained,
    with the likely fix, instead of raising (``raise_for_shape()`` raises).

    Args:
        A: the left matrix ``(n, k)`` (a vector ``(k,)`` is one row).
        B: the right matrix ``(k, m)`` (a vector ``(k,)`` is one column).
        highlight: the cell ``(i, j)`` whose row and column are marked.
        names: what to call A, B and C in the text.
        max_cells: list every cell's dot product up to this many cells.
        digits: significant digits shown.

    Returns:
        MatmulExplanation: prints as text; ``to_html()``; attributes ``A``, ``B``, ``C``,
        ``products`` ``(n, k, m)`` and ``cells``.

    Example:
        >>> import glassnet as gn, glassnet.explain
        >>> by_hand = gn.explain.matmul([[1, 1], [-1, 1]], [[1, 5, 2], [2, 4, 2]], highlight=(0, 1))
        >>> by_hand.C.astype(int).tolist()
        [[3, 9, 4], [1, -1, 0]]
        >>> by_hand.cell_line(0, 1)
        'C[0,1] = 1·5 + 1·4 = 9'
    """
    return MatmulExplanation(A, B, highlight=highlight, names=names, max_cells=max_cells,
                             digits=digits)
