"""The ``glassnet`` command: a thin front over the library (no logic lives only here)."""

import argparse
import sys

from glassnet._version import __version__

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _hidden_sizes(text):
    try:
        sizes = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden wants comma-separated integers, got {text!r}"
        ) from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"--hidden wants positive sizes, got {text!r}")
    return sizes


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def _add_train(commands):
    from glassnet.cli_train import DATASET_HELP, OPTIMIZERS
    from glassnet.models import MODELS

    p = commands.add_parser("train", help="train a model on a built-in dataset or a file",
                            description="Train a model and write it, its history and a plot.")
    p.add_argument("--model", choices=sorted(MODELS), default="mlp")
    p.add_argument("--dataset", default="mnist1d", help=DATASET_HELP)
    p.add_argument("--epochs", type=_positive(int), default=20)
    p.add_argument("--batch-size", type=_positive(int), default=100)
    p.add_argument("--lr", type=_positive(float), default=None,
                   help="learning rate (default: 0.01 for adam/adamw/rmsprop, 0.1 for sgd; "
                        "× 0.3 for lstm, × 0.1 for rnn)")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument("--hidden", type=_hidden_sizes, default=(100, 100),
                   help="hidden layer widths for mlp, e.g. 256,256 (default 100,100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/latest", help="output directory (default runs/latest)")
    p.add_argument("--no-progress", action="store_true", help="print nothing per epoch")
    p.add_argument("--checkpoint-dir", default=None,
                   help="write a checkpoint after every epoch into this directory")
    p.add_argument("--keep-last", type=_positive(int), default=3,
                   help="checkpoints to keep in --checkpoint-dir (default 3)")
    p.add_argument("--resume", metavar="DIR", default=None,
                   help="continue the run whose checkpoints are in DIR, with its arguments")


def _port(text):
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {port}")
    return port


def _add_playground(commands):
    p = commands.add_parser("playground", help="serve the interactive playground page locally",
                            description="Serve the playground: edit a small network's inputs "
                                        "and weights in a browser and watch it compute and learn.")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")


def build_parser():
    parser = _Parser(prog="glassnet",
                     description="glassnet: deep learning as visible matrix multiplications")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.add_parser("demo", help="multiply matrices and run a tiny network forward/backward")
    commands.add_parser("datasets", help="list the built-in datasets")
    _add_train(commands)
    commands.add_parser("inspect", help="list the tensors, shapes, dtypes and metadata of a "
                        "model or checkpoint file").add_argument("file")
    from glassnet.cli_explain import add_parsers as add_explain_parsers

    add_explain_parsers(commands)
    _add_playground(commands)
    from glassnet.cli_recommend import add_recommend_parser

    add_recommend_parser(commands, _positive)
    return parser


def main(argv=None):
    """Entry point; returns the process exit code."""
    from glassnet._errors import GlassnetError

    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    command = args.command or "demo"
    try:
        if command == "demo":
            from glassnet._demo import run_demo

            run_demo()
        elif command == "datasets":
            from glassnet.cli_train import list_datasets

            list_datasets()
        elif command == "train":
            from glassnet.cli_train import run_train

            run_train(args)
        elif command == "inspect":
            from glassnet.cli_inspect import run_inspect

            run_inspect(args.file)
        elif command in ("tour", "explain", "worksheet"):
            from glassnet.cli_explain import run as run_explain

            run_explain(args)
        elif command == "playground":
            from glassnet.web import serve

            serve(args.host, args.port, open_browser=args.open)
        elif command == "recommend":
            from glassnet.cli_recommend import run_recommend

            run_recommend(args)
    except GlassnetError as exc:
        print(f"glassnet {command}: error: {exc}", file=sys.stderr)
        return 2
    return 0
