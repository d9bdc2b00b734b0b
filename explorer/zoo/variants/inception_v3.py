"""Inception-v3: arXiv:1512.00567 as keras.applications / TF-slim ship it (module names TF-slim's)."""
from __future__ import annotations

from explorer.zoo.choices import Choices
from explorer.zoo.ops import (AuxHead, Branch, Conv, Conv5x5, Module, Pool, conv_1xn_nx1, conv_1xn_par_nx1,
                              conv_nx1_1xn, pool_proj, reduce)
from explorer.zoo.spec import VariantSpec
from explorer.zoo.variants.common import ARXIV_V3, COMMON

STEM = Module("stem", "stem", ops=(
    Conv(32, 3, 2, "valid", name="conv_1a_3x3"),
    Conv(32, 3, 1, "valid", name="conv_2a_3x3"),
    Conv(64, 3, name="conv_2b_3x3"),
    Pool("max", 3, 2, "valid", name="pool_3a_3x3"),
    Conv(80, 1, 1, "valid", name="conv_3b_1x1"),
    Conv(192, 3, 1, "valid", name="conv_4a_3x3"),
    Pool("max", 3, 2, "valid", name="pool_5a_3x3"),
))


def module_a(name: str, *, proj: int) -> Module:
    """35x35 module (Figure 5), with the 5x5 branch keras.applications, TF-slim and torchvision keep."""
    return Module(name, "inception", branches=(
        Branch("1x1", (Conv(64, 1),)),
        Branch("5x5", (reduce(48), Conv5x5(64))),
        Branch("3x3dbl", (reduce(64), Conv(96, 3), Conv(96, 3))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(proj))),
    ))


def module_b(name: str, *, c7: int, repeat: int = 1, labels: tuple[str, ...] = ()) -> Module:
    """17x17 module, the 7x7 convolutions factorised into 1x7 and 7x1 (Figure 6, n = 7)."""
    return Module(name, "inception", repeat=repeat, labels=labels, branches=(
        Branch("1x1", (Conv(192, 1),)),
        Branch("7x7", (reduce(c7), conv_1xn_nx1(7, mid=c7, out=192))),
        Branch("7x7dbl", (reduce(c7), conv_nx1_1xn(7, mid=c7, out=c7), conv_nx1_1xn(7, mid=c7, out=192))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(192))),
    ))


TABLE = (
    STEM,
    module_a("mixed_5b", proj=32),
    module_a("mixed_5c", proj=64),
    module_a("mixed_5d", proj=64),
    Module("mixed_6a", "reduction", branches=(
        Branch("3x3", (Conv(384, 3, 2, "valid"),)),
        Branch("3x3dbl", (reduce(64), Conv(96, 3), Conv(96, 3, 2, "valid"))),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    )),
    module_b("mixed_6b", c7=128),
    module_b("mixed_6{}", c7=160, repeat=2, labels=("c", "d")),
    module_b("mixed_6e", c7=192),
    Module("mixed_7a", "reduction", branches=(
        Branch("3x3", (reduce(192), Conv(320, 3, 2, "valid"))),
        Branch("7x7x3", (reduce(192), conv_1xn_nx1(7, mid=192, out=192), Conv(192, 3, 2, "valid"))),
        Branch("pool", (Pool("max", 3, 2, "valid"),)),
    )),
    # 8x8 modules: the expanded filter bank of Figure 7 (1x3 beside 3x1)
    Module("mixed_7{}", "inception", repeat=2, labels=("b", "c"), branches=(
        Branch("1x1", (Conv(320, 1),)),
        Branch("3x3", (reduce(384), conv_1xn_par_nx1(3, out=768))),
        Branch("3x3dbl", (reduce(448), Conv(384, 3), conv_1xn_par_nx1(3, out=768))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(192))),
    )),
)

INCEPTION_V3 = VariantSpec(
    name="inception_v3",
    title="Inception-v3",
    paper=ARXIV_V3,
    tables=(("paper", TABLE),),
    defaults=Choices(),
    applicable=COMMON | {"factorize_5x5", "factorize_nxn", "factorize_mid", "aux_heads"},
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
)
