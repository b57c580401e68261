"""Hostile files (issue #21): how fast each is refused and how much memory refusing costs.

Every case is a file built to make a reader allocate, parse or wait far more than the
file's size: the probes of issue #21 (a 23 MB header of 400,000 empty tensors, 1.6 M of
them, a 400×400 CNN config in a small file, a recommender asking for 40000×40000 rank
20000, a checkpoint whose arguments say --hidden 25000,25000, a 3 GB NPZ zip bomb, a CSV
label of 10⁹ and a value of 1e39, a FIFO) and the worst headers that pass the byte bound
of ``glassnet.io.LIMITS`` (full parse, refused by the last check).

Each case runs in a fresh interpreter that first imports glassnet and every reader;
``peak RSS`` is how far the peak resident set (Linux ``VmHWM``, reset through
``/proc/self/clear_refs`` once the imports are done) rose over the resident set at that
moment, through the first refusal; ``first`` is that refusal's wall time, ``wall`` and
``cpu`` the medians of 7 more (CPU time is the figure to trust on a loaded machine).
Goals: ≤ 50 MB over the baseline, the worst header refused in ≤ 0.1 s. Prints only.

    python benchmarks/hostile_files.py
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import textwrap
import zipfile

CHILD = textwrap.dedent("""
    import json, statistics, sys, time
    import glassnet as gn
    from glassnet import data, io, models, recommend, train
    from glassnet.cli.inspect import describe

    def status(field):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    call = eval(sys.argv[1])
    def once():
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            call()
            outcome = "LOADED"
        except gn.GlassnetError as exc:
            outcome = str(exc)
        return time.perf_counter() - wall, time.process_time() - cpu, outcome
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM (the peak resident set) := VmRSS now: the baseline
    base = status("VmRSS")
    first, _, outcome = once()
    peak = status("VmHWM")
    runs = [once() for _ in range(7)]
    print(json.dumps({"mb": (peak - base) / 1024, "first": first, "outcome": outcome,
                      "wall": statistics.median(r[0] for r in runs),
                      "cpu": statistics.median(r[1] for r in runs)}))
""")


def _header_file(path, header, body=b""):
    raw = json.dumps(header, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + body)
    return path


def _empty_tensors(n):
    return {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(n)}


def _worst_tiling(n):
    """n one-float tensors whose last range leaves a gap: parsed and checked in full,
    refused by the very last check."""
    header = {f"t{i:05d}": {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]}
              for i in range(n)}
    header[f"t{n - 1:05d}"]["data_offsets"] = [4 * n, 4 * n + 4]
    return header, bytes(4 * n + 4)


def _zip_bomb(path, gigabytes):
    import io

    import numpy as np

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (gigabytes * 2**30 // 4,)})
    npy = header.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("X.npy", "w", force_zip64=True) as member:
        member.write(npy)
        zeros = bytes(2**24)
        for _ in range(gigabytes * 64):
            member.write(zeros)
    return path


def _config_file(path, config, arrays):
    import numpy as np
    from safetensors.numpy import save

    meta = {"format": "glassnet", "format_version": "1", "dtype": "float32",
            "config": json.dumps(config)}
    with open(path, "wb") as f:
        f.write(save({k: np.asarray(v) for k, v in arrays.items()}, metadata=meta))
    return path


def _cases(d):
    import numpy as np

    import glassnet as gn
    from glassnet import recommend as rec
    from glassnet import train

    p = lambda name: os.path.join(d, name)  # noqa: E731
    cases = [
        ("probe: 400k empty tensors (23 MB header)",
         f"lambda: gn.load({_header_file(p('400k.st'), _empty_tensors(400_000))!r})"),
        ("probe: 1.6M empty tensors (94 MB header)",
         f"lambda: gn.load({_header_file(p('1600k.st'), _empty_tensors(1_600_000))!r})"),
        ("worst header in the limits: 10,000 tensors, last range wrong",
         f"lambda: gn.load({_header_file(p('tiling.st'), *_worst_tiling(10_000))!r})"),
        ("worst header in the limits: 99,999 {} in a dtype",
         f"lambda: gn.load({_header_file(p('dicts.st'), {'w': {'dtype': [{}] * 99_999, 'shape': [0], 'data_offsets': [0, 0]}})!r})"),  # noqa: E501
        ("worst header in the limits: a 4 MB string",
         f"lambda: gn.load({_header_file(p('string.st'), {'__metadata__': {'k': 'x' * (4 * 2**20 - 64)}})!r})"),  # noqa: E501
        ("header nested 4 M deep", f"lambda: gn.load({p('deep.st')!r})"),
        ("probe: 400x400 CNN, 400 classes, 160 KB file",
         f"lambda: models.load_model({_config_file(p('cnn.st'), {'kind': 'cnn2d', 'height': 400, 'width': 400, 'num_classes': 400}, {'w': np.zeros(40_000, np.float32)})!r})"),  # noqa: E501
        ("probe: MLP with 20,000 hidden layers",
         f"lambda: models.load_model({_config_file(p('deepmlp.st'), {'kind': 'mlp', 'in_features': 2, 'hidden': [1] * 20_000, 'num_classes': 2}, {'w': np.zeros(10, np.float32)})!r})"),  # noqa: E501
    ]
    with open(p("deep.st"), "wb") as f:
        f.write(struct.pack("<Q", 4 * 2**20) + b"[" * (4 * 2**20))
    model = rec.MatrixFactorization(rank=2, epochs=1).fit(rec.synthetic(20, 15, rank=2, density=0.5))
    model.save(p("mf.st"))
    arrays, meta = gn.io.read_arrays(p("mf.st"))
    config = {**model._config(), "num_users": 40_000, "num_items": 40_000, "rank": 20_000}
    meta["user.recommender_config"] = json.dumps(config)
    from safetensors.numpy import save
    with open(p("mf.st"), "wb") as f:
        f.write(save(arrays, metadata=meta))
    cases.append(("probe: recommender file asking for 40000x40000 rank 20000",
                  f"lambda: recommend.load({p('mf.st')!r})"))
    run = train.RunConfig(dataset="xor", hidden=(8,), epochs=1, out=p("out"))
    train.run(run, checkpoint_dir=p("ckpt"), progress=False)
    ckpt = p("ckpt/checkpoint-000001.safetensors")
    arrays, meta = gn.io.read_arrays(ckpt)
    doc = json.loads(meta["checkpoint"])
    doc["extra"]["args"]["hidden"] = [25000, 25000]
    meta["checkpoint"] = json.dumps(doc)
    with open(ckpt, "wb") as f:
        f.write(save(arrays, metadata=meta))
    cases.append(("probe: --resume with saved --hidden 25000,25000",
                  f"lambda: train.resume({p('ckpt')!r}, progress=False)"))
    bomb = _zip_bomb(p("bomb.npz"), 3)
    cases.append((f"probe: NPZ zip bomb ({os.path.getsize(bomb) / 1e6:.1f} MB -> 3 GB)",
                  f"lambda: data.from_npz({bomb!r})"))
    with open(p("label.csv"), "w") as f:
        f.write("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(50)) + "1,1000000000\n")
    cases.append(("probe: CSV label 10^9 (glassnet train)",
                  f"lambda: train.run(train.RunConfig(dataset={p('label.csv')!r}, epochs=1, "
                  f"out={p('o2')!r}), progress=False)"))
    if hasattr(os, "mkfifo"):
        os.mkfifo(p("fifo.safetensors"))
        cases.append(("probe: FIFO named model.safetensors",
                      f"lambda: models.load_model({p('fifo.safetensors')!r})"))
    return cases


def main():
    with tempfile.TemporaryDirectory(prefix="glassnet-hostile-") as d:
        print(f"{'case':64s} {'peak RSS':>10s} {'first':>9s} {'wall':>9s} {'cpu':>9s}  refused with")
        for label, call in _cases(d):
            result = subprocess.run([sys.executable, "-c", CHILD, call], capture_output=True,
                                    text=True, timeout=600)
            if result.returncode:
                print(f"{label:64s} FAILED: {result.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(result.stdout)
            print(f"{label:64s} {r['mb']:7.1f} MB {r['first'] * 1e3:6.1f} ms {r['wall'] * 1e3:6.2f} ms "
                  f"{r['cpu'] * 1e3:6.2f} ms  {r['outcome'][:110]}")


if __name__ == "__main__":
    main()
