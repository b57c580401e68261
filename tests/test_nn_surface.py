"""PyTorch's less common layers beyond the registries' contract (issue #16's audit): the
indices of max pooling and adaptive max pooling against PyTorch's, unpooling with an
output size, RReLU's and gumbel_softmax's randomness, LazyLinear before and after its first
call, EmbeddingBag's input forms and errors, and the text-classification tutorial's
EmbeddingBag model trained side by side with PyTorch."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet._backend import default_generator

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
                                    dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_max_pool2d_indices_are_pytorchs(kwargs):
    x = _x((2, 3, 7, 9))
    values, where = F.max_pool2d(gn.tensor(x), return_indices=True, **kwargs)
    values_t, where_t = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(values.numpy(), values_t.numpy())
    np.testing.assert_array_equal(where.numpy(), where_t.numpy())
    assert where.dtype == np.int64
    module_values, module_where = gn.nn.MaxPool2d(return_indices=True, **kwargs)(gn.tensor(x))
    np.testing.assert_array_equal(module_where.numpy(), where_t.numpy())


def test_max_pool1d_indices_and_the_with_indices_names():
    x = _x((2, 3, 10))
    values, where = F.max_pool1d_with_indices(gn.tensor(x), 3, 2, 1)
    values_t, where_t = TF.max_pool1d_with_indices(torch.tensor(x), 3, 2, 1)
    np.testing.assert_array_equal(where.numpy(), where_t.numpy())
    np.testing.assert_array_equal(values.numpy(), values_t.numpy())
    _, where2 = F.max_pool2d_with_indices(gn.tensor(x[:, :, None]), (1, 3), (1, 2), (0, 1))
    np.testing.assert_array_equal(where2.numpy()[:, :, 0], where_t.numpy())


def test_ties_pick_the_first_maximum_as_pytorch():
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [2.0, 2.0, 2.0]]]])
    for size in (1, (2, 2)):
        _, where = F.adaptive_max_pool2d(gn.tensor(x), size, return_indices=True)
        _, where_t = TF.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
        np.testing.assert_array_equal(where.numpy(), where_t.numpy())
    _, where = F.max_pool2d(gn.tensor(x), 2, 1, return_indices=True)
    np.testing.assert_array_equal(where.numpy(), TF.max_pool2d(torch.tensor(x), 2, 1, return_indices=True)[1])


@pytest.mark.parametrize("size", [3, (2, 4), (None, 5), (7, 9), (4, 1)])
def test_adaptive_max_pool2d_values_and_indices(size):
    x = _x((2, 3, 7, 9), seed=1)
    values, where = gn.nn.AdaptiveMaxPool2d(size, return_indices=True)(gn.tensor(x))
    values_t, where_t = torch.nn.AdaptiveMaxPool2d(size, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(values.numpy(), values_t.numpy())
    np.testing.assert_array_equal(where.numpy(), where_t.numpy())


def test_adaptive_pools_take_unbatched_input():
    x = _x((3, 10), seed=2)
    values, where = F.adaptive_max_pool1d(gn.tensor(x), 4, return_indices=True)
    values_t, where_t = TF.adaptive_max_pool1d(torch.tensor(x), 4, return_indices=True)
    np.testing.assert_array_equal(values.numpy(), values_t.numpy())
    np.testing.assert_array_equal(where.numpy(), where_t.numpy())
    _, where1 = F.adaptive_max_pool1d_with_indices(gn.tensor(x), 4)
    np.testing.assert_array_equal(where1.numpy(), where_t.numpy())
    image = _x((2, 5, 6), seed=3)
    _, where2 = F.adaptive_max_pool2d_with_indices(gn.tensor(image), (2, 3))
    _, where2_t = TF.adaptive_max_pool2d_with_indices(torch.tensor(image), (2, 3))
    np.testing.assert_array_equal(where2.numpy(), where2_t.numpy())


def test_max_unpool2d_with_an_output_size_and_overlapping_windows():
    x = _x((1, 2, 5, 5), seed=3)
    pooled, where = F.max_pool2d(gn.tensor(x), 3, 2, 1, return_indices=True)
    pooled_t, where_t = TF.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    out = gn.nn.MaxUnpool2d(3, 2, 1)(pooled, where, output_size=(1, 2, 5, 5))
    out_t = torch.nn.MaxUnpool2d(3, 2, 1)(pooled_t, where_t, output_size=(1, 2, 5, 5))
    np.testing.assert_array_equal(out.numpy(), out_t.numpy())
    with pytest.raises(gn.ShapeError, match="max_unpool2d: an index .* is outside the output"):
        F.max_unpool2d(pooled, where, 1)
    with pytest.raises(gn.ShapeError, match="indices .* must have the input's shape"):
        F.max_unpool2d(pooled, where[:, :1], 3, 2, 1)


def test_unfold_times_filters_is_conv2d():
    x, w = _x((2, 3, 6, 5)), _x((4, 3, 3, 2), seed=1)
    cols = F.unfold(gn.tensor(x), (3, 2), padding=1, stride=(2, 1))  # (N, C·kh·kw, L)
    conv = F.conv2d(gn.tensor(x), gn.tensor(w), padding=1, stride=(2, 1))
    by_matmul = (gn.tensor(w.reshape(4, -1)) @ cols).reshape(conv.shape)
    np.testing.assert_allclose(by_matmul.numpy(), conv.numpy(), rtol=1e-12, atol=1e-12)
    unbatched = F.unfold(gn.tensor(x[0]), (3, 2), padding=1, stride=(2, 1))
    np.testing.assert_array_equal(unbatched.numpy(), cols.numpy()[0])
    image = F.fold(cols, (6, 5), (3, 2), padding=1, stride=(2, 1))
    image_t = TF.fold(TF.unfold(torch.tensor(x), (3, 2), padding=1, stride=(2, 1)), (6, 5), (3, 2), padding=1,
                      stride=(2, 1))
    np.testing.assert_allclose(image.numpy(), image_t.numpy(), rtol=1e-12)
    with pytest.raises(gn.ShapeError, match="fold: input .* does not fit output_size"):
        F.fold(cols, (6, 6), (3, 2), padding=1, stride=(2, 1))


def test_rrelu_draws_a_slope_per_element_in_training_and_uses_the_mean_in_eval():
    gn.manual_seed(0)
    x = gn.tensor(-np.ones(20000), requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -out.numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.003 and abs(slopes.std() - 0.2 / np.sqrt(12)) < 0.003
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), slopes)  # the gradient is the slope drawn
    gn.manual_seed(0)
    np.testing.assert_array_equal(F.rrelu(x.detach(), 0.1, 0.3, training=True).numpy(), out.numpy())
    positive = gn.tensor([0.0, 2.0])
    np.testing.assert_array_equal(F.rrelu(positive, training=True).numpy(), [0.0, 2.0])
    layer = gn.nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(layer(gn.tensor([-1.0, 1.0])).numpy(), [-0.2, 1.0])
    np.testing.assert_allclose(F.rrelu(gn.tensor([-1.0]), 0.1, 0.3).numpy(), [-0.2])  # training=False default
    with pytest.raises(gn.GlassnetValueError, match="rrelu: need 0 <= lower <= upper"):
        F.rrelu(x, 0.5, 0.2)


def test_gumbel_softmax_is_the_softmax_of_logits_plus_gumbel_noise():
    logits = gn.tensor(_x((3, 5)), requires_grad=True)
    gn.manual_seed(7)
    soft = F.gumbel_softmax(logits, tau=0.5)
    gn.manual_seed(7)
    gumbel = -np.log(default_generator().exponential(1.0, (3, 5)))
    expected = TF.softmax((torch.tensor(logits.numpy()) + torch.tensor(gumbel)) / 0.5, -1).numpy()
    np.testing.assert_allclose(soft.detach().numpy(), expected, rtol=1e-12)
    gn.manual_seed(7)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    np.testing.assert_array_equal(hard.detach().numpy(), np.eye(5)[expected.argmax(-1)])
    w = _x((3, 5), seed=4)
    (hard * gn.tensor(w)).sum().backward()
    hard_grad = logits.grad.numpy().copy()
    logits.grad = None
    (soft * gn.tensor(w)).sum().backward()
    np.testing.assert_allclose(hard_grad, logits.grad.numpy(), rtol=1e-12)  # straight-through


def test_gumbel_softmax_samples_follow_the_softmax():
    gn.manual_seed(1)
    logits = gn.tensor(np.log([[0.1, 0.6, 0.3]] * 20000))
    counts = F.gumbel_softmax(logits, hard=True, dim=1).numpy().mean(axis=0)
    np.testing.assert_allclose(counts, [0.1, 0.6, 0.3], atol=0.015)
    with pytest.raises(gn.GlassnetValueError, match="tau must be > 0"):
        F.gumbel_softmax(logits, tau=0)


def test_lazy_linear_learns_in_features_on_its_first_call():
    layer = gn.nn.LazyLinear(3).double()
    assert layer.in_features == 0 and layer.has_uninitialized_params()
    out = layer(gn.ones(2, 5, dtype=gn.float64))
    assert layer.in_features == 5 and layer.weight.shape == (3, 5) and layer.weight.dtype == np.float64
    assert out.shape == (2, 3) and type(layer) is gn.nn.Linear  # PyTorch's cls_to_become
    bound = 1 / np.sqrt(5)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    assert isinstance(layer, gn.nn.Linear)
    with pytest.raises(gn.ShapeError, match="expected input"):
        layer(gn.ones(2, 4, dtype=gn.float64))


def test_bilinear_matches_pytorch_with_its_weights():
    layer = gn.nn.Bilinear(3, 4, 2).double()
    reference = torch.nn.Bilinear(3, 4, 2).double()
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    a, b = _x((5, 3)), _x((5, 4), seed=1)
    np.testing.assert_allclose(layer(gn.tensor(a), gn.tensor(b)).numpy(),
                               reference(torch.tensor(a), torch.tensor(b)).detach().numpy(), rtol=1e-12)
    with pytest.raises(gn.ShapeError, match="bilinear: weight"):
        layer(gn.tensor(b), gn.tensor(a))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_input_forms_match_pytorch(mode):
    weight = _x((6, 3))
    flat, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 0]), np.array([0, 4, 4, 7, 8])
    gn_bag = gn.nn.EmbeddingBag(6, 3, mode=mode, include_last_offset=True, _weight=gn.tensor(weight))
    torch_bag = torch.nn.EmbeddingBag(6, 3, mode=mode, include_last_offset=True, _weight=torch.tensor(weight))
    np.testing.assert_array_equal(gn_bag(gn.tensor(flat), gn.tensor(offsets)).detach().numpy(),
                                  torch_bag(torch.tensor(flat), torch.tensor(offsets)).detach().numpy())
    rows = flat.reshape(2, 4)
    by_rows = F.embedding_bag(gn.tensor(rows), gn.tensor(weight), mode=mode)
    by_rows_t = TF.embedding_bag(torch.tensor(rows), torch.tensor(weight), mode=mode)
    np.testing.assert_array_equal(by_rows.numpy(), by_rows_t.numpy())


def test_embedding_bag_refuses_what_pytorch_refuses():
    bag, idx = gn.nn.EmbeddingBag(5, 2), gn.tensor([1, 2, 3])
    with pytest.raises(gn.GlassnetValueError, match=r"offsets\[0\] must be 0"):
        bag(idx, gn.tensor([1, 2]))
    with pytest.raises(gn.GlassnetValueError, match="needs offsets"):
        bag(idx)
    with pytest.raises(gn.GlassnetValueError, match="2-D input .* offsets must be None"):
        bag(gn.tensor([[1, 2]]), gn.tensor([0]))
    with pytest.raises(gn.GlassnetValueError, match="per_sample_weights is only supported with mode='sum'"):
        bag(idx, gn.tensor([0]), per_sample_weights=gn.ones(3))
    with pytest.raises(gn.GlassnetValueError, match="mode must be one of"):
        F.embedding_bag(idx, bag.weight, gn.tensor([0]), mode="median")
    with pytest.raises(gn.GlassnetTypeError, match="weight must be floating point"):
        F.embedding_bag(idx, gn.tensor([[1, 2], [3, 4], [5, 6], [7, 8]]), gn.tensor([0]))


def _text_classifier(nn, vocab=20, dim=4, classes=3):
    class TextClassificationModel(nn.Module):  # the torchtext tutorial's model
        def __init__(self):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab, dim, sparse=False)
            self.fc = nn.Linear(dim, classes)

        def forward(self, text, offsets):
            return self.fc(self.embedding(text, offsets))

    return TextClassificationModel()


def test_text_classification_tutorial_trains_as_pytorch():
    model, reference = _text_classifier(gn.nn).double(), _text_classifier(torch.nn).double()
    reference.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    opt, opt_t = gn.optim.SGD(model.parameters(), lr=5.0), torch.optim.SGD(reference.parameters(), lr=5.0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        lengths = rng.integers(1, 6, size=4)
        text, labels = rng.integers(0, 20, size=lengths.sum()), rng.integers(0, 3, size=4)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        for m, o, lib in ((model, opt, gn), (reference, opt_t, torch)):
            o.zero_grad()
            logits = m(lib.tensor(text), lib.tensor(offsets))
            loss = lib.nn.functional.cross_entropy(logits, lib.tensor(labels))
            loss.backward()
            (gn.nn.utils if lib is gn else torch.nn.utils).clip_grad_norm_(m.parameters(), 0.1)
            o.step()
    for name, value in model.state_dict().items():
        expected = reference.state_dict()[name].numpy()
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-10, atol=1e-12)
