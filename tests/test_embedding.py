"""Embedding, cosine similarity, normalize and nearest — against hand-computed numbers."""

import math
import pathlib
import runpy

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.nn.utils import nearest


def test_embedding_adds_rows_for_repeated_indices_and_skips_padding():
    emb = nn.Embedding(4, 2, padding_idx=0).double()
    assert np.all(emb.weight.numpy()[0] == 0)  # padding row starts at zero
    emb.weight.data[0] = [5.0, 5.0]  # read in forward even when nonzero, as PyTorch
    idx = gn.tensor([[1, 1, 0], [3, 1, 0]])
    out = emb(idx)
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out.numpy()[0, 2], [5.0, 5.0])
    (out * gn.tensor(np.arange(12.0).reshape(2, 3, 2))).sum().backward()
    # row 1 appears at positions (0,0), (0,1), (1,1): gradient rows [0,1] + [2,3] + [8,9]
    np.testing.assert_array_equal(emb.weight.grad.numpy(),
                                  [[0, 0], [10, 13], [0, 0], [6, 7]])


def test_embedding_init_and_errors():
    gn.manual_seed(0)
    w = nn.Embedding(1000, 20).weight.numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01  # N(0, 1) as PyTorch
    with pytest.raises(IndexError, match="index 4 is out of range for a table of 4 rows"):
        nn.Embedding(4, 2)(gn.tensor([1, 4]))
    with pytest.raises(TypeError, match="indices must be integers"):
        nn.Embedding(4, 2)(gn.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=5)


def test_cosine_similarity_by_hand_and_eps_for_zero_vectors():
    x1 = gn.tensor([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0], [1e-9, 0.0]], dtype=gn.float64)
    x2 = gn.tensor([[4.0, 3.0], [1.0, 1.0], [-2.0, 0.0], [1.0, 0.0]], dtype=gn.float64)
    got = F.cosine_similarity(x1, x2).numpy()
    # 24/25; zero vector → 0; opposite → -1; ‖x1‖ = 1e-9 < eps = 1e-8 is clamped: 1e-9/1e-8
    np.testing.assert_allclose(got, [0.96, 0.0, -1.0, 0.1], rtol=1e-12, atol=1e-15)
    x1.requires_grad_()
    F.cosine_similarity(x1, x2).sum().backward()
    assert np.isfinite(x1.grad.numpy()).all()
    # at x1 = 0 the clamped norm is the constant eps: d cos/d x1 = x2/‖x2‖/eps (as PyTorch)
    np.testing.assert_allclose(x1.grad.numpy()[1], [math.sqrt(0.5) / 1e-8] * 2, rtol=1e-12)
    # d cos / d x1 for (3,4)·(4,3): (x2/‖x2‖ - cos·x1/‖x1‖)/‖x1‖
    np.testing.assert_allclose(x1.grad.numpy()[0], ([0.8, 0.6] - 0.96 * np.array([0.6, 0.8])) / 5)


def test_cosine_similarity_matches_pytorch_with_broadcasting():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 1, 3)), rng.standard_normal((5, 3))
    a[0] = 0
    ga, gb = gn.tensor(a, requires_grad=True), gn.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    got, want = F.cosine_similarity(ga, gb, dim=-1), torch.nn.functional.cosine_similarity(ta, tb, dim=-1)
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-15)
    w = rng.standard_normal(got.shape)
    (got * gn.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_normalize():
    x = gn.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=gn.float64, requires_grad=True)
    np.testing.assert_allclose(F.normalize(x).numpy(), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(F.normalize(x, p=1, dim=1).numpy(), [[3 / 7, 4 / 7], [0, 0]])
    np.testing.assert_allclose(F.normalize(x, dim=0).numpy(), [[1.0, 1.0], [0.0, 0.0]])
    F.normalize(x).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_nearest_cosine_dot_euclidean():
    E = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [-1.0, 0.0]])
    idx, scores = nearest(E, [1.0, 0.1], k=3)
    assert idx.tolist() == [0, 2, 1]
    np.testing.assert_allclose(scores.numpy(), [1 / math.hypot(1, 0.1),
                                                1.1 / (math.sqrt(2) * math.hypot(1, 0.1)),
                                                0.1 / math.hypot(1, 0.1)])
    idx, scores = nearest(gn.tensor(E), gn.tensor([[0.0, 1.0], [1.0, 0.0]]), k=2, metric="dot")
    assert idx.tolist() == [[1, 2], [0, 2]] and scores.numpy().tolist() == [[2, 1], [1, 1]]
    idx, dist = nearest(E, [0.9, 0.0], k=2, metric="euclidean")
    assert idx.tolist() == [0, 2]
    np.testing.assert_allclose(dist.numpy(), [0.1, math.hypot(0.1, 1)], atol=1e-7)
    with pytest.raises(ValueError, match="k must be in 1..4"):
        nearest(E, [1.0, 0.0], k=5)
    with pytest.raises(ValueError, match="same D"):
        nearest(E, [1.0, 0.0, 0.0])


def test_word_similarity_example_numbers():
    """The founding documents' cat/dog/pet vectors, computed by the example."""
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "word_similarity.py"
    sims = runpy.run_path(str(path))["similarities"]()
    assert round(sims[("cat", "dog")], 4) == 0.9493
    assert round(sims[("cat", "pet")], 4) == 0.9104
    assert round(sims[("dog", "pet")], 4) == 0.8951
    assert sims[("cat", "dog")] == pytest.approx(0.28 / math.sqrt(0.29 * 0.30), rel=1e-12)
