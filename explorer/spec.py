"""Declarative specs: the vocabulary every variant table is written in, and the design choices.

Everything here is a frozen dataclass (hashable, so Streamlit can cache on it). A variant is a
table of `Module` rows; a module holds `Branch`es of ops (`Conv`, `Pool`, `LRN`). Design choices
are one frozen `Choices`; toggling one is `dataclasses.replace`. Nothing here imports Keras.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional, Union

Kernel = Union[int, tuple[int, int]]


def kernel2(k: Kernel) -> tuple[int, int]:
    """`3` -> (3, 3); `(1, 7)` -> (1, 7)."""
    return (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))


# --------------------------------------------------------------------------- ops
@dataclass(frozen=True)
class Conv:
    """A convolution unit: conv (+ batch norm) (+ ReLU), as the choices say.

    role:   "main"; "reduce" (a 1x1 that shrinks channels before a bigger conv) or "proj" (the
            pool projection): both are dropped when `reduce_1x1=False` (the paper's naive module).
    five:   this op is the module's "5x5" (kernel 5). `kernel_5x5=3` builds it as 3x3 (what
            torchvision/TF-slim ship for GoogLeNet); `factorize_5x5=True` builds two 3x3 convs, the
            first with `mid` filters (default: `filters`).
    split:  this nxn conv is factorisable. With `factorize_nxn=True` it is built as "1xn" (1xn with
            `mid` filters, then nx1), "nx1" (the other order), or "parallel" (1xn and nx1 side by side,
            each with filters/2, concatenated: Inception-v3's expanded filter bank). With
            `factorize_nxn=False` it is one nxn conv with `filters` outputs.
    bn / bias / act: fixed per op when not None (e.g. the linear up-projection of a residual block:
            bias, no BN, no ReLU); None follows the choices.
    depth_multiplier: a depthwise-separable conv (TF-slim inception_v2's stem).
    fit:    the kernel shrinks to the feature map when that is smaller (TF-slim aux heads' 5x5).
    """

    filters: int
    kernel: Kernel = 1
    stride: int = 1
    padding: str = "same"
    role: str = "main"
    five: bool = False
    split: Optional[str] = None
    mid: Optional[int] = None
    bn: Optional[bool] = None
    bias: Optional[bool] = None
    act: bool = True
    depth_multiplier: Optional[int] = None
    fit: bool = False
    name: Optional[str] = None


@dataclass(frozen=True)
class Pool:
    kind: str = "max"  # "max" | "avg"
    size: int = 3
    stride: int = 1
    padding: str = "same"
    name: Optional[str] = None


@dataclass(frozen=True)
class LRN:
    """Local response normalisation (GoogLeNet's stem); present only when `lrn=True`."""

    name: str = "lrn"
    radius: int = 2  # 5 channels: depth_radius 2 as in the original Caffe/TF GoogLeNet
    bias: float = 1.0
    alpha: float = 1e-4
    beta: float = 0.75


Op = Union[Conv, Pool, LRN]


@dataclass(frozen=True)
class Branch:
    """One parallel path of a module. `label` is the branch's role ("1x1", "3x3", "5x5", "pool",
    "7x7dbl", ...), constant under toggles (the "5x5" branch stays the "5x5" branch when its
    kernel becomes 3x3)."""

    label: str
    ops: tuple[Op, ...]


@dataclass(frozen=True)
class Module:
    """One row of a variant's table.

    kind: "stem" / "pool" / "conv" (sequential `ops`), "inception" / "reduction" (parallel
          `branches`, concatenated), "residual" (branches -> concat -> linear 1x1 up-projection ->
          input + scale * up -> ReLU).
    repeat: the row stands for `repeat` identical modules named `name.format(label)` for each of
          `labels` (default 1..repeat).
    group: residual block group "a" / "b" / "c": which entry of `residual_scale` applies.
    fixed_scale / activation: per-row overrides (IRv2's last block: scale 1.0, no ReLU, as shipped).
    """

    name: str
    kind: str
    ops: tuple[Op, ...] = ()
    branches: tuple[Branch, ...] = ()
    repeat: int = 1
    labels: tuple[str, ...] = ()
    group: Optional[str] = None
    fixed_scale: Optional[float] = None
    activation: bool = True

    def names(self) -> tuple[str, ...]:
        if self.repeat == 1 and "{}" not in self.name:
            return (self.name,)
        labels = self.labels or tuple(str(i) for i in range(1, self.repeat + 1))
        if len(labels) != self.repeat:
            raise ValueError(f"module row {self.name!r}: {len(labels)} labels for repeat={self.repeat}")
        return tuple(self.name.format(lab) for lab in labels)


@dataclass(frozen=True)
class AuxHead:
    """An auxiliary classifier attached after module `after`.

    form "googlenet": avg pool 5x5/3, 1x1 conv 128, FC 1024 + ReLU, dropout 0.7, FC classes.
    form "slim": avg pool 5x5/3, 1x1 conv 128, 5x5 conv 768 (valid), FC classes (TF-slim /
    torchvision Inception-v3, TF-slim Inception-v4 and Inception-ResNet-v2)."""

    after: str
    form: str


# --------------------------------------------------------------------------- choices
@dataclass(frozen=True)
class Choices:
    """Design choices. Per-variant defaults come from `VariantSpec.defaults`; use `choices()`."""

    reduce_1x1: bool = True
    batch_norm: bool = True
    conv_bias: Optional[bool] = None  # None: a bias only on convs without batch norm
    bn_scale: bool = False  # BN gamma (torchvision style) or not (Keras/TF-slim style)
    factorize_5x5: bool = False
    factorize_nxn: bool = True
    kernel_5x5: int = 5
    lrn: bool = False
    aux_heads: bool = False
    residual: bool = False
    residual_scale: Optional[tuple[float, float, float]] = None
    head: str = "gap"
    width: float = 1.0
    input_size: int = 299
    classes: int = 1000
    table: str = "paper"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


CHOICE_HELP: dict[str, str] = {
    "reduce_1x1": "1x1 reductions before the 3x3/5x5 convolutions and the pool projection "
    "(off = the paper's naive Inception module, Figure 2a)",
    "batch_norm": "batch normalisation after every convolution (Ioffe & Szegedy 2015)",
    "conv_bias": "bias in convolutions (None/auto: only where there is no batch norm)",
    "bn_scale": "learn a BN scale gamma (torchvision) or not (Keras / TF-slim: scale=False)",
    "factorize_5x5": "build each 5x5 as two stacked 3x3 convolutions (Inception-v2/v3)",
    "factorize_nxn": "build factorisable nxn convolutions as 1xn then nx1 (Inception-v3 Fig. 6/7)",
    "kernel_5x5": "kernel of GoogLeNet's \"5x5\" branch: 5 as in the paper, 3 as torchvision and "
    "TF-slim ship it",
    "lrn": "local response normalisation in the stem (GoogLeNet paper)",
    "aux_heads": "auxiliary classifiers (training loss = main + 0.3 * each aux)",
    "residual": "residual shortcut around each Inception-ResNet block",
    "residual_scale": "scale of the residual before it is added: one number in (0, 1] or (A, B, C)",
    "head": "\"gap\": global average pooling + FC; \"fc\": flatten + FC (the NIN argument)",
    "width": "channel multiplier for every convolution",
    "input_size": "input image side in pixels",
    "classes": "number of output classes",
    "table": "which reading of the published table to build",
}

BOOL_CHOICES = ("reduce_1x1", "batch_norm", "bn_scale", "factorize_5x5", "factorize_nxn", "lrn",
                "aux_heads", "residual")
TOGGLES = ("reduce_1x1", "batch_norm", "factorize_5x5", "factorize_nxn", "aux_heads", "residual",
           "head")


# --------------------------------------------------------------------------- variant spec
@dataclass(frozen=True)
class VariantSpec:
    """A whole variant as data. `tables` maps a `table` choice to its module rows."""

    name: str
    title: str
    paper: str
    tables: tuple[tuple[str, tuple[Module, ...]], ...]
    defaults: Choices
    applicable: frozenset
    not_applicable_why: tuple[tuple[str, str], ...] = ()
    aux: tuple[AuxHead, ...] = ()
    dropout: float = 0.0
    normalization: str = "tf"  # preprocessing of the reference weights
    presets: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    deviations: tuple[str, ...] = ()  # "paper vs shipped", for the UI
    notes: tuple[str, ...] = ()

    def modules(self, table: str = "paper") -> tuple[Module, ...]:
        return dict(self.tables)[table]

    def preset(self, name: str) -> dict:
        presets = dict(self.presets)
        if name not in presets:
            raise ValueError(f"{self.name} has no preset {name!r}; presets: {sorted(presets)}. "
                             f"Received: {name!r}")
        return dict(presets[name])


def _why_not(spec: VariantSpec, name: str) -> str:
    return dict(spec.not_applicable_why).get(name, f"it does not apply to {spec.name}")


def choices(variant: Union[str, VariantSpec], **kwargs) -> Choices:
    """Validated `Choices` for `variant`: its defaults, overridden by `kwargs`.

    Raises ValueError (saying why and what is valid) for unknown names, wrong types, values out of
    range, choices that mean nothing for the variant (set to a non-default value), and combinations
    that cannot be built (including an input too small for the variant)."""
    from explorer.variants import get_spec  # local: variants imports this module

    spec = get_spec(variant) if isinstance(variant, str) else variant
    valid = [f.name for f in dataclasses.fields(Choices)]
    for key in kwargs:
        if key not in valid:
            raise ValueError(f"Unknown design choice {key!r} for {spec.name}. Valid choices: "
                             f"{', '.join(valid)}. Received: {key}={kwargs[key]!r}")
    values = dict(kwargs)
    if "residual_scale" in values and values["residual_scale"] is not None:
        values["residual_scale"] = _scale_tuple(values["residual_scale"])
    for key, value in values.items():
        default = getattr(spec.defaults, key)
        if key not in spec.applicable and value != default:
            raise ValueError(f"{key}={value!r} means nothing for {spec.name}: {_why_not(spec, key)}. "
                             f"Choices that apply to {spec.name}: {', '.join(sorted(spec.applicable))}. "
                             f"Received: {key}={kwargs[key]!r}")
    c = dataclasses.replace(spec.defaults, **values)
    _validate(spec, c, kwargs)
    return c


def _scale_tuple(value) -> tuple[float, float, float]:
    if isinstance(value, bool):
        raise ValueError(f"residual_scale must be a number in (0, 1] or three of them (A, B, C). "
                         f"Received: {value!r}")
    if isinstance(value, (int, float)):
        value = (value, value, value)
    try:
        t = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"residual_scale must be a number in (0, 1] or three of them (A, B, C). "
                         f"Received: {value!r}") from None
    if len(t) != 3:
        raise ValueError(f"residual_scale needs one number or three (blocks A, B, C). Received: {value!r}")
    for s in t:
        if not 0.0 < s <= 1.0:
            raise ValueError(f"residual_scale must be in (0, 1] (the paper uses 0.1-0.3). Received: {value!r}")
    return t


def _validate(spec: VariantSpec, c: Choices, given: dict) -> None:
    for name in BOOL_CHOICES:
        v = getattr(c, name)
        if not isinstance(v, bool):
            raise ValueError(f"{name} must be True or False. Received: {name}={v!r}")
    if c.conv_bias is not None and not isinstance(c.conv_bias, bool):
        raise ValueError(f"conv_bias must be True, False or None (auto). Received: conv_bias={c.conv_bias!r}")
    if c.head not in ("gap", "fc"):
        raise ValueError(f"head must be 'gap' (global average pooling) or 'fc' (flatten + fully "
                         f"connected). Received: head={c.head!r}")
    if c.kernel_5x5 not in (3, 5) or isinstance(c.kernel_5x5, bool):
        raise ValueError(f"kernel_5x5 must be 5 (paper) or 3 (torchvision / TF-slim). "
                         f"Received: kernel_5x5={c.kernel_5x5!r}")
    if c.kernel_5x5 == 3 and c.factorize_5x5:
        raise ValueError("kernel_5x5=3 and factorize_5x5=True cannot be combined: the \"5x5\" branch "
                         "already has a 3x3 kernel, there is no 5x5 left to factorise. "
                         "Received: kernel_5x5=3, factorize_5x5=True")
    tables = [t for t, _ in spec.tables]
    if c.table not in tables:
        raise ValueError(f"table must be one of {tables} for {spec.name}. Received: table={c.table!r}")
    if not isinstance(c.width, (int, float)) or isinstance(c.width, bool) or not 0.05 <= c.width <= 4:
        raise ValueError(f"width is a channel multiplier between 0.05 and 4. Received: width={c.width!r}")
    if not isinstance(c.classes, int) or isinstance(c.classes, bool) or not 1 <= c.classes <= 100_000:
        raise ValueError(f"classes must be an integer between 1 and 100000. Received: classes={c.classes!r}")
    if not isinstance(c.input_size, int) or isinstance(c.input_size, bool) or not 8 <= c.input_size <= 1024:
        raise ValueError(f"input_size must be an integer between 8 and 1024 pixels. "
                         f"Received: input_size={c.input_size!r}")
    if c.residual_scale is not None and not c.residual and "residual_scale" in given:
        raise ValueError("residual_scale has no effect when residual=False (there is no shortcut "
                         f"to add the scaled residual to). Received: residual_scale={given['residual_scale']!r}")
    # shapes: the cost model walks the graph and raises a ValueError naming the first layer that
    # does not fit and the smallest input size that does.
    from explorer.cost import check_input_size

    check_input_size(spec, c)
