"""Spec and cost-model tests: no TensorFlow needed."""
import dataclasses
import sys

import pytest

import explorer
from explorer import cost

VARIANTS = ["googlenet", "bn_inception", "inception_v3", "inception_v4", "inception_resnet_v1",
            "inception_resnet_v2"]


def test_registry_lists_six_variants_in_order():
    assert explorer.list_variants() == VARIANTS
    for v in VARIANTS:
        assert explorer.get_spec(v).name == v


def test_cost_model_needs_no_keras():
    # the spec/cost layer never imports keras or tensorflow (checked in a fresh interpreter)
    import subprocess
    code = ("import sys, explorer; explorer.cost('inception_v3'); "
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------- reference parameter counts
@pytest.mark.parametrize("variant, choices, params, trainable", [
    ("googlenet", {}, 6_998_552, 6_998_552),  # arXiv 1409.4842 Table 1, no aux
    ("googlenet", {"aux_heads": True}, 13_378_280, 13_378_280),
    ("inception_v3", {}, 23_851_784, None),  # keras.applications InceptionV3
    ("inception_v3", {"aux_heads": True}, 27_179_376, None),  # TF-slim / torchvision with aux
    ("inception_v4", {}, 42_711_400, None),  # TF-slim inception_v4 variable total
    ("inception_v4", {"aux_heads": True}, 46_071_760, None),
    ("inception_resnet_v2", {}, 55_873_736, None),  # keras.applications InceptionResNetV2
    ("inception_resnet_v2", {"aux_heads": True}, 59_242_288, None),
    ("bn_inception", {"table": "tf_slim", "conv_bias": False, "bn_scale": False}, 11_198_112, None),
    ("bn_inception", {}, None, 11_295_240),  # pretrainedmodels bninception (PyTorch count)
])
def test_reference_parameter_counts(variant, choices, params, trainable):
    c = cost(variant, **choices)
    if params is not None:
        assert c.params == params
    if trainable is not None:
        assert c.trainable_params == trainable


def test_googlenet_torchvision_build_counts():
    tv = explorer.get_spec("googlenet").preset("torchvision")
    assert cost("googlenet", **tv).trainable_params == 6_624_904
    assert cost("googlenet", aux_heads=True, **tv).trainable_params == 13_004_888


def test_inception_v4_pytorch_count_matches_timm():
    # timm's inception_v4: 42,679,816 in PyTorch's count (conv + BN gamma/beta + FC). Keras-style
    # BN(scale=False) has no gamma: adding one gamma per BN channel gives timm's number.
    c = cost("inception_v4", bn_scale=True)
    assert c.trainable_params == 42_679_816


def test_macs_match_published_figures():
    assert cost("inception_v3").macs == pytest.approx(5.71e9, rel=0.005)
    assert 1.5e9 <= cost("googlenet").macs <= 1.6e9
    assert cost("inception_resnet_v2").macs == pytest.approx(13.17e9, rel=0.01)  # timm: 13.17 GMACs


def test_cost_breakdown_adds_up():
    c = cost("inception_v3", aux_heads=True)
    assert sum(m.params for m in c.modules + c.heads) == c.params
    assert sum(m.macs for m in c.modules + c.heads) == c.macs
    assert sum(layer.params for layer in c.layers) == c.params
    m = c.module("mixed_5b")
    assert [b.label for b in m.branches] == ["1x1", "5x5", "3x3dbl", "pool"]
    assert [b.out_shape[-1] for b in m.branches] == [64, 64, 96, 32]
    assert m.out_shape == (35, 35, 256)
    assert sum(b.params for b in m.branches) == m.params
    # 1x1 branch: 192 -> 64, conv without bias + BN(beta, mean, var)
    assert m.branches[0].params == 192 * 64 + 3 * 64
    assert m.branches[0].macs == 35 * 35 * 64 * 192


def test_design_choices_change_costs_in_the_expected_direction():
    base = cost("googlenet")
    naive = cost("googlenet", reduce_1x1=False)
    assert naive.macs > 3 * base.macs  # the paper's point: 1x1 reductions make the module affordable
    assert cost("inception_v3", factorize_5x5=True).params < cost("inception_v3").params  # 5x5: 25 vs 2 x 9
    assert cost("googlenet", head="fc").params - base.params == 1024 * 1000 * (49 - 1)
    assert cost("inception_v3", factorize_nxn=False).params > cost("inception_v3").params
    assert cost("inception_resnet_v2", residual=False).params == cost("inception_resnet_v2").params
    assert cost("inception_v3", width=0.5).params < cost("inception_v3").params / 3


def test_feature_listing_shapes_strides_receptive_fields():
    rows = explorer.features("googlenet")
    out = {r["module"]: r for r in rows if r["branch"] is None}
    assert out["inception_3a"]["size"] == (28, 28) and out["inception_3a"]["channels"] == 256
    assert out["inception_3a"]["stride"] == 8
    assert out["inception_5b"]["size"] == (7, 7) and out["inception_5b"]["channels"] == 1024
    assert out["inception_5b"]["stride"] == 32
    b = {(r["module"], r["branch"]): r for r in rows}
    # the 5x5 branch sees further than the 1x1 branch of the same module
    assert b[("inception_3a", "b3")]["rf"] == b[("inception_3a", "b1")]["rf"] + 4 * 8
    assert b[("stem", "conv1_7x7")]["rf"] == 7
    v3 = {r["module"]: r for r in explorer.features("inception_v3") if r["branch"] is None}
    assert v3["mixed_7c"]["size"] == (8, 8) and v3["mixed_7c"]["channels"] == 2048


# --------------------------------------------------------------- validation
@pytest.mark.parametrize("variant, kwargs, words", [
    ("googlenet", {"colour": 1}, ["Unknown design choice", "reduce_1x1", "Received"]),
    ("googlenet", {"residual": True}, ["means nothing", "googlenet", "Received"]),
    ("inception_v3", {"residual": True}, ["means nothing", "Choices that apply"]),
    ("inception_v4", {"factorize_5x5": True}, ["no 5x5"]),
    ("bn_inception", {"aux_heads": True}, ["auxiliary"]),
    ("inception_resnet_v2", {"residual_scale": 0}, ["(0, 1]"]),
    ("inception_resnet_v2", {"residual_scale": 1.5}, ["(0, 1]"]),
    ("inception_resnet_v2", {"residual_scale": (0.1, 0.2)}, ["three"]),
    ("inception_resnet_v2", {"residual": False, "residual_scale": 0.2}, ["no effect"]),
    ("inception_v3", {"input_size": 40}, ["too small", "smallest input_size", "75"]),
    ("googlenet", {"input_size": 4}, ["between 8 and 1024"]),
    ("googlenet", {"head": "mlp"}, ["'gap'", "'fc'", "Received"]),
    ("googlenet", {"kernel_5x5": 7}, ["5 (paper) or 3"]),
    ("googlenet", {"kernel_5x5": 3, "factorize_5x5": True}, ["cannot be combined"]),
    ("googlenet", {"width": 0}, ["channel multiplier"]),
    ("googlenet", {"classes": 0}, ["classes"]),
    ("googlenet", {"batch_norm": "yes"}, ["True or False"]),
    ("bn_inception", {"table": "caffe"}, ["paper", "tf_slim"]),
    ("googlenet", {"aux_heads": True, "input_size": 64}, ["too small", "aux_1"]),
])
def test_invalid_choices_raise_value_error(variant, kwargs, words):
    with pytest.raises(ValueError) as e:
        explorer.choices(variant, **kwargs)
    for w in words:
        assert w in str(e.value), str(e.value)


def test_unknown_variant_names_the_valid_ones():
    with pytest.raises(ValueError, match="inception_v3"):
        explorer.get_spec("inception_v9")


def test_choices_are_frozen_and_hashable():
    c = explorer.choices("inception_v3")
    assert hash(c) == hash(dataclasses.replace(c))
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.batch_norm = False
    assert hash(explorer.get_spec("inception_resnet_v2"))


def test_repeats_are_written_once():
    spec = explorer.get_spec("inception_resnet_v2")
    rows = spec.modules()
    assert [r.repeat for r in rows if r.kind == "residual"] == [10, 20, 9, 1]
    names = [m.name for m in explorer.resolve(spec).modules]
    assert names.count("block_b_20") == 1 and "block_b_21" not in names
    assert sum(n.startswith("block_") for n in names) == 40


def test_parse_layer_name():
    p = explorer.parse_layer_name("inception_4a__b2_3x3__conv")
    assert (p.module, p.branch, p.unit, p.layer) == ("inception_4a", "b2", "b2_3x3", "conv")
    p = explorer.parse_layer_name("stem__conv1_7x7__relu")
    assert (p.module, p.branch, p.unit) == ("stem", None, "conv1_7x7")
    assert explorer.parse_layer_name("block_b_20").module == "block_b_20"
    with pytest.raises(ValueError):
        explorer.parse_layer_name("conv2d_17")


# --------------------------------------------------------------- factorisation widths
def test_factorising_googlenets_5x5_lowers_its_cost_with_the_papers_width_rule():
    """Inception-v3 sec. 3.1: two 3x3 replace a 5x5, the width growing by the same factor per
    step (r -> sqrt(r f) -> f). GoogLeNet's 5x5 branch widens f/r = 2-4x after its 1x1 reduction,
    so putting all the widening in the first 3x3 (r -> f -> f, "out") costs more than the 5x5."""
    base = cost("googlenet")
    sqrt = cost("googlenet", factorize_5x5=True)
    out = cost("googlenet", factorize_5x5=True, factorize_mid="out")
    inner = cost("googlenet", factorize_5x5=True, factorize_mid="in")
    assert sqrt.params < base.params and sqrt.macs < base.macs
    assert inner.params < sqrt.params < base.params < out.params
    assert out.params == 7_284_232  # +4.1%: what the app showed before the rule existed
    # each 5x5 branch: r=16 -> sqrt(16*32)=23 -> 32 in inception_3a
    b3 = [b for b in sqrt.module("inception_3a").branches if b.label == "5x5"][0]
    assert b3.params == (192 * 16 + 16) + (3 * 3 * 16 * 23 + 23) + (3 * 3 * 23 * 32 + 32)
    for name in ("inception_3a", "inception_4e", "inception_5b"):
        five = lambda c: [b for b in c.module(name).branches if b.label == "5x5"][0].macs  # noqa: E731
        assert five(sqrt) < five(base)


def test_published_widths_do_not_follow_the_rule():
    # BN-Inception's double-3x3 and Inception-v3's 1x7/7x1 widths are the papers': no rule applies
    assert cost("bn_inception", factorize_mid="out").params == cost("bn_inception").params
    assert cost("inception_v3", factorize_mid="in").params == cost("inception_v3").params
    with pytest.raises(ValueError, match="published widths"):
        explorer.choices("inception_v4", factorize_mid="out")


def test_factorized_rows_are_explicit_in_the_tables():
    from explorer.zoo.ops import Conv, Factorized
    from explorer.zoo.variants.inception_v4 import TABLE

    block_b = next(m for m in TABLE if m.name == "block_b_{}")
    seven = block_b.branches[1].ops[1]
    assert seven == Factorized(7, (Conv(224, (1, 7)), Conv(256, (7, 1))))
    assert seven.out == 256
    names = [u.name for u in explorer.resolve(explorer.get_spec("inception_v4")).module("block_b_1").branches[1].units]
    assert names == ["block_b_1__b2_1x1", "block_b_1__b2_1x7", "block_b_1__b2_7x1"]
    unfactorised = explorer.resolve(explorer.get_spec("inception_v4"),
                                    explorer.choices("inception_v4", factorize_nxn=False))
    units = unfactorised.module("block_b_1").branches[1].units
    assert [(u.kernel, u.filters) for u in units] == [((1, 1), 192), ((7, 7), 256)]


# --------------------------------------------------------------- choice text
@pytest.mark.parametrize("name, text, value", [
    ("batch_norm", "1", True), ("batch_norm", "off", False), ("conv_bias", "auto", None),
    ("conv_bias", "0", False), ("residual_scale", "0.17,0.1,0.2", (0.17, 0.1, 0.2)),
    ("residual_scale", "0.3", 0.3), ("width", "0.5", 0.5), ("input_size", "224", 224),
    ("kernel_5x5", "3", 3), ("head", "fc", "fc"), ("factorize_mid", "in", "in"),
])
def test_one_parser_for_choice_text(name, text, value):
    from explorer.zoo.choices import format_choice, parse_choice

    assert parse_choice(name, text) == value
    again = parse_choice(name, format_choice(name, value))
    assert again == value


@pytest.mark.parametrize("name, text, words", [
    ("colour", "1", ["Unknown design choice", "reduce_1x1"]),
    ("batch_norm", "maybe", ["1/0"]),
    ("width", "wide", ["number"]),
    ("residual_scale", "a,b", ["numbers such as"]),
])
def test_bad_choice_text_says_what_is_expected(name, text, words):
    from explorer.zoo.choices import parse_choice

    with pytest.raises(ValueError) as e:
        parse_choice(name, text)
    assert all(w in str(e.value) for w in words), str(e.value)


def test_flipped_gives_the_other_value():
    from explorer.zoo.choices import flipped

    assert [flipped("aux_heads", False), flipped("head", "gap"), flipped("kernel_5x5", 5),
            flipped("conv_bias", None), flipped("conv_bias", True)] == [True, "fc", 3, True, False]
    with pytest.raises(ValueError, match="not an on/off choice"):
        flipped("width", 1.0)


def test_every_toggle_combination_is_costed():
    rows, skipped = explorer.combination_costs("googlenet")
    assert len(rows) == 2 ** 6 and not skipped  # reduce_1x1, batch_norm, 5x5, nxn, aux heads, head
    default = next(r for r in rows if all(r[t] == getattr(explorer.get_spec("googlenet").defaults, t)
                                          for t in ("reduce_1x1", "batch_norm", "factorize_5x5",
                                                    "factorize_nxn", "aux_heads", "head")))
    assert (default["params"], default["macs"]) == (cost("googlenet").params, cost("googlenet").macs)
    rows, skipped = explorer.combination_costs("inception_resnet_v2", {"residual_scale": (0.3, 0.2, 0.1)})
    assert len(rows) == 2 ** 7 and not skipped  # residual off drops the scale instead of failing
