"""``glassnet demo`` (also plain ``glassnet``): a matmul by hand, a tiny network forward
and backward — :func:`glassnet._demo.run_demo`."""

NAME = "demo"
HELP = "multiply matrices and run a tiny network forward/backward"
DESCRIPTION = None


def add_arguments(parser):
    """No options."""


def run(args):
    from glassnet._demo import run_demo

    run_demo()
