"""``glassnet tour``: the guided path from a matmul by hand to backprop
(:func:`glassnet.explain._tour.run_tour`)."""

import sys

NAME = "tour"
HELP = "the guided path: matmul by hand → … → backprop"
DESCRIPTION = None


def add_arguments(parser):
    parser.add_argument("--no-pause", action="store_true", help="run straight through")


def run(args, out=None):
    """Pause between chapters only when both stdin and ``out`` are terminals."""
    from glassnet.explain._render import terminal_width, use_color
    from glassnet.explain._tour import run_tour

    out = sys.stdout if out is None else out
    pause = not args.no_pause and sys.stdin.isatty() and out.isatty()
    run_tour(pause=pause, print_fn=lambda s: print(s, file=out), color=use_color(out),
             width=terminal_width(out))
