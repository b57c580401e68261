"""Writing the pages some commands produce (atomically) and saying where they went."""

__all__ = ["answer_key_path", "write_page"]


def write_page(path, text, out):
    """Write ``text`` (UTF-8) to ``path`` atomically and print ``wrote PATH`` to ``out``."""
    from glassnet.io._atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))
    print(f"wrote {path}", file=out)


def answer_key_path(path):
    """``sheet.html`` → ``sheet.answers.html`` (``sheet`` → ``sheet.answers.html``)."""
    stem, dot, ext = str(path).rpartition(".")
    return f"{stem}.answers.{ext}" if dot else f"{path}.answers.html"
