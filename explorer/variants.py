"""The six variants as data: one table of module rows each, plus defaults, presets and notes.

Module names: GoogLeNet / BN-Inception `inception_3a`..`inception_5b` (paper tables);
Inception-v3 `mixed_5b`..`mixed_7c` (TF-slim; keras.applications calls them mixed0..mixed10);
Inception-v4 / Inception-ResNet `stem_*`, `block_a_N`, `reduction_a`, `block_b_N`, `reduction_b`,
`block_c_N` (the papers' Figures 9 and 15). Branches are `b1`, `b2`, ... in concatenation order.
"""
from __future__ import annotations

from explorer.spec import AuxHead, Branch, Choices, Conv, LRN, Module, Pool, VariantSpec

ARXIV_V1 = "Szegedy et al., Going Deeper with Convolutions, arXiv:1409.4842 (2014)"
ARXIV_BN = "Ioffe & Szegedy, Batch Normalization, arXiv:1502.03167 (2015)"
ARXIV_V3 = "Szegedy et al., Rethinking the Inception Architecture, arXiv:1512.00567 (2015)"
ARXIV_V4 = "Szegedy et al., Inception-v4, Inception-ResNet and the Impact of Residual Connections, arXiv:1602.07261 (2016)"

COMMON = frozenset({"reduce_1x1", "batch_norm", "conv_bias", "bn_scale", "head", "width", "input_size",
                    "classes"})


def _reduce(filters: int) -> Conv:
    return Conv(filters, 1, role="reduce")


def _pool_branch(kind: str, proj: int) -> Branch:
    """Pool branch: 3x3 pooling then a 1x1 projection (proj=0: pass-through, no projection)."""
    if proj == 0:
        return Branch("pool", (Pool(kind, 3, 2, "same"),))
    return Branch("pool", (Pool(kind, 3, 1, "same"), Conv(proj, 1, role="proj")))


# --------------------------------------------------------------------------- GoogLeNet
def googlenet_module(name: str, *, b1x1: int, reduce3: int, conv3: int, reduce5: int, conv5: int,
                     pool_proj: int) -> Module:
    """One row of Table 1 of arXiv:1409.4842, columns named as in the paper."""
    return Module(name, "inception", branches=(
        Branch("1x1", (Conv(b1x1, 1),)),
        Branch("3x3", (_reduce(reduce3), Conv(conv3, 3, split="1xn"))),
        Branch("5x5", (_reduce(reduce5), Conv(conv5, 5, five=True, split="1xn"))),
        Branch("pool", (Pool("max", 3, 1), Conv(pool_proj, 1, role="proj"))),
    ))


def _maxpool_module(name: str, padding: str = "same") -> Module:
    return Module(name, "pool", ops=(Pool("max", 3, 2, padding, name="maxpool_3x3"),))


GOOGLENET_STEM = Module("stem", "stem", ops=(
    Conv(64, 7, 2, name="conv1_7x7"),
    Pool("max", 3, 2, name="pool1_3x3"),
    LRN(name="lrn1"),
    Conv(64, 1, name="conv2_1x1"),
    Conv(192, 3, name="conv2_3x3"),
    LRN(name="lrn2"),
    Pool("max", 3, 2, name="pool2_3x3"),
))

GOOGLENET = VariantSpec(
    name="googlenet",
    title="GoogLeNet (Inception-v1)",
    paper=ARXIV_V1,
    tables=(("paper", (
        GOOGLENET_STEM,
        googlenet_module("inception_3a", b1x1=64, reduce3=96, conv3=128, reduce5=16, conv5=32, pool_proj=32),
        googlenet_module("inception_3b", b1x1=128, reduce3=128, conv3=192, reduce5=32, conv5=96, pool_proj=64),
        _maxpool_module("pool_4"),
        googlenet_module("inception_4a", b1x1=192, reduce3=96, conv3=208, reduce5=16, conv5=48, pool_proj=64),
        googlenet_module("inception_4b", b1x1=160, reduce3=112, conv3=224, reduce5=24, conv5=64, pool_proj=64),
        googlenet_module("inception_4c", b1x1=128, reduce3=128, conv3=256, reduce5=24, conv5=64, pool_proj=64),
        googlenet_module("inception_4d", b1x1=112, reduce3=144, conv3=288, reduce5=32, conv5=64, pool_proj=64),
        googlenet_module("inception_4e", b1x1=256, reduce3=160, conv3=320, reduce5=32, conv5=128, pool_proj=128),
        _maxpool_module("pool_5"),
        googlenet_module("inception_5a", b1x1=256, reduce3=160, conv3=320, reduce5=32, conv5=128, pool_proj=128),
        googlenet_module("inception_5b", b1x1=384, reduce3=192, conv3=384, reduce5=48, conv5=128, pool_proj=128),
    )),),
    defaults=Choices(batch_norm=False, bn_scale=True, lrn=True, factorize_nxn=False, input_size=224),
    applicable=COMMON | {"factorize_5x5", "factorize_nxn", "kernel_5x5", "lrn", "aux_heads"},
    not_applicable_why=(("residual", "GoogLeNet has no residual connections (see inception_resnet_v1/v2)"),
                        ("residual_scale", "GoogLeNet has no residual connections"),
                        ("table", "GoogLeNet has one table (Table 1 of the paper)")),
    aux=(AuxHead("inception_4a", "googlenet"), AuxHead("inception_4d", "googlenet")),
    dropout=0.4,
    normalization="torch",
    presets=(
        ("paper", ()),
        ("torchvision", (("batch_norm", True), ("conv_bias", False), ("bn_scale", True),
                         ("kernel_5x5", 3), ("lrn", False))),
        ("tf_slim", (("batch_norm", True), ("conv_bias", False), ("bn_scale", False),
                     ("kernel_5x5", 3), ("lrn", False))),
    ),
    deviations=(
        "The paper's \"5x5\" branch uses 5x5 kernels; torchvision and TF-slim ship 3x3 kernels there "
        "(kernel_5x5=3), a bug kept for weight compatibility.",
        "The paper has no batch norm and uses conv biases and LRN; torchvision and TF-slim add batch "
        "norm after every conv, drop the biases and the LRN layers.",
        "The paper's aux heads use a 5x5/3 average pool; torchvision uses an adaptive 4x4 average "
        "pool (the same shape at 224x224).",
    ),
)


# --------------------------------------------------------------------------- BN-Inception
def bn_module(name: str, *, b1x1: int, reduce3: int, conv3: int, reduce_d3: int, conv_d3: int,
              pool: str, pool_proj: int, stride: int = 1) -> Module:
    """One row of Figure 5 of arXiv:1502.03167. The double-3x3 branch is GoogLeNet's 5x5,
    factorised (factorize_5x5=True by default; False builds the 5x5). stride=2 rows have no 1x1
    branch and a max-pool pass-through."""
    if stride == 2:
        return Module(name, "reduction", branches=(
            Branch("3x3", (_reduce(reduce3), Conv(conv3, 3, 2))),
            Branch("5x5", (_reduce(reduce_d3), Conv(conv_d3, 5, 2, five=True, mid=conv_d3))),
            _pool_branch("max", 0),
        ))
    return Module(name, "inception", branches=(
        Branch("1x1", (Conv(b1x1, 1),)),
        Branch("3x3", (_reduce(reduce3), Conv(conv3, 3, split="1xn"))),
        Branch("5x5", (_reduce(reduce_d3), Conv(conv_d3, 5, five=True, mid=conv_d3, split="1xn"))),
        _pool_branch(pool, pool_proj),
    ))


def _bn_table(pool_proj_4cd: int, stem_first: Conv) -> tuple[Module, ...]:
    return (
        Module("stem", "stem", ops=(
            stem_first,
            Pool("max", 3, 2, name="pool1_3x3"),
            Conv(64, 1, name="conv2_1x1"),
            Conv(192, 3, name="conv2_3x3"),
            Pool("max", 3, 2, name="pool2_3x3"),
        )),
        bn_module("inception_3a", b1x1=64, reduce3=64, conv3=64, reduce_d3=64, conv_d3=96, pool="avg", pool_proj=32),
        bn_module("inception_3b", b1x1=64, reduce3=64, conv3=96, reduce_d3=64, conv_d3=96, pool="avg", pool_proj=64),
        bn_module("inception_3c", b1x1=0, reduce3=128, conv3=160, reduce_d3=64, conv_d3=96, pool="max", pool_proj=0, stride=2),
        bn_module("inception_4a", b1x1=224, reduce3=64, conv3=96, reduce_d3=96, conv_d3=128, pool="avg", pool_proj=128),
        bn_module("inception_4b", b1x1=192, reduce3=96, conv3=128, reduce_d3=96, conv_d3=128, pool="avg", pool_proj=128),
        bn_module("inception_4c", b1x1=160, reduce3=128, conv3=160, reduce_d3=128, conv_d3=160, pool="avg", pool_proj=pool_proj_4cd),
        bn_module("inception_4d", b1x1=96, reduce3=128, conv3=192, reduce_d3=160, conv_d3=192, pool="avg", pool_proj=pool_proj_4cd),
        bn_module("inception_4e", b1x1=0, reduce3=128, conv3=192, reduce_d3=192, conv_d3=256, pool="max", pool_proj=0, stride=2),
        bn_module("inception_5a", b1x1=352, reduce3=192, conv3=320, reduce_d3=160, conv_d3=224, pool="avg", pool_proj=128),
        bn_module("inception_5b", b1x1=352, reduce3=192, conv3=320, reduce_d3=192, conv_d3=224, pool="max", pool_proj=128),
    )


BN_INCEPTION = VariantSpec(
    name="bn_inception",
    title="BN-Inception (Inception-v2)",
    paper=ARXIV_BN,
    tables=(
        ("paper", _bn_table(128, Conv(64, 7, 2, name="conv1_7x7"))),
        ("tf_slim", _bn_table(96, Conv(64, 7, 2, depth_multiplier=8, bn=False, bias=True,
                                        name="conv1_7x7"))),
    ),
    defaults=Choices(conv_bias=True, bn_scale=True, factorize_5x5=True, factorize_nxn=False, input_size=224),
    applicable=COMMON | {"factorize_5x5", "factorize_nxn", "table"},
    not_applicable_why=(("aux_heads", "neither the BN-Inception paper's table nor TF-slim's inception_v2 has an "
                                      "auxiliary classifier (googlenet, inception_v3, inception_v4 and "
                                      "inception_resnet_v2 have)"),
                        ("residual", "BN-Inception has no residual connections"),
                        ("residual_scale", "BN-Inception has no residual connections"),
                        ("kernel_5x5", "BN-Inception's 5x5 branch is the double 3x3 (use factorize_5x5)"),
                        ("lrn", "BN-Inception removed local response normalisation")),
    dropout=0.0,
    normalization="torch",
    presets=(
        ("paper", ()),
        ("tf_slim", (("table", "tf_slim"), ("conv_bias", False), ("bn_scale", False))),
    ),
    deviations=(
        "The paper's Figure 5 table is inconsistent: its per-branch numbers give 608 channels out of "
        "4c and 4d (and 1056 out of 4e) while its output column says 576 (1024). The default follows "
        "the per-branch numbers (as the Caffe port in pretrainedmodels' bninception); table='tf_slim' "
        "uses TF-slim's inception_v2 (pool projection 96 in 4c/4d, so 576 and 1024).",
        "TF-slim's inception_v2 starts with a depthwise-separable 7x7 conv (depth multiplier 8) with "
        "a bias and no batch norm.",
    ),
)


# --------------------------------------------------------------------------- Inception-v3
V3_STEM = Module("stem", "stem", ops=(
    Conv(32, 3, 2, "valid", name="conv_1a_3x3"),
    Conv(32, 3, 1, "valid", name="conv_2a_3x3"),
    Conv(64, 3, name="conv_2b_3x3"),
    Pool("max", 3, 2, "valid", name="pool_3a_3x3"),
    Conv(80, 1, 1, "valid", name="conv_3b_1x1"),
    Conv(192, 3, 1, "valid", name="conv_4a_3x3"),
    Pool("max", 3, 2, "valid", name="pool_5a_3x3"),
))


def v3_module_a(name: str, *, pool_proj: int) -> Module:
    """35x35 module (Figure 5 of arXiv:1512.00567, with the 5x5 branch keras.applications keeps)."""
    return Module(name, "inception", branches=(
        Branch("1x1", (Conv(64, 1),)),
        Branch("5x5", (_reduce(48), Conv(64, 5, five=True))),
        Branch("3x3dbl", (_reduce(64), Conv(96, 3), Conv(96, 3))),
        Branch("pool", (Pool("avg", 3, 1), Conv(pool_proj, 1, role="proj"))),
    ))


def v3_module_b(name: str, *, c7: int, repeat: int = 1, labels: tuple[str, ...] = ()) -> Module:
    """17x17 module with 7x7 convolutions factorised into 1x7 and 7x1 (Figure 6)."""
    return Module(name, "inception", repeat=repeat, labels=labels, branches=(
        Branch("1x1", (Conv(192, 1),)),
        Branch("7x7", (_reduce(c7), Conv(192, 7, split="1xn", mid=c7))),
        Branch("7x7dbl", (_reduce(c7), Conv(c7, 7, split="nx1", mid=c7), Conv(192, 7, split="nx1", mid=c7))),
        Branch("pool", (Pool("avg", 3, 1), Conv(192, 1, role="proj"))),
    ))


INCEPTION_V3 = VariantSpec(
    name="inception_v3",
    title="Inception-v3",
    paper=ARXIV_V3,
    tables=(("paper", (
        V3_STEM,
        v3_module_a("mixed_5b", pool_proj=32),
        v3_module_a("mixed_5c", pool_proj=64),
        v3_module_a("mixed_5d", pool_proj=64),
        Module("mixed_6a", "reduction", branches=(
            Branch("3x3", (Conv(384, 3, 2, "valid"),)),
            Branch("3x3dbl", (_reduce(64), Conv(96, 3), Conv(96, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        v3_module_b("mixed_6b", c7=128),
        v3_module_b("mixed_6{}", c7=160, repeat=2, labels=("c", "d")),
        v3_module_b("mixed_6e", c7=192),
        Module("mixed_7a", "reduction", branches=(
            Branch("3x3", (_reduce(192), Conv(320, 3, 2, "valid"))),
            Branch("7x7x3", (_reduce(192), Conv(192, 7, split="1xn", mid=192), Conv(192, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        Module("mixed_7{}", "inception", repeat=2, labels=("b", "c"), branches=(
            Branch("1x1", (Conv(320, 1),)),
            Branch("3x3", (_reduce(384), Conv(768, 3, split="parallel"))),
            Branch("3x3dbl", (_reduce(448), Conv(384, 3), Conv(768, 3, split="parallel"))),
            Branch("pool", (Pool("avg", 3, 1), Conv(192, 1, role="proj"))),
        )),
    )),),
    defaults=Choices(),
    applicable=COMMON | {"factorize_5x5", "factorize_nxn", "aux_heads"},
    not_applicable_why=(("residual", "Inception-v3 has no residual connections"),
                        ("residual_scale", "Inception-v3 has no residual connections"),
                        ("kernel_5x5", "only GoogLeNet ships a 3x3 kernel in its 5x5 branch"),
                        ("lrn", "Inception-v3 has no LRN"),
                        ("table", "Inception-v3 has one table")),
    aux=(AuxHead("mixed_6e", "slim"),),
    dropout=0.2,
    normalization="tf",
    presets=(("keras", ()), ("tf_slim_aux", (("aux_heads", True),))),
    deviations=(
        "The paper (Figure 5) factorises the 35x35 modules' 5x5 into two 3x3; keras.applications, "
        "TF-slim and torchvision keep a 5x5 branch beside the double-3x3 branch (factorize_5x5=True "
        "builds it as two 3x3).",
        "keras.applications has no auxiliary head; TF-slim and torchvision have one on mixed_6e "
        "(aux_heads=True).",
    ),
    notes=("keras.applications names the modules mixed0..mixed10; here they are TF-slim's "
           "mixed_5b..mixed_7c.",),
)


# --------------------------------------------------------------------------- Inception-v4
V4_STEM = (
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
        Branch("3x3", (_reduce(64), Conv(96, 3, 1, "valid"))),
        Branch("7x7", (_reduce(64), Conv(64, 7, split="1xn", mid=64), Conv(96, 3, 1, "valid"))),
    )),
    Module("stem_5a", "reduction", branches=(
        Branch("3x3", (Conv(192, 3, 2, "valid"),)),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    )),
)

INCEPTION_V4 = VariantSpec(
    name="inception_v4",
    title="Inception-v4",
    paper=ARXIV_V4,
    tables=(("paper", V4_STEM + (
        Module("block_a_{}", "inception", repeat=4, branches=(
            Branch("1x1", (Conv(96, 1),)),
            Branch("3x3", (_reduce(64), Conv(96, 3))),
            Branch("3x3dbl", (_reduce(64), Conv(96, 3), Conv(96, 3))),
            Branch("pool", (Pool("avg", 3, 1), Conv(96, 1, role="proj"))),
        )),
        Module("reduction_a", "reduction", branches=(
            Branch("3x3", (Conv(384, 3, 2, "valid"),)),
            Branch("3x3dbl", (_reduce(192), Conv(224, 3), Conv(256, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        Module("block_b_{}", "inception", repeat=7, branches=(
            Branch("1x1", (Conv(384, 1),)),
            Branch("7x7", (_reduce(192), Conv(256, 7, split="1xn", mid=224))),
            Branch("7x7dbl", (_reduce(192), Conv(224, 7, split="nx1", mid=192), Conv(256, 7, split="nx1", mid=224))),
            Branch("pool", (Pool("avg", 3, 1), Conv(128, 1, role="proj"))),
        )),
        Module("reduction_b", "reduction", branches=(
            Branch("3x3", (_reduce(192), Conv(192, 3, 2, "valid"))),
            Branch("7x7x3", (_reduce(256), Conv(320, 7, split="1xn", mid=256), Conv(320, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        Module("block_c_{}", "inception", repeat=3, branches=(
            Branch("1x1", (Conv(256, 1),)),
            Branch("3x3", (_reduce(384), Conv(512, 3, split="parallel"))),
            Branch("3x3dbl", (_reduce(384), Conv(512, 3, split="nx1", mid=448), Conv(512, 3, split="parallel"))),
            Branch("pool", (Pool("avg", 3, 1), Conv(256, 1, role="proj"))),
        )),
    )),),
    defaults=Choices(),
    applicable=COMMON | {"factorize_nxn", "aux_heads"},
    not_applicable_why=(("factorize_5x5", "Inception-v4 has no 5x5 convolution (its double 3x3 is already "
                                          "the factorised form)"),
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


# --------------------------------------------------------------------------- Inception-ResNet
def _residual_block(group: str, repeat: int, branches: tuple[Branch, ...], **kw) -> Module:
    return Module(f"block_{group}_" + "{}", "residual", repeat=repeat, group=group, branches=branches, **kw)


IRV1_A = (Branch("1x1", (Conv(32, 1),)),
          Branch("3x3", (_reduce(32), Conv(32, 3))),
          Branch("3x3dbl", (_reduce(32), Conv(32, 3), Conv(32, 3))))
IRV1_B = (Branch("1x1", (Conv(128, 1),)),
          Branch("7x7", (_reduce(128), Conv(128, 7, split="1xn", mid=128))))
IRV1_C = (Branch("1x1", (Conv(192, 1),)),
          Branch("3x3", (_reduce(192), Conv(192, 3, split="1xn", mid=192))))

RESIDUAL_APPLICABLE = COMMON | {"factorize_nxn", "residual", "residual_scale"}
RESIDUAL_WHY = (("kernel_5x5", "only GoogLeNet ships a 3x3 kernel in its 5x5 branch"),
                ("lrn", "Inception-ResNet has no LRN"),
                ("table", "this variant has one table"))

INCEPTION_RESNET_V1 = VariantSpec(
    name="inception_resnet_v1",
    title="Inception-ResNet-v1",
    paper=ARXIV_V4,
    tables=(("paper", (
        Module("stem", "stem", ops=(
            Conv(32, 3, 2, "valid", name="conv_1a_3x3"),
            Conv(32, 3, 1, "valid", name="conv_2a_3x3"),
            Conv(64, 3, name="conv_2b_3x3"),
            Pool("max", 3, 2, "valid", name="pool_3a_3x3"),
            Conv(80, 1, name="conv_3b_1x1"),
            Conv(192, 3, 1, "valid", name="conv_4a_3x3"),
            Conv(256, 3, 2, "valid", name="conv_4b_3x3"),
        )),
        _residual_block("a", 5, IRV1_A),
        Module("reduction_a", "reduction", branches=(
            Branch("3x3", (Conv(384, 3, 2, "valid"),)),
            Branch("3x3dbl", (_reduce(192), Conv(192, 3), Conv(256, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        _residual_block("b", 10, IRV1_B),
        Module("reduction_b", "reduction", branches=(
            Branch("3x3", (_reduce(256), Conv(384, 3, 2, "valid"))),
            Branch("3x3b", (_reduce(256), Conv(256, 3, 2, "valid"))),
            Branch("3x3dbl", (_reduce(256), Conv(256, 3), Conv(256, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        _residual_block("c", 5, IRV1_C),
    )),),
    defaults=Choices(residual=True, residual_scale=(0.17, 0.10, 0.20)),
    applicable=RESIDUAL_APPLICABLE,
    not_applicable_why=RESIDUAL_WHY + (
        ("factorize_5x5", "Inception-ResNet-v1 has no 5x5 convolution"),
        ("aux_heads", "no reference implementation of Inception-ResNet-v1 has an auxiliary head "
                      "(inception_v3, inception_v4 and inception_resnet_v2 have one)")),
    dropout=0.2,
    normalization="tf",
    deviations=("No shipped implementation exists (no public ImageNet weights). Built from Figures "
                "14, 10, 7, 11, 12, 13 of the paper with Table 1's k=192, l=192, m=256, n=384; "
                "residual scales default to IRv2's shipped 0.17 / 0.10 / 0.20 (the paper says "
                "\"between 0.1 and 0.3\").",),
)

IRV2_STEM = V3_STEM
IRV2_C = (Branch("1x1", (Conv(192, 1),)),
          Branch("3x3", (_reduce(192), Conv(256, 3, split="1xn", mid=224))))
INCEPTION_RESNET_V2 = VariantSpec(
    name="inception_resnet_v2",
    title="Inception-ResNet-v2",
    paper=ARXIV_V4,
    tables=(("paper", (
        IRV2_STEM,
        Module("stem_5b", "inception", branches=(
            Branch("1x1", (Conv(96, 1),)),
            Branch("5x5", (_reduce(48), Conv(64, 5, five=True))),
            Branch("3x3dbl", (_reduce(64), Conv(96, 3), Conv(96, 3))),
            Branch("pool", (Pool("avg", 3, 1), Conv(64, 1, role="proj"))),
        )),
        _residual_block("a", 10, (
            Branch("1x1", (Conv(32, 1),)),
            Branch("3x3", (_reduce(32), Conv(32, 3))),
            Branch("3x3dbl", (_reduce(32), Conv(48, 3), Conv(64, 3))),
        )),
        Module("reduction_a", "reduction", branches=(
            Branch("3x3", (Conv(384, 3, 2, "valid"),)),
            Branch("3x3dbl", (_reduce(256), Conv(256, 3), Conv(384, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        _residual_block("b", 20, (
            Branch("1x1", (Conv(192, 1),)),
            Branch("7x7", (_reduce(128), Conv(192, 7, split="1xn", mid=160))),
        )),
        Module("reduction_b", "reduction", branches=(
            Branch("3x3", (_reduce(256), Conv(384, 3, 2, "valid"))),
            Branch("3x3b", (_reduce(256), Conv(288, 3, 2, "valid"))),
            Branch("3x3dbl", (_reduce(256), Conv(288, 3), Conv(320, 3, 2, "valid"))),
            Branch("pool", (Pool("max", 3, 2, "valid"),)),
        )),
        _residual_block("c", 9, IRV2_C),
        Module("block_c_10", "residual", group="c", branches=IRV2_C, fixed_scale=1.0, activation=False),
        Module("conv_7b", "conv", ops=(Conv(1536, 1, name="1x1"),)),
    )),),
    defaults=Choices(residual=True, residual_scale=(0.17, 0.10, 0.20)),
    applicable=RESIDUAL_APPLICABLE | {"factorize_5x5", "aux_heads"},
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

VARIANTS: dict[str, VariantSpec] = {s.name: s for s in (
    GOOGLENET, BN_INCEPTION, INCEPTION_V3, INCEPTION_V4, INCEPTION_RESNET_V1, INCEPTION_RESNET_V2)}


def list_variants() -> list[str]:
    """Names of every variant, in historical order."""
    return list(VARIANTS)


def get_spec(name: str) -> VariantSpec:
    """The `VariantSpec` of `name`; ValueError naming the valid variants otherwise."""
    if isinstance(name, VariantSpec):
        return name
    if name not in VARIANTS:
        raise ValueError(f"Unknown variant {name!r}. Valid variants: {', '.join(VARIANTS)}. Received: {name!r}")
    return VARIANTS[name]
