"""Resolve a spec + choices into the concrete graph of units (`explorer.arch.units`) that the
builder and the cost model both walk.

The design choices act here, and only here: `reduce_1x1=False` drops the 1x1 reductions and pool
projections, `kernel_5x5` / `factorize_5x5` decide what a `Conv5x5` becomes, `factorize_nxn`
whether a `Factorized` op is its asymmetric rows or one nxn conv (and whether a factorizable
`Conv` is split), `factorize_mid` the middle width where no paper gives one, `width` scales every
channel count. Channels are tracked through the graph because the `factorize_mid` rule needs
each factorised convolution's input width.
"""
from __future__ import annotations

import functools
import math
from typing import Optional, Union

from explorer.arch.units import (ConvU, DenseU, DropoutU, FlattenU, GapU, LRNU, Net, ParU, PoolU, RBranch,
                                 RHead, RModule)
from explorer.zoo.choices import Choices
from explorer.zoo.ops import Conv, Conv5x5, Factorized, LRN, Module, Pool, kernel2
from explorer.zoo.spec import VariantSpec


def scaled(filters: int, width: float) -> int:
    """Channel count under the width multiplier (never below 8)."""
    if width == 1.0:
        return filters
    return max(8, int(filters * width + 0.5))


def middle_width(rule: str, r: int, f: int) -> int:
    """Width between the two convolutions that replace one (r input, f output channels):
    "sqrt" r -> sqrt(r f) -> f, the same widening factor per step (Inception-v3 sec. 3.1);
    "out" r -> f -> f (all the widening in the first); "in" r -> r -> f (all in the second)."""
    if rule == "out":
        return f
    if rule == "in":
        return r
    return max(1, int(math.sqrt(r * f) + 0.5))


class _Namer:
    """Unique, readable unit names within one branch: b2_1x1, b2_3x3, b2_3x3_2, ..."""

    def __init__(self, prefix: str):
        self.prefix, self.seen = prefix, {}

    def __call__(self, token: str) -> str:
        n = self.seen.get(token, 0) + 1
        self.seen[token] = n
        return f"{self.prefix}_{token}" + (f"_{n}" if n > 1 else "")


def _conv_unit(name: str, op: Conv, c: Choices, filters: int, kernel, stride: int, padding: str) -> ConvU:
    bn = c.batch_norm if op.bn is None else op.bn
    if op.bias is not None:
        bias = op.bias
    elif c.conv_bias is not None:
        bias = c.conv_bias
    else:
        bias = not bn
    return ConvU(name, filters, kernel2(kernel), stride, padding, bias, bn, c.bn_scale, op.act,
                 op.depth_multiplier, op.fit)


def _kxk(op: Conv, c: Choices, namer, cin: int, filters: int, k: int, stride: int, padding: str,
         factorizable: bool) -> list:
    """A kxk conv with `filters` outputs; split into 1xk then kx1 when it is factorizable and
    `factorize_nxn` is on (stride 1 only), the middle width by the `factorize_mid` rule."""
    if factorizable and c.factorize_nxn and k > 1 and stride == 1:
        mid = middle_width(c.factorize_mid, cin, filters)
        return [_conv_unit(namer(f"1x{k}"), op, c, mid, (1, k), 1, padding),
                _conv_unit(namer(f"{k}x1"), op, c, filters, (k, 1), 1, padding)]
    return [_conv_unit(namer(f"{k}x{k}"), op, c, filters, (k, k), stride, padding)]


def _five(op: Conv5x5, c: Choices, namer, cin: int) -> list:
    """A branch's "5x5": one 5x5, one 3x3 (kernel_5x5=3) or two 3x3 (factorize_5x5)."""
    f = scaled(op.filters, c.width)
    base = Conv(op.filters)
    if c.factorize_5x5 and c.kernel_5x5 == 5:
        mid = scaled(op.mid, c.width) if op.mid else middle_width(c.factorize_mid, cin, f)
        first = _kxk(base, c, namer, cin, mid, 3, 1, op.padding, op.factorizable)
        return first + _kxk(base, c, namer, mid, f, 3, op.stride, op.padding, op.factorizable)
    return _kxk(base, c, namer, cin, f, c.kernel_5x5, op.stride, op.padding, op.factorizable)


def _factorized(op: Factorized, c: Choices, namer, cin: int) -> list:
    """The paper's asymmetric rows (factorize_nxn=True), or one nxn conv with as many outputs."""
    n = op.n
    if not c.factorize_nxn:
        return [_conv_unit(namer(f"{n}x{n}"), op.rows[-1], c, scaled(op.out, c.width), (n, n), 1, "same")]
    names = [namer("x".join(map(str, kernel2(r.kernel)))) for r in op.rows]
    rows = [_conv_unit(name, r, c, scaled(r.filters, c.width), r.kernel, 1, "same") for name, r in zip(names, op.rows)]
    if op.parallel:
        return [ParU(namer("_".join("x".join(map(str, kernel2(r.kernel))) for r in op.rows)), tuple(rows))]
    return rows


def _op_units(op, c: Choices, namer, cin: int) -> list:
    if isinstance(op, Conv):
        if op.role in ("reduce", "proj") and not c.reduce_1x1:
            return []
        kh, kw = kernel2(op.kernel)
        f = scaled(op.filters, c.width)
        if kh == kw:
            return _kxk(op, c, namer, cin, f, kh, op.stride, op.padding, op.factorizable)
        return [_conv_unit(namer(f"{kh}x{kw}"), op, c, f, (kh, kw), op.stride, op.padding)]
    if isinstance(op, Conv5x5):
        return _five(op, c, namer, cin)
    if isinstance(op, Factorized):
        return _factorized(op, c, namer, cin)
    if isinstance(op, Pool):
        return [PoolU(namer(op.name or "pool"), op.kind, op.size, op.stride, op.padding)]
    if isinstance(op, LRN):
        return [LRNU(namer(op.name), op.radius, op.bias, op.alpha, op.beta)] if c.lrn else []
    raise TypeError(f"unknown op {op!r}")


def channels_out(unit, cin: int) -> int:
    """Output channels of a unit given its input channels."""
    if isinstance(unit, ConvU):
        return unit.filters if unit.filters is not None else cin
    if isinstance(unit, ParU):
        return sum(channels_out(u, cin) for u in unit.convs)
    return cin


def _chain(ops, c: Choices, namer, cin: int) -> tuple[list, int]:
    units: list = []
    for op in ops:
        new = _op_units(op, c, namer, cin)
        for u in new:
            cin = channels_out(u, cin)
        units.extend(new)
    return units, cin


def _resolve_module(row: Module, name: str, c: Choices, cin: int) -> tuple[RModule, int]:
    if row.kind in ("stem", "pool", "conv"):  # sequential: units named after the op (`stem__conv1_7x7`)
        units: list = []
        for op in row.ops:
            if isinstance(op, Conv):  # stem convs keep their names and are never dropped
                units.append(_conv_unit(f"{name}__{op.name}", op, c, scaled(op.filters, c.width), op.kernel,
                                        op.stride, op.padding))
                cin = channels_out(units[-1], cin)
            else:
                new, cin = _chain((op,), c, lambda token: f"{name}__{token}", cin)
                units.extend(new)
        return RModule(name, row.kind, units=tuple(units)), cin
    branches, cout = [], 0
    for i, br in enumerate(row.branches, 1):
        key = f"b{i}"
        units, out = _chain(br.ops, c, _Namer(f"{name}__{key}"), cin)
        branches.append(RBranch(key, br.label, tuple(units)))
        cout += out
    if row.kind != "residual":
        return RModule(name, row.kind, branches=tuple(branches)), cout
    scale = row.fixed_scale if row.fixed_scale is not None else (c.residual_scale or (1.0, 1.0, 1.0))["abc".index(row.group)]
    up = ConvU(f"{name}__up", None, (1, 1), 1, "same", bias=True, bn=False, act=False)
    return RModule(name, "residual", branches=tuple(branches), up=up, residual=c.residual,
                   scale=scale if c.residual else None, activation=row.activation), cin


def _aux_head(index: int, form: str, after: str, c: Choices) -> RHead:
    p = f"aux_{index}"
    bn = c.batch_norm
    bias = c.conv_bias if c.conv_bias is not None else not bn

    def conv(n, f, k, pad="same", fit=False):
        return ConvU(f"{p}__{n}", scaled(f, c.width), (k, k), 1, pad, bias, bn, c.bn_scale, True, None, fit)

    units: list = [PoolU(f"{p}__pool", "avg", 5, 3, "valid"), conv("1x1", 128, 1)]
    if form == "googlenet":
        units += [FlattenU(f"{p}__flatten"), DenseU(f"{p}__fc1", 1024, "relu"), DropoutU(f"{p}__dropout", 0.7)]
    elif form == "slim":
        units += [conv("5x5", 768, 5, "valid", fit=True), FlattenU(f"{p}__flatten")]
    else:
        raise ValueError(f"unknown aux head form {form!r}")
    units.append(DenseU(f"{p}__fc", c.classes, "softmax"))
    return RHead(p, after, tuple(units))


def _spec_choices(spec: Union[VariantSpec, str], c: Optional[Choices]) -> tuple[VariantSpec, Choices]:
    if isinstance(spec, str):
        from explorer.zoo.variants import get_spec

        spec = get_spec(spec)
    return spec, (c if c is not None else spec.defaults)


def _walk(spec: VariantSpec, c: Choices):
    """(table row, module name, input channels, resolved module) for every module, in order."""
    cin = 3
    for row in spec.modules(c.table):
        for name in row.names():
            module, cout = _resolve_module(row, name, c, cin)
            yield row, name, cin, module
            cin = cout


@functools.lru_cache(maxsize=512)
def resolve(spec: Union[VariantSpec, str], c: Optional[Choices] = None) -> Net:
    """The concrete unit graph of `spec` under choices `c` (validated by `explorer.choices`)."""
    spec, c = _spec_choices(spec, c)
    modules = [module for _, _, _, module in _walk(spec, c)]
    head_units: list = [GapU("head__pool") if c.head == "gap" else FlattenU("head__flatten")]
    if spec.dropout:
        head_units.append(DropoutU("head__dropout", spec.dropout))
    head_units.append(DenseU("head__fc", c.classes, "softmax"))
    aux = tuple(_aux_head(i, a.form, a.after, c) for i, a in enumerate(spec.aux, 1)) if c.aux_heads else ()
    return Net(spec.name, c, tuple(modules), RHead("head", None, tuple(head_units)), aux)


def five_widths(spec: Union[VariantSpec, str], c: Optional[Choices] = None) -> list[dict]:
    """Every "5x5" of `spec` (each module's `Conv5x5`) with the widths its two-3x3 factorisation has
    under choices `c`: module, branch, label, r (input channels), m (middle width), f (output
    channels), published (True where the paper gives m; else the `factorize_mid` rule decides),
    stride, and factorized (whether `c` builds it as two 3x3)."""
    spec, c = _spec_choices(spec, c)
    out = []
    for row, name, cin, _ in _walk(spec, c):
        for i, br in enumerate(row.branches, 1):
            for j, op in enumerate(br.ops):
                if not isinstance(op, Conv5x5):
                    continue
                _, r = _chain(br.ops[:j], c, _Namer("w"), cin)
                f = scaled(op.filters, c.width)
                m = scaled(op.mid, c.width) if op.mid else middle_width(c.factorize_mid, r, f)
                out.append({"module": name, "branch": f"b{i}", "label": br.label, "r": r, "m": m, "f": f,
                            "published": bool(op.mid), "stride": op.stride,
                            "factorized": bool(c.factorize_5x5 and c.kernel_5x5 == 5)})
    return out


def nxn_widths(spec: Union[VariantSpec, str], c: Optional[Choices] = None) -> list[dict]:
    """Every factorizable kxk conv of `spec` under choices `c` (a 3x3, a "5x5" or the two 3x3 of a
    factorised one, stride 1) with the widths of its 1xk + kx1 split: module, branch, label, k, r,
    m (by the `factorize_mid` rule: no paper gives it), f, and factorized (whether `c` splits it)."""
    spec, c = _spec_choices(spec, c)
    out = []
    for row, name, cin, _ in _walk(spec, c):
        for i, br in enumerate(row.branches, 1):
            for j, op in enumerate(br.ops):
                if not getattr(op, "factorizable", False):
                    continue
                _, r = _chain(br.ops[:j], c, _Namer("w"), cin)
                f = scaled(op.filters, c.width)
                if isinstance(op, Conv5x5) and c.factorize_5x5 and c.kernel_5x5 == 5:
                    m5 = scaled(op.mid, c.width) if op.mid else middle_width(c.factorize_mid, r, f)
                    convs = [(3, r, m5, 1), (3, m5, f, op.stride)]  # only stride-1 convs are split
                else:
                    convs = [(c.kernel_5x5 if isinstance(op, Conv5x5) else kernel2(op.kernel)[0], r, f, op.stride)]
                out += [{"module": name, "branch": f"b{i}", "label": br.label, "k": k, "r": a, "f": b,
                         "m": middle_width(c.factorize_mid, a, b), "factorized": bool(c.factorize_nxn)}
                        for k, a, b, stride in convs if k > 1 and stride == 1]
    return out
