"""Validated design choices: `choices(variant, **kw)`.

Lives above the cost model because one check needs it: an input too small for the variant is
found by walking the graph (the error names the first layer that does not fit and the smallest
input size that does).
"""
from __future__ import annotations

import dataclasses
from typing import Union

from explorer.arch.cost import check_input_size
from explorer.zoo.choices import BOOL_CHOICES, CHOICE_NAMES, FACTORIZE_MID, HEADS, Choices
from explorer.zoo.spec import VariantSpec
from explorer.zoo.variants import get_spec


def choices(variant: Union[str, VariantSpec], **kwargs) -> Choices:
    """Validated `Choices` for `variant`: its defaults, overridden by `kwargs`.

    Raises ValueError (saying why and what is valid) for unknown names, wrong types, values out of
    range, choices that mean nothing for the variant (set to a non-default value), and combinations
    that cannot be built (including an input too small for the variant)."""
    spec = get_spec(variant)
    for key in kwargs:
        if key not in CHOICE_NAMES:
            raise ValueError(f"Unknown design choice {key!r} for {spec.name}. Valid choices: "
                             f"{', '.join(CHOICE_NAMES)}. Received: {key}={kwargs[key]!r}")
    values = dict(kwargs)
    if values.get("residual_scale") is not None:
        values["residual_scale"] = _scale_tuple(values["residual_scale"])
    for key, value in values.items():
        if key not in spec.applicable and value != getattr(spec.defaults, key):
            raise ValueError(f"{key}={value!r} means nothing for {spec.name}: {spec.why_not(key)}. "
                             f"Choices that apply to {spec.name}: {', '.join(sorted(spec.applicable))}. "
                             f"Received: {key}={kwargs[key]!r}")
    c = dataclasses.replace(spec.defaults, **values)
    _check_values(spec, c, kwargs)
    check_input_size(spec, c)
    return c


def _scale_tuple(value) -> tuple[float, float, float]:
    msg = "residual_scale must be a number in (0, 1] or three of them (A, B, C)"
    if isinstance(value, bool):
        raise ValueError(f"{msg}. Received: {value!r}")
    if isinstance(value, (int, float)):
        value = (value, value, value)
    try:
        t = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{msg}. Received: {value!r}") from None
    if len(t) != 3:
        raise ValueError(f"residual_scale needs one number or three (blocks A, B, C). Received: {value!r}")
    if not all(0.0 < s <= 1.0 for s in t):
        raise ValueError(f"residual_scale must be in (0, 1] (the paper uses 0.1-0.3). Received: {value!r}")
    return t


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_values(spec: VariantSpec, c: Choices, given: dict) -> None:
    for name in BOOL_CHOICES:
        if not isinstance(getattr(c, name), bool):
            raise ValueError(f"{name} must be True or False. Received: {name}={getattr(c, name)!r}")
    if c.conv_bias is not None and not isinstance(c.conv_bias, bool):
        raise ValueError(f"conv_bias must be True, False or None (auto). Received: conv_bias={c.conv_bias!r}")
    if c.head not in HEADS:
        raise ValueError(f"head must be 'gap' (global average pooling) or 'fc' (flatten + fully "
                         f"connected). Received: head={c.head!r}")
    if c.factorize_mid not in FACTORIZE_MID:
        raise ValueError(f"factorize_mid must be one of {', '.join(map(repr, FACTORIZE_MID))}. "
                         f"Received: factorize_mid={c.factorize_mid!r}")
    if c.kernel_5x5 not in (3, 5) or not _is_int(c.kernel_5x5):
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
    if not _is_int(c.classes) or not 1 <= c.classes <= 100_000:
        raise ValueError(f"classes must be an integer between 1 and 100000. Received: classes={c.classes!r}")
    if not _is_int(c.input_size) or not 8 <= c.input_size <= 1024:
        raise ValueError(f"input_size must be an integer between 8 and 1024 pixels. "
                         f"Received: input_size={c.input_size!r}")
    if c.residual_scale is not None and not c.residual and "residual_scale" in given:
        raise ValueError("residual_scale has no effect when residual=False (there is no shortcut "
                         f"to add the scaled residual to). Received: residual_scale={given['residual_scale']!r}")
