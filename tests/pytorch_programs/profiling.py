"""A training loop under ``torch.profiler``, as the PyTorch profiler recipe writes it: a
schedule, ``prof.step()`` per batch, ``record_function`` ranges and an ``on_trace_ready``
that reads ``key_averages()`` — the losses, the cycles and what each one recorded agree."""

import numpy as np

from pytorch_programs._weights import load_weights

LOADER_NEXT = "enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__"


def profiled_training(torch):
    """Three epochs of three batches (nine SGD steps) of a small classifier profiled with
    wait=1, warmup=1, active=2: the losses are unchanged by profiling, on_trace_ready fires
    after steps 4 and 8, and with ``acc_events`` the second cycle's averages count both
    cycles' ``train_step`` and ``forward`` ranges, optimiser steps and batches loaded."""
    profiler = torch.profiler
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((24, 5)), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, 3, 24), dtype=torch.int64)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    model = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    load_weights(torch, model, seed=5)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    cycles, losses = [], []

    def ready(prof):
        counts = {e.key: e.count for e in prof.key_averages()}
        cycles.append([prof.step_num, counts["train_step"], counts["forward"],
                       counts["Optimizer.step#SGD.step"], counts[LOADER_NEXT]])

    with profiler.profile(activities=[profiler.ProfilerActivity.CPU],
                          schedule=profiler.schedule(wait=1, warmup=1, active=2),
                          on_trace_ready=ready, record_shapes=True, acc_events=True) as prof:
        for _ in range(3):
            for xb, yb in loader:
                with profiler.record_function("train_step"):
                    opt.zero_grad()
                    with profiler.record_function("forward"):
                        loss = torch.nn.functional.cross_entropy(model(xb), yb)
                    loss.backward()
                    opt.step()
                losses.append(loss.detach())
                prof.step()
    return {"losses": torch.stack(losses), "cycles": cycles, "weight": model[0].weight}


PROGRAMS = {f.__name__: f for f in (profiled_training,)}
