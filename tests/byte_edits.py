"""Byte-level edits of a file's contents, shared by the hostile-file tests and the fuzz child."""

__all__ = ["KINDS", "mutate"]

KINDS = ["flip", "set", "insert", "delete", "truncate"]


def mutate(data, edits):
    """``data`` with each ``(kind, position, value)`` edit applied in turn: flip one bit, set
    a byte, insert one, delete one, or truncate at the position (taken modulo the length)."""
    data = bytearray(data)
    for kind, position, value in edits:
        i = position % (len(data) + 1)
        if kind == "flip" and data:
            data[i % len(data)] ^= 1 << (value % 8)
        elif kind == "set" and data:
            data[i % len(data)] = value % 256
        elif kind == "insert":
            data[i:i] = bytes([value % 256])
        elif kind == "delete" and data:
            del data[i % len(data)]
        elif kind == "truncate":
            del data[i:]
    return bytes(data)
