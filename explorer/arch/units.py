"""Units: the concrete graph a resolved spec is made of (`explorer.arch.graph.resolve`), walked
by both the Keras builder (`explorer.nn.builder`) and the analytic cost model
(`explorer.arch.cost`), which is why they agree exactly.

A unit is a small frozen dataclass whose `name` is the prefix of its Keras layers:
`ConvU("inception_3a__b2_3x3")` becomes layers `inception_3a__b2_3x3__conv`, `..__bn`, `..__relu`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from explorer.zoo.choices import Choices


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


def conv_units(units) -> list[ConvU]:
    """The convolutions among `units`, a parallel pair (ParU) giving its two."""
    out: list[ConvU] = []
    for u in units:
        out.extend(u.convs if isinstance(u, ParU) else [u] if isinstance(u, ConvU) else [])
    return out


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

    # a head reads like a sequential module (the figures draw both the same way)
    kind = "head"
    sequential = True
    branches = ()
    residual = False
    scale = None


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

    def convs(self) -> list[ConvU]:
        """Every convolution of the net: each module's units, branches and up-projection, then the
        heads'."""
        units: list = []
        for m in self.modules:
            units += list(m.units) + [u for b in m.branches for u in b.units] + ([m.up] if m.up is not None else [])
        for h in (self.head,) + self.aux:
            units += list(h.units)
        return conv_units(units)

    def module(self, name: str) -> RModule:
        for m in self.modules:
            if m.name == name:
                return m
        raise KeyError(f"{self.variant} has no module {name!r}; modules: {[m.name for m in self.modules]}")
