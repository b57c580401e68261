"""Import time: what ``import glassnet`` adds on top of NumPy's own import, in fresh interpreters.

Two programs, each run ``REPEATS`` times in a fresh interpreter, interleaved (the order of
the pair alternates from round to round; one discarded run of each first warms the file
cache and writes the bytecode):

- ``import numpy`` alone;
- ``import numpy; import glassnet``.

Each program times its own imports with ``time.perf_counter`` (interpreter start-up is
not counted; the process's wall time is reported beside it). glassnet's addition is the
difference of the two medians; the second program also times ``import glassnet`` after
NumPy on its own, a paired estimate of the same thing. Goal (issue #15): ≤ 0.1 s over
NumPy — subpackages load on first use. One more run under ``python -X importtime`` lists
the ten glassnet modules with the largest cumulative import time, and how many glassnet
modules the import loads.

    python benchmarks/import_time.py            # rewrites the "import_time" section
    python benchmarks/import_time.py --quick    # 3 repeats, prints only
"""

import os
import statistics
import subprocess
import sys
import time

from _common import (
    HOST_ALLOCATOR_VAR,
    bench_parser,
    fmt,
    load_average,
    markdown_table,
    now_utc,
    parse_bench_args,
    publish,
    thread_env,
    threads_label,
    verdict,
)

GOAL_S = 0.1
REPEATS, QUICK_REPEATS = 10, 3
TOP = 10
_CLOCK = "import time; _t0 = time.perf_counter(); "
PROGRAMS = {
    "numpy": _CLOCK + "import numpy; print(time.perf_counter() - _t0)",
    "numpy + glassnet": _CLOCK + "import numpy; _t1 = time.perf_counter(); import glassnet; "
                                 "_t2 = time.perf_counter(); print(_t2 - _t0, _t2 - _t1)",
}


def _env(threads):
    """The benchmark environment (``thread_env``) without glassnet's own switches, so the
    import runs as a user's would by default."""
    env = thread_env(threads)
    for var in (HOST_ALLOCATOR_VAR, "GLASSNET_KERNELS"):
        env.pop(var, None)
    return env


def run_program(source, env):
    """Run ``python -c source`` in a fresh interpreter: (the numbers it prints, wall s)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", source], env=env, check=True, capture_output=True,
                         text=True).stdout
    return [float(v) for v in out.split()], time.perf_counter() - start


def time_imports(threads, repeats):
    """``{program: {"import": [s], "glassnet_after_numpy": [s], "wall": [s]}}`` over
    ``repeats`` interleaved rounds, after one discarded warm-up run of each."""
    env = _env(threads)
    for source in PROGRAMS.values():
        run_program(source, env)
    samples = {name: {"import": [], "glassnet_after_numpy": [], "wall": []} for name in PROGRAMS}
    names = list(PROGRAMS)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            printed, wall = run_program(PROGRAMS[name], env)
            samples[name]["import"].append(printed[0])
            samples[name]["glassnet_after_numpy"] += printed[1:]
            samples[name]["wall"].append(wall)
    return samples


def glassnet_modules(threads):
    """``python -X importtime -c "import numpy; import glassnet"``: every glassnet module's
    (name, self s, cumulative s), in import order."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import numpy; import glassnet"],
                         env=_env(threads), check=True, capture_output=True, text=True).stderr
    modules = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if name == "glassnet" or name.startswith("glassnet."):
            modules.append((name, int(own) / 1e6, int(cumulative) / 1e6))
    return modules


def _load_note(loads):
    """The load average seen before and after, and a warning when other processes ran."""
    seen = [v for v in loads if v is not None]
    if not seen:
        return "load average not available"
    note = f"1-minute load average {fmt(seen[0])}→{fmt(seen[-1])}"
    if max(seen) > 1.5:  # one interpreter at a time accounts for about 1
        note += (f" — ⚠ other processes were running ({os.cpu_count()} CPUs): the imports are slowed "
                 "by them; rerun on an idle machine for clean numbers")
    return note


def render(results, loads, quick):
    rows, goals, module_tables = [], [], []
    for threads, (samples, modules) in results.items():
        med = {name: {k: statistics.median(v) for k, v in s.items() if v} for name, s in samples.items()}
        added = med["numpy + glassnet"]["import"] - med["numpy"]["import"]
        paired = med["numpy + glassnet"]["glassnet_after_numpy"]
        for name, m in med.items():
            lo, hi = min(samples[name]["import"]), max(samples[name]["import"])
            rows.append([f"`import {name.replace(' + ', '; import ')}`", threads, fmt(m["import"]),
                         f"{fmt(lo)}–{fmt(hi)}", fmt(m["wall"]), len(samples[name]["import"])])
        goals.append(f"- {threads_label(threads)}: glassnet adds {added:.3f} s over NumPy (difference of "
                     f"medians; `import glassnet` timed after NumPy in the same process: {paired:.3f} s) "
                     f"— goal ≤ {GOAL_S} s {verdict(added <= GOAL_S)}")
        top = sorted(modules, key=lambda m: -m[2])[:TOP]
        module_tables.append(
            f"#### {threads_label(threads)}: {len(modules)} glassnet modules loaded; the {len(top)} "
            "slowest by cumulative time (`python -X importtime`, one run)\n\n"
            + markdown_table(["module", "cumulative ms", "self ms"],
                             [[f"`{n}`", fmt(c * 1e3), fmt(s * 1e3)] for n, s, c in top]))
    table = markdown_table(["program (fresh interpreter)", "threads", "import s, median", "min–max",
                            "process wall s, median", "runs"], rows)
    return (f"## import_time\n\n_Measured {now_utc()}; {_load_note(loads)}"
            + (" — QUICK SMOKE RUN_" if quick else "_") + f"\n\nGoal: `import glassnet` adds ≤ {GOAL_S} s "
            "to NumPy's own import (subpackages load on first use):\n\n" + "\n".join(goals) + "\n\n"
            + table + "\n\n*Import s*: measured inside the interpreter with `time.perf_counter` around "
            "the imports (start-up excluded); *process wall*: the whole `python -c` run. The two programs "
            "run interleaved, after one discarded warm-up run of each; glassnet's switches "
            "(`GLASSNET_KERNELS`, `GLASSNET_HOST_ALLOCATOR`) are unset.\n\n"
            + "\n\n".join(module_tables) + "\n")


def main(argv=None):
    parser = bench_parser(__doc__)
    parser.set_defaults(threads="1")
    args = parse_bench_args(parser, argv)
    if args.worker:
        parser.error("import_time runs no workers")
    repeats = QUICK_REPEATS if args.quick else REPEATS
    results, load_start = {}, load_average()
    for threads in args.threads:
        print(f"[import_time, {threads_label(threads)}] {repeats} rounds …", file=sys.stderr, flush=True)
        results[threads] = (time_imports(threads, repeats), glassnet_modules(threads))
    publish("import_time", render(results, (load_start, load_average()), args.quick), args)
    return 0


if __name__ == "__main__":
    sys.exit(main() or 0)
