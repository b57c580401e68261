"""trunc_normal_, sparse_ and PyTorch's deprecated initialiser names (issue #16): the
distributions they draw, their shapes of zeros against PyTorch's, and the warnings."""

import math
import warnings

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.init as init


def _truncated_normal_moments(mean, std, a, b):
    """Mean and standard deviation of N(mean, std²) truncated to [a, b] (closed form)."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - shift**2
    return mean + std * shift, std * math.sqrt(var)


@pytest.mark.parametrize(("mean", "std", "a", "b"), [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                                     (1.0, 2.0, 0.5, 6.0)])
def test_trunc_normal_draws_the_truncated_distribution(mean, std, a, b):
    gn.manual_seed(0)
    w = init.trunc_normal_(gn.empty(200_000, dtype=gn.float64), mean, std, a, b).numpy()
    assert w.min() >= a and w.max() <= b
    expected_mean, expected_std = _truncated_normal_moments(mean, std, a, b)
    assert abs(w.mean() - expected_mean) < 4 * expected_std / math.sqrt(w.size)
    assert abs(w.std() - expected_std) < 0.01 * expected_std


def test_trunc_normal_with_a_generator_and_its_refusals():
    first = init.trunc_normal_(gn.empty(3, 4), std=0.02, generator=gn.Generator().manual_seed(5)).numpy()
    again = init.trunc_normal_(gn.empty(3, 4), std=0.02, generator=gn.Generator().manual_seed(5)).numpy()
    np.testing.assert_array_equal(first, again)
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(gn.empty(10), mean=5.0, std=1.0, a=-2.0, b=2.5)
    with pytest.raises(gn.GlassnetValueError, match=r"trunc_normal_: \[-2.0, -1.0\] holds only"), \
            pytest.warns(UserWarning, match="mean is more than 2 std"):
        init.trunc_normal_(gn.empty(10), mean=10.0, std=1.0, a=-2.0, b=-1.0)
    with pytest.raises(gn.GlassnetValueError, match="need a < b"):
        init.trunc_normal_(gn.empty(10), a=1.0, b=1.0)


def test_sparse_zeroes_the_same_number_per_column_as_pytorch():
    torch = pytest.importorskip("torch")
    gn.manual_seed(0)
    w = init.sparse_(gn.empty(50, 400, dtype=gn.float64), sparsity=0.13, std=0.5).numpy()
    theirs = torch.nn.init.sparse_(torch.empty(50, 400), sparsity=0.13, std=0.5).numpy()
    np.testing.assert_array_equal((w == 0).sum(axis=0), (theirs == 0).sum(axis=0))  # ⌈0.13·50⌉ = 7 each
    assert not np.all((w == 0) == (w[:, :1] == 0))  # the zero rows differ from column to column
    assert abs(w[w != 0].std() - 0.5) < 0.01
    with pytest.raises(gn.GlassnetValueError, match="sparse_: only 2-D tensors"):
        init.sparse_(gn.empty(3), 0.5)


OLD_NAMES = [("uniform", (-1.0, 1.0)), ("normal", (0.0, 2.0)), ("constant", (0.5,)), ("xavier_uniform", ()),
             ("xavier_normal", ()), ("kaiming_uniform", ()), ("kaiming_normal", ()), ("orthogonal", ())]


@pytest.mark.parametrize(("old", "args"), OLD_NAMES)
def test_deprecated_names_warn_as_pytorch_and_fill_as_the_new_ones(old, args):
    torch = pytest.importorskip("torch")
    gn.manual_seed(3)
    with pytest.warns(FutureWarning) as ours:
        filled = getattr(init, old)(gn.empty(4, 5, dtype=gn.float64), *args).numpy()
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        getattr(torch.nn.init, old)(torch.empty(4, 5), *args)
    assert str(ours[0].message) == str(theirs[0].message) == (
        f"`nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`.")
    assert ours[0].filename == __file__  # the warning points at the caller, as PyTorch's
    gn.manual_seed(3)
    new = getattr(init, old + "_")(gn.empty(4, 5, dtype=gn.float64), *args)
    np.testing.assert_array_equal(filled, new.numpy())
