"""Transfer learning: frozen parameters do not change, optimizers get only trainable
ones, fine_tune trains the head first, and the example's fine-tuned model beats the one
trained from scratch on the same few samples."""

import importlib.util
import pathlib

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim, train

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "transfer_learning.py"


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def _snapshot(module):
    return {k: v.numpy().copy() for k, v in module.state_dict().items()}


def test_set_trainable_by_pattern_and_frozen_weights_stay_bitwise_equal():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    assert train.set_trainable(model, ["0", "2.*"], False) == ["0.weight", "0.bias", "2.weight",
                                                                "2.bias"]
    assert len(train.trainable_parameters(model)) == 2
    assert model.num_parameters(trainable_only=True) == 8 * 2 + 2
    before = _snapshot(model)
    # an optimizer over *all* parameters (with weight decay) still leaves frozen ones alone
    opt = optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.1)
    train.fit(model, _data(), nn.CrossEntropyLoss(), opt, epochs=3, progress=False, seed=0)
    after = _snapshot(model)
    for key in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert after[key].tobytes() == before[key].tobytes(), key
    assert not np.array_equal(after["4.weight"], before["4.weight"])
    with pytest.raises(gn.GlassnetError, match="no parameter.*matches"):
        train.set_trainable(model, "classifier")


def test_fine_tune_trains_the_head_first_then_everything():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    seen = []

    class Watch(train.Callback):
        def on_epoch_end(self, run, epoch, logs):
            seen.append((_snapshot(model), [p.requires_grad for p in model.parameters()]))

    start = _snapshot(model)
    history = train.fine_tune(model, _data(), nn.CrossEntropyLoss(), head=model[2], epochs=4,
                              freeze_epochs=2, lr=0.05, callbacks=[Watch()], progress=False,
                              seed=0)
    assert history.epochs == [1, 2, 3, 4]
    assert history["phase"] == ["head", "head", "all", "all"]
    assert [flags for _, flags in seen] == [[False, False, True, True]] * 2 + [[True] * 4] * 2
    head_phase_end = seen[1][0]
    assert head_phase_end["0.weight"].tobytes() == start["0.weight"].tobytes()
    assert not np.array_equal(head_phase_end["2.weight"], start["2.weight"])
    assert not np.array_equal(seen[3][0]["0.weight"], start["0.weight"])
    assert all(p.requires_grad for p in model.parameters())


def test_fine_tune_checks_its_arguments():
    model = nn.Sequential(nn.Linear(5, 2))
    with pytest.raises(gn.GlassnetError, match="freeze_epochs"):
        train.fine_tune(model, _data(), nn.CrossEntropyLoss(), head=model[0], epochs=2,
                        freeze_epochs=3)
    with pytest.raises(gn.GlassnetError, match="no parameters inside"):
        train.fine_tune(model, _data(), nn.CrossEntropyLoss(), head=nn.Linear(2, 2), epochs=2)


def test_example_fine_tuned_model_beats_training_from_scratch(monkeypatch):
    monkeypatch.setenv("GLASSNET_QUICK", "1")
    spec = importlib.util.spec_from_file_location("transfer_learning_example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    result = example.main()
    assert result["source"] > 0.6  # the pretrained network learned its own task
    assert result["fine_tuned"] > result["scratch"] + 0.05, result
