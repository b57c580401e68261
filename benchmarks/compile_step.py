"""Eager vs ``gn.compile`` vs the same step written by hand in NumPy, one process, interleaved.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/compile_step.py [--quick]

Rows: MLP 784-256-256-10 (batch 128, SGD momentum 0.9), MNIST-1D-sized logistic 40→10 and
MLP 40-100-100-10 (batch 100, Adam). Each repeat times ``steps`` steps of each variant in
turn; the table gives medians (ms per step) and the capture cost of the first call.
"""

import argparse
import statistics
import time

import numpy as np

import glassnet as gn
from glassnet.capture import compile as gn_compile


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


def run(name, sizes, batch, optimizer, steps, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    xt, yt = gn.from_numpy(x), gn.from_numpy(y)
    eager = glassnet_step(sizes, batch, optimizer)
    compiled = gn_compile(glassnet_step(sizes, batch, optimizer))
    by_hand = numpy_step(sizes, optimizer)
    start = time.perf_counter()
    compiled(xt, yt)
    capture_ms = (time.perf_counter() - start) * 1e3
    variants = {"eager": lambda: eager(xt, yt), "compiled": lambda: compiled(xt, yt),
                "numpy": lambda: by_hand(x, y)}
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
    print(f"{name:<34} eager {med['eager']:7.3f}  compiled {med['compiled']:7.3f}  "
          f"numpy {med['numpy']:7.3f} ms"
          f"   compiled/eager {med['compiled'] / med['eager']:.2f}  compiled/numpy "
          f"{med['compiled'] / med['numpy']:.2f}  capture {capture_ms:.1f} ms  "
          f"({len(compiled.tape.runs)} steps)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few steps (a smoke test, not a measurement)")
    args = parser.parse_args(argv)
    steps, repeats = (3, 3) if args.quick else (50, 9)
    run("MLP 784-256-256-10 b128 SGD-m", (784, 256, 256, 10), 128, "sgd", steps, repeats)
    run("logistic 40-10 b100 Adam", (40, 10), 100, "adam", steps * 4, repeats)
    run("MLP 40-100-100-10 b100 Adam", (40, 100, 100, 10), 100, "adam", steps * 4, repeats)


if __name__ == "__main__":
    main()
