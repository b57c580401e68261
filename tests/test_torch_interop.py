"""PyTorch interoperability through files: a torch state_dict saved with
``safetensors.torch.save_file`` loads into the equivalent glassnet model and gives the
same outputs, and a file from ``gn.save`` loads into the equivalent torch model."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import io, nn
from glassnet.models import MLP
from module_registry import MODULES

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

WITH_TORCH = [m for m in MODULES if m.torch_build and any(True for _ in m.build().parameters())]


def _input(spec):
    return np.random.default_rng(0).standard_normal((3, *spec.input_shape)).astype(np.float32)


def _outputs(glassnet_model, torch_model, x):
    glassnet_model.eval()
    torch_model.eval()
    with torch.no_grad():
        expected = torch_model(torch.tensor(x)).numpy()
    return glassnet_model(gn.tensor(x)).numpy(), expected


@pytest.mark.parametrize("spec", WITH_TORCH, ids=lambda m: m.name)
def test_torch_file_loads_into_glassnet(spec, tmp_path):
    torch.manual_seed(0)
    reference = spec.torch_build(torch)
    st_torch.save_file({k: v.contiguous() for k, v in reference.state_dict().items()},
                       str(tmp_path / "torch.safetensors"))
    model = spec.build()
    io.load_into(model, tmp_path / "torch.safetensors")
    ours, theirs = _outputs(model, reference, _input(spec))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("spec", WITH_TORCH, ids=lambda m: m.name)
def test_glassnet_file_loads_into_torch(spec, tmp_path):
    gn.manual_seed(0)
    model = spec.build()
    gn.save(model, tmp_path / "gn.safetensors")
    reference = spec.torch_build(torch)
    reference.load_state_dict(st_torch.load_file(str(tmp_path / "gn.safetensors")))
    ours, theirs = _outputs(model, reference, _input(spec))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


class _TorchNet(torch.nn.Module):
    """A PyTorch model with its own names: fc1, fc2 (glassnet's MLP says 1, 3)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(6, 5), torch.nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_key_map_bridges_different_names_both_ways(tmp_path):
    torch.manual_seed(0)
    net = _TorchNet()
    st_torch.save_file(net.state_dict(), str(tmp_path / "t.safetensors"))
    model = MLP(6, (5,), 3)
    with pytest.raises(gn.GlassnetError, match="missing keys.*1.weight.*unexpected keys.*fc1"):
        io.load_into(model, tmp_path / "t.safetensors")
    names = {"fc1.weight": "1.weight", "fc1.bias": "1.bias", "fc2.weight": "3.weight",
             "fc2.bias": "3.bias"}
    io.load_into(model, tmp_path / "t.safetensors", key_map=names)
    ours, theirs = _outputs(model, net, _input(type("S", (), {"input_shape": (6,)})))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # and back: rename glassnet's keys to the torch model's
    back = {v: k for k, v in names.items()}
    gn.save({back[k]: v for k, v in model.state_dict().items()}, tmp_path / "g.safetensors")
    net2 = _TorchNet()
    net2.load_state_dict(st_torch.load_file(str(tmp_path / "g.safetensors")))
    for key, value in net.state_dict().items():
        assert torch.equal(net2.state_dict()[key], value)


def test_architecture_mismatch_is_a_clear_error(tmp_path):
    reference = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 8), torch.nn.ReLU(),
                                    torch.nn.Linear(8, 3))
    st_torch.save_file(reference.state_dict(), str(tmp_path / "t.safetensors"))
    with pytest.raises(gn.GlassnetError) as info:
        io.load_into(MLP(6, (5,), 3), tmp_path / "t.safetensors")
    message = str(info.value)
    assert "t.safetensors" in message
    assert "1.weight: checkpoint (8, 6) vs model (5, 6)" in message
    assert "3.weight: checkpoint (3, 8) vs model (3, 5)" in message


def test_float64_torch_weights_load_into_a_float64_model(tmp_path):
    reference = torch.nn.Linear(4, 2).double()
    st_torch.save_file(reference.state_dict(), str(tmp_path / "t.safetensors"))
    assert io.load_metadata(tmp_path / "t.safetensors").get("format") is None  # no glassnet header
    model = nn.Linear(4, 2).double()
    io.load_into(model, tmp_path / "t.safetensors")
    x = np.random.default_rng(1).standard_normal((3, 4))
    with torch.no_grad():
        expected = reference(torch.tensor(x)).numpy()
    np.testing.assert_allclose(model(gn.tensor(x)).numpy(), expected, rtol=1e-12)
