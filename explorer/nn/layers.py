"""The two layers Keras lacks, written with keras.ops only (TensorFlow, JAX or torch backend)."""
from __future__ import annotations

import keras
import numpy as np
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

    def band(self, channels: int) -> np.ndarray:
        """(channels, channels) float32: alpha where |i - j| <= radius, else 0. Squares times this
        matrix are alpha times each channel's window sum: ONE matrix product in place of a padding,
        2 * radius + 1 shifted copies and their additions. GoogLeNet's two LRN layers together
        (56x56x64 and 56x56x192, TensorFlow, CPU, 2 cores, medians of 150 interleaved): 3.24 -> 2.71
        ms, in a second run 3.19 -> 2.68 ms; its whole forward pass 26.9 -> 26.2 ms. The products
        are mostly the band's zeros, but splitting it into blocks of 64 or 32 output channels was
        slower (2.88, 2.75 ms: the slices and the concatenation cost more). Zeros add nothing
        exactly, so only the order of the 2 * radius + 1 additions differs from the shifted sum
        (2e-7 relative)."""
        i = np.arange(channels)
        return np.where(np.abs(i[:, None] - i[None, :]) <= self.radius, np.float32(self.alpha), np.float32(0))

    def call(self, x):
        channels = int(x.shape[-1])
        total = ops.matmul(ops.reshape(ops.square(x), (-1, channels)), self.band(channels))
        return x * inverse_power(self.bias + ops.reshape(total, ops.shape(x)), self.beta)

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
