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
    layer name)), "imagenet" (Keras's published weights, downloaded once and cached; inception_v3
    and inception_resnet_v2) or a path to a `.weights.h5`, `.h5` or `.keras` file.
    `choices` are the design choices (`explorer.CHOICE_HELP`). `explorer.model_info(model)` says
    what was built and loaded."""
    from explorer.inference.weights import imagenet_file, load_weights

    spec = get_spec(variant)
    c = make_choices(spec, **choices)
    setup_devices()  # GPU memory growth before the first model touches the GPU
    imagenet_path = imagenet_file(spec, c) if weights == "imagenet" else None  # fail fast, before building
    net = resolve(spec, c)
    model = build_net(net, seed=seed)
    label, heads = "random", (False,) * (1 + len(net.aux))
    if weights is not None:
        label = load_weights(model, weights, spec=spec, choices=c, imagenet_path=imagenet_path)
        heads = (True,) + (label != "imagenet",) * len(net.aux)  # Keras's ImageNet files have no aux head
    set_info(model, ModelInfo(spec.name, c, label, heads, seed, spec.normalization))
    return model
