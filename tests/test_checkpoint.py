"""Checkpoints and exact resume: interrupted runs end bitwise equal to uninterrupted ones,
even when the process is killed with SIGKILL in the middle of writing a checkpoint."""

import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import glassnet as gn
from _checkpoint_child import build_run, fit
from glassnet import nn, optim, train
from glassnet.cli import main

CHILD = str(pathlib.Path(__file__).with_name("_checkpoint_child.py"))


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def _assert_bitwise_equal(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].dtype == b[key].dtype
        assert a[key].tobytes() == b[key].tobytes(), key


@pytest.mark.parametrize("loader_seed", [None, 7], ids=["default-generator", "seeded-loader"])
def test_interrupted_and_resumed_run_is_bitwise_identical(tmp_path, loader_seed):
    full = _weights(fit(None, 6, seed=loader_seed, progress=False))
    fit(tmp_path, 3, seed=loader_seed, progress=False)  # "interrupted" after epoch 3
    resumed = fit(tmp_path, 6, seed=loader_seed, resume=True, progress=False)
    _assert_bitwise_equal(full, _weights(resumed))
    history = train.Checkpoint.load(train.CheckpointManager(tmp_path).latest()).history
    assert [r["epoch"] for r in history] == [1, 2, 3, 4, 5, 6]


def test_resume_without_the_random_state_would_differ(tmp_path):
    """The test above can fail: dropout and shuffling really depend on the RNG state."""
    full = _weights(fit(None, 4, progress=False))
    fit(tmp_path, 2, progress=False)
    model, optimizer, scheduler, data = build_run()
    checkpoint = train.Checkpoint.load(train.CheckpointManager(tmp_path).latest())
    checkpoint.rng_state = None  # forget the generator: it stays where build_run left it
    checkpoint.restore(model, optimizer, scheduler)
    for _ in range(2):
        train.fit(model, data, nn.CrossEntropyLoss(), optimizer, epochs=1, scheduler=scheduler,
                  batch_size=16, progress=False)
    assert any(full[k].tobytes() != v.tobytes() for k, v in _weights(model).items())


def test_checkpoint_holds_every_part_of_the_run(tmp_path):
    model, optimizer, scheduler, data = build_run()
    train.fit(model, data, nn.CrossEntropyLoss(), optimizer, epochs=3, scheduler=scheduler,
              batch_size=16, progress=False, checkpoint_dir=tmp_path, keep_last=2)
    names = sorted(os.listdir(tmp_path))
    assert names == ["checkpoint-000002.safetensors", "checkpoint-000003.safetensors"]
    c = train.Checkpoint.load(tmp_path / names[-1])
    assert (c.epoch, c.step) == (3, 3 * 25)  # 400 samples / batch 16 = 25 steps per epoch
    assert c.rng_state == gn._backend.default_generator().bit_generator.state
    assert c.scheduler_state["last_epoch"] == 3
    assert c.optimizer_state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert c.optimizer_state["state"][0]["step"] == 75
    np.testing.assert_array_equal(c.optimizer_state["state"][0]["exp_avg"],
                                  optimizer.state[model[0].weight]["exp_avg"])
    _assert_bitwise_equal(c.model_state, _weights(model))


def test_a_fresh_run_refuses_a_directory_with_checkpoints(tmp_path):
    fit(tmp_path, 1, progress=False)
    with pytest.raises(gn.GlassnetError, match="already holds checkpoints"):
        fit(tmp_path, 2, progress=False)


def test_checkpoint_load_rejects_a_model_file(tmp_path):
    gn.save(nn.Linear(2, 2), tmp_path / "m.safetensors")
    with pytest.raises(gn.GlassnetError, match="not a glassnet checkpoint"):
        train.Checkpoint.load(tmp_path / "m.safetensors")


def _child(*args, **kwargs):
    return subprocess.Popen([sys.executable, CHILD, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=os.path.dirname(CHILD), **kwargs)


def _kill_after(proc, marker, delay):
    """Read the child's lines until ``marker`` appears, wait ``delay`` s, SIGKILL it;
    returns the lines seen."""
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if marker in line:
            break
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    return lines


def _finish(proc):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    return out


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("delay", [0.0, 0.013, 0.05])
def test_sigkill_during_a_save_loop_leaves_a_loadable_latest_checkpoint(tmp_path, delay):
    lines = _kill_after(_child("saveloop", str(tmp_path)), "saved 3", delay)
    manager = train.CheckpointManager(tmp_path)
    paths = manager.paths()
    assert 1 <= len(paths) <= 3  # keep_last=2, plus one if killed between write and prune
    for path in paths:  # every listed file is complete
        assert train.Checkpoint.load(path).model_state["0.weight"].shape == (500, 500)
    latest = manager.load_latest()
    assert latest.epoch >= int(lines[-1].split()[-1])
    manager.clean_temporary()
    assert all(name.startswith("checkpoint-") for name in os.listdir(tmp_path))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_training_then_resume_is_bitwise_identical(tmp_path):
    ckpt, out_full, out_resumed = tmp_path / "ckpt", tmp_path / "full.st", tmp_path / "res.st"
    full = _child("fit", str(tmp_path / "other"), "30", str(out_full))
    _kill_after(_child("fit", str(ckpt), "30", str(out_resumed)), "epoch 3/30", 0.01)
    assert not out_resumed.exists()
    done_at = train.Checkpoint.load(train.CheckpointManager(ckpt).latest()).epoch
    assert 3 <= done_at < 30
    assert "resuming from" in _finish(_child("fit", str(ckpt), "30", str(out_resumed)))
    _finish(full)
    a, b = gn.load(out_full), gn.load(out_resumed)
    _assert_bitwise_equal({k: v.numpy() for k, v in a.items()}, {k: v.numpy() for k, v in b.items()})


def test_cli_resume_continues_the_run(tmp_path, capsys):
    common = ["--dataset", "xor", "--hidden", "8", "--no-progress"]
    assert main(["train", *common, "--epochs", "4", "--out", str(tmp_path / "full")]) == 0
    ckpt, cut = tmp_path / "ckpt", str(tmp_path / "cut")
    assert main(["train", *common, "--epochs", "2", "--checkpoint-dir", str(ckpt),
                 "--keep-last", "1", "--out", cut]) == 0
    assert os.listdir(ckpt) == ["checkpoint-000002.safetensors"]
    assert main(["train", *common, "--checkpoint-dir", str(ckpt), "--out", cut]) == 2
    assert "--resume" in capsys.readouterr().err  # would mix two runs in one directory
    # make it the checkpoint of a 4-epoch run that was killed during epoch 3
    c = train.Checkpoint.load(ckpt / "checkpoint-000002.safetensors")
    c.extra["args"]["epochs"] = 4
    c.save(ckpt / "checkpoint-000002.safetensors")
    assert main(["train", "--resume", str(ckpt)]) == 0
    assert "resuming from" in capsys.readouterr().out
    assert sorted(os.listdir(ckpt)) == ["checkpoint-000004.safetensors"]  # --keep-last 1 kept
    a = gn.load(tmp_path / "full" / "model.safetensors")
    b = gn.load(tmp_path / "cut" / "model.safetensors")
    _assert_bitwise_equal({k: v.numpy() for k, v in a.items()}, {k: v.numpy() for k, v in b.items()})


def test_cli_resume_of_an_empty_directory_fails_cleanly(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_train_resume_continues_a_run_from_the_config_in_its_checkpoints(tmp_path):
    config = train.RunConfig(dataset="xor", hidden=(8,), epochs=4, out=str(tmp_path / "full"))
    full = train.run(config, progress=False)
    ckpt = tmp_path / "ckpt"
    cut = dataclasses.replace(config, epochs=2, keep_last=1, out=str(tmp_path / "cut"))
    assert train.run(cut, checkpoint_dir=ckpt, progress=False)["epochs"] == 2
    assert train.RunConfig.from_checkpoint(ckpt) == cut
    # make it the checkpoint of a 4-epoch run that was killed during epoch 3
    c = train.Checkpoint.load(ckpt / "checkpoint-000002.safetensors")
    c.extra["args"]["epochs"] = 4
    c.save(ckpt / "checkpoint-000002.safetensors")
    lines = []
    resumed = train.resume(ckpt, print_fn=lines.append)
    assert lines[1] == f"resuming from {ckpt / 'checkpoint-000002.safetensors'} (epoch 2, step 16)"
    assert [line.split()[1] for line in lines[2:]] == ["3/4", "4/4"]  # 800 samples / 100 = 8 steps
    assert os.listdir(ckpt) == ["checkpoint-000004.safetensors"]
    assert resumed["epochs"] == 4 and resumed["files"]["model"] == str(tmp_path / "cut" / "model.safetensors")
    for key in ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "parameters"):
        assert resumed[key] == full[key], key
    a, b = gn.load(full["files"]["model"]), gn.load(resumed["files"]["model"])
    _assert_bitwise_equal({k: v.numpy() for k, v in a.items()}, {k: v.numpy() for k, v in b.items()})


def test_train_run_and_resume_refuse_the_wrong_directory(tmp_path):
    with pytest.raises(gn.GlassnetValueError, match="no checkpoint-"):
        train.resume(tmp_path)
    fit(tmp_path, 1, progress=False)  # a checkpoint of a plain fit holds no RunConfig
    with pytest.raises(gn.GlassnetValueError, match="was not written by glassnet train"):
        train.resume(tmp_path)
    with pytest.raises(gn.GlassnetValueError, match="already holds checkpoints.*--resume"):
        train.run(train.RunConfig(dataset="xor", epochs=1), checkpoint_dir=tmp_path, progress=False)


def test_run_config_round_trips_through_json_and_checks_its_fields():
    config = train.RunConfig(model="gru", hidden=[16, 16], lr=0.003, optimizer="sgd")
    assert config.hidden == (16, 16) and config.learning_rate == 0.003
    assert train.RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert train.RunConfig(model="lstm").learning_rate == 0.003  # 0.01 × 0.3
    assert train.RunConfig(model="rnn", optimizer="sgd").learning_rate == 0.01  # 0.1 × 0.1
    with pytest.raises(gn.GlassnetValueError, match="unknown keys"):
        train.RunConfig.from_dict({**config.to_dict(), "epochz": 3})
    with pytest.raises(gn.GlassnetValueError, match="optimizer must be one of"):
        train.RunConfig(optimizer="lbfgs")
    with pytest.raises(gn.GlassnetValueError, match="epochs must be positive, got 0"):
        train.RunConfig(epochs=0)


def test_optimizer_and_scheduler_state_round_trip_through_a_file(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 2, 5], gamma=0.5)
    model(gn.ones(4, 3)).sum().backward()
    opt.step()
    sched.step()
    train.Checkpoint.capture(model, opt, sched, epoch=1, step=1).save(tmp_path / "c.st")
    back = train.Checkpoint.load(tmp_path / "c.st")
    assert back.scheduler_state["milestones"] == sched.state_dict()["milestones"]
    assert type(back.scheduler_state["milestones"]).__name__ == "Counter"
    opt2 = optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(back.optimizer_state)
    np.testing.assert_array_equal(list(opt2.state.values())[0]["momentum_buffer"],
                                  opt.state[model.weight]["momentum_buffer"])


# -- issue #21: damaged and hostile checkpoints -------------------------------------------


def _flip_a_weight_bit(path):
    header = gn.io._header.read_header(path)
    _, _, begin, _ = header.tensors["model/0.weight"]
    data = bytearray(path.read_bytes())
    data[header.data_start + begin + 3] ^= 0x04
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_a_checkpoint_is_found(tmp_path):
    fit(tmp_path, 1, progress=False)
    path = pathlib.Path(train.CheckpointManager(tmp_path).latest())
    _flip_a_weight_bit(path)
    with pytest.raises(gn.io.FileFormatError, match="tensor 'model/0.weight' does not match its "
                                                    "checksum"):
        train.Checkpoint.load(path)


def test_resume_falls_back_to_the_previous_intact_checkpoint_saying_so(tmp_path):
    full = _weights(fit(None, 4, progress=False))
    fit(tmp_path, 3, progress=False)
    newest = tmp_path / "checkpoint-000003.safetensors"
    _flip_a_weight_bit(newest)
    lines = []
    model, optimizer, scheduler, data = build_run()
    train.fit(model, data, nn.CrossEntropyLoss(), optimizer, epochs=4, scheduler=scheduler,
              batch_size=16, checkpoint_dir=tmp_path, keep_last=2, resume=True, print_fn=lines.append)
    assert lines[0].startswith(f"skipping damaged checkpoint {newest}: load {newest}: tensor "
                               "'model/0.weight' does not match its checksum")
    assert lines[1] == (f"resuming from {tmp_path / 'checkpoint-000002.safetensors'} (the previous "
                        "intact one) (epoch 2, step 50)")
    _assert_bitwise_equal(full, _weights(model))  # epochs 3 and 4 redone: the same weights


def test_resume_without_progress_warns_about_a_damaged_checkpoint(tmp_path):
    fit(tmp_path, 2, progress=False)
    _flip_a_weight_bit(tmp_path / "checkpoint-000002.safetensors")
    with pytest.warns(RuntimeWarning, match="skipping damaged checkpoint .*000002"):
        fit(tmp_path, 3, resume=True, progress=False)


def test_when_every_checkpoint_is_damaged_resume_says_so(tmp_path):
    fit(tmp_path, 2, progress=False)
    for path in train.CheckpointManager(tmp_path).paths():
        _flip_a_weight_bit(pathlib.Path(path))
    with pytest.raises(gn.io.FileFormatError, match="every checkpoint in .* is damaged"):
        fit(tmp_path, 3, resume=True, progress=False)


def _rewritten(path, change):
    """Rewrite the JSON state of the checkpoint at ``path`` with ``change(doc)`` (its
    checksums stay valid: only the header changes)."""
    from safetensors.numpy import save

    arrays, meta = gn.io.read_arrays(path)
    doc = json.loads(meta["checkpoint"])
    change(doc)
    deep = "[" * 5000 + "]" * 5000  # JSON nested deeper than Python's recursion limit
    meta["checkpoint"] = json.dumps(doc).replace('"$deep"', deep)
    pathlib.Path(path).write_bytes(save(arrays, metadata=meta))


@pytest.mark.parametrize("change, pattern", [
    (lambda d: d.update(rng={"bit_generator": "PCG64", "state": "nonsense"}),
     "rng is a malformed PCG64 state"),
    (lambda d: d.update(rng={"bit_generator": "seed"}), "rng is not a random generator state"),
    (lambda d: d.update(loader_rng=[1, 2]), "loader_rng is not a random generator state"),
    (lambda d: d.update(epoch="abc"), "epoch must be a non-negative integer, got 'abc'"),
    (lambda d: d.update(history=[1, 2]), "history must be a list of records"),
    (lambda d: d.update(extra=5), "extra must be a dict or null"),
    (lambda d: d.update(extra={"deep": "$deep"}), "nested too deeply"),
])
def test_malformed_checkpoint_state_is_refused_on_load(tmp_path, change, pattern):
    fit(tmp_path, 1, progress=False)
    path = train.CheckpointManager(tmp_path).latest()
    with gn.io.LIMITS.raised(max_header_values=10**6):
        _rewritten(path, change)
        with pytest.raises(gn.io.FileFormatError, match=pattern):
            train.Checkpoint.load(path)


def _cut_run(tmp_path):
    ckpt = tmp_path / "ckpt"
    config = train.RunConfig(dataset="xor", hidden=(8,), epochs=1, out=str(tmp_path / "out"))
    train.run(config, checkpoint_dir=ckpt, progress=False)
    return ckpt, ckpt / "checkpoint-000001.safetensors"


def test_resume_checks_the_saved_arguments_before_building_the_model(tmp_path, capsys):
    """The probe: a checkpoint whose arguments say --hidden 25000,25000 (a 2.5 GB model)."""
    import tracemalloc

    ckpt, path = _cut_run(tmp_path)
    _rewritten(path, lambda d: d["extra"]["args"].update(hidden=[25000, 25000], epochs=2))
    tracemalloc.start()
    try:
        with pytest.raises(gn.GlassnetValueError, match=r"--resume: the saved arguments \(--model mlp "
                                                        r"--hidden 25000,25000\) describe a model of "
                                                        r"625,150,002 numbers but the checkpoint holds 42"):
            train.resume(ckpt, progress=False)
        assert tracemalloc.get_traced_memory()[1] < 20_000_000
    finally:
        tracemalloc.stop()
    assert main(["train", "--resume", str(ckpt)]) == 2
    assert "625,150,002 numbers" in capsys.readouterr().err


@pytest.mark.parametrize("hidden, pattern", [
    ([-5], r"hidden \(--hidden\) must be positive integers, got \[-5\]"),
    ("abc", "hidden .* must be positive integers, got 'abc'"),
    ([8.0], r"got \[8.0\]"),
    ([1] * 5000, "--hidden has 5,000 layers, over the limit of 1,000"),
])
def test_resume_refuses_malformed_saved_arguments_in_one_line(tmp_path, capsys, hidden, pattern):
    ckpt, path = _cut_run(tmp_path)
    _rewritten(path, lambda d: d["extra"]["args"].update(hidden=hidden))
    with pytest.raises(gn.GlassnetValueError, match=pattern):
        train.resume(ckpt, progress=False)
    assert main(["train", "--resume", str(ckpt)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds arguments that do not check" in err[0]


def test_a_malformed_rng_state_on_resume_is_one_line_exit_2(tmp_path, capsys):
    ckpt, path = _cut_run(tmp_path)
    _rewritten(path, lambda d: d.update(rng={"bit_generator": "PCG64", "state": {"state": "x"}}))
    assert main(["train", "--resume", str(ckpt)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "malformed PCG64 state" in err[0]


def test_disk_full_while_checkpointing_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import errno

    import glassnet.io._atomic as atomic

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    code = main(["train", "--dataset", "xor", "--hidden", "4", "--epochs", "1", "--no-progress",
                 "--checkpoint-dir", str(tmp_path / "ckpt"), "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device — nothing was written" in err[0]
    assert not os.path.exists(tmp_path / "ckpt") or os.listdir(tmp_path / "ckpt") == []


def test_results_json_is_strict_json_even_with_a_nan_loss(tmp_path):
    from glassnet.train._run import _write_outputs

    history = train.History([{"epoch": 1, "loss": float("nan"), "val_loss": float("inf")}])
    results = {"train_loss": float("nan"), "test_loss": float("-inf"), "train_accuracy": 0.5}
    paths = _write_outputs(str(tmp_path), nn.Linear(2, 2), history, results)

    def refuse(constant):
        raise ValueError(f"bare {constant} in JSON")

    written = json.loads(pathlib.Path(paths["results"]).read_text(), parse_constant=refuse)
    assert written == {"train_loss": None, "test_loss": None, "train_accuracy": 0.5}
    records = json.loads(pathlib.Path(paths["history"]).read_text(), parse_constant=refuse)
    assert records == {"records": [{"epoch": 1, "loss": None, "val_loss": None}]}
    assert gn.io.load_metadata(paths["model"])["results"]["train_loss"] is None
