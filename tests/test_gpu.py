"""GPU (CuPy) path: the same ops on device arrays. Skips cleanly without CuPy or a GPU."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn

cupy = pytest.importorskip("cupy", reason="CuPy not installed (pip install glassnet[gpu])")
try:
    HAS_GPU = cupy.cuda.runtime.getDeviceCount() > 0
except Exception:  # noqa: BLE001 - any CUDA runtime failure means no usable device
    HAS_GPU = False
pytestmark = pytest.mark.skipif(not HAS_GPU, reason="no CUDA device visible")


def test_tensor_round_trip_and_matmul_gradients_on_gpu():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.ones((3, 2), dtype=np.float32)
    ta = gn.tensor(a, requires_grad=True)
    tb = gn.tensor(b).to("cuda")
    assert tb.device.startswith("cuda")
    out = (ta.to("cuda") @ tb).relu().sum()
    out.backward()
    np.testing.assert_allclose(out.item(), (a @ b).sum())
    np.testing.assert_allclose(ta.grad.numpy(), np.ones((2, 2)) @ b.T)


def test_linear_model_trains_on_gpu():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to("cuda")
    x = gn.randn(16, 4).to("cuda")
    y = gn.tensor(np.arange(16) % 2).to("cuda")
    opt = gn.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(p.device.startswith("cuda") for p in model.parameters())


def test_ctc_loss_on_gpu_equals_the_cpu():
    logits = np.random.default_rng(0).standard_normal((6, 3, 4))
    targets, input_lengths, target_lengths = np.array([[1, 1], [2, 3], [3, 0]]), [6, 5, 1], [2, 2, 1]
    results = []
    for device in ("cpu", "cuda"):
        z = gn.tensor(logits, requires_grad=True)
        loss = gn.nn.functional.ctc_loss(z.to(device).log_softmax(2), gn.tensor(targets).to(device),
                                         input_lengths, target_lengths, zero_infinity=True)
        loss.backward()
        results.append((loss.item(), z.grad.numpy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-10)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-10, atol=1e-14)
