"""The README's Python examples run as written (in a temporary directory)."""

import pathlib
import re

import glassnet as gn

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"),
                        re.S | re.M)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert (tmp_path / "history.png").exists() and (tmp_path / "best.safetensors").exists()
    history = namespace["history"]
    assert history["val_accuracy"][-1] > 0.9
    assert isinstance(namespace["A"], gn.Tensor)
