"""Programs that tests/test_distributed.py runs under ``mpiexec -n 2``, and the single-process
references they are compared with.

``python tests/mpi_programs.py SCENARIO OUT_DIR`` runs one scenario on every rank; each
rank writes what it found to ``OUT_DIR/<scenario>-rank<r>.npz`` (or ``.json``).
"""

import json
import os
import sys
import time

import numpy as np

import glassnet as gn
import glassnet.distributed as dist
from glassnet.nn.parallel import DistributedDataParallel

BATCH, STEPS, FEATURES, CLASSES = 4, 5, 6, 3  # per-rank batch b, optimizer steps k


def make_model(seed, batchnorm=False, sync=False):
    """``sync``: a SyncBatchNorm after a Linear without bias (a bias before batch norm gets
    a gradient of rounding noise only, which Adam's normalisation would amplify)."""
    gn.manual_seed(seed)
    layers = [gn.nn.Linear(FEATURES, 8, bias=not sync)]
    layers += [gn.nn.BatchNorm1d(8)] if batchnorm else []
    layers += [gn.nn.Tanh(), gn.nn.Linear(8, 5), gn.nn.ReLU(), gn.nn.Linear(5, CLASSES)]
    return gn.nn.Sequential(*layers).double()


def make_data(world, steps=STEPS, micro=1):
    """Features and labels for ``steps`` global batches of ``world × micro × BATCH`` samples."""
    rng = np.random.default_rng(7)
    n = steps * world * micro * BATCH
    return rng.normal(size=(n, FEATURES)), rng.integers(0, CLASSES, size=n)


def make_optimizer(name, params):
    if name == "sgd":
        return gn.optim.SGD(params, lr=0.1, momentum=0.9)
    return gn.optim.Adam(params, lr=0.01)


def rank_batch(X, y, step, rank, world, micro_step=0, micro=1):
    """Rank ``rank``'s slice of global batch ``step``: the global batch is the ranks'
    slices side by side, so one process reading it whole sees the same samples."""
    per_step = world * micro * BATCH
    start = step * per_step + (micro_step * world + rank) * BATCH
    return gn.tensor(X[start:start + BATCH]), gn.tensor(y[start:start + BATCH])


def weights(model):
    return {k: np.array(v.data) for k, v in model.state_dict().items()}


# -- scenarios (run on every rank) ------------------------------------------------------------------

def train_ddp(optimizer, bucket_cap_mb=25.0, micro=1, batchnorm=False, sync=False):
    """k steps of data-parallel training; rank 1 starts from other weights (rank 0's are
    broadcast at wrap time). ``micro`` > 1 accumulates micro-batches under ``no_sync``;
    ``sync`` converts the BatchNorm to SyncBatchNorm."""
    rank, world = dist.get_rank(), dist.get_world_size()
    model = make_model(seed=rank, batchnorm=batchnorm, sync=sync)  # different on purpose
    if sync:
        model = gn.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    opt = make_optimizer(optimizer, ddp.parameters())
    X, y = make_data(world, micro=micro)
    loss_fn = gn.nn.CrossEntropyLoss()
    for step in range(STEPS):
        opt.zero_grad()
        for m in range(micro):
            xb, yb = rank_batch(X, y, step, rank, world, m, micro)
            if m < micro - 1:
                with ddp.no_sync():
                    loss_fn(ddp(xb), yb).backward()
            else:
                loss_fn(ddp(xb), yb).backward()
        opt.step()
    return weights(model)


def reference(optimizer, world, micro=1, batchnorm=False, sync=False):
    """One process, the same global batches: world × b samples per step (per micro-step);
    with ``batchnorm`` and not ``sync``, the batch statistics of each rank's slice."""
    model = make_model(seed=0, batchnorm=batchnorm, sync=sync)
    opt = make_optimizer(optimizer, model.parameters())
    X, y = make_data(world, micro=micro)
    loss_fn = gn.nn.CrossEntropyLoss()
    for step in range(STEPS):
        opt.zero_grad()
        for m in range(micro):
            slices = [rank_batch(X, y, step, r, world, m, micro) for r in range(world)]
            if batchnorm and not sync:  # per-rank batch statistics: the mean of the ranks' losses
                loss = sum(loss_fn(model(xb), yb) for xb, yb in slices) * (1.0 / world)
            else:
                xb = gn.cat([s[0] for s in slices])
                yb = gn.cat([s[1] for s in slices])
                loss = loss_fn(model(xb), yb)
            loss.backward()
        opt.step()
    return weights(model)


def scenario_train(out):
    rank = dist.get_rank()
    results = {}
    for optimizer in ("sgd", "adam"):
        for key, kwargs in (("", {}), ("_buckets", {"bucket_cap_mb": 1e-4}), ("_accumulate", {"micro": 2}),
                            ("_batchnorm", {"batchnorm": True})):
            for name, value in train_ddp(optimizer, **kwargs).items():
                results[f"{optimizer}{key}/{name}"] = value
    np.savez(os.path.join(out, f"train-rank{rank}.npz"), **results)


def scenario_collectives(out):
    rank, world = dist.get_rank(), dist.get_world_size()
    found = {}
    for op in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
        t = gn.tensor([rank + 1.0, -3.0 * rank, 0.5], dtype="float64")
        dist.all_reduce(t, getattr(dist.ReduceOp, op))
        found[op] = t.data.tolist()
    t = gn.tensor([[rank + 1, 2 * rank]] * 2, dtype="int64")
    dist.broadcast(t, src=1)
    found["broadcast"] = t.data.tolist()
    gathered = [gn.zeros(3, dtype="float32") for _ in range(world)]
    dist.all_gather(gathered, gn.tensor([rank, 10 * rank, -rank], dtype="float32"))
    found["all_gather"] = [g.data.tolist() for g in gathered]
    t = gn.arange(6.0, dtype="float64").reshape(2, 3).T * (rank + 1)  # not contiguous
    dist.all_reduce(t)
    found["strided"] = t.data.tolist()
    work = dist.all_reduce(gn.ones(4, dtype="float64"), async_op=True)
    found["async"] = bool(work.wait())
    dist.barrier()
    with open(os.path.join(out, f"collectives-rank{rank}.json"), "w") as f:
        json.dump(found, f)


def scenario_sampler(out):
    rank, world = dist.get_rank(), dist.get_world_size()
    found = {}
    for n in (10, 11, 17):
        for drop_last in (False, True):
            for epoch in range(3):
                sampler = gn.data.DistributedSampler(range(n), drop_last=drop_last, seed=5)
                sampler.set_epoch(epoch)
                mine = gn.tensor(np.array(list(sampler), dtype=np.int64))
                everyone = [gn.zeros(len(sampler), dtype="int64") for _ in range(world)]
                dist.all_gather(everyone, mine)
                found[f"{n}/{drop_last}/{epoch}"] = [e.data.tolist() for e in everyone]
    with open(os.path.join(out, f"sampler-rank{rank}.json"), "w") as f:
        json.dump(found, f)


def scenario_stall(out):
    """Rank 1 never joins the all-reduce: rank 0 must stop with a timeout error."""
    if dist.get_rank() == 1:
        time.sleep(60)
    dist.all_reduce(gn.ones(3))


def scenario_kill(out):
    """Rank 1 dies (SIGKILL) in the middle of training; rank 0 must not wait forever."""
    rank = dist.get_rank()
    ddp = DistributedDataParallel(make_model(0))
    X, y = make_data(dist.get_world_size(), steps=50)
    for step in range(50):
        if rank == 1 and step == 3:
            os.kill(os.getpid(), 9)
        xb, yb = rank_batch(X, y, step, rank, dist.get_world_size())
        gn.nn.CrossEntropyLoss()(ddp(xb), yb).backward()


FIT_SAMPLES, FIT_BATCH = 40, 4


def fit_model(checkpoint_dir, world, epochs, seed=0, resume=False):
    """``fit`` with ``world × FIT_BATCH`` samples per step (sharded when ranks are several)."""
    model = make_model(seed)
    X, y = make_data(1, steps=FIT_SAMPLES // BATCH)
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), opt, epochs=epochs, shuffle=False,
                           batch_size=FIT_BATCH * world, checkpoint_dir=checkpoint_dir, resume=resume,
                           progress=False)
    return weights(model), {"loss": history["loss"], "accuracy": history["accuracy"]}


def scenario_fit(out):
    rank, world = dist.get_rank(), dist.get_world_size()
    model = make_model(seed=rank)  # rank 1 starts elsewhere: fit's wrapper broadcasts rank 0's
    X, y = make_data(1, steps=FIT_SAMPLES // BATCH)
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), opt, epochs=2, shuffle=False,
                           batch_size=FIT_BATCH, checkpoint_dir=os.path.join(out, "checkpoints"),
                           progress=False)
    np.savez(os.path.join(out, f"fit-rank{rank}.npz"), **weights(model))
    with open(os.path.join(out, f"fit-rank{rank}.json"), "w") as f:
        json.dump({"loss": history["loss"], "accuracy": history["accuracy"]}, f)
    assert world == 2


def _kill_rank_1_while_writing(target, pids, out):
    """Make rank 0's ``fsync`` of the temporary file of ``target`` (the last step before the
    atomic rename) cut that file to half its bytes, SIGKILL rank 1 and wait there, so the
    launcher kills rank 0 in the middle of writing ``target``."""
    fsync = os.fsync

    def fsync_then_die(fd):
        if f".{target}." in os.readlink(f"/proc/self/fd/{fd}"):
            os.ftruncate(fd, os.fstat(fd).st_size // 2)
            with open(os.path.join(out, "torn-writing"), "w") as f:
                f.write(target)
            os.kill(pids[1], 9)
            time.sleep(60)
        return fsync(fd)

    os.fsync = fsync_then_die


def scenario_torn(out):
    """Three epochs of fit with a checkpoint each; rank 1 is killed while rank 0 writes
    the second epoch's checkpoint (rank 0 is then stopped by the launcher)."""
    rank = dist.get_rank()
    pids = [gn.zeros(1, dtype="int64") for _ in range(2)]
    dist.all_gather(pids, gn.tensor([os.getpid()], dtype="int64"))
    if rank == 0:
        _kill_rank_1_while_writing("checkpoint-000002.safetensors", [int(p.item()) for p in pids], out)
    model = make_model(seed=0)
    X, y = make_data(1, steps=FIT_SAMPLES // BATCH)
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    gn.train.fit(model, (X, y), gn.nn.CrossEntropyLoss(), opt, epochs=3, shuffle=False,
                 batch_size=FIT_BATCH, checkpoint_dir=os.path.join(out, "checkpoints"), progress=False)


def als_models():
    """Distributed ALS cases: explicit (exact, weighted, early stopping; CG without biases)
    and implicit (CG with early stopping; exact), float64."""
    from glassnet import recommend as rec

    return {
        "als-exact": rec.ALS(rank=4, reg=0.3, iterations=4, solver="exact", tol=1e-14, weighted_reg=True,
                             dtype=np.float64),
        "als-cg": rec.ALS(rank=5, reg=0.5, iterations=3, biases=False, dtype=np.float64),
        "implicit-cg": rec.ImplicitALS(rank=4, reg=0.2, alpha=3.0, iterations=3, tol=1e-14, dtype=np.float64),
        "implicit-exact": rec.ImplicitALS(rank=3, iterations=2, solver="exact", dtype=np.float64),
    }


def als_ratings(changed=False):
    from glassnet import recommend as rec

    data = rec.synthetic(61, 37, rank=3, density=0.2, noise=0.3, seed=8)
    if changed:
        data.ratings[0] += 1.0
    return data


def scenario_als(out):
    """Every rank fits the same ratings; ALS shards the rows itself. Then rank 1 holds other
    ratings: both ranks must refuse."""
    rank = dist.get_rank()
    results = {}
    for name, model in als_models().items():
        model.fit(als_ratings())
        for key, value in model._arrays().items():
            results[f"{name}/{key}"] = value
        results[f"{name}/history"] = np.array(model.history_)
    try:
        als_models()["als-cg"].fit(als_ratings(changed=rank == 1))
        results["mismatch"] = np.array("no error")
    except gn.GlassnetValueError as exc:
        results["mismatch"] = np.array(str(exc))
    np.savez(os.path.join(out, f"als-rank{rank}.npz"), **results)


SYNC_BATCHES = (3, 5)  # rank 0's and rank 1's batch: unequal on purpose


def sync_batchnorm_data():
    """Inputs (N, 3, 2, 2) for both ranks together and a fixed dL/dy (the loss Σ y·G)."""
    rng = np.random.default_rng(11)
    n = sum(SYNC_BATCHES)
    return rng.normal(1.5, 2.0, size=(n, 3, 2, 2)), rng.normal(size=(n, 3, 2, 2))


def sync_batchnorm_layer():
    layer = gn.nn.SyncBatchNorm(3, momentum=0.3).double()
    layer.weight.data = gn.tensor([0.5, 2.0, -1.0], dtype="float64")
    layer.bias.data = gn.tensor([0.1, 0.0, -0.3], dtype="float64")
    return layer


def scenario_syncbn(out):
    """A SyncBatchNorm layer on unequal batches (two steps), then DDP training with
    convert_sync_batchnorm; rank 0 and rank 1 write what they found."""
    rank = dist.get_rank()
    X, G = sync_batchnorm_data()
    start = sum(SYNC_BATCHES[:rank])
    mine = slice(start, start + SYNC_BATCHES[rank])
    layer, results = sync_batchnorm_layer(), {}
    for step in range(2):
        x = gn.tensor(X[mine] * (step + 1), requires_grad=True)
        y = layer(x)
        (y * gn.tensor(G[mine])).sum().backward()
        results[f"step{step}/y"], results[f"step{step}/dx"] = y.array, x.grad.array
    layer.eval()
    results["eval/y"] = layer(gn.tensor(X[mine])).array
    results.update({f"layer/{k}": np.array(v.array) for k, v in layer.state_dict().items()})
    results["layer/weight.grad"], results["layer/bias.grad"] = layer.weight.grad.array, layer.bias.grad.array
    for optimizer in ("sgd", "adam"):
        for name, value in train_ddp(optimizer, batchnorm=True, sync=True).items():
            results[f"ddp_{optimizer}/{name}"] = value
    np.savez(os.path.join(out, f"syncbn-rank{rank}.npz"), **results)


SCENARIOS = {"train": scenario_train, "fit": scenario_fit, "collectives": scenario_collectives,
             "sampler": scenario_sampler, "stall": scenario_stall, "kill": scenario_kill,
             "als": scenario_als, "syncbn": scenario_syncbn, "torn": scenario_torn}

if __name__ == "__main__":
    scenario, out_dir = sys.argv[1], sys.argv[2]
    dist.init_process_group(timeout=float(os.environ.get("GLASSNET_TEST_TIMEOUT", "60")))
    SCENARIOS[scenario](out_dir)
    dist.destroy_process_group()
