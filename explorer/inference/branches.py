"""What the activation probe returns, and the per-branch summaries computed from it on the host.

- `sources`: the tensors the probe hands over: a module's own concatenation of its branches (each
  branch a channel slice of it), else each probed tensor.
- `summaries_on_host` and its tables: where the per-branch summaries are computed, per backend and
  variant, as measured; `channel_means`, `run_split`: the host side of them on a CPU, split over the
  cores; `nonnegative`, `same_sign`: what the graph side may count by sign, and count once.
"""
from __future__ import annotations

import os
import threading

import numpy as np

# Where the per-branch summaries (channel means, strongest channels, fraction active) are computed on
# a CPU: on the host, from the arrays the call returned (per returned tensor one pass of row sums for
# the channel means, one comparison and count per map, split over the cores: `run_split`),
# or in the graph. Numpy's BLAS was not used for the means: its spinning threads slowed the next
# forward pass. torch: the host count measured 0.78x vs 0.90x. Under JAX, XLA fuses them into one
# pass (1.06x vs 1.21x). On a GPU they stay in the graph: nothing but the maps crosses to the host.
SUMMARIES_ON_HOST_CPU = {"tensorflow": True, "torch": True, "jax": False}
# ...except these variants, whose summaries measured cheaper in the graph. TensorFlow, 2 cores,
# branch_activations' own work / predict_on_batch, host against graph, interleaved in one process,
# one run per pair: googlenet 1.149/1.141, 1.193/1.126, 1.176/1.146, 1.171/1.147, 1.178/1.167;
# bn_inception 0.976/0.930, 0.982/0.965. The others did not gain: inception_v3 0.991/0.994,
# 1.000/0.976; inception_v4 1.052/1.018, 0.960/0.979; inception_resnet_v1 1.067/1.072, 1.032/1.051;
# inception_resnet_v2 1.024/1.030, 1.074/1.093. (The two smallest networks, neither residual;
# probably the graph's reductions of the early maps overlap the later, smaller layers: not measured
# apart.) Again with the positive units of maps >= 0 counted by sign in the graph: googlenet
# 1.168/1.131, 1.180/1.147, 1.203/1.173, 1.172/1.141; bn_inception 0.983/0.992, 0.961/0.971,
# 0.973/0.947; inception_v3 and v4 and the residual networks still without a consistent gain.
# With pooled means and shared counts (below) in the graph, one run of 40 rounds, host/graph:
# inception_v3 0.961/0.977, inception_v4 0.943/0.946, inception_resnet_v1 0.996/1.041,
# inception_resnet_v2 1.044/1.055: those four stay on the host.
SUMMARIES_IN_GRAPH_CPU = {"tensorflow": ("googlenet", "bn_inception")}
# In the graph on a CPU, per-channel means (of the maps, and of their signs for the fraction of
# positive units) as one average pooling over the whole map (TensorFlow: oneDNN's pooling) in place
# of a mean over height and width (Eigen's reduction). GoogLeNet's 18 maps alone, one call: the
# means 3.6 -> 1.9 ms. In the probe (summaries in the graph / predict_on_batch, interleaved, one
# process, 2 cores): GoogLeNet 1.133 -> 1.111, then 1.102 with LRN1's and LRN2's counts taken from
# the maps they normalise (`same_sign`); both together against neither, 150 rounds each:
# GoogLeNet 1.127 -> 1.106, 1.114 -> 1.093; BN-Inception 0.954 -> 0.929, 0.932 -> 0.928. A matrix
# product with a row of 1/(H*W) was faster alone (1.9 ms) but slower in the probe (1.157 vs 1.116).
# Tried and left: the in-graph summaries XLA-compiled (an inner tf.function(jit_compile=True) over
# the maps, each map's mean and sign-mean fused into one pass): GoogLeNet 1.078 -> 1.070, 1.086 ->
# 1.075 (AMD EPYC, 2 cores, 80 and 150 interleaved rounds): 1 %, not worth a second compiler.
MEANS_BY_POOLING_CPU = ("tensorflow",)


def summaries_on_host(backend: str, variant: str) -> bool:
    """Whether a probe on a CPU computes the per-branch summaries on the host (else in the graph)."""
    return SUMMARIES_ON_HOST_CPU.get(backend, True) and variant not in SUMMARIES_IN_GRAPH_CPU.get(backend, ())

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


def same_sign(network, tensors: list) -> list:
    """Per tensor of `network`: the index of an earlier tensor of `tensors` with the same sign at every
    unit, where the graph guarantees it, else None: a local response normalisation (bias > 0, so
    x times a positive factor) or a dropout (the identity at inference) of that tensor. Its fraction
    of positive units is that tensor's, so the graph counts it once (GoogLeNet's LRN1 and LRN2 have
    pool1's and conv3's)."""
    import keras

    from explorer.nn.layers import LocalResponseNorm

    producer = {id(layer.output): layer for layer in network.layers}
    index: dict = {}
    twins = []
    for i, t in enumerate(tensors):
        layer = producer.get(id(t))
        keeps = (isinstance(layer, LocalResponseNorm) and layer.bias > 0 and layer.alpha >= 0) \
            or isinstance(layer, keras.layers.Dropout)
        twin = index.get(id(layer.input)) if keeps and not isinstance(layer.input, (list, tuple)) else None
        twins.append(twin if twin is None or twins[twin] is None else twins[twin])  # a chain: its first
        index.setdefault(id(t), i)
    return twins
