"""One dense layer by hand: ``z = W·x + b`` as the augmented product ``[W | b]·[x; 1]``,
then the activation element by element (the ReLU mask), for one input or a batch."""

import html

import numpy as np

from glassnet._errors import GlassnetTypeError, ShapeError
from glassnet.explain._matmul import MatmulExplanation
from glassnet.explain._render import (
    Explanation,
    agreement,
    fmt,
    hcat,
    html_matrix,
    label_block,
    matrix_block,
    render_block,
    to_numpy,
    vcat,
    wrap,
)

__all__ = ["LayerExplanation", "layer", "activation_name", "split_layer"]

_FORMULAS = {"ReLU": "a = max(z, 0)", "Sigmoid": "a = σ(z) = 1 / (1 + e^(−z))",
             "Tanh": "a = tanh(z)", "LeakyReLU": "a = z if z > 0 else slope·z",
             "Identity": "a = z (no activation)", "GELU": "a = z·Φ(z)"}


def activation_name(act):
    """``"ReLU"`` for ``nn.ReLU()``, ``"relu"`` or ``None`` (→ ``"Identity"``)."""
    if act is None:
        return "Identity"
    if isinstance(act, str):
        names = {n.lower(): n for n in _FORMULAS}
        if act.lower() not in names:
            raise GlassnetTypeError(f"explain.layer: unknown activation {act!r}; "
                                    f"use one of {sorted(names)} or an activation module")
        return names[act.lower()]
    return type(act).__name__


def _apply_activation(name, act, Z):
    """The activation applied by the engine (the module itself when given one)."""
    import glassnet as gn

    with gn.no_grad():
        z = gn.tensor(Z)
        if act is not None and not isinstance(act, str):
            return act(z).numpy()
        funcs = {"ReLU": gn.relu, "Sigmoid": gn.sigmoid, "Tanh": gn.tanh,
                 "LeakyReLU": gn.leaky_relu, "GELU": gn.gelu, "Identity": lambda t: t}
        return funcs[name](z).numpy()


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
    activations, ``Z_by_hand`` from the augmented product, ``mask`` (ReLU: ``Z > 0``),
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
        self.act_name = activation_name(activation)
        self.has_act = activation is not None
        if Z is None:
            import glassnet as gn

            with gn.no_grad():
                Z = linear(gn.tensor(X, dtype=linear.weight.dtype)).numpy()
        self.Z = to_numpy(Z).reshape(X.shape[0], -1)
        self.A = to_numpy(A).reshape(self.Z.shape) if A is not None else \
            _apply_activation(self.act_name, activation, self.Z).astype(np.float64)
        self.mask = self.Z > 0 if self.act_name == "ReLU" else None
        self.notation, self.cells, self.digits = notation, cells, digits
        self.params = W.size + (b.size if self.has_bias else 0)
        self.product = self._product()
        self.Z_by_hand = self.product.cells if notation == "row" else self.product.cells.T
        where = f"Layer {index}: " if index is not None else "A layer by hand: "
        act = f" + {self.act_name}" if self.has_act else ""
        self.title = f"{where}Linear({W.shape[1]}→{W.shape[0]}){act}"

    def _product(self):
        ones = np.ones((self.X.shape[0], 1))
        n_in = self.W.shape[1]
        if self.notation == "column":
            Wb = np.concatenate([self.W, self.b[:, None]], axis=1)
            X1 = np.concatenate([self.X, ones], axis=1).T
            x_name = "[x; 1]" if self.single else "[X; 1]"
            return MatmulExplanation(Wb, X1, names=("[W | b]", x_name, "z" if self.single else "Z"),
                                     digits=self.digits, max_cells=12, sep=n_in)
        X1 = np.concatenate([self.X, ones], axis=1)
        Wt = np.concatenate([self.W.T, self.b[None, :]], axis=0)
        return MatmulExplanation(X1, Wt, names=("[X | 1]", "[Wᵀ; bᵀ]", "Z"), digits=self.digits,
                                 max_cells=12)

    # -- words ---------------------------------------------------------------------------
    def intro(self):
        (out, n_in), N = self.W.shape, self.X.shape[0]
        bias = f" + {out} biases" if self.has_bias else " (no bias)"
        lines = [f"Parameters: W is {out}×{n_in} = {self.W.size} weights{bias} = {self.params}."]
        if self.notation == "column":
            lines.append("z = W·x + b  is the same as  [W | b]·[x; 1]: the bias becomes one more "
                         "column of W, multiplied by a constant 1 appended to x.")
            if N > 1:
                lines.append(f"A batch of {N} inputs: the inputs are the columns of X, side by side, "
                             f"so [W | b]·[X; 1] computes all {N} at once — one column of Z per input, "
                             "with the same weights.")
        else:
            lines.append(f"Row view (PyTorch's nn.Linear): Z = X·Wᵀ + b with X ({N}×{n_in}) → Z "
                         f"({N}×{out}); as [X | 1]·[Wᵀ; bᵀ], one row per input. It is the column "
                         "view transposed: Zᵀ = W·Xᵀ + b.")
        return wrap("\n".join(lines))

    def activation_block(self):
        Zc, Ac = (self.Z, self.A) if self.notation == "row" else (self.Z.T, self.A.T)
        off = (~self.mask if self.notation == "row" else ~self.mask.T) if self.mask is not None else None
        zname, aname = ("z", "a") if self.single else ("Z", "A")
        blocks = [vcat(label_block(zname), matrix_block(Zc, digits=self.digits)),
                  vcat(label_block(f"{aname} = {self.act_name}({zname})"),
                       matrix_block(Ac, off=off, digits=self.digits))]
        if off is not None:
            blocks.append(vcat(label_block(f"mask [{zname} > 0]"),
                               matrix_block((~off).astype(float), off=off)))
        return hcat(*blocks, gap=4)

    def activation_words(self):
        words = f"Activation, element by element: {_FORMULAS.get(self.act_name, self.act_name)}."
        if self.mask is not None:
            neg = np.argwhere(~self.mask)
            if len(neg) == 0:
                return words + " No entry was negative: the mask is all ones and a = z."
            shown = ", ".join(f"{fmt(self.Z[i, j], self.digits)}" for i, j in neg[:8])
            more = f" (and {len(neg) - 8} more)" if len(neg) > 8 else ""
            return (words + f" The mask keeps positives and zeroes the rest: {len(neg)} of "
                    f"{self.Z.size} entries were ≤ 0 ({shown}{more}) and became 0. "
                    "The same mask lets gradients through in backprop.")
        if self.act_name == "Sigmoid":
            pairs = ", ".join(f"σ({fmt(z, self.digits)}) = {fmt(a, self.digits)}"
                              for z, a in zip(self.Z.ravel()[:6], self.A.ravel()[:6], strict=True))
            return words + f" {pairs}" + (" …" if self.Z.size > 6 else "")
        return words

    def check_line(self):
        return f"Check: the layer itself (the engine) gives the same z ({agreement(self.Z_by_hand, self.Z)})."

    # -- rendering -----------------------------------------------------------------------
    def _text_parts(self, color):
        product = render_block(self.product.layout_block(), color)
        parts = [self.intro(), product]
        if self.cells:
            shown, more = self.product._cell_indices()
            lines = ["  " + self.product.cell_line(i, j) for i, j in shown]
            lines += [f"  … and {more} more cells"] if more else []
            parts.append("Every cell:\n" + "\n".join(lines))
        if self.has_act:
            parts += [wrap(self.activation_words()), render_block(self.activation_block(), color)]
        return parts + [self.check_line()]

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

    ``module``: an ``nn.Linear`` (then ``activation`` is a module or ``"relu"``,
    ``"sigmoid"``, …) or ``Sequential(Linear, activation)``. ``x``: one input ``(in,)`` or
    a batch ``(N, in)`` (rows, as PyTorch; shown as columns side by side in the column
    notation). ``notation="row"`` shows ``Z = X·Wᵀ + b`` instead of ``z = W·x + b``.
    """
    linear, act = split_layer(module)
    act = act if activation is None else activation
    return LayerExplanation(linear, act, X=x, notation=notation, cells=cells, digits=digits)
