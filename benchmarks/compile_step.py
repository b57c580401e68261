"""Eager vs ``gn.compile`` vs the same step written by hand in NumPy, one process, interleaved.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 python benchmarks/compile_step.py
    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 NUMBA_NUM_THREADS=2 python benchmarks/compile_step.py

Rows: MLP 784-256-256-10 (batch 128 and 1024, SGD momentum 0.9), MNIST-1D-sized logistic
40→10 and MLP 40-100-100-10 (batch 100, Adam). Variants: eager, ``gn.compile(fuse=False)``
(the NumPy replay: preallocated arrays, fused chains as NumPy calls), ``gn.compile(fuse=True)``
(numba's kernels; skipped without numba) and NumPy by hand. Each repeat times ``steps``
steps of each variant in turn; the table gives medians (ms per step), the capture cost of
the first call, the cost of the first replay (numba compiles its kernels there) and the
peak of NumPy's allocations during one step (``tracemalloc``), eager against the replay.
"""

import argparse
import statistics
import time
import tracemalloc

import numpy as np

import glassnet as gn
from glassnet.capture import compile as gn_compile
from glassnet.capture._fused import available as fused_available


def glassnet_step(sizes, batch, optimizer, seed=0):
    gn.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(gn.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(gn.nn.ReLU())
    model = gn.nn.Sequential(*layers)
    opt = (gn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if optimizer == "sgd"
           else gn.optim.Adam(model.parameters(), lr=1e-3))
    loss_fn = gn.nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def numpy_step(sizes, optimizer, seed=0):
    """The same network by hand: forward, softmax-cross-entropy, backward, update in place."""
    rng = np.random.default_rng(seed)
    W = [(rng.standard_normal((b, a)) / np.sqrt(a)).astype(np.float32)
         for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    B = [np.zeros(b, np.float32) for b in sizes[1:]]
    params = W + B
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    t = [0]

    def step(x, y):
        hs = [x]
        for i, (w, b) in enumerate(zip(W, B, strict=True)):
            z = hs[-1] @ w.T + b
            hs.append(np.maximum(z, 0) if i < len(W) - 1 else z)
        z = hs[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        n = len(y)
        loss = -np.log(p[np.arange(n), y]).mean()
        d = p
        d[np.arange(n), y] -= 1
        d /= n
        gW, gB = [None] * len(W), [None] * len(W)
        for i in range(len(W) - 1, -1, -1):
            gW[i] = d.T @ hs[i]
            gB[i] = d.sum(axis=0)
            if i:
                d = (d @ W[i]) * (hs[i] > 0)
        grads = gW + gB
        t[0] += 1
        for k, (q, g) in enumerate(zip(params, grads, strict=True)):
            if optimizer == "sgd":
                m1[k] *= 0.9
                m1[k] += g
                q -= 0.01 * m1[k]
            else:
                m1[k] += 0.1 * (g - m1[k])
                m2[k] = 0.999 * m2[k] + 0.001 * g * g
                q -= 1e-3 / (1 - 0.9 ** t[0]) * m1[k] / (np.sqrt(m2[k] / (1 - 0.999 ** t[0])) + 1e-8)
        return loss
    return step


def _first_calls(compiled, xt, yt):
    """Milliseconds of the first call (the capture) and of the second (the first replay)."""
    costs = []
    for _ in range(2):
        start = time.perf_counter()
        compiled(xt, yt)
        costs.append((time.perf_counter() - start) * 1e3)
    return costs


def _peak_mb(fn):
    """The peak of the memory allocated (NumPy arrays included) while ``fn()`` runs once."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(name, sizes, batch, optimizer, steps, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    xt, yt = gn.from_numpy(x), gn.from_numpy(y)
    eager = glassnet_step(sizes, batch, optimizer)
    by_hand = numpy_step(sizes, optimizer)
    variants = {"eager": lambda: eager(xt, yt), "numpy": lambda: by_hand(x, y)}
    first = {}
    for key, fuse in (("compiled", False), ("numba", True)):
        if fuse and not fused_available():
            continue
        compiled = gn_compile(glassnet_step(sizes, batch, optimizer), fuse=fuse)
        first[key] = _first_calls(compiled, xt, yt)
        variants[key] = lambda c=compiled: c(xt, yt)
    for fn in variants.values():
        fn()
    times = {k: [] for k in variants}
    for _ in range(repeats):
        for key, fn in variants.items():
            start = time.perf_counter()
            for _ in range(steps):
                fn()
            times[key].append((time.perf_counter() - start) * 1e3 / steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    cells = [f"{med[k]:.3f}" if k in med else "—" for k in ("eager", "compiled", "numba", "numpy")]
    ratios = [f"{med[k] / med['numpy']:.2f}" if k in med else "—" for k in ("eager", "compiled", "numba")]
    costs = [f"{first[k][0]:.1f} / {first[k][1]:.1f}" if k in first else "—" for k in ("compiled", "numba")]
    memory = f"{_peak_mb(variants['eager']):.2f} / {_peak_mb(variants['compiled']):.2f}"
    print(f"| {name} | " + " | ".join(cells + ratios + costs + [memory]) + " |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few steps (a smoke test, not a measurement)")
    args = parser.parse_args(argv)
    steps, repeats = (3, 3) if args.quick else (50, 9)
    print("| step | eager | gn.compile | + numba | NumPy by hand | eager / NumPy | gn.compile / NumPy | "
          "+ numba / NumPy | capture / first replay ms (NumPy) | (numba) | peak MB allocated in a step: "
          "eager / replay |")
    print("| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    run("MLP 784-256-256-10 b128 SGD-m", (784, 256, 256, 10), 128, "sgd", steps, repeats)
    run("MLP 784-256-256-10 b1024 SGD-m", (784, 256, 256, 10), 1024, "sgd", max(steps // 8, 3), repeats)
    run("logistic 40-10 b100 Adam", (40, 10), 100, "adam", steps * 4, repeats)
    run("MLP 40-100-100-10 b100 Adam", (40, 100, 100, 10), 100, "adam", steps * 4, repeats)


if __name__ == "__main__":
    main()
