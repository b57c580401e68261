"""Model files: gn.save / gn.load against safetensors' own NumPy functions and
torch.save / torch.load, on the same state dict (an MLP of about 5 M float32 weights).

gn.load checks the whole header before reading (sizes, dtypes, byte ranges) and reads
each tensor straight into its array; the goal is to cost no more than a few percent over
``safetensors.numpy.load_file``. Checkpoints (model + Adam state) are timed too.

    python benchmarks/model_files.py            # rewrites the "model_files" section
    python benchmarks/model_files.py --quick    # tiny smoke run, prints only
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

from _common import (
    add_host_allocator_flag,
    apply_host_allocator,
    choose_host_allocator,
    cpu_model,
    fmt,
    load_average,
    markdown_table,
    now_utc,
    update_report,
)


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cases(directory, quick):
    import safetensors.numpy as stn

    import glassnet as gn
    from glassnet import optim, train
    from glassnet.models import MLP

    gn.manual_seed(0)
    model = MLP(784, (64, 64) if quick else (2048, 1536), 10)
    arrays = {k: v.numpy() for k, v in model.state_dict().items()}
    path = os.path.join(directory, "m.safetensors")
    cases = {
        "gn.save": lambda: gn.save(model, path),
        "safetensors.numpy.save_file": lambda: stn.save_file(arrays, path + ".st"),
        "gn.load": lambda: gn.load(path),
        "safetensors.numpy.load_file": lambda: stn.load_file(path + ".st"),
    }
    opt = optim.Adam(model.parameters())
    for p in model.parameters():
        p.grad = gn.zeros_like(p)
    opt.step()
    ckpt = train.Checkpoint.capture(model, opt, epoch=1)
    cases["Checkpoint.save (model + Adam)"] = lambda: ckpt.save(path + ".ckpt")
    cases["Checkpoint.load (model + Adam)"] = lambda: train.Checkpoint.load(path + ".ckpt")
    try:
        import torch

        state = {k: torch.from_numpy(v) for k, v in arrays.items()}
        cases["torch.save"] = lambda: torch.save(state, path + ".pt")
        cases["torch.load (weights_only)"] = lambda: torch.load(path + ".pt", weights_only=True)
    except ImportError:
        pass
    return cases, model.num_parameters()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    add_host_allocator_flag(parser)
    args = parser.parse_args(argv)
    choose_host_allocator(args.host_allocator)  # this process is the only one: set, then apply
    apply_host_allocator()
    repeats = 3 if args.quick else 9
    with tempfile.TemporaryDirectory(dir=os.environ.get("GLASSNET_BENCH_DIR")) as directory:
        cases, n = _cases(directory, args.quick)
        for fn in cases.values():  # write every file once before any load is timed
            fn()
        seconds = {label: _median_time(fn, repeats) for label, fn in cases.items()}
    rows = [(label, fmt(s * 1e3), fmt(4 * n / 2**20 / s)) for label, s in seconds.items()]
    table = markdown_table(["operation", "ms (median)", "MB/s"], rows, align="lrr")
    text = (f"## Model files\n\n{n:,} float32 weights ({4 * n / 2**20:.1f} MB), median of "
            f"{repeats} runs, files in the system temporary directory; {now_utc()}, "
            f"{cpu_model()}, load average {load_average()}. MB/s counts the model's weights; a "
            f"checkpoint also holds Adam's two moment arrays (3× the bytes), and every glassnet "
            f"write includes an fsync.\n\n{table}\n\n`python benchmarks/model_files.py` reruns it.")
    print(text)
    if not args.quick:
        update_report({"model_files": text})


if __name__ == "__main__":
    sys.exit(main())
