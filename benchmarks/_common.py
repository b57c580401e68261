"""Shared helpers for glassnet's benchmarks: thread settings, timing, machine facts, and
the markdown report in docs/benchmarks.md.

Every benchmark script follows one shape:

* the parent process (``python benchmarks/NAME.py``) starts one fresh worker subprocess
  per BLAS thread count (``--threads``, default 1 and 2: every report shows both) with
  :func:`run_worker`, or per thread count and case with :func:`run_cases`, because
  OpenBLAS/MKL/OpenMP read their thread variables when NumPy and PyTorch are first
  imported;
* the worker times glassnet, hand-written NumPy and PyTorch side by side with
  :func:`compare` (interleaved batches, medians) and hands back JSON; glassnet's step is
  also timed under its reference tier (:func:`under_reference_tier`) where the report
  shows what the kernels buy;
* every worker, of every framework, runs with the same host allocator: the C library's
  defaults unless ``--host-allocator tuned`` asks for glassnet's opt-in
  (:func:`choose_host_allocator` in the parent, :func:`apply_host_allocator` in the
  worker);
* the parent renders markdown (a ``threads`` column, one goal line per thread count:
  :func:`goal_lines`) and rewrites only its own section of docs/benchmarks.md
  with :func:`update_report` (sections live between ``<!-- bench:begin NAME -->`` and
  ``<!-- bench:end NAME -->`` markers; the file is written atomically).

This module imports neither NumPy nor PyTorch at import time, so the parent can use it
before any thread variable is set.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

__all__ = [
    "HOST_ALLOCATOR_CHOICES",
    "HOST_ALLOCATOR_VAR",
    "REPO_ROOT",
    "REPORT_PATH",
    "THREAD_VARS",
    "UNSET_VARS",
    "add_host_allocator_flag",
    "apply_host_allocator",
    "bench_parser",
    "choose_host_allocator",
    "compare",
    "cpu_model",
    "fmt",
    "goal_lines",
    "load_average",
    "load_span",
    "load_warning",
    "machine_markdown",
    "markdown_table",
    "noisy",
    "now_utc",
    "paired_ratio",
    "parse_bench_args",
    "peak_mb",
    "publish",
    "run_cases",
    "run_worker",
    "set_torch_threads",
    "TWO_THREADS_NOTE",
    "thread_counts",
    "thread_env",
    "threads_label",
    "try_import_torch",
    "under_reference_tier",
    "update_report",
    "verdict",
    "worker_facts",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
REPORT_PATH = REPO_ROOT / "docs" / "benchmarks.md"

# Read by OpenMP (PyTorch's intra-op pool), OpenBLAS (NumPy) and MKL (PyTorch's BLAS).
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Kernel overrides some machines set; they slow NumPy's OpenBLAS, so benchmark workers run
# without them (tests and CI leave them alone). threadpoolctl records the kernel in use.
UNSET_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# glassnet's host-allocator opt-in (glassnet._allocator); the parent sets it for every worker.
HOST_ALLOCATOR_VAR = "GLASSNET_HOST_ALLOCATOR"
HOST_ALLOCATOR_CHOICES = ("system", "tuned")

# -- processes and threads ------------------------------------------------------------


def thread_env(threads, base=None):
    """A copy of the environment with every BLAS/OpenMP thread count set to ``threads``
    and the OpenBLAS kernel overrides removed."""
    env = dict(os.environ if base is None else base)
    for var in THREAD_VARS:
        env[var] = str(threads)
    for var in UNSET_VARS:
        env.pop(var, None)
    src = str(REPO_ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def run_worker(script, threads, extra_args=(), env=None):
    """Run ``script --worker`` in a fresh interpreter with ``threads`` BLAS threads (and
    the variables in ``env`` set on top) and return the JSON it writes. The worker's
    stderr (progress lines) passes through."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(script), "--worker", "--threads", str(threads),
               "--json-out", str(out), *extra_args]
        subprocess.run(cmd, env={**thread_env(threads), **(env or {})}, check=True, cwd=REPO_ROOT)
        return json.loads(out.read_text())


def thread_counts(text):
    """The ``--threads`` value: comma-separated BLAS thread counts, ``"1,2"`` → ``(1, 2)``
    (repeats dropped, order kept)."""
    try:
        counts = tuple(dict.fromkeys(int(t) for t in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if min(counts) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be at least 1, got {text!r}")
    return counts


def bench_parser(doc, quick_help="smoke run, prints only"):
    """The command line every benchmark script shares: ``--quick``, ``--threads 1,2``,
    ``--output PATH`` and the hidden worker flags ``--worker``, ``--case``, ``--json-out``
    (set by :func:`run_worker`). ``doc`` is the script's docstring; its first paragraph
    becomes the description. Scripts add their own flags to the returned parser and
    parse with :func:`parse_bench_args`."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=quick_help)
    p.add_argument("--threads", type=thread_counts, default="1,2",
                   help="comma-separated BLAS/OpenMP thread counts, each run in fresh worker "
                        "processes (default %(default)s)")
    p.add_argument("--output", type=Path, default=None, help=f"report path (default {REPORT_PATH})")
    add_host_allocator_flag(p)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--json-out", help=argparse.SUPPRESS)
    return p


def parse_bench_args(parser, argv=None):
    """Parse a :func:`bench_parser` command line. In the parent ``args.threads`` is the
    tuple of thread counts; in a worker (``--worker``, started by :func:`run_worker` with
    one count) it is that single count, an int. The parent passes ``--host-allocator`` on
    to its workers (:func:`choose_host_allocator`); a worker applies it before anything
    else (:func:`apply_host_allocator`)."""
    args = parser.parse_args(argv)
    if args.worker:
        if len(args.threads) != 1:
            parser.error("a --worker runs with exactly one --threads count")
        args.threads = args.threads[0]
        apply_host_allocator()
    else:
        choose_host_allocator(args.host_allocator)
    return args


def add_host_allocator_flag(parser):
    """``--host-allocator system|tuned``: the malloc settings of every worker, of every
    framework alike (default: the C library's own)."""
    parser.add_argument("--host-allocator", choices=HOST_ALLOCATOR_CHOICES, default="system",
                        help="malloc settings in every worker process, for every framework alike: "
                             "'system' = the C library's defaults (default), 'tuned' = glassnet's "
                             "opt-in gn.backend.tune_host_allocator(); the host_allocator benchmark "
                             "measures the difference")


def choose_host_allocator(choice):
    """In the parent: set ``GLASSNET_HOST_ALLOCATOR`` to ``choice`` in this process's
    environment, which every worker inherits (glassnet reads it at import, and
    :func:`apply_host_allocator` in workers that never import glassnet). ``"system"`` is
    set explicitly, so a ``tuned`` left in the shell does not leak into one side only."""
    if choice not in HOST_ALLOCATOR_CHOICES:
        raise ValueError(f"host allocator: got {choice!r}, expected one of {HOST_ALLOCATOR_CHOICES}")
    os.environ[HOST_ALLOCATOR_VAR] = choice


def apply_host_allocator():
    """In a worker, before NumPy or PyTorch allocate: tune malloc as glassnet's opt-in
    does when the parent chose ``tuned``, also in processes that never import glassnet (a
    PyTorch-only worker), so every framework runs with the same settings. glassnet's own
    import applies the same variable again (the same two ``mallopt`` calls). Returns what
    was applied, ``{"tuned": bool, "reason": str}``."""
    if os.environ.get(HOST_ALLOCATOR_VAR, "").strip().lower() != "tuned":
        return {"tuned": False, "reason": "C library defaults"}
    import importlib.util  # glassnet's module by its path: the package itself is not imported

    path = REPO_ROOT / "src" / "glassnet" / "_allocator.py"
    spec = importlib.util.spec_from_file_location("_glassnet_allocator_copy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.tune_host_allocator()
    return module.host_allocator()


def run_cases(script, args, cases):
    """Run ``script --worker --case CASE`` for every thread count in ``args.threads`` and
    every case (count by count, cases in order, each in a fresh interpreter with that many
    BLAS threads, passing ``--quick`` on). Return ``{threads: [JSON result of each case]}``
    in the order of ``args.threads``."""
    extra = ["--quick"] if args.quick else []
    return {threads: [run_worker(Path(script), threads, ["--case", case, *extra]) for case in cases]
            for threads in args.threads}


def publish(name, section, args):
    """Print a rendered report section; unless ``args.quick``, also write it as section
    ``name`` of the report at ``args.output`` (default :data:`REPORT_PATH`)."""
    print(section)
    if not args.quick:
        update_report({name: section}, args.output or REPORT_PATH)


def peak_mb():
    """This process's peak resident memory so far, in MiB (``ru_maxrss``, KiB on Linux).
    Each benchmark case runs in its own worker process, so the growth of this value over a
    run is that run's peak memory."""
    import resource  # POSIX only: imported here so the parent stays importable elsewhere

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def under_reference_tier(gn, step):
    """``step`` run under glassnet's reference tier (``gn.kernels.use("reference")``: no
    fast kernel), for a column that shows what the kernels buy. Switching the tier is a
    few dict operations per call."""

    def reference_step():
        with gn.kernels.use("reference"):
            return step()

    return reference_step


def try_import_torch(threads):
    """PyTorch with ``threads`` intra-op threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    set_torch_threads(torch, threads)
    return torch


def set_torch_threads(torch, threads):
    torch.set_num_threads(threads)


# -- timing ---------------------------------------------------------------------------


def compare(cases, *, budget_s=0.6, target_batch_s=0.02, min_repeats=7, max_repeats=60,
            warmup_s=0.05):
    """Time several statements side by side; return ``{label: stats}`` (seconds per call).

    ``cases`` maps a label to ``(stmt, namespace)``; ``stmt`` is Python source timed
    inline by :mod:`timeit` (no per-call lambda). Each case is warmed up, then calibrated
    so that one batch lasts about ``target_batch_s``; then batches of all cases run
    interleaved in rotating order, so clock drift and noisy neighbours hit every case
    alike. The garbage collector stays on, as in real use. ``stats`` holds ``median``,
    ``p10``, ``p90`` (of per-call times over batches), ``repeats``, ``number`` and
    ``samples`` (per-call time of each batch, in repeat order: sample ``r`` of two cases
    ran next to each other, so :func:`paired_ratio` can compare them pair by pair).
    """
    timers = {label: _timer(stmt, ns) for label, (stmt, ns) in cases.items()}
    calibrated = {label: _calibrate(t, target_batch_s, warmup_s) for label, t in timers.items()}
    numbers = {label: number for label, (number, _) in calibrated.items()}
    batch_s = max(number * per_call for number, per_call in calibrated.values())
    repeats = int(min(max_repeats, max(min_repeats, budget_s / batch_s)))
    samples = {label: [] for label in timers}
    labels = list(timers)
    for r in range(repeats):
        for label in labels[r % len(labels):] + labels[: r % len(labels)]:
            number = numbers[label]
            samples[label].append(timers[label].timeit(number) / number)
    return {label: _stats(s, repeats, numbers[label]) for label, s in samples.items()}


def _timer(stmt, namespace):
    return timeit.Timer(stmt, setup="import gc; gc.enable()", timer=time.perf_counter,
                        globals=dict(namespace))


def _calibrate(timer, target_batch_s, warmup_s):
    """Warm up for ``warmup_s``; return (calls per batch, estimated seconds per call)."""
    deadline = time.perf_counter() + warmup_s
    timer.timeit(1)
    while time.perf_counter() < deadline:
        timer.timeit(1)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= target_batch_s / 4 or number >= 1 << 24:
            break
        number *= 4
    per_call = elapsed / number
    return max(1, round(target_batch_s / per_call)), per_call


def _stats(samples, repeats, number):
    deciles = statistics.quantiles(samples, n=10, method="inclusive")
    return {
        "median": statistics.median(samples),
        "p10": deciles[0],
        "p90": deciles[-1],
        "repeats": repeats,
        "number": number,
        "samples": list(samples),
    }


def paired_ratio(num, den):
    """Median over repeats of ``num[r] / den[r]`` for two cases timed by one
    :func:`compare` call: robust to slow phases of the machine, which hit both batches
    of a pair alike."""
    return statistics.median(a / b for a, b in zip(num["samples"], den["samples"], strict=True))


def noisy(stats, limit=1.25):
    """True when the p90/p10 spread of a case exceeds ``limit`` (a disturbed run)."""
    return stats["p90"] > limit * stats["p10"]


# -- machine facts --------------------------------------------------------------------


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def worker_facts(torch=None):
    """What a worker sees: versions, BLAS libraries (threadpoolctl) and thread counts.
    Call it after NumPy (and PyTorch) are imported."""
    import numpy as np

    facts = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "torch_blas": None if torch is None else _torch_blas(torch),
        "thread_vars": {v: os.environ.get(v) for v in THREAD_VARS + UNSET_VARS},
        "blas": _threadpool_info(),
        "load_start": load_average(),
    }
    try:
        import glassnet
        from glassnet.backend import host_allocator

        facts["glassnet"] = glassnet.__version__
        facts["host_allocator"] = host_allocator()
    except (ImportError, AttributeError):
        facts["glassnet"] = None
    return facts


def load_average():
    """The 1-minute load average (None where the OS has none): other processes running
    during a benchmark show here, and disturb its numbers."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def load_warning(results):
    """A warning line when the load seen by any worker (``facts['load_start']`` and
    ``load_end``) exceeded what the worker itself accounts for, or None."""
    worst = max(((max(r["facts"].get("load_start") or 0, r.get("load_end") or 0),
                  r["threads"]) for r in results), default=(0, 0))
    load, threads = worst
    if load <= threads + 0.75:
        return None
    return (f"⚠ Other processes were running (1-minute load average up to {load:.1f} on "
            f"{os.cpu_count()} CPUs during the {threads}-thread run): numbers marked † are "
            "disturbed; rerun on an idle machine for clean ones.")


def _threadpool_info():
    try:
        import threadpoolctl
    except ImportError:
        return []
    keep = ("internal_api", "prefix", "version", "architecture", "threading_layer",
            "num_threads")
    return [{k: info.get(k) for k in keep} for info in threadpoolctl.threadpool_info()]


def _torch_blas(torch):
    config = torch.__config__.show()
    for part in config.replace("\n", ",").split(","):
        if "BLAS_INFO=" in part:
            return part.split("=", 1)[1].strip()
    return "unknown"


def machine_markdown(facts, parent_env=None):
    """The "Machine" block of the report, from one worker's :func:`worker_facts`."""
    parent_env = os.environ if parent_env is None else parent_env
    flags = _cpu_flags()
    simd = [f for f in ("avx2", "avx512f", "amx_tile") if f in flags]
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    lines = [
        f"- CPU: {cpu_model()} — {os.cpu_count()} logical CPUs ({usable} usable)"
        + (f", SIMD: {', '.join(simd)}" if simd else ""),
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {facts['python']}, NumPy {facts['numpy']}, "
        f"PyTorch {facts['torch'] or 'not installed'}, glassnet {facts.get('glassnet')}",
    ]
    for lib in facts["blas"]:
        if lib.get("internal_api") == "openblas":
            lines.append(
                f"- NumPy BLAS: {lib['prefix']} {lib['version']} (OpenBLAS), kernel "
                f"`{lib['architecture']}`, threading {lib['threading_layer']}"
            )
        elif lib.get("internal_api") in ("mkl", "blis"):
            lines.append(f"- BLAS: {lib['internal_api']} {lib['version']}")
    if facts["torch"]:
        lines.append(f"- PyTorch BLAS: {facts['torch_blas']} (intra-op threads via OpenMP)")
    allocator = facts.get("host_allocator")
    if allocator:
        tuned = ("glassnet's opt-in (`--host-allocator tuned`: glibc's mmap/trim thresholds raised, "
                 "freed blocks ≤ 32 MiB reused), applied in every worker, PyTorch's and NumPy's too")
        plain = ("the C library's defaults in every worker, for every framework (glassnet's opt-in "
                 "`gn.backend.tune_host_allocator()` is measured in its own section, host_allocator)")
        lines.append("- Host allocator: " + (tuned if allocator["tuned"] else plain))
    seen = {v: parent_env.get(v) for v in UNSET_VARS if parent_env.get(v) is not None}
    shown = ", ".join(f"`{k}={v}`" for k, v in seen.items()) or "neither was set"
    lines.append(
        f"- `{'`, `'.join(UNSET_VARS)}` are removed in the benchmark subprocesses "
        f"(here: {shown}); tests and CI leave them alone"
    )
    lines.append(f"- Date: {now_utc()}")
    return "\n".join(lines)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# -- markdown -------------------------------------------------------------------------


def fmt(value, digits=3):
    """A number with ``digits`` significant figures, '—' for None."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return f"{value:.{digits}g}" if abs(value) < 10 ** digits else f"{value:.0f}"


TWO_THREADS_NOTE = (  # printed under the goals of a run that includes more than one thread
    "With 2 threads only glassnet's GEMMs (OpenBLAS) use the second core: NumPy's ufuncs, copies "
    "and strided adds run on one, while PyTorch's OpenMP kernels parallelise those too. Splitting "
    "each op's batch across two Python threads was measured on a 2-core Xeon VM (2026-11-30) and did "
    "not pay, so it was not kept: an LSTM scan step went from 26–30 to 29–35 ms (~20 small NumPy "
    "calls per time step contend for the GIL), MaxPool2d forward from 2.97 to 2.63 ms but the "
    "32→64 conv's backward from 7.7 to 9.3 ms, an ALS fit from 0.54–0.63 to 0.63–0.67 s. Running "
    "the whole forward + backward of each half-batch in its own thread (a thread-sharded "
    "`nn.DataParallel`) was removed too: against the same model unwrapped it paid 0.84–1.18× on "
    "the 2-D conv stack and lost on the MNIST-1D CNN and the LSTM, below the 1.2× kept as the bar; "
    "`nn.DataParallel` now just calls the module, as PyTorch's does without GPUs.")


def threads_label(threads):
    """'1 thread', '2 threads'."""
    return f"{threads} thread" + ("" if threads == 1 else "s")


def verdict(ok):
    """How a report states whether a goal was met."""
    return "met" if ok else "**not met**"


def goal_lines(worst, goal, what="step time", against="PyTorch"):
    """One markdown bullet per thread count for a "ratio ≤ goal" target; ``worst`` maps a
    thread count to its worst measured ratio, None where there was nothing to compare
    against: ``- 1 thread: step time ≤ 1.5 × PyTorch — met (worst 1.23×)``."""
    lines = []
    for threads, ratio in worst.items():
        outcome = (f"— ({against} not measured)" if ratio is None
                   else f"— {verdict(ratio <= goal)} (worst {ratio:.2f}×)")
        lines.append(f"- {threads_label(threads)}: {what} ≤ {goal:g} × {against} {outcome}")
    return "\n".join(lines)


def load_span(result):
    """'start→end' of the 1-minute load average one worker saw (its ``facts`` and
    ``load_end``)."""
    return f"{fmt(result['facts'].get('load_start'))}→{fmt(result.get('load_end'))}"


def markdown_table(headers, rows, align=None):
    """A GitHub markdown table; ``align`` is a string of 'l'/'r' per column (default:
    first column left, the rest right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


_TITLE = """# Benchmarks

glassnet against hand-written NumPy and PyTorch (CPU), measured side by side in one run on
the same machine. Numbers are medians of many timed batches (p10–p90 in brackets where
shown). Each BLAS thread setting runs in a fresh subprocess with `OMP_NUM_THREADS`,
`OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` and `torch.set_num_threads` all set to it.

Rerun:

```bash
python benchmarks/ops.py            # per-op speed: rewrites the "ops" section below
python benchmarks/ops.py --quick    # smoke run with tiny repeats, prints only (for CI)
python benchmarks/ops.py --threads 1,2,4 --output /tmp/bench.md
```

Each script rewrites only its own section of this file (between `bench:begin` /
`bench:end` markers); numbers from different sections may come from different runs, so
each section names its date and machine.
"""

_ORDER = ("title", "machine", "ops", "train_mlp")


def _markers(name):
    return f"<!-- bench:begin {name} -->", f"<!-- bench:end {name} -->"


def _parse_sections(text):
    """``{name: body}`` for every marked section of ``text``, in file order."""
    sections = {}
    pos = 0
    while True:
        start = text.find("<!-- bench:begin ", pos)
        if start < 0:
            return sections
        name = text[start + len("<!-- bench:begin "): text.index(" -->", start)]
        begin, end = _markers(name)
        stop = text.find(end, start)
        if stop < 0:
            raise ValueError(f"benchmark report: section {name!r} has no end marker {end}")
        sections[name] = text[start + len(begin): stop].strip("\n")
        pos = stop + len(end)


def update_report(sections, path=REPORT_PATH):
    """Replace (or add) the given ``{name: markdown}`` sections of the report at ``path``
    and keep every other section as it is. Known sections keep the order title, machine,
    ops, train_mlp; others follow. The file is replaced atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked_dir(path.parent):  # several benchmark scripts may finish at once
        current = _parse_sections(path.read_text()) if path.exists() else {}
        current.setdefault("title", _TITLE.strip("\n"))
        current.update({name: body.strip("\n") for name, body in sections.items()})
        names = [n for n in _ORDER if n in current] + [n for n in current if n not in _ORDER]
        blocks = []
        for name in names:
            begin, end = _markers(name)
            blocks.append(f"{begin}\n{current[name]}\n{end}")
        _atomic_write(path, "\n\n".join(blocks) + "\n")


@contextlib.contextmanager
def _locked_dir(directory):
    """Hold an exclusive flock on ``directory`` (POSIX) for a read-modify-replace of a
    file in it; the file itself cannot carry the lock, since os.replace swaps its inode."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock, the write itself stays atomic
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _atomic_write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
