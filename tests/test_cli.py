"""The glassnet command end to end (tiny runs)."""

import argparse
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


def _one_error_line(result):
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_option_points_at_the_subcommands_help():
    line = _one_error_line(_run("train", "--epocs", "3"))
    assert line == ("glassnet train: error: unrecognized arguments: --epocs 3 — did you mean --epochs? "
                    "(see glassnet train --help)")
    line = _one_error_line(_run("recommend", "fit", "--bogus"))
    assert line == ("glassnet recommend fit: error: unrecognized arguments: --bogus "
                    "(see glassnet recommend fit --help)")


@pytest.mark.parametrize("args, line", [
    (["train", "--epoch", "2", "--dataset", "xor"],
     "glassnet train: error: unrecognized arguments: --epoch 2 — did you mean --epochs? "
     "(see glassnet train --help)"),
    (["recommend", "fit", "--iter", "1"],  # (the 1 is taken for the ratings file)
     "glassnet recommend fit: error: unrecognized arguments: --iter — did you mean --iterations? "
     "(see glassnet recommend fit --help)"),
    (["--vers"], "glassnet: error: unrecognized arguments: --vers (see glassnet --help)"),
])
def test_abbreviated_options_are_rejected(args, line, tmp_path):
    assert _one_error_line(_run(*args, "--out", str(tmp_path)) if args[0] != "--vers"
                           else _run(*args)) == line
    assert list(tmp_path.iterdir()) == []


def _parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_parser_refuses_abbreviations():
    from glassnet.cli import build_parser

    parsers = list(_parsers(build_parser()))
    assert len(parsers) == 1 + 10 + 3  # glassnet, its ten commands, recommend's three actions
    assert [p.prog for p in parsers if p.allow_abbrev] == []


def test_help_lists_every_registered_command(capsys):
    from glassnet.cli import COMMANDS

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    listing = " ".join(capsys.readouterr().out.split())  # help lines are wrapped
    assert [c.NAME for c in COMMANDS] == ["demo", "datasets", "train", "inspect", "tour", "explain",
                                          "worksheet", "playground", "recommend", "docs"]
    for command in COMMANDS:
        assert command.NAME in listing and command.HELP in listing


def test_the_console_script_is_cli_main():
    from importlib.metadata import entry_points

    scripts = [ep for ep in entry_points(group="console_scripts") if ep.name == "glassnet"]
    if not scripts:
        pytest.skip("glassnet is not installed (no console script metadata)")
    assert scripts[0].value == "glassnet.cli:main" and scripts[0].load() is main


def _reader_stops_early(argv):
    """Run ``argv`` into a one-page pipe, read one line, close it (as `head -1` does); stderr."""
    import fcntl

    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fcntl.fcntl(proc.stdout.fileno(), 1031, 4096)  # F_SETPIPE_SZ: the writer must still be writing
    proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    proc.wait(timeout=60)
    return stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_a_reader_that_stops_early_gets_no_traceback():
    """`glassnet tour --no-pause | head -3` ended in a BrokenPipeError traceback."""
    plain = _reader_stops_early([sys.executable, "-c", "for _ in range(2000): print('x' * 60)"])
    assert "BrokenPipeError" in plain  # the situation is real: plain Python shows the trace
    stderr = _reader_stops_early([sys.executable, "-m", "glassnet", "tour", "--no-pause"])
    assert stderr == "", stderr  # no traceback, and no "error: Broken pipe" either


def test_newcomer_errors_are_one_line_with_exit_2(tmp_path):
    """Issue #17: each of these once ended in a traceback, a silent wrong cell, a leaked NumPy
    warning or advice about an option the CLI does not have."""
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("1,2,0\n3,4,1\n")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("user,item\nana,x,5,1,extra,columns,here\n")
    cases = [
        (["train", "--dataset", str(tiny), "--epochs", "1", "--out", str(tmp_path / "run")],
         "2 sample(s); the 80/20 split needs at least 5"),
        (["explain", "matmul", "[[1,2],[3,4]]", "[[1,0],[0,1]]", "--highlight", "5,5"],
         "highlight (5, 5) is outside C of shape (2, 2)"),
        (["recommend", "fit", str(ragged)], "rows differ in length"),
    ]
    for args, expected in cases:
        result = _run(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
        assert "usecols" not in lines[0] and "Warning" not in result.stderr
