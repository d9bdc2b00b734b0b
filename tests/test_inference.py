"""Inference engine: probe activations, predictions, weights files, offline behaviour, CLI."""
import dataclasses
import hashlib
import json
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

import explorer
from explorer.inference import probe
from explorer.inference import weights as W
from explorer.inference.probe import get_probe
from tests.toggles import SMALL

pytestmark = pytest.mark.xdist_group("inference")


def photo_like(size=(320, 240), seed=0):
    """A smooth, photo-like RGB image (gradients + blobs + noise)."""
    rng = np.random.RandomState(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    img = np.stack([120 + 100 * np.sin(3 * x + i) * np.cos(2 * y - i) for i in range(3)], -1)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
        img[((x - cx) ** 2 + (y - cy) ** 2) < r * r] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


@pytest.mark.slow
@pytest.mark.parametrize("variant", explorer.list_variants())
def test_activation_shapes_equal_feature_listing_in_one_pass(variant):
    size = SMALL[variant]
    model = explorer.build(variant, input_size=size)
    acts = explorer.branch_activations(model, photo_like())
    probe = get_probe(model)
    assert probe.forward_passes == 1
    rows = [r for r in explorer.features(variant, input_size=size) if r["branch"] is not None]
    assert len(rows) == sum(len(b) for b in acts.maps.values())
    for r in rows:
        a = acts[r["module"]][r["branch"]]
        assert a.shape == (*r["size"], r["channels"]), (r["module"], r["branch"])
    assert acts.crop.shape == (size, size, 3) and acts.crop.dtype == np.uint8
    explorer.branch_activations(model, photo_like(seed=1))
    assert get_probe(model) is probe and probe.forward_passes == 2  # cached, never rebuilt
    s = acts.summary[0]
    assert (s.module, s.branch) == (rows[0]["module"], rows[0]["branch"])
    a = acts[s.module][s.branch]
    assert s.mean == pytest.approx(float(a.mean()), rel=1e-5)
    assert s.active_fraction == pytest.approx(float((a > 0).mean()))
    assert s.top_channels[0] == int(np.argmax(a.mean(axis=(0, 1))))


def test_stem_layers_are_included():
    model = explorer.build("googlenet", input_size=64)
    acts = explorer.branch_activations(model, photo_like())
    assert list(acts["stem"]) == ["conv1_7x7", "pool1_3x3", "lrn1", "conv2_1x1", "conv2_3x3", "lrn2", "pool2_3x3"]
    assert acts["stem"]["conv1_7x7"].shape == (32, 32, 64)
    assert list(acts["inception_3a"]) == ["b1", "b2", "b3", "b4"]
    assert acts.labels["inception_3a"] == {"b1": "1x1", "b2": "3x3", "b3": "5x5", "b4": "pool"}


def test_predict_main_and_aux_heads_with_class_names():
    model = explorer.build("googlenet", aux_heads=True)
    result = explorer.predict(model, photo_like(), top=5)
    assert list(result) == ["main", "aux_1", "aux_2"]
    for rows in result.values():
        assert len(rows) == 5
        probs = [p for _, _, p in rows]
        assert probs == sorted(probs, reverse=True)
        for index, name, _ in rows:
            assert name == probe.class_name(index, 1000) and not name.startswith("class ")
    assert probe.class_name(207, 1000) == "Golden Retriever"
    assert probe.class_name(0, 1001) == "background"
    assert probe.class_name(208, 1001) == "Golden Retriever"
    # predict() from an activations object reuses its single pass
    acts = explorer.branch_activations(model, photo_like())
    again = explorer.predict(model, activations=acts)
    direct = explorer.predict(model, photo_like())
    assert [r[0] for r in again["aux_2"]] == [r[0] for r in direct["aux_2"]]


def test_built_model_states_its_weights():
    model = explorer.build("googlenet", input_size=64)
    info = explorer.model_info(model)
    assert info.weights == "random" and not info.pretrained
    assert info.heads_trained == (False,) and info.seed == 0 and info.variant == "googlenet"


# --------------------------------------------------------------- weights
def test_weights_h5_round_trip_and_mismatch_names_the_layer(tmp_path):
    a = explorer.build("googlenet", input_size=64, batch_norm=True)
    rng = np.random.RandomState(0)
    a.set_weights([w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in a.get_weights()])
    path = tmp_path / "g.weights.h5"
    a.save_weights(path)
    b = explorer.build("googlenet", input_size=64, batch_norm=True, weights=str(path))
    assert explorer.model_info(b).pretrained and explorer.model_info(b).weights == str(path)
    x = rng.normal(size=(1, 64, 64, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(a(x)), np.asarray(b(x)))
    with pytest.raises(ValueError, match=r"inception_3a__b3_3x3__conv.*\(3, 3, 16, 32\).*\(5, 5, 16, 32\)"):
        explorer.build("googlenet", input_size=64, batch_norm=True, kernel_5x5=3, weights=str(path))

@pytest.mark.slow

def test_keras_file_round_trip_in_safe_mode(tmp_path):
    a = explorer.build("inception_resnet_v1", input_size=96, width=0.25)
    path = tmp_path / "m.keras"
    a.save(path)
    b = explorer.build("inception_resnet_v1", input_size=96, width=0.25, weights=str(path))
    x = np.random.RandomState(0).normal(size=(1, 96, 96, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(a(x)), np.asarray(b(x)), atol=1e-6)
    with pytest.raises(ValueError, match="Weights do not match at layer"):
        explorer.build("inception_resnet_v1", input_size=96, width=0.5, weights=str(path))


def _write_keras_app_h5(path):
    """The keras.applications .h5 layout (Keras 2's HDF5 weights format, what the download
    contains), written here with h5py: root attribute `layer_names`; one group per layer with a
    `weight_names` attribute (trainable weights first) and one dataset per weight."""
    import h5py
    import keras

    app = keras.applications.InceptionV3(weights=None)
    rng = np.random.RandomState(3)
    app.set_weights([w + rng.normal(0, 0.02, w.shape).astype(w.dtype) if w.ndim > 1 else np.abs(w) + 0.5
                     for w in app.get_weights()])
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in app.layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in app.layers:
            g = f.create_group(layer.name)
            weights = layer.trainable_weights + layer.non_trainable_weights
            names = [f"{layer.name}/{w.name}:0" for w in weights]
            g.attrs["weight_names"] = [n.encode() for n in names]
            for n, w in zip(names, weights):
                g.create_dataset(n, data=np.asarray(w))
    return app


@pytest.mark.slow
@pytest.mark.full
def test_keras_application_h5_loads_through_the_download_path(tmp_path, monkeypatch):
    from explorer.inference.weights import sources

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    source = W.get_source("inception_v3", "keras")
    target = tmp_path / "models" / source.file
    target.parent.mkdir(parents=True)
    app = _write_keras_app_h5(target)
    md5 = hashlib.md5(target.read_bytes()).hexdigest()
    patched = tuple(dataclasses.replace(s, md5=md5) if s == source else s for s in sources.SOURCES)
    monkeypatch.setattr(sources, "SOURCES", patched)
    assert W.archive_path(W.get_source("inception_v3", "keras")) == target and W.cached(source)
    ours = explorer.build("inception_v3", weights="imagenet")
    assert explorer.model_info(ours).pretrained and explorer.model_info(ours).weights == "keras"
    assert explorer.model_info(ours).heads_trained == (True,)
    with_aux = explorer.build("inception_v3", weights="keras", aux_heads=True)
    assert explorer.model_info(with_aux).heads_trained == (True, False)  # the trunk is ImageNet's, the aux head random
    assert np.abs(np.asarray(app(np.zeros((1, 299, 299, 3), "float32")))
                  - np.asarray(with_aux(np.zeros((1, 299, 299, 3), "float32"))[0])).max() <= 1e-5
    x = np.random.RandomState(0).uniform(-1, 1, (1, 299, 299, 3)).astype("float32")
    assert np.abs(np.asarray(app(x)) - np.asarray(ours(x))).max() <= 1e-5
    # a local path to the same layout takes the same route
    local = explorer.build("inception_v3", weights=str(target), aux_heads=True)
    assert np.abs(np.asarray(app(x)) - np.asarray(local(x)[0])).max() <= 1e-5
    assert explorer.model_info(local).heads_trained == (True, False)  # Keras's layout: no trained aux head
    # a cached file whose hash is wrong is refused with its own message
    monkeypatch.setattr(sources, "SOURCES", tuple(s for s in patched if s.md5 != md5) + (source,))
    with pytest.raises(ValueError, match="does not match its published hash"):
        explorer.build("inception_v3", weights="keras")


def test_offline_imagenet_fails_fast_with_the_offline_message(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    from explorer.nn.backend import setup_devices
    setup_devices()  # TensorFlow's import is not what is timed here
    t = time.monotonic()
    with pytest.raises(ValueError) as e:
        explorer.build("inception_v3", input_size=96, weights="imagenet")
    assert time.monotonic() - t < 10  # checked before building: no hang, no wasted build
    msg = str(e.value)
    assert "no network" in msg and W.get_source("inception_v3", "keras").file in msg and str(tmp_path) in msg


def test_weights_that_cannot_fit_say_why():
    with pytest.raises(ValueError, match="googlenet, inception_resnet_v2, inception_v3, inception_v4"):
        explorer.build("inception_resnet_v1", input_size=96, weights="imagenet")
    with pytest.raises(ValueError, match="contradict.*factorize_nxn=False"):
        explorer.build("inception_v3", input_size=96, factorize_nxn=False, weights="imagenet")
    with pytest.raises(ValueError, match="not found"):
        explorer.build("googlenet", input_size=64, weights="/nonexistent/file.weights.h5")


# --------------------------------------------------------------- CLI
def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)

def test_every_command_line_argument_says_what_it_is():
    import argparse

    from explorer.cli import build_parser
    from explorer.cli.ablate import build_parser as ablate_parser

    def missing(parser, path):
        out = []
        for action in parser._actions:  # argparse has no public walk over a parser's arguments
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out += missing(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                out.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return out

    assert missing(build_parser(), "explorer") + missing(ablate_parser(), "explorer ablate") == []


@pytest.mark.slow
def test_cli_summary_predict_activations(tmp_path):
    r = _run("summary", "googlenet", "--choice", "aux_heads", "true", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["params"] == 13_378_280 and data["modules"][1]["module"] == "inception_3a"
    img = tmp_path / "photo.png"
    photo_like().save(img)
    r = _run("predict", str(img), "--variant", "googlenet", "--aux-heads")
    assert r.returncode == 0, r.stderr
    assert "random weights" in r.stdout and "main, untrained" in r.stdout
    assert "aux_2 (after inception_4d), untrained" in r.stdout.splitlines()[2]  # the heads side by side
    out = tmp_path / "acts"
    r = _run("activations", str(img), "--variant", "googlenet", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "inception_4a__b3.png").is_file() and (out / "input_crop.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert {"main"} <= set(summary["predictions"]) and len(summary["branches"]) > 40
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    r = _run("predict", str(bad), "--variant", "googlenet")
    assert r.returncode == 2 and "not an image" in r.stderr.lower() and "Traceback" not in r.stderr
    for sub in ("predict", "activations", "summary", "weights"):
        r = _run(sub, "--help")
        assert r.returncode == 0 and "usage" in r.stdout


def test_device_info_reports_backend_and_device():
    import os
    import platform

    from explorer.nn.backend import device_info, setup_devices
    info = setup_devices()
    assert info == device_info()
    assert info["backend"] == "tensorflow"
    assert info["accelerators"] == len(info["gpus"])
    assert info["device"] == (f"CPU ({os.cpu_count()} cores, {platform.machine()})" if not info["gpus"]
                              else f"GPU: {info['gpus'][0]}")
    if not info["gpus"]:
        assert "tensorflow[and-cuda]" in info["summary"]


def test_probe_cache_does_not_keep_models_alive():
    import gc
    import weakref

    model = explorer.build("googlenet", input_size=64)
    explorer.branch_activations(model, photo_like())
    ref = weakref.ref(model)
    assert get_probe(model).model is model
    del model
    gc.collect()
    assert ref() is None  # evicting a model from the app's cache really frees it
