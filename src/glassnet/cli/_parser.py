"""The argument parser every ``glassnet`` command uses, and the argument types the
commands share.

Bad arguments give one line on stderr that points at the help of the (sub)command that
rejected them, and exit code 2. Abbreviations are off (``--epoch 2`` is not ``--epochs
2``): an option is spelled out or rejected.
"""

import argparse
import difflib

__all__ = ["CommandParser", "Parser", "fraction", "non_negative_ints", "positive"]


class Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr naming ``prog --help``, and exit code 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class CommandParser(Parser):
    """A subcommand's parser: it rejects arguments it does not know itself, so that the
    message names this command (argparse would hand them up to ``glassnet``)."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._did_you_mean(extras)}")
        return namespace, extras

    def _did_you_mean(self, extras):
        """`` — did you mean --epochs?`` for an option that starts one known option's name
        (an abbreviation) or is spelled close to one."""
        known = {s[2:]: s for action in self._actions for s in action.option_strings
                 if s.startswith("--")}
        for word in extras:
            name = word.split("=")[0][2:]
            if not word.startswith("--") or not name:
                continue
            close = [k for k in known if k.startswith(name)]
            if len(close) != 1:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
            if close:
                return f" — did you mean {known[close[0]]}?"
        return ""


def positive(kind):
    """An argument type: ``kind(text)`` that must be > 0."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def fraction(text):
    """An argument type: a number in [0, 1), e.g. ``0.1``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.1, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text}")
    return value


def non_negative_ints(text):
    """An argument type: comma-separated integers >= 0, e.g. ``0,1`` → ``(0, 1)``."""
    try:
        values = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"expected non-negative integers, got {text!r}")
    return values
