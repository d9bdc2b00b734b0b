"""Layer names: `module__unit__layer`, parseable back into (module, branch, unit, layer).

- `inception_3a__b2_3x3__conv`: module inception_3a, branch b2, unit b2_3x3, layer conv
- `inception_3a`: the module's output (its concatenation, or a residual block's last layer)
- `stem__conv1_7x7__relu`: module stem, no branch, unit conv1_7x7
- `head__fc__softmax`, `aux_1__fc__softmax`: the classifier outputs
Keras 3 forbids "/" in names, hence the double underscore.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_BRANCH = re.compile(r"^(b\d+)(?:_|$)")


@dataclass(frozen=True)
class LayerName:
    module: str
    branch: Optional[str]
    unit: Optional[str]
    layer: str


def parse_layer_name(name: str) -> LayerName:
    """Parse a layer name made by the builder. ValueError for anything else (e.g. `conv2d_17`)."""
    if name == "input":
        return LayerName("input", None, None, "input")
    parts = name.split("__")
    if len(parts) == 1:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or re.search(r"_\d+$", name) and not re.match(
                r"^(block_[abc]|aux)_\d+$", name):
            raise ValueError(f"{name!r} is not an explorer layer name (module__unit__layer)")
        return LayerName(name, None, None, "output")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"{name!r} is not an explorer layer name (module__unit__layer)")
    module, unit, layer = parts
    m = _BRANCH.match(unit)
    return LayerName(module, m.group(1) if m else None, unit, layer)
