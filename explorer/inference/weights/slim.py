"""TF-slim checkpoints: read one into an explorer model through the name map (`slim_names`),
refusing any missing, extra or mis-shaped variable, and write an explorer model in that layout.

With `explorer.nn.backend`, the only module that imports TensorFlow (`tf.train.load_checkpoint`
reads both checkpoint formats: the V1 single files of the 2016 model zoo and V2 `.index` +
`.data-*`; `tf.raw_ops.SaveV2` writes V2).

Conventions of the TF-slim nets (checked against them by tests/test_slim_reference.py):
batch norm without gamma (`BatchNorm/beta`, `moving_mean`, `moving_variance`, epsilon 0.001),
convolutions `weights` (+ `biases` where there is no batch norm), separable convolutions
`depthwise_weights` + `pointwise_weights`, and classifiers with 1001 classes, index 0 the
background: its row is dropped on load, so explorer's heads give softmax over the 1000 ImageNet
classes in keras.applications' order (written back as zeros by `export_checkpoint`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.arch.units import ConvU
from explorer.inference.weights.fetch import WeightsError
from explorer.inference.weights.slim_names import LAYOUTS, variable_names
from explorer.nn.info import model_info

BACKGROUND = 1  # classes in front of ImageNet's 1000 in a TF-slim classifier
IGNORED = ("global_step",)  # training bookkeeping some checkpoints carry
_SHOWN = 6  # names listed in an error message


@dataclass(frozen=True)
class Variable:
    """One checkpoint variable and the Keras weight it fills. logits: a classifier's weight
    (background row dropped on load); shape: in the checkpoint; model_shape: in Keras."""

    name: str
    layer: str
    weight: str
    shape: tuple
    model_shape: tuple
    logits: bool = False


_CONV = {"kernel": "weights", "bias": "biases", "depthwise_kernel": "depthwise_weights",
         "pointwise_kernel": "pointwise_weights"}
_BN = {"gamma": "BatchNorm/gamma", "beta": "BatchNorm/beta", "moving_mean": "BatchNorm/moving_mean",
       "moving_variance": "BatchNorm/moving_variance"}


def layout_of(variant: str):
    if variant not in LAYOUTS:
        raise WeightsError(f"{variant} has no TF-slim checkpoint layout (TF-slim ships "
                           f"{', '.join(LAYOUTS)}). Received: {variant}")
    return LAYOUTS[variant]


def manifest(model) -> list[Variable]:
    """Every checkpoint variable `model` reads, in graph order: the name map applied to the model's
    architecture. ValueError when its design choices have no TF-slim counterpart."""
    info = model_info(model)
    layers = {layer.name: layer for layer in model.layers}
    out = []
    try:
        pairs = variable_names(info.net, layout_of(info.variant))
    except ValueError as e:
        raise WeightsError(f"This {info.variant} configuration has no TF-slim counterpart: {e}.") from None
    for unit, scope, kind in pairs:
        names = unit.layers[:2] if isinstance(unit, ConvU) and unit.bn else unit.layers[:1]
        for layer_name in names:
            for w in layers[layer_name].weights:
                shape = tuple(int(d) for d in w.shape)
                if isinstance(unit, ConvU):
                    table = _BN if layer_name.endswith("__bn") else _CONV
                    out.append(Variable(f"{scope}/{table[w.name]}", layer_name, w.name, shape, shape))
                    continue
                classes = (shape[-1] + BACKGROUND,)
                ckpt = ((1, 1) + shape[:-1] + classes if kind == "conv" else shape[:-1] + classes) if w.name == "kernel" \
                    else classes
                out.append(Variable(f"{scope}/{_CONV[w.name]}", layer_name, w.name, ckpt, shape, True))
    return out


def _reader(prefix: Path):
    try:
        import tensorflow as tf
    except ImportError:
        raise WeightsError("Reading a TF-slim checkpoint needs TensorFlow (any Keras backend): pip install "
                           "tensorflow (requirements.txt installs it).") from None

    try:
        return tf.train.load_checkpoint(str(prefix))
    except Exception as e:  # noqa: BLE001 - NotFound / DataLoss / InvalidArgument: all "not readable"
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise WeightsError(f"{prefix} is not a readable TF checkpoint (missing, truncated or another format: "
                           f"{first}). Pass the checkpoint prefix (e.g. .../inception_v3.ckpt, with its .index "
                           f"and .data files beside it for the V2 format) or a TF-slim tarball.") from None


def _listed(names) -> str:
    names = sorted(names)
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def check(prefix: Path, variant: str, wanted: list[Variable], have: dict) -> None:
    """WeightsError naming every problem: another variant's checkpoint, missing, mis-shaped (both
    shapes) and extra variables."""
    scope = layout_of(variant).scope
    have = {k: tuple(v) for k, v in have.items() if k not in IGNORED and not k.endswith("/ExponentialMovingAverage")}
    if not any(k.startswith(scope + "/") for k in have):
        scopes = sorted({k.split("/")[0] for k in have})
        others = [v for v, lay in LAYOUTS.items() if lay.scope in scopes]
        what = f"a checkpoint of {others[0]} (scope {LAYOUTS[others[0]].scope})" if others else \
            f"not a TF-slim {scope} checkpoint (its scopes: {', '.join(scopes[:_SHOWN]) or 'none'})"
        raise WeightsError(f"{prefix} is {what}, not of {variant}: none of its {len(have)} variables is under "
                           f"{scope}/. Use the {variant} checkpoint, or build the variant it belongs to.")
    want = {v.name: v for v in wanted}
    problems = []
    missing = [n for n in want if n not in have]
    if missing:
        problems.append(f"{len(missing)} variable(s) missing from the checkpoint: {_listed(missing)}")
    shaped = [f"{n} has shape {have[n]} in the checkpoint, the model needs {v.shape}"
              for n, v in want.items() if n in have and have[n] != v.shape]
    if shaped:
        problems.append("; ".join(shaped[:_SHOWN]) + (f" (and {len(shaped) - _SHOWN} more)" if len(shaped) > _SHOWN else ""))
    extra = [n for n in have if n not in want]
    if extra:
        problems.append(f"{len(extra)} checkpoint variable(s) the model has no place for: {_listed(extra)}")
    if problems:
        raise WeightsError(f"{prefix} does not fit {variant} with these design choices: " + ". ".join(problems) +
                           ". It was saved from another architecture, another version of TF-slim's network, or "
                           "the file is incomplete.")


def load_checkpoint(model, prefix) -> int:
    """Load a TF-slim checkpoint into an explorer model (see the module docstring). Returns the
    number of variables read. WeightsError for an unreadable file or any variable that does not
    pair up. The model's auxiliary heads that the checkpoint lacks keep their weights."""
    prefix = Path(prefix)
    info = model_info(model)
    wanted = manifest(model)
    reader = _reader(prefix)
    have = reader.get_variable_to_shape_map()
    aux_scope = f"{layout_of(info.variant).scope}/AuxLogits/"
    if not info.choices.aux_heads:  # a checkpoint's trained aux head is simply not used
        have = {k: v for k, v in have.items() if not k.startswith(aux_scope)}
    check(prefix, info.variant, wanted, have)
    by_layer: dict = {}
    for v in wanted:
        try:
            value = np.asarray(reader.get_tensor(v.name))
        except Exception as e:  # noqa: BLE001 - a truncated .data file fails here
            raise WeightsError(f"{prefix}: variable {v.name} could not be read ({str(e).splitlines()[0][:160]}); "
                               f"the file is truncated or damaged. Fetch or import it again.") from None
        if v.logits:
            value = value.reshape(v.model_shape[:-1] + (v.model_shape[-1] + BACKGROUND,))[..., BACKGROUND:]
        by_layer.setdefault(v.layer, {})[v.weight] = value
    for layer_name, values in by_layer.items():
        layer = model.get_layer(layer_name)
        layer.set_weights([values[w.name] for w in layer.weights])
    return len(wanted)


def export_checkpoint(model, prefix) -> Path:
    """Write `model`'s weights as a TF-slim checkpoint (V2 format) at `prefix`, in the name map's
    layout, with a zero background class in front of every classifier."""
    import tensorflow as tf

    prefix = Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    names, tensors = [], []
    for v in manifest(model):
        value = np.asarray(model.get_layer(v.layer).get_weights()[
            [w.name for w in model.get_layer(v.layer).weights].index(v.weight)])
        if v.logits:
            pad = [(0, 0)] * (value.ndim - 1) + [(BACKGROUND, 0)]
            value = np.pad(value, pad).reshape(v.shape)
        names.append(v.name)
        tensors.append(tf.constant(value.astype(np.float32)))
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)
    return prefix
