"""`build(variant, weights=None, seed=0, **choices)`: the public way to get a model: validated
choices, the one builder, weights loaded, what was loaded recorded in `model_info(model)`."""
from __future__ import annotations

from explorer.arch.graph import resolve
from explorer.arch.validate import choices as make_choices
from explorer.nn.backend import setup_devices
from explorer.nn.builder import build_net
from explorer.nn.info import ModelInfo, set_info
from explorer.zoo.variants import get_spec


def build(variant: str, *, weights=None, seed: int = 0, **choices):
    """Build `variant` as a keras.Model (outputs: main head, then each auxiliary head).

    weights: None (random initialisation, reproducible: seeded per layer from (variant, seed,
    layer name)); "imagenet" (the best published source: `explorer.weight_sources(variant)`, one
    with trained auxiliary heads when `aux_heads=True`; downloaded once into the Keras cache); a
    source name ("keras", "tf_slim"); or a local path: a Keras `.h5` / `.weights.h5` / `.keras`,
    a TF-slim tarball or checkpoint prefix. Published weights imply their architecture (TF-slim
    weights build GoogLeNet's and BN-Inception's `tf_slim` configuration); a choice that
    contradicts them raises ValueError naming it. Loaded models output softmax over the 1000
    ImageNet classes (TF-slim's background class dropped), in keras.applications' order.
    `choices` are the design choices (`explorer.CHOICE_HELP`). `explorer.model_info(model)` says
    what was built and loaded, and which heads are trained."""
    from explorer.inference.weights import plan

    spec = get_spec(variant)
    p = plan(spec, weights, choices)
    c = make_choices(spec, **(p.choices if p is not None else choices))
    setup_devices()  # GPU memory growth before the first model touches the GPU
    path = p.file() if p is not None else None  # fetched (or failed) before building
    net = resolve(spec, c)
    model = build_net(net, seed=seed)
    info = set_info(model, ModelInfo(spec.name, c, "random", (False,) * (1 + len(net.aux)), seed, spec.normalization))
    if p is not None:
        heads = p.load(model, path, len(net.aux))
        set_info(model, ModelInfo(spec.name, c, p.label, heads, seed, p.normalization or info.normalization,
                                         fit=p.fit))
    return model
