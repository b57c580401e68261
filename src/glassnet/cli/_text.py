"""Text from files, made safe to print on a terminal.

A file's tensor names and metadata are the file author's text: an ESC character in them
would let a file clear the screen, move the cursor or rewrite earlier lines (``ESC[2J``),
and a right-to-left override could reorder what is shown. :func:`printable` writes every
character Python does not call printable (controls, format characters, separators other
than the space, unassigned code points) as a visible escape: ``ESC`` → ``\\x1b``,
U+202E → ``\\u202e``.
"""

__all__ = ["printable"]


def _escape(char):
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text):
    """``text`` with every non-printable character escaped (see the module doc)."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)
