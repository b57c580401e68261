"""The README runs as written: its Python blocks in order in one namespace (in a temporary
directory), each ```text block equal to what the block above it prints; its test command
is the one CI runs; its links point at pages that exist; it stays a front page."""

import pathlib
import re

from docs_pages import run_python_blocks

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = run_python_blocks(README, at_least=2)
    assert namespace["test"]["accuracy"] > 0.9          # the training example learns the spiral
    assert (tmp_path / "spiral.safetensors").exists()
    assert namespace["by_hand"].C.tolist() == [[3, 9, 4], [1, -1, 0]]


def test_readme_test_command_is_the_one_ci_runs():
    ci_last_line = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    blocks = re.findall(r"^```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
    assert ci_last_line in [line.strip() for block in blocks for line in block.splitlines()]


def test_readme_links_point_at_files_that_exist_and_it_stays_short():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:docs/)[^)#]+)", text)
    assert len(links) >= 15
    for link in links:
        assert (ROOT / link).exists(), link
    assert len(text.splitlines()) <= 160
