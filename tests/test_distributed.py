"""glassnet.distributed, DistributedDataParallel and DistributedSampler.

Single-process tests run everywhere (a world of one process needs no MPI). The MPI tests
start ``mpiexec -n 2 python tests/mpi_programs.py SCENARIO`` and compare what the ranks
wrote with one process; they skip when mpiexec or mpi4py is missing
(``pip install "glassnet[mpi]"``).
"""

import copy
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.distributed as dist
from glassnet.data import DistributedSampler
from glassnet.data._distributed_sampler import shard_indices
from glassnet.nn.parallel import DataParallel, DistributedDataParallel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mpi_programs as mp  # noqa: E402

MPI_MISSING = next((why for why, missing in (
    ("mpi4py is not installed (pip install 'glassnet[mpi]')", importlib.util.find_spec("mpi4py") is None),
    ("no mpiexec on PATH (pip install mpich)", shutil.which("mpiexec") is None)) if missing), None)
needs_mpi = pytest.mark.skipif(MPI_MISSING is not None, reason=f"MPI tests skipped: {MPI_MISSING}")


@pytest.fixture
def world():
    dist.init_process_group()
    yield
    dist.destroy_process_group()


def run_mpi(scenario, out, timeout=180, env=None):
    command = ["mpiexec", "-n", "2", sys.executable, os.path.join(HERE, "mpi_programs.py"),
               scenario, str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def ran(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


# -- a world of one process -------------------------------------------------------------------------

def test_single_process_is_a_world_of_one(world):
    assert dist.is_initialized() and (dist.get_rank(), dist.get_world_size()) == (0, 1)
    t = gn.tensor([1.5, -2.0], dtype="float64")
    for op in dist.ReduceOp:
        dist.all_reduce(t, op)
    dist.broadcast(t, src=0)
    out = [gn.zeros(2, dtype="float64")]
    dist.all_gather(out, t)
    dist.barrier()
    assert t.data.tolist() == [1.5, -2.0] and out[0].data.tolist() == [1.5, -2.0]
    assert dist.all_reduce(t, async_op=True).wait() is True


def test_group_lifecycle_errors():
    assert not dist.is_initialized()
    with pytest.raises(gn.GlassnetError, match="get_rank: the process group is not initialised"):
        dist.get_rank()
    with pytest.raises(gn.GlassnetValueError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    with pytest.raises(gn.GlassnetValueError, match="timeout must be a positive number"):
        dist.init_process_group(timeout=0)
    dist.init_process_group()
    try:
        with pytest.raises(gn.GlassnetError, match="already initialised"):
            dist.init_process_group()
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_collective_argument_errors(world):
    with pytest.raises(gn.GlassnetTypeError, match="op must be a ReduceOp"):
        dist.all_reduce(gn.ones(2), "sum")
    with pytest.raises(gn.GlassnetTypeError, match="AVG needs a floating tensor, got int64"):
        dist.all_reduce(gn.tensor([1, 2]), dist.ReduceOp.AVG)
    with pytest.raises(gn.GlassnetValueError, match=r"src must be a rank 0 … 0, got 1"):
        dist.broadcast(gn.ones(2), src=1)
    with pytest.raises(gn.GlassnetValueError, match="list of world_size = 1 tensors, got 2"):
        dist.all_gather([gn.ones(2), gn.ones(2)], gn.ones(2))
    with pytest.raises(gn.GlassnetValueError, match=r"tensor_list\[0\] has shape \(3,\)"):
        dist.all_gather([gn.ones(3)], gn.ones(2))
    with pytest.raises(gn.GlassnetTypeError, match="expected a glassnet Tensor, got ndarray"):
        dist.all_reduce(np.ones(2))


def test_ddp_in_a_world_of_one_equals_the_plain_model(world):
    model = mp.make_model(0)
    plain = copy.deepcopy(model)
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-4)  # several buckets
    assert len(ddp._reducer.buckets) > 1
    X, y = mp.make_data(1)
    x, t = gn.tensor(X[:8]), gn.tensor(y[:8])
    loss_fn = gn.nn.CrossEntropyLoss()
    for _ in range(2):  # a second backward accumulates, as without the wrapper
        loss_fn(ddp(x), t).backward()
        loss_fn(plain(x), t).backward()
    with ddp.no_sync():
        loss_fn(ddp(x), t).backward()
    loss_fn(plain(x), t).backward()
    loss_fn(ddp(x), t).backward()
    loss_fn(plain(x), t).backward()
    for p, q in zip(model.parameters(), plain.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.data, q.grad.data, rtol=0, atol=1e-15)


def test_ddp_state_dict_has_the_module_prefix(world):
    ddp = DistributedDataParallel(gn.nn.Linear(3, 2))
    assert sorted(ddp.state_dict()) == ["module.bias", "module.weight"]
    assert sorted(ddp.state_dict()) == sorted(DataParallel(gn.nn.Linear(3, 2)).state_dict())
    ddp.load_state_dict({"module.weight": np.zeros((2, 3)), "module.bias": np.ones(2)})
    assert ddp.module.bias.data.tolist() == [1.0, 1.0]


def test_ddp_buckets_pack_parameters_in_backward_order(world):
    model = gn.nn.Sequential(gn.nn.Linear(100, 100), gn.nn.Linear(100, 10)).double()  # 80800 + 8080 bytes
    buckets = DistributedDataParallel(model, bucket_cap_mb=0.05)._reducer.buckets  # 52428 bytes
    shapes = [[tuple(p.shape) for p in b.params] for b in buckets]
    assert shapes == [[(10,), (10, 100), (100,)], [(100, 100)]]
    assert [b.flat.size for b in buckets] == [1110, 10000]


def test_ddp_errors(world):
    with pytest.raises(gn.GlassnetTypeError, match="expected an nn.Module to wrap, got Tensor"):
        DistributedDataParallel(gn.ones(2))
    with pytest.raises(gn.GlassnetValueError, match="bucket_cap_mb must be a positive number, got 0"):
        DistributedDataParallel(gn.nn.Linear(2, 2), bucket_cap_mb=0)
    with pytest.raises(gn.GlassnetTypeError, match="device_ids=\\[0\\] names a GPU"):
        DistributedDataParallel(gn.nn.Linear(2, 2), device_ids=[0])
    ddp = DistributedDataParallel(_HalfUsed())
    ddp(gn.ones(1, 2)).sum().backward()
    with pytest.raises(gn.GlassnetError, match=r"gradients to 2 of 4 parameters.*\[\(3,\), \(3, 2\)\]"):
        ddp(gn.ones(1, 2))


class _HalfUsed(gn.nn.Module):
    """Two layers, only the first used: the second never gets a gradient."""

    def __init__(self):
        super().__init__()
        self.used, self.unused = gn.nn.Linear(2, 2), gn.nn.Linear(2, 3)

    def forward(self, x):
        return self.used(x)


def test_ddp_backward_without_the_wrapper_is_an_error(world):
    ddp = DistributedDataParallel(gn.nn.Linear(2, 2))
    with pytest.raises(gn.GlassnetError, match=r"call the wrapper \(ddp\(x\)\), not ddp.module"):
        ddp.module(gn.ones(1, 2)).sum().backward()


def test_ddp_needs_a_process_group():
    with pytest.raises(gn.GlassnetError, match="DistributedDataParallel: the process group is not init"):
        DistributedDataParallel(gn.nn.Linear(2, 2))


# -- SyncBatchNorm in one process ------------------------------------------------------------------

def _bn_run(layer, x, g):
    """Output, input gradient, parameter gradients and buffers after one training step."""
    x = gn.tensor(x, requires_grad=True)
    y = layer(x)
    (y * gn.tensor(g)).sum().backward()
    found = {"y": y.array, "dx": x.grad.array}
    if layer.weight is not None:
        found.update({"dw": layer.weight.grad.array, "db": layer.bias.grad.array})
    found.update({k: v.array for k, v in layer.state_dict().items()})
    return found


def _inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0.7, 1.5, size=shape), rng.normal(size=shape)


SYNC_CASES = [(gn.nn.BatchNorm1d, (6, 3), {}), (gn.nn.BatchNorm1d, (4, 3, 5), {"momentum": None}),
              (gn.nn.BatchNorm2d, (3, 3, 2, 4), {"affine": False}),
              (gn.nn.BatchNorm2d, (5, 3, 2, 2), {"track_running_stats": False})]


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize(("cls", "shape", "kwargs"), SYNC_CASES)
def test_sync_batchnorm_in_a_world_of_one_is_batchnorm(cls, shape, kwargs, grouped):
    x, g = _inputs(shape)
    if grouped:
        dist.init_process_group()
    try:
        sync, plain = gn.nn.SyncBatchNorm(3, **kwargs).double(), cls(3, **kwargs).double()
        for step in range(2):
            got, expected = _bn_run(sync, x * (step + 1), g), _bn_run(plain, x * (step + 1), g)
            assert got.keys() == expected.keys()
            for key, value in expected.items():
                np.testing.assert_array_equal(got[key], value, err_msg=key)
        sync.eval(), plain.eval()
        np.testing.assert_array_equal(sync(gn.tensor(x)).array, plain(gn.tensor(x)).array)
    finally:
        if grouped:
            dist.destroy_process_group()


@pytest.mark.parametrize(("cls", "shape", "kwargs"), SYNC_CASES)
def test_the_synchronised_op_in_a_world_of_one_equals_batchnorm(world, cls, shape, kwargs):
    """The all-gathered statistics and all-reduced gradient sums of a world of one."""
    from glassnet.nn._sync_batchnorm import sync_batch_norm

    x, g = _inputs(shape, seed=1)
    layer, plain = gn.nn.SyncBatchNorm(3, **kwargs).double(), cls(3, **kwargs).double()
    if layer.affine:
        for m in (layer, plain):
            m.weight.data = gn.tensor([0.5, -2.0, 1.5], dtype="float64")
            m.bias.data = gn.tensor([0.2, 0.0, -1.0], dtype="float64")
    expected = _bn_run(plain, x, g)
    xt = gn.tensor(x, requires_grad=True)
    y = sync_batch_norm(xt, layer.running_mean, layer.running_var, layer.weight, layer.bias,
                        1.0 if layer.momentum is None else layer.momentum, layer.eps)  # None: 1/1
    (y * gn.tensor(g)).sum().backward()
    got = {"y": y.array, "dx": xt.grad.array}
    if layer.affine:
        got.update({"dw": layer.weight.grad.array, "db": layer.bias.grad.array})
    for key in ("running_mean", "running_var"):
        if layer.track_running_stats:
            got[key] = getattr(layer, key).array
    for key, value in got.items():
        np.testing.assert_allclose(value, expected[key], rtol=0, atol=1e-12, err_msg=key)
    weight = None if layer.weight is None else layer.weight.detach().requires_grad_()
    assert gn.testing.gradcheck(lambda t, w: sync_batch_norm(t, None, None, w, None, 0.1, 1e-5),
                                [gn.tensor(x, requires_grad=True), weight])


@pytest.mark.parametrize(("momentum", "shape"), [(0.1, (6, 3)), (None, (4, 3, 5)), (0.3, (3, 3, 2, 4))])
def test_sync_batchnorm_alone_equals_torch(momentum, shape):
    torch = pytest.importorskip("torch")
    x, g = _inputs(shape, seed=2)
    ours = gn.nn.SyncBatchNorm(3, momentum=momentum).double()
    torch_cls = torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d
    for theirs in (torch_cls(3, momentum=momentum), torch.nn.SyncBatchNorm(3, momentum=momentum)):
        theirs.double()
        ours.reset_running_stats()
        for step in range(2):
            found = _bn_run(ours, x * (step + 1), g)
            xt = torch.tensor(x * (step + 1), requires_grad=True)
            y = theirs(xt)
            (y * torch.tensor(g)).sum().backward()
            expected = {"y": y, "dx": xt.grad, "running_mean": theirs.running_mean,
                        "running_var": theirs.running_var}
            for key, value in expected.items():
                np.testing.assert_allclose(found[key], value.detach().numpy(), rtol=0, atol=1e-12,
                                           err_msg=key)
            theirs.weight.grad = theirs.bias.grad = None
            ours.weight.grad = ours.bias.grad = None


def test_convert_sync_batchnorm_keeps_parameters_buffers_and_mode():
    model = gn.nn.Sequential(gn.nn.Conv2d(1, 3, 3), gn.nn.BatchNorm2d(3), gn.nn.ReLU(),
                             gn.nn.Sequential(gn.nn.Flatten(), gn.nn.Linear(12, 4), gn.nn.BatchNorm1d(4)))
    model.eval()
    bn, inner = model[1], model[3][2]
    keys = list(model.state_dict())
    converted = gn.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and list(converted.state_dict()) == keys
    assert type(model[1]) is type(model[3][2]) is gn.nn.SyncBatchNorm
    assert model[1].weight is bn.weight and model[3][2].running_var is inner.running_var
    assert not model[1].training and model[0] is not None
    single = gn.nn.SyncBatchNorm.convert_sync_batchnorm(gn.nn.BatchNorm1d(2, affine=False))
    assert isinstance(single, gn.nn.SyncBatchNorm) and single.weight is None
    assert repr(single) == "SyncBatchNorm(2, eps=1e-05, momentum=0.1, affine=False, track_running_stats=True)"


def test_sync_batchnorm_errors():
    with pytest.raises(gn.GlassnetValueError, match="only the default process group"):
        gn.nn.SyncBatchNorm(3, process_group=object())
    with pytest.raises(gn.ShapeError, match=r"SyncBatchNorm\(3\): expected input \(N, 3, \*\), got \(4, 2\)"):
        gn.nn.SyncBatchNorm(3)(gn.ones(4, 2))
    x = gn.ones(2, 3, 1, 1, 2)  # (N, C, D, H, W): statistics over N, D, H, W
    assert gn.nn.SyncBatchNorm(3)(x).shape == (2, 3, 1, 1, 2)


# -- DistributedSampler --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 10, 11, 17])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_pytorch(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert (list(ours), len(ours)) == (list(theirs), len(theirs))
        theirs = TorchSampler(range(n), replicas, rank, shuffle=True, seed=3, drop_last=drop_last)
        theirs.set_epoch(4)
        generator = torch.Generator()
        generator.manual_seed(7)  # PyTorch seeds its permutation with seed + epoch
        order = np.array(torch.randperm(n, generator=generator).tolist(), dtype=np.intp)
        assert shard_indices(order, replicas, rank, drop_last).tolist() == list(theirs)


def test_sampler_epochs_reshuffle_and_agree_across_ranks():
    shards = [DistributedSampler(range(9), 3, r, seed=1) for r in range(3)]
    first = [list(s) for s in shards]
    assert sorted(sum(first, [])) == list(range(9))
    for s in shards:
        s.set_epoch(1)
    second = [list(s) for s in shards]
    assert sorted(sum(second, [])) == list(range(9)) and second != first


def test_sampler_defaults_come_from_the_group(world):
    assert (DistributedSampler(range(5)).num_replicas, DistributedSampler(range(5)).rank) == (1, 0)
    loader = gn.data.DataLoader(gn.data.TensorDataset(np.arange(6.0)), batch_size=4,
                                sampler=DistributedSampler(range(6), shuffle=False))
    assert [b[0].data.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]]


def test_sampler_errors():
    with pytest.raises(gn.GlassnetError, match=r"DistributedSampler \(num_replicas=None\): the process"):
        DistributedSampler(range(4))
    with pytest.raises(gn.GlassnetValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(gn.GlassnetValueError, match="num_replicas must be an int ≥ 1, got 0"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(gn.GlassnetTypeError, match="epoch must be an int, got 1.5"):
        DistributedSampler(range(4), 1, 0).set_epoch(1.5)


# -- two ranks under mpiexec ----------------------------------------------------------------------------

def _parameters(key, found):
    return {k.split("/", 1)[1]: v for k, v in found.items()
            if k.startswith(key + "/") and "running" not in k and "num_batches" not in k}


@needs_mpi
def test_two_ranks_train_as_one_process_with_twice_the_batch(tmp_path):
    ran(run_mpi("train", tmp_path))
    ranks = [dict(np.load(tmp_path / f"train-rank{r}.npz")) for r in range(2)]
    for optimizer in ("sgd", "adam"):
        for key, kwargs in (("", {}), ("_buckets", {}), ("_accumulate", {"micro": 2}),
                            ("_batchnorm", {"batchnorm": True})):
            expected = mp.reference(optimizer, world=2, **kwargs)
            got0, got1 = (_parameters(optimizer + key, r) for r in ranks)
            start = mp.make_model(0, **{k: v for k, v in kwargs.items() if k == "batchnorm"}).state_dict()
            for name, value in got0.items():
                assert np.array_equal(value, got1[name]), (optimizer, key, name)  # ranks agree exactly
                np.testing.assert_allclose(value, expected[name], rtol=0, atol=1e-12, err_msg=optimizer + key)
            assert max(np.abs(v - start[k].array).max() for k, v in got0.items()) > 0.04  # training moved
    bn = [(r["sgd_batchnorm/1.running_mean"], r["sgd_batchnorm/1.num_batches_tracked"]) for r in ranks]
    assert bn[0][1] == bn[1][1] == mp.STEPS  # rank 0's buffers broadcast before each forward
    assert not np.allclose(bn[0][0], bn[1][0])  # then each rank's own batch statistics


@needs_mpi
def test_collectives_give_the_same_numbers_on_every_rank(tmp_path):
    ran(run_mpi("collectives", tmp_path))
    found = [json.loads((tmp_path / f"collectives-rank{r}.json").read_text()) for r in range(2)]
    assert found[0] == found[1]
    assert found[0] == {
        "SUM": [3.0, -3.0, 1.0], "AVG": [1.5, -1.5, 0.5], "MAX": [2.0, 0.0, 0.5],
        "MIN": [1.0, -3.0, 0.5], "PRODUCT": [2.0, 0.0, 0.25], "broadcast": [[2, 2], [2, 2]],
        "all_gather": [[0.0, 0.0, 0.0], [1.0, 10.0, -1.0]],
        "strided": [[0.0, 9.0], [3.0, 12.0], [6.0, 15.0]], "async": True}


@needs_mpi
def test_sampler_covers_every_sample_once_per_epoch(tmp_path):
    ran(run_mpi("sampler", tmp_path))
    found = [json.loads((tmp_path / f"sampler-rank{r}.json").read_text()) for r in range(2)]
    assert found[0] == found[1]
    for key, shards in found[0].items():
        n, drop_last, epoch = key.split("/")
        n, union = int(n), sorted(shards[0] + shards[1])
        if n % 2 == 0 or drop_last == "True":
            assert len(set(union)) == len(union) == 2 * (n // 2)  # disjoint, nothing repeated
        else:
            assert set(union) == set(range(n)) and len(union) == n + 1  # one sample padded
        assert len(shards[0]) == len(shards[1])
    assert found[0]["17/False/0"] != found[0]["17/False/1"]  # set_epoch reshuffles


@needs_mpi
def test_a_stalled_rank_makes_the_other_stop_with_a_clear_error(tmp_path):
    result = run_mpi("stall", tmp_path, timeout=60, env={"GLASSNET_TEST_TIMEOUT": "2"})
    assert result.returncode != 0
    assert ("DistributedTimeoutError: all_reduce(SUM) of shape (3,): rank 0 of 2 waited 2 s and the "
            "collective did not complete") in result.stderr
    assert "aborting every rank (MPI_Abort)" in result.stderr


@needs_mpi
def test_a_killed_rank_makes_the_other_exit_within_the_timeout(tmp_path):
    """mpiexec (Hydra) stops the job when a rank dies; where a launcher does not, the
    survivor's timeout stops it (the stalled-rank test above)."""
    result = run_mpi("kill", tmp_path, timeout=60, env={"GLASSNET_TEST_TIMEOUT": "30"})
    assert result.returncode != 0
    assert "Killed (signal 9)" in result.stdout + result.stderr


@needs_mpi
def test_fit_on_two_ranks_equals_one_process_and_resumes_in_one(tmp_path):
    ran(run_mpi("fit", tmp_path))
    found = [json.loads((tmp_path / f"fit-rank{r}.json").read_text()) for r in range(2)]
    expected_weights, expected_history = mp.fit_model(None, world=2, epochs=2)
    assert found[0] == found[1]  # metrics summed over both ranks' samples
    np.testing.assert_allclose(found[0]["loss"], expected_history["loss"], rtol=1e-12)
    assert found[0]["accuracy"] == expected_history["accuracy"]
    got = dict(np.load(tmp_path / "fit-rank0.npz"))
    for name, value in expected_weights.items():
        np.testing.assert_allclose(got[name], value, rtol=0, atol=1e-12)
    # rank 0 alone wrote one checkpoint per epoch; one process resumes them with batch 2·b
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "checkpoint-000001.safetensors", "checkpoint-000002.safetensors"]
    resumed, resumed_history = mp.fit_model(tmp_path / "checkpoints", world=2, epochs=3, resume=True)
    straight, straight_history = mp.fit_model(None, world=2, epochs=3)
    np.testing.assert_allclose(resumed_history["loss"], straight_history["loss"], rtol=1e-12)
    for name, value in straight.items():
        np.testing.assert_allclose(resumed[name], value, rtol=0, atol=1e-12)


@needs_mpi
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="finds the file being written in /proc")
def test_a_rank_killed_while_rank_0_writes_leaves_no_torn_checkpoint(tmp_path):
    result = run_mpi("torn", tmp_path, timeout=120)
    assert result.returncode != 0
    assert (tmp_path / "torn-writing").read_text() == "checkpoint-000002.safetensors"
    directory = tmp_path / "checkpoints"
    names = sorted(os.listdir(directory))
    assert names[0].startswith(".checkpoint-000002.safetensors.") and names[0].endswith(".tmp")
    assert names[1:] == ["checkpoint-000001.safetensors"]  # the old file, and no torn new one
    written = (directory / names[0]).stat().st_size
    assert 0 < written < (directory / names[1]).stat().st_size  # the write was cut short
    manager = gn.train.CheckpointManager(directory)
    path, checkpoint, damaged = manager.load_latest_intact()
    assert (os.path.basename(path), checkpoint.epoch, damaged) == ("checkpoint-000001.safetensors", 1, [])
    resumed, history = mp.fit_model(directory, world=2, epochs=3, resume=True)  # one process, batch 2·b
    straight, straight_history = mp.fit_model(None, world=2, epochs=3)
    np.testing.assert_allclose(history["loss"], straight_history["loss"], rtol=1e-12)
    for name, value in straight.items():
        np.testing.assert_allclose(resumed[name], value, rtol=0, atol=1e-12)
    assert not any(name.endswith(".tmp") for name in os.listdir(directory))  # resume cleaned up


@needs_mpi
def test_cli_trains_on_two_ranks_and_rank_0_writes(tmp_path):
    command = ["mpiexec", "-n", "2", sys.executable, "-m", "glassnet", "train", "--distributed",
               "--model", "mlp", "--dataset", "spiral", "--epochs", "2", "--batch-size", "16",
               "--out", str(tmp_path / "run")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    ran(result)
    assert result.stdout.count("world size      2") == 1 and "global batch    32" in result.stdout
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert (results["world_size"], results["global_batch_size"], results["epochs"]) == (2, 32, 2)


@needs_mpi
def test_als_on_two_ranks_equals_one_process(tmp_path):
    ran(run_mpi("als", tmp_path))
    ranks = [dict(np.load(tmp_path / f"als-rank{r}.npz")) for r in range(2)]
    for name, model in mp.als_models().items():
        model.fit(mp.als_ratings())
        expected = {**model._arrays(), "history": np.array(model.history_)}
        for key, value in expected.items():
            got0, got1 = ranks[0][f"{name}/{key}"], ranks[1][f"{name}/{key}"]
            np.testing.assert_array_equal(got0, got1)  # every rank holds all the factors
            np.testing.assert_allclose(got0, value, rtol=1e-12 if key == "history" else 0, atol=1e-10,
                                       err_msg=f"{name}/{key}")
        assert len(expected["history"]) > 1 or model.tol == 0  # early stopping's loss gathered too
    for r in range(2):
        assert "ALS.fit: the ranks hold different ratings" in str(ranks[r]["mismatch"])


@needs_mpi
def test_recommend_cli_shards_als_over_two_ranks_and_rank_0_writes(tmp_path, capsys):
    from glassnet import recommend as rec
    from glassnet.cli import main

    options = ["--users", "150", "--items", "90", "--rank", "6", "--iterations", "4"]
    result = subprocess.run(["mpiexec", "-n", "2", sys.executable, "-m", "glassnet", "recommend", "fit",
                             "--distributed", *options, "--out", str(tmp_path / "two")],
                            capture_output=True, text=True, timeout=300)
    ran(result)
    assert result.stdout.count("world size 2") == 1 and result.stdout.count("wrote ") == 1
    assert json.loads((tmp_path / "two" / "results.json").read_text())["world_size"] == 2
    assert main(["recommend", "fit", *options, "--out", str(tmp_path / "one")]) == 0
    capsys.readouterr()
    two, one = (rec.load(tmp_path / d / "model.safetensors") for d in ("two", "one"))
    for key, value in one._arrays().items():  # float32: the same numbers up to rounding
        np.testing.assert_allclose(two._arrays()[key], value, rtol=0, atol=1e-5, err_msg=key)
    assert np.abs(one.item_factors_).max() > 0.1


@needs_mpi
def test_sync_batchnorm_on_two_ranks_equals_batchnorm_on_the_whole_batch(tmp_path):
    ran(run_mpi("syncbn", tmp_path))
    ranks = [dict(np.load(tmp_path / f"syncbn-rank{r}.npz")) for r in range(2)]
    X, G = mp.sync_batchnorm_data()
    whole = mp.sync_batchnorm_layer()  # SyncBatchNorm without a group: BatchNorm2d
    found = {}
    for step in range(2):
        x = gn.tensor(X * (step + 1), requires_grad=True)
        y = whole(x)
        (y * gn.tensor(G)).sum().backward()
        found[f"step{step}/y"], found[f"step{step}/dx"] = y.array, x.grad.array
    whole.eval()
    found["eval/y"] = whole(gn.tensor(X)).array
    bounds = np.cumsum((0,) + mp.SYNC_BATCHES)
    for key, value in found.items():  # each rank holds its own samples' rows
        for r in range(2):
            np.testing.assert_allclose(ranks[r][key], value[bounds[r]:bounds[r + 1]], rtol=0, atol=1e-12,
                                       err_msg=key)
    alone = mp.sync_batchnorm_layer()(gn.tensor(X[:bounds[1]])).array  # rank 0's batch statistics
    assert np.abs(alone - ranks[0]["step0/y"]).max() > 0.1
    for key, value in whole.state_dict().items():  # running statistics of the whole batch
        for r in range(2):
            np.testing.assert_allclose(ranks[r][f"layer/{key}"], value.array, rtol=0, atol=1e-12, err_msg=key)
    for name in ("weight", "bias"):  # each rank's own share of Σ dy·x̂ and Σ dy
        total = ranks[0][f"layer/{name}.grad"] + ranks[1][f"layer/{name}.grad"]
        np.testing.assert_allclose(total, getattr(whole, name).grad.array, rtol=0, atol=1e-12)
        assert not np.allclose(ranks[0][f"layer/{name}.grad"], ranks[1][f"layer/{name}.grad"])
    for optimizer in ("sgd", "adam"):  # DDP + SyncBatchNorm: one process with the 2b batch
        expected = mp.reference(optimizer, world=2, batchnorm=True, sync=True)
        for name, value in expected.items():
            got0, got1 = ranks[0][f"ddp_{optimizer}/{name}"], ranks[1][f"ddp_{optimizer}/{name}"]
            np.testing.assert_array_equal(got0, got1, err_msg=name)
            np.testing.assert_allclose(got0, value, rtol=0, atol=1e-12, err_msg=f"{optimizer} {name}")


# -- docs/distributed.md ------------------------------------------------------------------------------

def _page_script(tmp_path):
    from docs_pages import DOCS

    page = DOCS / "distributed.md"
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)
    script = tmp_path / "distributed_page.py"
    script.write_text("\n".join(blocks), encoding="utf-8")
    return page, script


def _page_outputs(page):
    """The page's shown outputs: the plain ``` block after each printing Python block."""
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", page.read_text(encoding="utf-8"), re.S | re.M)
    return [text for language, text in blocks if language == ""]


def test_the_distributed_page_runs_in_a_world_of_one(tmp_path, monkeypatch, capsys):
    from docs_pages import DOCS, run_python_blocks

    monkeypatch.chdir(tmp_path)
    run_python_blocks(DOCS / "distributed.md", at_least=3)
    out = capsys.readouterr().out
    assert out == "".join(_page_outputs(DOCS / "distributed.md"))
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "als.safetensors").is_file()
    assert not dist.is_initialized()


@needs_mpi
def test_the_distributed_page_runs_on_two_ranks(tmp_path):
    page, script = _page_script(tmp_path)
    result = subprocess.run(["mpiexec", "-n", "2", "-outfile-pattern", str(tmp_path / "out-%r.txt"),
                             sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path)  # one file per rank: the ranks' lines would interleave
    ran(result)
    for rank in range(2):  # every rank prints what the page shows
        assert (tmp_path / f"out-{rank}.txt").read_text() == "".join(_page_outputs(page))
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "als.safetensors").is_file()
