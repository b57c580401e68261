"""Making tensors: creation functions, dtypes, attributes, conversions, repr, seeding."""

import numpy as np
import pytest

import glassnet as gn


@pytest.fixture
def float64_default():
    gn.set_default_dtype(gn.float64)
    yield
    gn.set_default_dtype(gn.float32)


# -- dtypes from data ---------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1, 2.5], np.float32), ([[1.0], [2.0]], np.float32),
    (3, np.int64), ([1, 2], np.int64), ([True, False], np.bool_),
    (np.array([1.0]), np.float64), (np.array([1.0], dtype=np.float32), np.float32),
    (np.array([1, 2], dtype=np.int32), np.int32), (np.float64(2.0), np.float64),
    ([np.float64(1.0)], np.float64),
], ids=lambda v: repr(v) if not isinstance(v, type) else v.__name__)
def test_tensor_dtype_follows_pytorch(data, dtype):
    assert gn.tensor(data).dtype == dtype


def test_tensor_values_and_explicit_dtype():
    t = gn.tensor([[1, 2], [3, 4]], dtype=gn.float64)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    assert gn.tensor([1.7, -1.2], dtype=gn.int64).tolist() == [1, -1]


def test_default_dtype_switch(float64_default):
    assert gn.get_default_dtype() == np.float64
    assert gn.tensor(1.5).dtype == np.float64
    assert gn.zeros(2).dtype == np.float64 and gn.randn(2).dtype == np.float64
    assert gn.arange(0.0, 1.0, 0.5).dtype == np.float64


def test_tensor_copies_and_from_numpy_shares():
    a = np.array([1.0, 2.0])
    t, s = gn.tensor(a), gn.from_numpy(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    assert s.tolist() == [9.0, 2.0] and s.dtype == np.float64
    u = gn.tensor(t)
    t.data[1] = -1.0
    assert u.tolist() == [1.0, 2.0]


# -- creation functions ---------------------------------------------------------------------
def test_filled_tensors():
    z = gn.zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == np.float32 and z.sum().item() == 0
    assert gn.zeros((2, 3)).shape == (2, 3) and gn.zeros([4]).shape == (4,)
    assert gn.ones(3, dtype=gn.int64).tolist() == [1, 1, 1]
    assert gn.ones(()).shape == () and gn.ones(()).item() == 1.0
    assert gn.empty(2, 1).shape == (2, 1) and gn.empty(2).dtype == np.float32
    f = gn.full((2, 2), 1.5)
    assert f.dtype == np.float32 and f.tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert gn.full((2,), 7).dtype == np.int64 and gn.full(3, 2.0).shape == (3,)
    assert gn.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]] and gn.eye(2).dtype == np.float32
    z = gn.zeros(2, requires_grad=True)
    assert z.requires_grad and z.is_leaf


def test_ranges():
    assert gn.arange(4).tolist() == [0, 1, 2, 3] and gn.arange(4).dtype == np.int64
    assert gn.arange(2, 8, 2).tolist() == [2, 4, 6]
    r = gn.arange(0, 1, 0.25)
    assert r.dtype == np.float32 and r.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert gn.arange(3, dtype=gn.float64).dtype == np.float64
    lin = gn.linspace(-1, 1, 5)
    assert lin.dtype == np.float32 and lin.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]


def test_random_draws_have_the_right_shape_dtype_and_range():
    gn.manual_seed(1)
    u = gn.rand(200, 3)
    assert u.shape == (200, 3) and u.dtype == np.float32
    assert 0.0 <= u.numpy().min() and u.numpy().max() < 1.0
    n = gn.randn(4000, dtype=gn.float64)
    assert n.dtype == np.float64 and abs(n.numpy().mean()) < 0.1
    assert 0.9 < n.numpy().std() < 1.1
    assert gn.rand(2, dtype=gn.float16).dtype == np.float16
    k = gn.randint(2, 5, (500,))
    assert k.dtype == np.int64 and set(k.tolist()) == {2, 3, 4}
    assert set(gn.randint(3, size=(100,)).tolist()) == {0, 1, 2}
    assert sorted(gn.randperm(6).tolist()) == list(range(6))
    with pytest.raises(TypeError, match="floating dtype"):
        gn.rand(2, dtype=gn.int64)


def test_like_functions():
    base = gn.ones(2, 3, dtype=gn.float64)
    for make in (gn.zeros_like, gn.ones_like, gn.rand_like, gn.randn_like):
        t = make(base)
        assert t.shape == (2, 3) and t.dtype == np.float64
    assert gn.zeros_like(base).sum().item() == 0 and gn.ones_like(base).sum().item() == 6
    assert gn.full_like(base, 7).tolist() == [[7.0] * 3] * 2
    assert gn.zeros_like(gn.ones(2), dtype=gn.float64).dtype == np.float64
    assert gn.ones_like(gn.arange(3)).dtype == np.int64
    assert gn.zeros_like(base, requires_grad=True).requires_grad


def test_manual_seed_reproduces_every_draw():
    def draws():
        return [gn.rand(3).tolist(), gn.randn(2, 2).tolist(), gn.randint(0, 100, (4,)).tolist(),
                gn.randperm(5).tolist()]

    gn.manual_seed(123)
    first = draws()
    gn.manual_seed(123)
    assert draws() == first
    gn.manual_seed(124)
    assert draws() != first


# -- attributes --------------------------------------------------------------------------
def test_attributes():
    t = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and t.dim() == 2
    assert t.dtype == np.float32 and t.device == "cpu"
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-2) == 2
    assert t.numel() == 6 and len(t) == 2
    assert t.T.shape == (3, 2) and t.T.tolist() == [[1, 4], [2, 5], [3, 6]]
    assert gn.ones(4, 2, 3).mT.shape == (4, 3, 2)
    s = gn.tensor(5.0)
    assert s.shape == () and s.ndim == 0 and s.numel() == 1 and s.T.shape == ()
    assert not t.requires_grad and t.grad is None and t.is_leaf and t.grad_fn is None


# -- conversions ------------------------------------------------------------------------------
def test_numpy_item_tolist_and_python_numbers():
    t = gn.tensor([[1.5, -2.0]])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    assert np.shares_memory(a, t.array)
    assert t.tolist() == [[1.5, -2.0]]
    assert gn.tensor([2.5]).item() == 2.5 and isinstance(gn.tensor(2.5).item(), float)
    assert isinstance(gn.tensor(3).item(), int) and gn.tensor(3).item() == 3
    assert float(gn.tensor([3.25])) == 3.25 and int(gn.tensor(4.7)) == 4
    assert bool(gn.tensor(1.0)) and not bool(gn.tensor([0]))
    assert [10, 20, 30][gn.tensor(1)] == 20
    np.testing.assert_array_equal(np.asarray(t), [[1.5, -2.0]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_dtype_conversions():
    t = gn.tensor([1.5, -2.7, 0.0])
    assert t.float() is t  # already float32
    d = t.double()
    assert d.dtype == np.float64 and d.tolist() == pytest.approx([1.5, -2.7, 0.0], rel=1e-7)
    assert t.long().dtype == np.int64 and t.long().tolist() == [1, -2, 0]
    assert t.int().dtype == np.int32
    assert t.bool().tolist() == [True, True, False]
    assert t.astype(gn.float16).dtype == np.float16
    assert t.to(gn.float64).dtype == np.float64 and t.to("float64").dtype == np.float64
    assert t.to("cpu") is t and t.cpu() is t
    assert gn.tensor([1, 2]).float().dtype == np.float32


def test_conversion_between_floats_is_differentiable_and_to_ints_is_not():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.grad_fn.name == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0]
    assert not x.long().requires_grad


# -- repr -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make, text", [
    (lambda: gn.tensor([1.0, 2.5]), "tensor([1. , 2.5])"),
    (lambda: gn.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: gn.tensor(3.25), "tensor(3.25)"),
    (lambda: gn.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: gn.tensor([1.0], dtype=gn.float64), "tensor([1.], dtype=float64)"),
    (lambda: gn.tensor([1.0], requires_grad=True), "tensor([1.], requires_grad=True)"),
    (lambda: gn.tensor([1.0], requires_grad=True) * 2, "tensor([2.], grad_fn=<Mul>)"),
    (lambda: gn.tensor([1 / 3]), "tensor([0.3333])"),
], ids=["float", "int", "scalar", "matrix", "float64", "requires_grad", "grad_fn", "precision"])
def test_repr(make, text):
    assert repr(make()) == text


def test_in_place_data_updates():
    t = gn.ones(3)
    assert t.zero_() is t and t.tolist() == [0, 0, 0]
    assert t.fill_(2.5).tolist() == [2.5] * 3
    assert t.copy_(gn.tensor([1.0, 2.0, 3.0])).tolist() == [1, 2, 3]
    assert t.copy_(np.array([4.0, 5.0, 6.0])).tolist() == [4, 5, 6]
    r = gn.zeros(2)
    assert r.requires_grad_() is r and r.requires_grad
