"""What the library knows about a built model, as a typed object: `model_info(model)`.

`explorer.build` records a `ModelInfo` for every model it returns. For any other model made of
explorer layers (a `keras.models.clone_model` copy, a `.keras` file loaded with Keras), the
architecture is recovered from the model itself: the variant from the model's name, the design
choices from its layer names and weight shapes, checked by resolving them again and comparing
every layer. Nothing depends on an attribute set on the model, which clone and save would drop.
"""
from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass, replace
from typing import Optional

from explorer.arch.cost import walk_cached
from explorer.arch.graph import resolve, scaled
from explorer.arch.validate import choices as make_choices
from explorer.arch.units import ConvU, Net, ParU
from explorer.zoo.choices import Choices, changed
from explorer.zoo.variants import VARIANTS, get_spec

UNKNOWN_WEIGHTS = "unknown"


@dataclass(frozen=True)
class ModelInfo:
    """variant, choices: the architecture. weights: where the weights came from ("random", a source
    name such as "keras" / "tf_slim", a file path, or "unknown" for a model explorer did not build
    or load). heads_trained: one flag per output (main head first, then each aux head): did
    that head and every layer behind it get its weights from a trained checkpoint? seed: the
    random initialisation's seed (None when unknown). normalization: the input preprocessing the
    weights expect. fit: how a photo is fitted to the input by default ("crop", or "central" for
    TF-slim checkpoints: their evaluation preprocessing, see `explorer.preprocess`). new_layers: after a rebuild with other design choices (`ModelStore`), the
    weighted layers that could not keep the weights of the configuration the weights belong to
    (new or reshaped by the change: randomly initialised); empty otherwise."""

    variant: str
    choices: Choices
    weights: str = "random"
    heads_trained: tuple[bool, ...] = ()
    seed: Optional[int] = 0
    normalization: str = "tf"
    new_layers: tuple[str, ...] = ()
    fit: str = "crop"

    @property
    def net(self) -> Net:
        """The resolved unit graph (cached by `resolve`)."""
        return resolve(get_spec(self.variant), self.choices)

    @property
    def pretrained(self) -> bool:
        """Is the main head (and so the trunk) trained?"""
        return bool(self.heads_trained and self.heads_trained[0])

    @property
    def head_names(self) -> tuple[str, ...]:
        return ("main",) + tuple(a.name for a in self.net.aux)


_INFO: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def set_info(model, info: ModelInfo) -> ModelInfo:
    """Record what explorer knows about `model` (its builder and weight loaders call this)."""
    _INFO[model] = info
    return info


def model_info(model) -> ModelInfo:
    """The `ModelInfo` of `model`: as recorded by `explorer.build`, else recovered from the model's
    name, layer names and weight shapes. ValueError for a model that is not an explorer model."""
    info = _INFO.get(model)
    if info is None:
        info = set_info(model, recover_info(model))
    return info


# --------------------------------------------------------------------------- recovery
def _net_names(net: Net) -> set:
    names = {"input"}
    for m in net.modules:
        for _, _, units in m.parts():
            for u in units:
                names.update(u.layers)
        if m.up is not None:
            names.update(m.up.layers)
        if not m.sequential:
            names.add(m.name)
            if m.up is not None and len(m.branches) > 1:
                names.add(f"{m.name}__mixed__concat")
            if m.residual and m.activation:
                names.add(f"{m.name}__residual__add")
    for h in (net.head,) + net.aux:
        for u in h.units:
            names.update(u.layers)
    return names


def _conv_shapes(net: Net) -> dict:
    """{conv layer name: filters} of every conv unit with a fixed filter count."""
    out = {}
    for m in net.modules:
        for _, _, units in m.parts():
            for u in units:
                for cu in (u.convs if isinstance(u, ParU) else (u,)):
                    if isinstance(cu, ConvU) and cu.filters is not None:
                        out[cu.layers[0]] = cu.filters
    return out


def recover_info(model) -> ModelInfo:
    """Recover variant and choices from an explorer-built Keras model (see the module docstring).
    Where two settings build the very same network (conv_bias auto or off under batch norm), the
    one nearer the variant's defaults is returned."""
    variant = model.name
    if variant not in VARIANTS:
        raise ValueError(f"{model.name!r} is not an explorer model: its name is not one of "
                         f"{', '.join(VARIANTS)}. Build it with explorer.build(...).")
    spec = get_spec(variant)
    layers = {layer.name: layer for layer in model.layers}
    names = set(layers)
    have = _unit_params(model)
    base = _observed(spec, layers, model)
    toggles = [t for t in ("reduce_1x1", "factorize_5x5", "factorize_nxn", "kernel_5x5", "table",
                           "factorize_mid", "conv_bias") if t in spec.applicable]
    domains = {"kernel_5x5": (5, 3), "table": tuple(t for t, _ in spec.tables),
               "factorize_mid": ("sqrt", "out", "in"), "conv_bias": (None, True, False)}

    def domain(t):  # the variant's default first: of two choices that build the same network, it wins
        values = domains.get(t, (True, False))
        first = getattr(spec.defaults, t)
        return (first,) + tuple(v for v in values if v != first)

    for values in itertools.product(*[domain(t) for t in toggles]):
        try:  # only valid configurations (a 3x3 "5x5" is never factorised, say)
            c = make_choices(spec, **changed(spec.defaults, replace(base, **dict(zip(toggles, values)))))
        except ValueError:
            continue
        net = resolve(spec, c)
        if _net_names(net) != names:
            continue
        c = _fit_width(spec, c, net, layers)
        if c is not None and _weights_match(spec, c, have):
            return ModelInfo(variant, c, UNKNOWN_WEIGHTS, (False,) * len(model.outputs), None, spec.normalization)
    raise ValueError(f"{model.name!r}: its layers match no configuration of {variant}; it was not built by "
                     f"explorer.build or was changed afterwards.")


def _observed(spec, layers: dict, model) -> Choices:
    """The choices that can be read straight off the layers."""
    names = set(layers)
    body = [n for n in names if not n.startswith(("aux_", "head__"))]
    bn = [layers[n] for n in body if n.endswith("__bn")]
    scales = {}
    for n, layer in layers.items():
        if type(layer).__name__ == "ScaledResidual" and n.startswith("block_") and n != "block_c_10":
            scales.setdefault(n.split("_")[1], float(layer.scale))
    residual = any(type(layer).__name__ == "ScaledResidual" for layer in layers.values())
    c = replace(
        spec.defaults,
        input_size=int(model.inputs[0].shape[1]),
        classes=int(layers["head__fc__dense"].units),
        aux_heads=any(n.startswith("aux_") for n in names),
        lrn=any(n.endswith("__lrn") for n in names),
        batch_norm=bool(bn),
        bn_scale=bool(bn[0].scale) if bn else spec.defaults.bn_scale,
        head="fc" if "head__flatten__flatten" in names else "gap",
        residual=residual if "residual" in spec.applicable else spec.defaults.residual,
    )
    if "residual" in spec.applicable:
        c = replace(c, residual_scale=tuple(scales.get(g, 1.0) for g in "abc") if residual else None)
        if residual and c.residual_scale == spec.defaults.residual_scale:
            c = replace(c, residual_scale=spec.defaults.residual_scale)
    return c


def _fit_width(spec, c: Choices, net: Net, layers: dict) -> Optional[Choices]:
    """The width multiplier that gives the model's conv filter counts (None if none does)."""
    full = _conv_shapes(net)
    name = next(iter(full))
    have = int(layers[name].filters)
    if have == full[name]:
        return c
    for width in sorted({round(have / full[name], 3), *[w / 20 for w in range(1, 81)]}):
        if scaled(full[name], width) == have:
            trial = replace(c, width=width)
            if _conv_shapes(resolve(spec, trial)) == {n: int(layers[n].filters) for n in full}:
                return trial
    return None


def _unit_params(model) -> dict:
    """{unit name: parameters} of a model's layers (a unit's conv, BN and dense layers together)."""
    out: dict = {}
    for layer in model.layers:
        if layer.weights:
            unit = layer.name.rsplit("__", 1)[0]
            out[unit] = out.get(unit, 0) + layer.count_params()
    return out


def _weights_match(spec, c: Choices, have: dict) -> bool:
    """Do the cost model's per-unit parameter counts for `c` equal the model's?"""
    try:
        costs = walk_cached(spec, c)
    except ValueError:
        return False
    want: dict = {}
    for lc in costs.layers:
        if lc.params:
            want[lc.unit] = want.get(lc.unit, 0) + lc.params
    return want == have
