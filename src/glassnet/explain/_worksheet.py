"""By-hand worksheets: small-integer exercises with blanks, and a separate answer key
computed by glassnet itself. The same ``(kind, seed, size)`` always gives the same sheet."""

import html
import itertools

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.explain._activation import activation_module, activation_of
from glassnet.explain._render import (
    CSS,
    Explanation,
    flow,
    html_matrix,
    label_block,
    matrix_block,
    render_block,
    shape_str,
    vcat,
    wrap,
)

__all__ = ["Worksheet", "worksheet", "KINDS"]

KINDS = ("matmul", "neuron", "layer", "batch", "mlp", "backprop", "attention")
DEFAULT_SIZES = {"matmul": (2, 3, 2), "neuron": (3,), "layer": (3, 4), "batch": (3, 4, 3),
                 "mlp": (3, 4, 4, 2), "backprop": (2, 3, 2), "attention": (3, 2, 4)}
BLANK_WIDTH = 7
BLANK_CSS = (".gn-blank{border-collapse:collapse;margin-top:2px}"
             ".gn-blank td{border:1px solid #444;min-width:3.6em;height:1.9em;padding:0}"
             ".gn-explain caption,.gn-blank-label{white-space:nowrap;text-align:left}"
             ".gn-layout>tbody>tr>td{vertical-align:top}")


def _blank_block(shape):
    """A grid of empty boxes, one per cell, with column and row lines (rows × cols)."""
    rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
    bar = ["─" * BLANK_WIDTH] * cols
    top, mid, bottom = ("┌" + "┬".join(bar) + "┐", "├" + "┼".join(bar) + "┤", "└" + "┴".join(bar) + "┘")
    cells = "│" + "│".join([" " * BLANK_WIDTH] * cols) + "│"
    lines = [top]
    for r in range(rows):
        lines += [cells, mid if r < rows - 1 else bottom]
    return [[(line, None)] for line in lines]


def _blank_html(label, shape):
    row = "<tr>" + "<td></td>" * shape[1] + "</tr>"
    # the label above the table, not its <caption>: a long label must not widen the boxes
    return (f'<div class="gn-blank-label">{html.escape(label)} ({shape_str(shape)})</div>'
            f'<table class="gn-blank">{row * shape[0]}</table>')


def _layout_rows(cells, per_row=4):
    """HTML cells in rows of ``per_row`` (a wide sheet wraps instead of running off the page)."""
    rows = ["<tr>" + "".join(f"<td>{c}</td>" for c in cells[r:r + per_row]) + "</tr>"
            for r in range(0, len(cells), per_row)]
    return f'<table class="gn-layout">{"".join(rows)}</table>'


def _col(v):
    return np.asarray(v, dtype=np.float64).reshape(-1, 1)


def _model(Ws, bs, activation):
    """Linear layers holding ``Ws``/``bs``, ``activation`` after each but the last."""
    import glassnet as gn
    from glassnet import nn

    layers = []
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        lin = nn.Linear(W.shape[1], W.shape[0], dtype=gn.float64)
        lin.weight.array[...] = W
        lin.bias.array[...] = b
        layers += [lin] + ([activation_module(activation, "worksheet")] if k < len(Ws) - 1 else [])
    return nn.Sequential(*layers)


class Worksheet(Explanation):
    """A sheet: ``givens`` (label → matrix), ``asks`` (label → shape), ``answers`` (label →
    the engine's numbers, in the same order as ``asks``), ``instructions``;
    ``answer_key`` is the key as its own explanation (text and HTML)."""

    def __init__(self, kind, seed, sizes, instructions, givens, answers, answer_key=None):
        self.kind, self.seed, self.sizes = kind, seed, tuple(sizes)
        self.instructions, self.givens, self.answers = instructions, givens, answers
        self.asks = {label: np.atleast_2d(v).shape if np.ndim(v) == 2 else (np.size(v), 1)
                     for label, v in answers.items()}
        self.title = f"Worksheet: {kind} (seed {seed}, sizes {','.join(map(str, sizes))})"
        self.answer_key = _AnswerKey(self, answer_key)

    def _givens_block(self):
        return flow([vcat(label_block(f"{k} ({shape_str(np.atleast_2d(v).shape)})"), matrix_block(v))
                     for k, v in self.givens.items()], gap=4, row_gap=1)

    def _asks_block(self):
        blocks = [vcat(label_block(f"{k} ({shape_str(s)})"), _blank_block(s)) for k, s in self.asks.items()]
        return flow(blocks, gap=4, max_per_row=4, row_gap=1)

    def _text_parts(self, color):
        return ["Name: ______________________", wrap(self.instructions),
                "Given:\n" + render_block(self._givens_block(), color),
                "Fill in:\n" + render_block(self._asks_block(), color)]

    def _html_parts(self):
        givens = [html_matrix(v, caption=f"{k} ({shape_str(np.atleast_2d(v).shape)})")
                  for k, v in self.givens.items()]
        asks = [_blank_html(k, s) for k, s in self.asks.items()]
        return [f"<p>Name: ______________________</p><p>{html.escape(self.instructions)}</p>",
                f"<p>Given:</p>{_layout_rows(givens, 6)}", f"<p>Fill in:</p>{_layout_rows(asks)}"]

    def to_html(self, full_page=True):
        """A printable page (``full_page=False`` for a fragment)."""
        page = super().to_html(full_page=full_page)
        return page.replace(f"<style>{CSS}</style>", f"<style>{CSS}{BLANK_CSS}</style>", 1)

    def _repr_html_(self):
        """In a notebook: the sheet as a fragment (a whole page is for printing)."""
        return self.to_html(full_page=False)


class _AnswerKey(Explanation):
    def __init__(self, sheet, detail):
        self.sheet, self.detail = sheet, detail
        self.title = f"Answer key: {sheet.kind} (seed {sheet.seed})"

    def _text_parts(self, color):
        blocks = [vcat(label_block(k), matrix_block(np.atleast_2d(v) if np.ndim(v) == 2 else _col(v)))
                  for k, v in self.sheet.answers.items()]
        parts = [render_block(flow(blocks, gap=4, max_per_row=4, row_gap=1), color)]
        if self.detail is not None:
            parts.append("Worked solution:\n\n" + self.detail.to_text(color))
        return parts

    def _html_parts(self):
        cells = [html_matrix(np.atleast_2d(v) if np.ndim(v) == 2 else _col(v), caption=k)
                 for k, v in self.sheet.answers.items()]
        extra = "" if self.detail is None else self.detail.to_html()
        return [_layout_rows(cells), extra]

    def to_html(self, full_page=False):
        page = super().to_html(full_page=full_page)
        return page.replace(f"<style>{CSS}</style>", f"<style>{CSS}{BLANK_CSS}</style>", 1)


# -- the kinds -------------------------------------------------------------------------


def _ints(rng, shape, low=-2, high=3):
    return rng.integers(low, high + 1, size=shape).astype(np.float64)


def _matmul(rng, sizes, act):
    from glassnet.explain._matmul import matmul

    n, k, m = sizes
    A, B = _ints(rng, (n, k)), _ints(rng, (k, m))
    e = matmul(A, B)
    return ("Multiply by hand: C = A·B. Write B above and to the right, A to the left, and "
            "fill each cell of C below B with (row of A)·(column of B).",
            {"A": A, "B": B}, {"C": e.C}, e)


def _dense(rng, sizes, act, kind):
    from glassnet.explain._layer import LayerExplanation

    if kind == "neuron":
        n_in, out, N = sizes[0], 1, 1
    else:
        n_in, out = sizes[0], sizes[1]
        N = sizes[2] if kind == "batch" else 1
    W, b, X = _ints(rng, (out, n_in)), _ints(rng, (out,)), _ints(rng, (N, n_in))
    lin = _model([W], [b], act)[0]
    e = LayerExplanation(lin, act, X=X[0] if N == 1 else X)
    x_label = "X (inputs as columns)" if N > 1 else "x"
    givens = {"W": W, "b": _col(b), x_label: X.T}
    z, a = ("Z", "A") if N > 1 else ("z", "a")
    f = f"{e.act_name}({z}), where {e.activation.formula(z, a)}"
    words = {"neuron": f"One neuron: compute z = w·x + b (a dot product plus the bias), then a = {f}.",
             "layer": f"A layer: compute z = W·x + b row by row, then a = {f}, element by element.",
             "batch": f"A batch of {N} inputs side by side: Z = W·X + b (b added to every column), "
                      f"then A = {f}."}[kind]
    return words, givens, {z: e.Z.T, a: e.A.T}, e


def _mlp(rng, sizes, act):
    from glassnet.explain._forward import ForwardExplanation

    Ws = [_ints(rng, (o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [_ints(rng, (o,), -1, 1) for o in sizes[1:]]
    x = _ints(rng, (sizes[0],), 0, 2)
    e = ForwardExplanation(_model(Ws, bs, act), x)
    givens = {"x": _col(x)}
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True), 1):
        givens[f"W{k}"], givens[f"b{k}"] = W, _col(b)
    answers = {}
    for k, lay in enumerate(e.layers, 1):
        answers[f"z{k}"] = lay.Z.T
        if lay.has_act:
            answers[f"a{k}"] = lay.A.T
    rule = activation_of(act)
    return (f"A forward pass: layer by layer, z = W·a + b and a = {rule.name}(z), where "
            f"{rule.formula()} (the last layer has no activation; its z is the output).", givens, answers, e)


def _backprop(rng, sizes, act):
    from glassnet.explain._backprop import BackpropExplanation

    Ws = [_ints(rng, (o, i), -1, 2) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [_ints(rng, (o,), -1, 1) for o in sizes[1:]]
    x, y = _ints(rng, (sizes[0],), 0, 2), _ints(rng, (sizes[-1],), 0, 2)
    e = BackpropExplanation(_model(Ws, bs, act), x, y, loss="sse", lr=0.1)
    givens = {"x": _col(x), "y": _col(y)}
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True), 1):
        givens[f"W{k}"], givens[f"b{k}"] = W, _col(b)
    answers = {}
    for s in e.steps[1:]:
        for name, (value, _) in s.values.items():
            key = name.replace(" new", "′ (new)")
            answers[key] = value.T if value.ndim == 2 and name.startswith(("dZ", "dA")) else value
    rule = activation_of(act)
    return (f"Backpropagation: forward pass ({rule.name} hidden layers: {rule.formula()}; linear output), "
            "loss L = ½·Σ(ŷ − y)², so ∂L/∂z_out = ŷ − y. Then dW = dz·aᵀ, db = dz, da = Wᵀ·dz, "
            f"dz = da ⊙ {rule.derivative_formula()}, and one gradient-descent step with lr = 0.1.",
            givens, answers, e)


def _tokens(rng, L, E):
    """L rows of entries in {-1, 0, 1}: different from each other and none all zeros while
    there are enough such rows (a token of zeros would attend uniformly, teaching nothing)."""
    if 3 ** E > 4096 or L > 3 ** E - 1:
        return _ints(rng, (L, E), -1, 1)
    rows = np.array(list(itertools.product((-1.0, 0.0, 1.0), repeat=E)))
    rows = rows[rows.any(axis=1)]
    return rows[rng.permutation(len(rows))[:L]]


def _attention(rng, sizes, act):
    """Self-attention of L tokens (E features each) with one head of width d."""
    import glassnet as gn
    from glassnet.explain._attention import attention

    L, E, d = sizes
    X = _tokens(rng, L, E)
    W_Q, W_K, W_V = (_ints(rng, (E, d), -1, 1) for _ in range(3))
    e = attention((X, W_Q, W_K, W_V), digits=4)
    with gn.no_grad():  # the engine's numbers, step by step
        Q, K, V = (gn.tensor(X) @ gn.tensor(w) for w in (W_Q, W_K, W_V))
        S = Q @ K.T
        Z = S / float(np.sqrt(d))
        P = gn.softmax(Z, dim=-1)
        answers = {"Q": Q, "K": K, "V": V, "S = Q·Kᵀ": S, f"Z = S/√{d}": Z, "P = softmax(Z)": P,
                   "A = P·V": P @ V}
    root = f"√{d} = {np.sqrt(d):g}" if float(np.sqrt(d)).is_integer() else f"√{d} ≈ {np.sqrt(d):.4f}"
    words = (f"Attention by hand, {L} tokens (the rows of X), one head of width {d}: the projections "
             "Q = X·W_Q, K = X·W_K, V = X·W_V; the scores S = Q·Kᵀ (S[i,j] = row i of Q · row j "
             f"of K); scale them, Z = S/√d with {root}; softmax each row of Z, P[i,j] = "
             "exp(Z[i,j]) / Σ_m exp(Z[i,m]) (a calculator for exp; round to 4 digits); then the "
             "weighted sum of the values, A = P·V.")
    return words, {"X": X, "W_Q": W_Q, "W_K": W_K, "W_V": W_V}, \
        {k: v.numpy() for k, v in answers.items()}, e


def worksheet(kind="matmul", seed=0, size=None, activation=None):
    """A by-hand worksheet with blanks and a separate answer key.

    ``kind``: one of ``matmul, neuron, layer, batch, mlp, backprop, attention``, or a list of layer
    sizes (an MLP spec, e.g. ``(3, 4, 2)``), or a Sequential of Linear layers (its sizes
    and activation are used; the exercise draws its own small integers). ``size``: the
    shape knobs (matmul ``(n, k, m)``, neuron ``(in,)``, layer ``(in, out)``, batch
    ``(in, out, N)``, mlp/backprop the layer sizes, attention ``(tokens, features, head
    width)``, default ``(3, 2, 4)`` so that √d = 2). ``activation``: after each hidden
    layer (default ReLU) — a name (``"tanh"``), an ``Activation`` primitive class or an
    activation module; its formula and derivative are the primitive's. Deterministic per
    ``(kind, seed, size, activation)``. ``sheet.to_html()`` is a printable page;
    ``sheet.answer_key`` the key.

    Args:
        kind: the exercise (a name above, a list of layer sizes, or a Sequential).
        seed: chooses the numbers; the same seed gives the same sheet.
        size: the shape knobs (see above; None: the kind's default).
        activation: the hidden layers' activation (default ReLU).

    Returns:
        Worksheet: ``to_html()`` (blanks), ``to_text()``, ``answer_key`` (computed by
        glassnet itself).

    Example:
        >>> import glassnet as gn, glassnet.explain
        >>> sheet = gn.explain.worksheet("matmul", seed=3)
        >>> sheet.to_html().startswith("<!DOCTYPE html>")
        True
        >>> str(sheet.answer_key).splitlines()[0]
        'Answer key: matmul (seed 3)'
    """
    if not isinstance(kind, str):
        size, model_act = _spec_of(kind)
        activation = model_act if activation is None else activation
        kind = "mlp"
    if kind not in KINDS:
        raise GlassnetValueError(f"worksheet: kind must be one of {KINDS}, got {kind!r}")
    sizes = tuple(int(s) for s in (size or DEFAULT_SIZES[kind]))
    if min(sizes) < 1 or len(sizes) != len(DEFAULT_SIZES[kind]) and kind not in ("mlp", "backprop"):
        raise GlassnetValueError(f"worksheet {kind}: size needs {len(DEFAULT_SIZES[kind])} positive "
                                 f"numbers like {DEFAULT_SIZES[kind]}, got {sizes}")
    act = "relu" if activation is None else activation
    activation_of(act, where="worksheet")  # an unknown activation fails here, by name
    rng = np.random.default_rng(seed)
    build = {"matmul": _matmul, "mlp": _mlp, "backprop": _backprop, "attention": _attention}.get(kind)
    made = build(rng, sizes, act) if build else _dense(rng, sizes, act, kind)
    return Worksheet(kind, seed, sizes, *made)


def _spec_of(spec):
    """``(sizes, activation module or None)`` of an MLP spec or a Sequential."""
    from glassnet.explain._forward import layer_groups

    if isinstance(spec, list | tuple) and all(isinstance(s, int) for s in spec):
        return tuple(spec), None
    groups = layer_groups(spec)
    sizes = (groups[0][0].in_features,) + tuple(g[0].out_features for g in groups)
    return sizes, next((act for _, act in groups if act is not None), None)
