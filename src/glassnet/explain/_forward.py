"""A forward pass by hand: layer after layer of a Sequential of Linear layers and
activations, with shapes, values and parameter counts.

The model runs once, the ordinary way; forward hooks (removed afterwards) note what each
child received and returned, and each layer is then written out by hand from those
numbers.
"""

import html

from glassnet._errors import GlassnetTypeError
from glassnet.explain._activation import activation_of
from glassnet.explain._layer import LayerExplanation
from glassnet.explain._render import Explanation, matrix_block, render_block, shape_str, text_width, to_numpy
from glassnet.ops._activation import ACTIVATIONS

__all__ = ["ForwardExplanation", "forward", "layer_groups", "capture"]


def layer_groups(model):
    """``[(linear, activation or None), …]``: each Linear with the activation after it.
    Accepts a Sequential (or any iterable of modules) of Linear and activation modules (a
    module that applies one activation primitive: :func:`~._activation.activation_of`)."""
    from glassnet.nn import Linear

    children = list(model) if hasattr(model, "__iter__") else [model]
    groups = []
    for child in children:
        if isinstance(child, Linear):
            groups.append([child, None])
        elif groups and groups[-1][1] is None and _is_activation(child, groups[-1][0].out_features):
            groups[-1][1] = child
        else:
            known = ", ".join(c.__name__ for c in ACTIVATIONS.values())
            before = [type(c).__name__ for c in children[:children.index(child)]]
            raise GlassnetTypeError(
                f"explain: by-hand explanations need a Sequential of Linear layers, each followed by "
                f"at most one activation ({known}); got {type(child).__name__} after {before}")
    if not groups:
        raise GlassnetTypeError("explain: the model has no Linear layer to explain")
    return [tuple(g) for g in groups]


def _is_activation(module, width):
    try:
        activation_of(module, width)
    except GlassnetTypeError:
        return False
    return True


class capture:
    """Forward hooks on the given modules that keep each one's input and output (and
    ask the output to retain its gradient); removed on exit."""

    def __init__(self, modules, retain_grad=False):
        self.modules, self.retain_grad = modules, retain_grad
        self.inputs, self.outputs, self._handles = {}, {}, []

    def _hook(self, module, args, out):
        self.inputs[id(module)] = args[0]
        self.outputs[id(module)] = out
        if self.retain_grad and out.requires_grad:
            out.retain_grad()

    def __enter__(self):
        self._handles = [m.register_forward_hook(self._hook) for m in self.modules]
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        return False


def run_captured(model, x, retain_grad=False):
    """Run ``model(x)`` once with capture hooks; ``(groups, capture, output tensor)``."""
    import glassnet as gn

    groups = layer_groups(model)
    modules = [m for g in groups for m in g if m is not None]
    dtype = groups[0][0].weight.dtype
    X = x if isinstance(x, gn.Tensor) else gn.tensor(to_numpy(x), dtype=dtype)
    with capture(modules, retain_grad) as cap:
        out = model(X)
    return groups, cap, out


class ForwardExplanation(Explanation):
    """Layer after layer. ``layers``: one :class:`LayerExplanation` per Linear (with the
    numbers the model really produced); ``output`` (N, out); ``params`` the total."""

    title = "A forward pass by hand"

    def __init__(self, model, x, notation="column", cells=False, digits=4):
        import glassnet as gn

        single = to_numpy(x).ndim == 1
        with gn.no_grad():
            groups, cap, out = run_captured(model, to_numpy(x).reshape(1, -1) if single else x)
        self.layers = []
        for k, (linear, act) in enumerate(groups, 1):
            X = to_numpy(cap.inputs[id(linear)])
            Z = cap.outputs[id(linear)]
            A = cap.outputs[id(act)] if act is not None else Z
            self.layers.append(LayerExplanation(linear, act, X=X[0] if single else X, Z=Z, A=A,
                                                notation=notation, index=k, cells=cells, digits=digits))
        self.output = to_numpy(out)
        self.params = sum(layer.params for layer in self.layers)
        self.notation, self.digits = notation, digits

    def overview(self):
        lines = []
        for k, lay in enumerate(self.layers, 1):
            (out, n_in), N = lay.W.shape, lay.X.shape[0]
            shapes = f"({n_in}×{N}) → ({out}×{N})" if self.notation == "column" else \
                f"({N}×{n_in}) → ({N}×{out})"
            act = lay.act_name if lay.has_act else "—"
            lines.append(f"  layer {k}: Linear({n_in}→{out}) + {act:<9} {shapes:<16} "
                         f"{lay.W.size:>5} weights + {_biases(lay.b.size if lay.has_bias else 0)} "
                         f"= {lay.params}")
        if max(len(line) for line in lines) > text_width():  # a narrow terminal: no padding
            lines = [" ".join(line.split()).replace("layer", "  layer", 1) for line in lines]
        lines.append(f"  total: {self.params} parameters")
        return "\n".join(lines)

    def output_text(self, color=False):
        out = self.output.T if self.notation == "column" else self.output
        block = render_block(matrix_block(out, digits=self.digits), color)
        return f"Output ({shape_str(out.shape)}):\n{block}"

    def _text_parts(self, color):
        parts = [self.overview()]
        for lay in self.layers:
            body = "\n\n".join(lay._text_parts(color))
            parts.append(f"── {lay.title} ──\n\n{body}")
        return parts + [self.output_text(color)]

    def _html_parts(self):
        parts = [f"<pre>{html.escape(self.overview())}</pre>"]
        for lay in self.layers:
            parts.append(f"<h4>{html.escape(lay.title)}</h4>" + "".join(lay._html_parts()))
        return parts + [f"<pre>{html.escape(self.output_text())}</pre>"]


def forward(model, x, notation="column", cells=False, digits=4):
    """Explain ``model(x)`` layer by layer: for each Linear (+ activation), the augmented
    product ``[W | b]·[x; 1]``, its result ``z``, the activation and the parameter count.

    ``model``: a Sequential of Linear layers each followed by at most one activation
    (layers without a bias included, as the tour's seven-layer MLP). ``x``: ``(in,)`` or
    ``(N, in)``. ``cells=True`` also lists every cell's dot product.

    Args:
        model: a Sequential of Linear layers, each followed by at most one activation.
        x: one input ``(in,)`` or a batch ``(N, in)``.
        notation: ``"column"`` or ``"row"`` (as :func:`layer`).
        cells: also list every cell's dot product.
        digits: significant digits shown.

    Returns:
        ForwardExplanation: prints as text; ``to_html()``; ``layers`` (one
        :class:`LayerExplanation` per Linear), ``output`` and ``params``.

    Example:
        >>> import glassnet as gn, glassnet.explain
        >>> net = gn.nn.Sequential(gn.nn.Linear(3, 4), gn.nn.ReLU(), gn.nn.Linear(4, 2))
        >>> walk = gn.explain.forward(net, [1.0, 2.0, 3.0])
        >>> len(walk.layers), walk.params, walk.output.shape
        (2, 26, (1, 2))
    """
    return ForwardExplanation(model, x, notation=notation, cells=cells, digits=digits)


def _biases(n):
    """``"  1 bias"`` / ``" 10 biases"``: the count right-aligned, the noun agreeing."""
    return f"{n:>3} {'bias' if n == 1 else 'biases'}"
