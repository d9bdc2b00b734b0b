"""Inference-time folding: the same network with every BatchNormalization folded into the
convolution before it (kernel and bias), and optionally each residual scale folded into its
block's up-projection, for models built by `explorer.nn.builder`.

Batch norm at inference is a per-channel affine map, y = gamma * (z - mean) / sqrt(var + eps) + beta,
and z = conv(x) + b is linear in the kernel, so conv + BN is one convolution with kernel
k * s and bias (b - mean) * s + beta, s = gamma / sqrt(var + eps). Likewise x + scale * up(r)
becomes x + up'(r) with up' = scale * up. The folded model computes the same function in fewer
passes over memory (`make bench` measures how much); the unfolded model stays what is trained and
whose weights are read. The folded weights are a snapshot: fold again after changing the weights.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from explorer.arch.units import ConvU, Net, ParU, Unit, output_layer


def fold_unit(u: Unit) -> Unit:
    """`u` with its batch norm folded away (a biased convolution); other units unchanged."""
    if isinstance(u, ConvU) and u.bn:
        return replace(u, bn=False, bias=True)
    if isinstance(u, ParU):
        return replace(u, convs=tuple(fold_unit(c) for c in u.convs))
    return u


def folded_output(u: Unit) -> str:
    """The name of the layer that outputs unit `u` in the folded model."""
    return output_layer(fold_unit(u))


def fold_net(net: Net, *, residual_scale: bool = False) -> Net:
    """The resolved net without batch norm (and, with residual_scale, every residual scale 1.0)."""
    modules = []
    for m in net.modules:
        kw = {"units": tuple(fold_unit(u) for u in m.units),
              "branches": tuple(replace(b, units=tuple(fold_unit(u) for u in b.units)) for b in m.branches)}
        if m.up is not None:
            kw["up"] = fold_unit(m.up)
            if residual_scale and m.residual and m.scale is not None:
                kw["scale"] = 1.0
        modules.append(replace(m, **kw))
    fold_head = lambda h: replace(h, units=tuple(fold_unit(u) for u in h.units))  # noqa: E731
    return replace(net, modules=tuple(modules), head=fold_head(net.head), aux=tuple(fold_head(a) for a in net.aux))


def _np(v) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float32)


def folded_weights(model, net: Net, *, residual_scale: bool = False) -> dict[str, list[np.ndarray]]:
    """{conv layer name: its folded weights} for every convolution of `net` in `model`."""
    scales = {m.up.name: float(m.scale) for m in net.modules
              if residual_scale and m.up is not None and m.residual and m.scale is not None}
    layers = {layer.name: layer for layer in model.layers}
    out = {}
    for u in net.convs():
        name = u.name
        conv = layers[u.layers[0]]
        w = [_np(x) for x in conv.weights]
        n_kernels = 2 if u.depth_multiplier else 1
        kernels, bias = w[:n_kernels], (w[n_kernels] if len(w) > n_kernels else 0.0)
        s = np.ones(kernels[-1].shape[-1], np.float32)
        shift = np.zeros_like(s)
        if u.bn:
            bn = layers[f"{u.name}__bn"]
            s = (_np(bn.gamma) if bn.gamma is not None else 1.0) / np.sqrt(_np(bn.moving_variance) + bn.epsilon)
            shift = (_np(bn.beta) if bn.beta is not None else 0.0) - _np(bn.moving_mean) * s
        factor = scales.get(name, 1.0)
        if not u.bn and factor == 1.0:
            continue  # nothing to fold: the layer keeps its own weights
        folded = kernels[:-1] + [kernels[-1] * (s * factor)]
        if u.bn or len(w) > n_kernels:  # a folded batch norm becomes the bias
            folded.append(((bias * s + shift) * factor).astype(np.float32))
        out[conv.name] = folded
    return out


def fold_batchnorm(model, *, residual_scale: bool = False):
    """A new keras.Model computing what `model` (built by explorer) computes, with batch norm folded
    into the convolutions and, with residual_scale, each residual scale into its up-projection.
    Every layer other than the batch norms keeps its name; the model's outputs are unchanged
    within float32 rounding. The folded weights are a snapshot of `model`'s (see `refold`)."""
    from explorer.nn.builder import build_net
    from explorer.nn.info import model_info

    net = model_info(model).net
    folded = build_net(fold_net(net, residual_scale=residual_scale), initialize=False)
    refold(model, folded, residual_scale=residual_scale)
    return folded


def refold(model, folded, *, residual_scale: bool = False) -> None:
    """Write `model`'s current weights, folded, into `folded` (made by `fold_batchnorm`)."""
    from explorer.nn.info import model_info

    net = model_info(model).net
    conv_weights = folded_weights(model, net, residual_scale=residual_scale)
    source = {layer.name: layer for layer in model.layers}
    for layer in folded.layers:
        if not layer.weights:
            continue
        if layer.name in conv_weights:
            layer.set_weights(conv_weights[layer.name])
        else:
            layer.set_weights(source[layer.name].get_weights())
