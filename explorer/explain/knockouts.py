"""Branch knock-out: switch one branch off (its output zeroed, or, gentler, replaced by its mean
over the image, channel by channel) and see what the network then says. All of it runs through
the gated model (`explorer.explain.gated`): one model, the gates set per sample, batched, no
rebuild. `predict_gated` is the same with any set of branches off, for the app's live switches.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional

import numpy as np

from explorer.explain.gated import get_gated
from explorer.explain.gradcam import head_modules
from explorer.inference.probe import class_name, prepare, top_k

BATCH = 8  # samples per forward pass (fixed, so the compiled function is traced once)


@dataclass(frozen=True)
class KnockoutRow:
    """One branch switched off: the class's probability with its output zeroed (`p_zero`) and
    with it replaced by its mean over the image (`p_mean`), the changes against the intact network
    (`delta_*`, probability points as fractions) and the new top-1 (index, name, probability)."""

    module: str
    branch: str
    label: str
    p_zero: float
    p_mean: float
    delta_zero: float
    delta_mean: float
    top1_zero: tuple[int, str, float]
    top1_mean: tuple[int, str, float]


@dataclass(frozen=True)
class Knockout:
    """Every knock-out of one image for one class of one head; `p_intact` the class's probability
    with every branch on; `forward_passes` how many batched passes it took."""

    head: str
    class_index: int
    class_name: str
    p_intact: float
    rows: tuple[KnockoutRow, ...]
    crop: np.ndarray
    forward_passes: int

    def table(self) -> list[dict]:
        """One dict per row (for a DataFrame / CSV)."""
        return [{"module": r.module, "branch": r.branch, "label": r.label, "p_zero": r.p_zero,
                 "p_mean": r.p_mean, "delta_zero": r.delta_zero, "delta_mean": r.delta_mean,
                 "top1_zero": r.top1_zero[1], "top1_mean": r.top1_mean[1]} for r in self.rows]


def _modules(gated, head: str, modules: Optional[Iterable[str]]) -> list[str]:
    if modules is None:
        return head_modules(gated, head)
    out = [str(m) for m in modules]
    for m in out:
        gated.module_branches(m)  # ValueError for a module without branches
    return out


def _run(gated, batch: np.ndarray, gate: np.ndarray, blend: np.ndarray, hi: int, progress) -> np.ndarray:
    """The head's probabilities for every gate row, BATCH rows per pass (the last one padded)."""
    rows = len(gate)
    out = []
    for start in range(0, rows, BATCH):
        g, b = gate[start:start + BATCH], blend[start:start + BATCH]
        real = len(g)
        if real < BATCH:
            g = np.concatenate([g, np.ones((BATCH - real, g.shape[1]), np.float32)])
            b = np.concatenate([b, np.zeros((BATCH - real, b.shape[1]), np.float32)])
        images = np.repeat(batch, BATCH, axis=0)
        out.append(gated.run_heads(images, g, b)[hi][:real])
        if progress is not None:
            progress(min(start + BATCH, rows), rows)
    return np.concatenate(out)


def knockout(model, image, *, head: str = "main", class_index: Optional[int] = None, modules=None,
             progress: Optional[Callable[[int, int], None]] = None, resize: Optional[str] = None) -> Knockout:
    """Switch each branch of `modules` (None: every branched module `head` reads) off in turn,
    zeroed and replaced by its mean, and report the probability of `class_index` (None: the
    intact network's top-1) of `head`. `progress(done, total)` is called after each pass."""
    gated = get_gated(model)
    hi = gated.head_index(head)
    names = _modules(gated, head, modules)
    parts = [g for m in names for g in gated.module_branches(m)]
    crop, batch = prepare(model, image, resize=resize)
    n = len(gated.branches)
    gate = np.ones((1 + 2 * len(parts), n), np.float32)
    blend = np.zeros_like(gate)
    for k, g in enumerate(parts):
        gate[1 + 2 * k, g.index] = 0.0
        blend[2 + 2 * k, g.index] = 1.0
    before = gated.forward_passes
    probs = _run(gated, batch, gate, blend, hi, progress)
    classes = probs.shape[-1]
    cls = int(np.argmax(probs[0])) if class_index is None else int(class_index)
    if not 0 <= cls < classes:
        raise ValueError(f"class_index must be in [0, {classes}). Received: class_index={class_index!r}")
    intact = float(probs[0, cls])
    rows = []
    for k, g in enumerate(parts):
        pz, pm = probs[1 + 2 * k], probs[2 + 2 * k]
        rows.append(KnockoutRow(g.module, g.branch, g.label, float(pz[cls]), float(pm[cls]),
                                float(pz[cls]) - intact, float(pm[cls]) - intact, top_k(pz, 1)[0], top_k(pm, 1)[0]))
    return Knockout(head, cls, class_name(cls, classes), intact, tuple(rows), crop,
                    gated.forward_passes - before)


def predict_gated(model, image, *, zeroed=(), averaged=(), top: int = 5, resize: Optional[str] = None) -> dict:
    """Top-k of every head with the (module, branch) pairs in `zeroed` switched off and those in
    `averaged` replaced by their mean, beside the intact network's probabilities:
    {"main": [(index, name, prob, intact prob), ...], "aux_1": ...}. One forward pass of the gated
    model (the gated and the intact network as a batch of two), no rebuild."""
    gated = get_gated(model)
    _, batch = prepare(model, image, resize=resize)
    gate, blend, _ = gated.controls(2, zeroed=zeroed, averaged=averaged)
    gate[1], blend[1] = 1.0, 0.0
    probs = gated.run_heads(np.repeat(batch, 2, axis=0), gate, blend)
    return {name: [(i, cls, p, float(ps[1, i])) for i, cls, p in top_k(ps[0], top)]
            for name, ps in zip(gated.head_names, probs)}
