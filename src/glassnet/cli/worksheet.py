"""``glassnet worksheet KIND``: a by-hand worksheet with an answer key
(:func:`glassnet.explain.worksheet`), printed and optionally written as HTML."""

import sys

from glassnet.cli._files import answer_key_path, write_page
from glassnet.cli._parser import non_negative_ints

NAME = "worksheet"
HELP = "a by-hand worksheet with an answer key"
DESCRIPTION = None


def add_arguments(parser):
    from glassnet.explain._worksheet import KINDS

    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=non_negative_ints, default=None,
                        help="shape knobs, e.g. 2,3,2 for matmul")
    parser.add_argument("--out", help="write the sheet as HTML here (answer key next to it)")


def run(args, out=None):
    from glassnet.explain import worksheet
    from glassnet.explain._render import terminal_width

    out = sys.stdout if out is None else out
    sheet = worksheet(args.kind, seed=args.seed, size=args.size)
    print(sheet.to_text(width=terminal_width(out)), file=out)
    if args.out:
        write_page(args.out, sheet.to_html(), out)
        write_page(answer_key_path(args.out), sheet.answer_key.to_html(full_page=True), out)
