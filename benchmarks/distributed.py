"""Data-parallel scaling over MPI: 1 → 2 ranks, glassnet DDP against PyTorch DDP (gloo).

For the 784-256-256-10 MLP and the MNIST-1D CNN (glassnet.models.CNN1d), batch 1024 per
rank, float32, SGD, one BLAS thread per rank, each world size started as
``mpiexec -n R python benchmarks/distributed.py --worker``:

- step time (zero_grad, forward, cross-entropy, backward, step; median over steps) with
  DistributedDataParallel (bucketed Iallreduce overlapping backward), and with a blocking
  all-reduce of all gradients after backward (no overlap);
- the all-reduce of the whole gradient alone (median), so communication share = all-reduce
  time / step time;
- PyTorch's DistributedDataParallel on the gloo backend, the same models and batches,
  launched by the same mpiexec (rank and world size from PMI_RANK / PMI_SIZE).

Throughput = ranks × batch / step time; scaling efficiency = throughput(2) / throughput(1)
(goal ≥ 1.7 on this 2-core machine). The ring all-reduce model of docs/distributed.md turns
the measured bandwidth and compute time into predicted efficiency at 8, 64 and 512 ranks.

    python benchmarks/distributed.py            # rewrites the "distributed" section
    python benchmarks/distributed.py --quick    # few steps, prints only
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _common import (
    REPO_ROOT,
    bench_parser,
    fmt,
    markdown_table,
    now_utc,
    parse_bench_args,
    publish,
    thread_env,
)

BATCH = 1024
MODELS = ("mlp", "cnn1d")


def glassnet_model(gn, name):
    if name == "mlp":
        return gn.nn.Sequential(gn.nn.Linear(784, 256), gn.nn.ReLU(), gn.nn.Linear(256, 256), gn.nn.ReLU(),
                                gn.nn.Linear(256, 10))
    return gn.models.CNN1d(40, 10)


def torch_model(torch, name):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    return nn.Sequential(nn.Conv1d(1, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
                         nn.Conv1d(32, 64, 5, padding=2), nn.BatchNorm1d(64), nn.ReLU(), nn.MaxPool1d(2),
                         nn.Conv1d(64, 64, 3, padding=1), nn.BatchNorm1d(64), nn.ReLU(), nn.Flatten(),
                         nn.Linear(640, 10))


def batch_shape(name):
    return (BATCH, 784) if name == "mlp" else (BATCH, 1, 40)


def _median_step(step, steps, barrier):
    step()  # warm-up
    times = []
    for _ in range(steps):
        barrier()
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def glassnet_times(name, steps):
    import numpy as np

    import glassnet as gn
    import glassnet.distributed as dist
    from glassnet.nn.parallel import DistributedDataParallel

    rng = np.random.default_rng(dist.get_rank())
    x = gn.tensor(rng.normal(size=batch_shape(name)).astype(np.float32))
    y = gn.tensor(rng.integers(0, 10, size=BATCH))
    model = glassnet_model(gn, name)
    ddp = DistributedDataParallel(model)
    opt = gn.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = gn.nn.CrossEntropyLoss()

    def overlapped():
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()

    params = list(model.parameters())
    flat = gn.tensor(np.zeros(sum(p.array.size for p in params), dtype=np.float32))

    def blocking():  # the same step with all gradients averaged after backward, in one message
        opt.zero_grad()
        with ddp.no_sync():
            loss_fn(ddp(x), y).backward()
        flat.array[...] = np.concatenate([p.grad.array.ravel() for p in params])
        dist.all_reduce(flat, dist.ReduceOp.AVG)
        start = 0
        for p in params:
            p.grad.array[...] = flat.array[start:start + p.array.size].reshape(p.shape)
            start += p.array.size
        opt.step()

    return {"ddp": _median_step(overlapped, steps, dist.barrier),
            "blocking": _median_step(blocking, steps, dist.barrier),
            "allreduce": _median_step(lambda: dist.all_reduce(flat, dist.ReduceOp.AVG), steps, dist.barrier),
            "gradient_mb": flat.array.nbytes / 2**20}


def torch_times(name, steps):
    import torch
    import torch.distributed as tdist

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(tdist.get_rank())
    x, y = torch.randn(*batch_shape(name), generator=gen), torch.randint(0, 10, (BATCH,), generator=gen)
    ddp = torch.nn.parallel.DistributedDataParallel(torch_model(torch, name))
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(ddp(x), y).backward()
        opt.step()

    return {"ddp": _median_step(step, steps, tdist.barrier)}


def worker(args):
    import glassnet.distributed as dist

    dist.init_process_group(timeout=600)
    steps = 5 if args.quick else 40
    found = {name: glassnet_times(name, steps) for name in MODELS}
    try:
        import torch.distributed as tdist

        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29533")
        tdist.init_process_group("gloo", rank=dist.get_rank(), world_size=dist.get_world_size())
        for name in MODELS:
            found[name]["torch_ddp"] = torch_times(name, steps)["ddp"]
        tdist.destroy_process_group()
    except ImportError:
        pass
    if dist.get_rank() == 0:
        with open(args.json_out, "w") as f:
            json.dump(found, f)
    dist.destroy_process_group()


def run_world(ranks, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        command = ["mpiexec", "-n", str(ranks), sys.executable, os.path.abspath(__file__), "--worker",
                   "--threads", "1", "--json-out", out] + (["--quick"] if args.quick else [])
        subprocess.run(command, check=True, env=thread_env(1), cwd=REPO_ROOT, timeout=1800)
        with open(out) as f:
            return json.load(f)


def ring_allreduce_seconds(ranks, megabytes, bandwidth_gb_s, latency_s):
    """Ring all-reduce of S bytes over N ranks: 2(N−1) steps of S/N bytes each,
    t = 2(N−1)·α + 2(N−1)/N · S/β."""
    size = megabytes * 2**20
    return 2 * (ranks - 1) * latency_s + 2 * (ranks - 1) / ranks * size / (bandwidth_gb_s * 1e9)


def report(one, two):
    rows, model_rows = [], []
    for name in MODELS:
        a, b = one[name], two[name]
        ours = (2 * BATCH / b["ddp"]) / (BATCH / a["ddp"])
        theirs = (2 * BATCH / b["torch_ddp"]) / (BATCH / a["torch_ddp"]) if "torch_ddp" in a else None
        rows.append([name, fmt(a["ddp"] * 1e3), fmt(b["ddp"] * 1e3), fmt(ours), fmt(b["blocking"] * 1e3),
                     fmt(b["allreduce"] * 1e3), f"{b['allreduce'] / b['ddp']:.0%}",
                     fmt(a.get("torch_ddp", float("nan")) * 1e3), fmt(b.get("torch_ddp", float("nan")) * 1e3),
                     "—" if theirs is None else fmt(theirs)])
        # measured on this machine: β from the 2-rank all-reduce (t = S/β for N = 2, α ignored)
        beta = b["gradient_mb"] * 2**20 / b["allreduce"] / 1e9
        for label, bw, lat in (("this machine (shared memory)", beta, 0.0), ("10 Gb/s Ethernet", 1.25, 50e-6),
                               ("100 Gb/s InfiniBand", 12.5, 5e-6)):
            effs = [a["ddp"] / (a["ddp"] + ring_allreduce_seconds(n, b["gradient_mb"], bw, lat))
                    for n in (8, 64, 512)]
            model_rows.append([name, label, fmt(bw), *(f"{e:.0%}" for e in effs)])
    table = markdown_table(["model", "1 rank ms", "2 ranks ms", "scaling", "2 ranks blocking ms",
                            "all-reduce ms", "comm share", "torch 1 rank ms", "torch 2 ranks ms",
                            "torch scaling"], rows)
    model = markdown_table(["model", "network", "β GB/s", "8 ranks", "64 ranks", "512 ranks"], model_rows)
    return (f"_{now_utc()}; batch {BATCH} per rank, float32, 1 BLAS thread per rank; medians of steps._\n\n"
            f"{table}\n\nPredicted efficiency (no overlap: compute / (compute + ring all-reduce)):\n\n"
            f"{model}\n")


def main(argv=None):
    parser = bench_parser(__doc__)
    args = parse_bench_args(parser, argv)
    if args.worker:
        return worker(args)
    one, two = run_world(1, args), run_world(2, args)
    publish("distributed", report(one, two), args)
    return None


if __name__ == "__main__":
    main()
