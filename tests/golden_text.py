"""Golden text snapshots of the by-hand renderings (tests/golden/explain/*.txt), compared
so that nothing depends on the BLAS's summation order. Regenerate after a reviewed change
with ``GLASSNET_UPDATE_GOLDEN=1 pytest tests/test_explain*.py`` and read the diff."""

import os
import pathlib
import re

GOLDEN = pathlib.Path(__file__).parent / "golden" / "explain"


def canonical(text):
    """The text with what depends on the BLAS's summation order worded alike: "up to
    floating-point rounding" read as "exactly", the size of a difference below 1e-12
    dropped, and wrapped continuation lines joined (the two wordings wrap differently)."""
    text = re.sub(r"\n +", " ", text).replace("up to floating-point rounding", "exactly")
    return re.sub(r"largest difference \d\.\de[-+]\d\d", "largest difference below 1e-12", text)


def check_golden(text, name):
    """``text`` equals tests/golden/explain/<name>.txt (written when GLASSNET_UPDATE_GOLDEN)."""
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("GLASSNET_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with GLASSNET_UPDATE_GOLDEN=1"
    assert canonical(text) == canonical(path.read_text(encoding="utf-8"))
