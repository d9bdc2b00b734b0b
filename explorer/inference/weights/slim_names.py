"""The TF-slim name map: which checkpoint variable holds each explorer weight, as data.

Written from the TF-slim network definitions (tensorflow/models research/slim/nets: inception_v1,
inception_v2, inception_v3, inception_v4, inception_resnet_v2), quirks included: v1's Mixed_5b
names its 3x3 `Conv2d_0a_3x3`, v3's Mixed_5c has `Conv2d_0b_1x1` + `Conv_1_0c_5x5` and its Mixed_6a
3x3 convs are called `Conv2d_1a_1x1`, v3's Mixed_7b names its 3x1 `Conv2d_0b_3x1`.

A module's entry lists its branches in concatenation order (`|` between branches), each branch's
convolutions in order (1xn || nx1 pairs as two names); pooling has no variables, so a pool-only
branch is empty. `variable_names(net, layout)` walks an explorer net and pairs every weighted
layer with its checkpoint scope; a branch whose convolutions do not pair up one-to-one (design
choices the checkpoint was not trained with) raises ValueError. No TensorFlow here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from explorer.arch.units import DenseU, Net, conv_units


@dataclass(frozen=True)
class Block:
    """One branched module in the checkpoint: its scope, branch convolutions, residual up-projection."""

    scope: str
    branches: tuple[tuple[str, ...], ...]
    up: Optional[str] = None


def _block(scope: str, spec: str, up: Optional[str] = None) -> Block:
    return Block(scope, tuple(tuple(b.split()) for b in spec.split("|")), up)


@dataclass(frozen=True)
class Layout:
    """A TF-slim network's variable layout. stem: explorer stem unit -> checkpoint scope (others
    follow `conv_1a_3x3` -> `Conv2d_1a_3x3`). logits: (scope, "conv" 1x1 conv or "fc"). aux: per
    aux head, (its conv scopes, its logits scope, kind), all under AuxLogits."""

    scope: str
    stem: dict
    blocks: dict
    logits: tuple[str, str]
    aux: tuple[tuple[tuple[str, ...], str, str], ...] = ()


def _letters(first: str, n: int) -> list[str]:
    return [chr(ord(first) + i) for i in range(n)]


_1x1 = "Conv2d_0a_1x1"
_V1 = f"{_1x1} | {_1x1} Conv2d_0b_3x3 | {_1x1} Conv2d_0b_3x3 | Conv2d_0b_1x1"
_V1_NAMES = ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")
_V1_SLIM = ("3b", "3c", "4b", "4c", "4d", "4e", "4f", "5b", "5c")
INCEPTION_V1 = Layout(
    "InceptionV1",
    {"conv1_7x7": "Conv2d_1a_7x7", "conv2_1x1": "Conv2d_2b_1x1", "conv2_3x3": "Conv2d_2c_3x3"},
    {f"inception_{a}": _block(f"Mixed_{b}", _V1.replace("Conv2d_0b_3x3 | Conv2d_0b_1x1", "Conv2d_0a_3x3 | "
                                                        "Conv2d_0b_1x1") if b == "5b" else _V1)
     for a, b in zip(_V1_NAMES, _V1_SLIM)},
    ("Logits/Conv2d_0c_1x1", "conv"))

_V2 = f"{_1x1} | {_1x1} Conv2d_0b_3x3 | {_1x1} Conv2d_0b_3x3 Conv2d_0c_3x3 | Conv2d_0b_1x1"
_V2_REDUCTION = f"{_1x1} Conv2d_1a_3x3 | {_1x1} Conv2d_0b_3x3 Conv2d_1a_3x3 | "
_V2_NAMES = ("3a", "3b", "3c", "4a", "4b", "4c", "4d", "4e", "5a", "5b")
_V2_SLIM = ("3b", "3c", "4a", "4b", "4c", "4d", "4e", "5a", "5b", "5c")
INCEPTION_V2 = Layout(
    "InceptionV2", INCEPTION_V1.stem,
    {f"inception_{a}": _block(f"Mixed_{b}", _V2_REDUCTION if a in ("3c", "4e") else _V2)
     for a, b in zip(_V2_NAMES, _V2_SLIM)},
    ("Logits/Conv2d_1c_1x1", "conv"))

_V3_A = f"{_1x1} | {_1x1} Conv2d_0b_5x5 | {_1x1} Conv2d_0b_3x3 Conv2d_0c_3x3 | Conv2d_0b_1x1"
_V3_B = (f"{_1x1} | {_1x1} Conv2d_0b_1x7 Conv2d_0c_7x1 | "
         f"{_1x1} Conv2d_0b_7x1 Conv2d_0c_1x7 Conv2d_0d_7x1 Conv2d_0e_1x7 | Conv2d_0b_1x1")
_V3_C = f"{_1x1} | {_1x1} Conv2d_0b_1x3 Conv2d_0{{}}_3x1 | {_1x1} Conv2d_0b_3x3 Conv2d_0c_1x3 Conv2d_0d_3x1 | Conv2d_0b_1x1"
INCEPTION_V3 = Layout(
    "InceptionV3", {},
    {"mixed_5b": _block("Mixed_5b", _V3_A),
     "mixed_5c": _block("Mixed_5c", _V3_A.replace(f"{_1x1} Conv2d_0b_5x5", "Conv2d_0b_1x1 Conv_1_0c_5x5")),
     "mixed_5d": _block("Mixed_5d", _V3_A),
     "mixed_6a": _block("Mixed_6a", f"Conv2d_1a_1x1 | {_1x1} Conv2d_0b_3x3 Conv2d_1a_1x1 | "),
     **{f"mixed_6{x}": _block(f"Mixed_6{x}", _V3_B) for x in "bcde"},
     "mixed_7a": _block("Mixed_7a", f"{_1x1} Conv2d_1a_3x3 | {_1x1} Conv2d_0b_1x7 Conv2d_0c_7x1 Conv2d_1a_3x3 | "),
     "mixed_7b": _block("Mixed_7b", _V3_C.format("b")),
     "mixed_7c": _block("Mixed_7c", _V3_C.format("c"))},
    ("Logits/Conv2d_1c_1x1", "conv"),
    ((("Conv2d_1b_1x1", "Conv2d_2a_5x5"), "Conv2d_2b_1x1", "conv"),))

_V4_A = f"{_1x1} | {_1x1} Conv2d_0b_3x3 | {_1x1} Conv2d_0b_3x3 Conv2d_0c_3x3 | Conv2d_0b_1x1"
_V4_C = (f"{_1x1} | {_1x1} Conv2d_0b_1x3 Conv2d_0c_3x1 | "
         f"{_1x1} Conv2d_0b_3x1 Conv2d_0c_1x3 Conv2d_0d_1x3 Conv2d_0e_3x1 | Conv2d_0b_1x1")
INCEPTION_V4 = Layout(
    "InceptionV4", {},
    {"stem_3a": _block("Mixed_3a", " | Conv2d_0a_3x3"),
     "stem_4a": _block("Mixed_4a", f"{_1x1} Conv2d_1a_3x3 | {_1x1} Conv2d_0b_1x7 Conv2d_0c_7x1 Conv2d_1a_3x3"),
     "stem_5a": _block("Mixed_5a", "Conv2d_1a_3x3 | "),
     **{f"block_a_{i}": _block(f"Mixed_5{x}", _V4_A) for i, x in enumerate(_letters("b", 4), 1)},
     "reduction_a": _block("Mixed_6a", f"Conv2d_1a_3x3 | {_1x1} Conv2d_0b_3x3 Conv2d_1a_3x3 | "),
     **{f"block_b_{i}": _block(f"Mixed_6{x}", _V3_B) for i, x in enumerate(_letters("b", 7), 1)},
     "reduction_b": _block("Mixed_7a", f"{_1x1} Conv2d_1a_3x3 | {_1x1} Conv2d_0b_1x7 Conv2d_0c_7x1 Conv2d_1a_3x3 | "),
     **{f"block_c_{i}": _block(f"Mixed_7{x}", _V4_C) for i, x in enumerate(_letters("b", 3), 1)}},
    ("Logits/Logits", "fc"),
    ((("Conv2d_1b_1x1", "Conv2d_2a"), "Aux_logits", "fc"),))

_IR_A = f"Conv2d_1x1 | {_1x1} Conv2d_0b_3x3 | {_1x1} Conv2d_0b_3x3 Conv2d_0c_3x3"
_IR_B = f"Conv2d_1x1 | {_1x1} Conv2d_0b_1x7 Conv2d_0c_7x1"
_IR_C = f"Conv2d_1x1 | {_1x1} Conv2d_0b_1x3 Conv2d_0c_3x1"
INCEPTION_RESNET_V2 = Layout(
    "InceptionResnetV2", {"1x1": "Conv2d_7b_1x1"},
    {"stem_5b": _block("Mixed_5b", _V3_A.replace(f"{_1x1} |", "Conv2d_1x1 |", 1)),
     **{f"block_a_{i}": _block(f"Repeat/block35_{i}", _IR_A, "Conv2d_1x1") for i in range(1, 11)},
     "reduction_a": _block("Mixed_6a", f"Conv2d_1a_3x3 | {_1x1} Conv2d_0b_3x3 Conv2d_1a_3x3 | "),
     **{f"block_b_{i}": _block(f"Repeat_1/block17_{i}", _IR_B, "Conv2d_1x1") for i in range(1, 21)},
     "reduction_b": _block("Mixed_7a", f"{_1x1} Conv2d_1a_3x3 | {_1x1} Conv2d_1a_3x3 | "
                                       f"{_1x1} Conv2d_0b_3x3 Conv2d_1a_3x3 | "),
     **{f"block_c_{i}": _block(f"Repeat_2/block8_{i}", _IR_C, "Conv2d_1x1") for i in range(1, 10)},
     "block_c_10": _block("Block8", _IR_C, "Conv2d_1x1")},
    ("Logits/Logits", "fc"),
    ((("Conv2d_1b_1x1", "Conv2d_2a_5x5"), "Logits", "fc"),))

LAYOUTS = {"googlenet": INCEPTION_V1, "bn_inception": INCEPTION_V2, "inception_v3": INCEPTION_V3,
           "inception_v4": INCEPTION_V4, "inception_resnet_v2": INCEPTION_RESNET_V2}


def _stem_name(layout: Layout, unit: str) -> str:
    short = unit.split("__", 1)[1]
    if short in layout.stem:
        return layout.stem[short]
    if short.startswith("conv_"):
        return "Conv2d_" + short[len("conv_"):]
    raise ValueError(f"no TF-slim name for the stem unit {unit!r} of {layout.scope}")


def variable_names(net: Net, layout: Layout) -> list[tuple[object, str, str]]:
    """(unit, checkpoint scope, kind) for every weighted unit of `net`: kind "conv" (a ConvU) or
    the logits kind ("conv" / "fc") of a classifier (a DenseU). ValueError where the net and the
    layout do not pair up (the design choices differ from the checkpoint's)."""
    s, out = layout.scope, []
    for m in net.modules:
        if m.sequential:
            out += [(u, f"{s}/{_stem_name(layout, u.name)}", "conv") for u in conv_units(m.units)]
            continue
        block = layout.blocks.get(m.name)
        if block is None or len(block.branches) != len(m.branches):
            raise ValueError(f"{m.name} has no counterpart with {len(m.branches)} branches in {s}")
        for b, names in zip(m.branches, block.branches):
            convs = conv_units(b.units)
            if len(convs) != len(names):
                raise ValueError(f"{m.name} branch {b.key} ({b.label}) has {len(convs)} convolutions where "
                                 f"{s}/{block.scope}/Branch_{int(b.key[1:]) - 1} has {len(names)}")
            out += [(u, f"{s}/{block.scope}/Branch_{int(b.key[1:]) - 1}/{n}", "conv") for u, n in zip(convs, names)]
        if m.up is not None:
            out.append((m.up, f"{s}/{block.scope}/{block.up}", "conv"))
    dense = [u for u in net.head.units if isinstance(u, DenseU)]
    out.append((dense[-1], f"{s}/{layout.logits[0]}", layout.logits[1]))
    for head, (convs, logits, kind) in zip(net.aux, layout.aux):
        out += [(u, f"{s}/AuxLogits/{n}", "conv") for u, n in zip(conv_units(head.units), convs)]
        out.append(([u for u in head.units if isinstance(u, DenseU)][-1], f"{s}/AuxLogits/{logits}", kind))
    return out  # aux heads the checkpoint does not have (GoogLeNet's) keep their random weights
