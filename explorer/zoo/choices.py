"""Design choices: the frozen `Choices`, what each means, how it is labelled, written and flipped.

One home for everything about a choice that is not validation (which needs the cost model and
lives in `explorer.arch.validate`): the help text, the short label the app and CLI show, the one
parser for choice text (URL query values, `--choice NAME VALUE`, `--set NAME=VALUE`), its
inverse, and the "other value" of an on/off choice. Imports nothing of the package.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Choices:
    """Design choices. Per-variant defaults come from `VariantSpec.defaults`; use
    `explorer.choices(variant, **kw)` to get validated ones."""

    reduce_1x1: bool = True
    batch_norm: bool = True
    conv_bias: Optional[bool] = None  # None: a bias only on convs without batch norm
    bn_scale: bool = False  # BN gamma (torchvision style) or not (Keras/TF-slim style)
    factorize_5x5: bool = False
    factorize_nxn: bool = True
    factorize_mid: str = "sqrt"
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


CHOICE_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Choices))

CHOICE_HELP: dict[str, str] = {
    "reduce_1x1": "1x1 reductions before the 3x3/5x5 convolutions and the pool projection "
    "(off = the paper's naive Inception module, Figure 2a)",
    "batch_norm": "batch normalisation after every convolution (Ioffe & Szegedy 2015)",
    "conv_bias": "bias in convolutions (None/auto: only where there is no batch norm)",
    "bn_scale": "learn a BN scale gamma (torchvision) or not (Keras / TF-slim: scale=False)",
    "factorize_5x5": "build each 5x5 as two stacked 3x3 convolutions (Inception-v2/v3)",
    "factorize_nxn": "build factorisable nxn convolutions as 1xn then nx1 (Inception-v3 Fig. 6/7)",
    "factorize_mid": "width between the two convolutions of a factorisation whose paper gives none: "
    "\"sqrt\" grows the width by the same factor per step, r -> sqrt(r*f) -> f (Inception-v3 "
    "sec. 3.1); \"out\" widens at once, r -> f -> f; \"in\" widens last, r -> r -> f",
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

# Short labels, as the app, the CLI tables and the lab show a choice.
CHOICE_LABELS: dict[str, str] = {
    "reduce_1x1": "1x1 reductions", "batch_norm": "batch norm", "conv_bias": "conv bias",
    "bn_scale": "BN scale (gamma)", "factorize_5x5": "5x5 as two 3x3",
    "factorize_nxn": "nxn as 1xn + nx1", "factorize_mid": "factorisation width",
    "kernel_5x5": "\"5x5\" branch kernel", "lrn": "LRN in the stem", "aux_heads": "auxiliary heads",
    "residual": "residual shortcuts", "residual_scale": "residual scales (A, B, C)",
    "head": "classifier head", "width": "width multiplier", "input_size": "input size (px)",
    "classes": "classes", "table": "table",
}

# The ranges the app's number inputs offer (a link's value outside them is ignored with a warning:
# Streamlit would put the widget at its minimum without a word). The library itself takes any size.
NUMBER_RANGES: dict[str, tuple[int, int]] = {"input_size": (8, 1024), "classes": (1, 100_000)}

BOOL_CHOICES = ("reduce_1x1", "batch_norm", "bn_scale", "factorize_5x5", "factorize_nxn", "lrn",
                "aux_heads", "residual")
# The on/off design choices the cost pages sweep (every combination of those that apply).
TOGGLES = ("reduce_1x1", "batch_norm", "factorize_5x5", "factorize_nxn", "aux_heads", "residual",
           "head")
FACTORIZE_MID = ("sqrt", "out", "in")
HEADS = ("gap", "fc")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def parse_bool(text: str) -> bool:
    t = str(text).strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"expected 1/0, true/false, on/off or yes/no. Received: {text!r}")


def parse_scales(text) -> Optional[tuple[float, ...]]:
    """'0.17, 0.10, 0.20' -> (0.17, 0.1, 0.2); '0.2' -> (0.2,); '' -> None."""
    t = str(text).strip()
    if not t or t.lower() in ("none", "auto"):
        return None
    try:
        return tuple(float(p) for p in t.replace(";", ",").split(",") if p.strip())
    except ValueError:
        raise ValueError(f"residual scales are numbers such as '0.17, 0.10, 0.20'. Received: {text!r}") from None


def parse_choice(name: str, text) -> object:
    """The value of choice `name` written as text (a URL query value, a command-line argument).
    Typed by the choice: booleans as 1/0/true/false/on/off, conv_bias also auto/none, numbers,
    residual_scale as one number or three (A, B, C). ValueError for an unknown name or bad text."""
    if name not in CHOICE_NAMES:
        raise ValueError(f"Unknown design choice {name!r}. Valid choices: {', '.join(CHOICE_NAMES)}. "
                         f"Received: {name}={text!r}")
    if not isinstance(text, str):
        return text
    if name == "conv_bias":
        return None if text.strip().lower() in ("auto", "none", "") else parse_bool(text)
    if name == "residual_scale":
        scales = parse_scales(text)
        return scales[0] if scales is not None and len(scales) == 1 else scales
    default = getattr(Choices(), name)
    if isinstance(default, bool):
        return parse_bool(text)
    try:
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise ValueError(f"{name} needs {kind}. Received: {name}={text!r}") from None
    return text.strip()


def format_choice(name: str, value) -> str:
    """The inverse of `parse_choice`: booleans as 1/0, conv_bias auto/1/0, scales '0.17,0.1,0.2'."""
    if name == "conv_bias":
        return {None: "auto", True: "1", False: "0"}[value]
    if isinstance(value, bool):
        return "1" if value else "0"
    if name == "residual_scale":
        if value is None:
            return ""
        vals = value if isinstance(value, (tuple, list)) else (value,)
        return ",".join(f"{v:g}" for v in vals)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def flipped(name: str, value):
    """The other value of an on/off choice: booleans flip, head gap <-> fc, kernel_5x5 5 <-> 3,
    conv_bias auto/off -> on, on -> off. ValueError for a choice with no single other value."""
    if isinstance(value, bool):
        return not value
    if name == "head":
        return "fc" if value == "gap" else "gap"
    if name == "kernel_5x5":
        return 3 if value == 5 else 5
    if name == "conv_bias":
        return value is not True
    raise ValueError(f"{name!r} is not an on/off choice; give its value as {name}=VALUE. Received: {name!r}")


def changed(defaults: Choices, c: Choices) -> dict:
    """The choices of `c` that differ from `defaults` (what `build` / `cost` need as keywords)."""
    return {f: getattr(c, f) for f in CHOICE_NAMES if getattr(c, f) != getattr(defaults, f)}
