"""MLP training speed and memory: glassnet against PyTorch (CPU) and hand-written NumPy.

1. One SGD training step (zero grads, forward, cross-entropy, backward, update) of an MLP
   784-256-256-10, float32, batch 128 and 1024: glassnet (nn.Sequential of Linear/ReLU,
   CrossEntropyLoss, optim.SGD) vs PyTorch (the same) vs the best hand-written NumPy
   (forward and backward written out with ``@``, in place where it helps, the fused
   softmax-minus-one-hot gradient), and glassnet's step once more under its reference tier
   (``gn.kernels.use("reference")``: every fast kernel off), interleaved with the others, so
   the report shows what the kernels buy. All start from the same weights; one step's loss
   and updated weights must agree (float32 tolerance) before anything is timed.
2. Full training of the MNIST-1D paper's MLP (40-100-100-10, ReLU, Adam 0.01, batch 100)
   on the arrays of ``glassnet.data.load("mnist1d")``: test accuracy, wall time and the
   process's peak resident memory, each framework in its own fresh process (the
   PyTorch process never imports glassnet; both start from the same initial weights).

Each BLAS/OpenMP thread count (default 1 and 2) runs in fresh subprocesses, every one with
the C library's malloc settings unless ``--host-allocator tuned`` is given (then all alike).
Goals (issue #3): step time ≤ 1.0 × PyTorch and ≤ 1.15 × hand-written NumPy; peak
resident memory ≤ 0.5 × PyTorch's.

    python benchmarks/train_mlp.py            # rewrites the "train_mlp" section
    python benchmarks/train_mlp.py --quick    # smoke run (seconds), prints only
"""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    bench_parser,
    compare,
    fmt,
    load_average,
    load_warning,
    markdown_table,
    noisy,
    now_utc,
    paired_ratio,
    parse_bench_args,
    publish,
    run_worker,
    try_import_torch,
    under_reference_tier,
    verdict,
    worker_facts,
)

TORCH_GOAL, NUMPY_GOAL, MEMORY_GOAL = 1.0, 1.15, 0.5
SIZES = (784, 256, 256, 10)
MNIST1D_SIZES = (40, 100, 100, 10)
BATCHES = (128, 1024)
LR = 0.01
EPOCHS = 20
FULL = {"budget_s": 3.0, "target_batch_s": 0.1, "min_repeats": 15}
QUICK = {"budget_s": 0.02, "target_batch_s": 0.005, "min_repeats": 3, "warmup_s": 0.005}


def _progress(threads, what):
    print(f"[train_mlp, {threads} thread(s)] {what} …", file=sys.stderr, flush=True)


# -- the three training steps ------------------------------------------------------------


def _glassnet_mlp(gn, sizes):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers += [gn.nn.Linear(n_in, n_out)] + ([gn.nn.ReLU()] if i < len(sizes) - 2 else [])
    return gn.nn.Sequential(*layers)


def _torch_mlp(torch, sizes, state):
    n = torch.nn
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers += [n.Linear(n_in, n_out)] + ([n.ReLU()] if i < len(sizes) - 2 else [])
    model = n.Sequential(*layers)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return model


def _framework_step(lib, model, x, y):
    """glassnet and PyTorch share the API: the plain zero_grad / backward / step loop."""
    opt, loss_fn = lib.optim.SGD(model.parameters(), lr=LR), lib.nn.CrossEntropyLoss()
    tx, ty = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(tx), ty)
        loss.backward()
        opt.step()
        return loss

    return step


def _numpy_step(np, params, x, y):
    """Forward and backward of Linear-ReLU-…-Linear + mean cross-entropy by hand, then the
    SGD update in place. ``params`` = [W1, b1, W2, b2, …] in PyTorch's layout (W: out × in)."""
    rows, scale = np.arange(len(x)), np.float32(1.0 / len(x))
    lr = np.float32(LR)
    pairs = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]

    def step():
        acts = [x]
        for W, b in pairs:
            z = acts[-1] @ W.T
            z += b
            acts.append(z)
            if len(acts) <= len(pairs):
                np.maximum(z, 0, out=z)
        p = acts.pop()  # logits → softmax probabilities, in place
        p -= p.max(axis=1, keepdims=True)
        picked = p[rows, y]
        np.exp(p, out=p)
        total = p.sum(axis=1, keepdims=True)
        loss = float(np.log(total).mean() - picked.mean())
        p /= total
        p[rows, y] -= 1  # d loss / d logits = (softmax − onehot) / B
        p *= scale
        grad = p
        for (W, b), h in zip(reversed(pairs), reversed(acts), strict=True):
            dW, db = grad.T @ h, grad.sum(axis=0)
            if h is not x:
                grad = grad @ W
                grad *= h > 0
            dW *= lr
            W -= dW
            db *= lr
            b -= db
        return loss

    return step


def _steps_case(np, gn, torch, batch, threads, timing):
    gn.manual_seed(0)
    mine = _glassnet_mlp(gn, SIZES)
    state = {k: v.numpy().copy() for k, v in mine.state_dict().items()}
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    by_hand = [v.copy() for v in state.values()]
    reference = _glassnet_mlp(gn, SIZES)  # the same weights, stepped under the reference tier
    reference.load_state_dict(state)
    steps = {"glassnet": _framework_step(gn, mine, x, y), "numpy": _numpy_step(np, by_hand, x, y),
             "reference": under_reference_tier(gn, _framework_step(gn, reference, x, y))}
    models = {"glassnet": mine, "numpy": by_hand, "reference": reference}
    if torch is not None:
        models["torch"] = _torch_mlp(torch, SIZES, state)
        steps["torch"] = _framework_step(torch, models["torch"], x, y)
    check = _check_one_step(np, steps, models)
    cases = {k: ("step()", {"step": step}) for k, step in steps.items()}
    # With one thread all three interleave (paired ratios). With more, PyTorch runs in its
    # own group after: its idle OpenMP threads spin and would slow the NumPy calls next to it.
    groups = [cases] if threads == 1 else [{k: cases[k] for k in ("glassnet", "numpy", "reference")},
                                           {k: cases[k] for k in cases if k == "torch"}]
    stats = {}
    for group in filter(None, groups):
        stats.update(compare(group, **timing))
    return {"batch": batch, "check": check, "paired": threads == 1, **stats}


def _weights(np, model):
    if isinstance(model, list):
        return model
    return [np.asarray(p.detach().numpy()) for p in model.parameters()]


def _scalar(loss):
    return float(loss.item() if hasattr(loss, "item") else loss)


def _check_one_step(np, steps, models):
    """Run one step of each from the same weights; losses and updated weights must agree."""
    losses = {k: _scalar(step()) for k, step in steps.items()}
    ref = _weights(np, models["numpy"])
    worst = 0.0
    for name in steps:
        if not np.isclose(losses[name], losses["numpy"], rtol=1e-5, atol=1e-6):
            raise AssertionError(f"train_mlp: {name} loss {losses[name]} != NumPy's {losses['numpy']}")
        for a, b in zip(_weights(np, models[name]), ref, strict=True):
            worst = max(worst, float(np.abs(a - b).max()))
            if not np.allclose(a, b, rtol=1e-5, atol=1e-6):
                raise AssertionError(f"train_mlp: {name}'s updated weights differ from NumPy's")
    return {"loss": losses["numpy"], "max_weight_diff": worst}


# -- full training on MNIST-1D -------------------------------------------------------------


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def write_data(path):
    """The MNIST-1D arrays and the initial weights, for both training processes."""
    import numpy as np

    import glassnet as gn
    from glassnet import data

    arrays = {}
    for split in ("train", "test"):
        ds = data.load("mnist1d", split)
        x, y = ds.get_batch(np.arange(len(ds)))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x.numpy(), y.numpy()
    gn.manual_seed(0)
    state = _glassnet_mlp(gn, MNIST1D_SIZES).state_dict()
    arrays.update({f"w:{k}": v.numpy() for k, v in state.items()})
    np.savez(path, **arrays)


def train_mnist1d(framework, data_path, epochs, threads):
    before = _peak_mb()
    import numpy as np

    if framework == "glassnet":
        import glassnet as lib
        torch = None
    else:
        lib = torch = try_import_torch(threads)
        if torch is None:
            return None
    after_imports = _peak_mb()
    with np.load(data_path) as f:
        arrays = {k: f[k] for k in f.files}
    xtr, ytr, xte, yte = (arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    state = {k[2:]: v for k, v in arrays.items() if k.startswith("w:")}
    if torch is None:
        model = _glassnet_mlp(lib, MNIST1D_SIZES)
        model.load_state_dict(state)
    else:
        model = _torch_mlp(torch, MNIST1D_SIZES, state)
    as_tensor = torch.from_numpy if torch is not None else lib.tensor
    opt, loss_fn = lib.optim.Adam(model.parameters(), lr=0.01), lib.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(len(xtr))
        for i in range(0, len(xtr), 100):
            idx = order[i: i + 100]
            opt.zero_grad()
            loss = loss_fn(model(as_tensor(xtr[idx])), as_tensor(ytr[idx]))
            loss.backward()
            opt.step()
    with lib.no_grad():
        pred = model(as_tensor(xte)).argmax(-1).numpy()
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    return {"accuracy": float((pred == yte).mean()), "seconds": seconds, "epochs": epochs,
            "final_loss": float(loss.item()), "startup_mb": before, "imports_mb": after_imports,
            "peak_mb": peak, "growth_mb": peak - after_imports}


# -- worker / parent -----------------------------------------------------------------------


def worker(args):
    if args.case == "data":
        write_data(args.data)
        Path(args.json_out).write_text("{}")
        return
    threads = args.threads
    result = {"case": args.case, "threads": threads, "load_start": load_average()}
    if args.case == "steps":
        import numpy as np

        import glassnet as gn

        torch = try_import_torch(threads)
        result["facts"] = worker_facts(torch)
        timing = QUICK if args.quick else FULL
        result["steps"] = []
        for batch in BATCHES:
            _progress(threads, f"training step, batch {batch}")
            result["steps"].append(_steps_case(np, gn, torch, batch, threads, timing))
    else:
        _progress(threads, f"MNIST-1D training, {args.case}")
        result["train"] = train_mnist1d(args.case, args.data, 1 if args.quick else EPOCHS, threads)
        result["facts"] = {"load_start": result["load_start"]}
    result["load_end"] = load_average()
    Path(args.json_out).write_text(json.dumps(result))


def _ms(stats):
    return f"{fmt(stats['median'] * 1e3)} ({fmt(stats['p10'] * 1e3)}–{fmt(stats['p90'] * 1e3)})" + (
        " †" if noisy(stats) else "")


def _x(ratio):
    return "—" if ratio is None else f"{ratio:.2f}"


def _verdict(value, goal):
    return "—" if value is None else verdict(value <= goal)


def render_steps(results):
    rows, verdicts = [], []
    for r in results:
        for s in r["steps"]:
            g, n, t, ref = s["glassnet"], s["numpy"], s.get("torch"), s["reference"]
            vs_t = None if t is None else (paired_ratio(g, t) if s["paired"] else g["median"] / t["median"])
            vs_n = paired_ratio(g, n)
            rows.append([s["batch"], r["threads"], _ms(g), _ms(n), "—" if t is None else _ms(t),
                         _x(vs_t), _x(vs_n), _ms(ref), _x(paired_ratio(ref, g)),
                         fmt(s["check"]["max_weight_diff"], 2)])
            verdicts.append(f"- batch {s['batch']}, {r['threads']} thread(s): ≤ {TORCH_GOAL} × PyTorch "
                            f"{_verdict(vs_t, TORCH_GOAL)} ({_x(vs_t)}×); ≤ {NUMPY_GOAL} × NumPy "
                            f"{_verdict(vs_n, NUMPY_GOAL)} ({_x(vs_n)}×)")
    table = markdown_table(["batch", "threads", "glassnet ms", "NumPy by hand ms", "PyTorch ms",
                            "glassnet / PyTorch", "glassnet / NumPy", "reference tier ms",
                            "kernels speed-up (reference / fast)", "max |Δw| after 1 step"], rows)
    return table, "\n".join(verdicts)


def render_train(trains):
    rows, verdicts = [], []
    by_threads = {}
    for r in trains:
        if r["train"] is None:  # PyTorch not installed
            continue
        by_threads.setdefault(r["threads"], {})[r["case"]] = {
            **r["train"], "load": f"{fmt(r['load_start'])}→{fmt(r['load_end'])}"}
    for threads, pair in by_threads.items():
        for name, t in pair.items():
            rows.append([name, threads, f"{t['accuracy']:.1%}", fmt(t["seconds"]), fmt(t["final_loss"]),
                         fmt(t["imports_mb"]), fmt(t["peak_mb"]), fmt(t["growth_mb"]), t["load"]])
        if "torch" in pair:
            ratio = pair["glassnet"]["peak_mb"] / pair["torch"]["peak_mb"]
            growth = pair["glassnet"]["growth_mb"] / max(pair["torch"]["growth_mb"], 1e-9)
            verdicts.append(f"- {threads} thread(s): peak RSS glassnet / PyTorch = {ratio:.2f} — "
                            f"{_verdict(ratio, MEMORY_GOAL)} (goal ≤ {MEMORY_GOAL}); growth after "
                            f"imports {fmt(pair['glassnet']['growth_mb'])} vs "
                            f"{fmt(pair['torch']['growth_mb'])} MB ({growth:.2f}×)")
    table = markdown_table(["framework", "threads", "test accuracy", "wall s", "last batch loss",
                            "RSS after imports MB", "peak RSS MB", "growth MB", "load start→end"], rows)
    return table, "\n".join(verdicts)


def render(steps, trains, quick):
    loads = ", ".join(f"{r['threads']} thr {fmt(r['load_start'])}→{fmt(r['load_end'])}"
                      for r in steps)
    warning = load_warning(steps)
    step_table, step_verdicts = render_steps(steps)
    train_table, train_verdicts = render_train(trains)
    return "\n\n".join(p for p in [
        "## train_mlp",
        f"_Measured {now_utc()}; 1-minute load average start→end of each step run: {loads}"
        + (" — QUICK SMOKE RUN_" if quick else "_"),
        warning,
        f"### One SGD step of MLP {'-'.join(map(str, SIZES))}, cross-entropy, float32 "
        "(median ms, p10–p90)",
        step_table,
        "Ratios are medians of paired ratios of batches timed next to each other. With 1 "
        "thread all four are interleaved; with 2, glassnet, its reference tier and NumPy are interleaved and "
        "PyTorch runs in its own group right after (its idle OpenMP threads spin and would "
        "slow the NumPy calls next to them), so glassnet / PyTorch is a ratio of medians "
        "there. † marks p90 > 1.25 × p10. *Reference tier*: the same glassnet step under "
        "`gn.kernels.use(\"reference\")` (every fast kernel off); the speed-up is what the kernels buy. "
        "Before timing, one step of each from the same weights is checked: losses agree "
        "and the updated weights differ by at most the last column.",
        step_verdicts,
        f"### MNIST-1D MLP {'-'.join(map(str, MNIST1D_SIZES))}, Adam 0.01, batch 100",
        train_table,
        "Each row is a fresh process. *RSS after imports*: peak resident memory once NumPy and "
        "the framework are imported (the PyTorch process never imports glassnet); *growth*: "
        "the rise of the peak over that baseline through data loading, training and testing. "
        "Both start from the same initial weights and see the same batches.",
        train_verdicts,
    ] if p) + "\n"


def main(argv=None):
    p = bench_parser(__doc__)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.set_defaults(case="steps")
    args = parse_bench_args(p, argv)
    if args.worker:
        return worker(args)
    extra = ["--quick"] if args.quick else []
    threads = args.threads
    script = Path(__file__)
    with tempfile.TemporaryDirectory() as tmp:
        data = str(Path(tmp) / "mnist1d.npz")
        run_worker(script, 1, ["--case", "data", "--data", data])
        steps = [run_worker(script, t, extra) for t in threads]
        trains = [run_worker(script, t, ["--case", c, "--data", data, *extra])
                  for t in threads for c in ("glassnet", "torch")]
    publish("train_mlp", render(steps, trains, args.quick), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
