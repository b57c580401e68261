"""The glassnet command end to end (tiny runs)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import io
from glassnet.cli import main
from glassnet.models import MLP


def test_train_end_to_end_writes_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--dataset", "xor", "--epochs", "3", "--hidden", "8",
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "epoch 3/3" in printed and "parameters" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["epochs"] == 3 and 0 <= results["test_accuracy"] <= 1
    assert results["parameters"] == 2 * 8 + 8 + 8 * 2 + 2
    history = json.loads((out / "history.json").read_text())["records"]
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert (out / "history.png").read_bytes()[:4] == b"\x89PNG"
    meta = io.load_metadata(out / "model.safetensors")
    assert meta["config"]["hidden"] == [8]
    model = MLP(2, (8,), 2)
    model.load_state_dict(io.load(out / "model.safetensors"))


def test_train_on_a_csv_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "data.csv"
    lines = ["a,b,c,label"] + [f"{a:.4f},{b:.4f},{c:.4f},{t}" for (a, b, c), t in zip(X, y, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    code = main(["train", "--dataset", str(path), "--model", "logreg", "--epochs", "2",
                 "--no-progress", "--out", str(tmp_path / "run")])
    assert code == 0
    assert json.loads((tmp_path / "run" / "results.json").read_text())["parameters"] == 3 * 2 + 2


def _run(*args):
    return subprocess.run([sys.executable, "-m", "glassnet", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args", [
    ["train", "--epochs", "0"],
    ["train", "--model", "transformer"],
    ["train", "--hidden", "a,b"],
    ["train", "--dataset", "nosuchset", "--epochs", "1"],
    ["train", "--dataset", "missing.csv", "--epochs", "1"],
])
def test_bad_arguments_exit_2_with_one_line(args):
    result = _run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0]


def test_version_and_datasets():
    assert _run("--version").stdout.strip() == f"glassnet {gn.__version__}"
    listing = _run("datasets").stdout
    for name in ("mnist1d", "digits", "spiral", "circles", "xor", "moons"):
        assert name in listing


def test_demo_prints_the_matmul(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "[[19., 22.]," in out and "C[0,0] = 1·5 + 2·7 = 19" in out
