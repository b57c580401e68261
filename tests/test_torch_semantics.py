"""Details where PyTorch users expect PyTorch's behaviour: dtype promotion, ties in
max(dim), fully masked logsumexp, one_hot checks, and fit's handling of data dtypes and
probability outputs."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet import optim, train


@pytest.mark.parametrize(("make", "expected"), [
    (lambda: gn.ones(2) + gn.tensor([1, 2]), np.float32),
    (lambda: gn.tensor([1, 2]) * 0.5, np.float32),
    (lambda: gn.tensor([1, 2]) / gn.tensor([2, 2]), np.float32),
    (lambda: gn.ones(2) * gn.tensor(np.float64(2.0)), np.float32),
    (lambda: gn.ones(2, dtype=gn.float64) + gn.ones(2), np.float64),
    (lambda: gn.tensor([1, 2]) + True, np.int64),
])
def test_dtype_promotion_follows_pytorch(make, expected):
    assert make().dtype == expected


def test_promotion_keeps_gradients_flowing():
    x = gn.ones(3, requires_grad=True)
    (x * gn.tensor([1, 2, 3])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 3])
    assert x.grad.dtype == np.float32


def test_max_with_dim_sends_the_gradient_to_the_returned_index():
    x = gn.tensor([[3.0, 3.0, 1.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    assert indices.tolist() == [0] and values.tolist() == [3.0]
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0, 0.0]])
    y = gn.tensor([[3.0, 3.0, 1.0]], requires_grad=True)
    y.amax(dim=1).sum().backward()  # amax shares among ties, as torch.amax does
    np.testing.assert_array_equal(y.grad.numpy(), [[0.5, 0.5, 0.0]])


def test_min_with_dim_keepdim():
    x = gn.tensor([[2.0, 1.0], [0.0, 5.0]], requires_grad=True)
    values, indices = gn.min(x, dim=1, keepdim=True)
    assert values.shape == (2, 1) and indices.tolist() == [[1], [0]]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [1, 0]])


def test_logsumexp_of_a_fully_masked_row_is_minus_infinity():
    x = gn.tensor([[-np.inf, -np.inf], [0.0, 0.0]])
    out = x.logsumexp(dim=1).numpy()
    assert out[0] == -np.inf and out[1] == pytest.approx(np.log(2))


def test_one_hot_rejects_labels_out_of_range():
    assert F.one_hot(gn.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    with pytest.raises(gn.GlassnetValueError, match="target -1 is out of range for 3 classes"):
        F.one_hot(gn.tensor([0, -1]), 3)
    with pytest.raises(gn.GlassnetValueError, match="target 5 is out of range"):
        F.one_hot(gn.tensor([5]), 3)


def test_dim_must_be_integers():
    with pytest.raises(gn.GlassnetTypeError, match="sum: dim must be an int or a tuple of ints"):
        gn.ones(2, 2).sum("a")


def test_fit_reports_accuracy_of_probability_outputs_with_bce():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2)).astype(np.float32)
    y = (X[:, :1] > 0).astype(np.float32)
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    train.fit(model, (X, y), nn.BCELoss(), optim.Adam(model.parameters(), lr=0.1), epochs=20,
              progress=False)
    reported = train.evaluate(model, (X, y), nn.BCELoss())["accuracy"]
    true = float(((model(gn.tensor(X)).numpy() > 0.5) == (y > 0.5)).mean())
    assert reported == pytest.approx(true) and reported > 0.95


def test_fit_converts_float64_arrays_to_the_model_dtype():
    model = nn.Linear(3, 2)
    seen = []
    model.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0].dtype))
    X = np.random.default_rng(0).standard_normal((8, 3))  # float64, as NumPy makes it
    train.fit(model, (X, np.zeros(8, dtype=np.int64)), nn.CrossEntropyLoss(),
              optim.SGD(model.parameters(), lr=0.1), progress=False)
    assert set(seen) == {np.dtype(np.float32)}
    model.double()
    seen.clear()
    train.evaluate(model, (X.astype(np.float32), np.zeros(8, dtype=np.int64)))
    assert set(seen) == {np.dtype(np.float64)}


def test_unbatched_nll_loss_and_clear_errors_for_zero_dim_inputs():
    logp = np.log(np.array([0.2, 0.5, 0.3]))
    assert F.nll_loss(gn.tensor(logp), gn.tensor(1)).item() == pytest.approx(-np.log(0.5))
    with pytest.raises(gn.ShapeError, match="cat: zero-dimensional tensors"):
        gn.cat([gn.tensor(1.0), gn.tensor(2.0)])
    with pytest.raises(gn.ShapeError, match="cross_entropy: logits need shape"):
        F.cross_entropy(gn.tensor(1.0), gn.tensor(0))
