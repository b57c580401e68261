"""Training that must learn, and the fit loop's features."""

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
