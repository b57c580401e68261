"""Character embeddings that learn what a character is for, in seconds.

The model sees the two characters on each side of a gap and guesses the character in
the gap (the character-level "continuous bag of words" task):

    Embedding(V, 16) for each of the 4 neighbours → concatenate (64) → Linear(64, 128)
    → ReLU → Linear(128, V) → softmax over the V characters

Its only way to do well is to give characters that fill the same gaps similar 16-number
vectors. Afterwards the cosine similarity of those vectors groups the characters: the
punctuation that ends a clause sits with other punctuation, digits with digits, letters
with letters. The script prints each probe's nearest characters and, over every common
character, how often its nearest neighbours are of its own kind (letter, digit,
punctuation, bracket) against what chance would give.

The text is CPython's documentation topics (``pydoc_data``, shipped with Python; nothing
is downloaded), lower-cased, the first 300,000 characters.

    python examples/char_embeddings.py               # about 15 s on a 2-core machine
    GLASSNET_QUICK=1 python examples/char_embeddings.py
"""

import os

import numpy as np

import glassnet as gn
import glassnet.data as gd
import glassnet.nn as nn
from glassnet import optim
from glassnet.nn.utils import nearest

QUICK = os.environ.get("GLASSNET_QUICK") == "1"
SIDE = 2  # characters on each side of the gap
DIM = 16
COMMON = 300  # characters seen fewer times than this keep near-random vectors: not shown
KINDS = {"letter": "abcdefghijklmnopqrstuvwxyz", "digit": "0123456789",
         "punctuation": ".,:;!?", "bracket": "()[]{}<>"}


def corpus(n_chars):
    """The documentation topics, lower-cased, whitespace runs folded to one space."""
    return " ".join(gd.pydoc_topics().lower().split())[:n_chars]


def gaps(codes):
    """(context, middle): for every position, the SIDE codes on each side and the code there."""
    n = len(codes) - 2 * SIDE
    context = np.stack([codes[i:i + n] for i in range(2 * SIDE + 1) if i != SIDE], axis=1)
    return context, codes[SIDE:SIDE + n]


class GapFiller(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, DIM)
        self.hidden = nn.Linear(2 * SIDE * DIM, 128)
        self.out = nn.Linear(128, vocab)

    def forward(self, context):  # (N, 2·SIDE) int → (N, V) logits
        vectors = self.embed(context).reshape(context.shape[0], -1)
        return self.out(gn.relu(self.hidden(vectors)))


def train(context, middle, vocab, epochs):
    gn.manual_seed(0)
    model = GapFiller(vocab)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = gd.DataLoader(gd.TensorDataset(gn.tensor(context), gn.tensor(middle)), batch_size=512,
                           shuffle=True)
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch + 1}/{epochs}  loss {loss.item():.3f} nats per character")
    return model


def kind(c):
    return next((name for name, members in KINDS.items() if c in members), "other")


def neighbours(weight, chars, c, k=3):
    """The ``k`` characters whose vectors are nearest ``c``'s by cosine, with the scores."""
    idx, scores = nearest(weight, weight[chars.index(c)], k=k + 1)
    return [(chars[i], s) for i, s in zip(idx.tolist(), scores.tolist(), strict=True) if chars[i] != c][:k]


def same_kind_rate(weight, chars, k=3):
    """(share of each character's k nearest that are of its own kind, the share chance gives)."""
    kinds = [kind(c) for c in chars]
    hits = sum(kind(n) == kind(c) for c in chars for n, _ in neighbours(weight, chars, c, k))
    chance = np.mean([(kinds.count(kind(c)) - 1) / (len(chars) - 1) for c in chars])
    return hits / (k * len(chars)), float(chance)


def main():
    text = corpus(20_000 if QUICK else 300_000)
    chars = sorted(set(text))
    codes = np.searchsorted(np.array(chars), np.array(list(text)))
    context, middle = gaps(codes)
    print(f"{len(text):,} characters, {len(chars)} distinct, {len(middle):,} gaps to fill")
    model = train(context, middle, len(chars), 1 if QUICK else 2)

    counts = np.bincount(codes, minlength=len(chars))
    common = [c for c, n in zip(chars, counts, strict=True) if n >= (1 if QUICK else COMMON)]
    weight = model.embed.weight.detach()[gn.tensor([chars.index(c) for c in common])]
    print(f"nearest characters by cosine similarity ({len(common)} characters seen {COMMON}+ times):")
    for c in ".,:)0a":
        if c in common:
            print(f"  {c!r}: " + ", ".join(f"{n!r} {s:.2f}" for n, s in neighbours(weight, common, c)))
    rate, chance = same_kind_rate(weight, common)
    print(f"nearest 3 of the same kind (letter, digit, punctuation, bracket): {rate:.0%} "
          f"(chance {chance:.0%})")
    return rate, chance


if __name__ == "__main__":
    main()
