"""Receptive fields of single units: which pixels of the input a unit at (i, j) of a branch's
feature map can see, and the kernel path that produced it. Pure arithmetic on the resolved unit
graph (no Keras), exact for Keras's padding:

per axis, a feature map is described by (n, jump, lo, hi): its size, the distance in input pixels
between neighbouring units, and the input pixels the unit at index 0 sees, [lo, hi] (unit i sees
[lo + i * jump, hi + i * jump]). A layer with kernel k, stride s and padding p before the first
pixel (`valid`: 0; `same`: Keras/TensorFlow pad (ceil(n / s) - 1) * s + k - n in total, the smaller
half first) maps it to (out, jump * s, lo - p * jump, hi + (k - 1 - p) * jump). Parallel branches
that are concatenated (and a residual shortcut) see the union of their inputs' fields. The span
hi - lo + 1 equals the cost model's receptive field (`explorer.features`); the offsets, which it
does not track, are what place the box on the photo.

Near the border that theoretical box reaches into padding. The box a unit actually sees is found
by walking back from it, layer by layer, keeping only the units that exist (a 'valid' layer also
never reads the last pixels when its stride does not fit): `Field.box(i, j)`. For a path of
convolutions and average pools its input gradient is nonzero on exactly that box
(tests/test_explain.py measures it).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Optional, Union

from explorer.arch.cost import State, conv_kernel
from explorer.arch.graph import resolve
from explorer.arch.units import ConvU, LRNU, Net, ParU, PoolU, Unit
from explorer.arch.validate import choices as make_choices
from explorer.zoo.variants import get_spec


@dataclass(frozen=True)
class Window:
    """One layer on one axis: kernel k, stride s, padding before the first pixel, input size."""

    k: int
    s: int
    pad: int
    n_in: int

    def back(self, a: int, b: int) -> tuple[int, int]:
        """The input units that output units a..b read (those that exist)."""
        return max(0, a * self.s - self.pad), min(self.n_in - 1, b * self.s - self.pad + self.k - 1)


# a step: parallel alternatives (a ParU's convs), each (Window on y, Window on x); a chain: steps;
# a stage: (chains whose outputs are joined, residual shortcut?)
Step = tuple
Chain = tuple
Stage = tuple


def _back_chain(chain: Chain, ry: tuple, rx: tuple) -> tuple[tuple, tuple]:
    for step in reversed(chain):
        outs = [(wy.back(*ry), wx.back(*rx)) for wy, wx in step]
        ry = (min(o[0][0] for o in outs), max(o[0][1] for o in outs))
        rx = (min(o[1][0] for o in outs), max(o[1][1] for o in outs))
    return ry, rx


def _back_stage(stage: Stage, ry: tuple, rx: tuple) -> tuple[tuple, tuple]:
    chains, residual = stage
    outs = [_back_chain(c, ry, rx) for c in chains] + ([(ry, rx)] if residual else [])
    return ((min(o[0][0] for o in outs), max(o[0][1] for o in outs)),
            (min(o[1][0] for o in outs), max(o[1][1] for o in outs)))


@dataclass(frozen=True)
class Axis:
    """One axis of a feature map: size n, jump (cumulative stride) and the field of unit 0."""

    n: int
    jump: int = 1
    lo: int = 0
    hi: int = 0

    def layer(self, k: int, s: int, padding: str) -> tuple["Axis", Window]:
        if padding == "same":
            out = math.ceil(self.n / s)
            pad = max((out - 1) * s + k - self.n, 0) // 2
        else:
            out, pad = (self.n - k) // s + 1, 0
        return (Axis(out, self.jump * s, self.lo - pad * self.jump, self.hi + (k - 1 - pad) * self.jump),
                Window(k, s, pad, self.n))

    def union(self, other: "Axis") -> "Axis":
        if (self.n, self.jump) != (other.n, other.jump):
            raise ValueError(f"cannot join feature maps of different sizes or strides. Received: {self}, {other}")
        return Axis(self.n, self.jump, min(self.lo, other.lo), max(self.hi, other.hi))

    @property
    def rf(self) -> int:
        return self.hi - self.lo + 1


@dataclass(frozen=True)
class Field:
    """The receptive field of every unit of one branch's (or stem layer's) feature map.

    size (h, w), stride (jump_y, jump_x), rf (height, width in input pixels, before clipping),
    input_size (H, W) of the network, path: the branch's own steps ("1x1", "3x3/2", "3x3 max pool"),
    from the module's input, whose stride and receptive field are `module_in`; chain and before:
    the layers of the branch and of every stage before it (for the exact box)."""

    module: str
    branch: str
    label: str
    y: Axis
    x: Axis
    input_size: tuple[int, int]
    path: tuple[str, ...]
    module_in: tuple[int, int]  # (stride, rf) of the module's input
    chain: Chain = ()
    before: tuple[Stage, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        return (self.y.n, self.x.n)

    @property
    def stride(self) -> tuple[int, int]:
        return (self.y.jump, self.x.jump)

    @property
    def rf(self) -> tuple[int, int]:
        return (self.y.rf, self.x.rf)

    def box(self, i: int, j: int, *, clip: bool = True) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive input pixels, that unit (i, j) sees: the pixels it
        actually reads (walked back through every layer), or with clip=False the theoretical
        receptive field, which may reach into the padding. ValueError for a unit outside the map."""
        if not (0 <= i < self.y.n and 0 <= j < self.x.n):
            raise ValueError(f"{self.module}/{self.branch} has a {self.y.n}x{self.x.n} map; there is no unit "
                             f"({i}, {j}). Received: i={i}, j={j}")
        if not clip:
            return (self.y.lo + i * self.y.jump, self.x.lo + j * self.x.jump,
                    self.y.hi + i * self.y.jump, self.x.hi + j * self.x.jump)
        ry, rx = _back_chain(self.chain, (i, i), (j, j))
        for stage in reversed(self.before):
            ry, rx = _back_stage(stage, ry, rx)
        return ry[0], rx[0], ry[1], rx[1]

    def centre(self, i: int, j: int) -> tuple[float, float]:
        """The centre (y, x) of unit (i, j)'s theoretical receptive field, in input pixels."""
        top, left, bottom, right = self.box(i, j, clip=False)
        return (top + bottom) / 2.0, (left + right) / 2.0

    @property
    def text(self) -> str:
        """"1x1 -> 3x3 -> 3x3, stride 8, RF 67 px" (the branch's own kernels, its cumulative stride
        and receptive field)."""
        steps = " -> ".join(self.path) if self.path else "identity"
        sy, sx = self.stride
        ry, rx = self.rf
        stride = f"{sy}" if sy == sx else f"{sy}x{sx}"
        rf = f"{ry} px" if ry == rx else f"{ry}x{rx} px"
        return f"{steps}, stride {stride}, RF {rf}"


def _step(u: Unit, st: State) -> str:
    if isinstance(u, ConvU):
        kh, kw = conv_kernel(u, st)
        return f"{kh}x{kw}" + (f"/{u.stride}" if u.stride > 1 else "")
    if isinstance(u, PoolU):
        return f"{u.size}x{u.size}" + (f"/{u.stride}" if u.stride > 1 else "") + f" {u.kind} pool"
    if isinstance(u, ParU):
        return " || ".join(_step(c, st) for c in u.convs)
    return u.layers[0].rsplit("__", 1)[-1]


def _unit(u: Unit, y: Axis, x: Axis, st: State) -> tuple[Axis, Axis, State, Step]:
    """Apply one spatial unit to both axes (st: the cost model's state, for fit-to-map kernels):
    (y, x, state, the step's windows)."""
    if isinstance(u, ConvU):
        kh, kw = conv_kernel(u, st)
        (y, wy), (x, wx) = y.layer(kh, u.stride, u.padding), x.layer(kw, u.stride, u.padding)
        step: Step = ((wy, wx),)
    elif isinstance(u, PoolU):
        (y, wy), (x, wx) = y.layer(u.size, u.stride, u.padding), x.layer(u.size, u.stride, u.padding)
        step = ((wy, wx),)
    elif isinstance(u, ParU):
        outs = [_unit(c, y, x, st) for c in u.convs]
        y, x = outs[0][0], outs[0][1]
        for oy, ox, _, _ in outs[1:]:
            y, x = y.union(oy), x.union(ox)
        step = tuple(w for o in outs for w in o[3])
    elif isinstance(u, LRNU):  # pointwise in space
        return y, x, st, ()
    else:
        raise ValueError(f"no receptive field through {u!r}")
    return y, x, State(y.n, x.n, 1), step


def _units(units, y: Axis, x: Axis) -> tuple[Axis, Axis, tuple[str, ...], Chain]:
    st, path, chain = State(y.n, x.n, 1), [], []
    for u in units:
        path.append(_step(u, st))
        y, x, st, step = _unit(u, y, x, st)
        if step:
            chain.append(step)
    return y, x, tuple(path), tuple(chain)


@functools.lru_cache(maxsize=64)
def net_fields(net: Net) -> dict:
    """{(module, branch): Field} for every part of every module of a resolved net (branches of
    branched modules; the layers of sequential ones such as the stem)."""
    s = net.choices.input_size
    y, x = Axis(s), Axis(s)
    fields: dict = {}
    before: list = []
    for m in net.modules:
        module_in = (y.jump, y.rf)
        if m.sequential:
            for key, label, units in m.parts():
                y, x, path, chain = _units(units, y, x)
                fields[(m.name, key)] = Field(m.name, key, label, y, x, (s, s), path, module_in, chain, tuple(before))
                before.append(((chain,), False))
            continue
        outs, chains = [], []
        for b in m.branches:
            by, bx, path, chain = _units(b.units, y, x)
            fields[(m.name, b.key)] = Field(m.name, b.key, b.label, by, bx, (s, s), path, module_in, chain,
                                            tuple(before))
            outs.append((by, bx))
            chains.append(chain)
        oy, ox = outs[0]
        for by, bx in outs[1:]:
            oy, ox = oy.union(by), ox.union(bx)
        if m.residual:  # the shortcut adds the module's input: its field joins
            oy, ox = oy.union(y), ox.union(x)
        before.append((tuple(chains), bool(m.residual)))
        y, x = oy, ox
    return fields


def receptive_field(net_or_variant: Union[Net, str], module: str, branch: str, **choices) -> Field:
    """The receptive field of `branch` of `module` (a resolved net, or a variant name and its
    design choices). ValueError naming the valid addresses for an unknown one."""
    net = net_or_variant if isinstance(net_or_variant, Net) else _net(net_or_variant, choices)
    fields = net_fields(net)
    found: Optional[Field] = fields.get((module, branch))
    if found is None:
        modules = list(dict.fromkeys(m for m, _ in fields))
        keys = [b for m, b in fields if m == module]
        hint = f"{module} has parts {', '.join(keys)}" if keys else f"modules: {', '.join(modules)}"
        raise ValueError(f"{net.variant} has no part {module}/{branch} ({hint}). "
                         f"Received: module={module!r}, branch={branch!r}")
    return found


def _net(variant: str, choices: dict) -> Net:
    spec = get_spec(variant)
    return resolve(spec, make_choices(spec, **choices))
