"""Trained weights: the sources as data, TF-slim checkpoints (the name map against manifests written
from TF-slim's inception_v4 and inception_resnet_v2, round trips), clear errors for wrong, truncated
and foreign checkpoints, choices that contradict the weights and offline fetches, the cache
(import, SHA-256 records), and weights that stay put across rebuilds. No network."""
from __future__ import annotations

import shutil
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import explorer
from explorer.inference import weights as W
from explorer.inference.probe import prepare
from explorer.inference.store import ModelStore
from explorer.inference.weights import fetch, slim
from explorer.zoo import published
from tests.slim_manifest import MANIFESTS

V1 = explorer.get_spec("googlenet").preset("tf_slim")  # the configuration TF-slim's inception_v1 implies


def write_checkpoint(prefix, tensors: dict) -> None:
    import tensorflow as tf

    names = list(tensors)
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf.constant(np.asarray(tensors[n], np.float32)) for n in names])


def read_checkpoint(prefix) -> dict:
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


def perturbed(model, seed: int = 0):
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.05, w.shape).astype(w.dtype) if w.ndim > 1
                       else np.abs(w) + rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    """A GoogLeNet in TF-slim's configuration with non-trivial weights, its checkpoint and tensors."""
    folder = tmp_path_factory.mktemp("v1")
    model = perturbed(explorer.build("googlenet", input_size=64, **V1))
    prefix = slim.export_checkpoint(model, folder / "inception_v1.ckpt")
    return model, prefix, read_checkpoint(prefix)


# --------------------------------------------------------------------------- sources
def test_sources_are_data_with_what_is_trained_and_the_published_accuracy():
    pairs = {(s.variant, s.name) for s in explorer.weight_sources()}
    assert pairs == {("googlenet", "tf_slim"), ("bn_inception", "tf_slim"), ("inception_v3", "keras"),
                     ("inception_v3", "tf_slim"), ("inception_v4", "tf_slim"), ("inception_resnet_v2", "keras"),
                     ("inception_resnet_v2", "tf_slim")}
    for s in explorer.weight_sources():
        assert s.url.endswith(s.file) and s.licence and s.preprocessing
        assert explorer.choices(s.variant, **s.choices)  # the implied configuration is valid
        assert s.aux_trained == (s.name == "tf_slim" and s.variant in ("inception_v3", "inception_v4",
                                                                         "inception_resnet_v2"))
        assert s.classes == (1001 if s.name == "tf_slim" else 1000)
        assert (s.accuracy.top1, s.accuracy.top5) == next((a.top1, a.top5) for a in published.accuracies(s.variant)
                                                          if a.source == s.name)
    v3 = {s.name: s for s in explorer.weight_sources("inception_v3")}
    assert (v3["tf_slim"].accuracy.top1, v3["keras"].accuracy.top1) == (78.0, 77.9)
    assert v3["tf_slim"].label == "main + auxiliary heads trained, TF-slim inception_v3"
    assert v3["keras"].md5 and v3["tf_slim"].md5 is None and "recorded on first download" in v3["tf_slim"].hash_text
    assert explorer.weight_sources("inception_resnet_v1") == []
    assert "no public ImageNet checkpoint" in W.no_weights_why("inception_resnet_v1")
    with pytest.raises(ValueError, match="no public ImageNet checkpoint.*googlenet"):
        explorer.build("inception_resnet_v1", input_size=96, weights="imagenet")
    with pytest.raises(ValueError, match="no 'keras' weights.*tf_slim"):
        explorer.build("googlenet", input_size=64, weights="keras")


def test_the_readme_table_is_generated_from_the_sources():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    start = readme.index("<!-- weights-table: explorer.inference.weights.markdown_table() -->\n")
    table = readme[readme.index("\n", start) + 1:readme.index("\n<!-- /weights-table -->")]
    assert table == W.markdown_table()
    assert "| Inception-v4 | TF-slim inception_v4 | main + auxiliary heads | 80.2 / 95.2 |" in table


def test_imagenet_prefers_trained_aux_heads_then_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert W.best_source("inception_v3", aux_heads=True).name == "tf_slim"
    assert W.best_source("inception_v3", aux_heads=False).name == "keras"  # none cached: the first listed
    slim_v3 = W.get_source("inception_v3", "tf_slim")
    fetch.checkpoint_prefix(slim_v3).parent.mkdir(parents=True)
    fetch.checkpoint_prefix(slim_v3).write_bytes(b"x")
    assert W.best_source("inception_v3", aux_heads=False).name == "tf_slim"  # the cached one


# --------------------------------------------------------------------------- TF-slim checkpoints
def test_a_checkpoint_implies_its_architecture_and_round_trips(v1, tmp_path):
    model, prefix, tensors = v1
    assert tensors["InceptionV1/Logits/Conv2d_0c_1x1/weights"].shape == (1, 1, 1024, 1001)
    assert "InceptionV1/Mixed_5b/Branch_2/Conv2d_0a_3x3/weights" in tensors  # TF-slim's own quirk
    assert "InceptionV1/Conv2d_1a_7x7/BatchNorm/beta" in tensors and not any("gamma" in n for n in tensors)
    loaded = explorer.build("googlenet", input_size=64, weights=str(prefix))  # no choices given
    info = explorer.model_info(loaded)
    assert info.choices == explorer.choices("googlenet", input_size=64, **V1) and info.choices.table == "tf_slim"
    assert info.heads_trained == (True,) and info.normalization == "tf"
    assert info.fit == "central"  # photos are fitted as TF-slim's evaluation did (central 87.5%)
    photo = np.zeros((128, 128, 3), np.uint8)  # made a PIL image below
    photo[:8] = 255  # a band in the outer 6.25%: cut by the central crop, kept by "crop"
    assert prepare(loaded, Image.fromarray(photo))[0].max() == 0
    assert prepare(loaded, Image.fromarray(photo), resize="crop")[0].max() == 255
    assert explorer.model_info(explorer.build("googlenet", input_size=64)).fit == "crop"
    x = np.random.default_rng(1).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
    with_aux = explorer.build("googlenet", input_size=96, aux_heads=True, weights=str(prefix))
    assert explorer.model_info(with_aux).heads_trained == (True, False, False)  # inception_v1 has no aux heads
    plain = explorer.build("googlenet", input_size=96, weights=str(prefix))
    x = np.random.default_rng(3).uniform(-1, 1, (1, 96, 96, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(with_aux(x)[0]), np.asarray(plain(x)))  # aux on/off: same trunk


def test_a_choice_that_contradicts_the_weights_is_named(v1):
    with pytest.raises(ValueError, match=r"contradict.*kernel_5x5=5 \(the weights need kernel_5x5=3\)"):
        explorer.build("googlenet", input_size=64, kernel_5x5=5, weights=str(v1[1]))
    with pytest.raises(ValueError, match=r"width=0\.5"):
        explorer.build("inception_v3", input_size=96, width=0.5, weights="tf_slim")


def _corrupt(tensors: dict, tmp_path, **changes):
    out = dict(tensors)
    for name, value in changes.items():
        name = name.replace("__", "/")
        if value is None:
            del out[name]
        else:
            out[name] = value
    write_checkpoint(tmp_path / "bad.ckpt", out)
    return str(tmp_path / "bad.ckpt")


def test_missing_extra_and_misshaped_variables_are_named_with_both_shapes(v1, tmp_path):
    _, _, tensors = v1
    beta = "InceptionV1__Mixed_4b__Branch_1__Conv2d_0b_3x3__BatchNorm__beta"
    with pytest.raises(ValueError, match="1 variable\\(s\\) missing.*Mixed_4b/Branch_1/Conv2d_0b_3x3/BatchNorm/beta"):
        explorer.build("googlenet", input_size=64, weights=_corrupt(tensors, tmp_path, **{beta: None}))
    kernel = "InceptionV1/Mixed_3b/Branch_0/Conv2d_0a_1x1/weights"
    with pytest.raises(ValueError, match=r"Mixed_3b/Branch_0/Conv2d_0a_1x1/weights has shape \(1, 1, 192, 32\) in "
                                         r"the checkpoint, the model needs \(1, 1, 192, 64\)"):
        explorer.build("googlenet", input_size=64, weights=_corrupt(
            tensors, tmp_path, **{kernel.replace("/", "__"): np.zeros((1, 1, 192, 32))}))
    with pytest.raises(ValueError, match="no place for: InceptionV1/Mixed_9z/weights"):
        explorer.build("googlenet", input_size=64, weights=_corrupt(
            tensors, tmp_path, InceptionV1__Mixed_9z__weights=np.zeros(3)))


def test_a_checkpoint_of_another_variant_says_whose_it_is(v1):
    for variant in ("bn_inception", "inception_v3"):
        with pytest.raises(ValueError, match=f"is a checkpoint of googlenet \\(scope InceptionV1\\), not of {variant}"):
            explorer.build(variant, input_size=96 if variant == "inception_v3" else 64, weights=str(v1[1]))
    with pytest.raises(ValueError, match="no TF-slim network"):
        explorer.build("inception_resnet_v1", input_size=96, weights=str(v1[1]))


def test_truncated_or_foreign_files_are_refused_clearly(v1, tmp_path):
    _, prefix, _ = v1
    for f in prefix.parent.glob(prefix.name + "*"):
        shutil.copy(f, tmp_path / f.name)
    data = next(tmp_path.glob("*.data-*"))
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated"):
        explorer.build("googlenet", input_size=64, weights=str(tmp_path / prefix.name))
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="not a readable TF checkpoint"):
        explorer.build("googlenet", input_size=64, weights=str(tmp_path / "junk.ckpt"))
    with pytest.raises(ValueError, match="No TF checkpoint at"):
        explorer.build("googlenet", input_size=64, weights=str(tmp_path / "nothing.ckpt"))


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(MANIFESTS))
def test_manifest_of_the_published_layout_maps_one_to_one_and_round_trips(variant, tmp_path):
    """inception_v4 / inception_resnet_v2 are not in the tf_slim package: their variables, written
    out from TF-slim's definitions (tests/slim_manifest.py), must be exactly what explorer reads."""
    want = MANIFESTS[variant]()
    model = explorer.build(variant, aux_heads=True)
    ours = {v.name: v.shape for v in slim.manifest(model)}
    assert sorted(set(want) - set(ours)) == [] and sorted(set(ours) - set(want)) == []
    assert {n: s for n, s in ours.items() if want[n] != s} == {}
    # the checkpoint holds Keras's parameter count plus a background class per classifier
    assert sum(int(np.prod(s)) for s in want.values()) == \
        explorer.cost(variant, aux_heads=True).params + (1536 + 1) + (768 + 1)
    rng = np.random.default_rng(0)
    tensors = {n: (rng.uniform(0.5, 1.5, s) if n.endswith("moving_variance") else rng.normal(0, 0.02, s))
               for n, s in want.items()}
    write_checkpoint(tmp_path / "model.ckpt", tensors)
    loaded = explorer.build(variant, aux_heads=True, weights=str(tmp_path / "model.ckpt"))
    assert explorer.model_info(loaded).heads_trained == (True, True)
    for v in slim.manifest(loaded):
        layer = loaded.get_layer(v.layer)
        got = layer.get_weights()[[w.name for w in layer.weights].index(v.weight)]
        expect = tensors[v.name].reshape(v.model_shape[:-1] + (-1,))[..., 1:] if v.logits else tensors[v.name]
        np.testing.assert_array_equal(got, expect.astype(np.float32), err_msg=v.name)
    back = read_checkpoint(slim.export_checkpoint(loaded, tmp_path / "again.ckpt"))
    assert set(back) == set(tensors)
    logits = f"{'InceptionV4' if variant == 'inception_v4' else 'InceptionResnetV2'}/Logits/Logits/weights"
    np.testing.assert_array_equal(back[logits][:, 1:], tensors[logits][:, 1:].astype(np.float32))
    assert not back[logits][:, 0].any()  # the background class comes back as zeros
    out = loaded.predict_on_batch(np.zeros((1, 299, 299, 3), np.float32))
    assert all(np.isfinite(o).all() and abs(float(o.sum()) - 1) < 1e-4 for o in out)


# --------------------------------------------------------------------------- the cache
def test_offline_fetch_fails_fast_naming_the_file_its_url_and_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    from explorer.nn.backend import setup_devices
    setup_devices()  # TensorFlow's import is not what is timed here
    source = W.get_source("inception_v4", "tf_slim")
    t = time.monotonic()
    with pytest.raises(ValueError) as e:
        explorer.build("inception_v4", input_size=96, weights="tf_slim")
    assert time.monotonic() - t < 10
    msg = str(e.value)
    for part in ("no network", source.file, source.url, str(tmp_path / "models"), "weights import"):
        assert part in msg, part


def tarball(prefix, folder, name: str):
    """A tarball like TF-slim's: the checkpoint files at its top level."""
    path = folder / name
    with tarfile.open(path, "w:gz") as tar:
        for f in prefix.parent.glob(prefix.name + ".*"):
            tar.add(f, arcname=f.name)
    return path


def test_import_records_the_hash_loads_offline_and_notices_changes(v1, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    source = W.get_source("googlenet", "tf_slim")
    path = tarball(v1[1], tmp_path, source.file)
    assert not W.cached(source)
    assert W.import_file(path) == source and W.cached(source)
    record = W.records()[source.file]
    assert record["sha256"] == fetch.sha256(path) and record["how"] == "import" and record["files"]
    model = explorer.build("googlenet", input_size=64, weights="imagenet")  # the cached TF-slim file
    assert explorer.model_info(model).weights == "tf_slim" and explorer.model_info(model).pretrained
    x = np.random.default_rng(2).uniform(-1, 1, (1, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(v1[0](x)), atol=1e-6)
    other = tmp_path / "other" / source.file
    other.parent.mkdir()
    other.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="is not the file recorded"):
        W.import_file(other)
    data = next(fetch.extracted_dir(source).glob("*.data-*"))
    data.write_bytes(data.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(ValueError, match="has changed since it was extracted"):
        explorer.build("googlenet", input_size=64, weights="tf_slim")
    with pytest.raises(ValueError, match="not a published weight file"):
        W.import_file(v1[1].parent / (v1[1].name + ".index"))


# --------------------------------------------------------------------------- weights that stay put
@pytest.mark.slow
def test_same_variant_choices_and_seed_give_the_same_weights_in_a_fresh_process():
    import hashlib
    import os
    import subprocess
    import sys

    code = ("import hashlib, explorer; m = explorer.build('googlenet', input_size=64, factorize_5x5=True, seed=3); "
            "h = hashlib.sha256(); [h.update(w.tobytes()) for w in m.get_weights()]; print(h.hexdigest())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0, r.stderr
    here = hashlib.sha256()
    for w in explorer.build("googlenet", input_size=64, factorize_5x5=True, seed=3).get_weights():
        here.update(w.tobytes())
    assert r.stdout.strip().splitlines()[-1] == here.hexdigest()


@pytest.mark.slow
def test_a_rebuild_after_a_toggle_keeps_unchanged_pretrained_layers_and_lists_the_others(v1, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    off = ModelStore(max_entries=4).get(  # nothing cached, no network: random weights, saying why
        "googlenet", explorer.choices("googlenet", input_size=64, **{**V1, "reduce_1x1": False}), "tf_slim")
    assert "no network" in off.fallback and not off.pretrained and not off.partly_trained
    W.import_file(tarball(v1[1], tmp_path, W.get_source("googlenet", "tf_slim").file))
    store = ModelStore(max_entries=4)
    base = explorer.choices("googlenet", input_size=64, **V1)
    trained = store.get("googlenet", base, "tf_slim")
    assert trained.pretrained and trained.info.new_layers == () and not trained.partly_trained
    toggled = store.get("googlenet", explorer.choices("googlenet", input_size=64, **{**V1, "reduce_1x1": False}),
                        "tf_slim")
    new = set(toggled.info.new_layers)
    assert toggled.fallback is None and toggled.partly_trained and toggled.info.weights == "tf_slim"
    assert toggled.info.fit == trained.info.fit == "central"  # the rebuilt model keeps the weights' fit
    assert "inception_3a__b2_3x3__conv" in new  # its 3x3 now reads 192 channels, not 96
    assert "stem__conv1_7x7__conv" not in new and "inception_3a__b1_1x1__conv" not in new
    assert toggled.info.heads_trained == (False,)  # the main head now sees re-initialised layers
    for layer in toggled.model.layers:
        if layer.weights and layer.name not in new:
            for a, b in zip(layer.get_weights(), trained.model.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(a, b, err_msg=layer.name)
    with_aux = store.get("googlenet", explorer.choices("googlenet", input_size=96, aux_heads=True, **V1), "tf_slim")
    assert with_aux.info.heads_trained == (True, False, False) and with_aux.info.new_layers == ()


def test_random_rebuilds_list_the_layers_a_toggle_changed():
    store = ModelStore(max_entries=3)
    plain = store.get("googlenet", explorer.choices("googlenet", input_size=64), "random")
    assert plain.info.new_layers == ()
    toggled = store.get("googlenet", explorer.choices("googlenet", input_size=64, factorize_5x5=True), "random")
    new = set(toggled.info.new_layers)
    assert "inception_3a__b3_3x3__conv" in new and "inception_3a__b3_3x3_2__conv" in new
    assert "inception_3a__b2_3x3__conv" not in new and "head__fc__dense" not in new
    for layer in toggled.model.layers:
        if layer.weights and layer.name in {lay.name for lay in plain.model.layers} and \
                not any(layer.name.startswith(n.rsplit("__", 1)[0]) for n in new):
            for a, b in zip(layer.get_weights(), plain.model.get_layer(layer.name).get_weights()):
                np.testing.assert_array_equal(a, b, err_msg=layer.name)


@pytest.mark.slow
def test_cli_weights_import_list_and_predict_with_trained_marks(v1, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "KERAS_HOME": str(tmp_path / "home"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    source = W.get_source("googlenet", "tf_slim")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True, env=env,
                              timeout=300)

    r = run("weights", "import", str(tarball(v1[1], tmp_path, source.file)))
    assert r.returncode == 0 and "SHA-256" in r.stdout and "googlenet" in r.stdout, r.stderr
    r = run("weights", "list")
    line = next(x for x in r.stdout.splitlines() if x.startswith("googlenet"))
    assert "cached, SHA-256" in line and "imported" in line and "69.8 / 89.6" in line
    assert "inception_resnet_v1: no public ImageNet checkpoint" in r.stdout
    r = run("predict", "assets/samples/chelsea.jpg", "--variant", "googlenet", "--weights", "imagenet", "--aux-heads",
            "--choice", "input_size", "96")
    assert r.returncode == 0, r.stderr
    assert "weights: tf_slim" in r.stdout and "main, trained" in r.stdout and "aux_1 (after inception_4a), untrained" in r.stdout
