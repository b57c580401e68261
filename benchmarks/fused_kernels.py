"""Choosing the fused-kernel library for ``gn.compile``'s replay: NumPy vs numexpr vs numba.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/fused_kernels.py --threads 1
    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 python benchmarks/fused_kernels.py --threads 2

Two elementwise chains a training step runs: Adam's update of one parameter (the moments
and the step, float32, on each of the 784-256-256-10 MLP's parameter sizes, summed) and
bias + ReLU after a Linear layer's GEMM (256 features, batch 128 and 1024). Variants:
NumPy in place (several passes, what the replay runs without an extra), numexpr (one
multi-threaded pass per output), numba ``@njit(error_model="numpy")`` (one loop, all
outputs, one thread: what gn.compile runs) and numba ``@njit(parallel=True)``; numba's
first call (its JIT compile) is reported apart. Medians of ``repeats`` runs.
"""

import argparse
import statistics
import time

import numpy as np

SIZES = [(256, 784), (256,), (256, 256), (256,), (10, 256), (10,)]
B1, B2, LR, EPS, T = 0.9, 0.999, 1e-3, 1e-8, 7


def adam_numpy(p, g, m, v, tmp):
    np.subtract(g, m, out=tmp)
    tmp *= 1 - B1
    m += tmp
    np.multiply(g, g, out=tmp)
    tmp *= 1 - B2
    v *= B2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp /= (1 - B2**T) ** 0.5
    tmp += EPS
    np.divide(m, tmp, out=tmp)
    tmp *= LR / (1 - B1**T)
    p -= tmp


def adam_numexpr(ne):
    c = {"a1": np.float32(1 - B1), "b2": np.float32(B2), "a2": np.float32(1 - B2),
         "s2": np.float32((1 - B2**T) ** 0.5), "eps": np.float32(EPS), "k": np.float32(LR / (1 - B1**T))}

    def run(p, g, m, v, tmp):
        ne.evaluate("m + a1 * (g - m)", local_dict={"m": m, "g": g, **c}, out=m)
        ne.evaluate("b2 * v + a2 * (g * g)", local_dict={"v": v, "g": g, **c}, out=v)
        ne.evaluate("p - k * (m / (sqrt(v) / s2 + eps))", local_dict={"p": p, "m": m, "v": v, **c}, out=p)
    return run


def adam_numba(numba, parallel=True):
    a1, b2, a2 = np.float32(1 - B1), np.float32(B2), np.float32(1 - B2)
    s2, eps, k = np.float32((1 - B2**T) ** 0.5), np.float32(EPS), np.float32(LR / (1 - B1**T))

    @numba.njit(parallel=parallel, fastmath=False, error_model="numpy")
    def kernel(p, g, m, v):
        for i in numba.prange(p.shape[0]):
            mi = m[i] + a1 * (g[i] - m[i])
            vi = b2 * v[i] + a2 * (g[i] * g[i])
            m[i], v[i] = mi, vi
            p[i] -= k * (mi / (np.sqrt(vi) / s2 + eps))

    def run(p, g, m, v, tmp):
        kernel(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1))
    return run


def relu_numpy(z, b, out):
    z += b
    np.maximum(z, 0, out=out)


def relu_numexpr(ne):
    zero = np.float32(0)

    def run(z, b, out):
        ne.evaluate("where(z + b > zero, z + b, zero)", local_dict={"z": z, "b": b, "zero": zero}, out=out)
    return run


def relu_numba(numba, parallel=True):
    @numba.njit(parallel=parallel, error_model="numpy")
    def kernel(z, b, out):
        for i in numba.prange(z.shape[0]):
            for j in range(z.shape[1]):
                s = z[i, j] + b[j]
                out[i, j] = s if s > 0 else np.float32(0)

    def run(z, b, out):
        kernel(z, b, out)
    return run


def timed(fn, make_args, repeats, inner):
    args = make_args()
    fn(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn(*args)
        times.append((time.perf_counter() - start) / inner * 1e6)
    return statistics.median(times)


def first_call_ms(fn, make_args):
    args = make_args()
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1e3


def adam_args(shape):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(np.float32) for _ in range(2)] + [
        np.abs(rng.standard_normal(shape)).astype(np.float32) for _ in range(2)] + [
        np.empty(shape, np.float32)]


def relu_args(batch):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((batch, 256)).astype(np.float32), rng.standard_normal(256).astype(np.float32),
            np.empty((batch, 256), np.float32)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    import numba
    import numexpr as ne

    ne.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    adam = {"numpy": adam_numpy, "numexpr": adam_numexpr(ne), "numba1": adam_numba(numba, parallel=False),
            "numba": adam_numba(numba)}
    relu = {"numpy": relu_numpy, "numexpr": relu_numexpr(ne), "numba1": relu_numba(numba, parallel=False),
            "numba": relu_numba(numba)}
    jit = {"adam": first_call_ms(adam["numba"], lambda: adam_args((10,))),
           "relu": first_call_ms(relu["numba"], lambda: relu_args(4))}
    print(f"threads {args.threads}; numba JIT (first call): Adam {jit['adam']:.0f} ms, bias+ReLU "
          f"{jit['relu']:.0f} ms; µs per call, medians of {args.repeats}")
    print("| kernel | NumPy in place | numexpr | numba, one thread | numba parallel |")
    print("| :--- | ---: | ---: | ---: | ---: |")
    for shape in SIZES:
        row = [timed(adam[k], lambda s=shape: adam_args(s), args.repeats, 200) for k in adam]
        print(f"| Adam update {shape} | " + " | ".join(f"{t:.1f}" for t in row) + " |")
    for batch in (128, 1024):
        row = [timed(relu[k], lambda b=batch: relu_args(b), args.repeats, 200) for k in relu]
        print(f"| bias + ReLU ({batch}, 256) | " + " | ".join(f"{t:.1f}" for t in row) + " |")


if __name__ == "__main__":
    main()
