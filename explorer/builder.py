"""The one builder: any resolved spec -> keras.Model, every layer named `module__unit__layer`.

Model code uses keras.layers / keras.ops only, so it runs under the TensorFlow, JAX and torch
backends. Outputs: the main head, then each auxiliary head (when `aux_heads=True`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from explorer.cost import conv_kernel, State
from explorer.graph import (ConvU, DenseU, DropoutU, FlattenU, GapU, LRNU, Net, ParU, PoolU, RModule,
                            resolve)
from explorer.spec import choices as make_choices
from explorer.variants import get_spec

BN_EPSILON = 1e-3  # keras.applications / TF-slim


@dataclass(frozen=True)
class ModelInfo:
    """What the UI needs to know about a built model (attached as `model.explorer_info`)."""

    variant: str
    choices: object
    weights: str  # "random", "imagenet" or the path loaded
    pretrained: bool
    normalization: str
    net: Net
    heads_pretrained: tuple = ()  # per output (main first): were that head's weights loaded?


def _unit(u, x):
    from keras import layers

    if isinstance(u, ConvU):
        shape = tuple(x.shape[1:])
        kernel = conv_kernel(u, State(shape[0], shape[1], shape[2]))
        filters = u.filters if u.filters is not None else shape[-1]
        if u.depth_multiplier:
            x = layers.SeparableConv2D(filters, kernel, strides=u.stride, padding=u.padding,
                                       depth_multiplier=u.depth_multiplier, use_bias=u.bias,
                                       name=u.layers[0])(x)
        else:
            x = layers.Conv2D(filters, kernel, strides=u.stride, padding=u.padding, use_bias=u.bias,
                              name=u.layers[0])(x)
        if u.bn:
            x = layers.BatchNormalization(epsilon=BN_EPSILON, scale=u.bn_scale, name=f"{u.name}__bn")(x)
        if u.act:
            x = layers.Activation("relu", name=f"{u.name}__relu")(x)
        return x
    if isinstance(u, PoolU):
        cls = layers.MaxPooling2D if u.kind == "max" else layers.AveragePooling2D
        return cls(u.size, strides=u.stride, padding=u.padding, name=u.layers[0])(x)
    if isinstance(u, ParU):
        return layers.Concatenate(axis=-1, name=u.layers[-1])([_unit(c, x) for c in u.convs])
    if isinstance(u, LRNU):
        from explorer.layers import LocalResponseNorm

        return LocalResponseNorm(u.radius, u.bias, u.alpha, u.beta, name=u.layers[0])(x)
    if isinstance(u, GapU):
        return layers.GlobalAveragePooling2D(name=u.layers[0])(x)
    if isinstance(u, FlattenU):
        return layers.Flatten(name=u.layers[0])(x)
    if isinstance(u, DropoutU):
        return layers.Dropout(u.rate, name=u.layers[0])(x)
    if isinstance(u, DenseU):
        x = layers.Dense(u.units, name=u.layers[0])(x)
        if u.act:  # softmax in float32 so mixed precision stays stable
            x = layers.Activation(u.act, name=u.layers[1], dtype="float32" if u.act == "softmax" else None)(x)
        return x
    raise TypeError(f"unknown unit {u!r}")


def _units(units, x):
    for u in units:
        x = _unit(u, x)
    return x


def _module(m: RModule, x):
    from keras import layers

    if m.sequential:
        return _units(m.units, x)
    outs = [_units(b.units, x) if b.units else x for b in m.branches]
    if m.up is None:
        return layers.Concatenate(axis=-1, name=m.name)(outs)
    from explorer.layers import ScaledResidual

    mixed = layers.Concatenate(axis=-1, name=f"{m.name}__mixed__concat")(outs) if len(outs) > 1 else outs[0]
    up = _unit(replace(m.up, filters=x.shape[-1]), mixed)
    if not up.shape[-1] == x.shape[-1]:  # pragma: no cover - the up-projection matches by construction
        raise ValueError(f"{m.name}: residual channels {up.shape[-1]} != {x.shape[-1]}")
    if m.residual:
        name = f"{m.name}__residual__add" if m.activation else m.name
        y = ScaledResidual(m.scale, name=name)([x, up])
        if m.activation:
            y = layers.Activation("relu", name=m.name)(y)
        return y
    return layers.Activation("relu" if m.activation else "linear", name=m.name)(up)


def build_net(net: Net):
    """keras.Model of a resolved net (random weights)."""
    import keras

    inputs = keras.Input(net.input_shape, name="input")
    x, after = inputs, {}
    for m in net.modules:
        x = _module(m, x)
        after[m.name] = x
    outputs = [_units(net.head.units, x)] + [_units(a.units, after[a.after]) for a in net.aux]
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=net.variant)


def build(variant: str, *, weights=None, **choices):
    """Build `variant` as a keras.Model.

    weights: None (random initialisation), "imagenet" (Keras's published weights, downloaded once
    and cached; inception_v3 and inception_resnet_v2 only) or a path to a `.weights.h5`, `.h5` or
    `.keras` file. `choices` are the design choices (`explorer.CHOICE_HELP`)."""
    from explorer.device import setup_devices

    spec = get_spec(variant)
    c = make_choices(spec, **choices)
    setup_devices()  # GPU memory growth before the first model touches the GPU
    imagenet_path = None
    if isinstance(weights, str) and weights == "imagenet":  # fail fast, before building anything
        from explorer.weights import imagenet_file

        imagenet_path = imagenet_file(spec, c)
    net = resolve(spec, c)
    model = build_net(net)
    label, pretrained = "random", False
    heads = [False] * (1 + len(net.aux))
    if weights is not None:
        from explorer.weights import load_weights

        label, pretrained = load_weights(model, weights, spec=spec, choices=c, imagenet_path=imagenet_path)
        heads = [True] + [label != "imagenet"] * len(net.aux)  # Keras's ImageNet files have no aux head
    model.explorer_info = ModelInfo(spec.name, c, label, pretrained, spec.normalization, net, tuple(heads))
    return model
