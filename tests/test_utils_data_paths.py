"""``torch.utils.data``'s submodule paths under ``glassnet.utils.data`` (dataloader, dataset,
sampler, distributed) give glassnet.data's objects; ChainDataset and StackDataset behave as
PyTorch's; random_split takes PyTorch's ``generator=``."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.data as gd

SUBMODULES = ["dataloader", "dataset", "sampler", "distributed"]


@pytest.mark.parametrize("name", SUBMODULES)
def test_submodules_reexport_the_data_objects_under_torchs_names(name):
    pytest.importorskip("torch")
    ours = importlib.import_module(f"glassnet.utils.data.{name}")
    theirs = importlib.import_module(f"torch.utils.data.{name}")
    assert ours.__all__
    for attr in ours.__all__:
        assert getattr(ours, attr) is getattr(gd, attr), attr
        assert hasattr(theirs, attr), f"torch.utils.data.{name} has no {attr}"


def test_from_import_of_a_submodule_in_a_fresh_process():
    code = ("from glassnet.utils.data import dataloader, sampler; "
            "from glassnet.utils.data.dataset import random_split, TensorDataset; "
            "from glassnet.utils.data.distributed import DistributedSampler; "
            "print(dataloader.default_collate.__module__, sampler.WeightedRandomSampler.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["glassnet.data._collate", "WeightedRandomSampler"]


class _Count(gd.IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_chain_dataset_streams_one_after_another_as_pytorch():
    torch = pytest.importorskip("torch")

    class TorchCount(torch.utils.data.IterableDataset):
        def __init__(self, start, stop):
            self.start, self.stop = start, stop

        def __iter__(self):
            return iter(range(self.start, self.stop))

        def __len__(self):
            return self.stop - self.start

    ours = gd.ChainDataset([_Count(0, 3), _Count(10, 12)])
    theirs = torch.utils.data.ChainDataset([TorchCount(0, 3), TorchCount(10, 12)])
    assert list(ours) == list(theirs) == [0, 1, 2, 10, 11]
    assert len(ours) == len(theirs) == 5
    assert list(_Count(0, 2) + _Count(5, 6)) == list(TorchCount(0, 2) + TorchCount(5, 6)) == [0, 1, 5]
    batches = [b.tolist() for b in gd.DataLoader(ours, batch_size=2)]
    assert batches == [[0, 1], [2, 10], [11]]
    with pytest.raises(gn.GlassnetTypeError, match="ChainDataset only supports IterableDataset"):
        list(gd.ChainDataset([[1, 2]]))


def test_stack_dataset_gives_tuples_or_dicts_as_pytorch():
    torch = pytest.importorskip("torch")
    x, y = np.arange(6.0).reshape(3, 2), np.array([0, 1, 0])
    ours = gd.StackDataset(gd.TensorDataset(x), list(y))
    theirs = torch.utils.data.StackDataset(torch.utils.data.TensorDataset(torch.tensor(x)), list(y))
    assert len(ours) == len(theirs) == 3
    (features,), label = ours[1]
    ((features_t,), label_t) = theirs[1]
    np.testing.assert_array_equal(features.numpy(), features_t.numpy())
    assert label == label_t == 1
    named = gd.StackDataset(image=list("abc"), label=[0, 1, 2])
    assert named[2] == torch.utils.data.StackDataset(image=list("abc"), label=[0, 1, 2])[2] == {"image": "c",
                                                                                                "label": 2}
    with pytest.raises(gn.GlassnetValueError, match="size mismatch"):
        gd.StackDataset([1, 2], [1])
    with pytest.raises(gn.GlassnetValueError, match="not both"):
        gd.StackDataset([1], label=[1])


def test_random_split_takes_a_generator():
    data = gd.TensorDataset(np.arange(10.0))
    first = gd.random_split(data, [0.7, 0.3], generator=gn.Generator().manual_seed(42))
    again = gd.random_split(data, [0.7, 0.3], generator=gn.Generator().manual_seed(42))
    assert [len(part) for part in first] == [7, 3]
    assert list(first[1].indices) == list(again[1].indices)
    assert sorted([*first[0].indices, *first[1].indices]) == list(range(10))
    with pytest.raises(gn.GlassnetValueError, match="seed or generator, not both"):
        gd.random_split(data, [5, 5], seed=1, generator=gn.Generator())
