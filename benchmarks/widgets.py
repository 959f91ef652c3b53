"""How fast does each widget answer? Prints the median callback time per widget.

    .venv/bin/python benchmarks/widgets.py [--repeat 31]

The time measured is what a learner waits for in the kernel: from setting a
control's value (as the browser does) to the redrawn output being ready to send.
The target is under 100 ms median on a 2-core machine. Figures vary with the
machine's load: quote medians of several runs.
"""

import argparse
import statistics
import time

import numpy as np

from helpers import lesson01 as L
from helpers import widgets as w


def median_ms(action, repeat):
    times = []
    for k in range(repeat):
        start = time.perf_counter()
        action(k)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31)
    repeat = parser.parse_args(argv).repeat

    fill = w.fillable_product(L.X, L.A, roles=("input", "attention", "output"), name="bench")
    att = w.attention_explorer(L.X, L.A, L.POSITIONS, L.FEATURES)
    soft = w.softmax_explorer([3.0, 1.0, 0.5, -1.0], ["the", "cat", "sat", "down"])
    mask = w.causal_mask_explorer(np.arange(36.0).reshape(6, 6) % 5, list("abcdef"))
    heads = w.head_explorer(np.random.default_rng(0).dirichlet(np.ones(6), size=(8, 6)), list("abcdef"))
    pos = w.position_explorer(n=50, d_model=64)

    cases = {
        "fillable sheet: type a number": lambda k: fill.type(k % 3, k % 5, str(k)),
        "fillable sheet: hint": lambda k: fill.hint(k % 3, k % 5),
        "attention explorer: toggle a cell of A": lambda k: att.toggle(k % 5, (k * 2) % 5),
        "softmax explorer: move the T slider": lambda k: setattr(soft.slider, "value", 2.0 ** ((k % 12) / 2 - 3)),
        "causal mask explorer: switch the mask": lambda k: setattr(mask.checkbox, "value", not mask.checkbox.value),
        "head explorer: pick a head": lambda k: setattr(heads.selector, "value", k % 8),
        "position explorer: move the position": lambda k: setattr(pos.pos, "value", k % 50),
        "position explorer: move the dimension": lambda k: setattr(pos.dim, "value", k % 64),
    }
    print(f"widget callback times, {repeat} runs each (median, worst), target < 100 ms median")
    worst_median = 0.0
    for name, action in cases.items():
        med, worst = median_ms(action, repeat)
        worst_median = max(worst_median, med)
        print(f"  {name:<42} {med:7.2f} ms  {worst:7.2f} ms")
    print(f"slowest median: {worst_median:.2f} ms ({'under' if worst_median < 100 else 'OVER'} the 100 ms target)")


if __name__ == "__main__":
    main()
