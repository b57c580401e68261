"""``glassnet docs``: serve the built documentation site (MkDocs' output folder) locally
with the standard library's ``http.server``, or say in one line how to build it."""

import functools
import http.server
import pathlib
import sys
import webbrowser

from glassnet._errors import GlassnetError
from glassnet.cli.playground import _port

NAME = "docs"
HELP = "serve the documentation site locally (once built with mkdocs)"
DESCRIPTION = ("Serve the documentation site that `mkdocs build` wrote (default: ./site) on "
               "127.0.0.1. Build it first with: pip install -e \".[docs]\" && mkdocs build")
BUILD_HINT = 'pip install -e ".[docs]" && mkdocs build'


def add_arguments(parser):
    parser.add_argument("--port", type=_port, default=8001,
                        help="port (default 8001; 0: any free port)")
    parser.add_argument("--site", default="site",
                        help="the built site's folder (default: ./site, where mkdocs build writes)")
    parser.add_argument("--open", action="store_true", help="open the site in a web browser")


def built_site(folder):
    """The folder of a built site (one holding index.html), or a GlassnetError that says how
    to build it."""
    site = pathlib.Path(folder)
    if not (site / "index.html").is_file():
        raise GlassnetError(f"no built documentation in {site}/ — build it from the repository "
                            f"root with: {BUILD_HINT}")
    return site.resolve()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's signature
        pass  # no access log: the terminal stays readable


def run(args):
    site = built_site(args.site)
    handler = functools.partial(_QuietHandler, directory=str(site))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError as exc:
        raise GlassnetError(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"glassnet docs: {url}  (serving {site}; Ctrl-C stops it)")
    sys.stdout.flush()
    if args.open:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("glassnet docs: stopped")
    finally:
        server.server_close()
