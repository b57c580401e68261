"""Per-op speed: glassnet against hand-written NumPy and PyTorch (CPU), in one run.

Measures, for each BLAS thread count (default 1 and 2, each in a fresh subprocess):

1. large float32 matmul throughput (GFLOP/s), n = 256 … 2048, forward only;
2. small-op overhead: ``(2,2)@(2,3)`` and ``(32,40)@(40,100)`` in µs per call, with and
   without ``requires_grad`` inputs (graph recorded);
3. forward + backward of ``((x @ w + b).relu() ** 2).sum()`` with tiny x, w, b.

Goals checked (docs/benchmarks.md, "## ops"): matmul ≥ 0.97 × NumPy; small-op overhead
≤ 3 µs over raw NumPy and a per-call time below PyTorch eager's.

    python benchmarks/ops.py                 # full run (~2 min), rewrites the ops section
    python benchmarks/ops.py --quick         # smoke run (seconds), prints only
    python benchmarks/ops.py --threads 1 --output /tmp/b.md --json /tmp/b.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

from _common import (
    REPORT_PATH,
    add_host_allocator_flag,
    apply_host_allocator,
    choose_host_allocator,
    compare,
    cpu_model,
    fmt,
    load_average,
    load_warning,
    machine_markdown,
    markdown_table,
    noisy,
    now_utc,
    paired_ratio,
    run_worker,
    thread_counts,
    try_import_torch,
    update_report,
    worker_facts,
)

FULL = {
    "sizes": (256, 512, 1024, 2048),
    "matmul": {"budget_s": 2.0, "target_batch_s": 0.05, "min_repeats": 9},
    "small": {"budget_s": 0.6, "target_batch_s": 0.02, "min_repeats": 15},
}
QUICK = {
    "sizes": (64, 128),
    "matmul": {"budget_s": 0.01, "target_batch_s": 0.002, "min_repeats": 3,
               "warmup_s": 0.002},
    "small": {"budget_s": 0.01, "target_batch_s": 0.002, "min_repeats": 3,
              "warmup_s": 0.002},
}
SMALL_SHAPES = (((2, 2), (2, 3)), ((32, 40), (40, 100)))
EXPRESSION = "((x @ w + b).relu() ** 2).sum()"
MATMUL_GOAL = 0.97
OVERHEAD_GOAL_US = 3.0


# -- worker: runs in a subprocess with the thread variables already set ----------------


def worker(threads, quick, json_out):
    import numpy as np

    import glassnet as gn

    torch = try_import_torch(threads)
    cfg = QUICK if quick else FULL
    result = {"threads": threads, "facts": worker_facts(torch)}
    _progress(threads, "large matmul")
    result["matmul"] = bench_matmul(np, gn, torch, cfg["sizes"], cfg["matmul"])
    _progress(threads, "small-op overhead")
    result["small"] = bench_small(np, gn, torch, cfg["small"])
    _progress(threads, "forward + backward")
    result["fwdbwd"] = bench_fwdbwd(np, gn, torch, cfg["small"])
    result["load_end"] = load_average()
    Path(json_out).write_text(json.dumps(result))


def _progress(threads, what):
    print(f"[ops, {threads} thread(s)] {what} …", file=sys.stderr, flush=True)


def bench_matmul(np, gn, torch, sizes, timing):
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        ns = {"np": np, "a": a, "b": b, "ga": gn.from_numpy(a), "gb": gn.from_numpy(b)}
        groups = [{"glassnet": ("ga @ gb", ns), "numpy": ("np.matmul(a, b)", ns)}]
        if torch is not None:
            ns.update(torch=torch, ta=torch.from_numpy(a), tb=torch.from_numpy(b))
            groups.append({"torch": ("torch.mm(ta, tb)", ns)})
        _check_close(np, (ns["ga"] @ ns["gb"]).numpy(), a @ b, f"matmul n={n}")
        rows.append({"n": n, **compare_groups(groups, timing)})
    return rows


def bench_small(np, gn, torch, timing):
    rows = []
    for shape_a, shape_b in SMALL_SHAPES:
        rng = np.random.default_rng(0)
        a = rng.standard_normal(shape_a, dtype=np.float32)
        b = rng.standard_normal(shape_b, dtype=np.float32)
        for grad in (False, True):
            ns = {"a": a, "b": b,
                  "ga": gn.tensor(a, requires_grad=grad), "gb": gn.tensor(b, requires_grad=grad)}
            groups = [{"numpy": ("a @ b", ns), "glassnet": ("ga @ gb", ns)}]
            if torch is not None:
                ta = torch.from_numpy(a.copy()).requires_grad_(grad)
                tb = torch.from_numpy(b.copy()).requires_grad_(grad)
                ns.update(torch=torch, ta=ta, tb=tb)
                groups.append({"torch @": ("ta @ tb", ns), "torch.mm": ("torch.mm(ta, tb)", ns)})
            assert (ns["ga"] @ ns["gb"]).requires_grad == grad
            stats = compare_groups(groups, timing)
            rows.append({"op": f"{shape_a} @ {shape_b}", "grad": grad, **stats})
    return rows


def bench_fwdbwd(np, gn, torch, timing):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3), dtype=np.float32)
    w = rng.standard_normal((3, 5), dtype=np.float32)
    b = rng.standard_normal((5,), dtype=np.float32)
    numpy_step = _numpy_step(np, x, w, b)
    steps = {"numpy": (numpy_step, numpy_step), "glassnet": _framework_step(gn, x, w, b)}
    if torch is not None:
        steps["torch"] = _framework_step(torch, x, w, b)
    reference = numpy_step()
    for label, (_, checked) in steps.items():
        for got, want in zip(checked(), reference, strict=True):
            _check_close(np, got, want, f"{label} forward+backward")
    ours = {k: ("step()", {"step": steps[k][0]}) for k in ("numpy", "glassnet")}
    groups = [ours] + ([{"torch": ("step()", {"step": steps["torch"][0]})}] if torch else [])
    return compare_groups(groups, timing)


def compare_groups(groups, timing):
    """Time each group of cases with :func:`compare` (interleaved within a group), one
    group after another. glassnet and NumPy share one group (same BLAS, so what one
    leaves behind hits the other alike); PyTorch gets its own, because its idle OpenMP
    threads spin and would slow whichever NumPy call follows them (and OpenBLAS's idle
    threads slow PyTorch the same way)."""
    stats = {}
    for cases in groups:
        stats.update(compare(cases, **timing))
    return stats


def _numpy_step(np, x, w, b):
    """Forward and backward of the expression by hand; returns (loss, dx, dw, db)."""

    def step():
        z = x @ w + b
        h = np.maximum(z, 0)
        loss = (h**2).sum()
        dz = (2 * h) * (z > 0)
        return loss, dz @ w.T, x.T @ dz, dz.sum(axis=0)

    return step


def _framework_step(lib, x, w, b):
    """One training-style iteration with glassnet or PyTorch (same API): clear the
    gradients, build the graph, backward. Returns the timed step and a checking step
    that gives (loss, dx, dw, db) as NumPy arrays."""
    tx, tw, tb = (lib.tensor(v.copy(), requires_grad=True) for v in (x, w, b))

    def step():
        tx.grad = tw.grad = tb.grad = None
        loss = ((tx @ tw + tb).relu() ** 2).sum()
        loss.backward()
        return loss, tx.grad, tw.grad, tb.grad

    def checked():
        return tuple(t.detach().numpy() for t in step())

    return step, checked


def _check_close(np, got, want, what):
    if not np.allclose(np.asarray(got), np.asarray(want), rtol=1e-3, atol=1e-3):
        raise AssertionError(f"{what}: results differ from NumPy; benchmark aborted")


# -- parent: runs the workers, renders markdown ----------------------------------------


def render(results, elapsed_s, quick):
    threads = ", ".join(str(r["threads"]) for r in results)
    facts = results[0]["facts"]
    kernel = ", ".join(f"{b['prefix']} `{b['architecture']}`" for b in facts["blas"]
                       if b.get("internal_api") == "openblas") or "unknown"
    loads = ", ".join(f"{_load(r['facts'].get('load_start'))}→{_load(r.get('load_end'))}"
                      for r in results)
    warning = load_warning(results)
    parts = [
        "## ops",
        "",
        f"_Measured {now_utc()} on {cpu_model()}, BLAS threads {threads}; NumPy BLAS "
        f"{kernel}; whole run {elapsed_s:.0f} s; 1-minute load average at start→end of "
        f"each thread setting: {loads}"
        + (" — QUICK SMOKE RUN, numbers are not meaningful_" if quick else "_"),
        "",
        *([warning, ""] if warning else []),
        "### Goals",
        "",
        *[f"- {line}" for line in verdicts(results)],
        "",
        render_matmul(results),
        "",
        render_small(results),
        "",
        render_fwdbwd(results),
    ]
    return "\n".join(parts)


def _load(value):
    return "?" if value is None else f"{value:.1f}"


def _gflops(n, stats):
    return 2 * n**3 / stats["median"] / 1e9 if stats else None


def _us(stats):
    return None if stats is None else stats["median"] * 1e6


def _us_spread(stats):
    if stats is None:
        return "—"
    mark = " †" if noisy(stats) else ""
    return (f"{fmt(stats['median'] * 1e6)} ({fmt(stats['p10'] * 1e6)}–"
            f"{fmt(stats['p90'] * 1e6)}){mark}")


def _best_torch(row):
    found = [row[k] for k in ("torch @", "torch.mm", "torch") if k in row]
    return min(found, key=lambda s: s["median"]) if found else None


def _matmul_rows(results):
    for r in results:
        for row in r["matmul"]:
            yield r["threads"], row


def _small_rows(results):
    for r in results:
        for row in r["small"]:
            yield r["threads"], row


def render_matmul(results):
    rows = []
    for threads, row in _matmul_rows(results):
        n = row["n"]
        mark = " †" if noisy(row["glassnet"]) or noisy(row["numpy"]) else ""
        rows.append([n, threads, fmt(_gflops(n, row["glassnet"])), fmt(_gflops(n, row["numpy"])),
                     fmt(_gflops(n, row.get("torch"))), f"{_matmul_ratio(row):.3f}{mark}",
                     _ms(row["glassnet"]), _ms(row["numpy"])])
    table = markdown_table(
        ["n", "threads", "glassnet GFLOP/s", "NumPy GFLOP/s", "PyTorch GFLOP/s",
         "glassnet / NumPy", "glassnet ms (p10–p90)", "NumPy ms (p10–p90)"], rows)
    return ("### 1. Large matmul, float32, forward only\n\n"
            "`a @ b` (glassnet tensors, no grad) vs `np.matmul(a, b)` vs `torch.mm(a, b)`, "
            "square n×n; GFLOP/s = 2n³ / median time. glassnet / NumPy is the median over "
            "repeats of the ratio of two batches timed back to back (robust to slow phases "
            "of a shared machine); † marks a case whose p90 exceeds its p10 by over 25 % "
            "(the machine was disturbed while it ran). PyTorch runs in its own phase: its "
            "idle OpenMP threads spin and would slow the NumPy calls that follow.\n\n" + table)


def _matmul_ratio(row):
    """glassnet's throughput as a fraction of NumPy's (1.0 = same speed)."""
    return paired_ratio(row["numpy"], row["glassnet"])


def _ms(stats):
    mark = " †" if noisy(stats) else ""
    return (f"{fmt(stats['median'] * 1e3)} ({fmt(stats['p10'] * 1e3)}–"
            f"{fmt(stats['p90'] * 1e3)}){mark}")


def render_small(results):
    rows = []
    for threads, row in _small_rows(results):
        best = _best_torch(row)
        ratio = None if best is None else row["glassnet"]["median"] / best["median"]
        rows.append([f"`{row['op']}`", "yes" if row["grad"] else "no", threads,
                     _us_spread(row["numpy"]), _us_spread(row["glassnet"]),
                     f"{_overhead_us(row):+.2f}", _us_spread(row.get("torch @")),
                     _us_spread(row.get("torch.mm")), fmt(ratio)])
    table = markdown_table(
        ["op", "requires_grad", "threads", "NumPy µs", "glassnet µs", "glassnet − NumPy µs",
         "PyTorch `@` µs", "`torch.mm` µs", "glassnet / best PyTorch"], rows)
    return ("### 2. Small-op overhead, forward, µs per call\n\n"
            "Median (p10–p90) per call of `a @ b` on each side; with requires_grad the "
            "graph is recorded (and freed) on every call. glassnet − NumPy is the "
            "difference of medians; † marks p90 > 1.25 × p10.\n\n" + table)


def _overhead_us(row):
    return (row["glassnet"]["median"] - row["numpy"]["median"]) * 1e6


def render_fwdbwd(results):
    rows = []
    for r in results:
        s = r["fwdbwd"]
        torch = s.get("torch")
        ratio = None if torch is None else s["glassnet"]["median"] / torch["median"]
        rows.append([r["threads"], _us_spread(s["numpy"]), _us_spread(s["glassnet"]),
                     _us_spread(torch), fmt(ratio),
                     f"{(s['glassnet']['median'] - s['numpy']['median']) * 1e6:+.1f}"])
    table = markdown_table(
        ["threads", "NumPy by hand µs", "glassnet µs", "PyTorch µs", "glassnet / PyTorch",
         "glassnet − NumPy µs"], rows)
    return ("### 3. Forward + backward of a tiny expression, µs per iteration\n\n"
            f"`loss = {EXPRESSION}` with x (4, 3), w (3, 5), b (5,) requiring grad; one "
            "iteration = clear grads, forward, `loss.backward()` (5 ops forward, 5 "
            "backward). NumPy by hand computes the same loss and dx, dw, db; all three "
            "are checked equal before timing.\n\n" + table)


def verdicts(results):
    lines = []
    mm = [(_matmul_ratio(row), row["n"], t) for t, row in _matmul_rows(results)]
    worst, n, t = min(mm)
    met = "met" if worst >= MATMUL_GOAL else "**not met**"
    lines.append(f"Large matmul ≥ {MATMUL_GOAL} × NumPy: {met} — worst glassnet/NumPy ratio "
                 f"{worst:.3f} (n={n}, {t} thread(s)); best {max(mm)[0]:.3f}")
    small = list(_small_rows(results))
    over, t, row = max((_overhead_us(row), t, row) for t, row in small)
    met = "met" if over <= OVERHEAD_GOAL_US else "**not met**"
    lines.append(f"Small-op overhead ≤ {OVERHEAD_GOAL_US:g} µs over NumPy: {met} — worst "
                 f"{over:+.2f} µs (`{row['op']}`, requires_grad={row['grad']}, {t} thread(s))")
    lines.append(_torch_verdict(small))
    lines.append(_fwdbwd_verdict(results))
    return lines


def _torch_verdict(small):
    ratios = [(row["glassnet"]["median"] / _best_torch(row)["median"], t, row)
              for t, row in small if _best_torch(row) is not None]
    if not ratios:
        return "Small-op time below PyTorch eager: not measured (PyTorch not installed)"
    worst, t, row = max(ratios, key=lambda x: x[0])
    met = "met" if worst < 1 else "**not met**"
    won = sum(r < 1 for r, _, _ in ratios)
    return (f"Small-op per-call time below PyTorch eager (fastest of `@` / `torch.mm`): {met} "
            f"— glassnet faster in {won} of {len(ratios)} cases; worst glassnet/PyTorch "
            f"{worst:.2f}× (`{row['op']}`, requires_grad={row['grad']}, {t} thread(s): "
            f"{fmt(_us(row['glassnet']))} µs vs {fmt(_us(_best_torch(row)))} µs)")


def _fwdbwd_verdict(results):
    parts = []
    for r in results:
        s = r["fwdbwd"]
        if "torch" in s:
            parts.append(f"{s['glassnet']['median'] / s['torch']['median']:.2f}× PyTorch at "
                         f"{r['threads']} thread(s)")
    shown = "; ".join(parts) or "PyTorch not installed"
    return f"Forward + backward (reference, no set goal): glassnet {shown}"


# -- command line ----------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: tiny sizes and repeats; prints only unless --output")
    p.add_argument("--threads", type=thread_counts, default="1,2", help="BLAS thread counts, comma-separated")
    p.add_argument("--output", type=Path, default=None,
                   help=f"report to update (default {REPORT_PATH} for a full run)")
    p.add_argument("--no-write", action="store_true", help="print only, write no report")
    p.add_argument("--json", type=Path, default=None, help="also dump raw results as JSON")
    add_host_allocator_flag(p)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json-out", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        apply_host_allocator()
        worker(args.threads[0], args.quick, args.json_out)
        return 0
    choose_host_allocator(args.host_allocator)
    start = time.perf_counter()
    extra = ["--quick"] if args.quick else []
    results = [run_worker(Path(__file__), t, extra) for t in args.threads]
    section = render(results, time.perf_counter() - start, args.quick)
    print(section)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    output = args.output or (None if args.quick else REPORT_PATH)
    if output and not args.no_write:
        machine = "## Machine\n\n" + machine_markdown(results[0]["facts"])
        update_report({"machine": machine, "ops": section}, output)
        print(f"\nwrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
