"""The one builder: any resolved net (`explorer.arch.graph.resolve`) -> keras.Model, every layer
named `module__unit__layer`.

Model code uses keras.layers / keras.ops only, so it runs under the TensorFlow, JAX and torch
backends. Outputs: the main head, then each auxiliary head (when `aux_heads=True`).

Reproducible random weights: every layer's initializers are seeded from (variant, seed, layer
name), so the same (variant, choices, seed) gives the same weights in any process, and a layer
whose name and shape do not change under a toggle gets the same weights with it on or off
(toggling the aux heads leaves the trunk identical).

`build_graph` exposes the wiring for models that share a built model's layers: `reuse` takes
every layer from an existing model by name (shared weights, nothing new to train), `tap`
may rewrite each branch's output before its module concatenates it (branch gates, probes), and
`tap_out` each module's output before the next module (and any aux head) reads it.
"""
from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Callable, Optional

from explorer.arch.cost import State, conv_kernel
from explorer.arch.units import ConvU, DenseU, DropoutU, FlattenU, GapU, LRNU, Net, ParU, PoolU, RModule

BN_EPSILON = 1e-3  # keras.applications / TF-slim

# tap(module name, branch key, tensor) -> tensor, applied to each branch output of a branched module
Tap = Callable[[str, str, object], object]
# tap_out(module name, tensor) -> tensor, applied to each module's output
TapOut = Callable[[str, object], object]


def layer_seed(variant: str, seed: int, layer: str) -> int:
    """The initializer seed of one layer: a stable hash of (variant, seed, layer name)."""
    return zlib.crc32(f"{variant}:{seed}:{layer}".encode()) & 0x7FFFFFFF


class _Graph:
    """Creates (or, with `reuse`, looks up) the layers of one model while wiring it."""

    def __init__(self, variant: str, seed: int, reuse=None, tap: Optional[Tap] = None, initialize: bool = True):
        self.variant, self.seed, self.tap, self.initialize = variant, int(seed), tap, initialize
        self.reuse = {layer.name: layer for layer in reuse.layers} if reuse is not None else None

    def layer(self, cls, name: str, *args, seeded: tuple[str, ...] = (), **kw):
        if self.reuse is not None:
            if name not in self.reuse:
                raise ValueError(f"the model to reuse has no layer {name!r}: it is another architecture")
            return self.reuse[name]
        import keras

        for i, arg in enumerate(seeded):
            kw[arg] = (keras.initializers.GlorotUniform(seed=layer_seed(self.variant, self.seed, f"{name}:{i}"))
                       if self.initialize else "zeros")
        return cls(*args, name=name, **kw)

    def conv(self, u: ConvU, x):
        from keras import layers

        shape = tuple(x.shape[1:])
        kernel = conv_kernel(u, State(shape[0], shape[1], shape[2]))
        filters = u.filters if u.filters is not None else shape[-1]
        if u.depth_multiplier:
            x = self.layer(layers.SeparableConv2D, u.layers[0], filters, kernel, strides=u.stride,
                           padding=u.padding, depth_multiplier=u.depth_multiplier, use_bias=u.bias,
                           seeded=("depthwise_initializer", "pointwise_initializer"))(x)
        else:
            x = self.layer(layers.Conv2D, u.layers[0], filters, kernel, strides=u.stride, padding=u.padding,
                           use_bias=u.bias, seeded=("kernel_initializer",))(x)
        if u.bn:
            x = self.layer(layers.BatchNormalization, f"{u.name}__bn", epsilon=BN_EPSILON, scale=u.bn_scale)(x)
        if u.act:
            x = self.layer(layers.Activation, f"{u.name}__relu", "relu")(x)
        return x

    def unit(self, u, x):
        from keras import layers

        if isinstance(u, ConvU):
            return self.conv(u, x)
        if isinstance(u, PoolU):
            cls = layers.MaxPooling2D if u.kind == "max" else layers.AveragePooling2D
            return self.layer(cls, u.layers[0], u.size, strides=u.stride, padding=u.padding)(x)
        if isinstance(u, ParU):
            return self.layer(layers.Concatenate, u.layers[-1], axis=-1)([self.unit(c, x) for c in u.convs])
        if isinstance(u, LRNU):
            from explorer.nn.layers import LocalResponseNorm

            return self.layer(LocalResponseNorm, u.layers[0], u.radius, u.bias, u.alpha, u.beta)(x)
        if isinstance(u, GapU):
            return self.layer(layers.GlobalAveragePooling2D, u.layers[0])(x)
        if isinstance(u, FlattenU):
            return self.layer(layers.Flatten, u.layers[0])(x)
        if isinstance(u, DropoutU):
            return self.layer(layers.Dropout, u.layers[0], u.rate)(x)
        if isinstance(u, DenseU):
            x = self.layer(layers.Dense, u.layers[0], u.units, seeded=("kernel_initializer",))(x)
            if u.act:  # softmax in float32 so mixed precision stays stable
                dtype = "float32" if u.act == "softmax" else None
                x = self.layer(layers.Activation, u.layers[1], u.act, dtype=dtype)(x)
            return x
        raise TypeError(f"unknown unit {u!r}")

    def units(self, units, x):
        for u in units:
            x = self.unit(u, x)
        return x

    def module(self, m: RModule, x):
        from keras import layers

        if m.sequential:
            return self.units(m.units, x)
        outs = []
        for b in m.branches:
            out = self.units(b.units, x) if b.units else x
            outs.append(self.tap(m.name, b.key, out) if self.tap is not None else out)
        if m.up is None:
            return self.layer(layers.Concatenate, m.name, axis=-1)(outs)
        from explorer.nn.layers import ScaledResidual

        mixed = self.layer(layers.Concatenate, f"{m.name}__mixed__concat", axis=-1)(outs) if len(outs) > 1 else outs[0]
        up = self.conv(replace(m.up, filters=x.shape[-1]), mixed)
        if m.residual:
            name = f"{m.name}__residual__add" if m.activation else m.name
            y = self.layer(ScaledResidual, name, m.scale)([x, up])
            return self.layer(layers.Activation, m.name, "relu")(y) if m.activation else y
        return self.layer(layers.Activation, m.name, "relu" if m.activation else "linear")(up)


def build_graph(net: Net, x, *, seed: int = 0, reuse=None, tap: Optional[Tap] = None,
                tap_out: Optional[TapOut] = None, initialize: bool = True) -> tuple[list, dict]:
    """Wire `net` on the input tensor `x`: (outputs [main head, aux heads...], {module: output})."""
    g = _Graph(net.variant, seed, reuse, tap, initialize)
    after = {}
    for m in net.modules:
        x = g.module(m, x)
        if tap_out is not None:
            x = tap_out(m.name, x)
        after[m.name] = x
    outputs = [g.units(net.head.units, x)] + [g.units(a.units, after[a.after]) for a in net.aux]
    return outputs, after


def build_net(net: Net, *, seed: int = 0, initialize: bool = True):
    """keras.Model of a resolved net, with reproducible random weights (see `layer_seed`); with
    initialize=False every kernel starts at zero (quicker, for weights that are set right after)."""
    import keras

    inputs = keras.Input(net.input_shape, name="input")
    outputs, _ = build_graph(net, inputs, seed=seed, initialize=initialize)
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=net.variant)


def fill_random(model, seed: int = 0) -> None:
    """Random weights from numpy for every variable of `model`, batch-norm statistics included
    (a fresh model's are 0 and 1). With `build_net(..., initialize=False)` this skips Keras's
    per-shape initializers (under JAX each one compiles: minutes per variant), for speed
    measurements and for tests of inference-time folding; not the reproducible seeded weights."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for v in model.weights:
        name, shape = v.path.rsplit("/", 1)[-1], tuple(v.shape)
        if name == "moving_variance":
            value = rng.uniform(0.5, 2.0, shape)
        elif name == "gamma":
            value = rng.uniform(0.5, 1.5, shape)
        elif name in ("moving_mean", "beta", "bias"):
            value = rng.normal(0, 0.2, shape)
        else:  # kernels: variance-preserving
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else shape[0]
            value = rng.normal(0, (2.0 / fan_in) ** 0.5, shape)
        v.assign(value.astype(v.dtype))
