"""GoogLeNet (Inception-v1): Table 1 of arXiv:1409.4842, one row per module."""
from __future__ import annotations

from explorer.zoo.choices import Choices
from explorer.zoo.ops import LRN, AuxHead, Branch, Conv, Conv5x5, Module, Pool, pool_proj, reduce
from explorer.zoo.spec import VariantSpec
from explorer.zoo.variants.common import ARXIV_V1, COMMON, maxpool_module


def googlenet_module(name: str, *, b1x1: int, reduce3: int, conv3: int, reduce5: int, conv5: int,
                     proj: int) -> Module:
    """One row of Table 1, columns as the paper names them (#1x1, #3x3 reduce, #3x3, #5x5 reduce,
    #5x5, pool proj). No published factorised form: factorize_5x5 / factorize_nxn use the
    factorize_mid rule for the middle widths."""
    return Module(name, "inception", branches=(
        Branch("1x1", (Conv(b1x1, 1),)),
        Branch("3x3", (reduce(reduce3), Conv(conv3, 3, factorizable=True))),
        Branch("5x5", (reduce(reduce5), Conv5x5(conv5, factorizable=True))),
        Branch("pool", (Pool("max", 3, 1), pool_proj(proj))),
    ))


STEM = Module("stem", "stem", ops=(
    Conv(64, 7, 2, name="conv1_7x7"),
    Pool("max", 3, 2, name="pool1_3x3"),
    LRN(name="lrn1"),
    Conv(64, 1, name="conv2_1x1"),
    Conv(192, 3, name="conv2_3x3"),
    LRN(name="lrn2"),
    Pool("max", 3, 2, name="pool2_3x3"),
))

TABLE = (
    STEM,
    googlenet_module("inception_3a", b1x1=64, reduce3=96, conv3=128, reduce5=16, conv5=32, proj=32),
    googlenet_module("inception_3b", b1x1=128, reduce3=128, conv3=192, reduce5=32, conv5=96, proj=64),
    maxpool_module("pool_4"),
    googlenet_module("inception_4a", b1x1=192, reduce3=96, conv3=208, reduce5=16, conv5=48, proj=64),
    googlenet_module("inception_4b", b1x1=160, reduce3=112, conv3=224, reduce5=24, conv5=64, proj=64),
    googlenet_module("inception_4c", b1x1=128, reduce3=128, conv3=256, reduce5=24, conv5=64, proj=64),
    googlenet_module("inception_4d", b1x1=112, reduce3=144, conv3=288, reduce5=32, conv5=64, proj=64),
    googlenet_module("inception_4e", b1x1=256, reduce3=160, conv3=320, reduce5=32, conv5=128, proj=128),
    maxpool_module("pool_5"),
    googlenet_module("inception_5a", b1x1=256, reduce3=160, conv3=320, reduce5=32, conv5=128, proj=128),
    googlenet_module("inception_5b", b1x1=384, reduce3=192, conv3=384, reduce5=48, conv5=128, proj=128),
)

# TF-slim's inception_v1 (and torchvision's googlenet) pool 2x2/2 before inception_5a where Table 1
# has a 3x3/2 max pool: same output size ('same' padding), no parameters, different values.
TABLE_SLIM = tuple(Module("pool_5", "pool", ops=(Pool("max", 2, 2, "same", name="maxpool_2x2"),))
                   if row.name == "pool_5" else row for row in TABLE)

GOOGLENET = VariantSpec(
    name="googlenet",
    title="GoogLeNet (Inception-v1)",
    paper=ARXIV_V1,
    tables=(("paper", TABLE), ("tf_slim", TABLE_SLIM)),
    defaults=Choices(batch_norm=False, bn_scale=True, lrn=True, factorize_nxn=False, input_size=224),
    applicable=COMMON | {"factorize_5x5", "factorize_nxn", "factorize_mid", "kernel_5x5", "lrn", "aux_heads",
                         "table"},
    not_applicable_why=(("residual", "GoogLeNet has no residual connections (see inception_resnet_v1/v2)"),
                        ("residual_scale", "GoogLeNet has no residual connections")),
    aux=(AuxHead("inception_4a", "googlenet"), AuxHead("inception_4d", "googlenet")),
    dropout=0.4,
    normalization="torch",
    presets=(
        ("paper", ()),
        ("torchvision", (("batch_norm", True), ("conv_bias", False), ("bn_scale", True),
                         ("kernel_5x5", 3), ("lrn", False))),
        ("tf_slim", (("batch_norm", True), ("conv_bias", False), ("bn_scale", False),
                     ("kernel_5x5", 3), ("lrn", False), ("table", "tf_slim"))),
    ),
    deviations=(
        "The paper's \"5x5\" branch uses 5x5 kernels; torchvision and TF-slim ship 3x3 kernels there "
        "(kernel_5x5=3), a bug kept for weight compatibility.",
        "The paper has no batch norm and uses conv biases and LRN; torchvision and TF-slim add batch "
        "norm after every conv, drop the biases and the LRN layers.",
        "The paper's aux heads use a 5x5/3 average pool; torchvision uses an adaptive 4x4 average "
        "pool (the same shape at 224x224).",
        "Table 1 has a 3x3/2 max pool before inception_5a; TF-slim's inception_v1 (and torchvision) "
        "use a 2x2/2 max pool there (table='tf_slim': same shapes and parameters, other values).",
    ),
)
