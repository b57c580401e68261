"""``glassnet datasets``: every dataset ``glassnet train --dataset NAME`` knows by name, one
entry each — the labelled ones (:func:`glassnet.data.available`) and the text corpus of
``--model gpt`` (:data:`glassnet.train._text.TEXT_DATASET`) — and the files it also takes.
Descriptions wrap to the terminal's width (``shutil.get_terminal_size``, 100 columns when
there is no terminal)."""

NAME = "datasets"
HELP = "list the built-in datasets"
DESCRIPTION = None
_NAME_WIDTH = 10


def add_arguments(parser):
    """No options."""


def run(args):
    from glassnet.data import available
    from glassnet.train._text import TEXT_DATASET, TEXT_DESCRIPTION

    print("classification (glassnet train --dataset NAME):")
    for name, description in available().items():
        print(_entry(name, description))
    print("text (glassnet train --model gpt --dataset NAME):")
    print(_entry(TEXT_DATASET, TEXT_DESCRIPTION))
    print(_wrap("files: a .csv/.npz file with integer class labels (its last column / 'y' array), "
                "or a UTF-8 .txt file for --model gpt", ""))


def _entry(name, description):
    return _wrap(f"  {name:{_NAME_WIDTH}s} {description}", " " * (_NAME_WIDTH + 3))


def _wrap(text, indent):
    import shutil
    import textwrap

    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    return textwrap.fill(text, width, subsequent_indent=indent, break_on_hyphens=False)
