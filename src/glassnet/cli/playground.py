"""``glassnet playground``: serve the playground page (:func:`glassnet.web.serve`)."""

import argparse

NAME = "playground"
HELP = "serve the interactive playground page locally"
DESCRIPTION = ("Serve the playground: edit a small network's inputs and weights in a browser and "
               "watch it compute and learn, and a tiny attention head's scores and weights.")


def _port(text):
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {port}")
    return port


def add_arguments(parser):
    parser.add_argument("--port", type=_port, default=8000,
                        help="port (default 8000; 0: any free port)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")


def run(args):
    from glassnet.web import serve

    serve(args.host, args.port, open_browser=args.open)
