"""What the registries do not reach for the layers of issue 16: PyTorch's errors and
warnings, ConvTranspose2d(output_size=), InstanceNorm's running statistics, init.orthogonal_,
eye_ and dirac_. Forward and gradients against NumPy, finite differences and PyTorch are in
tests/resample_cases.py (op and module registries)."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

torch = pytest.importorskip("torch")


def _both(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return gn.tensor(a), torch.tensor(a)


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv_transpose2d(gn.ones(1, 2, 3, 3), gn.ones(2, 1, 3, 3), stride=2, output_padding=2),
     "output_padding (2, 2) must be smaller than either stride (2, 2) or dilation (1, 1)"),
    (lambda: F.conv_transpose2d(gn.ones(1, 3, 3, 3), gn.ones(2, 1, 3, 3)), "expected input (N, 2, H, W)"),
    (lambda: F.pad(gn.ones(1, 2, 3), (3, 0), mode="reflect"), "must be between 0 and 2"),
    (lambda: F.pad(gn.ones(1, 2, 3), (1, 0), mode="mirror"), "mode must be 'constant', 'reflect'"),
    (lambda: F.interpolate(gn.ones(1, 1, 2, 2), size=3, scale_factor=2),
     "exactly one of size and scale_factor"),
    (lambda: F.interpolate(gn.ones(1, 1, 2, 2), scale_factor=2, mode="lanczos"),
     "'lanczos' is not supported"),
    (lambda: F.interpolate(gn.ones(1, 1, 2), scale_factor=2, mode="bilinear"), "needs 2 spatial axes"),
    (lambda: F.grid_sample(gn.ones(1, 1, 2, 2), gn.zeros(1, 1, 1, 2), mode="area", align_corners=False),
     "'bilinear', 'nearest' or 'bicubic', got 'area'"),
    (lambda: F.pixel_shuffle(gn.ones(1, 3, 2, 2), 2), "divisible by r² = 4"),
    (lambda: nn.ConvTranspose2d(1, 1, 3, padding="same"), "'same' and 'valid' are for Conv layers"),
])
def test_errors_name_the_operation_and_what_would_fit(call, message):
    with pytest.raises((ValueError, TypeError)) as err:
        call()
    assert message in str(err.value)


def test_align_corners_left_out_warns_as_pytorch_and_means_false():
    theta = [[[1.0, 0.2, 0.0], [0.0, 1.0, 0.1]]]
    with pytest.warns(UserWarning, match="align_corners"):
        ours = F.affine_grid(gn.tensor(theta), (1, 1, 2, 3))
    with pytest.warns(UserWarning, match="align_corners"):
        theirs = torch.nn.functional.affine_grid(torch.tensor(theta), (1, 1, 2, 3))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_kl_div_mean_warns_that_batchmean_is_the_divergence():
    x, y = gn.log(gn.tensor([[0.2, 0.8]])), gn.tensor([[0.5, 0.5]])
    with pytest.warns(UserWarning, match="batchmean"):
        mean = F.kl_div(x, y)
    assert mean.item() == pytest.approx(F.kl_div(x, y, reduction="batchmean").item() / 2)


@pytest.mark.parametrize("output_size", [(9, 11), (10, 12)])
def test_conv_transpose_output_size_picks_output_padding_as_pytorch(output_size):
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    x, xt = _both((1, 2, 5, 6))
    out, out_t = ours(x, output_size=output_size), theirs(xt, output_size=output_size)
    assert out.shape == tuple(out_t.shape) == (1, 3, *output_size)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="not reachable"):
        ours(x, output_size=(12, 12))


def test_instance_norm_running_statistics_follow_pytorch_in_train_and_eval():
    ours = nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double()
    theirs = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True).double()
    for step in range(2):
        x, xt = _both((2, 3, 4, 5), seed=step)
        np.testing.assert_allclose(ours(x).numpy(), theirs(xt).detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-12, err_msg=name)
    ours.eval()
    theirs.eval()
    x, xt = _both((1, 3, 2, 2), seed=5)
    np.testing.assert_allclose(ours(x).numpy(), theirs(xt).detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (4, 2, 3, 3)])
def test_orthogonal_init_gives_orthonormal_rows_or_columns_times_gain(shape):
    gn.manual_seed(0)
    w = nn.init.orthogonal_(gn.empty(*shape, dtype=gn.float64), gain=2.0).numpy().reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-12)


def test_eye_and_dirac_match_pytorch():
    np.testing.assert_array_equal(nn.init.eye_(gn.empty(2, 3)).numpy(),
                                  torch.nn.init.eye_(torch.empty(2, 3)).numpy())
    for groups in (1, 2):
        ours = nn.init.dirac_(gn.empty(4, 2, 3, 3), groups=groups).numpy()
        theirs = torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=groups).numpy()
        np.testing.assert_array_equal(ours, theirs)


def test_transformer_static_mask_and_state_dict_keys_are_pytorchs():
    torch.manual_seed(0)
    keys = set(torch.nn.Transformer(8, 2, 1, 1, 16, batch_first=True).state_dict())
    assert set(nn.Transformer(8, 2, 1, 1, 16, batch_first=True).state_dict()) == keys
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.numpy(), theirs.numpy())
    assert mask.dtype == gn.get_default_dtype()
