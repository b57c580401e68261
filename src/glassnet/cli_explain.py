"""``glassnet tour``, ``glassnet explain …`` and ``glassnet worksheet …``: thin fronts over
:mod:`glassnet.explain` (no logic lives only here)."""

import argparse
import json
import sys

__all__ = ["add_parsers", "run", "COMMANDS"]

COMMANDS = ("tour", "explain", "worksheet")


def _matrix(text):
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a matrix like [[1,2],[3,4]], got {text!r}") from None
    if not isinstance(value, list):
        raise argparse.ArgumentTypeError(f"expected a matrix like [[1,2],[3,4]], got {text!r}")
    return value


def _ints(text):
    try:
        values = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative integers, got {text!r}")
    return values


def add_parsers(commands):
    """Add the tour, explain and worksheet subcommands to ``commands``."""
    from glassnet.explain._worksheet import KINDS

    p = commands.add_parser("tour", help="the guided path: matmul by hand → … → backprop")
    p.add_argument("--no-pause", action="store_true", help="run straight through")
    p = commands.add_parser("explain", help="explain a computation by hand")
    p.add_argument("what", choices=("matmul", "layer", "forward", "backprop"))
    p.add_argument("matrices", nargs="*", type=_matrix, help="for matmul: A and B as JSON")
    p.add_argument("--highlight", type=_ints, default=(0, 0), help="the cell to highlight, e.g. 0,1")
    p.add_argument("--sizes", type=_ints, default=(3, 4, 4, 3), help="layer sizes (default 3,4,4,3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--html", help="also write the explanation as an HTML page here")
    p = commands.add_parser("worksheet", help="a by-hand worksheet with an answer key")
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=_ints, default=None, help="shape knobs, e.g. 2,3,2 for matmul")
    p.add_argument("--out", help="write the sheet as HTML here (answer key next to it)")


def _random_model(sizes, seed):
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


def _explain(args):
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
    """Run one of :data:`COMMANDS` from parsed ``args``."""
    from glassnet.explain._render import use_color

    out = sys.stdout if out is None else out
    if args.command == "tour":
        from glassnet.explain._tour import run_tour

        pause = not args.no_pause and sys.stdin.isatty() and out.isatty()
        run_tour(pause=pause, print_fn=lambda s: print(s, file=out), color=use_color(out))
        return
    if args.command == "explain":
        result = _explain(args)
        print(result.to_text(color=use_color(out)), file=out)
        if args.html:
            _write(args.html, result.to_html(full_page=True), out)
        return
    from glassnet.explain import worksheet

    sheet = worksheet(args.kind, seed=args.seed, size=args.size)
    print(sheet.to_text(), file=out)
    if args.out:
        _write(args.out, sheet.to_html(), out)
        key = _key_path(args.out)
        _write(key, sheet.answer_key.to_html(full_page=True), out)


def _key_path(path):
    stem, dot, ext = str(path).rpartition(".")
    return f"{stem}.answers.{ext}" if dot else f"{path}.answers.html"


def _write(path, text, out):
    from glassnet.io._atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))
    print(f"wrote {path}", file=out)
