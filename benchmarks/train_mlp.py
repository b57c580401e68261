"""MLP training speed and memory: glassnet against PyTorch (CPU) and hand-written NumPy.

1. One SGD training step (zero grads, forward, cross-entropy, backward, update) of an MLP
   784-256-256-10, float32, batch 128 and 1024: glassnet (nn.Sequential of Linear/ReLU,
   CrossEntropyLoss, optim.SGD) vs PyTorch (the same) vs the best hand-written NumPy
   (forward and backward written out with ``@``, in place where it helps, the fused
   softmax-minus-one-hot gradient), and glassnet's step once more under its reference tier
   (``gn.kernels.use("reference")``: every fast kernel off), interleaved with the others, so
   the report shows what the kernels buy, and once more captured by ``gn.compile``
   (replayed as array calls into preallocated arrays, fused kernels when numba is
   installed). All start from the same weights; one step's loss and updated weights must
   agree (float32 tolerance) before anything is timed.
2. Full training of the MNIST-1D paper's models — logistic regression 40→10 and the MLP
   40-100-100-10, ReLU — 6,000 Adam steps (lr 0.01, batch 100) on the arrays of
   ``glassnet.data.load("mnist1d")``: test accuracy, wall time and the process's peak
   resident memory, each framework (glassnet eager, glassnet under ``gn.compile``, the
   same model and Adam written by hand in NumPy, PyTorch) in its own fresh process (the
   PyTorch and NumPy processes never import glassnet; all start from the same initial
   weights and see the same batches).

Each BLAS/OpenMP thread count (default 1 and 2) runs in fresh subprocesses, every one with
the C library's malloc settings unless ``--host-allocator tuned`` is given (then all alike).
Goals (issue #3): step time ≤ 1.0 × PyTorch and ≤ 1.15 × hand-written NumPy; peak
resident memory ≤ 0.5 × PyTorch's. Goals for ``gn.compile`` (issue #20): the step at batch
128 ≤ 0.9 × NumPy at 1 thread, at batch 1024 ≤ 1.0 × PyTorch at 2 threads; MNIST-1D
training ≤ 0.3 × PyTorch's wall time. ``NUMBA_NUM_THREADS`` follows ``--threads`` (gn.compile's
numba kernels run on one thread; the variable keeps numba's pool the size of BLAS's), and
``NUMBA_CACHE_DIR`` is a temporary folder of this run: the MNIST-1D rows with numba run
twice, first with that cache emptied (numba compiles its kernels), then again (it loads them).

    python benchmarks/train_mlp.py            # rewrites the "train_mlp" section
    python benchmarks/train_mlp.py --quick    # smoke run (seconds), prints only
"""

import argparse
import json
import resource
import shutil
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
COMPILED_NUMPY_GOAL, COMPILED_TORCH_GOAL, COMPILED_TRAIN_GOAL = 0.9, 1.0, 0.3  # issue #20
SIZES = (784, 256, 256, 10)
MNIST1D_MODELS = {"logistic": (40, 10), "mlp": (40, 100, 100, 10)}
# compiled: the NumPy replay; numba_cold: numba's fused kernels compiled in the run (an empty on-disk cache);
# numba: the same run again, loading them from the cache the cold run filled
FRAMEWORKS = ("glassnet", "compiled", "numba_cold", "numba", "numpy", "torch")
NUMBA_FRAMEWORKS = ("numba_cold", "numba")
FRAMEWORK_LABELS = {"compiled": "gn.compile (NumPy replay)", "numba_cold": "gn.compile + numba, cold cache",
                    "numba": "gn.compile + numba, warm cache", "numpy": "NumPy by hand"}
BATCHES = (128, 1024)
LR = 0.01
TRAIN_STEPS = 6000
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
    for name, fuse in (("compiled", False), ("numba", True)):  # gn.compile: NumPy replay, numba's kernels
        if fuse and not _has_numba():
            continue
        models[name] = _glassnet_mlp(gn, SIZES)
        models[name].load_state_dict(state)
        steps[name] = gn.compile(_framework_step(gn, models[name], x, y), fuse=fuse)
    if torch is not None:
        models["torch"] = _torch_mlp(torch, SIZES, state)
        steps["torch"] = _framework_step(torch, models["torch"], x, y)
    check = _check_one_step(np, steps, models)
    cases = {k: ("step()", {"step": step}) for k, step in steps.items()}
    # With one thread all three interleave (paired ratios). With more, PyTorch runs in its
    # own group after: its idle OpenMP threads spin and would slow the NumPy calls next to it.
    mine = ("glassnet", "compiled", "numba", "numpy", "reference")
    groups = [cases] if threads == 1 else [{k: cases[k] for k in mine if k in cases},
                                           {k: cases[k] for k in cases if k == "torch"}]
    stats = {}
    for group in filter(None, groups):
        stats.update(compare(group, **timing))
    return {"batch": batch, "check": check, "paired": threads == 1, **stats}


def _has_numba():
    from glassnet.capture._fused import available

    return available()


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
    """The MNIST-1D arrays and each model's initial weights, for every training process."""
    import numpy as np

    import glassnet as gn
    from glassnet import data

    arrays = {}
    for split in ("train", "test"):
        ds = data.load("mnist1d", split)
        x, y = ds.get_batch(np.arange(len(ds)))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x.numpy(), y.numpy()
    for name, sizes in MNIST1D_MODELS.items():
        gn.manual_seed(0)
        state = _glassnet_mlp(gn, sizes).state_dict()
        arrays.update({f"w:{name}:{k}": v.numpy() for k, v in state.items()})
    np.savez(path, **arrays)


def _batch_order(np, n, steps, batch=100):
    """The row indices of ``steps`` batches: epoch after epoch of a seeded permutation."""
    order, epoch = [], 0
    while len(order) < steps:
        perm = np.random.default_rng(epoch).permutation(n)
        order += [perm[i: i + batch] for i in range(0, n - batch + 1, batch)]
        epoch += 1
    return order[:steps]


def _numpy_mnist1d(np, state, sizes, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
    """The MLP (or logistic regression) and its Adam training step written by hand in NumPy,
    as a person who knows NumPy writes it: in place where it is natural, one loop over the
    layers, no framework. Returns ``(step(x, y) → loss, predict(x) → logits)``."""
    layers = [(state[f"{2 * i}.weight"].copy(), state[f"{2 * i}.bias"].copy()) for i in range(len(sizes) - 1)]
    params = [a for pair in layers for a in pair]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    (beta1, beta2), t = betas, [0]

    def forward(x):
        hs = [x]
        for i, (W, b) in enumerate(layers):
            z = hs[-1] @ W.T
            z += b
            if i < len(layers) - 1:
                np.maximum(z, 0, out=z)
            hs.append(z)
        return hs

    def step(x, y):
        hs = forward(x)
        z, rows = hs.pop(), np.arange(len(y))
        z -= z.max(axis=1, keepdims=True)
        picked = z[rows, y]
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)
        loss = np.log(total).mean() - picked.mean()
        z /= total  # softmax, then dL/dz = (softmax - onehot) / N
        z[rows, y] -= 1
        z /= len(y)
        d, grads = z, []
        for i in reversed(range(len(layers))):
            W, h = layers[i][0], hs[i]
            grads[:0] = [d.T @ h, d.sum(axis=0)]
            if i:
                d = d @ W
                d *= h > 0
        t[0] += 1
        step_size, bc2_sqrt = lr / (1 - beta1 ** t[0]), (1 - beta2 ** t[0]) ** 0.5
        for p, g, (m, v) in zip(params, grads, moments, strict=True):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= step_size * m / (np.sqrt(v) / bc2_sqrt + eps)
        return loss

    return step, lambda x: forward(x)[-1]


def _train_numpy(np, state, sizes, batches, data):
    xtr, ytr, xte, _ = data
    step, predict = _numpy_mnist1d(np, state, sizes)
    start = time.perf_counter()
    for k, idx in enumerate(batches):
        loss = step(xtr[idx], ytr[idx])
        if k == 1:
            first_steps = time.perf_counter() - start
    pred = predict(xte).argmax(-1)
    return pred, loss, time.perf_counter() - start, first_steps


def train_mnist1d(framework, model_name, data_path, steps, threads):
    before = _peak_mb()
    import numpy as np

    if framework in NUMBA_FRAMEWORKS and not _has_numba():
        return None
    if framework == "numpy":
        return _train_mnist1d_numpy(np, model_name, data_path, steps, before)
    if framework in ("glassnet", "compiled", *NUMBA_FRAMEWORKS):
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
    prefix = f"w:{model_name}:"
    state = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    sizes = MNIST1D_MODELS[model_name]
    if torch is None:
        model = _glassnet_mlp(lib, sizes)
        model.load_state_dict(state)
    else:
        model = _torch_mlp(torch, sizes, state)
    opt, loss_fn = lib.optim.Adam(model.parameters(), lr=0.01), lib.nn.CrossEntropyLoss()

    def train_step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    compiled = framework in ("compiled", *NUMBA_FRAMEWORKS)
    batches = _batch_order(np, len(xtr), steps)
    start = time.perf_counter()  # gn.compile's import of numba (at its first capture) is inside
    step = lib.compile(train_step, fuse=framework in NUMBA_FRAMEWORKS) if compiled else train_step
    for k, idx in enumerate(batches):
        loss = step(lib.from_numpy(xtr[idx]), lib.from_numpy(ytr[idx]))
        if k == 1:
            first_steps = time.perf_counter() - start
    with lib.no_grad():
        pred = model(lib.from_numpy(xte)).argmax(-1).numpy()
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    return {"accuracy": float((pred == yte).mean()), "seconds": seconds, "steps": steps,
            "first_steps_s": first_steps, "final_loss": float(loss.item()), "startup_mb": before,
            "imports_mb": after_imports, "peak_mb": peak, "growth_mb": peak - after_imports,
            "replayed": compiled and step.tape.refusal is None}


def _train_mnist1d_numpy(np, model_name, data_path, steps, before):
    after_imports = _peak_mb()
    with np.load(data_path) as f:
        arrays = {k: f[k] for k in f.files}
    data = tuple(arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    prefix = f"w:{model_name}:"
    state = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    batches = _batch_order(np, len(data[0]), steps)
    pred, loss, seconds, first_steps = _train_numpy(np, state, MNIST1D_MODELS[model_name], batches, data)
    peak = _peak_mb()
    return {"accuracy": float((pred == data[3]).mean()), "seconds": seconds, "steps": steps,
            "first_steps_s": first_steps, "final_loss": float(loss), "startup_mb": before,
            "imports_mb": after_imports, "peak_mb": peak, "growth_mb": peak - after_imports,
            "replayed": False}


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
        framework, model_name = args.case.split(":")
        _progress(threads, f"MNIST-1D training, {framework}, {model_name}")
        result["model"] = model_name
        result["train"] = train_mnist1d(framework, model_name, args.data, 50 if args.quick else TRAIN_STEPS,
                                        threads)
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


def _torch_ratio(mine, torch, paired):
    if torch is None:
        return None
    return paired_ratio(mine, torch) if paired else mine["median"] / torch["median"]


def render_steps(results):
    rows, verdicts = [], []
    for r in results:
        for s in r["steps"]:
            g, n, t, ref = s["glassnet"], s["numpy"], s.get("torch"), s["reference"]
            mine = {k: s[k] for k in ("glassnet", "compiled", "numba") if k in s}
            vs_t = {k: _torch_ratio(v, t, s["paired"]) for k, v in mine.items()}
            vs_n = {k: paired_ratio(v, n) for k, v in mine.items()}
            cells = [_ms(mine[k]) if k in mine else "—" for k in ("glassnet", "compiled", "numba")]
            ratios = [f"{_x(vs_t.get(k))} / {_x(vs_n.get(k))}" for k in ("glassnet", "compiled", "numba")]
            rows.append([s["batch"], r["threads"], *cells, _ms(n), "—" if t is None else _ms(t), *ratios,
                         _ms(ref), _x(paired_ratio(ref, g)), fmt(s["check"]["max_weight_diff"], 2)])
            verdicts.append(f"- batch {s['batch']}, {r['threads']} thread(s): ≤ {TORCH_GOAL} × PyTorch "
                            f"{_verdict(vs_t['glassnet'], TORCH_GOAL)} ({_x(vs_t['glassnet'])}×); ≤ "
                            f"{NUMPY_GOAL} × NumPy {_verdict(vs_n['glassnet'], NUMPY_GOAL)} "
                            f"({_x(vs_n['glassnet'])}×)")
            for k, label in (("compiled", "gn.compile, NumPy replay"), ("numba", "gn.compile + numba")):
                if k in mine and s["batch"] == 128 and r["threads"] == 1:
                    verdicts.append(f"  - {label}: ≤ {COMPILED_NUMPY_GOAL} × NumPy "
                                    f"{_verdict(vs_n[k], COMPILED_NUMPY_GOAL)} ({_x(vs_n[k])}×)")
                if k in mine and s["batch"] == 1024 and r["threads"] == 2:
                    verdicts.append(f"  - {label}: ≤ {COMPILED_TORCH_GOAL} × PyTorch "
                                    f"{_verdict(vs_t[k], COMPILED_TORCH_GOAL)} ({_x(vs_t[k])}×)")
    table = markdown_table(["batch", "threads", "glassnet ms", "gn.compile ms", "gn.compile + numba ms",
                            "NumPy by hand ms", "PyTorch ms", "glassnet / PyTorch / NumPy",
                            "gn.compile / PyTorch / NumPy", "+ numba / PyTorch / NumPy", "reference tier ms",
                            "kernels speed-up (reference / fast)", "max |Δw| after 1 step"], rows)
    return table, "\n".join(verdicts)


def render_train(trains):
    rows, verdicts = [], []
    runs = {}
    for r in trains:
        if r["train"] is None:  # PyTorch not installed
            continue
        framework = r["case"].split(":")[0]
        runs.setdefault((r["model"], r["threads"]), {})[framework] = {
            **r["train"], "load": f"{fmt(r['load_start'])}→{fmt(r['load_end'])}"}
    for (model, threads), by_framework in runs.items():
        torch = by_framework.get("torch")
        for name, t in by_framework.items():
            label = FRAMEWORK_LABELS.get(name, name)
            vs_torch = "—" if torch is None else f"{t['seconds'] / torch['seconds']:.2f}"
            rows.append([model, label, threads, f"{t['accuracy']:.1%}", fmt(t["seconds"]),
                         fmt(t["first_steps_s"]), vs_torch, fmt(t["final_loss"]), fmt(t["imports_mb"]),
                         fmt(t["peak_mb"]), fmt(t["growth_mb"]), t["load"]])
        if torch is None:
            continue
        eager = by_framework["glassnet"]
        ratio = eager["peak_mb"] / torch["peak_mb"]
        best = min((k for k in ("compiled", "numba") if k in by_framework),
                   key=lambda k: by_framework[k]["seconds"])
        time_ratio = by_framework[best]["seconds"] / torch["seconds"]
        cold = by_framework.get("numba_cold")
        cold_note = "" if cold is None else f"; numba, cold cache: {cold['seconds'] / torch['seconds']:.2f}"
        by_hand = by_framework.get("numpy")
        if by_hand is not None:
            cold_note += f"; NumPy by hand: {by_hand['seconds'] / torch['seconds']:.2f}"
        verdicts.append(f"- {model}, {threads} thread(s): wall time gn.compile / PyTorch = "
                        f"{time_ratio:.2f} ({FRAMEWORK_LABELS[best]}{cold_note}) — "
                        f"{_verdict(time_ratio, COMPILED_TRAIN_GOAL)} (goal ≤ {COMPILED_TRAIN_GOAL}; eager "
                        f"{eager['seconds'] / torch['seconds']:.2f}); peak RSS glassnet / PyTorch = "
                        f"{ratio:.2f} — {_verdict(ratio, MEMORY_GOAL)} (goal ≤ {MEMORY_GOAL})")
    table = markdown_table(["model", "framework", "threads", "test accuracy", "wall s", "first 2 steps s",
                            "/ PyTorch",
                            "last batch loss", "RSS after imports MB", "peak RSS MB", "growth MB",
                            "load start→end"], rows)
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
        "thread all five are interleaved; with 2, glassnet, gn.compile, its reference tier and NumPy are "
        "interleaved and "
        "PyTorch runs in its own group right after (its idle OpenMP threads spin and would "
        "slow the NumPy calls next to them), so glassnet / PyTorch is a ratio of medians "
        "there. † marks p90 > 1.25 × p10. *Reference tier*: the same glassnet step under "
        "`gn.kernels.use(\"reference\")` (every fast kernel off); the speed-up is what the kernels buy. "
        "Before timing, one step of each from the same weights is checked: losses agree "
        "and the updated weights differ by at most the last column.",
        step_verdicts,
        f"### MNIST-1D logistic 40→10 and MLP 40-100-100-10, {TRAIN_STEPS:,} Adam steps (lr 0.01), batch 100",
        train_table,
        "Each row is a fresh process. *RSS after imports*: peak resident memory once NumPy and "
        "the framework are imported (the PyTorch and NumPy processes never import glassnet); *growth*: "
        "the rise of the peak over that baseline through data loading, training and testing. "
        "All start from the same initial weights and see the same batches. *Wall s* runs from before "
        "`gn.compile(step)` to the end of testing: gn.compile's capture (the first step), its import of "
        "numba and numba's compile (cold cache) or loading (warm cache) of its kernels are inside, as "
        "*first 2 steps s* shows; the imports of the frameworks themselves (NumPy, glassnet, PyTorch) are "
        "not. *Cold cache*: numba's on-disk cache (`NUMBA_CACHE_DIR`, a temporary folder) emptied "
        "before the run; *warm cache*: the next run, which loads what the cold one compiled. *NumPy by "
        "hand*: the same model, softmax-cross-entropy gradient and Adam written out in NumPy, in place "
        "where it is natural (this script's `_numpy_mnist1d`).",
        train_verdicts,
    ] if p) + "\n"


def _numba_env(threads, cache):
    return {"NUMBA_NUM_THREADS": str(threads), "NUMBA_CACHE_DIR": str(cache)}


def _train_run(script, threads, framework, model, data, cache, extra):
    """One MNIST-1D training process; a cold numba run starts from an empty cache."""
    if framework == "numba_cold":
        shutil.rmtree(cache, ignore_errors=True)
    return run_worker(script, threads, ["--case", f"{framework}:{model}", "--data", data, *extra],
                      env=_numba_env(threads, cache))


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
        cache = Path(tmp) / "numba-cache"  # numba's on-disk cache: this run's own
        run_worker(script, 1, ["--case", "data", "--data", data])
        steps = [run_worker(script, t, extra, env=_numba_env(t, cache)) for t in threads]
        trains = [_train_run(script, t, f, m, data, cache, extra)
                  for t in threads for m in MNIST1D_MODELS for f in FRAMEWORKS]
    publish("train_mlp", render(steps, trains, args.quick), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
