"""The cost model's public face: `cost(variant, **choices)` and `features(variant, **choices)`,
validated choices in, cached analytic costs out (no Keras)."""
from __future__ import annotations

import itertools
from typing import Optional

from explorer.arch.cost import Cost, walk_cached
from explorer.arch.validate import choices as make_choices
from explorer.zoo.choices import HEADS, TOGGLES
from explorer.zoo.variants import get_spec


def cost(variant: str, **choices) -> Cost:
    """Parameters and MACs of `variant` under `choices`, per layer, branch, module and in total.

    Equal to `build(variant, **choices).count_params()` (tested for every variant and toggle)."""
    return walk_cached(get_spec(variant), make_choices(variant, **choices))


def features(variant: str, **choices) -> list[dict]:
    """Feature listing (as timm's feature_info): one row per module output and per branch, with
    channels, spatial size, cumulative stride and receptive field."""
    c = cost(variant, **choices)
    rows = []
    for m in c.modules:
        for b in m.branches:
            rows.append({"module": m.name, "branch": b.key, "label": b.label, "layer": b.output_layer,
                         "channels": b.out_shape[-1], "size": tuple(b.out_shape[:2]), "stride": b.stride,
                         "rf": b.rf})
        rows.append({"module": m.name, "branch": None, "label": "output", "layer": m.output_layer,
                     "channels": m.out_shape[-1], "size": tuple(m.out_shape[:2]), "stride": m.stride,
                     "rf": m.rf})
    return rows


def toggle_combinations(variant: str, base: Optional[dict] = None) -> tuple[list[dict], list[tuple[dict, str]]]:
    """Every combination of the variant's applicable on/off toggles (`TOGGLES`: each boolean off/on,
    the head gap/fc), the other choices as in `base`: ([choices of each buildable combination],
    [(impossible combination, why)])."""
    spec = get_spec(variant)
    names = [t for t in TOGGLES if t in spec.applicable]
    valid, skipped = [], []
    for combo in itertools.product(*[HEADS if t == "head" else (False, True) for t in names]):
        kw = {**(base or {}), **dict(zip(names, combo))}
        if not kw.get("residual", True):
            kw.pop("residual_scale", None)  # no shortcut to scale
        try:
            make_choices(variant, **kw)
            valid.append(kw)
        except ValueError as e:
            skipped.append((kw, str(e)))
    return valid, skipped


def combination_costs(variant: str, base: Optional[dict] = None) -> tuple[list[dict], list[tuple[dict, str]]]:
    """`toggle_combinations` with each one's cost: rows of {toggle: value, ..., params, trainable,
    macs}, and the impossible combinations with why."""
    valid, skipped = toggle_combinations(variant, base)
    spec = get_spec(variant)
    names = [t for t in TOGGLES if t in spec.applicable]
    rows = []
    for kw in valid:
        c = cost(variant, **kw)
        rows.append({**{t: kw[t] for t in names}, "params": c.params, "trainable": c.trainable_params, "macs": c.macs})
    return rows, skipped
