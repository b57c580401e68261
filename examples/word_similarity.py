"""Cosine similarity of word embeddings: the founding documents' "cat", "dog", "pet".

Three 3-D vectors (normally learned, here given) compared with ``F.cosine_similarity``,
``cos(a, b) = a·b / (‖a‖·‖b‖)``, and the nearest words to "cat" with
``gn.nn.utils.nearest``. Also as one matrix product: normalise the rows, then
``S = Ê·Êᵀ`` holds every pair's similarity.

    python examples/word_similarity.py
"""

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.nn.utils import nearest

WORDS = ["cat", "dog", "pet"]
VECTORS = [[0.2, 0.4, 0.3],   # cat
           [0.1, 0.5, 0.2],   # dog
           [0.3, 0.4, 0.1]]   # pet


def similarities():
    """{(word1, word2): cosine similarity} for every pair, computed by glassnet."""
    E = gn.tensor(VECTORS, dtype=gn.float64)
    out = {}
    for i in range(len(WORDS)):
        for j in range(i + 1, len(WORDS)):
            cos = F.cosine_similarity(E[i : i + 1], E[j : j + 1], dim=1)
            out[(WORDS[i], WORDS[j])] = float(cos.item())
    return out


def main():
    sims = similarities()
    for (a, b), cos in sims.items():
        print(f"Similarity between '{a}' and '{b}': {cos:.4f}")
    E = gn.tensor(VECTORS, dtype=gn.float64)
    unit = F.normalize(E, dim=1)
    print("all pairs at once, S = Ê·Êᵀ (rows normalised):")
    print((unit @ unit.T).numpy().round(4))
    idx, scores = nearest(E, E[0], k=3)
    print("nearest to 'cat':", ", ".join(f"{WORDS[i]} {s:.4f}" for i, s in
                                         zip(idx.tolist(), scores.tolist(), strict=True)))
    return sims


if __name__ == "__main__":
    main()
