"""The gated view of a model: the model's own layers (shared weights, no rebuild), rewired with a
gate on every branch of every branched module, so one forward pass can switch any set of branches
off, replace them by their mean over the image, or probe their gradients.

Inputs of the gated model: the image, and per sample

- `gate`  (N,): one multiplier per branch (1 = intact, 0 = knocked out);
- `blend` (N,): per branch, how much of its output is replaced by its own mean over the image
  (per channel; 0 = intact, 1 = the gentler "mean" ablation);
- `shift` (K,): an additive input per channel of every branch and of every branched module's
  output, zero in use. d(score)/d(shift) is the gradient summed over the map: Grad-CAM's channel
  weights for every branch and module from one backward pass.

A branch's output becomes `gate * ((1 - blend) * x + blend * mean_hw(x)) + shift` before its
module concatenates it. With gates at 1 and blend and shift at 0 every operation is an exact
identity, so the outputs equal the intact model's bit for bit.

Outputs: each head's probabilities (the model's own softmax layers), each head's logits (the
scores before the softmax, what Grad-CAM differentiates), every branch's (gated) output and every
branched module's output. Built once per model and cached weakly (like the probe).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, replace

import keras
import numpy as np
from keras import ops

from explorer.arch.units import DenseU, Net, RHead
from explorer.nn.builder import build_graph
from explorer.nn.info import model_info

_GATED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class BranchGate(keras.layers.Layer):
    """[x, gate, blend, shift] -> gate[:, i] * ((1 - blend[:, i]) * x + blend[:, i] * mean_hw(x))
    + shift[:, lo:hi] (see the module docstring)."""

    def __init__(self, index: int, lo: int, hi: int, **kwargs):
        super().__init__(**kwargs)
        self.index, self.lo, self.hi = int(index), int(lo), int(hi)

    def call(self, inputs):
        x, gate, blend, shift = inputs
        g = ops.reshape(gate[:, self.index], (-1, 1, 1, 1))
        b = ops.reshape(blend[:, self.index], (-1, 1, 1, 1))
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        s = ops.reshape(shift[:, self.lo:self.hi], (-1, 1, 1, self.hi - self.lo))
        return g * ((1.0 - b) * x + b * mean) + s

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "index": self.index, "lo": self.lo, "hi": self.hi}


class ChannelShift(keras.layers.Layer):
    """[x, shift] -> x + shift[:, lo:hi] (a module output's zero input, for its gradient)."""

    def __init__(self, lo: int, hi: int, **kwargs):
        super().__init__(**kwargs)
        self.lo, self.hi = int(lo), int(hi)

    def call(self, inputs):
        x, shift = inputs
        return x + ops.reshape(shift[:, self.lo:self.hi], (-1, 1, 1, self.hi - self.lo))

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class GatedBranch:
    """One gated branch: its index in `gate` / `blend` and its channels in `shift`."""

    module: str
    branch: str
    label: str
    index: int
    lo: int
    hi: int


def _logit_head(head: RHead) -> RHead:
    """The head without its final softmax (the builder then stops at the dense layer's logits)."""
    last = head.units[-1]
    if not isinstance(last, DenseU) or last.act != "softmax":
        raise ValueError(f"{head.name} does not end in a softmax layer. Received: {last!r}")
    return replace(head, units=head.units[:-1] + (replace(last, act=None),))


class Gated:
    """The gated view of one model (see the module docstring)."""

    def __init__(self, model):
        info = model_info(model)
        net: Net = info.net
        self._model = weakref.ref(model)
        self.info = info
        self.head_names = list(info.head_names)
        self.branches: list[GatedBranch] = []
        self.module_shift: dict[str, tuple[int, int]] = {}
        size = 0
        for m in net.modules:
            if m.sequential:
                continue
            for b in m.branches:
                c = self._channels(model, m, b)
                self.branches.append(GatedBranch(m.name, b.key, b.label, len(self.branches), size, size + c))
                size += c
        for m in net.modules:
            if not m.sequential:
                c = int(model.get_layer(m.output).output.shape[-1])
                self.module_shift[m.name] = (size, size + c)
                size += c
        self.shift_size = size
        self._index = {(g.module, g.branch): g for g in self.branches}
        self._build(model, net)

    @staticmethod
    def _channels(model, m, b) -> int:
        if b.units:
            return int(model.get_layer(b.units[-1].layers[-1]).output.shape[-1])
        raise ValueError(f"{m.name}/{b.key} has no layers (an identity branch) and cannot be gated")

    def _build(self, model, net: Net) -> None:
        n = len(self.branches)
        image = keras.Input(net.input_shape, name="image")
        gate = keras.Input((n,), name="gate")
        blend = keras.Input((n,), name="blend")
        shift = keras.Input((self.shift_size,), name="shift")
        branch_out: dict = {}
        module_out: dict = {}

        def tap(module, branch, x):
            g = self._index[(module, branch)]
            y = BranchGate(g.index, g.lo, g.hi, name=f"{module}__{branch}__gate")([x, gate, blend, shift])
            branch_out[(module, branch)] = y
            return y

        def tap_out(module, x):
            if module not in self.module_shift:
                return x
            lo, hi = self.module_shift[module]
            y = ChannelShift(lo, hi, name=f"{module}__out__shift")([x, shift])
            module_out[module] = y
            return y

        heads = (net.head,) + net.aux
        logit_net = replace(net, head=_logit_head(net.head), aux=tuple(_logit_head(a) for a in net.aux))
        logits, _ = build_graph(logit_net, image, reuse=model, tap=tap, tap_out=tap_out)
        probs = [model.get_layer(h.units[-1].layers[-1])(z) for h, z in zip(heads, logits)]
        inputs = [image, gate, blend, shift]
        self.heads = keras.Model(inputs, probs + logits, name=f"{model.name}__gated")
        self.full = keras.Model(inputs, probs + logits + [branch_out[(g.module, g.branch)] for g in self.branches]
                                + [module_out[m] for m in self.module_shift], name=f"{model.name}__gated_full")
        self.forward_passes = 0
        self.compiled: dict = {}  # functions compiled on this gated model (the Grad-CAM gradient)

    @property
    def model(self):
        return self._model()

    def branch(self, module: str, branch: str) -> GatedBranch:
        g = self._index.get((module, branch))
        if g is None:
            raise ValueError(f"{self.info.variant} has no branch {branch!r} in a branched module {module!r}; "
                             f"branched modules: {', '.join(self.module_shift)}. Received: {(module, branch)!r}")
        return g

    def module_branches(self, module: str) -> list[GatedBranch]:
        if module not in self.module_shift:
            raise ValueError(f"{module!r} is not a module with parallel branches in {self.info.variant}; "
                             f"pick one of: {', '.join(self.module_shift)}. Received: module={module!r}")
        return [g for g in self.branches if g.module == module]

    def head_index(self, head: str) -> int:
        if head not in self.head_names:
            extra = "" if len(self.head_names) > 1 else " (build with aux_heads=True for the auxiliary heads)"
            raise ValueError(f"this model's heads are {', '.join(self.head_names)}{extra}. Received: head={head!r}")
        return self.head_names.index(head)

    def controls(self, batch: int, *, zeroed=(), averaged=()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(gate, blend, shift) for `batch` samples with the (module, branch) pairs in `zeroed`
        switched off and those in `averaged` replaced by their mean over the image."""
        gate = np.ones((batch, len(self.branches)), np.float32)
        blend = np.zeros((batch, len(self.branches)), np.float32)
        for module, branch in zeroed:
            gate[:, self.branch(module, branch).index] = 0.0
        for module, branch in averaged:
            blend[:, self.branch(module, branch).index] = 1.0
        return gate, blend, np.zeros((batch, self.shift_size), np.float32)

    def run_heads(self, images: np.ndarray, gate: np.ndarray, blend: np.ndarray) -> list[np.ndarray]:
        """Each head's probabilities for a batch (images, gates and blends one row per sample)."""
        shift = np.zeros((len(images), self.shift_size), np.float32)
        outs = self.heads.predict_on_batch([images, gate, blend, shift])
        self.forward_passes += 1
        return [np.asarray(o) for o in outs[:len(self.head_names)]]


def get_gated(model) -> Gated:
    """The cached gated view of `model` (built on first use)."""
    gated = _GATED.get(model)
    return gated if gated is not None else _GATED.setdefault(model, Gated(model))
