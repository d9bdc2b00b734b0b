"""What each branch contributes, for one photo and one class (Keras; any backend):

    branch_gradcam(model, image, module, head=, class_index=)  -> GradCAM: per-branch Grad-CAM maps
                                                                  and shares, and the module's map
    knockout(model, image, head=, class_index=, modules=)      -> Knockout: every branch zeroed or
                                                                  replaced by its mean, in turn
    predict_gated(model, image, zeroed=, averaged=)            -> top-k of every head, branches off
    visualize_channel(model, module, branch, channel, steps=)  -> FeatureVis: the image a channel
                                                                  responds to most
    receptive_field(net or variant, module, branch)            -> Field: the input box a unit sees,
                                                                  the branch's kernel path (no Keras)
    modules_for(net, head)                                     -> the branched modules a head reads

All of it runs on the model's own layers (the gated view, `gated.py`: built once per model, no
rebuild); gradients come from `explorer.nn.grads`. Keras is imported on first use.
"""
from __future__ import annotations

__all__ = ["branch_gradcam", "GradCAM", "BranchCAM", "knockout", "Knockout", "KnockoutRow", "predict_gated",
           "visualize_channel", "FeatureVis", "receptive_field", "Field", "modules_for"]

_LAZY = {
    "branch_gradcam": "gradcam", "GradCAM": "gradcam", "BranchCAM": "gradcam", "modules_for": "reach",
    "knockout": "knockouts", "Knockout": "knockouts", "KnockoutRow": "knockouts", "predict_gated": "knockouts",
    "visualize_channel": "featvis", "FeatureVis": "featvis",
    "receptive_field": "rf", "Field": "rf",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"explorer.explain.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'explorer.explain' has no attribute {name!r}")
