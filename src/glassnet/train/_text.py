"""A character-level GPT run: ``glassnet train --model gpt --dataset text`` (or
``--dataset my.txt``), the text branch of :func:`glassnet.train.run`.

1. The corpus: ``text`` is the first :data:`BUILTIN_CHARS` characters of CPython's
   documentation topics (:func:`glassnet.data.pydoc_topics`); a ``.txt`` path is the
   user's UTF-8 file. Its last ``val_split`` (10 % by default) is held out for validation.
2. Windows of ``context + 1`` characters → (input (B, T), target (B, T)) pairs
   (:func:`glassnet.data.text_splits`).
3. :class:`~glassnet.models.GPT` with one block per entry of ``hidden`` trained by
   :func:`~glassnet.train.fit` with cross-entropy over every position —

       loss = −(1 / (B·T)) Σ_{b,t} log softmax(logits[b, t])[target[b, t]]

   logits (B, T, V) and targets (B, T) flattened to (B·T, V) and (B·T,) — and the
   validation loss and next-character accuracy after every epoch.
4. A sample: ``sample`` characters generated after a prompt (the first characters of
   the validation text), written into results.json with the vocabulary, so the saved
   model can be decoded later. The results report ``val_loss`` and ``val_accuracy`` (the
   held-out end of the text, seen after every epoch; there is no separate test text).
"""

import time

import numpy as np

from glassnet._errors import GlassnetValueError

__all__ = ["BUILTIN_CHARS", "TEXT_DATASET", "TEXT_DESCRIPTION", "generate_text", "is_text_dataset",
           "sequence_cross_entropy", "train_text"]

TEXT_DATASET = "text"
BUILTIN_CHARS = 60_000  # of pydoc_data's ~465,000: one epoch at the defaults takes ~15 s on 2 cores
PROMPT_CHARS = 16
TEXT_DESCRIPTION = (f"CPython's documentation topics (pydoc_data, ships with Python), the first "
                    f"{BUILTIN_CHARS:,} characters: a character-level corpus for --model gpt")
TEMPERATURE = 0.8


def is_text_dataset(name):
    """``text`` or a path ending in ``.txt``: the datasets a GPT run reads."""
    return name == TEXT_DATASET or name.lower().endswith(".txt")


def sequence_cross_entropy(logits, targets):
    """Mean cross-entropy of logits (B, T, V) against target ids (B, T), every position."""
    from glassnet.nn import functional as F

    v = logits.shape[-1]
    return F.cross_entropy(logits.reshape(-1, v), targets.reshape(-1))


def load_text(name):
    """The characters of ``--dataset name``: the built-in corpus or a ``.txt`` file."""
    from glassnet import data

    if name == TEXT_DATASET:
        return data.pydoc_topics(BUILTIN_CHARS)
    return data.read_text(name)


def generate_text(model, vocab, prompt, length, seed=0, temperature=TEMPERATURE):
    """``prompt`` followed by ``length`` characters sampled from ``model`` (through its
    key/value cache, at ``temperature``; the same text for the same ``seed``)."""
    ids = vocab.encode(prompt)[None, -model.context_length:]
    out = model.generate(ids, length, temperature=temperature, generator=np.random.default_rng(seed))
    return prompt + vocab.decode(out.numpy()[0, ids.shape[1]:])


def _plan(config, vocab_size, held):
    """The GPT config, its numbers checked against the limits (and a checkpoint's)."""
    from glassnet.models._config import check_config

    width = config.hidden[0]
    if len(set(config.hidden)) != 1:
        raise GlassnetValueError(f"--hidden for gpt: the blocks share one width (e.g. 64,64), got "
                                 f"{','.join(map(str, config.hidden))}")
    planned = {"kind": "gpt", "vocab_size": vocab_size, "context_length": config.context,
               "d_model": width, "num_heads": 4 if width % 4 == 0 else 1,
               "num_layers": len(config.hidden)}
    _, _, numbers = check_config(planned, who=f"--model gpt for {config.dataset}")
    if held is not None and numbers != held:
        raise GlassnetValueError(f"--resume: the saved arguments describe a GPT of {numbers:,} numbers "
                                 f"but the checkpoint holds {held:,}; the checkpoint does not match them")
    return planned


def train_text(config, checkpoint_dir, resuming, progress, print_fn, held=None, compile=False):  # noqa: A002
    """The text branch of ``glassnet.train._run._train`` (same arguments): train a GPT as
    the module docstring says, write the run's files, return its results."""
    from glassnet import data
    from glassnet.models import build_model
    from glassnet.train._loop import fit
    from glassnet.train._run import _optimizer, _throughput, finish_run, open_run

    if not is_text_dataset(config.dataset):
        raise GlassnetValueError(f"--model gpt trains on text: --dataset {TEXT_DATASET} (CPython's "
                                 f"documentation topics) or a .txt file, got {config.dataset!r}")
    if config.val_split == 0:
        raise GlassnetValueError("--model gpt validates on the end of its text: --val-split must be "
                                 "above 0 (default 0.1)")
    text = load_text(config.dataset)
    vocab, train_set, val_set = data.text_splits(text, config.context, config.val_split, name=config.dataset)
    planned = _plan(config, len(vocab), held)
    model = build_model("gpt", config.context, len(vocab), hidden=config.hidden,
                        num_heads=planned["num_heads"])
    optimizer = _optimizer(config.optimizer, model.parameters(), config.learning_rate)
    config, manager = open_run(config, checkpoint_dir, print_fn)
    if progress:
        print_fn(f"training gpt on {config.dataset}: {len(text):,} characters, {len(vocab)} in the "
                 f"vocabulary, {len(train_set)} train / {len(val_set)} validation windows of "
                 f"{config.context}, {model.num_parameters():,} parameters, {config.optimizer} "
                 f"lr={config.learning_rate}")
    start = time.perf_counter()
    history = fit(model, train_set, sequence_cross_entropy, optimizer, epochs=config.epochs,
                  validation_data=val_set, batch_size=config.batch_size, seed=config.seed, progress=progress,
                  print_fn=print_fn, checkpoint_dir=manager, resume=resuming, compile=compile)
    elapsed = time.perf_counter() - start
    prompt = vocab.decode(val_set.arrays[0][0][:min(PROMPT_CHARS, config.context)])
    results = {"model": "gpt", "dataset": config.dataset, "epochs": len(history),
               "train_loss": history["loss"][-1], "val_loss": history["val_loss"][-1],
               "train_accuracy": history["accuracy"][-1], "val_accuracy": history["val_accuracy"][-1],
               "seconds": elapsed, "parameters": model.num_parameters(),
               **_throughput(config, history, len(train_set)), "context": config.context,
               "vocabulary": vocab.chars, "prompt": prompt,
               "sample": generate_text(model, vocab, prompt, config.sample, seed=config.seed)}
    return finish_run(config, manager, model, history, results)
