"""Training that must learn, and the fit loop's features."""

import io as std_io
import json
import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.data as gd
import glassnet.nn as nn
from glassnet import io, optim, train
from glassnet.models import MLP


def _spiral():
    return gd.load("spiral", "train", seed=0), gd.load("spiral", "test", seed=0)


def test_mlp_learns_spiral():
    gn.manual_seed(0)
    train_set, test_set = _spiral()
    model = MLP(2, (64, 64, 64), 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    history = train.fit(model, train_set, nn.CrossEntropyLoss(), opt, epochs=100, batch_size=32,
                        scheduler=optim.lr_scheduler.CosineAnnealingLR(opt, 100),
                        progress=False, seed=0)
    assert train.evaluate(model, train_set)["accuracy"] >= 0.97
    assert train.evaluate(model, test_set)["accuracy"] >= 0.95
    assert history["loss"][-1] < 0.25 * history["loss"][0]


def test_mlp_learns_mnist1d():
    gn.manual_seed(0)
    train_set, test_set = gd.load("mnist1d", "train"), gd.load("mnist1d", "test")
    model = MLP(40, (100, 100), 10)
    opt = optim.Adam(model.parameters(), lr=0.01)
    train.fit(model, train_set, nn.CrossEntropyLoss(), opt, epochs=12, batch_size=100,
              progress=False, seed=0)
    assert train.evaluate(model, test_set)["accuracy"] >= 0.60


def test_pytorch_style_loop_learns_xor():
    gn.manual_seed(1)
    X, y = gd.xor(400, seed=1).tensors
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(200):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
    accuracy = (model(X).argmax(dim=1) == y).numpy().mean()
    assert accuracy >= 0.95


def _xor_data():
    return gd.xor(200, seed=0), gd.xor(100, seed=1)


def test_history_validation_and_lr_monitor():
    gn.manual_seed(0)
    tr, va = _xor_data()
    model = MLP(2, (8,), 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = train.fit(model, tr, nn.CrossEntropyLoss(), opt, epochs=4, val_data=va,
                        scheduler=sched, callbacks=[train.LearningRateMonitor()], progress=False)
    assert len(history) == 4 and history.epochs == [1, 2, 3, 4]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"):
        assert len(history[key]) == 4
    assert history["lr"] == [0.1, 0.05, 0.05, 0.025]  # logged after each epoch's step
    assert all(0 <= a <= 1 for a in history["val_accuracy"])
    logs = train.evaluate(model, va, nn.CrossEntropyLoss())
    assert logs["loss"] == pytest.approx(history["val_loss"][-1])


def test_one_cycle_steps_per_batch():
    tr, _ = _xor_data()
    model = MLP(2, (8,), 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = gd.DataLoader(tr, batch_size=50)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=3 * len(loader))
    train.fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=3, scheduler=sched,
              progress=False)
    assert sched.last_epoch == 3 * len(loader)


def test_early_stopping_restores_best():
    gn.manual_seed(0)
    tr, va = _xor_data()
    model = MLP(2, (8,), 2)
    opt = optim.SGD(model.parameters(), lr=10.0)  # far too large: the loss will not improve
    stopper = train.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    history = train.fit(model, tr, nn.CrossEntropyLoss(), opt,
                        epochs=50, callbacks=[stopper], progress=False)
    assert len(history) < 50 and stopper.stopped_epoch == len(history)
    best = min(history["loss"])
    assert stopper.best == best


def test_model_checkpoint_writes_loadable_files(tmp_path):
    tr, va = _xor_data()
    model = MLP(2, (8,), 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    ckpt = train.ModelCheckpoint(tmp_path / "epoch{epoch}.safetensors", monitor="val_loss")
    train.fit(model, tr, nn.CrossEntropyLoss(), opt, epochs=2, val_data=va, callbacks=[ckpt],
              progress=False)
    assert [p.rsplit("/", 1)[-1] for p in ckpt.saved] == ["epoch1.safetensors", "epoch2.safetensors"]
    restored = MLP(2, (8,), 2)
    restored.load_state_dict(io.load(ckpt.saved[-1]))
    x = gn.randn(5, 2)
    np.testing.assert_array_equal(restored(x).numpy(), model(x).numpy())
    assert io.load_metadata(ckpt.saved[-1])["epoch"] == 2
    assert not list(tmp_path.glob("*.tmp"))


def test_history_plot_and_json(tmp_path):
    tr, va = _xor_data()
    model = MLP(2, (4,), 2)
    history = train.fit(model, tr, nn.CrossEntropyLoss(), optim.Adam(model.parameters()),
                        epochs=2, val_data=va, progress=False)
    png = history.plot(tmp_path / "h.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    history.save(tmp_path / "h.json")
    assert train.History.load(tmp_path / "h.json")["loss"] == history["loss"]
    assert json.loads((tmp_path / "h.json").read_text())["records"][0]["epoch"] == 1


def test_predict_and_evaluate_restore_mode():
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5))
    X = gn.randn(10, 2)
    out = train.predict(model, X, batch_size=4)
    assert out.shape == (10, 3)
    np.testing.assert_allclose(out.numpy(), model.eval()(X).numpy(), rtol=1e-6)
    model.train()
    train.evaluate(model, (X, gn.zeros(10, dtype=gn.int64)))
    assert model.training


def test_nan_in_data_is_reported():
    X = np.ones((8, 2), dtype=np.float32)
    X[3, 1] = np.nan
    model = MLP(2, (4,), 2)
    with pytest.raises(gn.GlassnetValueError, match="NaN or Inf"):
        train.fit(model, (X, np.zeros(8, dtype=np.int64)), nn.CrossEntropyLoss(),
                  optim.SGD(model.parameters(), lr=0.1), progress=False)


def test_diverging_loss_is_reported():
    model = nn.Linear(2, 1)
    X = np.full((8, 2), 1e30, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(gn.GlassnetValueError, match="the loss became"):
        train.fit(model, (X, np.zeros((8, 1), dtype=np.float32)), nn.MSELoss(),
                  optim.SGD(model.parameters(), lr=1.0), metrics=(), progress=False)


def test_empty_dataset_is_reported():
    model = nn.Linear(2, 2)
    with pytest.raises(gn.GlassnetValueError, match="empty"):
        train.fit(model, (np.zeros((0, 2), np.float32), np.zeros(0, np.int64)),
                  nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), progress=False)


def test_progress_lines_printed():
    tr, _ = _xor_data()
    model = MLP(2, (4,), 2)
    lines = []
    train.fit(model, tr, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), epochs=2,
              print_fn=lines.append)
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2  loss ")
    assert math.isfinite(float(lines[0].split()[3]))


def test_float16_adam_whose_eps_rounds_to_zero_is_named_when_the_loss_breaks():
    import warnings

    gn.manual_seed(0)
    model = gn.nn.Linear(3, 2).to(gn.float16)
    X, y = gn.randn(32, 3).to(gn.float16), gn.tensor(np.arange(32) % 2)
    with warnings.catch_warnings(), pytest.raises(gn.GlassnetValueError) as info:
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's divide-by-zero on the way
        gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), gn.optim.Adam(model.parameters()),
                     epochs=3, progress=False, print_fn=lambda *a: None)
    message = str(info.value)
    assert "eps=1e-08 rounds to 0 in float16" in message and "lower the learning rate" not in message


# -- issue #17: validation carved from the training data, time per epoch, a progress bar ----------


def test_validation_split_holds_out_a_random_part_of_the_training_data():
    tr, _ = _xor_data()  # 200 samples
    kept, held = train.split_validation(tr, 0.25, seed=3)
    assert (len(kept), len(held)) == (150, 50)
    assert sorted(np.concatenate([kept.indices, held.indices]).tolist()) == list(range(200))
    assert held.indices.max() > 150 > held.indices.min()  # random, not the last quarter
    again = train.split_validation(tr, 0.25, seed=3)[1]
    np.testing.assert_array_equal(again.indices, held.indices)
    assert train.split_validation(tr, 0.0)[1] is None
    assert len(train.split_validation(tr, 0.001, seed=0)[1]) == 1  # at least one sample


def test_fit_validation_split_logs_val_metrics_of_exactly_the_held_out_samples():
    gn.manual_seed(0)
    tr, _ = _xor_data()
    model = MLP(2, (8,), 2)
    history = train.fit(model, tr, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), epochs=2,
                        validation_split=0.25, seed=3, progress=False)
    _, held = train.split_validation(tr, 0.25, seed=3)
    logs = train.evaluate(model, held, nn.CrossEntropyLoss())
    assert history["val_loss"][-1] == pytest.approx(logs["loss"], rel=1e-6)
    assert history["val_accuracy"][-1] == pytest.approx(logs["accuracy"])
    trained_on = train.evaluate(model, tr, nn.CrossEntropyLoss())["loss"]
    assert history["val_loss"][-1] != pytest.approx(trained_on, rel=1e-6)  # not the whole set


def test_validation_data_and_its_older_name_val_data_give_the_same_history():
    tr, va = _xor_data()
    runs = []
    for keyword in ("validation_data", "val_data"):
        gn.manual_seed(0)
        model = MLP(2, (8,), 2)
        history = train.fit(model, tr, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                            epochs=2, seed=0, progress=False, **{keyword: va})
        runs.append([history["val_loss"], history["val_accuracy"]])
    assert runs[0] == runs[1]


def test_validation_arguments_that_cannot_work_are_refused():
    tr, va = _xor_data()
    model = MLP(2, (4,), 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(gn.GlassnetValueError, match="pass one of the two"):
        train.fit(model, tr, nn.CrossEntropyLoss(), opt, validation_split=0.1, validation_data=va,
                  progress=False)
    with pytest.raises(gn.GlassnetValueError, match="not both"):
        train.fit(model, tr, nn.CrossEntropyLoss(), opt, validation_data=va, val_data=va, progress=False)
    with pytest.raises(gn.GlassnetTypeError, match="got a DataLoader"):
        train.fit(model, gd.DataLoader(tr, batch_size=10), nn.CrossEntropyLoss(), opt,
                  validation_split=0.1, progress=False)
    with pytest.raises(gn.GlassnetValueError, match=r"validation_split must be a fraction in \[0, 1\)"):
        train.fit(model, tr, nn.CrossEntropyLoss(), opt, validation_split=1.0, progress=False)
    with pytest.raises(gn.GlassnetValueError, match="leaving none to train on"):
        train.split_validation(gd.xor(1, seed=0), 0.5)


def test_each_epoch_records_and_prints_its_time_and_throughput():
    tr, _ = _xor_data()
    model = MLP(2, (4,), 2)
    lines = []
    history = train.fit(model, tr, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), epochs=2,
                        print_fn=lines.append)
    seconds = history["time"]
    assert len(seconds) == 2 and all(math.isfinite(t) and t > 0 for t in seconds)
    for line, t in zip(lines, seconds, strict=True):
        parts = line.split("  ")
        assert parts[-2] == f"{t:.1f}s"
        assert parts[-1] == f"{200 / t:,.0f} samples/s"  # 200 samples trained on per epoch


class _Terminal(std_io.StringIO):
    def isatty(self):
        return True


def test_the_epoch_bar_counts_samples_and_shows_throughput_on_a_terminal():
    from glassnet.train._progress import EpochBar

    loader = gd.DataLoader(gd.xor(50, seed=0), batch_size=20)
    screen = _Terminal()
    bar = EpochBar(loader, 2, 5, True, stream=screen)
    for n in (20, 20, 10):
        bar.update(n, 0.6931)
    assert bar.bar.n == bar.bar.total == 50
    meter = str(bar.bar)  # what the bar shows now (tqdm redraws at most every 0.1 s)
    assert meter.startswith("epoch 2/5: 100%|") and "| 50/50 [" in meter
    assert " samples/s, loss=0.6931]" in meter
    bar.close()
    assert "epoch 2/5:   0%|" in screen.getvalue()  # drawn on the terminal from the start
    for stream, enabled in ((std_io.StringIO(), True), (_Terminal(), False)):  # not a terminal; turned off
        quiet = EpochBar(loader, 1, 1, enabled, stream=stream)
        quiet.update(20, 0.5)
        quiet.close()
        assert quiet.bar is None and stream.getvalue() == ""


_FIT_SCRIPT = """
import glassnet as gn, glassnet.data as gd, glassnet.nn as nn
from glassnet import optim, train
gn.manual_seed(0)
model = gn.models.MLP(2, (4,), 2)
train.fit(model, gd.xor(400, seed=0), nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
          epochs=2, batch_size=10, progress={progress})
print("done")
"""


def _output_on_a_pseudo_terminal(script):
    """What ``python -c script`` writes when stdout and stderr are a terminal (a pty)."""
    pty = pytest.importorskip("pty")
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    child = subprocess.Popen([sys.executable, "-c", script], stdin=follower, stdout=follower,
                             stderr=follower, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert child.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def test_fit_draws_its_bar_on_a_terminal_only():
    import subprocess
    import sys

    shown = _output_on_a_pseudo_terminal(_FIT_SCRIPT.format(progress=True))
    assert "epoch 1/2:" in shown and "%|" in shown and "/400 [" in shown and " samples/s" in shown
    assert "done" in shown
    quiet = _output_on_a_pseudo_terminal(_FIT_SCRIPT.format(progress=False))
    assert "%|" not in quiet and "epoch" not in quiet and "done" in quiet
    piped = subprocess.run([sys.executable, "-c", _FIT_SCRIPT.format(progress=True)], capture_output=True,
                           text=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""  # no bar, no carriage returns
    assert "%|" not in piped.stdout and "\r" not in piped.stdout
    assert [line.split("  ")[0] for line in piped.stdout.splitlines()] == ["epoch 1/2", "epoch 2/2", "done"]
