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
    from glassnet.data import available

    assert _run("--version").stdout.strip() == f"glassnet {gn.__version__}"
    listing = _run("datasets").stdout
    names = [line.split()[0] for line in listing.splitlines()  # wrapped descriptions go on deeper
             if line.startswith("  ") and not line.startswith("   ")]
    assert names == [*available(), "text"]  # text: the corpus of --model gpt (issue #17)
    assert len(available()) >= 7 and max(len(line) for line in listing.splitlines()) <= 100


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


def test_float_labels_say_the_label_column_must_hold_integer_classes(tmp_path):
    path = tmp_path / "floats.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{0.5 + i % 2}\n" for i in range(20)))
    line = _one_error_line(_run("train", "--dataset", str(path), "--out", str(tmp_path / "run")))
    assert "the label column" in line and "must hold integer classes" in line and "such as" in line
    assert "cross_entropy" not in line and not (tmp_path / "run").exists()


def test_a_markdown_file_given_to_recommend_fit_is_one_line_without_numpy_noise(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# glassnet\n\nA library, in one line.\n\n| a | b, c | d |\n|---|---|---|\n"
                      "| 1 | 2, 3, 4 | 5 |\n\n```bash\npip install -e .\n```\n")
    line = _one_error_line(_run("recommend", "fit", str(readme)))
    assert line.startswith("glassnet recommend: error: Ratings.from_csv") and "usecols" not in line


# -- issue #17: every run in a folder of its own, runs/latest, validation vs test -----------------


def _run_in(cwd, *args):
    return subprocess.run([sys.executable, "-m", "glassnet", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_two_runs_in_a_row_keep_both_folders_and_latest_names_the_newest(tmp_path):
    import os
    import re

    args = ("train", "--dataset", "xor", "--epochs", "1", "--hidden", "4", "--no-progress")
    first, second = _run_in(tmp_path, *args), _run_in(tmp_path, *args)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir() if p.name != "latest")
    assert len(folders) == 2 and all(re.fullmatch(r"mlp-\d{8}-\d{6}(-\d+)?", f) for f in folders)
    for run, folder in zip((first, second), sorted(folders, key=lambda f: (len(f), f)), strict=True):
        assert f"model       runs/{folder}/model.safetensors" in run.stdout
        assert (tmp_path / "runs" / folder / "results.json").is_file()
        assert (tmp_path / "runs" / folder / "checkpoints" / "checkpoint-000001.safetensors").is_file()
    newest = sorted(folders, key=lambda f: (len(f), f))[-1]
    assert os.readlink(tmp_path / "runs" / "latest") == newest


def test_results_report_validation_and_test_under_their_own_names(tmp_path):
    done = _run_in(tmp_path, "train", "--dataset", "xor", "--epochs", "2", "--hidden", "4",
                   "--out", "exactly-here")
    assert done.returncode == 0, done.stderr
    assert "720 train / 80 validation / 200 test samples" in done.stdout
    assert not (tmp_path / "runs").exists()  # --out DIR: there, and nothing else
    results = json.loads((tmp_path / "exactly-here" / "results.json").read_text())
    records = json.loads((tmp_path / "exactly-here" / "history.json").read_text())["records"]
    assert results["val_loss"] == records[-1]["val_loss"] and "test_loss" not in records[-1]
    table = {line.rsplit("  ", 1)[0].strip(): line.rsplit("  ", 1)[1] for line in done.stdout.splitlines()
             if line.startswith(("train ", "val ", "test "))}
    assert table["val accuracy"] == f"{results['val_accuracy']:.2%}"
    assert table["test accuracy"] == f"{results['test_accuracy']:.2%}"
    assert table["test loss"] == f"{results['test_loss']:.4f}"
    assert "epoch 2/2  loss" in done.stdout and "val_accuracy" in done.stdout
    assert "test_accuracy" not in done.stdout.split("train accuracy")[0]  # the test set: at the end only
    whole = _run_in(tmp_path, "train", "--dataset", "xor", "--epochs", "1", "--hidden", "4",
                    "--val-split", "0", "--out", "no-val")
    assert "800 train / 200 test samples" in whole.stdout and "val_" not in whole.stdout
    assert "val accuracy" not in whole.stdout and "test accuracy" in whole.stdout
    line = _one_error_line(_run_in(tmp_path, "train", "--val-split", "1.5"))
    assert "--val-split" in line and "[0, 1)" in line


def _cut_to_epochs(checkpoint_path, epochs):
    """Make a finished run's last checkpoint that of a longer run killed after it."""
    from glassnet import train

    c = train.Checkpoint.load(checkpoint_path)
    c.extra["args"]["epochs"] = epochs
    c.save(checkpoint_path)


def test_resume_runs_latest_continues_the_newest_run_in_its_folder(tmp_path, monkeypatch, capsys):
    import os

    monkeypatch.chdir(tmp_path)
    args = ["train", "--dataset", "xor", "--epochs", "2", "--hidden", "4", "--no-progress"]
    assert main(args) == 0
    folder = os.path.join("runs", os.readlink("runs/latest"))
    _cut_to_epochs(os.path.join(folder, "checkpoints", "checkpoint-000002.safetensors"), 3)
    capsys.readouterr()
    assert main(["train", "--resume", "runs/latest", "--no-progress"]) == 0
    assert f"model       {folder}/model.safetensors" in capsys.readouterr().out
    with open(os.path.join(folder, "history.json")) as f:
        history = json.load(f)["records"]
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert sorted(os.listdir("runs")) == sorted(["latest", os.path.basename(folder)])  # no new folder


def test_latest_is_a_text_file_where_links_cannot_be_made_and_resume_follows_it(tmp_path, monkeypatch,
                                                                                 capsys):
    import os

    def no_links(*args, **kwargs):
        raise OSError("symbolic links are not allowed here")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "symlink", no_links)
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--hidden", "4", "--no-progress"]) == 0
    latest = tmp_path / "runs" / "latest"
    assert latest.is_file() and not latest.is_symlink()
    folder = latest.read_text().strip()
    assert (tmp_path / "runs" / folder / "model.safetensors").is_file()
    assert sorted(os.listdir("runs")) == sorted(["latest", folder])  # no temporary file left
    _cut_to_epochs(tmp_path / "runs" / folder / "checkpoints" / "checkpoint-000001.safetensors", 2)
    capsys.readouterr()
    assert main(["train", "--resume", "runs/latest", "--no-progress"]) == 0
    assert f"runs/{folder}/model.safetensors" in capsys.readouterr().out
    assert json.loads((tmp_path / "runs" / folder / "results.json").read_text())["epochs"] == 2


def test_an_older_runs_latest_folder_is_left_as_it_is(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "runs" / "latest"
    old.mkdir(parents=True)
    (old / "results.json").write_text("{}")
    assert main(["train", "--dataset", "xor", "--epochs", "1", "--hidden", "4", "--no-progress"]) == 0
    assert "runs/latest is a folder (a run of an earlier glassnet) and is left as it is" in \
        capsys.readouterr().out
    assert (old / "results.json").read_text() == "{}" and len(list((tmp_path / "runs").iterdir())) == 2


def test_a_checkpoint_written_before_val_split_resumes_as_it_was_trained(tmp_path):
    """Older checkpoints hold no val_split: their run trained on all of its training data
    (a text run validated on its last 10 %), and resuming must not change that."""
    from glassnet import train

    for model, dataset, held_out in (("mlp", "xor", 0.0), ("gpt", "text", 0.1)):
        ckpt = tmp_path / model
        config = train.RunConfig(model=model, dataset=dataset, epochs=1, hidden=(4,), context=8,
                                 batch_size=512, sample=1, out=str(tmp_path / f"{model}-out"))
        train.run(config, checkpoint_dir=ckpt, progress=False)
        path = ckpt / "checkpoint-000001.safetensors"
        c = train.Checkpoint.load(path)
        del c.extra["args"]["val_split"]
        c.save(path)
        assert train.RunConfig.from_checkpoint(ckpt).val_split == held_out


def test_two_ranks_agree_on_one_new_run_folder(tmp_path):
    """Rank 0 makes the folder; every rank learns its name (an MPI broadcast)."""
    import importlib.util
    import os
    import shutil

    if importlib.util.find_spec("mpi4py") is None or shutil.which("mpiexec") is None:
        pytest.skip("needs mpi4py and mpiexec (pip install 'glassnet[mpi]')")
    done = subprocess.run(["mpiexec", "-n", "2", sys.executable, "-m", "glassnet", "train", "--distributed",
                           "--dataset", "xor", "--epochs", "2", "--hidden", "4", "--no-progress"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    folders = sorted(os.listdir(tmp_path / "runs"), key=lambda name: name == "latest")
    assert len(folders) == 2 and folders[1] == "latest"
    assert os.readlink(tmp_path / "runs" / "latest") == folders[0]
    assert sorted(os.listdir(tmp_path / "runs" / folders[0] / "checkpoints")) == [
        "checkpoint-000001.safetensors", "checkpoint-000002.safetensors"]
