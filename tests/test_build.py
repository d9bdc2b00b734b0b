"""Build every variant at small input sizes: cost model == Keras, names, outputs."""
import keras
import numpy as np
import pytest

import explorer
from tests.toggles import AUX_SMALL, COMBINATIONS, SMALL, single_toggles

VARIANTS = explorer.list_variants()


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _structure(variant: str, **choices):
    """The model as `explorer.build` makes it, its weights created but not filled in: inside Keras's
    `StatelessScope` a variable with an initializer is initialised on first use, and these tests
    read only shapes, counts and names (Inception-ResNet-v2's toggles 49 -> 44 s, idle)."""
    with keras.StatelessScope():
        return explorer.build(variant, **choices)


def _check(model, variant, choices):
    c = explorer.cost(variant, **choices)
    assert model.count_params() == c.params, (variant, choices)
    assert _trainable(model) == c.trainable_params, (variant, choices)
    # every layer carries an explorer name that parses back into a module (and branch) of the net
    net = explorer.model_info(model).net
    modules = {m.name: m for m in net.modules}
    heads = {net.head.name} | {a.name for a in net.aux}
    for layer in model.layers:
        p = explorer.parse_layer_name(layer.name)  # raises for auto-generated names like conv2d_17
        assert p.module in modules or p.module in heads or p.module == "input", layer.name
        if p.branch is not None:
            assert p.branch in {b.key for b in modules[p.module].branches}, layer.name
    # the per-layer output shapes of the cost model are the Keras shapes
    for lc in c.layers:
        if lc.kind == "conv":
            assert tuple(model.get_layer(lc.name).output.shape[1:]) == lc.out_shape, lc.name


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_defaults_and_single_toggles_match_cost(variant):
    size = SMALL[variant]
    for toggle in [{}] + single_toggles(variant):
        kw = dict(toggle)
        if kw.get("aux_heads"):
            kw["input_size"] = AUX_SMALL[variant]
        else:
            kw.setdefault("input_size", size)
        _check(_structure(variant, **kw), variant, kw)


@pytest.mark.slow
@pytest.mark.parametrize("variant, choices", COMBINATIONS)
def test_combinations_match_cost(variant, choices):
    kw = dict(choices)
    kw.setdefault("input_size", AUX_SMALL.get(variant, 160) if kw.get("aux_heads") else SMALL[variant])
    if kw.get("head") == "fc":
        kw["input_size"] = AUX_SMALL.get(variant, 160)
    _check(_structure(variant, **kw), variant, kw)


def test_names_are_deterministic_across_rebuilds():
    a = [layer.name for layer in explorer.build("googlenet", input_size=64).layers]
    b = [layer.name for layer in explorer.build("googlenet", input_size=64).layers]
    assert a == b
    assert "inception_3a__b3_5x5__conv" in a and "inception_3a" in a


def test_outputs_main_then_aux_heads_are_softmax():
    model = explorer.build("googlenet", aux_heads=True, classes=7)
    producers = {id(layer.output): layer.name for layer in model.layers}
    assert [producers[id(t)] for t in model.outputs] == [
        "head__fc__softmax", "aux_1__fc__softmax", "aux_2__fc__softmax"]
    x = np.random.RandomState(0).normal(size=(2, 224, 224, 3)).astype("float32")
    outs = model(x)
    assert len(outs) == 3
    for o in outs:
        assert o.shape == (2, 7)
        np.testing.assert_allclose(np.asarray(o).sum(axis=1), 1.0, rtol=1e-5)


def test_factorisations_change_the_graph():
    plain = explorer.build("googlenet", input_size=64)
    fact = explorer.build("googlenet", input_size=64, factorize_5x5=True, factorize_nxn=True)
    names = {layer.name for layer in fact.layers}
    assert "inception_3a__b3_5x5__conv" in {layer.name for layer in plain.layers}
    # 5x5 -> 3x3, 3x3 -> each 1x3 then 3x1
    assert {"inception_3a__b3_1x3__conv", "inception_3a__b3_3x1__conv", "inception_3a__b3_1x3_2__conv",
            "inception_3a__b3_3x1_2__conv"} <= names
    assert plain.get_layer("inception_3a__b3_5x5__conv").kernel.shape == (5, 5, 16, 32)
    v3 = explorer.build("inception_v3", input_size=96, factorize_nxn=False)
    assert v3.get_layer("mixed_6b__b2_7x7__conv").kernel.shape == (7, 7, 128, 192)
    assert v3.get_layer("mixed_7b__b2_3x3__conv").kernel.shape == (3, 3, 384, 768)

@pytest.mark.slow

def test_residual_scale_is_applied():
    m = explorer.build("inception_resnet_v2", input_size=96, residual_scale=(0.3, 0.2, 0.1))
    assert m.get_layer("block_a_1__residual__add").scale == pytest.approx(0.3)
    assert m.get_layer("block_b_7__residual__add").scale == pytest.approx(0.2)
    assert m.get_layer("block_c_9__residual__add").scale == pytest.approx(0.1)
    assert m.get_layer("block_c_10").scale == 1.0  # shipped: last block unscaled, no ReLU
    off = explorer.build("inception_resnet_v2", input_size=96, residual=False)
    assert not any(layer.name.endswith("__residual__add") for layer in off.layers)


@pytest.mark.parametrize("beta,channels", [(0.75, 8), (0.5, 8), (1.0, 8), (0.6, 8), (0.75, 3)])
def test_lrn_layer_normalises_across_channels(beta, channels):
    """Every beta (0.75, 0.5 and 1 take square roots instead of a power): x / (bias + alpha * the
    sum of squares of the 5 nearest channels) ** beta, as tf.nn.lrn defines it; also with fewer
    channels than the window (the window sum is a product with a band matrix)."""
    from explorer.nn.layers import LocalResponseNorm
    x = np.random.RandomState(0).normal(size=(2, 3, 2, channels)).astype("float32") * 3
    y = np.asarray(LocalResponseNorm(radius=2, bias=1.0, alpha=1e-1, beta=beta)(x))
    sq = np.pad(x.astype(np.float64) ** 2, [(0, 0), (0, 0), (0, 0), (2, 2)])
    ref = x / (1.0 + 0.1 * sum(sq[..., i:i + channels] for i in range(5))) ** beta
    np.testing.assert_allclose(y, ref, rtol=2e-6)


def test_random_weights_are_reproducible_and_survive_toggles():
    """Same (variant, choices, seed): the same weights; a toggle keeps every unchanged layer."""
    a = explorer.build("googlenet", input_size=72)
    b = explorer.build("googlenet", input_size=72)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    other_seed = explorer.build("googlenet", input_size=72, seed=1)
    assert not np.array_equal(a.get_layer("inception_3a__b1_1x1__conv").get_weights()[0],
                              other_seed.get_layer("inception_3a__b1_1x1__conv").get_weights()[0])
    with_aux = explorer.build("googlenet", input_size=72, aux_heads=True)
    for layer in a.layers:
        for wa, wb in zip(layer.get_weights(), with_aux.get_layer(layer.name).get_weights()):
            np.testing.assert_array_equal(wa, wb)
    x = np.random.RandomState(1).normal(size=(1, 72, 72, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(a(x)), np.asarray(with_aux(x)[0]))


@pytest.mark.slow
@pytest.mark.parametrize("variant, choices", [
    ("googlenet", {"input_size": 72, "aux_heads": True, "factorize_5x5": True, "width": 0.5, "batch_norm": True}),
    ("googlenet", {"input_size": 64, "kernel_5x5": 3, "lrn": False, "factorize_nxn": True, "factorize_mid": "in"}),
    ("bn_inception", {"input_size": 64, "table": "tf_slim", "conv_bias": False, "bn_scale": False}),
    ("inception_v3", {"input_size": 96, "reduce_1x1": False, "head": "fc"}),
    ("inception_resnet_v2", {"input_size": 96, "residual_scale": (0.3, 0.2, 0.1), "factorize_nxn": False}),
    ("inception_resnet_v1", {"input_size": 96, "residual": False}),
])
def test_model_info_is_recovered_from_layers_after_clone_and_save(variant, choices, tmp_path):
    import keras

    model = explorer.build(variant, **choices)
    want = explorer.choices(variant, **choices)
    assert explorer.model_info(model).choices == want
    clone = keras.models.clone_model(model)  # a new object: nothing recorded for it
    info = explorer.model_info(clone)
    assert (info.variant, info.weights) == (variant, "unknown")
    # the same network (conv_bias auto and off are the same network under batch norm)
    net = explorer.resolve(explorer.get_spec(variant), want)
    assert (info.net.modules, info.net.head, info.net.aux) == (net.modules, net.head, net.aux)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert explorer.model_info(loaded).choices == info.choices


def test_model_info_refuses_a_foreign_model():
    import keras

    inp = keras.Input((8, 8, 3))
    foreign = keras.Model(inp, keras.layers.Conv2D(2, 1)(inp), name="mystery")
    with pytest.raises(ValueError, match="not an explorer model"):
        explorer.model_info(foreign)
