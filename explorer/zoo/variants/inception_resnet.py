"""Inception-ResNet-v1 (the paper's figures) and Inception-ResNet-v2 (as keras.applications and
TF-slim ship it), arXiv:1602.07261."""
from __future__ import annotations

from explorer.zoo.choices import Choices
from explorer.zoo.ops import AuxHead, Branch, Conv, Conv5x5, Module, Pool, conv_1xn_nx1, pool_proj, reduce
from explorer.zoo.spec import VariantSpec
from explorer.zoo.variants.common import ARXIV_V4, COMMON
from explorer.zoo.variants.inception_v3 import STEM as V3_STEM


def residual_block(group: str, repeat: int, branches: tuple[Branch, ...], **kw) -> Module:
    """`repeat` residual blocks block_<group>_1.. : branches -> concat -> 1x1 up -> x + scale * up."""
    return Module(f"block_{group}_" + "{}", "residual", repeat=repeat, group=group, branches=branches, **kw)


def reduction_a(k: int, l_: int, m: int, n: int) -> Module:
    """Figure 7 with the k, l, m, n of Table 1."""
    return Module("reduction_a", "reduction", branches=(
        Branch("3x3", (Conv(n, 3, 2, "valid"),)),
        Branch("3x3dbl", (reduce(k), Conv(l_, 3), Conv(m, 3, 2, "valid"))),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    ))


def reduction_b(c1: int, c2: int, c3: int) -> Module:
    """Figures 12 (v1) and 18 (v2): two 3x3/2 branches, a double 3x3, a max pool."""
    return Module("reduction_b", "reduction", branches=(
        Branch("3x3", (reduce(256), Conv(c1, 3, 2, "valid"))),
        Branch("3x3b", (reduce(256), Conv(c2, 3, 2, "valid"))),
        Branch("3x3dbl", (reduce(256), Conv(c2, 3), Conv(c3, 3, 2, "valid"))),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    ))


RESIDUAL_APPLICABLE = COMMON | {"factorize_nxn", "residual", "residual_scale"}
RESIDUAL_WHY = (("kernel_5x5", "only GoogLeNet ships a 3x3 kernel in its 5x5 branch"),
                ("lrn", "Inception-ResNet has no LRN"),
                ("table", "this variant has one table"))
SHIPPED_SCALES = (0.17, 0.10, 0.20)

V1_TABLE = (
    Module("stem", "stem", ops=(  # Figure 14
        Conv(32, 3, 2, "valid", name="conv_1a_3x3"),
        Conv(32, 3, 1, "valid", name="conv_2a_3x3"),
        Conv(64, 3, name="conv_2b_3x3"),
        Pool("max", 3, 2, "valid", name="pool_3a_3x3"),
        Conv(80, 1, name="conv_3b_1x1"),
        Conv(192, 3, 1, "valid", name="conv_4a_3x3"),
        Conv(256, 3, 2, "valid", name="conv_4b_3x3"),
    )),
    residual_block("a", 5, (  # Figure 10
        Branch("1x1", (Conv(32, 1),)),
        Branch("3x3", (reduce(32), Conv(32, 3))),
        Branch("3x3dbl", (reduce(32), Conv(32, 3), Conv(32, 3))),
    )),
    reduction_a(k=192, l_=192, m=256, n=384),
    residual_block("b", 10, (  # Figure 11
        Branch("1x1", (Conv(128, 1),)),
        Branch("7x7", (reduce(128), conv_1xn_nx1(7, mid=128, out=128))),
    )),
    reduction_b(384, 256, 256),
    residual_block("c", 5, (  # Figure 13
        Branch("1x1", (Conv(192, 1),)),
        Branch("3x3", (reduce(192), conv_1xn_nx1(3, mid=192, out=192))),
    )),
)

INCEPTION_RESNET_V1 = VariantSpec(
    name="inception_resnet_v1",
    title="Inception-ResNet-v1",
    paper=ARXIV_V4,
    tables=(("paper", V1_TABLE),),
    defaults=Choices(residual=True, residual_scale=SHIPPED_SCALES),
    applicable=RESIDUAL_APPLICABLE,
    not_applicable_why=RESIDUAL_WHY + (
        ("factorize_5x5", "Inception-ResNet-v1 has no 5x5 convolution"),
        ("factorize_mid", "every factorisation in Inception-ResNet-v1 has its published widths"),
        ("aux_heads", "no reference implementation of Inception-ResNet-v1 has an auxiliary head "
                      "(inception_v3, inception_v4 and inception_resnet_v2 have one)")),
    dropout=0.2,
    normalization="tf",
    deviations=("No shipped implementation exists (no public ImageNet weights). Built from Figures "
                "14, 10, 7, 11, 12, 13 of the paper with Table 1's k=192, l=192, m=256, n=384; "
                "residual scales default to IRv2's shipped 0.17 / 0.10 / 0.20 (the paper says "
                "\"between 0.1 and 0.3\").",),
)

V2_BLOCK_C = (
    Branch("1x1", (Conv(192, 1),)),
    Branch("3x3", (reduce(192), conv_1xn_nx1(3, mid=224, out=256))),
)
V2_TABLE = (
    V3_STEM,
    Module("stem_5b", "inception", branches=(  # keras.applications' mixed_5b
        Branch("1x1", (Conv(96, 1),)),
        Branch("5x5", (reduce(48), Conv5x5(64))),
        Branch("3x3dbl", (reduce(64), Conv(96, 3), Conv(96, 3))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(64))),
    )),
    residual_block("a", 10, (  # Figure 16
        Branch("1x1", (Conv(32, 1),)),
        Branch("3x3", (reduce(32), Conv(32, 3))),
        Branch("3x3dbl", (reduce(32), Conv(48, 3), Conv(64, 3))),
    )),
    reduction_a(k=256, l_=256, m=384, n=384),
    residual_block("b", 20, (  # Figure 17
        Branch("1x1", (Conv(192, 1),)),
        Branch("7x7", (reduce(128), conv_1xn_nx1(7, mid=160, out=192))),
    )),
    reduction_b(384, 288, 320),
    residual_block("c", 9, V2_BLOCK_C),  # Figure 19
    Module("block_c_10", "residual", group="c", branches=V2_BLOCK_C, fixed_scale=1.0, activation=False),
    Module("conv_7b", "conv", ops=(Conv(1536, 1, name="1x1"),)),
)

INCEPTION_RESNET_V2 = VariantSpec(
    name="inception_resnet_v2",
    title="Inception-ResNet-v2",
    paper=ARXIV_V4,
    tables=(("paper", V2_TABLE),),
    defaults=Choices(residual=True, residual_scale=SHIPPED_SCALES),
    applicable=RESIDUAL_APPLICABLE | {"factorize_5x5", "factorize_mid", "aux_heads"},
    not_applicable_why=RESIDUAL_WHY,
    aux=(AuxHead("block_b_20", "slim"),),
    dropout=0.2,
    normalization="tf",
    presets=(("keras", ()), ("tf_slim_aux", (("aux_heads", True),))),
    deviations=(
        "keras.applications and TF-slim use a different stem from the paper's Figure 3 (the "
        "Inception-v3 stem plus a mixed_5b module, here stem_5b) and 10 / 20 / 10 blocks; the last "
        "block C has scale 1.0 and no ReLU, followed by a 1x1 conv to 1536 channels (conv_7b).",
        "Residual scales are 0.17 / 0.10 / 0.20 for blocks A / B / C in every shipped "
        "implementation; the paper says \"between 0.1 and 0.3\".",
        "keras.applications has no auxiliary head; TF-slim has one after the last 17x17 block.",
    ),
)
