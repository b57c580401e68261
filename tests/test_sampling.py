"""grid_sample (bilinear / nearest / bicubic, zeros / border / reflection padding, 2-D
images and 3-D volumes), 3-D affine_grid, and interpolate's bicubic mode and antialias,
compared with PyTorch: values and the gradients to the input, the grid and θ, in float64
(to 1e-10) and float32 (to 1e-5). Grids reach outside the image; sizes are odd; N, C > 1."""

import itertools
import warnings
import zlib

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def _compare(ours_fn, torch_fn, arrays, dtype, seed=0):
    """Run both on the same inputs, pull back the same random cotangent, and compare the
    outputs and every input's gradient (torch's None gradient, from nearest mode, means 0)."""
    ours = [gn.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out, out_t = ours_fn(*ours), torch_fn(*theirs)
    assert out.shape == tuple(out_t.shape) and out.dtype == ours[0].dtype
    tol = TOL[dtype]
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=tol, atol=tol)
    cotangent = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    (out * gn.tensor(cotangent)).sum().backward()
    (out_t * torch.tensor(cotangent)).sum().backward()
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        expected = b.grad.numpy() if b.grad is not None else np.zeros(a.shape, dtype)
        got = a.grad.numpy() if a.grad is not None else np.zeros(a.shape, dtype)
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * 10, err_msg=f"gradient of input {k}")


def _rng(*key):
    """A generator seeded by the test's parameters, the same in every run."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode, padding_mode, align_corners",
                         list(itertools.product(("bilinear", "nearest", "bicubic"),
                                                ("zeros", "border", "reflection"), (True, False))))
def test_grid_sample_2d_matches_pytorch(mode, padding_mode, align_corners, dtype):
    rng = _rng(mode, padding_mode, align_corners)
    image = rng.standard_normal((2, 3, 5, 7))
    grid = rng.uniform(-2.7, 2.7, (2, 4, 3, 2))  # far outside: reflections fold several times

    def call(f):
        return lambda x, g: f.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                          align_corners=align_corners)

    _compare(call(F), call(TF), [image, grid], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode, padding_mode, align_corners",
                         list(itertools.product(("bilinear", "nearest"), ("zeros", "border", "reflection"),
                                                (True, False))))
def test_grid_sample_3d_matches_pytorch(mode, padding_mode, align_corners, dtype):
    rng = _rng(3, mode, padding_mode, align_corners)
    volume = rng.standard_normal((2, 3, 3, 5, 4))
    grid = rng.uniform(-1.8, 1.8, (2, 2, 3, 5, 3))

    def call(f):
        return lambda x, g: f.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                          align_corners=align_corners)

    _compare(call(F), call(TF), [volume, grid], dtype)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_single_pixel_axes_match_pytorch(padding_mode):
    image = _rng(padding_mode).standard_normal((2, 2, 1, 3))
    grid = _rng(padding_mode, 1).uniform(-1.5, 1.5, (2, 3, 2, 2))
    for mode, corners in itertools.product(("bilinear", "bicubic"), (True, False)):
        def call(f, mode=mode, corners=corners):
            return lambda x, g: f.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                              align_corners=corners)

        _compare(call(F), call(TF), [image, grid], np.float64)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("size", [(2, 3, 4, 5, 3), (1, 2, 1, 3, 2), (3, 1, 5, 2)])
def test_affine_grid_2d_and_3d_match_pytorch_with_theta_gradient(size, align_corners):
    d = len(size) - 2
    theta = _rng(size, align_corners).standard_normal((size[0], d, d + 1))
    for dtype in (np.float64, np.float32):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _compare(lambda t: F.affine_grid(t, size, align_corners=align_corners),
                     lambda t: TF.affine_grid(t, size, align_corners=align_corners), [theta], dtype)
        unit = align_corners and min(size[2:]) == 1
        assert sum(str(w.message).startswith("affine_grid: size") for w in caught) == (1 if unit else 0)
        assert len(caught) == (2 if unit else 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("padding_mode, align_corners",
                         [("zeros", False), ("border", True), ("reflection", False)])
def test_spatial_transformer_of_volumes_matches_pytorch(padding_mode, align_corners, dtype):
    """A 3-D spatial transformer: θ (N, 3, 4) → affine_grid → trilinear grid_sample, with
    gradients to θ (through the grid) and to the volume."""
    rng = _rng("stn3d", padding_mode)
    volume = rng.standard_normal((2, 3, 5, 4, 6))
    theta = np.eye(3, 4)[None].repeat(2, 0) + 0.3 * rng.standard_normal((2, 3, 4))

    def call(f):
        def transformer(x, t):
            grid = f.affine_grid(t, (2, 3, 4, 3, 5), align_corners=align_corners)
            return f.grid_sample(x, grid, padding_mode=padding_mode, align_corners=align_corners)
        return transformer

    _compare(call(F), call(TF), [volume, theta], dtype)


def test_spatial_transformer_module_trains_like_pytorch():
    """Two SGD steps of a 3-D localisation net (Linear → θ) that warps the volume."""
    rng = _rng("stn-train")
    volume, target = rng.standard_normal((2, 1, 4, 5, 3)), rng.standard_normal((2, 1, 4, 5, 3))
    weight, bias = 0.05 * rng.standard_normal((12, 60)), np.eye(3, 4).ravel()
    results = []
    for lib, fn in ((gn, F), (torch, TF)):
        w, b = lib.tensor(weight, requires_grad=True), lib.tensor(bias, requires_grad=True)
        x, y = lib.tensor(volume), lib.tensor(target)
        optimizer = lib.optim.SGD([w, b], lr=0.5)
        for _ in range(2):
            theta = (x.reshape(2, 60) @ w.T + b).reshape(2, 3, 4)
            warped = fn.grid_sample(x, fn.affine_grid(theta, x.shape, align_corners=False),
                                    padding_mode="reflection", align_corners=False)
            loss = ((warped - y) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        results.append((loss.item(), w.detach().numpy(), b.detach().numpy()))
    (loss, w, b), (loss_t, w_t, b_t) = results
    assert loss == pytest.approx(loss_t, rel=1e-10)
    np.testing.assert_allclose(w, w_t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, b_t, rtol=1e-10, atol=1e-12)


_RESIZES = [dict(size=(9, 11)), dict(size=(3, 2)), dict(scale_factor=1.7), dict(scale_factor=0.45),
            dict(scale_factor=(0.3, 2.5)), dict(scale_factor=1.7, recompute_scale_factor=True),
            dict(scale_factor=0.45, recompute_scale_factor=True), dict(size=(1, 1)), dict(size=7)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("resize", _RESIZES, ids=str)
def test_interpolate_bicubic_matches_pytorch(resize, align_corners, dtype):
    image = _rng("bicubic", str(resize)).standard_normal((2, 3, 7, 5))
    _compare(lambda x: F.interpolate(x, mode="bicubic", align_corners=align_corners, **resize),
             lambda x: TF.interpolate(x, mode="bicubic", align_corners=align_corners, **resize),
             [image], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode, align_corners",
                         list(itertools.product(("bilinear", "bicubic"), (True, False))))
@pytest.mark.parametrize("resize", _RESIZES + [dict(size=(2, 3)), dict(scale_factor=0.25)], ids=str)
def test_interpolate_antialias_matches_pytorch(resize, mode, align_corners, dtype):
    image = _rng("aa", str(resize)).standard_normal((2, 3, 9, 8))
    _compare(lambda x: F.interpolate(x, mode=mode, antialias=True, align_corners=align_corners, **resize),
             lambda x: TF.interpolate(x, mode=mode, antialias=True, align_corners=align_corners, **resize),
             [image], dtype)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialias_to_one_column_is_each_row_filtered(mode):
    """PyTorch 2.x's antialiased forward, shrinking H and W to one column, repeats the first
    output row (its gradient does not); glassnet gives each row, as PyTorch does for the
    transposed image, and PyTorch's gradient."""
    image = _rng("aa-column", mode).standard_normal((2, 3, 7, 5))
    x, xt = gn.tensor(image, requires_grad=True), torch.tensor(image, requires_grad=True)
    out = F.interpolate(x, size=(3, 1), mode=mode, antialias=True, align_corners=False)
    transposed = TF.interpolate(xt.transpose(2, 3), size=(1, 3), mode=mode, antialias=True,
                                align_corners=False)
    np.testing.assert_allclose(out.detach().numpy(), transposed.transpose(2, 3).detach().numpy(), rtol=1e-10)
    assert np.ptp(out.detach().numpy()[0, 0, :, 0]) > 0.1
    out.sum().backward()
    TF.interpolate(xt, size=(3, 1), mode=mode, antialias=True, align_corners=False).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_upsample_module_bicubic_matches_pytorch():
    image = _rng("upsample").standard_normal((2, 3, 5, 6))
    for kwargs in (dict(scale_factor=1.5, mode="bicubic"),
                   dict(size=(7, 4), mode="bicubic", align_corners=True)):
        _compare(gn.nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs), [image], np.float64)


def test_antialias_downsampling_averages_what_plain_bilinear_skips():
    """The point of antialias: shrinking a stripe pattern 4× keeps its mean (0.5) instead of
    reading one stripe."""
    stripes = gn.tensor(np.tile([1.0, 0.0], 8)[None, None, None, :].repeat(4, 2))
    plain = F.interpolate(stripes, size=(4, 4), mode="bilinear", align_corners=False)
    smooth = F.interpolate(stripes, size=(4, 4), mode="bilinear", antialias=True, align_corners=False)
    np.testing.assert_allclose(plain.numpy(), 0.5)  # source 4i + 1.5: halfway between a 1 and a 0
    np.testing.assert_allclose(smooth.numpy()[..., 1:-1], 0.5, atol=1e-12)


def test_second_derivatives_of_bicubic_and_reflection_sampling():
    """Double backward through the grid: finite differences of the first gradient."""
    rng = _rng("gradgrad")
    image = gn.tensor(rng.standard_normal((1, 2, 4, 5)), requires_grad=True)
    grid = gn.tensor(rng.uniform(-1.4, 1.4, (1, 2, 3, 2)), requires_grad=True)
    for mode, padding in (("bicubic", "reflection"), ("bilinear", "reflection"), ("bicubic", "zeros")):
        assert gn.autograd.gradgradcheck(
            lambda x, g, mode=mode, padding=padding: F.grid_sample(x, g, mode=mode, padding_mode=padding,
                                                                   align_corners=False),
            (image, grid))
    volume = gn.tensor(rng.standard_normal((1, 1, 3, 3, 4)), requires_grad=True)
    points = gn.tensor(rng.uniform(-1.2, 1.2, (1, 2, 2, 1, 3)), requires_grad=True)
    assert gn.autograd.gradgradcheck(
        lambda x, g: F.grid_sample(x, g, padding_mode="reflection", align_corners=True), (volume, points))


@pytest.mark.parametrize("call, message", [
    (lambda: F.grid_sample(gn.ones(1, 1, 2, 2, 2), gn.zeros(1, 1, 1, 1, 3), mode="bicubic",
                           align_corners=False),
     "'bicubic' needs a 4-D input"),
    (lambda: F.grid_sample(gn.ones(1, 1, 2, 2, 2), gn.zeros(1, 1, 1, 2), align_corners=False),
     "grid (N, D_out, H_out, W_out, 3)"),
    (lambda: F.grid_sample(gn.ones(1, 1, 2, 2), gn.zeros(1, 1, 1, 2), padding_mode="mirror",
                           align_corners=False), "'zeros', 'border' or 'reflection', got 'mirror'"),
    (lambda: F.affine_grid(gn.zeros(1, 2, 3), (1, 1, 2, 2, 2), align_corners=False), "(N, 3, 4) = (1, 3, 4)"),
    (lambda: F.affine_grid(gn.zeros(1, 2, 3), (1, 1, 2), align_corners=False), "(N, C, D, H, W) for 3-D"),
    (lambda: F.interpolate(gn.ones(1, 1, 4), scale_factor=2, mode="bicubic"), "need a 4-D input"),
    (lambda: F.interpolate(gn.ones(1, 1, 4, 4), scale_factor=0.5, mode="nearest", antialias=True),
     "antialias mode 'bilinear' or 'bicubic'"),
])
def test_errors_name_the_operation_and_what_would_fit(call, message):
    with pytest.raises((ValueError, TypeError)) as err:
        call()
    assert message in str(err.value)
