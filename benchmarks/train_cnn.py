"""Convolutional training speed: glassnet's im2col + GEMM against PyTorch (CPU, same threads).

1. Forward + backward (zero grads, forward, sum, backward) of
   a. Conv2d(1→32, 3×3) → ReLU → MaxPool2d(2) → Conv2d(32→64, 3×3) on a batch of 64 28×28
      images;
   b. the MNIST-1D CNN (glassnet.models.CNN1d) with cross-entropy, batch 100;
   glassnet vs PyTorch (oneDNN), float32, medians of interleaved batches, with glassnet's
   step also run under its reference tier (``gn.kernels.use("reference")``: every fast
   kernel off) in the same interleaving, so the report shows what the kernels buy. The
   im2col matrix each glassnet conv layer builds (N·∏out rows × C·∏kernel columns, MB) is
   listed.
2. Full MNIST-1D CNN training (Adam 0.01, batch 100): test accuracy, wall time, peak
   memory (growth of the process's peak RSS over training), each in a fresh process.

Each BLAS/OpenMP thread count (default 1 and 2) runs in fresh subprocesses, every one with
the C library's malloc settings unless ``--host-allocator tuned`` is given (then all alike).
Goals (issue #5): step time ≤ 1.5 × PyTorch's (glassnet with its kernels, the default),
peak memory ≤ PyTorch's.

    python benchmarks/train_cnn.py            # rewrites the "train_cnn" section
    python benchmarks/train_cnn.py --quick    # smoke run, prints only
"""

import json
import math
import sys
import time
from pathlib import Path

from _common import (
    TWO_THREADS_NOTE,
    bench_parser,
    compare,
    fmt,
    goal_lines,
    load_average,
    load_span,
    markdown_table,
    now_utc,
    paired_ratio,
    parse_bench_args,
    peak_mb,
    publish,
    run_cases,
    threads_label,
    try_import_torch,
    under_reference_tier,
    worker_facts,
)

GOAL = 1.5
EPOCHS = 15


def _torch_cnn1d(torch):
    n = torch.nn
    return n.Sequential(n.Conv1d(1, 32, 5, padding=2), n.BatchNorm1d(32), n.ReLU(), n.MaxPool1d(2),
                        n.Conv1d(32, 64, 5, padding=2), n.BatchNorm1d(64), n.ReLU(), n.MaxPool1d(2),
                        n.Conv1d(64, 64, 3, padding=1), n.BatchNorm1d(64), n.ReLU(), n.Flatten(),
                        n.Linear(640, 10))


def _models(gn, torch, case):
    from glassnet.models import CNN1d

    gn.manual_seed(0)
    nn = gn.nn
    if case == "conv2d":
        mine = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3))
        ref = None if torch is None else torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(32, 64, 3))
    else:
        mine, ref = CNN1d(40), None if torch is None else _torch_cnn1d(torch)
    if ref is not None:
        ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in mine.state_dict().items()})
    return mine, ref


def _im2col_rows(gn, model, x):
    """(layer, rows × cols, MB) of each conv's im2col matrix for input x: one row per output
    position of each sample (N·∏out), one column per input value a kernel sees (C·∏kernel)."""
    rows, shapes = [], {}
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, (gn.nn.Conv1d, gn.nn.Conv2d))]

    def recorder(name):
        def hook(module, inputs, output):
            shapes[name] = output.shape  # returns None: the output is kept

        return hook

    handles = [m.register_forward_hook(recorder(n)) for n, m in convs]
    with gn.no_grad():
        model(x)
    for h in handles:
        h.remove()
    for name, m in convs:
        n, _, *out = shapes[name]
        n_rows, n_cols = n * math.prod(out), m.in_channels * math.prod(m.kernel_size)
        rows.append({"layer": f"{name} {type(m).__name__}({m.in_channels}→{m.out_channels})",
                     "shape": f"{n_rows} × {n_cols}", "mb": n_rows * n_cols * 4 / 2**20})
    return rows


def _case(np, gn, torch, case, timing):
    mine, ref = _models(gn, torch, case)
    rng = np.random.default_rng(0)
    shape = (64, 1, 28, 28) if case == "conv2d" else (100, 40)
    x_np = rng.standard_normal(shape, dtype=np.float32)
    y_np = rng.integers(0, 10, shape[0])
    x, y = gn.tensor(x_np), gn.tensor(y_np)
    loss_fn = gn.nn.CrossEntropyLoss()

    def stepper(model):
        def step():
            model.zero_grad()
            out = model(x)
            (out.sum() if case == "conv2d" else loss_fn(out, y)).backward()

        return step

    cases = {"glassnet": ("step()", {"step": stepper(mine)}),
             "reference": ("step()", {"step": under_reference_tier(gn, stepper(mine))})}
    if ref is not None:
        tx, ty, t_loss = torch.from_numpy(x_np), torch.from_numpy(y_np), torch.nn.CrossEntropyLoss()

        def t_step():
            ref.zero_grad()
            out = ref(tx if case == "conv2d" else tx.unsqueeze(1))
            (out.sum() if case == "conv2d" else t_loss(out, ty)).backward()

        cases["torch"] = ("step()", {"step": t_step})
    return {"case": case, **compare(cases, **timing), "im2col": _im2col_rows(gn, mine, x)}


# -- full training --------------------------------------------------------------------
def _batches(n, epoch, size=100):
    import numpy as np

    order = np.random.default_rng(epoch).permutation(n)
    return [order[i: i + size] for i in range(0, n, size)]


def train_mnist1d(framework, epochs, threads):
    import numpy as np

    import glassnet as gn
    from glassnet import data

    train_set, test_set = data.load("mnist1d", "train"), data.load("mnist1d", "test")
    xtr, ytr = (a.numpy() for a in train_set.get_batch(np.arange(len(train_set))))
    xte, yte = (a.numpy() for a in test_set.get_batch(np.arange(len(test_set))))
    torch = try_import_torch(threads) if framework == "torch" else None
    mine, ref = _models(gn, torch, "cnn1d")
    before, start = peak_mb(), time.perf_counter()
    if framework == "glassnet":
        opt, loss_fn = gn.optim.Adam(mine.parameters(), lr=0.01), gn.nn.CrossEntropyLoss()
        for epoch in range(epochs):
            for idx in _batches(len(xtr), epoch):
                opt.zero_grad()
                loss_fn(mine(gn.tensor(xtr[idx])), gn.tensor(ytr[idx])).backward()
                opt.step()
        mine.eval()
        with gn.no_grad():
            pred = mine(gn.tensor(xte)).argmax(-1).numpy()
    else:
        opt, loss_fn = torch.optim.Adam(ref.parameters(), lr=0.01), torch.nn.CrossEntropyLoss()
        for epoch in range(epochs):
            for idx in _batches(len(xtr), epoch):
                opt.zero_grad()
                loss_fn(ref(torch.from_numpy(xtr[idx]).unsqueeze(1)), torch.from_numpy(ytr[idx])).backward()
                opt.step()
        ref.eval()
        with torch.no_grad():
            pred = ref(torch.from_numpy(xte).unsqueeze(1)).argmax(-1).numpy()
    return {"accuracy": float((pred == yte).mean()), "seconds": time.perf_counter() - start,
            "peak_mb": max(0.0, peak_mb() - before), "peak_total_mb": peak_mb(), "epochs": epochs}


# -- worker / parent -----------------------------------------------------------------
def worker(case, quick, threads, json_out):
    import numpy as np

    import glassnet as gn

    torch = try_import_torch(threads)
    result = {"case": case, "threads": threads, "facts": worker_facts(torch)}
    if case == "steps":
        timing = ({"budget_s": 0.05, "target_batch_s": 0.01, "min_repeats": 3, "warmup_s": 0.01}
                  if quick else {"budget_s": 4.0, "target_batch_s": 0.2, "min_repeats": 9})
        result["steps"] = [_case(np, gn, torch, c, timing) for c in ("conv2d", "cnn1d")]
    elif case == "glassnet" or torch is not None:
        result["train"] = train_mnist1d(case, 1 if quick else EPOCHS, threads)
    result["load_end"] = load_average()
    Path(json_out).write_text(json.dumps(result))


def _ms(stats):
    return "—" if stats is None else fmt(stats["median"] * 1e3)


_TITLES = {"conv2d": "Conv2d(1→32, 3×3) → ReLU → MaxPool2d(2) → Conv2d(32→64, 3×3), batch 64 × 28×28",
           "cnn1d": "MNIST-1D CNN (CNN1d, 29,578 parameters) + cross-entropy, batch 100"}


def _step_rows(runs):
    """Rows of the step table for every thread count, and each count's worst ratio."""
    rows, worst = [], {}
    for threads, (steps, *_) in runs.items():
        ratios = []
        for r in steps["steps"]:
            g, t, ref = r["glassnet"], r.get("torch"), r["reference"]
            ratio = None if t is None else g["median"] / t["median"]
            rows.append([_TITLES[r["case"]], threads, _ms(g), _ms(t), fmt(ratio), _ms(ref),
                         fmt(paired_ratio(ref, g))])
            if ratio is not None:
                ratios.append(ratio)
        worst[threads] = max(ratios, default=None)
    return rows, worst


def _train_rows(runs):
    return [[r["case"], threads, f"{r['train']['accuracy']:.1%}", fmt(r["train"]["seconds"]),
             fmt(r["train"]["peak_mb"]), fmt(r["train"]["peak_total_mb"]), r["train"]["epochs"]]
            for threads, (_, *trains) in runs.items() for r in trains if "train" in r]


def render(runs, quick):
    """The report section from ``runs`` = :func:`run_cases`'s ``{threads: [steps, glassnet
    training, torch training]}``."""
    rows, worst = _step_rows(runs)
    table = markdown_table(["forward + backward", "threads", "glassnet ms", "PyTorch ms",
                            "glassnet / PyTorch", "reference tier ms",
                            "kernels speed-up (reference / fast)"], rows)
    tier_note = ("*Reference tier*: the same glassnet step under `gn.kernels.use(\"reference\")` (every "
                 "fast kernel off), interleaved with the other two; the speed-up is the median of paired "
                 "ratios, what the kernels buy.")
    first = next(iter(runs.values()))[0]  # im2col shapes do not depend on the thread count
    im2col = [[r["case"], c["layer"], c["shape"], fmt(c["mb"])] for r in first["steps"] for c in r["im2col"]]
    im2col_table = markdown_table(["network", "layer", "im2col rows × columns", "MB (float32)"],
                                  im2col, align="llrr")
    train_table = markdown_table(["framework", "threads", "test accuracy", "wall s",
                                  "peak MB growth in training", "process peak MB", "epochs"],
                                 _train_rows(runs))
    loads = ", ".join(f"{threads_label(t)} {load_span(results[0])}" for t, results in runs.items())
    return (f"## train_cnn\n\n_Measured {now_utc()}; 1-minute load average start→end of each "
            f"step run: {loads}" + (" — QUICK SMOKE RUN_" if quick else "_") +
            f"\n\nGoal: step time ≤ {GOAL} × PyTorch, per BLAS/OpenMP thread count:\n\n"
            + goal_lines(worst, GOAL) + "\n\n" + tier_note + "\n\n"
            + (TWO_THREADS_NOTE + "\n\n" if max(runs) > 1 else "") +
            "### Forward + backward, float32 (median ms)\n\n" + table +
            "\n\n### im2col matrix per conv layer (one copy per forward, kept for dW)\n\n" +
            im2col_table + "\n\n### MNIST-1D CNN training, Adam 0.01, batch 100\n\n" + train_table +
            "\n\n*Peak MB growth*: the rise of the process's peak resident memory during training "
            "(after data loading and imports); *process peak* includes the framework itself.\n")


def main(argv=None):
    args = parse_bench_args(bench_parser(__doc__), argv)
    if args.worker:
        return worker(args.case, args.quick, args.threads, args.json_out)
    runs = run_cases(__file__, args, ("steps", "glassnet", "torch"))
    publish("train_cnn", render(runs, args.quick), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
