"""``glassnet train --model gpt``: a character-level GPT on CPython's documentation topics
or a user's text file — the windows it cuts, the loss it reports, the sample it prints."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import data, train
from glassnet._errors import GlassnetValueError


def _cli(*args, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "glassnet", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_windows_are_inputs_and_their_next_characters():
    vocab = data.CharVocab.from_text("hello world")
    assert vocab.chars == " dehlorw" and len(vocab) == 8
    ids = vocab.encode("hello world")
    assert ids.tolist() == [3, 2, 4, 4, 5, 0, 7, 5, 6, 4, 1] and vocab.decode(ids) == "hello world"
    ds = data.char_windows(ids, context=4)  # windows "hello", "o wor"; "ld" is too short
    x, y = ds.arrays
    assert x.shape == y.shape == (2, 4) and x.dtype == np.int64
    assert vocab.decode(x[0]) == "hell" and vocab.decode(y[0]) == "ello"
    assert vocab.decode(x[1]) == "o wo" and vocab.decode(y[1]) == " wor"
    with pytest.raises(GlassnetValueError, match="'z' is not in the vocabulary"):
        vocab.encode("hez")


def test_split_holds_out_the_end_and_refuses_too_little_text():
    text = "abcdefghij" * 30  # 300 characters: 270 to train, 30 to validate
    vocab, train_set, val_set = data.text_splits(text, context=9)
    assert len(vocab) == 10 and len(train_set) == 29 and len(val_set) == 3
    assert vocab.decode(val_set.arrays[0][0]) == text[270:279]
    with pytest.raises(GlassnetValueError, match="--context 64 need at least 650"):
        data.text_splits(text, context=64)


def test_builtin_corpus_is_pydoc_topics():
    from pydoc_data.topics import topics

    text = data.pydoc_topics(1000)
    assert len(text) == 1000 and text == "".join(topics[k] for k in sorted(topics))[:1000]


def test_gpt_defaults_and_what_gpt_trains_on(tmp_path):
    config = train.RunConfig(model="gpt", dataset="text")
    assert config.hidden == (64, 64) and config.batch_size == 32 and config.context == 64
    assert config.learning_rate == 0.003
    assert train.RunConfig().hidden == (100, 100) and train.RunConfig().batch_size == 100
    bad = train.RunConfig(model="gpt", dataset="xor", out=str(tmp_path))
    with pytest.raises(GlassnetValueError, match="--model gpt trains on text"):
        train.run(bad, progress=False)
    with pytest.raises(GlassnetValueError, match="is text: train a character-level model on it with --model"):
        train.run(train.RunConfig(model="mlp", dataset="text", out=str(tmp_path)), progress=False)


def test_cli_trains_on_the_builtin_text_prints_a_sample_and_the_loss_falls(tmp_path):
    out = tmp_path / "run"
    done = _cli("train", "--model", "gpt", "--dataset", "text", "--epochs", "2", "--hidden", "16",
                "--context", "16", "--batch-size", "64", "--sample", "40", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "val loss" in done.stdout and "sample (after the prompt" in done.stdout
    assert "test loss" not in done.stdout  # the held-out end of the text validates; there is no test text
    results = json.loads((out / "results.json").read_text())
    history = json.loads((out / "history.json").read_text())
    losses = [row["val_loss"] for row in history["records"]]
    vocab = len(results["vocabulary"])
    assert losses[0] < math.log(vocab) and losses[-1] < losses[0]  # below chance, and still falling
    assert results["sample"].startswith(results["prompt"])
    assert len(results["sample"]) == len(results["prompt"]) + 40
    assert results["sample"] in done.stdout
    model = gn.models.load_model(str(out / "model.safetensors"))
    assert model.context_length == 16 and model.vocab_size == vocab


def test_cli_trains_on_a_users_text_file(tmp_path):
    corpus = tmp_path / "my.txt"
    corpus.write_text("the cat sat on the mat. " * 60, encoding="utf-8")
    out = tmp_path / "run"
    done = _cli("train", "--model", "gpt", "--dataset", str(corpus), "--epochs", "3", "--hidden", "16",
                "--context", "8", "--batch-size", "16", "--lr", "0.01", "--sample", "30",
                "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["vocabulary"] == " .acehmnost" and results["val_loss"] < 1.5
    assert "test_loss" not in results  # the held-out end of the text is validation, not a test set
    assert set(results["sample"]) <= set(results["vocabulary"]) and "sample" in done.stdout
    assert _cli("train", "--model", "gpt", "--dataset", str(tmp_path / "none.txt"), "--out", str(out),
                cwd=tmp_path).returncode != 0


def test_a_gpt_run_resumes_from_its_checkpoint_to_the_same_numbers(tmp_path):
    config = train.RunConfig(model="gpt", dataset="text", epochs=2, hidden=(8,), context=8, batch_size=256,
                             sample=10, out=str(tmp_path / "full"))
    full = train.run(config, checkpoint_dir=tmp_path / "ckpt", progress=False)
    (tmp_path / "ckpt" / "checkpoint-000002.safetensors").unlink()
    resumed = train.resume(tmp_path / "ckpt", progress=False)
    assert resumed["val_loss"] == full["val_loss"] and resumed["sample"] == full["sample"]
