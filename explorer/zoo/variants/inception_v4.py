"""Inception-v4: Figures 3-9 of arXiv:1602.07261, as TF-slim's inception_v4 ships it."""
from __future__ import annotations

from explorer.zoo.choices import Choices
from explorer.zoo.ops import (AuxHead, Branch, Conv, Module, Pool, conv_1xn_nx1, conv_1xn_par_nx1, conv_nx1_1xn,
                              pool_proj, reduce)
from explorer.zoo.spec import VariantSpec
from explorer.zoo.variants.common import ARXIV_V4, COMMON

STEM = (  # Figure 3
    Module("stem", "stem", ops=(
        Conv(32, 3, 2, "valid", name="conv_1a_3x3"),
        Conv(32, 3, 1, "valid", name="conv_2a_3x3"),
        Conv(64, 3, name="conv_2b_3x3"),
    )),
    Module("stem_3a", "reduction", branches=(
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
        Branch("3x3", (Conv(96, 3, 2, "valid"),)),
    )),
    Module("stem_4a", "inception", branches=(
        Branch("3x3", (reduce(64), Conv(96, 3, 1, "valid"))),
        Branch("7x7", (reduce(64), conv_1xn_nx1(7, mid=64, out=64), Conv(96, 3, 1, "valid"))),
    )),
    Module("stem_5a", "reduction", branches=(
        Branch("3x3", (Conv(192, 3, 2, "valid"),)),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    )),
)

TABLE = STEM + (
    Module("block_a_{}", "inception", repeat=4, branches=(  # Figure 4
        Branch("1x1", (Conv(96, 1),)),
        Branch("3x3", (reduce(64), Conv(96, 3))),
        Branch("3x3dbl", (reduce(64), Conv(96, 3), Conv(96, 3))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(96))),
    )),
    Module("reduction_a", "reduction", branches=(  # Figure 7, k=192, l=224, m=256, n=384
        Branch("3x3", (Conv(384, 3, 2, "valid"),)),
        Branch("3x3dbl", (reduce(192), Conv(224, 3), Conv(256, 3, 2, "valid"))),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    )),
    Module("block_b_{}", "inception", repeat=7, branches=(  # Figure 5
        Branch("1x1", (Conv(384, 1),)),
        Branch("7x7", (reduce(192), conv_1xn_nx1(7, mid=224, out=256))),
        Branch("7x7dbl", (reduce(192), conv_nx1_1xn(7, mid=192, out=224), conv_nx1_1xn(7, mid=224, out=256))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(128))),
    )),
    Module("reduction_b", "reduction", branches=(  # Figure 8
        Branch("3x3", (reduce(192), Conv(192, 3, 2, "valid"))),
        Branch("7x7x3", (reduce(256), conv_1xn_nx1(7, mid=256, out=320), Conv(320, 3, 2, "valid"))),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    )),
    Module("block_c_{}", "inception", repeat=3, branches=(  # Figure 6
        Branch("1x1", (Conv(256, 1),)),
        Branch("3x3", (reduce(384), conv_1xn_par_nx1(3, out=512))),
        Branch("3x3dbl", (reduce(384), conv_nx1_1xn(3, mid=448, out=512), conv_1xn_par_nx1(3, out=512))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(256))),
    )),
)

INCEPTION_V4 = VariantSpec(
    name="inception_v4",
    title="Inception-v4",
    paper=ARXIV_V4,
    tables=(("paper", TABLE),),
    defaults=Choices(),
    applicable=COMMON | {"factorize_nxn", "aux_heads"},
    not_applicable_why=(("factorize_5x5", "Inception-v4 has no 5x5 convolution (its double 3x3 is already "
                                          "the factorised form)"),
                        ("factorize_mid", "every factorisation in Inception-v4 has its published widths"),
                        ("residual", "Inception-v4 is the non-residual network of its paper; see "
                                     "inception_resnet_v1 / inception_resnet_v2"),
                        ("residual_scale", "Inception-v4 has no residual connections"),
                        ("kernel_5x5", "only GoogLeNet ships a 3x3 kernel in its 5x5 branch"),
                        ("lrn", "Inception-v4 has no LRN"),
                        ("table", "Inception-v4 has one table")),
    aux=(AuxHead("block_b_7", "slim"),),
    dropout=0.2,
    normalization="tf",
    presets=(("tf_slim", ()), ("tf_slim_aux", (("aux_heads", True),))),
    deviations=("The paper's figures have no auxiliary head; TF-slim's inception_v4 has one after the "
                "last 17x17 block (aux_heads=True).",),
)
