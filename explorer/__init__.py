"""Inception Explorer: build, cost and probe every Inception variant from declarative specs.

The public API (stable; pages and outside checks call these):

    list_variants()                      -> names of the six variants
    get_spec(name)                       -> the frozen VariantSpec (data)
    choices(variant, **choices)          -> validated, frozen Choices for a variant
    build(variant, *, weights=None, **choices) -> keras.Model (main head, then each aux head)
    cost(variant, **choices)             -> Cost (params, trainable_params, macs, per module/branch)
    copy_weights(source, target)         -> copy weights between structurally identical models
    features(variant, **choices)         -> feature listing (channels, size, stride, receptive field)
    parse_layer_name(name)               -> LayerName(module, branch, unit, layer)

Keras is imported lazily: the spec and cost model work without TensorFlow.
"""
from __future__ import annotations

from explorer.spec import CHOICE_HELP, Choices, VariantSpec, choices  # noqa: F401
from explorer.variants import get_spec, list_variants  # noqa: F401
from explorer.graph import resolve  # noqa: F401
from explorer.names import LayerName, parse_layer_name  # noqa: F401
from explorer.cost import Cost, cost, features  # noqa: F401

__all__ = [
    "CHOICE_HELP", "Choices", "VariantSpec", "choices", "get_spec", "list_variants", "resolve",
    "LayerName", "parse_layer_name", "Cost", "cost", "features",
    "build", "copy_weights", "load_image", "preprocess", "ImageError",
    "branch_activations", "predict",
]


def __getattr__(name):  # lazy imports of the Keras-dependent parts
    if name == "build":
        from explorer.builder import build
        return build
    if name == "copy_weights":
        from explorer.weights import copy_weights
        return copy_weights
    if name in ("load_image", "preprocess", "ImageError"):
        from explorer import images
        return getattr(images, name)
    if name in ("branch_activations", "predict"):
        from explorer import probe
        return getattr(probe, name)
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
