"""The vocabulary every variant table is written in: ops, branches, modules, auxiliary heads.

Everything here is a frozen dataclass (hashable: Streamlit caches and `functools.lru_cache` key on
specs). Nothing here imports another part of the package, or Keras.

A variant is a table of `Module` rows; a module holds `Branch`es of ops. The ops:

- `Conv`: one convolution unit (conv, then batch norm and ReLU as the choices say).
- `Conv5x5`: "the 5x5" of a branch, which the design choices may build as one 5x5, one 3x3
  (`kernel_5x5=3`, GoogLeNet as shipped) or two stacked 3x3 (`factorize_5x5=True`).
- `Factorized`: an nxn convolution the paper writes as explicit asymmetric rows (1xn then nx1,
  or 1xn beside nx1); `factorize_nxn=False` builds the single nxn convolution instead. Write it
  with `conv_1xn_nx1`, `conv_nx1_1xn` or `conv_1xn_par_nx1`, so the table shows both rows.
- `Pool`, `LRN`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

Kernel = Union[int, tuple[int, int]]


def kernel2(k: Kernel) -> tuple[int, int]:
    """`3` -> (3, 3); `(1, 7)` -> (1, 7)."""
    return (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))


@dataclass(frozen=True)
class Conv:
    """A convolution unit: conv (+ batch norm) (+ ReLU), as the choices say.

    role:   "main"; "reduce" (a 1x1 that shrinks channels before a bigger conv) or "proj" (the
            pool projection): both are dropped when `reduce_1x1=False` (the paper's naive module).
    factorizable: an nxn conv with no published factorised form (GoogLeNet's and BN-Inception's
            3x3): `factorize_nxn=True` builds it as 1xn then nx1, the middle width by the
            `factorize_mid` rule.
    bn / bias / act: fixed per op when not None (e.g. TF-slim's separable stem conv: bias, no
            BN); None follows the choices.
    depth_multiplier: a depthwise-separable conv (TF-slim inception_v2's stem).
    fit:    the kernel shrinks to the feature map when that is smaller (TF-slim aux heads' 5x5).
    name:   the unit's name in a sequential module (stems); branch units are named by kernel.
    """

    filters: int
    kernel: Kernel = 1
    stride: int = 1
    padding: str = "same"
    role: str = "main"
    factorizable: bool = False
    bn: Optional[bool] = None
    bias: Optional[bool] = None
    act: bool = True
    depth_multiplier: Optional[int] = None
    fit: bool = False
    name: Optional[str] = None


@dataclass(frozen=True)
class Conv5x5:
    """The "5x5" of a branch. Built as one 5x5 conv (`filters` outputs); as a 3x3 when
    `kernel_5x5=3`; as two stacked 3x3 when `factorize_5x5=True`: the first with `mid` filters
    (the published width where a paper gives one, e.g. BN-Inception's double-3x3 branch) or, when
    `mid` is None, the width the `factorize_mid` rule gives (Inception-v3 sec. 3.1: sqrt(r * f)).
    `factorizable`: each 3x3 may be split further by `factorize_nxn` (GoogLeNet)."""

    filters: int
    stride: int = 1
    padding: str = "same"
    mid: Optional[int] = None
    factorizable: bool = False


@dataclass(frozen=True)
class Factorized:
    """An nxn convolution as the paper factorises it, `rows` explicit (what `factorize_nxn=True`
    builds): in sequence (1xn then nx1, or nx1 then 1xn), or side by side and concatenated
    (`parallel`, Inception-v3's expanded filter bank). `factorize_nxn=False` builds one nxn conv
    with `out` filters instead."""

    n: int
    rows: tuple[Conv, ...]
    parallel: bool = False

    @property
    def out(self) -> int:
        """Output channels (the same factorised or not)."""
        return sum(r.filters for r in self.rows) if self.parallel else self.rows[-1].filters


def conv_1xn_nx1(n: int, mid: int, out: int) -> Factorized:
    """A 1xn conv with `mid` filters, then an nx1 conv with `out` filters (unfactorised: nxn, `out`)."""
    return Factorized(n, (Conv(mid, (1, n)), Conv(out, (n, 1))))


def conv_nx1_1xn(n: int, mid: int, out: int) -> Factorized:
    """An nx1 conv with `mid` filters, then a 1xn conv with `out` filters (unfactorised: nxn, `out`)."""
    return Factorized(n, (Conv(mid, (n, 1)), Conv(out, (1, n))))


def conv_1xn_par_nx1(n: int, out: int) -> Factorized:
    """A 1xn and an nx1 conv side by side on the same input, `out / 2` filters each, concatenated
    (unfactorised: one nxn conv with `out` filters)."""
    return Factorized(n, (Conv(out // 2, (1, n)), Conv(out // 2, (n, 1))), parallel=True)


def reduce(filters: int) -> Conv:
    """A 1x1 reduction before a bigger convolution (dropped by `reduce_1x1=False`)."""
    return Conv(filters, 1, role="reduce")


def pool_proj(filters: int) -> Conv:
    """The 1x1 projection after a module's pooling branch (dropped by `reduce_1x1=False`)."""
    return Conv(filters, 1, role="proj")


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


Op = Union[Conv, Conv5x5, Factorized, Pool, LRN]


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
