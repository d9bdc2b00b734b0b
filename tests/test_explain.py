"""What each branch contributes (`explorer.explain`): per-branch Grad-CAM, branch knock-out, channel
feature visualisation and receptive fields, each checked against an independent computation:
Grad-CAM of the last module against CAM (Zhou et al. 2016), a gated branch against the module's
concatenation edited by hand and propagated through the rest of the model, the receptive-field
box against the input gradient of one unit, the visualisation's activation against the probe's.

One small GoogLeNet (width 0.25, 96 px, aux heads) is shared by the tests of this file; the
longer checks (the sweep, the hand-edited concatenations, the 10x visualisation) are `slow`."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import explorer
from explorer.explain import gated as gated_mod
from explorer.explain.rf import net_fields, receptive_field
from explorer.inference.probe import prepare
from explorer.nn.builder import build_graph
from explorer.nn.grads import gradient_function

pytestmark = pytest.mark.xdist_group("explain")  # one worker: the small model is built once

ROOT = Path(__file__).resolve().parent.parent
SIZE = 96


@pytest.fixture(scope="module")
def model():
    return explorer.build("googlenet", width=0.25, input_size=SIZE, aux_heads=True)


@pytest.fixture(scope="module")
def image():
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    img = np.stack([120 + 90 * np.sin(x / 9), 110 + 80 * np.cos(y / 7), 100 + 70 * np.sin((x + y) / 13)], -1)
    img += rng.normal(0, 20, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def _rest_logits(model, module: str, concats: np.ndarray) -> np.ndarray:
    """The main head's logits computed by hand from a module's (edited) concatenations: the rest of
    the network wired on a new input with the model's own layers."""
    import keras

    net = explorer.model_info(model).net
    k = [m.name for m in net.modules].index(module)
    rest = replace(net, modules=net.modules[k + 1:], head=gated_mod._logit_head(net.head), aux=())
    x = keras.Input(concats.shape[1:])
    outs, _ = build_graph(rest, x, reuse=model)
    return np.asarray(keras.Model(x, outs[0]).predict_on_batch(concats))


# --------------------------------------------------------------------------- gates
def test_gates_at_one_give_the_intact_outputs_exactly(model, image):
    g = gated_mod.get_gated(model)
    assert len(g.branches) == 9 * 4 and g.head_names == ["main", "aux_1", "aux_2"]
    _, batch = prepare(model, image)
    gate, blend, _ = g.controls(1)
    intact = model.predict_on_batch(batch)
    gated = g.run_heads(batch, gate, blend)
    for a, b in zip(intact, gated):
        assert np.array_equal(np.asarray(a), b)
    assert gated_mod.get_gated(model) is g  # built once per model


@pytest.mark.slow
@pytest.mark.parametrize("module,branch", [("inception_4a", "b2"), ("inception_5b", "b4")])
def test_a_gated_branch_equals_the_concatenation_edited_by_hand(model, image, module, branch):
    g = gated_mod.get_gated(model)
    _, batch = prepare(model, image)
    maps = explorer.branch_activations(model, image).maps[module]
    parts = [maps[k][None] for k in sorted(maps)]
    idx = sorted(maps).index(branch)
    zero, mean = list(parts), list(parts)
    zero[idx] = parts[idx] * 0
    mean[idx] = np.broadcast_to(parts[idx].mean(axis=(1, 2), keepdims=True), parts[idx].shape)
    by_hand = _rest_logits(model, module, np.concatenate([np.concatenate(p, axis=-1) for p in (zero, mean, parts)]))
    gate, blend, shift = g.controls(2, zeroed=[(module, branch)])
    gate[1], blend[1] = 1.0, 0.0
    blend[1, g.branch(module, branch).index] = 1.0
    outs = g.full.predict_on_batch([np.repeat(batch, 2, axis=0), gate, blend, shift])
    gated = np.asarray(outs[len(g.head_names)])  # the main head's logits: zeroed, averaged
    np.testing.assert_allclose(gated, by_hand[:2], atol=1e-5, rtol=0)
    assert np.abs(gated[0] - by_hand[2]).max() > 1e-4  # zeroing it changes the logits
    moved = np.abs(gated[1] - by_hand[2]).max()
    assert moved < 1e-6 if module == "inception_5b" else moved > 1e-4  # before GAP the mean changes nothing
    # and the knock-out sweep reports those very probabilities
    ko = explorer.knockout(model, image, modules=[module], class_index=3)
    row = next(r for r in ko.rows if r.branch == branch)
    p = np.exp(by_hand[:2] - by_hand[:2].max(axis=1, keepdims=True))
    p = p / p.sum(axis=1, keepdims=True)
    assert abs(row.p_zero - p[0, 3]) < 1e-6 and abs(row.p_mean - p[1, 3]) < 1e-6


@pytest.mark.slow
def test_knockout_sweeps_every_branch_in_batched_passes(model, image):
    calls = []
    ko = explorer.knockout(model, image, progress=lambda done, total: calls.append((done, total)))
    assert [(r.module, r.branch) for r in ko.rows][:4] == [("inception_3a", f"b{i}") for i in range(1, 5)]
    assert len(ko.rows) == 36 and ko.forward_passes == -(-(1 + 2 * 36) // 8)
    assert calls[-1] == (73, 73) and len(calls) == ko.forward_passes
    intact = explorer.predict(model, image, top=1)["main"][0]
    assert ko.class_index == intact[0] and abs(ko.p_intact - intact[2]) < 1e-6
    for r in ko.rows:
        assert abs(r.delta_zero - (r.p_zero - ko.p_intact)) < 1e-12
    # aux_1 reads inception_4a: only the modules up to it
    aux = explorer.knockout(model, image, head="aux_1")
    assert {r.module for r in aux.rows} == {"inception_3a", "inception_3b", "inception_4a"}


def test_predict_gated_switches_branches_off_live(model, image):
    from explorer.explain import predict_gated

    on = predict_gated(model, image)
    assert set(on) == {"main", "aux_1", "aux_2"}
    for head, rows in on.items():
        assert all(abs(p - q) < 1e-7 for _, _, p, q in rows)  # nothing off: now == intact
    off = predict_gated(model, image, zeroed=[("inception_4a", "b1"), ("inception_4a", "b2")])
    changed = [abs(p - q) for _, _, p, q in off["aux_1"]]
    assert max(changed) > 0  # aux_1 reads inception_4a
    assert [r[:2] for r in off["aux_2"]] != [r[:2] for r in on["aux_2"]] or max(
        abs(p - q) for _, _, p, q in off["aux_2"]) > 0


# --------------------------------------------------------------------------- Grad-CAM
def test_gradcam_of_the_last_module_is_cam(model, image):
    """conv -> global average pool -> dense: Grad-CAM of the last conv = CAM / (h * w)."""
    cam = explorer.branch_gradcam(model, image, "inception_5b")
    maps = explorer.branch_activations(model, image).maps["inception_5b"]
    w = np.asarray(model.get_layer("head__fc__dense").kernel)[:, cam.class_index]
    acts = np.concatenate([maps[k] for k in sorted(maps)], axis=-1)
    h, wd = acts.shape[:2]
    want = np.maximum(acts @ w, 0) / (h * wd)
    np.testing.assert_allclose(cam.module_raw, want, rtol=1e-4, atol=1e-6 * want.max())
    lo = 0
    for b in cam.branches:
        part = np.maximum(maps[b.branch] @ w[lo:lo + b.channels], 0) / (h * wd)
        np.testing.assert_allclose(b.raw, part, rtol=1e-4, atol=1e-6 * want.max())
        lo += b.channels
    assert cam.module_map.shape == (SIZE, SIZE) and abs(float(cam.module_map.max()) - 1.0) < 1e-6
    assert abs(sum(b.share for b in cam.branches) - 1.0) < 1e-6
    assert max(float(b.map.max()) for b in cam.branches) == pytest.approx(1.0, abs=1e-6)
    top = explorer.predict(model, image, top=1)["main"][0]
    assert cam.class_index == top[0] and cam.class_name == top[1]


def test_a_zeroed_branch_gets_a_zero_map_and_share(model, image):
    cam = explorer.branch_gradcam(model, image, "inception_4a", zeroed=[("inception_4a", "b2")])
    by = {b.branch: b for b in cam.branches}
    assert float(np.abs(by["b2"].map).max()) == 0.0 and by["b2"].share == 0.0 and by["b2"].evidence == 0.0
    assert sum(b.share for b in cam.branches) == pytest.approx(1.0)
    # the same with the branch's weights zeroed (GoogLeNet as in the paper: conv + bias, ReLU)
    layer = model.get_layer("inception_4a__b4_1x1__conv")
    saved = layer.get_weights()
    try:
        layer.set_weights([np.zeros_like(w) for w in saved])
        cam = explorer.branch_gradcam(model, image, "inception_4a", head="aux_1", class_index=7)
        by = {b.branch: b for b in cam.branches}
        assert float(by["b4"].map.max()) == 0.0 and by["b4"].share == 0.0
        assert by["b1"].share > 0 and cam.class_index == 7 and cam.head == "aux_1"
    finally:
        layer.set_weights(saved)


def test_explain_refuses_bad_addresses_with_a_message(model, image):
    with pytest.raises(ValueError, match="cannot change aux_1"):
        explorer.branch_gradcam(model, image, "inception_5a", head="aux_1")
    with pytest.raises(ValueError, match="Received: module='stem'"):
        explorer.branch_gradcam(model, image, "stem")
    with pytest.raises(ValueError, match="Received: head='aux_3'"):
        explorer.knockout(model, image, head="aux_3")
    with pytest.raises(ValueError, match="Received: class_index=5000"):
        explorer.branch_gradcam(model, image, "inception_3a", class_index=5000)
    with pytest.raises(ValueError, match="Received: channel=999"):
        explorer.visualize_channel(model, "inception_3a", "b1", 999, steps=1)


# --------------------------------------------------------------------------- feature visualisation
@pytest.mark.slow
def test_feature_visualisation_raises_the_channel_tenfold(model):
    module, branch, channel = "inception_4a", "b2", 5
    start = explorer.visualize_channel(model, module, branch, channel, steps=0, size=64)
    vis = explorer.visualize_channel(model, module, branch, channel, steps=48, size=64)
    assert vis.image.shape == (64, 64, 3) and vis.image.dtype == np.uint8 and len(vis.history) == 48
    assert np.asarray(vis).shape == (64, 64, 3)
    assert start.start_activation == start.activation > 0
    assert vis.activation >= 10 * start.activation, (start.activation, vis.activation)
    assert vis.history[-1] > vis.history[0]
    assert explorer.visualize_channel(model, module, branch, channel, steps=48, size=64) is vis  # cached
    # at the model's own size the probe, fed the returned image like a photo, agrees
    full = explorer.visualize_channel(model, module, branch, channel, steps=8)
    probe = explorer.branch_activations(model, Image.fromarray(full.image)).maps[module][branch]
    assert float(probe[..., channel].mean()) == pytest.approx(full.activation, rel=1e-4)


# --------------------------------------------------------------------------- receptive fields
def test_receptive_fields_agree_with_the_cost_model_for_every_variant():
    for v in explorer.list_variants():
        net = explorer.resolve(v, explorer.choices(v))
        fields = net_fields(net)
        for row in explorer.features(v):
            if row["branch"] is None or (row["module"], row["branch"]) not in fields:
                continue
            f = fields[(row["module"], row["branch"])]
            assert (max(f.rf), f.stride[0], f.size) == (row["rf"], row["stride"], row["size"]), (v, row)
    f = receptive_field("googlenet", "inception_3a", "b3")
    assert f.text == "1x1 -> 5x5, stride 8, RF 59 px"
    assert receptive_field("googlenet", "inception_3a", "b3", factorize_5x5=True).text.startswith("1x1 -> 3x3 -> 3x3")
    rf = next(r["rf"] for r in explorer.features("inception_v3") if (r["module"], r["branch"]) == ("mixed_6b", "b2"))
    assert receptive_field("inception_v3", "mixed_6b", "b2").text == f"1x1 -> 1x7 -> 7x1, stride 16, RF {rf} px"
    with pytest.raises(ValueError, match="Received: module='inception_9z'"):
        receptive_field("googlenet", "inception_9z", "b1")


def _tiny_dense_net():
    """A small net whose every path is dense (convs and average pools, no max pool): 'valid' and
    'same' padding, stride 2 on even sizes (Keras pads one more pixel after than before), a 1x5 / 5x1
    factorisation, a 5x5 and a stride-2 reduction."""
    from explorer.zoo.choices import Choices
    from explorer.zoo.ops import Branch, Conv, Conv5x5, Module, Pool, conv_1xn_nx1, pool_proj, reduce
    from explorer.zoo.spec import VariantSpec

    stem = Module("stem", "stem", ops=(Conv(6, 3, 2, "valid", name="c1"), Conv(6, 3, 1, "same", name="c2"),
                                       Pool("avg", 3, 2, "same", name="p1")))
    inc = Module("mix_a", "inception", branches=(
        Branch("1x1", (Conv(4, 1),)), Branch("3x3", (reduce(4), Conv(4, 3))),
        Branch("5x5", (reduce(4), Conv5x5(4))), Branch("1x5", (reduce(4), conv_1xn_nx1(5, 4, 4))),
        Branch("pool", (Pool("avg", 3, 1), pool_proj(4)))))
    red = Module("red_a", "reduction", branches=(
        Branch("3x3/2", (Conv(4, 3, 2, "same"),)), Branch("pool", (Pool("avg", 3, 2, "same"),))))
    spec = VariantSpec("tiny", "tiny", "test", (("paper", (stem, inc, red)),),
                       Choices(batch_norm=False, input_size=46, classes=4), frozenset())
    return explorer.resolve(spec, spec.defaults)


def test_the_box_is_where_the_input_gradient_of_one_unit_is():
    """Impulse response: with positive weights every path of the tiny net is dense, so the nonzero
    input gradient of one unit fills exactly its box, at the borders too (padding offsets)."""
    import keras

    from explorer.nn.builder import build_net

    net = _tiny_dense_net()
    model = build_net(net, seed=1)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.set_weights([np.abs(w) + 0.01 for w in layer.get_weights()])
    x = np.random.default_rng(0).uniform(0.2, 1.0, (1, 46, 46, 3)).astype(np.float32)
    checked = 0
    for (module, branch), field in net_fields(net).items():
        m = net.module(module)
        sub = keras.Model(model.inputs, model.get_layer(m.part_output(branch)).output)
        h, w = field.size

        def unit(call, img, sel):
            return keras.ops.sum(call(img) * sel), []

        grad = gradient_function(sub, unit, wrt=(0,))
        for i, j in {(0, 0), (h - 1, w - 1), (h // 2, w // 2), (0, w - 1), (h - 1, 1 % w)}:
            sel = np.zeros((1, h, w, 1), np.float32)
            sel[0, i, j] = 1.0
            _, _, (g,) = grad(x, sel)
            ys, xs = np.nonzero(np.abs(g[0]).sum(-1) > 0)
            assert (ys.min(), xs.min(), ys.max(), xs.max()) == field.box(i, j), (module, branch, i, j)
            checked += 1
    assert checked >= 40


@pytest.mark.slow
def test_the_box_contains_the_input_gradient_in_googlenet(model):
    """With max pools and ReLUs the gradient is sparse, so only containment can hold."""
    import keras

    net = explorer.model_info(model).net
    for module, branch in (("inception_3a", "b3"), ("inception_4a", "b4")):
        field = receptive_field(net, module, branch)
        sub = keras.Model(model.inputs, model.get_layer(net.module(module).part_output(branch)).output)
        grad = gradient_function(sub, lambda call, img, sel: (keras.ops.sum(call(img) * sel), []), wrt=(0,))
        h, w = field.size
        x = np.random.default_rng(1).normal(size=(1, SIZE, SIZE, 3)).astype(np.float32)
        for i, j in ((0, 0), (h // 2, w // 3), (h - 1, w - 1)):
            sel = np.zeros((1, h, w, 1), np.float32)
            sel[0, i, j] = 1.0
            _, _, (g,) = grad(x, sel)
            ys, xs = np.nonzero(np.abs(g[0]).sum(-1) > 0)
            top, left, bottom, right = field.box(i, j)
            assert len(ys) and top <= ys.min() and ys.max() <= bottom and left <= xs.min() and xs.max() <= right


# --------------------------------------------------------------------------- other backends
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_the_same_checks_under_another_backend(backend):
    pytest.importorskip(backend)
    code = (
        "import numpy as np, explorer\n"
        "from PIL import Image\n"
        "m = explorer.build('googlenet', width=0.25, input_size=64)\n"
        "img = Image.fromarray(np.random.default_rng(0).uniform(0, 255, (64, 64, 3)).astype('uint8'))\n"
        "cam = explorer.branch_gradcam(m, img, 'inception_5b')\n"
        "maps = explorer.branch_activations(m, img).maps['inception_5b']\n"
        "a = np.concatenate([maps[k] for k in sorted(maps)], -1)\n"
        "w = np.asarray(m.get_layer('head__fc__dense').kernel)[:, cam.class_index]\n"
        "want = np.maximum(a @ w, 0) / (a.shape[0] * a.shape[1])\n"
        "np.testing.assert_allclose(cam.module_raw, want, rtol=1e-4, atol=1e-6 * want.max())\n"
        "ko = explorer.knockout(m, img, modules=['inception_4a'])\n"
        "assert len(ko.rows) == 4 and ko.forward_passes == 2\n"
        "s = explorer.visualize_channel(m, 'inception_4a', 'b2', 1, steps=0)\n"
        "v = explorer.visualize_channel(m, 'inception_4a', 'b2', 1, steps=32)\n"
        "assert v.activation >= 10 * s.activation > 0, (s.activation, v.activation)\n"
        "print('ok', explorer.nn.grads.backend())\n")
    env = {**os.environ, "KERAS_BACKEND": backend}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"ok {backend}" in out.stdout


@pytest.mark.slow
def test_explaining_a_model_does_not_keep_it_alive(image):
    """The gated view, the compiled gradients and the feature-visualisation cache hold their model
    weakly: a model the app's store evicts is freed."""
    import gc
    import weakref

    m = explorer.build("googlenet", width=0.25, input_size=64)
    small = image.resize((64, 64))
    explorer.branch_gradcam(m, small, "inception_4a")
    explorer.knockout(m, small, modules=["inception_3a"])
    explorer.visualize_channel(m, "inception_3a", "b1", 0, steps=2)
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
