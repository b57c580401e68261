"""Convolution, pooling, batch norm: the seeds' edge-detection numbers, errors, PyTorch
defaults and running statistics, the CNN models, the CLI. (Every op's gradient and
PyTorch equality run in the contract suites through op_registry / module_registry.)"""

import importlib.util
import math
import pathlib

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.models import CNN1d, CNN2d, build_model
from glassnet.ops._conv import im2col_bytes

ROOT = pathlib.Path(__file__).resolve().parents[1]

# The seeds' example: a 3×3 block of ones in a 5×5 image, the 8-neighbour Laplacian,
# zero padding so the output keeps the 5×5 size. Worked out by hand: a corner of the
# block sees itself (8) and three block neighbours (−3) → 5; the centre 8 − 8 → 0.
SEED_EDGES = [[-1, -2, -3, -2, -1],
              [-2, 5, 3, 5, -2],
              [-3, 3, 0, 3, -3],
              [-2, 5, 3, 5, -2],
              [-1, -2, -3, -2, -1]]


def _load_example(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seed_laplacian_edge_detection_numbers():
    image = np.zeros((1, 1, 5, 5))
    image[0, 0, 1:4, 1:4] = 1
    kernel = -np.ones((1, 1, 3, 3))
    kernel[0, 0, 1, 1] = 8
    for padding in (1, "same"):
        out = F.conv2d(gn.tensor(image), gn.tensor(kernel), padding=padding)
        assert out.shape == (1, 1, 5, 5)
        np.testing.assert_array_equal(out.numpy()[0, 0], SEED_EDGES)


def test_edge_detection_example(tmp_path):
    example = _load_example("edge_detection")
    np.testing.assert_array_equal(example.laplacian_edges(example.block_image()), SEED_EDGES)
    edges, magnitude = example.main(str(tmp_path / "edges.png"))
    png = (tmp_path / "edges.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    assert magnitude.shape == (32, 320)  # ten 8×8 digits upscaled 4×
    # a vertical step of height 1 gives |Gx| = 1 + 2 + 1 = 4: the Sobel maximum on [0, 1] pixels
    assert 3.5 < magnitude.max() <= 4 * math.sqrt(2) + 1e-5
    step = np.zeros((1, 1, 5, 6), dtype=np.float32)
    step[..., 3:] = 1
    # columns 2, 3 straddle the step; column 5 meets the zero padding: a step down of 1
    np.testing.assert_allclose(example.sobel_magnitude(step)[0, 2], [0, 0, 4, 4, 0, 4])


def test_conv_is_one_gemm_on_im2col_rows():
    """Output cell (n, o, i, j) = patch at (i, j) · filter o, the rows of im2col · W₂ᵀ."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((4, 3, 2, 3))
    y = F.conv2d(gn.tensor(x), gn.tensor(w), stride=(2, 1)).numpy()
    assert y.shape == (2, 4, 2, 2)
    patch = x[1, :, 2:4, 1:4]  # output row i=1 (stride 2), column j=1
    np.testing.assert_allclose(y[1, 2, 1, 1], patch.ravel() @ w[2].ravel())
    assert im2col_bytes(x.shape, w.shape, (2, 1), ((0, 0), (0, 0)), (1, 1), 8) == 2 * 4 * 18 * 8


def test_conv_layer_shape_errors_name_the_layer():
    conv = nn.Conv2d(3, 16, 3)
    with pytest.raises(gn.ShapeError, match=r"Conv2d\(3→16\): expected input \(N, 3, H, W\), "
                                            r"got \(64, 1, 28, 28\)"):
        conv(gn.zeros(64, 1, 28, 28))
    with pytest.raises(ValueError, match=r"add the batch axis"):
        conv(gn.zeros(3, 8, 8))
    with pytest.raises(gn.ShapeError, match=r"Conv1d\(1→4\).*add the channel axis"):
        nn.Conv1d(1, 4, 3)(gn.zeros(5, 40))
    with pytest.raises(gn.ShapeError, match=r"smaller than the \(dilated\) kernel"):
        F.conv2d(gn.zeros(1, 1, 2, 2), gn.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="needs stride 1"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(gn.ShapeError, match=r"BatchNorm2d\(8\): expected input \(N, 8, H, W\)"):
        nn.BatchNorm2d(8)(gn.zeros(2, 4, 3, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(gn.zeros(1, 3))


def test_conv_init_matches_pytorch_bounds():
    gn.manual_seed(0)
    conv = nn.Conv2d(8, 16, (3, 5), groups=2)
    assert conv.weight.shape == (16, 4, 3, 5) and conv.bias.shape == (16,)
    bound = 1 / math.sqrt(4 * 15)  # kaiming_uniform(a=√5) = U(±1/√fan_in)
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound and w.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)


def test_batchnorm_running_stats_track_pytorch_over_steps():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for momentum in (0.1, None):
        ours, ref = nn.BatchNorm2d(3, momentum=momentum).double(), torch.nn.BatchNorm2d(
            3, momentum=momentum).double()
        for step in range(4):
            x = rng.normal(step, 1 + step, (5, 3, 4, 2))
            ours(gn.tensor(x))
            ref(torch.tensor(x))
        state = ref.state_dict()
        assert list(ours.state_dict()) == list(state)  # weight, bias, running_*, num_batches_tracked
        for key, value in ours.state_dict().items():
            np.testing.assert_allclose(value.numpy(), state[key].numpy(), rtol=1e-12)
        assert ours.num_batches_tracked.shape == () and int(ours.num_batches_tracked.item()) == 4
        ours.eval()
        ref.eval()
        x = rng.standard_normal((2, 3, 4, 2))
        np.testing.assert_allclose(ours(gn.tensor(x)).numpy(), ref(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-12, atol=1e-12)


def test_batchnorm_without_running_stats_uses_batch_statistics_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    assert list(bn.state_dict()) == []
    x = gn.tensor([[1.0, 10.0], [3.0, 30.0]])
    np.testing.assert_allclose(bn(x).numpy(), [[-1, -1], [1, 1]], atol=1e-4)


def test_dropout2d_zeroes_whole_channels():
    gn.manual_seed(0)
    out = nn.Dropout2d(0.5)(gn.ones(20, 8, 3, 3)).numpy()
    per_channel = out.reshape(20, 8, 9)
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()  # a channel is all or nothing
    assert 0.35 < (per_channel[..., 0] == 0).mean() < 0.65


def test_summary_shows_conv_output_shapes():
    text = str(CNN2d(8, 8).summary((1, 8, 8)))
    assert "0 (Conv2d)       (N, 32, 8, 8)      288      32     320" in text
    assert "10 (MaxPool2d)   (N, 64, 2, 2)" in text
    rows = {r.name: r for r in CNN1d(40).summary((40,)).rows}
    assert rows["0"].output_shape == (None, 32, 40) and rows["0"].params == 32 * 5 + 32
    assert rows["11"].output_shape == (None, 640)


def test_build_model_picks_the_cnn_from_the_sample_shape():
    assert isinstance(build_model("cnn", 40, 10, input_shape=(40,)), CNN1d)
    assert isinstance(build_model("cnn", 64, 10, input_shape=(1, 8, 8)), CNN2d)
    assert build_model("cnn", 64, 10, input_shape=(8, 8))(gn.zeros(2, 8, 8)).shape == (2, 10)
    with pytest.raises(ValueError, match="fit neither"):
        build_model("cnn", 16, 10, input_shape=(2, 2, 2, 2))


@pytest.fixture
def one_blas_thread():
    """Small GEMMs: OpenBLAS's thread pool only adds contention on a shared 2-core box."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        yield


def test_cnn_learns_digits_quickly(one_blas_thread):
    """A narrow 2-D CNN, 2 epochs on the 8×8 digits (96.1% with this seed). The full-size
    CNN2d reaches 98.3% in 15 epochs (README, examples/cnn.py); the test asserts ≥ 93%."""
    gn.manual_seed(0)
    train_set = gn.data.load("digits", "train", flatten=False)
    test_set = gn.data.load("digits", "test", flatten=False)
    model = CNN2d(8, 8, channels=(8, 8, 16))
    optimizer = gn.optim.Adam(model.parameters(), lr=0.02)
    gn.train.fit(model, train_set, nn.CrossEntropyLoss(), optimizer, epochs=2, batch_size=64,
                 seed=0, progress=False)
    assert gn.train.evaluate(model, test_set)["accuracy"] >= 0.93


def test_cli_trains_a_cnn(tmp_path, capsys, one_blas_thread):
    from glassnet.cli import main

    code = main(["train", "--model", "cnn", "--dataset", "digits", "--epochs", "1",
                 "--no-progress", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy")[1].split("%")[0])
    assert accuracy > 60
    saved = gn.io.load(str(tmp_path / "model.safetensors"))
    assert saved["0.weight"].shape == (32, 1, 3, 3) and "1.running_var" in saved


def _first_max_pool2d(x, k, s, p, d):
    """Brute force: each window's value and the row-major first position of its maximum."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    ho, wo = ((h + 2 * p - d * (k[0] - 1) - 1) // s + 1, (w + 2 * p - d * (k[1] - 1) - 1) // s + 1)
    out, where = np.empty((n, c, ho, wo)), np.empty((n, c, ho, wo, 2), dtype=int)
    for i, j in np.ndindex(ho, wo):
        taps = [(i * s + a * d, j * s + b * d) for a in range(k[0]) for b in range(k[1])]
        values = np.stack([xp[:, :, r, q] for r, q in taps], axis=-1)
        first = values.argmax(axis=-1)  # argmax returns the first maximum
        out[:, :, i, j] = values.max(axis=-1)
        where[:, :, i, j] = np.array(taps)[first] - p
    return out, where


def _poison(dtype):
    """What uninitialised memory reads as in the tie test: NaN, the largest integer, True."""
    dtype = np.dtype(dtype)
    return np.nan if dtype.kind in "fc" else True if dtype.kind == "b" else np.iinfo(dtype).max


@pytest.mark.parametrize("tier", ["fast", "reference"])
@pytest.mark.parametrize("k,s,p,d", [((2, 2), 2, 0, 1), ((2, 2), 3, 0, 2), ((2, 2), 1, 1, 1),
                                     ((3, 3), 2, 1, 1), ((2, 3), 2, 1, 2), ((3, 2), 3, 0, 1),
                                     ((1, 3), 1, 0, 1), ((1, 1), 2, 0, 1)])
def test_max_pool2d_gives_ties_to_the_first_maximum(k, s, p, d, tier):
    """Both tiers — the reference's argmax over each window's values, the separable kernel
    (row maxima, then their maximum) — on inputs full of ties: the output and the
    gradient's position are those of the first maximum in row-major order."""
    x = np.random.default_rng(0).integers(-1, 2, (2, 3, 9, 10)).astype(np.float64)
    expected, where = _first_max_pool2d(x, k, s, p, d)
    xt = gn.tensor(x, requires_grad=True)
    with gn.kernels.use(tier), pytest.MonkeyPatch.context() as patch:  # uninitialised memory is poisoned
        patch.setattr(np, "empty", lambda shape, dtype=float, **kw: np.full(shape, _poison(dtype), dtype))
        y = F.max_pool2d(xt, k, s, p, d)
        assert (y.grad_fn.kernel is None) == (tier == "reference")
        g = np.random.default_rng(1).standard_normal(y.shape)
        y.backward(g)
    np.testing.assert_array_equal(y.numpy(), expected)
    dx = np.zeros_like(x)
    for idx in np.ndindex(g.shape):
        dx[idx[0], idx[1], where[idx][0], where[idx][1]] += g[idx]
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("tier", ["fast", "reference"])
def test_max_pool_with_kernel_one_owns_its_output(tier):
    x = gn.tensor(np.arange(8.0).reshape(1, 1, 2, 4))
    for stride in (1, 2):
        with gn.kernels.use(tier):
            y = F.max_pool2d(x, 1, stride)
        assert not np.shares_memory(y.numpy(), x.numpy())
    np.testing.assert_array_equal(x.numpy().ravel(), np.arange(8.0))


@pytest.mark.parametrize("tier", ["fast", "reference"])
def test_conv_bias_frozen_or_wider(tier):
    """A frozen bias gets no gradient; a float64 bias on float32 data widens the output
    (NumPy's promotion, as ``y + b`` would), and its gradient keeps its dtype."""
    rng = np.random.default_rng(0)
    with gn.kernels.use(tier):
        for c_in in (1, 16):  # the per-sample and the rows kernel
            x = gn.tensor(rng.standard_normal((2, c_in, 5, 5)).astype(np.float32))
            w = gn.tensor(rng.standard_normal((3, c_in, 3, 3)).astype(np.float32), requires_grad=True)
            frozen = gn.tensor(rng.standard_normal(3).astype(np.float32))
            F.conv2d(x, w, frozen).sum().backward()
            assert frozen.grad is None and w.grad is not None
            wide = gn.tensor(rng.standard_normal(3), requires_grad=True)
            y = F.conv2d(x, w, wide)
            assert y.dtype == np.float64
            expected = F.conv2d(x, w).numpy() + wide.numpy()[:, None, None]
            np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
            y.sum().backward()
            np.testing.assert_allclose(wide.grad.numpy(), np.full(3, 2 * 3 * 3.0))
            assert wide.grad.dtype == np.float64
