"""What the variant tables share: paper citations, the choices every variant takes, small rows."""
from __future__ import annotations

from explorer.zoo.ops import Branch, Module, Pool, pool_proj

ARXIV_V1 = "Szegedy et al., Going Deeper with Convolutions, arXiv:1409.4842 (2014)"
ARXIV_BN = "Ioffe & Szegedy, Batch Normalization, arXiv:1502.03167 (2015)"
ARXIV_V3 = "Szegedy et al., Rethinking the Inception Architecture, arXiv:1512.00567 (2015)"
ARXIV_V4 = ("Szegedy et al., Inception-v4, Inception-ResNet and the Impact of Residual Connections, "
            "arXiv:1602.07261 (2016)")

COMMON = frozenset({"reduce_1x1", "batch_norm", "conv_bias", "bn_scale", "head", "width", "input_size",
                    "classes"})


def pool_branch(kind: str, proj: int) -> Branch:
    """Pool branch: 3x3 pooling then a 1x1 projection (proj=0: a stride-2 pass-through)."""
    if proj == 0:
        return Branch("pool", (Pool(kind, 3, 2, "same"),))
    return Branch("pool", (Pool(kind, 3, 1, "same"), pool_proj(proj)))


def maxpool_module(name: str, padding: str = "same") -> Module:
    """A row that is one 3x3/2 max pool between module groups."""
    return Module(name, "pool", ops=(Pool("max", 3, 2, padding, name="maxpool_3x3"),))

