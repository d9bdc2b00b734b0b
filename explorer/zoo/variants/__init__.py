"""The six variants as data (one table each) and the registry.

Module names: GoogLeNet / BN-Inception `inception_3a`..`inception_5b` (paper tables);
Inception-v3 `mixed_5b`..`mixed_7c` (TF-slim; keras.applications calls them mixed0..mixed10);
Inception-v4 / Inception-ResNet `stem_*`, `block_a_N`, `reduction_a`, `block_b_N`, `reduction_b`,
`block_c_N` (the papers' Figures 9 and 15). Branches are `b1`, `b2`, ... in concatenation order.
A new variant appears everywhere (app selectors, CLI, tests) by adding its table here.
"""
from __future__ import annotations

from explorer.zoo.spec import VariantSpec
from explorer.zoo.variants.bn_inception import BN_INCEPTION
from explorer.zoo.variants.googlenet import GOOGLENET
from explorer.zoo.variants.inception_resnet import INCEPTION_RESNET_V1, INCEPTION_RESNET_V2
from explorer.zoo.variants.inception_v3 import INCEPTION_V3
from explorer.zoo.variants.inception_v4 import INCEPTION_V4

VARIANTS: dict[str, VariantSpec] = {s.name: s for s in (
    GOOGLENET, BN_INCEPTION, INCEPTION_V3, INCEPTION_V4, INCEPTION_RESNET_V1, INCEPTION_RESNET_V2)}


def list_variants() -> list[str]:
    """Names of every variant, in historical order."""
    return list(VARIANTS)


def get_spec(name) -> VariantSpec:
    """The `VariantSpec` of `name` (a spec is returned as is); ValueError naming the valid variants."""
    if isinstance(name, VariantSpec):
        return name
    if name not in VARIANTS:
        raise ValueError(f"Unknown variant {name!r}. Valid variants: {', '.join(VARIANTS)}. Received: {name!r}")
    return VARIANTS[name]
