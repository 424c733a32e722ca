"""Benchmark: tropical_blas.matmul against the NumPy ways of writing a
max-plus product, one thread, float32, square n x n.

    python python/bench.py           # the README table (about a minute)
    python python/bench.py --quick   # small sizes, a few seconds (CI)

G ops/s counts m*n*k tropical operations (one + and one max each).
"""

import argparse
import os
import platform
import sys
import time

# `python python/bench.py` puts python/ first on sys.path, where the
# package's sources lie without the compiled extension: import the
# installed package instead.
_here = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == _here:
    del sys.path[0]

import numpy as np  # noqa: E402

import tropical_blas as tb  # noqa: E402


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def best_time(fn, seconds, at_most):
    """Best wall time of fn() over repeats within a time budget."""
    best, spent, runs = float("inf"), 0.0, 0
    while runs < at_most and (runs == 0 or spent < seconds):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best


def broadcast(a, b):
    return np.max(a[:, :, None] + b[None, :, :], axis=1)


def k_loop(a, b):
    c = np.full((a.shape[0], b.shape[1]), -np.inf, a.dtype)
    for p in range(a.shape[1]):
        np.maximum(c, a[:, p, None] + b[None, p, :], out=c)
    return c


def ours(a, b):
    return tb.matmul(a, b, "maxplus", threads=1)


def ours_argmax(a, b):
    return tb.matmul_argmax(a, b, "maxplus", threads=1)


def row(label, n, seconds, note=""):
    gops = n**3 / seconds / 1e9
    print(f"| {label} | {n} | {seconds * 1e3:.2f} | {gops:.2f} | {note} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    args = parser.parse_args()
    budget = 0.2 if args.quick else 1.0
    broadcast_sizes = (64, 128) if args.quick else (128, 512)
    loop_sizes = (256,) if args.quick else (1024, 2048)
    argmax_sizes = (128,) if args.quick else (512, 1024)
    rng = np.random.default_rng(0)
    data = lambda n: (
        rng.standard_normal((n, n)).astype(np.float32),
        rng.standard_normal((n, n)).astype(np.float32),
    )
    print(f"CPU: {cpu_model()}; kernel: {tb.cpu_report().as_dict()['kernels']['MaxPlus<f32>']['kernel']}")
    print(f"numpy {np.__version__}; tropical_blas threads=1; float32 max-plus, n x n by n x n")
    print()
    print("| method | n | ms | G ops/s | note |")
    print("|---|---|---|---|---|")
    for n in broadcast_sizes:
        a, b = data(n)
        assert np.array_equal(ours(a, b), broadcast(a, b))
        t_ours = best_time(lambda: ours(a, b), budget, 50)
        t_np = best_time(lambda: broadcast(a, b), budget, 5)
        temp = n**3 * a.itemsize
        row("`tropical_blas.matmul`", n, t_ours)
        row("NumPy broadcast `np.max(a[:,:,None]+b[None],1)`", n, t_np, f"{t_np / t_ours:.0f}x slower, "
            f"temporary {temp / 2**20:.0f} MiB")
    for n in loop_sizes:
        a, b = data(n)
        t_ours = best_time(lambda: ours(a, b), budget, 20)
        expect = ours(a, b)
        start = time.perf_counter()
        got = k_loop(a, b)
        t_loop = time.perf_counter() - start  # one run: it is the slow one
        assert np.array_equal(got, expect)
        row("`tropical_blas.matmul`", n, t_ours)
        row("NumPy k-loop `np.maximum(c, a[:,p,None]+b[p])`", n, t_loop, f"{t_loop / t_ours:.0f}x slower")
    for n in argmax_sizes:
        a, b = data(n)
        t_value = best_time(lambda: ours(a, b), budget, 20)
        t_arg = best_time(lambda: ours_argmax(a, b), budget, 20)
        row("`tropical_blas.matmul`", n, t_value)
        row("`tropical_blas.matmul_argmax`", n, t_arg, f"{t_arg / t_value:.2f}x the time of matmul")


if __name__ == "__main__":
    main()
