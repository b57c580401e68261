"""``glassnet datasets``: the built-in datasets, one line each (:func:`glassnet.data.available`)."""

NAME = "datasets"
HELP = "list the built-in datasets"
DESCRIPTION = None


def add_arguments(parser):
    """No options."""


def run(args):
    from glassnet.data import available

    for name, description in available().items():
        print(f"{name:10s} {description}")
