"""Timing helpers: warm up, repeat within a time budget, report medians; interleave two functions
(ABBA) when their ratio is what matters, so a noisy machine's drift hits both sides alike."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np


def measure(fn: Callable[[], object], *, warmup: int = 1, min_repeats: int = 3, max_repeats: int = 30,
            budget_s: float = 5.0) -> list[float]:
    """Seconds per call: `warmup` untimed calls, then at least `min_repeats` timed calls, more (up
    to `max_repeats`) while the timed calls took less than `budget_s` in all."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - start < budget_s):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


class Pairs(tuple):
    """(a wall times, b wall times) with `.cpu` = (a CPU times, b CPU times): this process's CPU
    seconds (all threads) per call, which other processes' load inflates less than wall time."""

    cpu: tuple


def compare(fa: Callable[[], object], fb: Callable[[], object], *, warmup: int = 1, min_pairs: int = 5,
            max_pairs: int = 40, budget_s: float = 10.0) -> Pairs:
    """Timed calls of `fa` and `fb` interleaved A B B A A B ... (each pair is adjacent in time)."""
    for _ in range(warmup):
        fa()
        fb()
    ta: list[float] = []
    tb: list[float] = []
    ca: list[float] = []
    cb: list[float] = []
    start = time.perf_counter()
    i = 0
    while len(ta) < max_pairs and (len(ta) < min_pairs or time.perf_counter() - start < budget_s):
        order = ((fa, ta, ca), (fb, tb, cb)) if i % 2 == 0 else ((fb, tb, cb), (fa, ta, ca))
        for fn, sink, csink in order:
            c = time.process_time()
            t = time.perf_counter()
            fn()
            sink.append(time.perf_counter() - t)
            csink.append(time.process_time() - c)
        i += 1
    out = Pairs((ta, tb))
    out.cpu = (ca, cb)
    return out


def summary(times: list[float]) -> dict:
    a = np.asarray(times, dtype=float)
    return {"median_s": float(np.median(a)), "min_s": float(a.min()), "max_s": float(a.max()),
            "n": int(a.size)}


def ratio(ta: list[float], tb: list[float], cpu: tuple | None = None) -> dict:
    """`ratio`: median of the per-pair ratios a_i / b_i (robust to drift); also the ratio of the
    medians and of the minima (the minimum is what noise cannot inflate), and the ratio of the
    median CPU seconds when given."""
    a, b = np.asarray(ta, dtype=float), np.asarray(tb, dtype=float)
    pairs = a / b
    out = {"ratio": float(np.median(pairs)),
           "ratio_of_medians": float(np.median(a) / np.median(b)),
           "ratio_of_mins": float(a.min() / b.min()),
           "ratio_q25": float(np.quantile(pairs, 0.25)), "ratio_q75": float(np.quantile(pairs, 0.75)),
           "pairs": int(a.size)}
    if cpu is not None:
        ca, cb = np.asarray(cpu[0], dtype=float), np.asarray(cpu[1], dtype=float)
        out["cpu_ratio"] = float(np.median(ca) / np.median(cb)) if np.median(cb) > 0 else None
    return out


def once(fn: Callable[[], object]) -> tuple[object, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t
