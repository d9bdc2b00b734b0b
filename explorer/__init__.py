"""Inception Explorer: build, cost and probe every Inception variant from declarative specs.

The public API (stable; pages and outside checks call these):

    list_variants()                      -> names of the six variants
    get_spec(name)                       -> the frozen VariantSpec (data)
    choices(variant, **choices)          -> validated, frozen Choices for a variant
    build(variant, *, weights=None, seed=0, **choices) -> keras.Model (main head, then each aux head)
    model_info(model)                    -> ModelInfo (variant, choices, weights, trained heads)
    cost(variant, **choices)             -> Cost (params, trainable_params, macs, per module/branch)
    features(variant, **choices)         -> feature listing (channels, size, stride, receptive field)
    combination_costs(variant, base)     -> params / MACs of every combination of the on/off toggles
    resolve(spec, choices)               -> the concrete unit graph both builder and cost model walk
    copy_weights(source, target)         -> copy weights between structurally identical models
    weight_sources(variant)              -> published weights (Keras, TF-slim): file, URL, heads trained, accuracy
    keep_weights(reference, model)       -> layers that could not keep reference's weights (the rest do)
    parse_layer_name(name)               -> LayerName(module, branch, unit, layer)
    load_image(source), preprocess(image, size) -> decoded RGB image; (crop, batch)
    branch_activations(model, image)     -> Activations (every branch's maps, one forward pass)
    predict(model, image)                -> top-k of the main head and each aux head
    branch_gradcam(model, image, module) -> per-branch Grad-CAM maps and shares (explorer.explain)
    knockout(model, image)               -> every branch switched off in turn: the class's probability
    visualize_channel(model, module, branch, channel) -> the image a channel responds to most

The package, bottom to top (nothing imports upward; `tests/test_layout.py` checks it):
zoo (vocabulary, variant tables, names, published figures) -> arch (graph resolution, cost model,
validation; no Keras) -> nn (the Keras builder, layers, model info, backend) -> inference (build
with weights, images, probe, store) -> figures, data, lab -> cli. Keras is imported lazily: the
specs and the cost model work without TensorFlow.
"""
from __future__ import annotations

from explorer.arch import Cost, choices, combination_costs, cost, features, resolve, toggle_combinations  # noqa: F401
from explorer.zoo import CHOICE_HELP, CHOICE_LABELS, Choices, LayerName, VariantSpec  # noqa: F401
from explorer.zoo import get_spec, list_variants, parse_layer_name  # noqa: F401

__all__ = [
    "CHOICE_HELP", "CHOICE_LABELS", "Choices", "VariantSpec", "choices", "get_spec", "list_variants", "resolve",
    "LayerName", "parse_layer_name", "Cost", "cost", "features", "combination_costs", "toggle_combinations",
    "build", "model_info", "ModelInfo", "copy_weights", "weight_sources", "keep_weights", "load_image", "preprocess",
    "image_digest", "ImageError",
    "branch_activations", "predict", "Activations", "ModelStore",
    "branch_gradcam", "knockout", "visualize_channel",
]

_LAZY = {
    "build": "explorer.inference.models",
    "model_info": "explorer.nn.info", "ModelInfo": "explorer.nn.info",
    "copy_weights": "explorer.inference.weights", "weight_sources": "explorer.inference.weights",
    "keep_weights": "explorer.inference.weights",
    "load_image": "explorer.inference.images", "preprocess": "explorer.inference.images",
    "image_digest": "explorer.inference.images", "ImageError": "explorer.inference.images",
    "branch_activations": "explorer.inference.probe", "predict": "explorer.inference.probe",
    "Activations": "explorer.inference.probe",
    "ModelStore": "explorer.inference.store",
    "branch_gradcam": "explorer.explain", "knockout": "explorer.explain", "visualize_channel": "explorer.explain",
}


def __getattr__(name):  # lazy imports of the Keras-dependent parts
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
