"""The probe's compiled call (`explorer.nn.compiled`), batch-norm folding (`explorer.nn.fold`) and
the in-graph summaries, under the process's Keras backend (TensorFlow here); the same tests run
under JAX and torch in a subprocess when those libraries are installed (`test_other_backend`)."""
import functools
import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import keras
import numpy as np
import pytest

import explorer
from explorer.arch.graph import resolve
from explorer.arch.validate import choices as make_choices
from explorer.inference import branches
from explorer.inference import probe as probe_module
from explorer.inference.probe import Probe, get_probe, refresh_probe
from explorer.nn import compiled
from explorer.nn.backend import device_info
from explorer.nn.builder import build_net, fill_random
from explorer.nn.fold import fold_batchnorm
from explorer.nn.info import ModelInfo, set_info
from explorer.zoo.variants import get_spec

pytestmark = pytest.mark.xdist_group("compiled")
BACKEND = keras.config.backend()
# small but deep enough: every kind of module, batch norm, residual scales
SMALL = {"googlenet": dict(input_size=64, width=0.5, batch_norm=True),
         "bn_inception": dict(input_size=64, width=0.5),
         "inception_v3": dict(input_size=75, width=0.25),
         "inception_v4": dict(input_size=75, width=0.25),
         "inception_resnet_v1": dict(input_size=75, width=0.25),
         "inception_resnet_v2": dict(input_size=75, width=0.25)}


def random_model(variant: str, seed: int = 0, **choices):
    """An explorer model with random weights AND random batch-norm statistics (a fresh model's
    are 0 and 1, which folding would leave unchanged), built without Keras's per-shape random
    initializers (minutes under JAX): zeros, then numpy's random numbers."""
    spec = get_spec(variant)
    c = make_choices(spec, **choices)
    model = build_net(resolve(spec, c), initialize=False)
    set_info(model, ModelInfo(variant, c, "random", (False,) * len(model.outputs), seed, spec.normalization))
    fill_random(model, seed)
    return model


@functools.lru_cache(maxsize=None)
def small_model(variant: str):
    """`random_model(variant, **SMALL[variant])`, built once per worker and shared by the tests that
    only read it: the probe, folding and Keras's predict leave a model's weights as they were."""
    return random_model(variant, **SMALL[variant])


def batch(model, n=2, seed=1):
    size = model.input_shape[1]
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype("float32")


def rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def layer_outputs(model, names, x) -> list:
    """The outputs of `model`'s layers `names` for `x`, through Keras's own predict."""
    outs = keras.Model(model.input, [model.get_layer(n).output for n in names]).predict_on_batch(x)
    return [np.asarray(o) for o in (outs if isinstance(outs, (list, tuple)) else [outs])]


@pytest.mark.parametrize("variant, fold", [("bn_inception", True),
                                           pytest.param("bn_inception", False, marks=pytest.mark.slow),
                                           pytest.param("inception_resnet_v2", True, marks=pytest.mark.slow),
                                           pytest.param("inception_resnet_v2", False, marks=pytest.mark.slow)])
def test_probe_outputs_equal_the_models_layer_outputs(variant, fold):
    model = small_model(variant)
    probe = Probe(model, fold=fold)
    assert probe.folded is fold
    x = batch(model)
    maps, heads = probe.run(x)
    want = layer_outputs(model, [e.layer for e in probe.entries], x)
    assert len(maps) == len(want) == len(probe.entries)
    for e, a, b in zip(probe.entries, maps, want):
        assert a.shape == b.shape, e
        assert rel_err(a, b) < 1e-4, (e, rel_err(a, b))
    main = np.asarray(model.predict_on_batch(x))
    assert rel_err(heads[0], main) < 1e-4
    assert rel_err(probe.forward(x)[0], main) < 1e-4
    if fold:  # the folded network really has no batch norm left, and the model still has its own
        assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in probe.network.layers)
        assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)


@pytest.mark.parametrize("variant", [pytest.param(v, marks=pytest.mark.slow) if v != "inception_resnet_v1" else v
                                     for v in SMALL])
def test_folded_equals_unfolded(variant):
    """Batch norm and residual scales folded: every module's output and every head unchanged."""
    model = small_model(variant)
    folded = fold_batchnorm(model, residual_scale=True)
    net = explorer.model_info(model).net
    names = [m.output for m in net.modules]
    x = batch(model)
    got, want = layer_outputs(folded, names, x), layer_outputs(model, names, x)
    for name, a, b in zip(names, got, want):
        assert rel_err(a, b) < 1e-4, (name, rel_err(a, b))
    assert rel_err(folded.predict_on_batch(x), model.predict_on_batch(x)) < 1e-4
    bn = {layer.name for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert bn and {layer.name for layer in folded.layers} == {layer.name for layer in model.layers} - bn


def test_where_the_summaries_are_computed_on_a_cpu_follows_the_measured_tables():
    assert branches.summaries_on_host("tensorflow", "inception_resnet_v2") is True
    assert branches.summaries_on_host("tensorflow", "inception_v3") is True
    assert branches.summaries_on_host("tensorflow", "googlenet") is False
    assert branches.summaries_on_host("tensorflow", "bn_inception") is False
    assert branches.summaries_on_host("torch", "googlenet") is True
    assert branches.summaries_on_host("jax", "inception_resnet_v2") is False
    if BACKEND == "tensorflow" and not device_info()["gpus"]:
        # the probe takes it from its model's variant: a design change keeps the variant's choice
        for variant, on_host in (("googlenet", False), ("inception_resnet_v1", True)):
            probe = Probe(small_model(variant), fold=True)
            assert probe.summaries_on_host is on_host
            assert (probe._summaries is probe._maps) is on_host  # on the host: one call serves both


def test_only_maps_that_the_graph_makes_nonnegative_are_counted_by_sign():
    """`branches.nonnegative`: a ReLU's output and poolings, concatenations and local response
    normalisations of such outputs are >= 0; a linear map, a leaky ReLU, a concatenation with one
    linear input and a sum are not claimed (their positive units are counted by comparison)."""
    from explorer.inference.branches import nonnegative
    from explorer.nn.layers import LocalResponseNorm

    layers = keras.layers
    x = keras.Input((8, 8, 3))
    relu_conv = layers.Conv2D(4, 1, activation="relu")(x)
    linear = layers.Conv2D(4, 1)(x)
    relu_layer, leaky = layers.ReLU()(linear), layers.ReLU(negative_slope=0.1)(linear)
    activation = layers.Activation("relu")(linear)
    pooled = layers.AveragePooling2D(2)(layers.MaxPooling2D(3, 1, padding="same")(relu_conv))
    lrn = LocalResponseNorm(radius=2)(relu_layer)
    both = layers.Concatenate()([relu_conv, activation, lrn])
    mixed = layers.Concatenate()([relu_conv, linear])
    added = layers.Add()([relu_conv, relu_layer])
    tensors = [x, relu_conv, linear, relu_layer, leaky, activation, pooled, lrn, both, mixed, added]
    net = keras.Model(x, tensors)
    assert nonnegative(net, tensors) == [False, True, False, True, False, True, True, True, True, False, False]


def test_maps_with_the_same_signs_as_an_earlier_map_share_its_count():
    """`branches.same_sign`: an LRN (bias > 0: x times a positive factor) or a dropout of a probed
    tensor has its signs, so the graph counts its positive units once; a chain goes back to the
    first; an LRN with bias 0, a convolution and a pooling do not qualify. In GoogLeNet's probe,
    LRN1 takes pool1's count and LRN2 conv2_3x3's."""
    from explorer.inference.branches import same_sign
    from explorer.nn.layers import LocalResponseNorm

    layers = keras.layers
    x = keras.Input((8, 8, 3))
    conv = layers.Conv2D(4, 1, activation="relu")(x)
    lrn = LocalResponseNorm(radius=1)(conv)
    dropped = layers.Dropout(0.5)(lrn)
    unbiased = LocalResponseNorm(radius=1, bias=0.0)(conv)
    pooled = layers.MaxPooling2D(2)(conv)
    orphan = LocalResponseNorm(radius=1)(layers.Conv2D(4, 1)(x))  # its input is not probed
    tensors = [x, conv, lrn, dropped, unbiased, pooled, orphan]
    assert same_sign(keras.Model(x, tensors), tensors) == [None, None, 1, 1, None, None, None]
    probe = Probe(random_model("googlenet", input_size=64, width=0.1), fold=False)
    labels = [probe.entries[probe._by_source[i][0]].label for i in range(len(probe._twins))]
    assert {labels[i]: labels[t] for i, t in enumerate(probe._twins) if t is not None} == \
        {"lrn1": "pool1_3x3", "lrn2": "conv2_3x3"}


def test_pooled_channel_means_equal_the_mean_over_height_and_width():
    """On a CPU under TensorFlow the graph takes each channel's mean (of a map and of its signs) as
    one average pooling over the whole map; elsewhere as a mean over two axes. Both give the same
    summaries of a GoogLeNet (LRN, no batch norm) and a BN-Inception."""
    for variant in ("googlenet", "bn_inception"):
        model = small_model(variant)
        x = batch(model, n=2)
        results = []
        for pooled in (True, False):
            probe = Probe(model, fold=True)
            probe.summaries_on_host = False
            probe._summaries = compiled.CompiledCall(probe.probe, probe._summary_graph)
            probe._pooled_means = pooled
            results.append(probe.summarize(x))
        pooled, mean = results
        np.testing.assert_allclose(pooled.channel_means, mean.channel_means, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(pooled.active, mean.active, atol=1e-7)
        assert (pooled.top == mean.top).mean() > 0.99  # ties of equal means may order differently
        assert len(np.unique(pooled.active)) > 10 and 0 < pooled.active.mean() < 1


@pytest.mark.parametrize("on_host", [True, False])
@pytest.mark.parametrize("variant, choices", [("bn_inception", SMALL["bn_inception"]),
                                              ("inception_resnet_v1", SMALL["inception_resnet_v1"]),
                                              ("googlenet", dict(input_size=64, width=0.1, top=12))])
def test_summaries_match_numpy_on_the_host_and_in_the_graph(on_host, variant, choices, monkeypatch):
    """Both ways of computing the summaries (from the returned arrays on a CPU; in the compiled
    graph on a GPU, under JAX and for the variants of `SUMMARIES_IN_GRAPH_CPU`) give numpy's means,
    fraction active and strongest channels. Inception-ResNet-v1's linear up-projections have
    negative values: the graph counts their positive units by comparison, not by sign. GoogLeNet at
    width 0.1 (8 channels at the least) with the 12 strongest channels listed has branches narrower
    than the list: theirs is cut to their width."""
    monkeypatch.setitem(branches.SUMMARIES_ON_HOST_CPU, BACKEND, on_host)
    monkeypatch.setitem(branches.SUMMARIES_IN_GRAPH_CPU, BACKEND, ())
    choices = dict(choices)
    top = choices.pop("top", 8)
    monkeypatch.setattr(probe_module, "TOP_CHANNELS", top)
    model = random_model(variant, **choices)
    probe = Probe(model, fold=True)
    assert probe.summaries_on_host is on_host
    assert bool(min(probe.channels) < top) is (variant == "googlenet")
    ups = [e.branch == "up" for e in probe.entries]
    assert probe._nonnegative.count(False) == ups.count(True) == (20 if variant == "inception_resnet_v1" else 0)
    x = batch(model, n=2)
    r = probe.summarize(x)
    assert r.channel_means.shape == (2, int(probe.channels.sum()))
    assert r.top.shape[:2] == (2, len(probe.entries)) and r.active.shape == (2, len(probe.entries))
    for image in (0, 1):
        for s, a in zip(probe.branch_summaries(r, image), r.maps):
            a = np.asarray(a[image], np.float64)
            per_channel = a.mean(axis=(0, 1))
            assert (s.height, s.width, s.channels) == a.shape
            assert s.mean == pytest.approx(a.mean(), rel=1e-4, abs=1e-6)
            assert s.active_fraction == pytest.approx((a > 0).mean(), abs=1e-6)
            assert len(s.top_channels) == min(top, a.shape[-1])
            assert np.allclose(s.top_means, per_channel[list(s.top_channels)], rtol=1e-4, atol=1e-6)
            # the strongest channels, in order: nothing outside them is stronger
            assert list(s.top_means) == sorted(s.top_means, reverse=True)
            assert s.top_means[-1] >= np.sort(per_channel)[::-1][len(s.top_channels) - 1] - 1e-5


@pytest.mark.parametrize("shape", [(1, 112, 112, 64), (2, 7, 7, 832), (1, 17, 17, 3), (1, 1, 1, 5), (3, 56, 56, 192)])
def test_channel_means_add_rows_k_at_a_time_and_equal_numpy(shape):
    from explorer.inference import branches

    t = np.random.default_rng(shape[1]).random(shape, dtype=np.float32)
    k = branches._rows_per_view_row(shape[1] * shape[2], shape[3])
    assert k * shape[3] <= branches.WIDE and (shape[1] * shape[2]) % k == 0
    assert k == {(112, 64): 64, (7, 832): 1, (17, 3): 1, (1, 5): 1, (56, 192): 16}[shape[1], shape[3]]
    np.testing.assert_allclose(branches.channel_means(t), t.astype(np.float64).mean(axis=(1, 2)), rtol=2e-6)


def test_run_split_covers_every_index_once_and_this_thread_takes_a_share(monkeypatch):
    import threading

    from explorer.inference import branches

    monkeypatch.setattr(branches, "HOST_THREADS", 2)
    seen, threads = [], set()

    def work(which):
        threads.add(threading.current_thread().name)
        seen.extend(which)

    sizes = [5, 1, 9, 3, 3, 7]
    branches.run_split(work, sizes)
    assert sorted(seen) == list(range(len(sizes)))
    assert threading.current_thread().name in threads
    assert branches._balanced(sizes, 2) == [[2, 3, 4], [5, 0, 1]]  # largest first, each to the lighter share: 15 / 13


def test_a_modules_branches_come_back_as_views_of_its_concatenation():
    """GoogLeNet's inception_3a: one probed tensor (the module's concatenation, 256 channels); its
    four branches are channel slices of it, views in the concatenation's order, equal to the
    branch layers' own outputs. The stem's layers stay separate outputs."""
    model = random_model("googlenet", input_size=64, width=0.5)
    probe = Probe(model)
    x = batch(model)
    maps, _heads = probe.run(x)
    idx = [i for i, e in enumerate(probe.entries) if e.module == "inception_3a"]
    assert [probe.entries[i].branch for i in idx] == ["b1", "b2", "b3", "b4"]
    sources = {probe._slices[i][0] for i in idx}
    assert len(sources) == 1  # one tensor for the whole module
    whole = probe.probe.outputs[sources.pop()]
    assert whole.shape[-1] == sum(maps[i].shape[-1] for i in idx) == model.get_layer("inception_3a").output.shape[-1]
    base = maps[idx[0]].base
    assert base is not None and all(maps[i].base is base for i in idx)  # views of one array, no copies
    want = layer_outputs(model, [probe.entries[i].layer for i in idx], x)
    for i, b in zip(idx, want):
        assert rel_err(maps[i], b) < 1e-6
    stem = [i for i, e in enumerate(probe.entries) if e.module == "stem"]
    assert stem and all(probe._slices[i][3] for i in stem)  # whole tensors
    # fewer tensors cross to the host than there are maps
    assert len(probe.probe.outputs) - len(probe.head_names) < len(probe.entries)


@pytest.mark.slow
def test_the_gpu_code_path_gives_the_same_outputs():
    """The accelerator path (TensorFlow: the model XLA-compiled inside the call, every output copied
    to the host in the same call), forced on this CPU: same outputs as the CPU path."""
    model = small_model("bn_inception")
    probe = Probe(model)
    x = batch(model)
    gpu_path = compiled.CompiledCall(probe.probe, probe._summary_graph, accelerator=True)(x)
    cpu_path = compiled.CompiledCall(probe.probe, probe._summary_graph, accelerator=False)(x)
    assert len(gpu_path) == len(cpu_path) == len(probe.probe.outputs) + 3  # + means, top, positive
    for a, b in zip(gpu_path, cpu_path):
        assert a.shape == b.shape and rel_err(a, b) < 1e-4


def test_outputs_are_not_copied_and_not_kept():
    model = small_model("bn_inception")
    probe = Probe(model, fold=False)
    maps, heads = probe.run(batch(model))
    # wrapped, not copied: the arrays view the backend's own buffers
    assert not any(a.flags.owndata for a in maps)
    ref = weakref.ref(maps[0])
    del maps, heads
    gc.collect()
    assert ref() is None  # the probe keeps no activations between calls


def _fake_oom():
    if BACKEND == "tensorflow":
        import tensorflow as tf

        return tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[32,149,149,32]")
    return RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 1.2GiB.")


def test_gpu_out_of_memory_falls_back_to_the_cpu(monkeypatch):
    model = random_model("bn_inception", **SMALL["bn_inception"])
    probe = get_probe(model)
    from PIL import Image

    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    before = explorer.branch_activations(model, image)
    assert before.fallback is None and before.device.endswith(":0")
    assert compiled.last_run().fallback is None
    call = probe._summaries
    calls = []

    def out_of_memory(x):
        calls.append(1)
        raise _fake_oom()

    monkeypatch.setattr(call, "_default", out_of_memory)
    if BACKEND == "torch":  # torch cannot run one call on the CPU: a clear error instead
        with pytest.raises(compiled.DeviceMemoryError, match="ran out of memory"):
            explorer.branch_activations(model, image)
        return
    after = explorer.branch_activations(model, image)
    assert calls == [1]
    assert after.fallback == compiled.OOM_MESSAGE and "ran out of memory" in after.fallback
    assert after.device == "CPU:0" and compiled.last_run().device == "CPU:0"
    for s, t in zip(before.summary, after.summary):
        assert s.top_channels == t.top_channels and s.mean == pytest.approx(t.mean, rel=1e-4, abs=1e-6)
    assert rel_err(after.probabilities["main"], before.probabilities["main"]) < 1e-4
    # any other error is not swallowed
    monkeypatch.setattr(call, "_default", lambda x: (_ for _ in ()).throw(ValueError("a bug")))
    with pytest.raises(ValueError, match="a bug"):
        explorer.branch_activations(model, image)


def test_out_of_memory_and_device_names():
    assert compiled.is_out_of_memory(_fake_oom())
    assert compiled.is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert not compiled.is_out_of_memory(ValueError("shapes (3,) and (4,) not aligned"))
    assert compiled._device_label("/job:localhost/replica:0/task:0/device:GPU:1") == "GPU:1"
    assert compiled._device_label("cuda:0") == "GPU:0" and compiled._device_label("cpu") == "CPU:0"
    assert compiled._device_label("gpu:0") == "GPU:0" and compiled._device_label("TFRT_CPU_0") == "CPU:0"


@pytest.mark.slow
def test_the_folded_probe_follows_weight_changes():
    model = random_model("bn_inception", **SMALL["bn_inception"])
    probe = get_probe(model)
    assert probe.folded
    x = batch(model)
    bn = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    bn.moving_mean.assign(np.asarray(bn.moving_mean) + 1.0)
    want = layer_outputs(model, [e.layer for e in probe.entries], x)
    stale = probe.run(x)[0]
    assert max(rel_err(a, b) for a, b in zip(stale, want)) > 1e-3  # a snapshot until refreshed
    refresh_probe(model)
    fresh = probe.run(x)[0]
    assert max(rel_err(a, b) for a, b in zip(fresh, want)) < 1e-4
    # explorer's own weight copying refreshes it
    other = random_model("bn_inception", seed=5, **SMALL["bn_inception"])
    explorer.copy_weights(other, model)
    want = layer_outputs(other, [e.layer for e in probe.entries], x)
    assert max(rel_err(a, b) for a, b in zip(probe.run(x)[0], want)) < 1e-4
    ref = weakref.ref(model)  # the folded probe, like any other, does not keep its model alive
    del model
    gc.collect()
    assert ref() is None


def test_a_network_without_batch_norm_is_not_copied():
    model = random_model("googlenet", input_size=64, width=0.5)
    probe = Probe(model, fold=True)
    assert not probe.folded  # nothing to fold: the probe runs on the model's own weights, no copy
    assert {id(v) for v in probe.network.weights} == {id(v) for v in model.weights}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backend(backend):
    """These tests under KERAS_BACKEND=jax / torch (CPU), in a fresh interpreter (the backend is
    fixed per process). Skipped when the library is not installed (it is not a requirement)."""
    if BACKEND != "tensorflow":
        pytest.skip("run from the TensorFlow process only")
    pytest.importorskip(backend)
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "KERAS_BACKEND": backend, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "",
           "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "-m", "not slow", str(Path(__file__))], cwd=root, env=env,
                          capture_output=True, text=True, timeout=1200)
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and " failed" not in proc.stdout, tail
