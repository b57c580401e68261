"""Devices as PyTorch programs use them: ``gn.device``, ``Tensor.device``, ``.to(...)``,
``gn.cuda`` / ``gn.accelerator`` / ``gn.backends`` answering truthfully, the default device,
and ``"cuda"`` on a machine without a GPU failing with an error that says how to get one."""

import pickle

import numpy as np
import pytest

import glassnet as gn
from glassnet import _device

HAS_GPU = gn.cuda.is_available()
no_gpu = pytest.mark.skipif(HAS_GPU, reason="this machine has a usable GPU")


@pytest.fixture(autouse=True)
def _default_device_restored():
    yield
    gn.set_default_device(None)


def test_a_device_reads_as_pytorchs_and_as_its_string():
    d = gn.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 1, "cuda:1", "device(type='cuda', index=1)")
    cpu = gn.device("cpu")
    assert (cpu.type, cpu.index, repr(cpu)) == ("cpu", None, "device(type='cpu')")
    assert cpu == "cpu" and cpu == gn.device("cpu") and gn.device("cuda") != gn.device("cuda:0")
    assert gn.device("cuda", 2) == "cuda:2" and gn.device(0) == "cuda:0" and gn.device(cpu) is cpu
    assert {cpu: 1}["cpu"] == 1 and pickle.loads(pickle.dumps(d)) == d


@pytest.mark.parametrize("bad, message", [("tpu", "unknown device type 'tpu'"),
                                          ("cuda:x", "not a device string"), (3.5, "expected a string")])
def test_a_bad_device_names_what_would_fit(bad, message):
    with pytest.raises(gn.GlassnetError, match=message):
        gn.device(bad)


def test_tensor_device_is_a_device_and_to_reads_every_form():
    x = gn.ones(2, 3)
    assert isinstance(x.device, gn.device) and x.device == "cpu" and x.device.type == "cpu"
    assert x.to("cpu") is x and x.to(gn.device("cpu")) is x and x.to(gn.float32) is x
    assert x.to(gn.float64).dtype == gn.float64
    assert x.to("cpu", gn.float64).dtype == gn.float64
    assert x.to(device="cpu", dtype=gn.int64).dtype == gn.int64
    assert x.to(gn.zeros(1, dtype=gn.float16)).dtype == gn.float16
    assert x.to("float64").dtype == gn.float64
    copied = x.to("cpu", copy=True)
    copied[0, 0] = 5.0
    assert x[0, 0].item() == 1.0
    with pytest.raises(gn.GlassnetValueError, match="to: unknown device 'tpu'"):
        x.to("tpu")


def test_to_a_device_keeps_the_gradient_path():
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    (w.to("cpu", gn.float64) * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


@no_gpu
def test_cuda_answers_truthfully_without_a_gpu():
    assert gn.cuda.is_available() is False and gn.cuda.device_count() == 0
    assert gn.accelerator.is_available() is False and gn.accelerator.current_accelerator() is None
    assert gn.accelerator.device_count() == 0 and gn.accelerator.current_device_index() == -1
    assert gn.backends.mps.is_available() is False and gn.backends.mps.is_built() is False
    assert gn.backends.cudnn.is_available() is False
    gn.cuda.manual_seed(0)
    gn.cuda.manual_seed_all(0)
    gn.cuda.empty_cache()


@no_gpu
@pytest.mark.parametrize("make", [lambda: gn.zeros(2, device="cuda"), lambda: gn.ones(2).cuda(),
                                  lambda: gn.ones(2).to("cuda:0"), lambda: gn.tensor([1.0], device="cuda"),
                                  lambda: gn.cuda.current_device(), lambda: gn.nn.Linear(2, 2).to("cuda")])
def test_cuda_without_a_gpu_fails_as_pytorch_does_and_says_how_to_get_one(make):
    with pytest.raises(RuntimeError, match=r"no CUDA GPU is available to glassnet.*glassnet\[gpu\]") as info:
        make()
    assert isinstance(info.value, gn.GlassnetError)


def test_mps_is_never_available():
    with pytest.raises(RuntimeError, match="'mps' is never available"):
        gn.ones(2).to("mps")


@no_gpu
def test_the_default_device_is_used_by_creation_and_a_missing_gpu_fails_there():
    assert gn.get_default_device() == "cpu"
    gn.set_default_device("cuda")
    assert gn.get_default_device() == gn.device("cuda")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        gn.zeros(2)
    gn.set_default_device("cpu")
    assert gn.zeros(2).device == "cpu"
    with gn.device("cuda"):
        assert gn.get_default_device().type == "cuda"
    assert gn.get_default_device() == "cpu"


def test_backend_switches_are_accepted():
    gn.backends.cudnn.benchmark = True
    gn.backends.cudnn.deterministic = True
    gn.backends.cuda.matmul.allow_tf32 = False
    assert gn.backends.cudnn.version() is None
    gn.backends.cudnn.benchmark = False
    gn.backends.cudnn.deterministic = False


def test_a_gpu_seen_by_cupy_makes_cuda_available(monkeypatch):
    """``is_available`` follows what CuPy reports (here a stand-in that sees two GPUs)."""
    monkeypatch.setattr(gn.cuda, "cupy_and_count", lambda: (object(), 2, None))
    assert gn.cuda.is_available() and gn.cuda.device_count() == 2
    assert gn.accelerator.current_accelerator() == gn.device("cuda")


def test_cupy_is_looked_for_once_and_only_when_asked(monkeypatch):
    calls = []
    _device.cupy_and_count.cache_clear()
    monkeypatch.setattr(_device.importlib, "import_module",
                        lambda name: calls.append(name) or (_ for _ in ()).throw(ImportError(name)))
    try:
        assert _device.cupy_and_count() == (None, 0, "CuPy is not installed")
        assert _device.cupy_and_count()[1] == 0
        assert calls == ["cupy"]
    finally:
        _device.cupy_and_count.cache_clear()
