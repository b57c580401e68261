"""``glassnet explain matmul|layer|forward|backprop``: a computation explained by hand
(:mod:`glassnet.explain`), printed and optionally written as an HTML page."""

import argparse
import json
import sys

from glassnet.cli._files import write_page
from glassnet.cli._parser import non_negative_ints

NAME = "explain"
HELP = "explain a computation by hand"
DESCRIPTION = None


def _matrix(text):
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a matrix like [[1,2],[3,4]], got {text!r}") from None
    if not isinstance(value, list):
        raise argparse.ArgumentTypeError(f"expected a matrix like [[1,2],[3,4]], got {text!r}")
    return value


def add_arguments(parser):
    parser.add_argument("what", choices=("matmul", "layer", "forward", "backprop"))
    parser.add_argument("matrices", nargs="*", type=_matrix, help="for matmul: A and B as JSON")
    parser.add_argument("--highlight", type=non_negative_ints, default=(0, 0),
                        help="the cell to highlight, e.g. 0,1")
    parser.add_argument("--sizes", type=non_negative_ints, default=(3, 4, 4, 3),
                        help="layer sizes (default 3,4,4,3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--html", help="also write the explanation as an HTML page here")


def _random_model(sizes, seed):
    """A float64 ReLU MLP with layer widths ``sizes`` (seeded) and one input vector."""
    import glassnet as gn
    from glassnet import nn

    if len(sizes) < 2 or min(sizes) < 1:
        raise gn.GlassnetValueError(f"explain: --sizes needs at least two positive sizes, got {sizes}")
    gn.manual_seed(seed)
    layers = []
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers += [nn.Linear(i, o, dtype=gn.float64)] + ([nn.ReLU()] if k < len(sizes) - 2 else [])
    x = gn.randn(sizes[0], dtype=gn.float64)
    return nn.Sequential(*layers), x


def explanation(args):
    """The explanation ``args`` ask for (a :mod:`glassnet.explain` result)."""
    from glassnet import GlassnetValueError, explain

    if args.what == "matmul":
        if len(args.matrices) != 2:
            raise GlassnetValueError("explain matmul: give two matrices, e.g. "
                                     "'[[1,1],[-1,1]]' '[[1,5,2],[2,4,2]]'")
        return explain.matmul(*args.matrices, highlight=args.highlight[:2])
    model, x = _random_model(args.sizes, args.seed)
    if args.what == "layer":
        return explain.layer(model[0], x, activation="relu")
    if args.what == "forward":
        return explain.forward(model, x)
    return explain.backprop(model, x, args.seed % args.sizes[-1], lr=0.1)


def run(args, out=None):
    from glassnet.explain._render import terminal_width, use_color

    out = sys.stdout if out is None else out
    result = explanation(args)
    print(result.to_text(color=use_color(out), width=terminal_width(out)), file=out)
    if args.html:
        write_page(args.html, result.to_html(full_page=True), out)
