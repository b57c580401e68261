"""The ``glassnet`` command: a thin front over the library (no logic lives only here).

One module per command. Each has ``NAME``, ``HELP`` (its line in ``glassnet --help``),
``DESCRIPTION`` (the top of its own ``--help``, or None), ``add_arguments(parser)`` and
``run(args)``. :data:`COMMANDS` lists them once, in the order ``glassnet --help`` shows
them: adding a command is writing its module and naming it there.
"""

import os
import sys

from glassnet._version import __version__
from glassnet.cli import (
    datasets,
    demo,
    docs,
    explain,
    inspect,
    playground,
    recommend,
    tour,
    train,
    worksheet,
)
from glassnet.cli._parser import CommandParser, Parser
from glassnet.cli._text import printable

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (demo, datasets, train, inspect, tour, explain, worksheet, playground, recommend, docs)
DEFAULT = demo  # what plain ``glassnet`` runs


def build_parser():
    """The ``glassnet`` argument parser with every command of :data:`COMMANDS`."""
    parser = Parser(prog="glassnet",
                    description="glassnet: deep learning as visible matrix multiplications")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for command in COMMANDS:
        command.add_arguments(commands.add_parser(command.NAME, help=command.HELP,
                                                  description=command.DESCRIPTION))
    return parser


def main(argv=None):
    """Entry point: parse ``argv`` (default ``sys.argv[1:]``), run the command and return
    the process exit code (0; 2 for bad arguments, a glassnet error or an error of the
    system — disk full, permissions, out of memory — printed as one line)."""
    from glassnet._errors import GlassnetError

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    command = {c.NAME: c for c in COMMANDS}[args.command] if args.command else DEFAULT
    try:
        command.run(args)
    except BrokenPipeError:  # the reader stopped early (`glassnet tour | head`): stop quietly
        _silence_stdout()
        return 1
    except (GlassnetError, OSError, MemoryError, RecursionError) as exc:
        print(f"glassnet {command.NAME}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    return 0


def _silence_stdout():
    """Point stdout at /dev/null, so the interpreter's final flush into the closed pipe
    prints no second error (Python's documented way to handle SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _one_line(exc):
    """The message of an error the user can act on, on one line: glassnet's own, or
    what the system said (a full disk, a missing permission, memory running out)."""
    from glassnet._errors import GlassnetError

    if isinstance(exc, GlassnetError):
        text = str(exc)
    elif isinstance(exc, MemoryError):
        text = "out of memory — the data or model is larger than this machine can hold"
    elif isinstance(exc, RecursionError):
        text = "the input is nested too deeply to read"
    else:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        text = f"{exc.strerror or exc}{where}"
    return printable(" ".join(text.split()))
