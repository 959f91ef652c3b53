"""Attention at scale, side by side: the plain kernel, flash_attention and PyTorch (float32, CPU).

    python benchmarks/attention.py [--repeat 5] [--sizes 8x8x512x64,1x8x4096x64,1x1x16384x64]

For each (b, h, n, d): the median time of `repeat` runs of each, its ratio to PyTorch, the share
of this machine's float32 matmul throughput it reaches (measured here with a plain `a @ b` of the
same multiply-adds: 2·b·h·n²·d, in blocks of (2048, d) @ (d, 2048)), and numpy's peak memory
during one call (tracemalloc; PyTorch's own allocator is not traced). Targets (issue 17):
flash ≤ 2.5× PyTorch and ≥ 60 % of matmul throughput, plain ≤ 3×, flash ≤ 64 MiB at n = 16384
for one head. The plain kernel is skipped where its n × n weights would not fit in 4 GiB.
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np

from helpers import scaled_dot_product_attention
from helpers.kernels import flash_attention, rows

SIZES = [(8, 8, 512, 64), (1, 8, 4096, 64), (1, 1, 16384, 64)]
TARGETS = {"flash": 2.5, "plain": 3.0}


def median_time(fn, repeat):
    fn()  # warm up: first-touch pages, BLAS threads
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_mib(fn):
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def matmul_rate(macs, d, repeat):
    """Multiply-adds per second of numpy's float32 `a @ b` with inner size d, over `macs` of them."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, d), dtype=np.float32)
    b = rng.standard_normal((d, 2048), dtype=np.float32)
    calls = max(1, round(macs / (2048 * 2048 * d)))
    out = np.empty((2048, 2048), np.float32)

    def run():
        for _ in range(calls):
            np.matmul(a, b, out=out)

    return calls * 2048 * 2048 * d / median_time(run, repeat)


def load_average():
    """The machine's 1-, 5- and 15-minute load averages, as printed (other work skews the timings)."""
    try:
        return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def threads_note():
    """How many threads the kernels' blocks of rows run on (see helpers/kernels/rows.py)."""
    if rows.thread_count() == 1:
        return "one thread (one core, or threadpoolctl not installed or finding no BLAS)"
    return f"up to {rows.thread_count()} threads, BLAS held to one thread each (threadpoolctl)"


def torch_attention(q, k, v):
    import torch

    tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
    return lambda: torch.nn.functional.scaled_dot_product_attention(tq, tk, tv)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default=",".join("x".join(map(str, s)) for s in SIZES))
    args = parser.parse_args(argv)
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    try:
        import torch

        torch.set_num_threads(2)
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch is not installed: ratios to PyTorch are left out (pip install torch==2.13.0)")
    print(f"start: {load_average()} ({os.cpu_count()} cores)")
    print(f"the kernels' blocks: {threads_note()}")
    print(f"{'(b, h, n, d)':>20} {'kernel':>6} {'median':>9} {'× torch':>8} {'of matmul':>9} {'peak MiB':>9}")
    failures = []
    for b, h, n, d in sizes:
        rng = np.random.default_rng(1)
        q, k, v = (rng.standard_normal((b, h, n, d), dtype=np.float32) for _ in range(3))
        macs = 2 * b * h * n * n * d
        rate = matmul_rate(macs, d, args.repeat)
        base = median_time(torch_attention(q, k, v), args.repeat) if have_torch else None
        rows = [("torch", base, None)]
        kernels = {"flash": lambda: flash_attention(q, k, v),
                   "plain": lambda: scaled_dot_product_attention(q, k, v)}
        for name, fn in kernels.items():
            if name == "plain" and b * h * n * n * 4 * 3 > 4 * 2**30:
                rows.append((name, None, None))
                continue
            rows.append((name, median_time(fn, args.repeat), peak_mib(fn)))
        for name, seconds, mib in rows:
            if seconds is None:
                print(f"{str((b, h, n, d)):>20} {name:>6} {'skipped':>9}")
                continue
            ratio = seconds / base if base else float("nan")
            share = macs / seconds / rate
            mem = f"{mib:9.1f}" if mib is not None else f"{'-':>9}"
            print(f"{str((b, h, n, d)):>20} {name:>6} {seconds * 1e3:7.1f}ms {ratio:7.2f}× {share:8.0%} {mem}")
            if name in TARGETS and base and ratio > TARGETS[name]:
                failures.append(f"{name} at {(b, h, n, d)}: {ratio:.2f}× PyTorch (target ≤ {TARGETS[name]}×)")
            if name == "flash" and share < 0.6:
                failures.append(f"flash at {(b, h, n, d)}: {share:.0%} of matmul throughput (target ≥ 60 %)")
            if name == "flash" and b * h == 1 and n >= 16384 and mib > 64:
                failures.append(f"flash at {(b, h, n, d)}: {mib:.1f} MiB peak (target ≤ 64 MiB)")
        print(f"{'':>20} matmul throughput {rate / 1e9:.1f} G multiply-adds/s (float32, d = {d})")
    print(f"end: {load_average()}")
    print("targets met" if not failures else "targets missed:\n  " + "\n  ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
