"""Resolve a spec + choices into a concrete graph of units: the one structure that both the
Keras builder (`explorer.builder`) and the analytic cost model (`explorer.cost`) walk, which is
why they agree exactly.

A unit is a small frozen dataclass whose `name` is the prefix of its Keras layers:
`ConvU("inception_3a__b2_3x3")` becomes layers `inception_3a__b2_3x3__conv`, `..__bn`, `..__relu`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional, Union

from explorer.spec import Choices, Conv, LRN, Module, Pool, VariantSpec, kernel2


# --------------------------------------------------------------------------- units
@dataclass(frozen=True)
class ConvU:
    name: str
    filters: Optional[int]  # None: as many as the unit's input (residual up-projection)
    kernel: tuple[int, int]
    stride: int = 1
    padding: str = "same"
    bias: bool = False
    bn: bool = True
    bn_scale: bool = False
    act: bool = True
    depth_multiplier: Optional[int] = None
    fit: bool = False

    @property
    def layers(self) -> tuple[str, ...]:
        out = [f"{self.name}__{'sepconv' if self.depth_multiplier else 'conv'}"]
        if self.bn:
            out.append(f"{self.name}__bn")
        if self.act:
            out.append(f"{self.name}__relu")
        return tuple(out)


@dataclass(frozen=True)
class PoolU:
    name: str
    kind: str
    size: int
    stride: int
    padding: str

    @property
    def layers(self):
        return (f"{self.name}__{self.kind}pool",)


@dataclass(frozen=True)
class LRNU:
    name: str
    radius: int
    bias: float
    alpha: float
    beta: float

    @property
    def layers(self):
        return (f"{self.name}__lrn",)


@dataclass(frozen=True)
class ParU:
    """Parallel convolutions on one input, concatenated (1x3 || 3x1)."""

    name: str
    convs: tuple[ConvU, ...]

    @property
    def layers(self):
        return sum((c.layers for c in self.convs), ()) + (f"{self.name}__concat",)


@dataclass(frozen=True)
class GapU:
    name: str

    @property
    def layers(self):
        return (f"{self.name}__gap",)


@dataclass(frozen=True)
class FlattenU:
    name: str

    @property
    def layers(self):
        return (f"{self.name}__flatten",)


@dataclass(frozen=True)
class DropoutU:
    name: str
    rate: float

    @property
    def layers(self):
        return (f"{self.name}__dropout",)


@dataclass(frozen=True)
class DenseU:
    name: str
    units: int
    act: Optional[str]  # "relu" | "softmax" | None

    @property
    def layers(self):
        return (f"{self.name}__dense",) + ((f"{self.name}__{self.act}",) if self.act else ())


Unit = Union[ConvU, PoolU, LRNU, ParU, GapU, FlattenU, DropoutU, DenseU]


def output_layer(unit: Unit) -> str:
    """Name of the Keras layer whose output is the unit's output."""
    return unit.layers[-1]


@dataclass(frozen=True)
class RBranch:
    key: str  # "b1", "b2", ... (concatenation order)
    label: str  # "1x1", "3x3", "5x5", "pool", ...
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class RModule:
    name: str
    kind: str
    units: tuple[Unit, ...] = ()  # sequential modules
    branches: tuple[RBranch, ...] = ()
    up: Optional[ConvU] = None  # residual blocks: linear 1x1 up-projection
    residual: bool = False
    scale: Optional[float] = None
    activation: bool = True

    @property
    def sequential(self) -> bool:
        return not self.branches

    @property
    def output(self) -> str:
        """Name of the layer that outputs the module."""
        if self.sequential:
            return output_layer(self.units[-1])
        return self.name

    def parts(self) -> tuple[tuple[str, str, tuple[Unit, ...]], ...]:
        """(key, label, units) of each branch; a sequential module's units are its parts."""
        if self.sequential:
            return tuple((_short(u.name), _short(u.name), (u,)) for u in self.units)
        return tuple((b.key, b.label, b.units) for b in self.branches)

    def part_output(self, key: str) -> str:
        for k, _, units in self.parts():
            if k == key:
                return output_layer(units[-1])
        raise KeyError(f"{self.name} has no branch {key!r}")


def _short(unit_name: str) -> str:
    return unit_name.split("__", 1)[1]


@dataclass(frozen=True)
class RHead:
    name: str  # "head", "aux_1", ...
    after: Optional[str]  # module the head reads (None: the last module)
    units: tuple[Unit, ...]

    @property
    def output(self) -> str:
        return output_layer(self.units[-1])


@dataclass(frozen=True)
class Net:
    variant: str
    choices: Choices
    modules: tuple[RModule, ...]
    head: RHead
    aux: tuple[RHead, ...]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.choices.input_size, self.choices.input_size, 3)

    def module(self, name: str) -> RModule:
        for m in self.modules:
            if m.name == name:
                return m
        raise KeyError(f"{self.variant} has no module {name!r}; modules: {[m.name for m in self.modules]}")


# --------------------------------------------------------------------------- resolve
def scaled(filters: int, width: float) -> int:
    """Channel count under the width multiplier (never below 8)."""
    if width == 1.0:
        return filters
    return max(8, int(filters * width + 0.5))


class _Namer:
    """Unique, readable unit names within one branch: b2_1x1, b2_3x3, b2_3x3_2, ..."""

    def __init__(self, prefix: str):
        self.prefix, self.seen = prefix, {}

    def __call__(self, token: str) -> str:
        n = self.seen.get(token, 0) + 1
        self.seen[token] = n
        return f"{self.prefix}_{token}" + (f"_{n}" if n > 1 else "")


def _conv_unit(name: str, op: Conv, c: Choices, filters: int, kernel, stride: int) -> ConvU:
    bn = c.batch_norm if op.bn is None else op.bn
    if op.bias is not None:
        bias = op.bias
    elif c.conv_bias is not None:
        bias = c.conv_bias
    else:
        bias = not bn
    return ConvU(name, filters, kernel2(kernel), stride, op.padding, bias, bn, c.bn_scale, op.act,
                 op.depth_multiplier, op.fit)


def _expand_conv(op: Conv, c: Choices, namer) -> list:
    """A spec Conv -> one or more units, applying kernel_5x5, factorize_5x5 and factorize_nxn."""
    width = c.width
    kh, kw = kernel2(op.kernel)
    steps = [(op.filters, (kh, kw), op.stride)]  # (filters, kernel, stride) before nxn splitting
    if op.five:
        k = c.kernel_5x5
        if c.factorize_5x5 and k == 5:
            steps = [(op.mid or op.filters, (3, 3), 1), (op.filters, (3, 3), op.stride)]
        else:
            steps = [(op.filters, (k, k), op.stride)]
    units: list = []
    for filters, (kh, kw), stride in steps:
        n = kh
        mid = op.mid if (op.mid and not op.five) else filters
        if op.split and c.factorize_nxn and kh == kw and n > 1 and stride == 1:
            if op.split == "parallel":
                half = scaled(filters // 2, width)
                row_conv = _conv_unit(namer(f"1x{n}"), op, c, half, (1, n), 1)
                col_conv = _conv_unit(namer(f"{n}x1"), op, c, half, (n, 1), 1)
                units.append(ParU(namer(f"1x{n}_{n}x1"), (row_conv, col_conv)))
            else:
                first, second = ((1, n), (n, 1)) if op.split == "1xn" else ((n, 1), (1, n))
                units.append(_conv_unit(namer(f"{first[0]}x{first[1]}"), op, c, scaled(mid, width), first, 1))
                units.append(_conv_unit(namer(f"{second[0]}x{second[1]}"), op, c, scaled(filters, width), second, 1))
        else:
            units.append(_conv_unit(namer(f"{kh}x{kw}"), op, c, scaled(filters, width), (kh, kw), stride))
    return units


def _op_units(op, c: Choices, namer) -> list:
    if isinstance(op, Conv):
        if op.role in ("reduce", "proj") and not c.reduce_1x1:
            return []
        return _expand_conv(op, c, namer)
    if isinstance(op, Pool):
        return [PoolU(namer(op.name or "pool"), op.kind, op.size, op.stride, op.padding)]
    if isinstance(op, LRN):
        if not c.lrn:
            return []
        return [LRNU(namer(op.name), op.radius, op.bias, op.alpha, op.beta)]
    raise TypeError(f"unknown op {op!r}")


class _StemNamer:
    """Sequential modules: units named after the op (`stem__conv1_7x7`)."""

    def __init__(self, module: str):
        self.module = module

    def __call__(self, token: str) -> str:
        return f"{self.module}__{token}"


def _resolve_module(row: Module, name: str, c: Choices) -> RModule:
    if row.kind in ("stem", "pool", "conv"):
        units: list = []
        for op in row.ops:
            namer = _StemNamer(name)
            if isinstance(op, Conv):  # stem convs keep their names and are never dropped
                kh, kw = kernel2(op.kernel)
                units.append(_conv_unit(namer(op.name), op, c, scaled(op.filters, c.width), (kh, kw), op.stride))
            else:
                units.extend(_op_units(op, c, namer))
        return RModule(name, row.kind, units=tuple(units))
    branches = []
    for i, br in enumerate(row.branches, 1):
        key = f"b{i}"
        namer = _Namer(f"{name}__{key}")
        units = [u for op in br.ops for u in _op_units(op, c, namer)]
        branches.append(RBranch(key, br.label, tuple(units)))
    if row.kind != "residual":
        return RModule(name, row.kind, branches=tuple(branches))
    group_index = "abc".index(row.group)
    scale = row.fixed_scale if row.fixed_scale is not None else (c.residual_scale or (1.0, 1.0, 1.0))[group_index]
    up = ConvU(f"{name}__up", None, (1, 1), 1, "same", bias=True, bn=False, act=False)
    return RModule(name, "residual", branches=tuple(branches), up=up, residual=c.residual,
                   scale=scale if c.residual else None, activation=row.activation)


def _aux_head(index: int, form: str, after: str, c: Choices) -> RHead:
    p = f"aux_{index}"
    bn = c.batch_norm
    bias = c.conv_bias if c.conv_bias is not None else not bn
    conv = lambda n, f, k, pad="same", fit=False: ConvU(f"{p}__{n}", scaled(f, c.width), (k, k), 1, pad, bias,  # noqa: E731
                                                         bn, c.bn_scale, True, None, fit)
    units: list = [PoolU(f"{p}__pool", "avg", 5, 3, "valid"), conv("1x1", 128, 1)]
    if form == "googlenet":
        units += [FlattenU(f"{p}__flatten"), DenseU(f"{p}__fc1", 1024, "relu"),
                  DropoutU(f"{p}__dropout", 0.7)]
    elif form == "slim":
        units += [conv("5x5", 768, 5, "valid", fit=True), FlattenU(f"{p}__flatten")]
    else:
        raise ValueError(f"unknown aux head form {form!r}")
    units.append(DenseU(f"{p}__fc", c.classes, "softmax"))
    return RHead(p, after, tuple(units))


@functools.lru_cache(maxsize=512)
def resolve(spec: Union[VariantSpec, str], c: Optional[Choices] = None) -> Net:
    """The concrete unit graph of `spec` under choices `c` (validated by `explorer.choices`)."""
    if isinstance(spec, str):
        from explorer.variants import get_spec

        spec = get_spec(spec)
    c = c if c is not None else spec.defaults
    modules = []
    for row in spec.modules(c.table):
        for name in row.names():
            modules.append(_resolve_module(row, name, c))
    head_units: list = [GapU("head__pool") if c.head == "gap" else FlattenU("head__flatten")]
    if spec.dropout:
        head_units.append(DropoutU("head__dropout", spec.dropout))
    head_units.append(DenseU("head__fc", c.classes, "softmax"))
    aux = tuple(_aux_head(i, a.form, a.after, c) for i, a in enumerate(spec.aux, 1)) if c.aux_heads else ()
    return Net(spec.name, c, tuple(modules), RHead("head", None, tuple(head_units)), aux)
