"""The tensor surface PyTorch programs use, beyond what the op registry checks: dtype names,
legacy types, creation keywords (``out=``, ``generator=``, ``size=``), random draws, edge
cases against PyTorch (zeros in products, einsum's ``...``), and the errors where glassnet
deliberately differs."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


# -- dtypes and legacy types ---------------------------------------------------------------
def test_dtype_aliases_are_pytorchs():
    assert gn.float is gn.float32 and gn.double is gn.float64 and gn.half is gn.float16
    assert gn.long is gn.int64 and gn.int is gn.int32 and gn.short is gn.int16 and gn.bool is gn.bool_
    assert gn.tensor([1, 2]).dtype == gn.long and gn.tensor([1.0]).dtype == gn.float
    assert isinstance(gn.float32, gn.dtype) and gn.finfo(gn.float32).eps == np.finfo(np.float32).eps
    assert gn.iinfo(gn.int8).max == 127 and gn.is_floating_point(gn.ones(1))


def test_unsupported_dtypes_say_why():
    # the names exist (nanoGPT builds {'bfloat16': torch.bfloat16, ...} whatever it then uses) …
    table = {"float32": gn.float32, "bfloat16": gn.bfloat16, "float16": gn.float16}
    assert table["bfloat16"] is gn.bfloat16 and repr(gn.bfloat16) == "glassnet.bfloat16"
    assert gn.bfloat16.is_floating_point and gn.complex32.is_complex and gn.float32 != gn.bfloat16
    # … and using one as a dtype says why
    with pytest.raises(gn.GlassnetTypeError, match="NumPy has no bfloat16; use gn.float32"):
        gn.zeros(2, dtype=gn.bfloat16)
    with pytest.raises(gn.GlassnetTypeError, match="NumPy has no bfloat16"):
        gn.ones(2).to(gn.bfloat16)
    with pytest.raises(gn.GlassnetTypeError, match="NumPy has no complex32"):
        gn.tensor([1.0], dtype=gn.complex32)
    assert gn.complex64 is gn.cfloat and gn.complex128 is gn.cdouble  # values only (gn.fft), no gradients


def test_legacy_types_make_and_recognise_tensors():
    f = gn.FloatTensor([1, 2])
    assert f.dtype == gn.float32 and f.tolist() == [1.0, 2.0]
    assert gn.LongTensor(2, 3).shape == (2, 3) and gn.LongTensor(2, 3).dtype == gn.int64
    assert isinstance(f, gn.FloatTensor) and not isinstance(f, gn.LongTensor) and isinstance(f, gn.Tensor)
    assert f.type() == "torch.FloatTensor" and gn.tensor([True]).type() == "torch.BoolTensor"
    assert f.type(gn.DoubleTensor).dtype == gn.float64 and f.type("torch.LongTensor").dtype == gn.int64
    assert repr(gn.FloatTensor) == "<class 'torch.FloatTensor'>"
    with pytest.raises(gn.GlassnetTypeError, match="names no tensor type"):
        f.type("torch.QuaternionTensor")


# -- creation keywords -----------------------------------------------------------------------
def test_out_writes_into_the_given_tensor_and_returns_it():
    out = gn.empty(2, 2)
    result = gn.add(gn.ones(2, 2), 2.0, out=out)
    assert result is out and out.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert gn.zeros(3, out=gn.empty(0)).shape == (3,)  # an empty out takes the result's shape
    assert gn.arange(3, out=gn.empty(3, dtype=gn.int64)).tolist() == [0, 1, 2]
    with pytest.raises(gn.ShapeError, match=r"out= has shape \(3,\) but the result has shape \(2, 2\)"):
        gn.matmul(gn.ones(2, 2), gn.ones(2, 2), out=gn.empty(3))
    with pytest.raises(gn.GlassnetValueError, match="out= arguments do not record gradients"):
        gn.sin(gn.ones(2, requires_grad=True), out=gn.empty(2))
    with pytest.raises(gn.GlassnetTypeError, match="cannot be stored in this tensor"):
        gn.sin(gn.ones(2), out=gn.empty(2, dtype=gn.int64))


def test_creation_takes_pytorchs_keywords():
    assert gn.zeros(size=(2, 3)).shape == (2, 3) and gn.randn(size=(4,)).shape == (4,)
    assert gn.zeros(2, dtype=gn.long).dtype == gn.int64 and gn.ones(2, requires_grad=True).requires_grad
    assert gn.randint(10, (3,)).shape == (3,) and gn.randint(2, 5, (100,)).min().item() >= 2
    assert gn.full((2,), 7).dtype == gn.int64 and gn.full((2,), True).dtype == gn.bool
    assert gn.empty_like(gn.ones(2, dtype=gn.float64)).dtype == gn.float64
    a = np.arange(3)
    assert np.shares_memory(gn.as_tensor(a).numpy(), a)
    assert gn.as_tensor(a, dtype=gn.float64).dtype == gn.float64
    t = gn.ones(2)
    assert gn.as_tensor(t) is t and gn.numel(gn.ones(2, 3)) == 6 and gn.is_tensor(t)
    with pytest.raises(gn.GlassnetTypeError, match=r"zeros\(\) got unexpected keyword argument\(s\)"):
        gn.zeros(2, shape=3)


def test_generators_repeat_their_draws():
    def draws(g):
        return [gn.rand(3, generator=g), gn.randn(2, generator=g), gn.randint(0, 9, (4,), generator=g),
                gn.randperm(5, generator=g), gn.multinomial(gn.tensor([0.2, 0.8]), 3, True, generator=g),
                gn.normal(0.0, 1.0, (2,), generator=g), gn.bernoulli(gn.full((3,), 0.5), generator=g)]

    first, second = draws(gn.Generator().manual_seed(4)), draws(gn.Generator().manual_seed(4))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    g = gn.manual_seed(11)
    assert g is gn.backend.default_generator() and isinstance(g, gn.Generator) and gn.initial_seed() == 11
    x = gn.rand(2)
    g.manual_seed(11)
    np.testing.assert_array_equal(gn.rand(2).numpy(), x.numpy())
    state = gn.get_rng_state()
    y = gn.randn(3)
    gn.set_rng_state(state)
    np.testing.assert_array_equal(gn.randn(3).numpy(), y.numpy())
    assert gn.rand(2, generator=np.random.default_rng(0)).shape == (2,)
    with pytest.raises(gn.GlassnetTypeError, match="generator must be a gn.Generator"):
        gn.rand(2, generator=3)


# -- random draws ----------------------------------------------------------------------------
def test_multinomial_draws_by_the_weights():
    gn.manual_seed(0)
    counts = gn.bincount(gn.multinomial(gn.tensor([0.0, 1.0, 3.0]), 20000, replacement=True), minlength=3)
    assert counts[0].item() == 0
    np.testing.assert_allclose(counts.numpy() / 20000, [0.0, 0.25, 0.75], atol=0.01)
    rows = gn.multinomial(gn.tensor([[0.1, 0.0, 0.5, 0.4], [1.0, 1.0, 1.0, 1.0]]), 3)
    assert rows.shape == (2, 3) and rows.dtype == gn.int64
    assert len(set(rows[0].tolist())) == 3 and 1 not in rows[0].tolist()
    assert len(set(rows[1].tolist())) == 3
    with pytest.raises(gn.GlassnetValueError, match="without replacement from a row with only 3 nonzero"):
        gn.multinomial(gn.tensor([0.1, 0.0, 0.5, 0.4]), 4)
    with pytest.raises(gn.GlassnetValueError, match="non-negative"):
        gn.multinomial(gn.tensor([-1.0, 2.0]), 1)


# -- edge cases against PyTorch --------------------------------------------------------------
@pytest.mark.parametrize("values", [[[2.0, 0.0, 3.0, 0.5], [0.0, 0.0, 1.5, 2.0]], [[1.5, -2.0, 0.0, 3.0]],
                                    [[0.0, 2.0, 3.0]]])
def test_products_with_zeros_have_pytorchs_gradients(values):
    w = np.random.default_rng(0).standard_normal(np.shape(values))
    ours = gn.tensor(values, dtype=gn.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    for fn in (lambda t: t.cumprod(1), lambda t: t.prod(1), lambda t: t.prod()):
        ours.grad, theirs.grad = None, None
        a, b = fn(ours), fn(theirs)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
        (a * gn.tensor(w[..., : a.shape[-1]] if a.ndim else 1.0)).sum().backward()
        (b * torch.tensor(w[..., : b.shape[-1]] if b.ndim else 1.0)).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("equation, shapes", [
    ("...ij,...jk", [(1, 2, 3), (4, 3, 2)]), ("ij,jk", [(2, 3), (3, 2)]), ("i,i->", [(3,), (3,)]),
    ("bii->bi", [(2, 3, 3)]), ("ij,j", [(2, 3), (3,)]), ("...i,i->...", [(2, 1, 3), (3,)])])
def test_einsum_matches_pytorch_with_ellipsis_and_implicit_outputs(equation, shapes):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [gn.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    a, b = gn.einsum(equation, *ours), torch.einsum(equation, *theirs)
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12)
    (a * a).sum().backward()
    (b * b).sum().backward()
    for x, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gn.einsum(equation, ours).numpy(), a.numpy())  # operands as a list


def test_shapes_and_sorting_match_pytorch_on_integers():
    m = [[3, 1, 2, 1], [0, 5, 4, 5]]
    for name, args in [("sort", (1, True)), ("argsort", (1,)), ("topk", (2,)), ("cumsum", (1,)),
                       ("flip", ((0, 1),)), ("roll", (1, 1)), ("tril", (1,)), ("nonzero", ())]:
        ours, theirs = getattr(gn.tensor(m), name)(*args), getattr(torch.tensor(m), name)(*args)
        ours = ours if isinstance(ours, gn.Tensor) else ours[0]
        theirs = theirs if isinstance(theirs, torch.Tensor) else theirs[0]
        assert ours.tolist() == theirs.tolist(), name
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name
    assert [t.tolist() for t in gn.tensor(m).split(3, 1)] == [t.tolist() for t in torch.tensor(m).split(3, 1)]
    assert len(gn.arange(5).chunk(3)) == len(torch.arange(5).chunk(3)) == 3
    assert (gn.tensor([7, -7]) // 2).tolist() == (torch.tensor([7, -7]) // 2).tolist()
    assert (gn.tensor([7, -7]) % 3).tolist() == (torch.tensor([7, -7]) % 3).tolist()
    assert gn.div(gn.tensor([7, -7]), 2, rounding_mode="trunc").tolist() == [3, -3]
    assert ((gn.tensor([1, 0]) > 0) & (gn.tensor([1, 1]) > 0)).tolist() == [True, False]
    assert (~(gn.tensor([1, 0]) > 0)).tolist() == [False, True]


# -- where glassnet differs, it says so ------------------------------------------------------
def test_deliberate_differences_raise_and_say_what_to_write():
    x = gn.tensor([1.5, 2.5], requires_grad=True)
    with pytest.raises(gn.GlassnetValueError, match="rounding_mode='floor'"):
        (x // 1.0).sum().backward()
    with pytest.raises(gn.ShapeError, match="x.transpose"):
        gn.ones(2, 2, 2).t()
    with pytest.raises(gn.GlassnetTypeError, match="convert first"):
        gn.tensor([1, 2]).norm()
    with pytest.raises(gn.GlassnetValueError, match="reduce must be 'add' or 'multiply'"):
        gn.zeros(2, 2).scatter(1, gn.tensor([[0], [1]]), 1.0, reduce="mean")
    with pytest.raises(gn.GlassnetValueError, match="not available"):
        gn.ones(2, 2).norm(p="spectral")
    with pytest.raises(gn.GlassnetIndexError, match=r"index values must lie in \[0, 2\)"):
        gn.zeros(2, 2).gather(1, gn.tensor([[0, 2], [1, 1]]))
    with pytest.raises(gn.GlassnetValueError, match="at least one of min and max"):
        gn.ones(2).clamp()


def test_printoptions_change_how_tensors_print():
    x = gn.tensor([1.23456789])
    try:
        gn.set_printoptions(precision=2)
        assert repr(x) == "tensor([1.23])"
        gn.set_printoptions(profile="default")
        assert repr(x) == "tensor([1.2346])"
    finally:
        gn.set_printoptions(profile="default")


def test_out_of_place_masked_fill_and_clone_leave_the_original():
    x = gn.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.masked_fill(x < 0, 0.0)
    c = x.clone()
    (y * 2 + c).sum().backward()
    assert y.tolist() == [1.0, 0.0, 3.0] and x.tolist() == [1.0, -2.0, 3.0]
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.0, 3.0])
    with gn.no_grad():
        c[0] = 9.0
    assert x[0].item() == 1.0


def test_the_tensor_class_constructs_as_pytorchs():
    assert gn.Tensor([1, 2]).dtype == gn.float32 and gn.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert gn.Tensor(2, 3).shape == (2, 3) and gn.Tensor().shape == (0,) and gn.Tensor(4).shape == (4,)
    assert gn.Tensor(np.arange(3)).dtype == gn.int64  # an array keeps its dtype (PyTorch would make floats)
    with pytest.raises(gn.GlassnetTypeError, match="pass one or the other"):
        gn.Tensor([1.0], 2)


def test_random_fills_in_place_follow_the_in_place_rules():
    w = gn.nn.Parameter(gn.zeros(1000, dtype=gn.float64))
    with pytest.raises(gn.GlassnetValueError, match="uniform_: a leaf tensor that requires grad"):
        w.uniform_(-1, 1)
    with gn.no_grad():
        w.uniform_(-0.5, 0.5, generator=gn.Generator().manual_seed(1))
    assert -0.5 <= w.min().item() and w.max().item() < 0.5 and w.dtype == gn.float64
    x = gn.zeros(20000).normal_(1.0, 2.0, generator=gn.Generator().manual_seed(2))
    assert abs(x.mean().item() - 1.0) < 0.05 and abs(x.std().item() - 2.0) < 0.05
    assert set(gn.zeros(50).bernoulli_(0.5).tolist()) == {0.0, 1.0}


def test_sum_and_mean_take_a_dtype_and_an_integer_mean_is_refused_as_in_pytorch():
    ints = gn.tensor([1, 2, 4])
    assert ints.sum().dtype == gn.int64 and ints.sum(dtype=gn.float64).dtype == gn.float64
    assert gn.mean(ints, dtype=gn.float32).item() == pytest.approx(7 / 3)
    with pytest.raises(gn.GlassnetTypeError, match="the mean needs a floating dtype"):
        ints.mean()
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2, 4]).mean()
