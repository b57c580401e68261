"""gn.fft against torch.fft: every transform on real, integer and complex inputs with
``n``/``s``, ``dim`` and ``norm``; the dtypes; the frequency helpers and shifts; and the
refusals (a real transform of complex input, an input that requires grad)."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

F = gn.fft
TOL = {"float64": {"rtol": 1e-10, "atol": 1e-12}, "float32": {"rtol": 1e-5, "atol": 1e-5}}


def _same(ours, theirs):
    expect = theirs.resolve_conj().numpy()
    assert ours.shape == expect.shape and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    tol = TOL["float32" if expect.dtype in (np.float32, np.complex64) else "float64"]
    np.testing.assert_allclose(ours.numpy(), expect, **tol)


def _signal(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "complex128":
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    if dtype == "int64":
        return rng.integers(-5, 6, size=shape)
    return rng.standard_normal(shape).astype(dtype)


ONE_D = [("fft", {}), ("fft", {"n": 5, "dim": 0}), ("fft", {"n": 12, "norm": "ortho"}),
         ("ifft", {"norm": "forward"}), ("ifft", {"n": 3, "dim": -2}),
         ("rfft", {}), ("rfft", {"n": 7, "dim": 0, "norm": "ortho"}), ("irfft", {}),
         ("irfft", {"n": 9, "norm": "forward"}), ("hfft", {}),
         ("hfft", {"n": 9, "dim": 0, "norm": "ortho"}),
         ("hfft", {"n": 4, "norm": "forward"}), ("ihfft", {}),
         ("ihfft", {"n": 7, "dim": 1, "norm": "forward"}),
         ("ihfft", {"n": 5, "norm": "ortho"})]
MANY_D = [("fft2", {}), ("ifft2", {"s": (3, 5)}), ("rfft2", {"norm": "ortho"}), ("irfft2", {"s": (4, 6)}),
          ("fftn", {}), ("fftn", {"s": (4, 4)}), ("fftn", {"dim": (0, 2), "norm": "forward"}),
          ("ifftn", {"dim": 1}), ("rfftn", {}), ("rfftn", {"s": (3, 8), "dim": (0, 1)}), ("irfftn", {}),
          ("irfftn", {"s": (2, 3, 10)}), ("hfft2", {}), ("hfft2", {"s": (3, 7), "norm": "ortho"}),
          ("ihfft2", {"norm": "forward"}), ("hfftn", {}), ("hfftn", {"s": (4, 9), "dim": (0, 2)}),
          ("ihfftn", {}), ("ihfftn", {"s": (3, 8), "dim": (0, 1), "norm": "ortho"})]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "complex128"])
@pytest.mark.parametrize(("name", "kwargs"), ONE_D + MANY_D, ids=lambda v: str(v))
def test_transform_matches_torch(name, kwargs, dtype):
    a = _signal((4, 3, 8), dtype)
    ours = lambda: getattr(F, name)(gn.tensor(a), **kwargs)  # noqa: E731
    theirs = lambda: getattr(torch.fft, name)(torch.tensor(a), **kwargs)  # noqa: E731
    if dtype == "complex128" and name.startswith(("rfft", "ihfft")):
        with pytest.raises(gn.GlassnetTypeError, match="expects a real input"):
            ours()
        with pytest.raises(RuntimeError, match="real|floating-point"):
            theirs()
        return
    _same(ours(), theirs())


def test_round_trips_give_the_signal_back():
    x = gn.tensor(_signal((5, 6), "float64"))
    np.testing.assert_allclose(F.irfft(F.rfft(x), n=6).numpy(), x.numpy(), atol=1e-14)
    np.testing.assert_allclose(F.ifft2(F.fft2(x)).real.numpy(), x.numpy(), atol=1e-14)
    np.testing.assert_allclose(F.irfftn(F.rfftn(x, norm="ortho"), s=x.shape, norm="ortho").numpy(), x.numpy(),
                               atol=1e-14)


def test_a_cosine_has_two_spikes():
    t = np.arange(8)
    spectrum = F.fft(gn.tensor(np.cos(2 * np.pi * t / 8)))
    np.testing.assert_allclose(spectrum.abs().numpy(), [0, 4, 0, 0, 0, 0, 0, 4], atol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 6, 7])
def test_frequencies_match_torch(n):
    _same(F.fftfreq(n), torch.fft.fftfreq(n))
    _same(F.rfftfreq(n, d=0.25, dtype=gn.float64), torch.fft.rfftfreq(n, d=0.25, dtype=torch.float64))
    _same(F.fftfreq(n, 0.1, dtype=gn.float64), torch.fft.fftfreq(n, 0.1, dtype=torch.float64))


@pytest.mark.parametrize("dim", [None, 0, (0, 1), -1])
def test_shifts_match_torch_and_are_differentiable(dim):
    a = _signal((4, 5), "float64")
    x, t = gn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w = _signal((4, 5), "float64", seed=1)
    for ours, theirs in ((F.fftshift, torch.fft.fftshift), (F.ifftshift, torch.fft.ifftshift)):
        _same(ours(x, dim).detach(), theirs(t, dim).detach())
        (ours(x, dim) * gn.tensor(w)).sum().backward()
        (theirs(t, dim) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    _same(F.fftshift(F.fft(gn.tensor(a)), dim), torch.fft.fftshift(torch.fft.fft(torch.tensor(a)), dim))


def test_complex_results_read_as_torchs():
    a = _signal((3, 4), "float32")
    ours, theirs = F.rfft(gn.tensor(a)), torch.fft.rfft(torch.tensor(a))
    _same(ours.real, theirs.real)
    _same(ours.imag, theirs.imag)
    _same(ours.abs(), theirs.abs())
    _same(ours.angle(), theirs.angle())
    _same(ours.conj(), theirs.conj().resolve_conj())
    _same(gn.view_as_real(ours), torch.view_as_real(theirs))
    _same(gn.view_as_complex(gn.view_as_real(ours)), theirs)
    _same(ours * gn.tensor(a[:, :3]), theirs * torch.tensor(a[:, :3]))  # complex64 · float32 → complex64
    assert gn.is_complex(ours) and ours.is_complex() and not gn.is_complex(gn.ones(1))
    assert ours.dtype == gn.complex64 == gn.cfloat


def test_gradients_through_the_fft_are_refused_with_the_fix():
    x = gn.ones(8, requires_grad=True)
    with pytest.raises(gn.GlassnetTypeError, match=r"fft.rfft: the input requires grad.*gn.no_grad\(\)"):
        F.rfft(x)
    with gn.no_grad():
        assert F.rfft(x).shape == (5,)
    assert F.fft(x.detach()).dtype == gn.complex64
    with pytest.raises(gn.GlassnetTypeError, match="does not differentiate through them"):
        gn.zeros(2, dtype=gn.complex64).requires_grad_(True)


def test_bad_arguments_name_the_transform():
    x = gn.ones(4)
    with pytest.raises(gn.GlassnetValueError, match="fft.fft: norm must be"):
        F.fft(x, norm="unitary")
    with pytest.raises(gn.GlassnetValueError, match="fft.ifft: .*0"):
        F.ifft(x, n=0)
    with pytest.raises(gn.GlassnetTypeError, match="unsupported dtype float16"):
        F.fft(gn.ones(4, dtype=gn.float16))
    with pytest.raises(gn.GlassnetValueError, match="fft.fftfreq: n must be"):
        F.fftfreq(-1)
