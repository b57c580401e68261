"""The ``glassnet`` command: a thin front over the library."""

import argparse
import sys

from glassnet._version import __version__

__all__ = ["main", "build_parser"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="glassnet: deep learning as visible matrix multiplications",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("demo", help="multiply matrices and run a tiny network forward/backward")
    return parser


def main(argv=None):
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    command = args.command or "demo"
    if command == "demo":
        from glassnet._demo import run_demo

        run_demo()
    return 0
