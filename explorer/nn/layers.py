"""The two layers Keras lacks, written with keras.ops only (TensorFlow, JAX or torch backend)."""
from __future__ import annotations

import keras
from keras import ops


def inverse_power(y, beta: float):
    """y ** -beta. The betas LRN uses are written with square roots (one pass each, where the general
    power is an exp and a log per element): 0.75 (AlexNet's and GoogLeNet's LRN) is
    rsqrt(y) * rsqrt(sqrt(y)), which made GoogLeNet's two LRN layers 2.2x faster (TensorFlow, CPU,
    56x56x192: 7.9 -> 3.1 ms); the result agrees with the power to 5e-7 relative."""
    if beta == 0.75:
        return ops.rsqrt(y) * ops.rsqrt(ops.sqrt(y))
    if beta == 0.5:
        return ops.rsqrt(y)
    if beta == 1.0:
        return 1.0 / y
    return ops.power(y, -beta)


@keras.saving.register_keras_serializable(package="explorer")
class LocalResponseNorm(keras.layers.Layer):
    """Local response normalisation across channels (GoogLeNet's stem, as tf.nn.lrn):
    x / (bias + alpha * sum_{|j-i|<=radius} x_j^2) ** beta."""

    def __init__(self, radius: int = 2, bias: float = 1.0, alpha: float = 1e-4, beta: float = 0.75, **kwargs):
        super().__init__(**kwargs)
        self.radius, self.bias, self.alpha, self.beta = radius, bias, alpha, beta

    def call(self, x):
        sq = ops.square(x)
        channels = x.shape[-1]
        padded = ops.pad(sq, [[0, 0], [0, 0], [0, 0], [self.radius, self.radius]])
        total = padded[..., 0:channels]
        for i in range(1, 2 * self.radius + 1):
            total = total + padded[..., i:i + channels]
        return x * inverse_power(self.bias + self.alpha * total, self.beta)

    def get_config(self):
        return {**super().get_config(), "radius": self.radius, "bias": self.bias, "alpha": self.alpha,
                "beta": self.beta}


@keras.saving.register_keras_serializable(package="explorer")
class ScaledResidual(keras.layers.Layer):
    """inputs [shortcut, residual] -> shortcut + scale * residual (Inception-ResNet)."""

    def __init__(self, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        shortcut, residual = inputs
        if self.scale == 1.0:  # folded into the up-projection (explorer.nn.fold): one pass less
            return shortcut + residual
        return shortcut + residual * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
