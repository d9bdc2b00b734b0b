"""What the activation probe returns, and the per-branch summaries computed from it on the host.

- `sources`: the tensors the probe hands over: a module's own concatenation of its branches (each
  branch a channel slice of it), else each probed tensor.
- `channel_means`, `run_split`: the host side of the summaries on a CPU (see
  `explorer.inference.probe.summaries_on_host`), split over the cores.
"""
from __future__ import annotations

import os
import threading

import numpy as np

_LOCK = threading.Lock()
HOST_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
_POOL: list = []


def _pool():
    """The threads that compute the summaries on the host (made on first use, kept)."""
    with _LOCK:
        if not _POOL:
            from concurrent.futures import ThreadPoolExecutor

            _POOL.append(ThreadPoolExecutor(max_workers=max(1, HOST_THREADS - 1), thread_name_prefix="probe-summary"))
        return _POOL[0]


def run_split(work, sizes: list[int]) -> None:
    """work(indices) over the indices of `sizes`, dealt by size to this thread and the host's other
    threads (this thread takes a share itself rather than only waiting: GoogLeNet's summaries 5.2
    -> 4.7 ms, medians of 40, 2 cores)."""
    jobs = _balanced(sizes, HOST_THREADS)
    others = [_pool().submit(work, job) for job in jobs[1:]]
    try:
        work(jobs[0])
    finally:  # never return (or raise) while another thread still writes the results
        for f in others:
            f.result()


def _balanced(sizes: list[int], n: int) -> list[list[int]]:
    """Indices of `sizes` dealt into at most `n` lists of about equal total size (largest first)."""
    bins: list[list[int]] = [[] for _ in range(max(1, min(n, len(sizes))))]
    totals = [0] * len(bins)
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        b = totals.index(min(totals))
        bins[b].append(i)
        totals[b] += sizes[i]
    return bins


# rows of a narrow map are added k at a time (k * channels values per row, k a power of two
# dividing H*W, up to WIDE values), so every addition runs over a long row, not over 64 channels at
# a time: GoogLeNet's means 3.5 -> 2.3 ms on one core right after a forward pass
WIDE = 4096


def _rows_per_view_row(hw: int, c: int) -> int:
    """k: the largest power of two dividing `hw` with k * c <= WIDE (1 for wide maps)."""
    k = 1
    while k * 2 * c <= WIDE and hw % (k * 2) == 0:
        k *= 2
    return k


def channel_means(t: np.ndarray) -> np.ndarray:
    """(images, channels) means over height and width of an (images, H, W, C) array: one pass of
    row additions in this thread (not BLAS: its worker threads spin after a call and slowed the
    next forward pass, which shares the same cores)."""
    n, h, w, c = t.shape
    k = _rows_per_view_row(h * w, c)
    sums = np.add.reduce(t.reshape(n, h * w // k, k * c), axis=1, dtype=np.float32)
    if k > 1:
        sums = sums.reshape(n, k, c).sum(axis=1)
    return sums / np.float32(h * w)


def sources(network, tensors: list, groups: list[list[int]]) -> tuple[list, list]:
    """The tensors the probe returns: for each group of entries (a module's branches) the module's
    concatenation of exactly those tensors, in order, where the network has one; else each tensor.
    Also, per entry: (source index, first channel, end channel, whole source)."""
    import keras

    concat = {tuple(id(t) for t in layer.input): layer.output for layer in network.layers
              if isinstance(layer, keras.layers.Concatenate) and isinstance(layer.input, (list, tuple))}
    sources, slices = [], [None] * len(tensors)
    for group in groups:
        joined = concat.get(tuple(id(tensors[i]) for i in group)) if len(group) > 1 else None
        if joined is not None:
            lo = 0
            for i in group:
                hi = lo + int(tensors[i].shape[-1])
                slices[i] = (len(sources), lo, hi, False)
                lo = hi
            sources.append(joined)
        else:
            for i in group:
                slices[i] = (len(sources), 0, int(tensors[i].shape[-1]), True)
                sources.append(tensors[i])
    return sources, slices


def nonnegative(network, tensors: list) -> list[bool]:
    """Per tensor of `network`: whether the graph makes it >= 0 everywhere (a ReLU's output, or a
    pooling, concatenation, dropout or local response normalisation of such outputs). For those the
    fraction of positive units is the mean of sign(x): one elementwise pass, not a comparison and a
    conversion (GoogLeNet's `branch_activations` / `predict_on_batch` with its summaries in the
    graph, comparison against sign, interleaved, 2 cores: 1.184/1.173, 1.180/1.170, 1.196/1.185).
    Anything else (a linear up-projection, a residual sum, a leaky ReLU) is False, and is counted by
    comparison."""
    import keras

    from explorer.nn.layers import LocalResponseNorm

    relu = keras.activations.get("relu")
    keeps_sign = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D, keras.layers.Concatenate,
                  keras.layers.Dropout, LocalResponseNorm)
    producer = {id(layer.output): layer for layer in network.layers}
    known: dict = {}

    def check(t) -> bool:
        if id(t) not in known:
            layer = producer.get(id(t))
            if (isinstance(layer, keras.layers.ReLU) and not layer.negative_slope) \
                    or getattr(layer, "activation", None) is relu:
                known[id(t)] = True
            elif isinstance(layer, keeps_sign):
                inputs = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
                known[id(t)] = all(check(i) for i in inputs)
            else:
                known[id(t)] = False
        return known[id(t)]

    return [check(t) for t in tensors]
