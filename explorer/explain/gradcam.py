"""Grad-CAM per branch (Selvaraju et al. 2017, arXiv:1610.02391), from one backward pass.

For a class score y (the head's logit, before the softmax) and a feature map A with channels c,
Grad-CAM weights each channel by its gradient averaged over the map, alpha_c = mean_ij dy/dA_ijc,
and keeps the positive part of L = sum_c alpha_c A_c. A module concatenates its branches, so its
channels split into the branches' channels and L_module = sum over branches of L_branch: each
branch's map is its part of the module's evidence. A branch's share is the positive evidence of
its map over the sum of all branches' (a switched-off branch has A = 0, so a zero map and a zero
share). For a network that ends in conv -> global average pool -> dense, Grad-CAM of the last
conv is CAM (Zhou et al. 2016, arXiv:1512.04150) up to a positive scale (tests/test_explain.py).

The gradients come from the gated model's per-channel zero inputs (`explorer.explain.gated`):
d(score)/d(shift_c) = sum_ij dy/dA_ijc for every branch and module at once, through
`explorer.nn.grads` (TensorFlow, JAX or torch).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from PIL import Image

from explorer.explain.gated import Gated, get_gated
from explorer.explain.reach import modules_for
from explorer.inference.probe import class_name, prepare
from explorer.nn.grads import gradient_function


@dataclass(frozen=True)
class BranchCAM:
    """One branch's Grad-CAM. map: (H, W) in [0, 1] at the input's resolution, on one scale for all
    branches of the module (so a weak branch looks weak); raw: ReLU(sum_c alpha_c A_c) at the
    branch's own resolution; evidence: raw summed over the map; share: evidence over the module's
    branches' total; gate_gradient: d(score)/d(gate) = sum of activation x gradient over the
    branch, the first-order estimate of what switching it off removes from the score."""

    branch: str
    label: str
    channels: int
    map: np.ndarray
    raw: np.ndarray
    evidence: float
    share: float
    gate_gradient: float


@dataclass(frozen=True)
class GradCAM:
    """Grad-CAM of every branch of one module for one class of one head (see the module
    docstring). module_map / module_raw: the module's output as one layer (its own scale)."""

    module: str
    head: str
    class_index: int
    class_name: str
    probability: float
    score: float
    branches: tuple[BranchCAM, ...]
    module_map: np.ndarray
    module_raw: np.ndarray
    crop: np.ndarray
    zeroed: tuple[tuple[str, str], ...] = ()

    @property
    def shares(self) -> dict:
        return {b.branch: b.share for b in self.branches}


def head_modules(gated: Gated, head: str) -> list[str]:
    """`modules_for` of the gated model's net (ValueError for an unknown head)."""
    gated.head_index(head)
    return modules_for(gated.info.net, head)


def check_reach(gated: Gated, head: str, module: str) -> None:
    """ValueError when `head` cannot depend on `module` (an aux head before the module)."""
    gated.module_branches(module)
    if module not in head_modules(gated, head):
        after = next(a.after for a in gated.info.net.aux if a.name == head)
        raise ValueError(f"{head} reads the output of {after}; {module} comes after it and cannot change "
                         f"{head}'s prediction. Pick a module up to {after}, or the main head. "
                         f"Received: module={module!r}, head={head!r}")


def _score_fn(gated: Gated):
    """fn(call, image, gate, blend, shift, which, target) for `gradient_function`: the logit of
    the target class of the head that `which` (one-hot over the heads) picks; `target` is a
    one-hot row (all zeros: the head's top-1). Aux: the head's probabilities, the class scored,
    every branch output and every module output. One function for every head: one trace."""
    from keras import ops

    n = len(gated.head_names)

    def fn(call, image, gate, blend, shift, which, target):
        outs = call([image, gate, blend, shift])
        score, probs, picked = 0.0, 0.0, 0.0
        for h in range(n):
            logits = outs[n + h]
            top = ops.one_hot(ops.argmax(logits, axis=-1), logits.shape[-1])
            pick = target + (1.0 - ops.max(target, axis=-1, keepdims=True)) * ops.stop_gradient(top)
            w = which[:, h:h + 1]
            score = score + ops.sum(w * logits * pick)
            probs, picked = probs + w * outs[h], picked + w * pick
        return score, [probs, picked] + list(outs[2 * n:])

    return fn


def gradients(gated: Gated, head: str, batch: np.ndarray, class_index: Optional[int], zeroed=()) -> tuple:
    """(score, aux, [d score / d gate, d score / d shift]) for one preprocessed image: the compiled
    gradient function is built once per gated model."""
    hi = gated.head_index(head)
    if "gradcam" not in gated.compiled:
        gated.compiled["gradcam"] = gradient_function(gated.full, _score_fn(gated), wrt=(1, 3))
    classes = int(gated.heads.outputs[hi].shape[-1])
    target = np.zeros((1, classes), np.float32)
    if class_index is not None:
        if not 0 <= int(class_index) < classes:
            raise ValueError(f"class_index must be in [0, {classes}). Received: class_index={class_index!r}")
        target[0, int(class_index)] = 1.0
    which = np.zeros((1, len(gated.head_names)), np.float32)
    which[0, hi] = 1.0
    gate, blend, shift = gated.controls(1, zeroed=zeroed)
    return gated.compiled["gradcam"](batch, gate, blend, shift, which, target)


def _upsample(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(h, w) float map -> (H, W), bilinear."""
    if m.shape == tuple(size):
        return m.astype(np.float32)
    img = Image.fromarray(m.astype(np.float32)).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(img, np.float32)


def _normalised(maps: list, size) -> list:
    """Upsample (h, w) maps to `size` and divide by their common maximum (so they share a scale)."""
    ups = [_upsample(m, size) for m in maps]
    top = max((float(u.max()) for u in ups), default=0.0)
    return [np.clip(u / top, 0.0, 1.0) if top > 0 else np.zeros(size, np.float32) for u in ups]


def _cam(acts: np.ndarray, grad_sum: np.ndarray) -> np.ndarray:
    """ReLU(sum_c alpha_c A_c) with alpha_c = grad_sum_c / (h * w)."""
    h, w = acts.shape[:2]
    return np.maximum(np.tensordot(acts, grad_sum / float(h * w), axes=([2], [0])), 0.0).astype(np.float32)


def branch_gradcam(model, image, module: str, *, head: str = "main", class_index: Optional[int] = None,
                   zeroed=(), resize: Optional[str] = None) -> GradCAM:
    """Grad-CAM of each branch of `module` (and of the module as one layer) for `class_index` of
    `head` ("main", "aux_1", ...; None: the head's top-1 for this image). `zeroed`: (module,
    branch) pairs switched off first. One forward and one backward pass. See `GradCAM`."""
    gated = get_gated(model)
    check_reach(gated, head, module)
    zeroed = tuple((str(m), str(b)) for m, b in zeroed)
    crop, batch = prepare(model, image, resize=resize)
    score, aux, (d_gate, d_shift) = gradients(gated, head, batch, class_index, zeroed)
    probs, pick = aux[0][0], aux[1][0]
    n = len(gated.branches)
    acts = {(g.module, g.branch): a[0] for g, a in zip(gated.branches, aux[2:2 + n])}
    module_acts = dict(zip(gated.module_shift, (a[0] for a in aux[2 + n:])))
    size = crop.shape[:2]
    parts = gated.module_branches(module)
    raws = [_cam(acts[(g.module, g.branch)], d_shift[0, g.lo:g.hi]) for g in parts]
    evidence = [float(r.sum()) for r in raws]
    total = sum(evidence)
    branches = tuple(BranchCAM(g.branch, g.label, g.hi - g.lo, m, r, e, e / total if total > 0 else 0.0,
                               float(d_gate[0, g.index]))
                     for g, r, e, m in zip(parts, raws, evidence, _normalised(raws, size)))
    lo, hi = gated.module_shift[module]
    module_raw = _cam(module_acts[module], d_shift[0, lo:hi])
    cls = int(np.argmax(pick))
    return GradCAM(module, head, cls, class_name(cls, len(probs)), float(probs[cls]), float(score), branches,
                   _normalised([module_raw], size)[0], module_raw, crop, zeroed)
