"""BN-Inception (Inception-v2): Figure 5 of arXiv:1502.03167, and TF-slim's inception_v2 reading."""
from __future__ import annotations

from explorer.zoo.choices import Choices
from explorer.zoo.ops import Branch, Conv, Conv5x5, Module, Pool, reduce
from explorer.zoo.spec import VariantSpec
from explorer.zoo.variants.common import ARXIV_BN, COMMON, pool_branch


def bn_module(name: str, *, b1x1: int, reduce3: int, conv3: int, reduce_d3: int, conv_d3: int,
              pool: str, proj: int, stride: int = 1) -> Module:
    """One row of Figure 5 (#1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3, pool + proj).
    The double-3x3 branch is GoogLeNet's 5x5 factorised, with the published width conv_d3 in the
    middle (factorize_5x5=False builds the 5x5). stride=2 rows have no 1x1 branch and a max-pool
    pass-through."""
    if stride == 2:
        return Module(name, "reduction", branches=(
            Branch("3x3", (reduce(reduce3), Conv(conv3, 3, 2))),
            Branch("5x5", (reduce(reduce_d3), Conv5x5(conv_d3, stride=2, mid=conv_d3))),
            pool_branch("max", 0),
        ))
    return Module(name, "inception", branches=(
        Branch("1x1", (Conv(b1x1, 1),)),
        Branch("3x3", (reduce(reduce3), Conv(conv3, 3, factorizable=True))),
        Branch("5x5", (reduce(reduce_d3), Conv5x5(conv_d3, mid=conv_d3, factorizable=True))),
        pool_branch(pool, proj),
    ))


def bn_table(proj_4cd: int, stem_first: Conv) -> tuple[Module, ...]:
    return (
        Module("stem", "stem", ops=(
            stem_first,
            Pool("max", 3, 2, name="pool1_3x3"),
            Conv(64, 1, name="conv2_1x1"),
            Conv(192, 3, name="conv2_3x3"),
            Pool("max", 3, 2, name="pool2_3x3"),
        )),
        bn_module("inception_3a", b1x1=64, reduce3=64, conv3=64, reduce_d3=64, conv_d3=96, pool="avg", proj=32),
        bn_module("inception_3b", b1x1=64, reduce3=64, conv3=96, reduce_d3=64, conv_d3=96, pool="avg", proj=64),
        bn_module("inception_3c", b1x1=0, reduce3=128, conv3=160, reduce_d3=64, conv_d3=96, pool="max", proj=0,
                  stride=2),
        bn_module("inception_4a", b1x1=224, reduce3=64, conv3=96, reduce_d3=96, conv_d3=128, pool="avg", proj=128),
        bn_module("inception_4b", b1x1=192, reduce3=96, conv3=128, reduce_d3=96, conv_d3=128, pool="avg", proj=128),
        bn_module("inception_4c", b1x1=160, reduce3=128, conv3=160, reduce_d3=128, conv_d3=160, pool="avg",
                  proj=proj_4cd),
        bn_module("inception_4d", b1x1=96, reduce3=128, conv3=192, reduce_d3=160, conv_d3=192, pool="avg",
                  proj=proj_4cd),
        bn_module("inception_4e", b1x1=0, reduce3=128, conv3=192, reduce_d3=192, conv_d3=256, pool="max", proj=0,
                  stride=2),
        bn_module("inception_5a", b1x1=352, reduce3=192, conv3=320, reduce_d3=160, conv_d3=224, pool="avg", proj=128),
        bn_module("inception_5b", b1x1=352, reduce3=192, conv3=320, reduce_d3=192, conv_d3=224, pool="max", proj=128),
    )


BN_INCEPTION = VariantSpec(
    name="bn_inception",
    title="BN-Inception (Inception-v2)",
    paper=ARXIV_BN,
    tables=(
        ("paper", bn_table(128, Conv(64, 7, 2, name="conv1_7x7"))),
        ("tf_slim", bn_table(96, Conv(64, 7, 2, depth_multiplier=8, bn=False, bias=True, name="conv1_7x7"))),
    ),
    defaults=Choices(conv_bias=True, bn_scale=True, factorize_5x5=True, factorize_nxn=False, input_size=224),
    applicable=COMMON | {"factorize_5x5", "factorize_nxn", "factorize_mid", "table"},
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
