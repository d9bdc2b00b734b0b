"""Keras-side weights: copy between structurally identical models (`copy_weights`), keep the
weights of unchanged layers across a rebuild (`keep_weights`), and load Keras files: Keras's
ImageNet `.h5` (keras.applications layout), a Keras 3 `.weights.h5`, a `.keras` model."""
from __future__ import annotations

from pathlib import Path

from explorer.inference.weights.fetch import WeightsError


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _weighted_layers(model, outputs=None) -> list:
    """Layers with weights in a canonical graph order: a post-order walk from each output (or
    from `outputs`) through each layer's inputs in order. Identical for two models with the same
    topology and the same concatenation orders, whatever their layer names or creation order.
    Public Keras API only: `model.layers`, `layer.input`, `layer.output` (each layer is called once)."""
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
    for out in (model.outputs if outputs is None else outputs):
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
    weights_changed(target)
    return len(src)


def weights_changed(model) -> None:
    """`model`'s cached probe folds its new weights again (explorer.inference.probe)."""
    from explorer.inference.probe import refresh_probe

    refresh_probe(model)


def keep_weights(reference, model) -> tuple[str, ...]:
    """Give `model` the weights of every layer of `reference` with the same name and the same
    weight shapes (a rebuild after a design change keeps everything the change did not touch,
    random or pretrained). Returns the weighted layers of `model` that could not keep weights
    (new, or reshaped by the change), in graph order."""
    ref = {layer.name: layer for layer in reference.layers if layer.weights}
    new = []
    for layer in _weighted_layers(model):
        other = ref.get(layer.name)
        if other is not None and [tuple(w.shape) for w in other.weights] == [tuple(w.shape) for w in layer.weights]:
            layer.set_weights(other.get_weights())
        else:
            new.append(layer.name)
    weights_changed(model)
    return tuple(new)


def heads_trained(model, trained: tuple[bool, ...], new_layers: tuple[str, ...]) -> tuple[bool, ...]:
    """Per output: was it trained (`trained`) and does every weighted layer behind it still hold
    those weights (none of `new_layers`)?"""
    new = set(new_layers)
    return tuple(bool(t) and not any(layer.name in new for layer in _weighted_layers(model, [out]))
                 for t, out in zip(trained, model.outputs))


def _trunk(model):
    """A view of `model` with only its main output (aux heads left out), sharing its layers."""
    import keras

    if len(model.outputs) == 1:
        return model
    return keras.Model(model.inputs, model.outputs[0])


def load_keras_application(model, path, application: str) -> None:
    """Load a keras.applications-layout .h5 (auto-named layers) through the application itself,
    then copy by structure into the explorer model's trunk and main head."""
    import keras

    app = getattr(keras.applications, application)(weights=None)
    try:
        app.load_weights(str(path))
    except Exception as e:  # noqa: BLE001
        raise WeightsError(f"{path} could not be read as {application} weights: {e}") from None
    copy_weights(app, _trunk(model))


def is_keras_app_h5(path: Path) -> bool:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs.get("layer_names", [])]
    except OSError as e:
        raise WeightsError(f"{path} is not a readable HDF5 weights file: {e}") from None
    return any(n.startswith(("conv2d", "mixed", "batch_normalization", "block35", "conv_7b")) for n in names)


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


def load_keras_file(model, path: Path) -> None:
    """A local Keras file: `.keras` (safe mode, copied by structure), `.weights.h5` (Keras 3), or
    an `.h5` saved by Keras from this model (keras.applications' layout goes through
    `load_keras_application`)."""
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
    else:
        try:
            model.load_weights(str(path))
        except Exception as e:  # noqa: BLE001
            raise WeightsError(f"{path} does not fit {model.name} with these choices: {keras_load_error(e)}") from None
    weights_changed(model)
