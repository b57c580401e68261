"""``glassnet tour``: the guided path, chapter by chapter with real numbers — matmul by
hand → one neuron + ReLU → a layer → a batch → a hidden layer (and its parameter count) →
a seven-layer MLP → backpropagation and gradient descent → attention."""

import numpy as np

__all__ = ["CHAPTERS", "run_tour", "seven_layer_mlp", "tour_network"]


def _linear(W, b=None):
    import glassnet as gn
    from glassnet import nn

    W = np.asarray(W, dtype=np.float64)
    lin = nn.Linear(W.shape[1], W.shape[0], bias=b is not None, dtype=gn.float64)
    lin.weight.array[...] = W
    if b is not None:
        lin.bias.array[...] = b
    return lin


def seven_layer_mlp():
    """The seven-layer MLP with zero biases (``bias=False``) and ReLU between layers (sizes
    3,4,4,4,4,4,4,2), small integer weights in {-1, 0, 1} drawn from seed 4."""
    from glassnet import nn

    rng = np.random.default_rng(4)
    sizes = (3, 4, 4, 4, 4, 4, 4, 2)
    layers = []
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(_linear(rng.integers(-1, 2, size=(o, i))))
        if k < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def tour_network():
    """A 3-4-4-3 network (ReLU, ReLU, softmax + cross-entropy) for the backprop chapter."""
    from glassnet import nn

    W1 = [[1, 0, 1], [0, 1, -1], [1, 1, 0], [-1, 0, 1]]
    W2 = [[1, 0, 0, 1], [0, 1, 1, 0], [1, -1, 0, 0], [0, 0, 1, -1]]
    W3 = [[0.25, 0, -0.25, 0], [0, 0.25, 0, 0.25], [-0.25, 0, 0.25, 0]]
    return nn.Sequential(_linear(W1, [0, 0, 0.5, 0]), nn.ReLU(), _linear(W2, [0, 0, 0, 0]),
                         nn.ReLU(), _linear(W3, [0, 0, 0]))


def _matmul_chapter(ex):
    seed_a = ex.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    seed_b = ex.matmul([[1, 1], [-1, 1]], [[1, 5, 2], [2, 4, 2]], highlight=(0, 1))
    return [seed_a, seed_b]


def _neuron_chapter(ex):
    neuron = _linear([[1, -1, 2]], [-1])
    return [ex.layer(neuron, [2, 1, 3], activation="relu"),
            ex.layer(neuron, [0, 3, 1], activation="relu")]


def _four_neurons():
    return _linear([[1, 0, 1], [0, 1, -1], [1, 1, 0], [-1, 0, 1]], [0, -1, 1, -2])


def _layer_chapter(ex):
    three_sigmoid = _linear([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    return [ex.layer(_four_neurons(), [2, 1, 3], activation="relu"),
            ex.layer(three_sigmoid, [0.5, 0.3, 0.2], activation="sigmoid")]


def _batch_chapter(ex):
    X = [[2, 1, 3], [1, -1, 0], [0, 2, 1]]
    return [ex.layer(_four_neurons(), X, activation="relu"),
            ex.layer(_four_neurons(), X, activation="relu", notation="row", cells=False)]


def _hidden_chapter(ex):
    from glassnet import nn

    model = nn.Sequential(_linear([[1, 0, 1], [0, 1, -1], [1, 1, 0], [-1, 0, 1]], [0, -1, 1, -2]),
                          nn.ReLU(), _linear([[1, -1, 0, 1], [0, 1, 1, -1]], [1, 0]))
    return [ex.forward(model, [2, 1, 3])]


def _mlp_chapter(ex):
    return [ex.forward(seven_layer_mlp(), [1, 2, 1])]


def _backprop_chapter(ex):
    import glassnet as gn
    from glassnet.nn import functional as F

    z = gn.tensor([[0.0, 0.0, -1000.0]], dtype=gn.float64, requires_grad=True)
    y = gn.tensor([[0.0, 1.0, 0.0]], dtype=gn.float64)
    F.cross_entropy(z, y).backward()
    yhat = gn.softmax(z, dim=-1).numpy()[0]
    note = (f"The fused gradient of softmax + cross-entropy, on the blog posts' example logits:\n"
            f"  ŷ = softmax([0, 0, -1000]) = {_vec(yhat)},  y = [0, 1, 0]\n"
            f"  ∂L/∂z = ŷ − y = {_vec(z.grad.numpy()[0])}   (autograd's gradient)")
    return [note, ex.backprop(tour_network(), [1, 2, 1], [0, 1, 0], lr=0.1)]


ATTENTION_X = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]  # three tokens, two features each
ATTENTION_WEIGHTS = ([[1.0, 0.0], [0.0, 2.0]], [[1.0, 1.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 3.0]])


def _attention_chapter(ex):
    note = ("Attention is matrix multiplications too, with one softmax between them. Each token is\n"
            "a row of X; three weight matrices turn it into a query, a key and a value:\n"
            "  Q = X·W_Q,  K = X·W_K,  V = X·W_V\n"
            "  S = Q·Kᵀ          one score per (query, key): a dot product\n"
            "  P = softmax(S/√d) by rows: how much each token looks at each other token\n"
            "  A = P·V           each output row a weighted sum of the values")
    return [note, ex.attention((ATTENTION_X, *ATTENTION_WEIGHTS), cell=(2, 0))]


def _vec(v):
    from glassnet.explain._render import fmt

    return "[" + ", ".join(fmt(x) for x in v) + "]"


CHAPTERS = (
    ("Matrix multiplication by hand", _matmul_chapter),
    ("One neuron and ReLU", _neuron_chapter),
    ("A layer of neurons", _layer_chapter),
    ("A batch of three inputs", _batch_chapter),
    ("A hidden layer and its parameter count", _hidden_chapter),
    ("A seven-layer MLP (zero biases)", _mlp_chapter),
    ("Backpropagation and gradient descent", _backprop_chapter),
    ("Attention: queries, keys and values", _attention_chapter),
)


def run_tour(pause=True, print_fn=print, input_fn=input, color=False, width=None):
    """Print every chapter, each line at most ``width`` columns (default 100); between
    chapters wait for Enter when ``pause``. Returns the explanations shown (for tests)."""
    from glassnet import explain as ex
    from glassnet.explain._render import fit_width, rendering_width, wrap

    shown = []
    with rendering_width(width) as w:
        for k, (title, chapter) in enumerate(CHAPTERS, 1):
            head = f"Chapter {k} of {len(CHAPTERS)}: {title}"
            print_fn(f"\n{'#' * min(w, len(head))}\n{head}\n{'#' * min(w, len(head))}\n")
            for item in chapter(ex):
                text = fit_width(wrap(item)) if isinstance(item, str) else item.to_text(color=color)
                print_fn(text)
                shown.append(item)
            if pause and k < len(CHAPTERS):
                try:
                    input_fn("— press Enter for the next chapter (Ctrl-C to stop) —")
                except EOFError:
                    pause = False
    return shown
