"""Feature visualisation of one channel of one branch: the image that maximises the channel's mean
activation, made readable the way Olah, Mordvintsev & Schubert describe ("Feature
Visualization", Distill 2017, doi:10.23915/distill.00007):

- a decorrelated parameterisation: the image is a sum of 2-D cosine and sine waves whose
  amplitudes are scaled by 1/f (natural images' spectrum), so gradient steps move every spatial
  frequency about equally, and its three channels are mixed by the square root of ImageNet's
  colour correlation (the matrix below, as published with their Lucid library), then squashed
  into [0, 1] with a sigmoid;
- transformation robustness: every step sees the image randomly translated, scaled and rotated,
  so only patterns that survive small transformations grow (no high-frequency adversarial noise).

Adam ascends the gradient of the channel's mean activation with respect to the wave amplitudes
(`explorer.nn.grads`, any backend). With random weights the result is texture without meaning:
only trained weights give the familiar dog faces and eyes. Results are cached per (model,
weights, address, settings).
"""
from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np
from PIL import Image

from explorer.inference.probe import prepare
from explorer.nn.grads import gradient_function
from explorer.nn.info import model_info

# Square root of ImageNet's RGB colour correlation (Olah et al. 2017; Lucid's
# `color_correlation_svd_sqrt`): columns are the decorrelated colour directions.
COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], np.float32)
COLOR = COLOR_SQRT / np.max(np.linalg.norm(COLOR_SQRT, axis=0))
LEARNING_RATE = 0.05
JITTER = 0.06  # of the image side, at most, each way
SCALES = (0.9, 1.1)
ROTATE = 10.0  # degrees, at most, each way
_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class FeatureVis:
    """image: (size, size, 3) uint8; activation: the channel's mean activation on it (no jitter,
    through the same preprocessing as a photo); start_activation: the same on the starting noise
    (`steps=0` returns that image); history: the jittered objective at each step.
    `np.asarray(result)` is the image."""

    module: str
    branch: str
    channel: int
    image: np.ndarray
    activation: float
    start_activation: float
    history: tuple[float, ...]

    def __array__(self, dtype=None, copy=None):
        return self.image if dtype is None else self.image.astype(dtype)


class Waves:
    """The Fourier parameterisation of a size x size image: amplitudes (2, 3, size, size // 2 + 1)
    (cosine, sine) -> decorrelated image (3, size, size), as numpy constants for keras.ops."""

    def __init__(self, size: int, decay: float = 1.0):
        half = size // 2 + 1
        fy = np.minimum(np.arange(size), size - np.arange(size)) / size
        fx = np.arange(half) / size
        freq = np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
        scale = 1.0 / np.maximum(freq, 1.0 / size) ** decay
        # unit-variance amplitudes give unit-variance pixels
        self.scale = (scale / np.sqrt(np.sum(scale ** 2))).astype(np.float32)
        y, u = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        x, v = np.meshgrid(np.arange(size), np.arange(half), indexing="ij")
        self.cy, self.sy = np.cos(2 * np.pi * u * y / size), np.sin(2 * np.pi * u * y / size)
        self.cx, self.sx = np.cos(2 * np.pi * v * x / size), np.sin(2 * np.pi * v * x / size)
        self.cy, self.sy, self.cx, self.sx = (m.astype(np.float32) for m in (self.cy, self.sy, self.cx, self.sx))
        self.shape = (2, 3, size, half)

    def image(self, amps):
        """amplitudes -> (size, size, 3) image in [0, 1] (keras.ops: differentiable, any backend)."""
        from keras import ops

        a, b = amps[0] * self.scale, amps[1] * self.scale

        def sandwich(left, m, right):
            return ops.einsum("yu,cuv,xv->cyx", left, m, right)

        dec = (sandwich(self.cy, a, self.cx) - sandwich(self.sy, a, self.sx)
               + sandwich(self.sy, b, self.cx) + sandwich(self.cy, b, self.sx))
        rgb = ops.einsum("rc,cyx->yxr", COLOR, dec)
        return ops.sigmoid(rgb)


def _input_affine(model) -> tuple[np.ndarray, np.ndarray]:
    """(M, b) with preprocessed = rgb01 @ M + b, read off the model's own preprocessing (`prepare`)
    applied to plain colours, so any normalisation (tf, torch, caffe's BGR) is matched."""
    size = model_info(model).choices.input_size

    def pixel(rgb):
        img = Image.new("RGB", (size, size), tuple(int(c) for c in rgb))
        return prepare(model, img)[1][0, 0, 0].astype(np.float64)

    b = pixel((0, 0, 0))
    m = np.stack([pixel(255 * np.eye(3)[i]) - b for i in range(3)])
    return m.astype(np.float32), b.astype(np.float32)


def _transform(rng, size: int) -> np.ndarray:
    """A random (1, 8) projective transform (Keras `affine_transform` form: output pixel -> input
    pixel): translation up to JITTER, scale in SCALES, rotation up to ROTATE degrees, about the
    image centre."""
    s = rng.uniform(*SCALES)
    th = np.deg2rad(rng.uniform(-ROTATE, ROTATE))
    tx, ty = rng.uniform(-JITTER, JITTER, 2) * size
    c = (size - 1) / 2.0
    inv = np.array([[np.cos(th), np.sin(th)], [-np.sin(th), np.cos(th)]]) / s  # rotate back, unscale
    off = np.array([c, c]) - inv @ np.array([c + tx, c + ty])
    return np.array([[inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1], 0.0, 0.0]], np.float32)


def branch_model(model, module: str, branch: str, size: int):
    """keras.Model from a size x size image to the output of `branch` of `module` (any part of
    `m.parts()`, stem layers included): the model's own layers up to there, wired on a new input
    (shared weights, no rebuild). ValueError when the map would vanish at this size."""
    import keras

    from explorer.arch.units import RHead
    from explorer.nn.builder import build_graph

    net = model_info(model).net
    names = [m.name for m in net.modules]
    if module not in names:
        raise ValueError(f"{net.variant} has no module {module!r}; modules: {', '.join(names)}. "
                         f"Received: module={module!r}")
    m = net.modules[names.index(module)]
    keys = [k for k, _, _ in m.parts()]
    if branch not in keys:
        raise ValueError(f"{module} has parts {', '.join(keys)}. Received: branch={branch!r}")
    if m.sequential:  # the module cut after the part
        m = replace(m, units=m.units[:keys.index(branch) + 1])
    trunk = replace(net, modules=net.modules[:names.index(module)] + (m,), head=RHead("head", None, ()), aux=())
    seen = {}

    def tap(mod, key, x):
        if (mod, key) == (module, branch):
            seen["out"] = x
        return x

    image = keras.Input((size, size, 3), name="image")
    try:
        outs, _ = build_graph(trunk, image, reuse=model, tap=tap)
    except ValueError as e:
        raise ValueError(f"{module}/{branch} cannot be reached from a {size} px image ({e}). "
                         f"Received: size={size}") from None
    return keras.Model(image, seen.get("out", outs[0]), name=f"{model.name}__{module}__{branch}")


class _Objective:
    """The compiled gradient of one branch's channel mean with respect to the amplitudes."""

    def __init__(self, model, module: str, branch: str, size: int):
        self.sub = branch_model(model, module, branch, size)
        self.size = size
        self.waves = Waves(size)
        self.m, self.b = _input_affine(model)
        self.grad = gradient_function(self.sub, self._fn, wrt=(0,))

    def _fn(self, call, amps, transform, onehot):
        from keras import ops

        img = ops.image.affine_transform(self.waves.image(amps)[None], transform, interpolation="bilinear",
                                         fill_mode="reflect")
        act = call(ops.einsum("nyxr,rk->nyxk", img, self.m) + self.b)
        return ops.mean(ops.sum(act * onehot, axis=-1)), []

    def render(self, amps: np.ndarray) -> np.ndarray:
        from keras import ops

        img = ops.convert_to_numpy(self.waves.image(ops.convert_to_tensor(amps)))
        return np.clip(np.round(np.asarray(img) * 255.0), 0, 255).astype(np.uint8)

    def activation(self, image: np.ndarray, channel: int) -> float:
        """The channel's mean activation on a uint8 image (no jitter), preprocessed as a photo."""
        x = (image.astype(np.float32) / 255.0) @ self.m + self.b
        return float(np.asarray(self.sub.predict_on_batch(x[None]))[0, ..., channel].mean())


def _fingerprint(sub) -> str:
    """A hash of the weights the branch depends on (a change of weights is a new cache entry)."""
    h = hashlib.blake2b(digest_size=16)
    for w in sub.weights:
        h.update(np.ascontiguousarray(np.asarray(w.numpy() if hasattr(w, "numpy") else w)).tobytes())
    return h.hexdigest()


def visualize_channel(model, module: str, branch: str, channel: int, *, steps: int = 256,
                      size: Optional[int] = None, seed: int = 0,
                      progress: Optional[Callable[[int, int], None]] = None) -> FeatureVis:
    """The image that maximises `channel` of `branch` of `module` (see the module docstring):
    `steps` Adam steps from seeded noise, at `size` px (None: the model's input size; the network
    runs on the image at that size, up to the branch). `progress(step, steps)` after each step. Cached."""
    if int(steps) < 0:
        raise ValueError(f"steps must be 0 or more. Received: steps={steps!r}")
    size = int(size or model_info(model).choices.input_size)
    if not 16 <= size <= 1024:
        raise ValueError(f"size must be between 16 and 1024 px. Received: size={size!r}")
    per_model = _CACHE.setdefault(model, {})
    obj = per_model.get(("objective", module, branch, size))
    if obj is None:
        obj = per_model[("objective", module, branch, size)] = _Objective(model, module, branch, size)
    channels = int(obj.sub.outputs[0].shape[-1])
    if not 0 <= int(channel) < channels:
        raise ValueError(f"{module}/{branch} has {channels} channels. Received: channel={channel!r}")
    key = (module, branch, int(channel), int(steps), size, int(seed), _fingerprint(obj.sub))
    if key in per_model:
        return per_model[key]
    result = _optimise(model, obj, module, branch, int(channel), channels, int(steps), int(seed), progress)
    per_model[key] = result
    return result


def _optimise(model, obj: _Objective, module, branch, channel, channels, steps, seed, progress) -> FeatureVis:
    rng = np.random.default_rng(seed)
    amps = (rng.standard_normal(obj.waves.shape) * 0.01).astype(np.float32)
    onehot = np.zeros((1, 1, 1, channels), np.float32)
    onehot[..., channel] = 1.0
    start = obj.render(amps)
    mom, vel, history = np.zeros_like(amps), np.zeros_like(amps), []
    for t in range(1, steps + 1):
        score, _, (g,) = obj.grad(amps, _transform(rng, obj.size), onehot)
        history.append(score)
        mom = 0.9 * mom + 0.1 * g
        vel = 0.999 * vel + 0.001 * g * g
        amps = amps + LEARNING_RATE * (mom / (1 - 0.9 ** t)) / (np.sqrt(vel / (1 - 0.999 ** t)) + 1e-8)
        if progress is not None:
            progress(t, steps)
    image = obj.render(amps)
    return FeatureVis(module, branch, channel, image, obj.activation(image, channel),
                      obj.activation(start, channel), tuple(float(h) for h in history))
