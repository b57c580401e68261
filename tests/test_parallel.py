"""nn.DataParallel behaves as PyTorch's does on a machine without GPUs."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def test_data_parallel_calls_the_module_and_prefixes_the_state_dict():
    gn.manual_seed(0)
    inner = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model = nn.DataParallel(inner)
    x = gn.randn(5, 3)
    np.testing.assert_array_equal(model(x).numpy(), inner(x).numpy())
    assert sorted(model.state_dict()) == ["module.0.bias", "module.0.weight", "module.2.bias",
                                          "module.2.weight"]
    model(x).sum().backward()
    assert all(p.grad is not None for p in inner.parameters())


def test_data_parallel_refuses_a_gpu_device_naming_the_way_out():
    with pytest.raises(gn.GlassnetTypeError, match="device_ids=\\[0, 1\\] names a GPU.*MPI"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=[0, 1])
    with pytest.raises(gn.GlassnetTypeError, match="expected an nn.Module"):
        nn.DataParallel(lambda x: x)
