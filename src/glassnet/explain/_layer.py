"""One dense layer by hand: ``z = W·x + b`` as the augmented product ``[W | b]·[x; 1]``,
then the activation element by element (a mask such as ReLU's, or each value), for one
input or a batch. The activation's formula is its primitive's (:mod:`._activation`)."""

import html

import numpy as np

from glassnet._errors import GlassnetTypeError, ShapeError
from glassnet.explain._activation import activation_of
from glassnet.explain._matmul import MatmulExplanation, cell_lines
from glassnet.explain._render import (
    Explanation,
    agreement,
    flow,
    fmt,
    html_matrix,
    label_block,
    matrix_block,
    render_block,
    to_numpy,
    vcat,
    wrap,
)

__all__ = ["LayerExplanation", "layer", "split_layer"]


def _apply_activation(module, rule, Z):
    """``A = f(Z)`` by the engine: the module itself when given one, else the primitive."""
    import glassnet as gn
    from glassnet.nn import Module

    if not isinstance(module, Module):
        return rule.apply(Z)
    with gn.no_grad():
        return to_numpy(module(gn.tensor(Z, dtype=gn.float64))).astype(np.float64)


def _negation(condition):
    """``"≤ 0"`` for ``"z > 0"`` (a comparison turned round), else ``"outside <condition>"``."""
    flip = {">": "≤", "<": "≥", "≥": "<", "≤": ">", ">=": "<", "<=": ">"}
    parts = condition.split(" ", 2)
    return f"{flip[parts[1]]} {parts[2]}" if len(parts) == 3 and parts[1] in flip else f"outside {condition}"


def split_layer(module):
    """``(linear, activation)`` from a Linear, or a Sequential/list/tuple of a Linear and
    one activation."""
    from glassnet.nn import Linear

    parts = list(module) if isinstance(module, list | tuple) or hasattr(module, "__iter__") else [module]
    if not parts or not isinstance(parts[0], Linear) or len(parts) > 2:
        raise GlassnetTypeError(
            f"explain.layer: expected nn.Linear or Sequential(Linear, activation), got "
            f"{type(module).__name__} with {[type(p).__name__ for p in parts]}")
    return parts[0], (parts[1] if len(parts) == 2 else None)


class LayerExplanation(Explanation):
    """One layer ``a = f(W·x + b)`` by hand. Attributes: ``W`` (out, in), ``b`` (out,),
    ``X`` (N, in) the inputs as rows, ``Z``/``A`` (N, out) the engine's pre-activations and
    activations, ``Z_by_hand`` from the augmented product, ``activation`` (its
    :class:`~glassnet.explain._activation.ActivationRule`, read from the primitive),
    ``mask`` (when f′ is a 0/1 mask that kept or zeroed each entry, as ReLU's ``[Z > 0]``),
    ``product`` (the :class:`MatmulExplanation` of ``[W | b]·[X; 1]``, or of
    ``[X | 1]·[Wᵀ; bᵀ]`` in row notation), ``params`` (weights + biases)."""

    def __init__(self, linear, activation=None, X=None, Z=None, A=None, notation="column",
                 index=None, cells=True, digits=4):
        if notation not in ("column", "row"):
            raise GlassnetTypeError(f"explain.layer: notation must be 'column' or 'row', got {notation!r}")
        W = to_numpy(linear.weight)
        b = to_numpy(linear.bias) if linear.bias is not None else np.zeros(W.shape[0])
        X = to_numpy(X)
        self.single = X.ndim == 1
        X = X.reshape(1, -1) if self.single else X
        if X.ndim != 2 or X.shape[1] != W.shape[1]:
            raise ShapeError(f"explain.layer: Linear({W.shape[1]}→{W.shape[0]}) needs inputs "
                             f"(N, {W.shape[1]}) or ({W.shape[1]},), got {tuple(X.shape)}")
        self.W, self.b, self.X, self.has_bias = W, b, X, linear.bias is not None
        self.activation = activation_of(activation, width=W.shape[0], where="explain.layer")
        self.act_name = self.activation.name
        self.has_act = activation is not None
        if Z is None:
            import glassnet as gn

            with gn.no_grad():
                Z = linear(gn.tensor(X, dtype=linear.weight.dtype)).numpy()
        self.Z = to_numpy(Z).reshape(X.shape[0], -1)
        self.A = to_numpy(A).reshape(self.Z.shape) if A is not None else \
            _apply_activation(activation, self.activation, self.Z)
        self.mask = self._mask()
        self.notation, self.cells, self.digits = notation, cells, digits
        self.params = W.size + (b.size if self.has_bias else 0)
        self.product = self._product()
        self.Z_by_hand = self.product.cells if notation == "row" else self.product.cells.T
        where = f"Layer {index}: " if index is not None else "A layer by hand: "
        act = f" + {self.act_name}" if self.has_act else ""
        self.title = f"{where}Linear({W.shape[1]}→{W.shape[0]}){act}"

    def _mask(self):
        """f′ as a 0/1 mask when the primitive's derivative is one (``[z > 0]``) and the
        activation kept the entries inside it and zeroed the rest; else None."""
        if self.activation.mask_condition() is None:
            return None
        mask = self.activation.derivative(self.Z, self.A) != 0
        return mask if np.array_equal(self.A, np.where(mask, self.Z, 0)) else None

    def _product(self):
        """``[W | b]·[X; 1]`` (column view) or ``[X | 1]·[Wᵀ; bᵀ]`` (row view); without a
        bias just ``W·X`` / ``X·Wᵀ`` — no column of zeros for a bias the layer lacks."""
        ones = np.ones((self.X.shape[0], 1))
        n_in = self.W.shape[1]
        z = "z" if self.single and self.notation == "column" else "Z"
        x_name = "x" if self.single else "X"
        if not self.has_bias:
            if self.notation == "column":
                return MatmulExplanation(self.W, self.X.T, names=("W", x_name, z), digits=self.digits,
                                         max_cells=12)
            return MatmulExplanation(self.X, self.W.T, names=("X", "Wᵀ", "Z"), digits=self.digits,
                                     max_cells=12)
        if self.notation == "column":
            Wb = np.concatenate([self.W, self.b[:, None]], axis=1)
            X1 = np.concatenate([self.X, ones], axis=1).T
            return MatmulExplanation(Wb, X1, names=("[W | b]", f"[{x_name}; 1]", z),
                                     digits=self.digits, max_cells=12, sep=n_in)
        X1 = np.concatenate([self.X, ones], axis=1)
        Wt = np.concatenate([self.W.T, self.b[None, :]], axis=0)
        return MatmulExplanation(X1, Wt, names=("[X | 1]", "[Wᵀ; bᵀ]", "Z"), digits=self.digits,
                                 max_cells=12)

    # -- words ---------------------------------------------------------------------------
    def intro(self):
        (out, n_in), N = self.W.shape, self.X.shape[0]
        bias = (f" + {out} {'bias' if out == 1 else 'biases'}" if self.has_bias else " (no bias)")
        lines = [f"Parameters: W is {out}×{n_in} = {self.W.size} weights{bias} = {self.params}."]
        product = self.product.names[0] + "·" + self.product.names[1]
        if self.notation == "column":
            if self.has_bias:
                lines.append("z = W·x + b  is the same as  [W | b]·[x; 1]: the bias becomes one more "
                             "column of W, multiplied by a constant 1 appended to x.")
            else:
                lines.append("No bias: z = W·x, one row of W times x per output.")
            if N > 1:
                lines.append(f"A batch of {N} inputs: the inputs are the columns of X, side by side, "
                             f"so {product} computes all {N} at once — one column of Z per input, "
                             "with the same weights.")
        else:
            bias = " + b" if self.has_bias else ""
            lines.append(f"Row view (PyTorch's nn.Linear): Z = X·Wᵀ{bias} with X ({N}×{n_in}) → Z "
                         f"({N}×{out}); as {product}, one row per input. It is the column "
                         f"view transposed: Zᵀ = W·Xᵀ{bias}.")
        return wrap("\n".join(lines))

    def activation_block(self):
        Zc, Ac = (self.Z, self.A) if self.notation == "row" else (self.Z.T, self.A.T)
        off = (~self.mask if self.notation == "row" else ~self.mask.T) if self.mask is not None else None
        zname, aname = ("z", "a") if self.single else ("Z", "A")
        blocks = [vcat(label_block(zname), matrix_block(Zc, digits=self.digits)),
                  vcat(label_block(f"{aname} = {self.act_name}({zname})"),
                       matrix_block(Ac, off=off, digits=self.digits))]
        if off is not None:
            blocks.append(vcat(label_block(f"mask {self.activation.derivative_formula(zname, aname)}"),
                               matrix_block((~off).astype(float), off=off)))
        return flow(blocks, gap=4)

    def activation_words(self):
        words = f"Activation, element by element: {self.activation.formula()}."
        if self.mask is not None:
            cond = self.activation.mask_condition()
            outside = _negation(cond)
            off = np.argwhere(~self.mask)
            if len(off) == 0:
                return words + f" No entry was {outside}: the mask [{cond}] is all ones and a = z."
            shown = ", ".join(f"{fmt(self.Z[i, j], self.digits)}" for i, j in off[:8])
            more = f" (and {len(off) - 8} more)" if len(off) > 8 else ""
            return (words + f" The mask [{cond}] is 1 where {cond}, 0 elsewhere: {len(off)} of "
                    f"{self.Z.size} entries were {outside} ({shown}{more}) and became 0. "
                    "The same mask lets gradients through in backprop.")
        f = self.activation.symbol
        pairs = ", ".join(f"{f}({fmt(z, self.digits)}) = {fmt(a, self.digits)}"
                          for z, a in zip(self.Z.ravel()[:6], self.A.ravel()[:6], strict=True))
        return words + f" {pairs}" + (" …" if self.Z.size > 6 else "")

    def check_line(self):
        return f"Check: the layer itself (the engine) gives the same z ({agreement(self.Z_by_hand, self.Z)})."

    # -- rendering -----------------------------------------------------------------------
    def _text_parts(self, color):
        product = render_block(self.product.layout_block(), color)
        parts = [self.intro(), product]
        if self.cells:
            shown, more = self.product._cell_indices()
            lines = [part for i, j in shown for part in cell_lines(self.product.cell_line(i, j))]
            lines += [f"  … and {more} more cells"] if more else []
            parts.append("Every cell:\n" + "\n".join(lines))
        if self.has_act:
            parts += [wrap(self.activation_words()), render_block(self.activation_block(), color)]
        return parts + [wrap(self.check_line())]

    def _html_parts(self):
        product_html = self.product._html_parts()[1]
        Zc, Ac = (self.Z, self.A) if self.notation == "row" else (self.Z.T, self.A.T)
        off = None if self.mask is None else (~self.mask if self.notation == "row" else ~self.mask.T)
        z_html = html_matrix(Zc, caption="z", digits=self.digits)
        a_html = html_matrix(Ac, caption=self.act_name, off=off, digits=self.digits)
        acts = f'<table class="gn-layout"><tr><td>{z_html}</td><td>{a_html}</td></tr></table>'
        acts = f"<p>{html.escape(self.activation_words())}</p>{acts}" if self.has_act else ""
        return [f"<p>{html.escape(self.intro())}</p>", product_html, acts,
                f"<p>{html.escape(self.check_line())}</p>"]


def layer(module, x, activation=None, notation="column", cells=True, digits=4):
    """Explain one dense layer ``a = f(W·x + b)`` by hand.

    ``module``: an ``nn.Linear`` (then ``activation`` is a module, the name of an
    activation primitive — ``"relu"``, ``"sigmoid"``, … any ``Activation`` subclass — or
    the subclass itself) or ``Sequential(Linear, activation)``. ``x``: one input ``(in,)`` or
    a batch ``(N, in)`` (rows, as PyTorch; shown as columns side by side in the column
    notation). ``notation="row"`` shows ``Z = X·Wᵀ + b`` instead of ``z = W·x + b``.

    Args:
        module: an ``nn.Linear``, or ``Sequential(Linear, activation)``.
        x: one input ``(in,)`` or a batch ``(N, in)``.
        activation: the activation after a bare Linear (module, name or class; None: none).
        notation: ``"column"`` (``[W | b]·[x; 1]``) or ``"row"`` (``X·Wᵀ + b``).
        cells: also list every cell's dot product.
        digits: significant digits shown.

    Returns:
        LayerExplanation: prints as text; ``to_html()``; attributes ``W``, ``b``, ``X``,
        ``Z`` and ``A`` (one row per input, PyTorch's layout) and ``params``.

    Example:
        >>> import glassnet as gn, glassnet.explain
        >>> neuron = gn.nn.Linear(3, 1, dtype=gn.float64)
        >>> with gn.no_grad():
        ...     _ = neuron.weight.copy_(gn.tensor([[1.0, -1.0, 2.0]], dtype=gn.float64))
        ...     _ = neuron.bias.fill_(-1.0)
        >>> by_hand = gn.explain.layer(neuron, [0, 3, 1], activation="relu")
        >>> by_hand.Z.tolist(), by_hand.A.tolist(), by_hand.params
        ([[-2.0]], [[0.0]], 4)
    """
    linear, act = split_layer(module)
    act = act if activation is None else activation
    return LayerExplanation(linear, act, X=x, notation=notation, cells=cells, digits=digits)
