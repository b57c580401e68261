"""Backpropagation and gradient descent by hand, in numbered steps like a textbook.

The model takes one real training step (forward, loss, ``backward()``, optimiser step);
hooks keep each layer's input, ``z`` and ``a`` and ask them to retain their gradients.
Every gradient is then recomputed by hand from the formulas (``∂L/∂z = ŷ − y``,
``∂L/∂W = ∂L/∂z · aᵀ``, ``∂L/∂a = Wᵀ · ∂L/∂z``, ``∂L/∂z = ∂L/∂a ⊙ f′(z)``) and shown next
to what autograd computed — so the explanation is of the real engine, checked number by
number. Each activation's f′, in words and in numbers, is its primitive's own
``derivative_formula`` and ``derivative`` (:mod:`glassnet.explain._activation`).
"""

import html

import numpy as np

from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.explain._activation import activation_of
from glassnet.explain._forward import run_captured
from glassnet.explain._render import (
    CSS,
    Explanation,
    agreement,
    flow,
    fmt,
    html_matrix,
    label_block,
    matrix_block,
    render_block,
    shape_str,
    to_numpy,
    vcat,
    wrap,
)

__all__ = ["BackpropExplanation", "BackpropStep", "backprop", "LOSSES"]

LOSSES = ("cross_entropy", "mse", "sse")


class BackpropStep:
    """One numbered step: ``title``, ``formula``, ``shown`` (``[(label, matrix, sep)]`` as
    displayed) and ``values`` ``{name: (by_hand, autograd or None)}`` in PyTorch layout."""

    def __init__(self, number, title, formula, shown=(), values=None, note=""):
        self.number, self.title, self.formula, self.note = number, title, formula, note
        self.shown, self.values = list(shown), dict(values or {})

    def agreement(self):
        """How the by-hand numbers agree with autograd's, in words (None: nothing to check)."""
        pairs = [(h, a) for h, a in self.values.values() if a is not None]
        if not pairs:
            return None
        words = [agreement(h, a) for h, a in pairs]
        return next((w for w in words if w.startswith("largest")), None) or \
            ("exactly" if all(w == "exactly" for w in words) else "up to floating-point rounding")

    def max_difference(self):
        diffs = [float(np.max(np.abs(h - a))) for h, a in self.values.values()
                 if a is not None and np.size(h)]
        return max(diffs) if diffs else None

    def __repr__(self):
        return f"<BackpropStep {self.number}: {self.title}>"

    def _repr_html_(self):
        """The step as a notebook shows it: the same HTML as in its explanation."""
        return f'<div class="gn-explain"><style>{CSS}</style>{step_html(self)}</div>'


def _targets(y, out_shape, single, loss):
    Y = to_numpy(y)
    one_per_input = Y.ndim == 0 or (Y.ndim == 1 and not single)
    whole = bool(np.all(Y == np.round(Y)))
    if one_per_input and out_shape[1] > 1 and (loss == "cross_entropy" or whole):
        labels = Y.reshape(-1).astype(np.int64)  # class indices, for every loss
        return np.eye(out_shape[1])[labels]
    Y = Y.reshape(1, -1) if single else Y
    if Y.ndim == 1 and out_shape[1] == 1:
        Y = Y.reshape(-1, 1)  # one regression target per input
    if Y.shape != tuple(out_shape):
        raise GlassnetValueError(f"explain.backprop: targets of shape {Y.shape} do not fit outputs "
                                 f"{tuple(out_shape)} (class indices (N,) or one row per input)")
    return Y


class StepsExplanation(Explanation):
    """An explanation made of numbered :class:`BackpropStep` s (``self.steps``), each shown
    as its formula, its matrices side by side and how autograd agreed (``self.digits``)."""

    digits = 4

    def _step_text(self, s, color):
        head = f"Step {s.number}. {s.title}"
        lines = [head, "─" * len(head)]
        if s.formula:
            lines.append(wrap(s.formula))
        if s.shown:
            blocks = [vcat(label_block(f"{label} ({shape_str(np.atleast_2d(m).shape)})"),
                           matrix_block(np.atleast_2d(m), digits=self.digits, sep=sep))
                      for label, m, sep in s.shown]
            for r in range(0, len(blocks), 3):  # threes: a formula's operands and its result
                lines.append(render_block(flow(blocks[r:r + 3], gap=4), color))
        agree = s.agreement()
        if agree is not None:
            lines.append(wrap(f"autograd computed the same numbers ({agree})"))
        if s.note:
            lines.append(wrap(s.note))
        return "\n".join(lines)

    def _text_parts(self, color):
        return [self._step_text(s, color) for s in self.steps]

    def _html_parts(self):
        return [step_html(s, self.digits) for s in self.steps]


def step_html(s, digits=4):
    """One :class:`BackpropStep` as HTML: its title, formula, matrices in rows of three
    (operands and result) and how autograd agreed."""
    cells = [f"<td>{html_matrix(np.atleast_2d(m), caption=label, digits=digits, sep=sep)}</td>"
             for label, m, sep in s.shown]
    tables = "</tr><tr>".join("".join(cells[r:r + 3]) for r in range(0, len(cells), 3))
    agree = s.agreement()
    check = "" if agree is None else f"<p>autograd computed the same numbers ({agree})</p>"
    return (f"<h4>Step {s.number}. {html.escape(s.title)}</h4>"
            f"<p>{html.escape(s.formula)}</p>"
            f'<table class="gn-layout"><tr>{tables}</tr></table>'
            f"{check}<p>{html.escape(s.note)}</p>")


class BackpropExplanation(StepsExplanation):
    """Numbered steps of one training step. ``steps`` (a list of :class:`BackpropStep`),
    ``loss`` (its value), ``prediction`` (ŷ, N×C), ``lr``."""

    title = "Backpropagation and gradient descent by hand"

    def __init__(self, model, x, y, loss="cross_entropy", lr=0.1, optimizer=None,
                 notation="column", step=True, digits=4):
        import glassnet as gn
        from glassnet.nn import functional as F
        from glassnet.optim import SGD

        if loss not in LOSSES:
            raise GlassnetValueError(f"explain.backprop: loss must be one of {LOSSES}, got {loss!r}")
        if notation not in ("column", "row"):
            raise GlassnetValueError(f"explain.backprop: notation 'column' or 'row', got {notation!r}")
        self.notation, self.digits, self.loss_name = notation, digits, loss
        single = to_numpy(x).ndim == 1
        x2 = to_numpy(x).reshape(1, -1) if single else to_numpy(x)
        model.zero_grad()
        groups, cap, out = run_captured(model, x2, retain_grad=True)
        if loss == "cross_entropy" and groups[-1][1] is not None:
            raise GlassnetTypeError("explain.backprop: with cross_entropy the last Linear must output "
                                    "logits (no activation after it; softmax is part of the loss)")
        Y = _targets(y, out.shape, single, loss)
        Yt = gn.tensor(Y, dtype=out.dtype)
        if loss == "cross_entropy":
            L = F.cross_entropy(out, Yt)
        elif loss == "mse":
            L = F.mse_loss(out, Yt)
        else:
            L = 0.5 * ((out - Yt) ** 2).sum()
        L.backward()
        self.loss, self.Y, self.single = float(L.item()), Y, single
        self.layers = [self._layer_record(g, cap) for g in groups]
        self.prediction = _softmax(self.layers[-1]["Z"]) if loss == "cross_entropy" else self.layers[-1]["A"]
        opt = optimizer if optimizer is not None else SGD(model.parameters(), lr=lr)
        self.lr = opt.param_groups[0]["lr"]
        self.plain_sgd = optimizer is None or _is_plain_sgd(opt)
        old = [(r["W"].copy(), r["b"].copy()) for r in self.layers]
        if step:
            opt.step()
        self.steps = self._build_steps(old, step)

    @staticmethod
    def _layer_record(group, cap):
        linear, act = group
        z_t = cap.outputs[id(linear)]
        a_t = cap.outputs[id(act)] if act is not None else z_t
        grad = lambda t: None if t.grad is None else to_numpy(t.grad)  # noqa: E731
        rule = activation_of(act, linear.out_features, where="explain.backprop")
        rec = {"linear": linear, "act": act, "rule": rule, "name": rule.name,
               "X": to_numpy(cap.inputs[id(linear)]), "Z": to_numpy(z_t), "A": to_numpy(a_t),
               "W": to_numpy(linear.weight), "dZ_auto": grad(z_t), "dA_auto": grad(a_t),
               "dW_auto": grad(linear.weight), "has_bias": linear.bias is not None}
        rec["b"] = to_numpy(linear.bias) if rec["has_bias"] else np.zeros(rec["W"].shape[0])
        rec["db_auto"] = grad(linear.bias) if rec["has_bias"] else None
        return rec

    # -- the by-hand computation -------------------------------------------------------
    def _output_gradient(self, last, n):
        N, C = last["Z"].shape
        col = self.notation == "column"
        yhat, y = ("ŷ", "y") if col else ("Ŷ", "Y")
        if self.loss_name == "cross_entropy":
            dZ = (self.prediction - self.Y) / N
            formula = f"∂L/∂z{n} = ({yhat} − {y}) / N   (softmax + cross-entropy, mean over N = {N})"
            shown = [(f"{yhat} = softmax(z{n})", self.prediction), (y, self.Y), (f"∂L/∂z{n}", dZ)]
            return dZ, formula, shown, "dA"
        if self.loss_name == "mse":
            scale = (2 / (N * C), f"2·({yhat} − {y}) / {N * C}")
        else:
            scale = (1, f"{yhat} − {y}")
        dA = scale[0] * (last["A"] - self.Y)
        rule = last["rule"]
        dZ = dA * rule.derivative(last["Z"], last["A"])
        loss_words = "mean squared error" if self.loss_name == "mse" else "L = ½·Σ(ŷ − y)²"
        formula = f"∂L/∂z{n} = {scale[1]} ⊙ {rule.derivative_words(f'z{n}', f'a{n}')}   ({loss_words})"
        return dZ, formula, [(yhat, last["A"]), (y, self.Y), (f"∂L/∂z{n}", dZ)], "dA"

    def _build_steps(self, old, stepped):
        steps = [BackpropStep(1, "Forward pass", "", self._forward_shown(),
                              note=f"loss L = {fmt(self.loss, 6)}")]
        n = len(self.layers)
        dZ, formula, shown, _ = self._output_gradient(self.layers[-1], n)
        steps.append(self._step(len(steps) + 1, f"Layer {n}: gradient at the output", formula, shown,
                                {f"dZ{n}": (dZ, self.layers[-1]["dZ_auto"])}))
        grads = {}
        for k in range(n, 0, -1):
            rec = self.layers[k - 1]
            dW, db = dZ.T @ rec["X"], dZ.sum(axis=0)
            grads[k] = (dW, db)
            steps.append(self._weights_step(len(steps) + 1, k, rec, dZ, dW, db))
            if k == 1:
                break
            prev = self.layers[k - 2]
            dA = dZ @ rec["W"]
            steps.append(self._activation_step(len(steps) + 1, k, rec, dZ, dA, prev))
            dZ = dA * prev["rule"].derivative(prev["Z"], prev["A"])
            steps.append(self._mask_step(len(steps) + 1, k - 1, prev, dA, dZ))
        steps.append(self._update_step(len(steps) + 1, old, grads, stepped))
        return steps

    def _step(self, number, title, formula, shown, values):
        col = self.notation == "column"
        shown = [(label, m.T if col and m.ndim == 2 else m, None) for label, m in shown]
        return BackpropStep(number, title, formula, shown, values)

    def _forward_shown(self):
        shown = [("x" if self.notation == "column" else "X", self.layers[0]["X"], None)]
        for k, rec in enumerate(self.layers, 1):
            shown.append((f"z{k}", rec["Z"], None))
            if rec["act"] is not None:
                shown.append((f"a{k} = {rec['name']}(z{k})", rec["A"], None))
        if self.loss_name == "cross_entropy":
            shown.append(("ŷ = softmax", self.prediction, None))
        shown.append(("y", self.Y, None))
        col = self.notation == "column"
        return [(label, m.T if col else m, s) for label, m, s in shown]

    def _weights_step(self, number, k, rec, dZ, dW, db):
        a = f"a{k - 1}" if k > 1 else "x"
        if not rec["has_bias"]:
            return self._weights_only_step(number, k, rec, dZ, dW, a)
        ones = np.ones((rec["X"].shape[0], 1))
        aug = np.concatenate([rec["X"], ones], axis=1)
        dWb = np.concatenate([dW, db[:, None]], axis=1)
        if self.notation == "column":
            formula = f"∂L/∂[W{k} | b{k}] = ∂L/∂z{k} · [{a}; 1]ᵀ   (∂L/∂b{k} sums ∂L/∂z{k} over the inputs)"
            shown = [(f"∂L/∂z{k}", dZ.T, None), (f"[{a}; 1]ᵀ", aug, None),
                     (f"∂L/∂[W{k} | b{k}]", dWb, dW.shape[1])]
        else:
            formula = f"∂L/∂[W{k} | b{k}] = (∂L/∂Z{k})ᵀ · [{a.upper()} | 1]"
            shown = [(f"(∂L/∂Z{k})ᵀ", dZ.T, None), (f"[{a.upper()} | 1]", aug, None),
                     (f"∂L/∂[W{k} | b{k}]", dWb, dW.shape[1])]
        values = {f"dW{k}": (dW, rec["dW_auto"])}
        if rec["has_bias"]:
            values[f"db{k}"] = (db, rec["db_auto"])
        return BackpropStep(number, f"Layer {k}: weights and biases", formula, shown, values)

    def _weights_only_step(self, number, k, rec, dZ, dW, a):
        """A layer without a bias: ∂L/∂W alone, no [W | b] with a column of zeros."""
        if self.notation == "column":
            formula = f"∂L/∂W{k} = ∂L/∂z{k} · {a}ᵀ   (no bias)"
            shown = [(f"∂L/∂z{k}", dZ.T, None), (f"{a}ᵀ", rec["X"], None), (f"∂L/∂W{k}", dW, None)]
        else:
            formula = f"∂L/∂W{k} = (∂L/∂Z{k})ᵀ · {a.upper()}   (no bias)"
            shown = [(f"(∂L/∂Z{k})ᵀ", dZ.T, None), (a.upper(), rec["X"], None), (f"∂L/∂W{k}", dW, None)]
        return BackpropStep(number, f"Layer {k}: weights", formula, shown, {f"dW{k}": (dW, rec["dW_auto"])})

    def _activation_step(self, number, k, rec, dZ, dA, prev):
        col = self.notation == "column"
        formula = (f"∂L/∂a{k - 1} = W{k}ᵀ · ∂L/∂z{k}" if col else f"∂L/∂A{k - 1} = ∂L/∂Z{k} · W{k}")
        if col:
            shown = [(f"W{k}ᵀ", rec["W"].T, None), (f"∂L/∂z{k}", dZ.T, None), (f"∂L/∂a{k - 1}", dA.T, None)]
        else:
            shown = [(f"∂L/∂Z{k}", dZ, None), (f"W{k}", rec["W"], None), (f"∂L/∂A{k - 1}", dA, None)]
        auto = prev["dA_auto"]
        return BackpropStep(number, f"Layer {k - 1}: activations", formula, shown,
                            {f"dA{k - 1}": (dA, auto)})

    def _mask_step(self, number, k, rec, dA, dZ):
        deriv = rec["rule"].derivative(rec["Z"], rec["A"])
        formula = f"∂L/∂z{k} = ∂L/∂a{k} ⊙ {rec['rule'].derivative_words(f'z{k}', f'a{k}')}"
        shown = [(f"∂L/∂a{k}", dA), (f"{rec['name']}′(z{k})", deriv), (f"∂L/∂z{k}", dZ)]
        return self._step(number, f"Layer {k}: {rec['name']}", formula, shown,
                          {f"dZ{k}": (dZ, rec["dZ_auto"])})

    def _update_step(self, number, old, grads, stepped):
        values, shown = {}, []
        for k, rec in enumerate(self.layers, 1):
            (W0, b0), (dW, db) = old[k - 1], grads[k]
            Wb0 = np.concatenate([W0, b0[:, None]], axis=1)
            dWb = np.concatenate([dW, db[:, None]], axis=1)
            Wb1 = Wb0 - self.lr * dWb
            new_W = to_numpy(rec["linear"].weight) if stepped else None
            values[f"W{k} new"] = (Wb1[:, :-1], new_W if self.plain_sgd else None)
            if rec["has_bias"]:
                new_b = to_numpy(rec["linear"].bias) if stepped else None
                values[f"b{k} new"] = (Wb1[:, -1], new_b if self.plain_sgd else None)
            if rec["has_bias"]:
                sep = W0.shape[1]
                shown += [(f"old [W{k} | b{k}]", Wb0, sep), (f"∂L/∂[W{k} | b{k}]", dWb, sep),
                          (f"new [W{k} | b{k}]", Wb1, sep)]
            else:
                shown += [(f"old W{k}", W0, None), (f"∂L/∂W{k}", dW, None), (f"new W{k}", Wb1[:, :-1], None)]
        formula = f"W ← W − lr·∂L/∂W,  b ← b − lr·∂L/∂b   (lr = {fmt(self.lr)})"
        if not self.plain_sgd:
            formula += " — plain SGD shown; the optimiser given applies its own rule"
        note = "applied by the optimiser: the model's parameters now hold the new values" if stepped \
            else "not applied (step=False): the model is unchanged"
        return BackpropStep(number, "Gradient descent", formula, shown, values, note=note)

def _softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _is_plain_sgd(opt):
    from glassnet.optim import SGD

    g = opt.param_groups[0]
    return (type(opt) is SGD and len(opt.param_groups) == 1 and g["momentum"] == 0
            and g["weight_decay"] == 0 and not g["maximize"])


def backprop(model, x=None, y=None, loss=None, lr=0.1, optimizer=None, notation="column",
             step=True, digits=4, **attention):
    """One training step of ``model`` explained by hand, in numbered steps.

    ``loss``: ``"cross_entropy"`` (the default for an MLP: softmax + cross-entropy on the
    last Linear's logits, mean over the batch: ``∂L/∂z = (ŷ − y)/N``), ``"mse"`` (mean
    squared error) or ``"sse"`` (``½·Σ(ŷ − y)²``, whose ``∂L/∂ŷ = ŷ − y`` suits pen and
    paper). ``y``: class indices ``(N,)``, or one row of targets per input (one-hot /
    probabilities / values). The step is real: gradients land in ``.grad`` and the
    optimiser (plain ``SGD(lr)`` unless ``optimizer`` is given) updates the model, unless
    ``step=False``. Every number is recomputed by hand and checked against autograd
    (``step.values``).

    Attention: ``model`` an ``nn.MultiheadAttention`` (``x`` one sequence (L, E)), or the
    tensors ``(Q, K, V)`` / ``(X, W_Q, W_K, W_V)`` with ``x`` left out — the backward
    pass through the output projection, the weighted sum, the softmax (its Jacobian by
    rows), the 1/√d scaling, dQ, dK, dV and the projections
    (:class:`~glassnet.explain._attention_backprop.AttentionBackpropExplanation`). ``y``:
    targets with the output's shape (``loss`` ``"sse"``, the default, or ``"mse"``), or
    ``grad_output=dY``; the other keywords (``key``, ``value``, ``attn_mask``,
    ``key_padding_mask``, ``causal``, ``head``, ``cell``, ``row``) are
    :func:`~glassnet.explain.attention`'s. The layer is not changed.

    Args:
        model: a Sequential of Linear layers and activations (or attention, see above).
        x: one input ``(in,)`` or a batch ``(N, in)``.
        y: the targets: class indices, or one row of targets per input.
        loss: ``"cross_entropy"``, ``"mse"`` or ``"sse"``.
        lr: the learning rate of the plain SGD step (default 0.1).
        optimizer: an optimiser over the model's parameters, to step instead.
        notation: ``"column"`` or ``"row"``.
        step: apply the update (default True).
        digits: significant digits shown.
        **attention: for attention only: ``grad_output``, ``key``, ``value``,
            ``attn_mask``, ``key_padding_mask``, ``causal``, ``head``, ``cell``, ``row``.

    Returns:
        BackpropExplanation: prints as numbered steps; ``to_html()``; ``steps`` (each a
        :class:`BackpropStep` with ``title``, ``formula`` and ``values``), ``loss`` and
        ``prediction``. For attention an ``AttentionBackpropExplanation``: ``steps``,
        ``dQ``, ``dK``, ``dV``, ``dW`` and ``dX``.

    Example:
        >>> import glassnet as gn, glassnet.explain
        >>> _ = gn.manual_seed(0)
        >>> net = gn.nn.Sequential(gn.nn.Linear(3, 4), gn.nn.ReLU(), gn.nn.Linear(4, 2))
        >>> walk = gn.explain.backprop(net, [1.0, 2.0, 3.0], 1, lr=0.1)
        >>> walk.steps[1].title, walk.steps[-1].title
        ('Layer 2: gradient at the output', 'Gradient descent')
        >>> max(s.max_difference() or 0 for s in walk.steps) < 1e-6     # by hand = autograd
        True
        >>> mha = gn.nn.MultiheadAttention(4, 2)
        >>> grads = gn.explain.backprop(mha, gn.randn(3, 4), gn.zeros(3, 4), causal=True)
        >>> grads.steps[4].title
        'Head 0: the softmax, row by row'
        >>> max(s.max_difference() or 0 for s in grads.steps) < 1e-12  # float64 by hand = autograd
        True
    """
    from glassnet.nn import MultiheadAttention

    if isinstance(model, MultiheadAttention | tuple | list):
        from glassnet.explain._attention_backprop import attention_backprop

        if not isinstance(model, MultiheadAttention) and y is None and x is not None:
            x, y = None, x  # backprop((Q, K, V), targets)
        return attention_backprop(model, x, y, loss=loss or "sse", digits=digits, **attention)
    if attention:
        raise GlassnetTypeError(f"explain.backprop: {sorted(attention)} apply to attention only "
                                f"(nn.MultiheadAttention or (Q, K, V)), not to {type(model).__name__}")
    return BackpropExplanation(model, x, y, loss=loss or "cross_entropy", lr=lr, optimizer=optimizer,
                               notation=notation, step=step, digits=digits)
