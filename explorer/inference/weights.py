"""Weights: copy between structurally identical models, load local files, download Keras's."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


class WeightsError(ValueError):
    """A weights file that cannot be used for this model (message says why and what to do)."""


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _weighted_layers(model) -> list:
    """Layers with weights in a canonical graph order: a post-order walk from each output through
    each layer's inputs in order. Identical for two models with the same topology and the same
    concatenation orders, whatever their layer names or creation order. Public Keras API only:
    `model.layers`, `layer.input`, `layer.output` (every layer here is called once)."""
    import keras

    producer = {}
    for layer in model.layers:
        for t in _as_list(layer.output):
            producer[id(t)] = layer

    def parents(layer) -> list:
        if isinstance(layer, keras.layers.InputLayer):
            return []
        return [producer[id(t)] for t in _as_list(layer.input) if id(t) in producer]

    order, visited = [], set()
    for out in model.outputs:
        stack = [(producer[id(out)], False)]
        while stack:
            layer, done = stack.pop()
            if done:
                order.append(layer)
                continue
            if id(layer) in visited:
                continue
            visited.add(id(layer))
            stack.append((layer, True))
            stack.extend((p, False) for p in reversed(parents(layer)) if id(p) not in visited)
    return [layer for layer in order if layer.weights]


def copy_weights(source, target) -> int:
    """Copy all weights of `source` (a keras.applications model or an explorer model of the same
    architecture) into `target`, matching layers by graph structure, not by name.

    Returns the number of layers copied. Raises WeightsError (a ValueError) naming the first layer
    whose kind or weight shapes differ, with both shapes."""
    src, dst = _weighted_layers(source), _weighted_layers(target)
    for i, (s, d) in enumerate(zip(src, dst)):
        s_shapes = [tuple(w.shape) for w in s.weights]
        d_shapes = [tuple(w.shape) for w in d.weights]
        if type(s).__name__ != type(d).__name__ or s_shapes != d_shapes:
            raise WeightsError(
                f"Weights do not match at layer #{i + 1} with weights: source {s.name!r} "
                f"({type(s).__name__}, shapes {s_shapes}) vs target {d.name!r} ({type(d).__name__}, "
                f"shapes {d_shapes}). The weights are for a different architecture or design choices.")
    if len(src) != len(dst):
        extra = (src if len(src) > len(dst) else dst)[min(len(src), len(dst))]
        which = "source" if len(src) > len(dst) else "target"
        raise WeightsError(f"The {which} model has more layers with weights ({len(src)} vs {len(dst)}); "
                           f"the first unmatched one is {extra.name!r} ({type(extra).__name__}).")
    for s, d in zip(src, dst):
        d.set_weights(s.get_weights())
    _weights_changed(target)
    return len(src)


def _weights_changed(model) -> None:
    """The model's cached probe folds its new weights (explorer.inference.probe)."""
    from explorer.inference.probe import refresh_probe

    refresh_probe(model)


# --------------------------------------------------------------------------- published weights
@dataclass(frozen=True)
class PublishedWeights:
    """Keras's official ImageNet weight file for a variant (as keras.applications fetches it)."""

    variant: str
    application: str  # keras.applications class that reads the file's layout
    fname: str
    origin: str
    file_hash: str  # md5, as keras.applications pins it
    top1: float
    top5: float
    source: str


_KERAS = "https://storage.googleapis.com/tensorflow/keras-applications/"
KERAS_WEIGHTS = {
    "inception_v3": PublishedWeights(
        "inception_v3", "InceptionV3", "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        _KERAS + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "9a0d58056eeedaa3f26cb7ebd46da564", 77.9, 93.7, "keras.applications InceptionV3"),
    "inception_resnet_v2": PublishedWeights(
        "inception_resnet_v2", "InceptionResNetV2", "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
        _KERAS + "inception_resnet_v2/inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
        "e693bd0210a403b3192acc6073ad2e96", 80.3, 95.3, "keras.applications InceptionResNetV2"),
}
OTHER_WEIGHTS = {
    "googlenet": "torchvision (GoogLeNet_Weights.IMAGENET1K_V1) and TF-slim (inception_v1) publish "
                 "weights in their own formats, which need a converter",
    "bn_inception": "TF-slim (inception_v2) and pretrainedmodels (bninception) publish weights in their "
                    "own formats, which need a converter",
    "inception_v4": "TF-slim (inception_v4) and timm publish weights in their own formats, which need a "
                    "converter",
    "inception_resnet_v1": "no ImageNet weights were ever published for Inception-ResNet-v1",
}
DOWNLOAD_TIMEOUT_S = 10


def available_weights(variant: str) -> list[str]:
    """Names accepted by `build(variant, weights=...)` besides a local path."""
    return ["imagenet"] if variant in KERAS_WEIGHTS else []


def cache_path(variant: str) -> Path:
    """Where Keras keeps (or would keep) the variant's ImageNet file: $KERAS_HOME/models/<fname>."""
    return keras_home() / "models" / KERAS_WEIGHTS[variant].fname


def keras_home() -> Path:
    """$KERAS_HOME, else ~/.keras (read at call time, so tests and users can point it elsewhere)."""
    return Path(os.path.expanduser(os.environ.get("KERAS_HOME") or "~/.keras"))


def imagenet_cached(variant: str) -> bool:
    return variant in KERAS_WEIGHTS and cache_path(variant).is_file()


def fetch_imagenet(variant: str) -> Path:
    """The ImageNet weight file of `variant`: from the Keras cache, else downloaded once through
    `keras.utils.get_file` (hash-checked, cached). WeightsError within ~10 s when offline."""
    import keras

    if variant not in KERAS_WEIGHTS:
        have = ", ".join(KERAS_WEIGHTS)
        raise WeightsError(f"{variant} has no published Keras ImageNet weights: {OTHER_WEIGHTS.get(variant, '')}. "
                           f"Pretrained ImageNet weights load here for: {have}. Use weights=None (random) "
                           f"or a local .weights.h5 / .keras file made for this architecture.")
    pw = KERAS_WEIGHTS[variant]
    target = cache_path(variant)
    if target.is_file() and _md5(target) != pw.file_hash:
        raise WeightsError(f"The cached file {target} does not match its published hash (md5 {pw.file_hash}): "
                           f"it is incomplete or not the official file. Delete it and download it again "
                           f"from {pw.origin}.")
    try:
        if not target.is_file():
            _reachable(pw.origin)
        path = keras.utils.get_file(pw.fname, pw.origin, cache_subdir="models", file_hash=pw.file_hash,
                                    cache_dir=str(keras_home()))
    except Exception as e:  # noqa: BLE001 - urllib/socket/hash errors all mean the same to a user
        if "hash" in str(e).lower() or "corrupt" in str(e).lower():
            raise WeightsError(f"The downloaded file {pw.fname} does not match its published hash "
                               f"(md5 {pw.file_hash}): the download was incomplete or altered. Delete "
                               f"{target} and try again.") from None
        raise WeightsError(
            f"Could not download the ImageNet weights for {variant} (no network?): {e}. To work offline, "
            f"download {pw.origin} on a machine with internet and put the file at {target} "
            f"(the Keras cache, $KERAS_HOME/models); it is checked against md5 {pw.file_hash}.") from None
    return Path(path)


def _reachable(url: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> None:
    """Open (and close) a connection to `url`'s host within `timeout` seconds, so that an offline
    machine fails fast: keras.utils.get_file itself has no timeout. OSError when unreachable."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname, port), timeout=timeout):
        pass


def _md5(path: Path) -> str:
    import hashlib

    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _trunk(model):
    """A view of `model` with only its main output (aux heads left out), sharing its layers."""
    import keras

    if len(model.outputs) == 1:
        return model
    return keras.Model(model.inputs, model.outputs[0])


def _from_keras_application(model, path, variant: str) -> None:
    """Load a keras.applications-layout .h5 (auto-named layers) through the application itself,
    then copy by structure into the explorer model."""
    import keras

    pw = KERAS_WEIGHTS[variant]
    app = getattr(keras.applications, pw.application)(weights=None)
    try:
        app.load_weights(str(path))
    except Exception as e:  # noqa: BLE001
        raise WeightsError(f"{path} could not be read as {pw.application} weights: {e}") from None
    copy_weights(app, _trunk(model))


def _is_keras_app_h5(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs.get("layer_names", [])]
    except OSError as e:
        raise WeightsError(f"{path} is not a readable HDF5 weights file: {e}") from None
    return any(n.startswith(("conv2d", "mixed", "batch_normalization", "block35", "conv_7b")) for n in names)


def imagenet_file(spec, choices) -> Path:
    """Check that `spec` with `choices` can take Keras's ImageNet weights, and return the file
    (fetched into the cache if needed). Raises WeightsError before anything is built."""
    if spec.name not in KERAS_WEIGHTS:
        fetch_imagenet(spec.name)  # raises the "which weights exist" message
    defaults = spec.defaults
    differing = [k for k in ("reduce_1x1", "batch_norm", "conv_bias", "bn_scale", "factorize_5x5",
                             "factorize_nxn", "residual", "residual_scale", "head", "width", "classes")
                 if getattr(choices, k) != getattr(defaults, k)]
    if differing:
        raise WeightsError(f"The ImageNet weights of {spec.name} fit its shipped configuration only; "
                           f"these choices differ from it: {', '.join(differing)}. Reset them, or use "
                           f"random weights.")
    return fetch_imagenet(spec.name)


def load_weights(model, weights, *, spec, choices, imagenet_path=None) -> str:
    """Load `weights` ("imagenet" or a path) into an explorer `model`; returns what was loaded.
    With "imagenet" only the main trunk and head are loaded (Keras's files have no aux heads)."""
    if isinstance(weights, str) and weights == "imagenet":
        path = imagenet_path or imagenet_file(spec, choices)
        _from_keras_application(model, path, spec.name)
        _weights_changed(model)
        return "imagenet"
    path = Path(weights)
    if not path.is_file():
        raise WeightsError(f"Weights file not found: {path}. Pass weights='imagenet', None, or the path "
                           f"of a .weights.h5, .h5 or .keras file.")
    name = path.name.lower()
    if name.endswith(".keras"):
        import keras

        try:
            source = keras.saving.load_model(path, safe_mode=True, compile=False)
        except Exception as e:  # noqa: BLE001
            raise WeightsError(f"{path} could not be loaded as a .keras model (safe mode, no embedded "
                               f"code is run): {e}") from None
        copy_weights(source, model)
    elif name.endswith(".weights.h5"):
        _load_keras3_weights(model, path)
    elif name.endswith((".h5", ".hdf5")):
        if spec.name in KERAS_WEIGHTS and _is_keras_app_h5(path):
            _from_keras_application(model, path, spec.name)
        else:
            try:
                model.load_weights(str(path))
            except Exception as e:  # noqa: BLE001
                raise WeightsError(f"{path} does not fit {spec.name} with these choices: {e}") from None
    else:
        raise WeightsError(f"Unknown weights file type {path.suffix!r}: use .weights.h5, .h5 or .keras. "
                           f"Received: {path}")
    _weights_changed(model)
    return str(path)


def _load_keras3_weights(model, path: Path) -> None:
    """Keras 3 `.weights.h5`; a mismatch names the layer and both shapes (from Keras's own error)."""
    try:
        model.load_weights(str(path))
    except Exception as e:  # noqa: BLE001
        raise WeightsError(f"{path} does not fit this model: {keras_load_error(e)} The file was saved from a "
                           f"different architecture or design choices.") from None


def keras_load_error(e: Exception) -> str:
    """Keras's weight-loading error in one readable sentence: the layer and both shapes when Keras
    names them, else its first line."""
    import re

    text = str(e)
    layer = re.search(r"<\w+ name=([\w.-]+)", text)
    want = re.search(r"variable\.shape=(\([\d, ]*\))", text)
    have = re.search(r"value\.shape=(\([\d, ]*\))", text)
    if layer and want and have:
        return f"layer {layer.group(1)!r} needs shape {want.group(1)}, the file has {have.group(1)}."
    if layer:
        return f"layer {layer.group(1)!r} could not be loaded ({text.splitlines()[0][:200]})."
    return text.splitlines()[0][:300] if text else type(e).__name__
