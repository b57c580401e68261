"""gn.stft / gn.istft (and the Tensor methods) against torch.stft / torch.istft: frame sizes,
windows, centring and its pad modes, normalisation, one- and two-sided spectra, batched,
1-D and complex signals, the view_as_real layout; istft's reconstruction, ``length`` and
NOLA check; and the errors, which name the op, what it got and what fits."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch's rectangular-window advice

SIZES = [(8, None, None), (16, 4, 12), (15, 3, 7), (16, 5, 16), (7, 2, None)]  # n_fft, hop, win_length
WINDOWS = ["rect", "hann", "hamming", "blackman", "kaiser"]


def _signal(shape, complex_=False, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return (x + 1j * rng.standard_normal(shape)) if complex_ else x.astype(dtype)


def _windows(name, length, dtype="float64"):
    """The same window from both libraries (``None`` for the default rectangle)."""
    if name == "rect":
        return None, None
    return (getattr(gn, f"{name}_window")(length, dtype=getattr(gn, dtype)),
            getattr(torch, f"{name}_window")(length, dtype=getattr(torch, dtype)))


def _close(ours, theirs, tol=1e-10):
    theirs = theirs.numpy()
    assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=tol, atol=tol)


@pytest.mark.parametrize(("n_fft", "hop", "win"), SIZES)
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("shape", [(50,), (3, 50)])
def test_stft_matches_torch_over_sizes_and_windows(n_fft, hop, win, window, shape):
    x = _signal(shape)
    ours_w, torch_w = _windows(window, win or n_fft)
    kw = {"hop_length": hop, "win_length": win, "return_complex": True}
    _close(gn.stft(gn.tensor(x), n_fft, window=ours_w, **kw),
           torch.stft(torch.tensor(x), n_fft, window=torch_w, **kw))


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("pad_mode", ["reflect", "constant", "replicate", "circular"])
@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("onesided", [None, False])
def test_stft_center_pad_modes_normalized_onesided(center, pad_mode, normalized, onesided):
    x = _signal((2, 41), seed=1)
    ours_w, torch_w = _windows("hann", 12)
    kw = {"hop_length": 3, "win_length": 12, "center": center, "pad_mode": pad_mode, "normalized": normalized,
          "onesided": onesided, "return_complex": True}
    _close(gn.stft(gn.tensor(x), 16, window=ours_w, **kw),
           torch.stft(torch.tensor(x), 16, window=torch_w, **kw))


@pytest.mark.parametrize("shape", [(40,), (2, 40)])
def test_stft_of_a_complex_signal_is_two_sided(shape):
    x = _signal(shape, complex_=True, seed=2)
    ours_w, torch_w = _windows("hann", 10)
    ours = gn.stft(gn.tensor(x), 10, 3, window=ours_w)  # complex: return_complex defaults to True
    theirs = torch.stft(torch.tensor(x), 10, 3, window=torch_w)
    assert ours.shape[-2] == 10
    _close(ours, theirs)
    _close(gn.stft(gn.tensor(x), 10, 3, window=ours_w, return_complex=False),
           torch.stft(torch.tensor(x), 10, 3, window=torch_w, return_complex=False))


def test_stft_return_complex_false_is_the_view_as_real_layout_and_float32():
    x = _signal((2, 64), seed=3, dtype=np.float32)
    ours_w, torch_w = _windows("hann", 16, "float32")
    ours = gn.stft(gn.tensor(x), 16, 4, window=ours_w, return_complex=False)
    theirs = torch.stft(torch.tensor(x), 16, 4, window=torch_w, return_complex=False)
    assert tuple(ours.shape) == (2, 9, 17, 2)
    _close(ours, theirs, tol=1e-4)
    _close(gn.tensor(x).stft(16, 4, window=ours_w, return_complex=True),
           torch.tensor(x).stft(16, 4, window=torch_w, return_complex=True), tol=1e-4)


@pytest.mark.parametrize("center", [False])
@pytest.mark.parametrize(("n_fft", "hop", "win"), [(8, 3, 4), (15, 3, 7), (16, 4, 16)])
def test_stft_align_to_window(center, n_fft, hop, win):
    x = _signal(37, seed=4)
    ours_w, torch_w = _windows("hann", win)
    kw = {"hop_length": hop, "win_length": win, "center": center, "align_to_window": True,
          "return_complex": True}
    _close(gn.stft(gn.tensor(x), n_fft, window=ours_w, **kw),
           torch.stft(torch.tensor(x), n_fft, window=torch_w, **kw))


@pytest.mark.parametrize(("n_fft", "hop", "win"), [(8, 2, None), (16, 4, 12), (15, 3, 7), (12, 6, None)])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("onesided", [None, False])
@pytest.mark.parametrize("length", [None, 50, 44, 58])
def test_istft_matches_torch(n_fft, hop, win, center, normalized, onesided, length):
    x = _signal((3, 50), seed=5)
    ours_w, torch_w = _windows("hann", win or n_fft)
    ours_w, torch_w = ours_w + 0.1, torch_w + 0.1  # nowhere zero: every hop and centring keeps NOLA
    kw = {"hop_length": hop, "win_length": win, "center": center, "normalized": normalized,
          "onesided": onesided}
    spectra = torch.stft(torch.tensor(x), n_fft, window=torch_w, return_complex=True, **kw)
    ours = lambda: gn.istft(gn.tensor(spectra.numpy()), n_fft, window=ours_w, length=length, **kw)  # noqa: E731
    try:
        theirs = torch.istft(spectra, n_fft, window=torch_w, length=length, **kw)
    except RuntimeError as exc:  # a window shorter than n_fft leaves zeros at an uncentred end
        assert "window overlap add min" in str(exc)
        with pytest.raises(gn.GlassnetValueError, match=r"NOLA violated"):
            ours()
        return
    _close(ours(), theirs)
    if onesided is False:
        _close(gn.istft(gn.tensor(spectra.numpy()), n_fft, window=ours_w, length=length, return_complex=True,
                        **kw),
               torch.istft(spectra, n_fft, window=torch_w, length=length, return_complex=True, **kw))


@pytest.mark.parametrize("shape", [(50,), (2, 50), (2, 51)])
@pytest.mark.parametrize("length", [None, "given"])
@pytest.mark.parametrize(("n_fft", "hop", "window"), [(16, 4, "hann"), (16, 8, "hann"), (8, 2, "rect"),
                                                      (20, 5, "hamming")])
def test_istft_of_stft_gives_the_signal_back(shape, length, n_fft, hop, window):
    x = _signal(shape, seed=6)
    w, _ = _windows(window, n_fft)
    spectra = gn.tensor(x).stft(n_fft, hop, window=w, return_complex=True)
    back = spectra.istft(n_fft, hop, window=w, length=None if length is None else shape[-1])
    expect = x if length else x[..., : back.shape[-1]]  # without length: the frames' span
    assert back.shape[-1] == (shape[-1] if length else (shape[-1] // hop) * hop)
    np.testing.assert_allclose(back.numpy(), expect, atol=1e-10)


def test_istft_of_a_complex_signal_with_return_complex():
    x = _signal(40, complex_=True, seed=7)
    w = gn.hann_window(12, dtype=gn.float64)
    back = gn.istft(gn.stft(gn.tensor(x), 12, 3, window=w), 12, 3, window=w, length=40, return_complex=True)
    np.testing.assert_allclose(back.numpy(), x, atol=1e-10)


def _raises(ours, theirs, match):
    with pytest.raises(RuntimeError):
        theirs()
    with pytest.raises(gn.GlassnetError, match=match):
        ours()


X = _signal(40)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hop_length": 0}, r"stft: expected hop_length > 0, got hop_length=0"),
    ({"win_length": 20}, r"stft: expected 0 < win_length <= n_fft, got win_length=20 with n_fft=16"),
    ({"window": "short"}, r"stft: expected a 1-D window of size win_length=16, got shape \(10,\)"),
    ({"n_fft": 64, "center": False}, r"stft: expected 0 < n_fft <= 40 \(the signal.s 40 points and 0 of "
                                      r"padding\), got n_fft=64"),
    ({"onesided": True, "input": "complex"}, r"stft: onesided=True needs a real input .* complex128"),
    ({"return_complex": None}, r"stft: return_complex must be given for a real input .* return_complex=True"),
])
def test_stft_errors(kwargs, match):
    kwargs = {"n_fft": 16, "return_complex": True, **kwargs}
    x = _signal(40, complex_=True) if kwargs.pop("input", None) else X
    ours_w, theirs_w = (gn.ones(10, dtype=gn.float64), torch.ones(10, dtype=torch.float64)) \
        if kwargs.pop("window", None) else (None, None)
    _raises(lambda: gn.stft(gn.tensor(x), window=ours_w, **kwargs),
            lambda: torch.stft(torch.tensor(x), window=theirs_w, **kwargs), match)


def test_stft_refuses_a_bad_pad_mode_a_short_signal_and_gradients():
    with pytest.raises(gn.GlassnetValueError, match=r"stft: pad_mode must be one of .* got 'mirror'"):
        gn.stft(gn.tensor(X), 16, return_complex=True, pad_mode="mirror")
    with pytest.raises(gn.GlassnetValueError, match=r"reflect' mode, which needs a signal of at least 9 "):
        gn.stft(gn.tensor(X[:8]), 16, return_complex=True)
    with pytest.raises(RuntimeError):
        torch.stft(torch.tensor(X[:8]), 16, return_complex=True)
    with pytest.raises(gn.GlassnetTypeError, match=r"stft: the input requires grad.*gn.no_grad"):
        gn.stft(gn.tensor(X, requires_grad=True), 16, return_complex=True)
    with pytest.raises(gn.GlassnetTypeError, match=r"stft: expected the input of float32.*got int64"):
        gn.stft(gn.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9]), 4, return_complex=True)


SPECTRA = torch.stft(torch.tensor(X), 16, 4, window=torch.ones(16, dtype=torch.float64), return_complex=True)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"window": "zeros"}, r"istft: the window envelope .* drops to 0 \(NOLA violated\) with n_fft=16"),
    ({"hop_length": 20}, r"istft: expected 0 < hop_length <= win_length, got hop_length=20 \(win_length=16"),
    ({"n_fft": 20}, r"istft: with n_fft=20 and onesided=True the frequency axis \(-2\) must have 11 rows, "
                    r"got shape \(9, 11\)"),
    ({"input": "real"}, r"istft: expected a complex input .* got float64 of shape \(9, 11, 2\)"),
    ({"return_complex": True}, r"istft: return_complex=True needs onesided=False"),
])
def test_istft_errors(kwargs, match):
    kwargs = {"n_fft": 16, **kwargs}
    spectra = torch.view_as_real(SPECTRA) if kwargs.pop("input", None) else SPECTRA
    ours_w, theirs_w = (gn.zeros(16, dtype=gn.float64), torch.zeros(16, dtype=torch.float64)) \
        if kwargs.pop("window", None) else (None, None)
    _raises(lambda: gn.istft(gn.tensor(spectra.numpy()), window=ours_w, **kwargs),
            lambda: torch.istft(spectra, window=theirs_w, **kwargs), match)


def test_istft_nola_violation_from_a_hop_longer_than_the_window_support():
    w, tw = gn.hann_window(8, dtype=gn.float64), torch.hann_window(8, dtype=torch.float64)
    spectra = torch.stft(torch.tensor(X), 16, 8, win_length=8, window=tw, return_complex=True)
    _raises(lambda: gn.istft(gn.tensor(spectra.numpy()), 16, 8, 8, window=w),
            lambda: torch.istft(spectra, 16, 8, 8, window=tw), r"the window envelope .* \(NOLA violated\)")


@pytest.mark.parametrize("pad_mode", ["reflect", "constant", "replicate", "circular"])
@pytest.mark.parametrize("onesided", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stft_magnitudes_train_with_torchs_gradients(pad_mode, onesided, dtype):
    x = _signal((2, 30), seed=8, dtype=getattr(np, dtype))
    ours_w, torch_w = _windows("hann", 6, dtype)
    kw = {"hop_length": 3, "win_length": 6, "pad_mode": pad_mode, "onesided": onesided, "normalized": True}
    ours_x, torch_x = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = ours_x.stft(8, window=ours_w, return_complex=False, **kw)
    theirs = torch.view_as_real(torch_x.stft(8, window=torch_w, return_complex=True, **kw))
    (ours[..., 0] ** 2 + ours[..., 1] ** 2).sqrt().sum().backward()
    theirs.pow(2).sum(-1).sqrt().sum().backward()
    tol = 1e-10 if dtype == "float64" else 1e-4
    _close(ours.detach(), theirs.detach(), tol)
    _close(ours_x.grad, torch_x.grad, tol)


def test_stft_refuses_a_window_that_requires_grad():
    w = gn.hann_window(8, dtype=gn.float64, requires_grad=True)
    with pytest.raises(gn.GlassnetTypeError, match=r"stft: the window requires grad, .* return_complex"):
        gn.stft(gn.tensor(X), 8, window=w, return_complex=False)
