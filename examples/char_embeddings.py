"""A character-level GRU language model and the nearest neighbours of its embeddings.

The text is one that ships with installed packages — the dataset descriptions bundled with
scikit-learn (or, without it, the Zen of Python from the standard library): nothing is
downloaded. The model reads 32 characters and predicts each next one:

    Embedding(V, 16) → GRU(16, 96, batch_first) → Linear(96, V)

and learns, as a side effect, a 16-D vector per character. Characters used alike end up
close by cosine similarity: ``gn.nn.utils.nearest`` lists each one's neighbours.

    python examples/char_embeddings.py           # ~2 minutes on a busy 2-core machine
    GLASSNET_QUICK=1 python examples/char_embeddings.py
"""

import codecs
import os
import pathlib

import numpy as np

import glassnet as gn
import glassnet.nn as nn
from glassnet import data, optim
from glassnet.nn.utils import nearest

QUICK = os.environ.get("GLASSNET_QUICK") == "1"
SEQ = 32


def corpus():
    """Lower-cased text from an installed package, whitespace runs folded to one space."""
    try:
        import sklearn

        folder = pathlib.Path(sklearn.__file__).parent / "datasets" / "descr"
        text = " ".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rst")))
    except (ImportError, OSError):
        import this  # noqa: F401  (prints the Zen once; its text is ROT13 in this.s)

        text = codecs.decode(this.s, "rot13")
    return " ".join(text.lower().split())


class CharModel(nn.Module):
    def __init__(self, vocab, dim=16, hidden=96):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx):  # (N, T) int → (N·T, V) logits
        out, _ = self.gru(self.embed(idx))
        return self.head(out).reshape(-1, self.head.out_features)


def windows(codes):
    """(inputs, targets): non-overlapping windows of SEQ characters and the next ones."""
    n = (len(codes) - 1) // SEQ
    x = codes[: n * SEQ].reshape(n, SEQ)
    y = codes[1 : n * SEQ + 1].reshape(n, SEQ)
    return data.TensorDataset(gn.tensor(x), gn.tensor(y))


def main():
    gn.manual_seed(0)
    text = corpus()
    if QUICK:
        text = text[:3000]
    chars = sorted(set(text))
    codes = np.array([chars.index(c) for c in text], dtype=np.int64)
    dataset = windows(codes)
    model = CharModel(len(chars))
    print(f"{len(text):,} characters, vocabulary {len(chars)}, {len(dataset)} windows of {SEQ}, "
          f"{model.num_parameters():,} parameters")
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    epochs = 1 if QUICK else 15
    for epoch in range(epochs):
        for x, y in data.DataLoader(dataset, batch_size=64, shuffle=True):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y.reshape(-1))
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}/{epochs}  loss {loss.item():.3f} nats/char")
    with gn.no_grad():
        x, y = dataset.get_batch(np.arange(len(dataset)))
        accuracy = float((model(x).argmax(-1).numpy() == y.numpy().reshape(-1)).mean())
    print(f"next-character accuracy on the training text: {accuracy:.1%}")
    show_neighbours(model.embed.weight, chars, "aeiou.,0123s t")
    return accuracy


def show_neighbours(weight, chars, probes):
    print("nearest characters by cosine similarity of their embeddings:")
    for c in probes:
        if c not in chars:
            continue
        idx, scores = nearest(weight, weight[chars.index(c)], k=5)
        near = [f"{chars[i]!r} {s:.2f}" for i, s in zip(idx.tolist(), scores.tolist(), strict=True)
                if chars[i] != c][:4]
        print(f"  {c!r}: " + ", ".join(near))


if __name__ == "__main__":
    main()
