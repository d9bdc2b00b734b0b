"""Analytic cost model: parameters and multiply-accumulates per layer, branch, module and in
total, computed by walking the resolved unit graph (`explorer.arch.graph`) - no Keras needed.

Conventions
- params: what Keras's `count_params()` counts: conv kernels (+ bias), BatchNormalization's beta
  (+ gamma when `bn_scale`) and its two moving statistics, dense kernels + biases.
  `trainable_params` leaves out the moving statistics (PyTorch's count for the same model).
- MACs: multiply-accumulates of convolutions and dense layers, one per kernel weight per output
  position (`H_out * W_out * C_out * k_h * k_w * C_in`; separable: depthwise + pointwise).
  Bias adds, batch norm, activations, pooling, LRN, concatenation and residual additions are not
  counted (they are < 1% of the total). FLOPs are about 2 x MACs.
- Receptive field per axis: rf_out = rf_in + (k - 1) * jump_in; jump_out = jump_in * stride.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import Optional

from explorer.arch.graph import resolve
from explorer.arch.units import (ConvU, DenseU, DropoutU, FlattenU, GapU, LRNU, Net, ParU, PoolU, RHead, RModule,
                                 output_layer)


class ShapeError(ValueError):
    """A layer would produce an empty feature map (input too small)."""


@dataclass(frozen=True)
class State:
    h: int
    w: int
    c: int
    jump: int = 1
    rf_h: int = 1
    rf_w: int = 1

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.h, self.w, self.c)

    @property
    def rf(self) -> int:
        return max(self.rf_h, self.rf_w)


@dataclass(frozen=True)
class LayerCost:
    name: str  # Keras layer name of the unit's first layer (conv / pool / dense ...)
    unit: str
    kind: str
    params: int
    trainable: int
    macs: int
    out_shape: tuple


@dataclass(frozen=True)
class PartCost:
    """A branch of a module (or one layer of a sequential module such as the stem)."""

    key: str
    label: str
    params: int
    trainable: int
    macs: int
    out_shape: tuple
    stride: int
    rf: int
    output_layer: str


@dataclass(frozen=True)
class ModuleCost:
    name: str
    kind: str
    params: int
    trainable: int
    macs: int
    in_shape: tuple
    out_shape: tuple
    stride: int
    rf: int
    branches: tuple[PartCost, ...]
    output_layer: str


@dataclass(frozen=True)
class Cost:
    variant: str
    params: int
    trainable_params: int
    macs: int
    modules: tuple[ModuleCost, ...]  # network body, in order
    heads: tuple[ModuleCost, ...]  # main head first, then aux heads
    layers: tuple[LayerCost, ...]

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params

    def module(self, name: str) -> ModuleCost:
        for m in self.modules + self.heads:
            if m.name == name:
                return m
        raise KeyError(f"no module {name!r}")

    def rows(self) -> list[dict]:
        """One row per module and head: a table for the UI / CSV."""
        rows = []
        for m in self.modules + self.heads:
            rows.append({"module": m.name, "kind": m.kind, "output": "x".join(map(str, m.out_shape)),
                         "params": m.params, "trainable": m.trainable, "macs": m.macs,
                         "stride": m.stride, "rf": m.rf,
                         "branches": " | ".join(f"{b.label}:{b.out_shape[-1]}" for b in m.branches)})
        return rows


# --------------------------------------------------------------------------- per unit
def _out(size: int, k: int, s: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(size / s)
    return (size - k) // s + 1


def _spatial(st: State, kh: int, kw: int, s: int, padding: str, name: str) -> State:
    h, w = _out(st.h, kh, s, padding), _out(st.w, kw, s, padding)
    if h < 1 or w < 1:
        raise ShapeError(f"{name}: a {kh}x{kw} window (stride {s}, {padding}) does not fit a "
                         f"{st.h}x{st.w} feature map", name)
    return State(h, w, st.c, st.jump * s, st.rf_h + (kh - 1) * st.jump, st.rf_w + (kw - 1) * st.jump)


def conv_kernel(u: ConvU, st: State) -> tuple[int, int]:
    """The kernel actually used (fit=True shrinks it to the feature map, as TF-slim's aux head)."""
    kh, kw = u.kernel
    return (min(kh, st.h), min(kw, st.w)) if u.fit else (kh, kw)


def _unit(u, st: State, layers: list) -> tuple[State, int, int, int]:
    """Apply one unit: (new state, params, trainable, macs); appends LayerCost rows."""
    if isinstance(u, ConvU):
        kh, kw = conv_kernel(u, st)
        f = u.filters if u.filters is not None else st.c
        out = _spatial(st, kh, kw, u.stride, u.padding, u.layers[0])
        if u.depth_multiplier:
            inner = st.c * u.depth_multiplier
            params = kh * kw * inner + inner * f
            macs = out.h * out.w * (kh * kw * inner + inner * f)
        else:
            params = kh * kw * st.c * f
            macs = out.h * out.w * f * kh * kw * st.c
        params += f if u.bias else 0
        trainable = params
        if u.bn:
            bn_train = f * (2 if u.bn_scale else 1)
            params += bn_train + 2 * f
            trainable += bn_train
        out = replace(out, c=f)
        layers.append(LayerCost(u.layers[0], u.name, "conv", params, trainable, macs, out.shape))
        return out, params, trainable, macs
    if isinstance(u, PoolU):
        out = _spatial(st, u.size, u.size, u.stride, u.padding, u.layers[0])
        layers.append(LayerCost(u.layers[0], u.name, f"{u.kind}pool", 0, 0, 0, out.shape))
        return out, 0, 0, 0
    if isinstance(u, ParU):
        outs, p, t, m = [], 0, 0, 0
        for conv in u.convs:
            o, pp, tt, mm = _unit(conv, st, layers)
            outs.append(o)
            p, t, m = p + pp, t + tt, m + mm
        first = outs[0]
        out = State(first.h, first.w, sum(o.c for o in outs), first.jump,
                    max(o.rf_h for o in outs), max(o.rf_w for o in outs))
        return out, p, t, m
    if isinstance(u, (LRNU, DropoutU)):
        layers.append(LayerCost(u.layers[0], u.name, type(u).__name__[:-1].lower(), 0, 0, 0, st.shape))
        return st, 0, 0, 0
    if isinstance(u, GapU):
        out = State(1, 1, st.c, st.jump, st.rf_h, st.rf_w)
        layers.append(LayerCost(u.layers[0], u.name, "gap", 0, 0, 0, (st.c,)))
        return out, 0, 0, 0
    if isinstance(u, FlattenU):
        out = State(1, 1, st.h * st.w * st.c, st.jump, st.rf_h, st.rf_w)
        layers.append(LayerCost(u.layers[0], u.name, "flatten", 0, 0, 0, (out.c,)))
        return out, 0, 0, 0
    if isinstance(u, DenseU):
        params = st.c * u.units + u.units
        macs = st.c * u.units
        out = State(1, 1, u.units, st.jump, st.rf_h, st.rf_w)
        layers.append(LayerCost(u.layers[0], u.name, "dense", params, params, macs, (u.units,)))
        return out, params, params, macs
    raise TypeError(f"unknown unit {u!r}")


def _units(units, st: State, layers: list):
    p = t = m = 0
    for u in units:
        st, pp, tt, mm = _unit(u, st, layers)
        p, t, m = p + pp, t + tt, m + mm
    return st, p, t, m


def _module(mod: RModule, st: State, layers: list) -> tuple[State, ModuleCost]:
    parts, outs = [], []
    if mod.sequential:
        cur = st
        for key, label, units in mod.parts():
            cur, p, t, m = _units(units, cur, layers)
            parts.append(PartCost(key, label, p, t, m, cur.shape, cur.jump, cur.rf, output_layer(units[-1])))
            outs.append(cur)
        out = cur
    else:
        for key, label, units in mod.parts():
            o, p, t, m = _units(units, st, layers)
            if not units:
                o = st
            parts.append(PartCost(key, label, p, t, m, o.shape, o.jump, o.rf,
                                  output_layer(units[-1]) if units else ""))
            outs.append(o)
        sizes = {(o.h, o.w) for o in outs}
        if len(sizes) > 1:
            raise ShapeError(f"{mod.name}: branches disagree on the feature-map size {sorted(sizes)}", mod.name)
        out = State(outs[0].h, outs[0].w, sum(o.c for o in outs), outs[0].jump,
                    max(o.rf_h for o in outs), max(o.rf_w for o in outs))
        if mod.up is not None:
            mixed = out
            up_out, p, t, m = _unit(replace(mod.up, filters=st.c), mixed, layers)
            parts.append(PartCost("up", "1x1 up", p, t, m, up_out.shape, up_out.jump, up_out.rf, output_layer(mod.up)))
            out = up_out
            if mod.residual:
                out = replace(out, rf_h=max(out.rf_h, st.rf_h), rf_w=max(out.rf_w, st.rf_w))
    p = sum(x.params for x in parts)
    t = sum(x.trainable for x in parts)
    m = sum(x.macs for x in parts)
    return out, ModuleCost(mod.name, mod.kind, p, t, m, st.shape, out.shape, out.jump, out.rf,
                           tuple(parts), mod.output)


def _head(head: RHead, st: State, layers: list) -> ModuleCost:
    parts, cur = [], st
    for u in head.units:
        cur, p, t, m = _unit(u, cur, layers)
        key = u.name.split("__", 1)[1]
        parts.append(PartCost(key, key, p, t, m, cur.shape, cur.jump, cur.rf, output_layer(u)))
    return ModuleCost(head.name, "head", sum(x.params for x in parts), sum(x.trainable for x in parts),
                      sum(x.macs for x in parts), st.shape, cur.shape, cur.jump, cur.rf, tuple(parts),
                      head.output)


def walk(net: Net) -> Cost:
    """The cost of a resolved net (raises ShapeError if the input is too small)."""
    layers: list = []
    s = net.choices.input_size
    st = State(s, s, 3)
    mods, after = [], {}
    for mod in net.modules:
        st, mc = _module(mod, st, layers)
        mods.append(mc)
        after[mod.name] = st
    heads = [_head(net.head, st, layers)]
    for aux in net.aux:
        heads.append(_head(aux, after[aux.after], layers))
    everything = mods + heads
    return Cost(net.variant, sum(x.params for x in everything), sum(x.trainable for x in everything),
                sum(x.macs for x in everything), tuple(mods), tuple(heads), tuple(layers))


@functools.lru_cache(maxsize=4096)
def walk_cached(spec, c) -> Cost:
    """One graph walk per (spec, choices), shared by validation and `cost()`."""
    return walk(resolve(spec, c))


def check_input_size(spec, c) -> None:
    """ValueError naming the first layer that does not fit and the smallest input that does."""
    try:
        walk_cached(spec, c)
        return
    except ShapeError as e:
        first = e
    smallest: Optional[int] = None
    for size in range(c.input_size + 1, 1025):
        try:
            walk(resolve(spec, replace(c, input_size=size)))
            smallest = size
            break
        except ShapeError:
            continue
    hint = f"the smallest input_size that works with these choices is {smallest}" if smallest else \
        "no input size up to 1024 works with these choices"
    raise ValueError(f"input_size={c.input_size} is too small for {spec.name}: {first.args[0]}; {hint}. "
                     f"Received: input_size={c.input_size}") from None
