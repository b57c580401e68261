"""examples/char_embeddings.py at full size keeps its promise: after its two epochs the
characters' nearest neighbours are of their own kind well above chance, and the clause
punctuation finds itself."""

import pathlib
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_full_run_groups_characters_by_kind(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.delenv("GLASSNET_QUICK", raising=False)
    sys.modules.pop("char_embeddings", None)
    import char_embeddings

    rate, chance = char_embeddings.main()
    printed = capsys.readouterr().out
    assert rate >= chance + 0.1, (rate, chance)
    line = next(row for row in printed.splitlines() if row.startswith("  '.':"))
    assert line.split()[1].strip("'") in ",:;", line
