"""How tensors print: PyTorch's ``set_printoptions``, passed on to NumPy's printing."""

import sys

__all__ = ["PRINT_OPTIONS", "set_printoptions"]

PRINT_OPTIONS = {"precision": 4}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """How tensors print (PyTorch's options, passed to NumPy's printing): ``precision`` digits
    (4 by default), ``threshold`` elements before summarising, ``edgeitems``, ``linewidth``;
    ``profile="default"`` restores the defaults, ``"full"`` prints everything;
    ``sci_mode=False`` prints numbers near zero as 0 rather than in scientific notation
    (NumPy's ``suppress_small``)."""
    if profile is not None:
        PRINT_OPTIONS.clear()
        PRINT_OPTIONS["precision"] = 4
        if profile == "full":
            PRINT_OPTIONS["threshold"] = sys.maxsize
        elif profile == "short":
            PRINT_OPTIONS.update(precision=2, threshold=1000, edgeitems=2)
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("max_line_width", linewidth)):
        if value is not None:
            PRINT_OPTIONS[key] = value
    if sci_mode is not None:
        PRINT_OPTIONS["suppress_small"] = not sci_mode
