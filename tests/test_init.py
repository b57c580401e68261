"""Initialisers: PyTorch's gains and bounds, and the distributions they draw."""

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.init as init


@pytest.mark.parametrize(("name", "param", "expected"), [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("conv2d", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("selu", None, 0.75),
])
def test_calculate_gain_matches_pytorch_formula(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


def _w(*shape):
    return gn.zeros(*shape, dtype=gn.float64)


def test_xavier_uniform_bound_and_spread():
    gn.manual_seed(0)
    w = init.xavier_uniform_(_w(300, 200), gain=2.0).numpy()
    bound = 2.0 * math.sqrt(6 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_xavier_normal_std():
    gn.manual_seed(0)
    w = init.xavier_normal_(_w(300, 200)).numpy()
    assert w.std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)
    assert abs(w.mean()) < 0.003


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming_normal_std_uses_fan(mode):
    gn.manual_seed(0)
    w = init.kaiming_normal_(_w(100, 50, 3, 3), mode=mode, nonlinearity="relu").numpy()
    fan = 50 * 9 if mode == "fan_in" else 100 * 9
    assert w.std() == pytest.approx(math.sqrt(2) / math.sqrt(fan), rel=0.02)


def test_kaiming_uniform_bound():
    gn.manual_seed(0)
    w = init.kaiming_uniform_(_w(256, 128), a=math.sqrt(5)).numpy()
    bound = math.sqrt(3) * math.sqrt(2 / (1 + 5)) / math.sqrt(128)  # = 1/sqrt(128)
    assert bound == pytest.approx(1 / math.sqrt(128))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_constants_and_seeding():
    t = _w(2, 3)
    assert init.ones_(t).numpy().sum() == 6
    assert init.constant_(t, 2.5).numpy().tolist() == [[2.5] * 3] * 2
    assert init.zeros_(t).numpy().sum() == 0
    gn.manual_seed(7)
    a = init.normal_(_w(4), 1.0, 0.5).numpy().copy()
    gn.manual_seed(7)
    b = init.normal_(_w(4), 1.0, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    u = init.uniform_(_w(1000), -2, 3).numpy()
    assert u.min() >= -2 and u.max() < 3


def test_fan_needs_two_dims_and_known_nonlinearity():
    with pytest.raises(gn.GlassnetValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(_w(5))
    with pytest.raises(gn.GlassnetValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
