"""Gradients with respect to a model's inputs, for every Keras backend: the one backend-specific
piece the explanations (`explorer.explain`) need.

`gradient_function(model, fn, wrt)` turns `fn(call, *tensors) -> (score, aux)`, written with
`keras.ops` only (`call(inputs)` runs `model` in inference mode and returns its outputs), into a
function of numpy arrays that returns `(score, aux, grads)`: the scalar score, the aux tensors
and d(score)/d(tensors[i]) for each i in `wrt`, all as numpy. Every gradient the explanations need
is a gradient with respect to model inputs (the image, per-branch gates, per-channel shifts), which
each backend computes the same way:

- TensorFlow: `tf.GradientTape` inside one `tf.function` (traced once per input signature);
- JAX: `jax.value_and_grad` over `model.stateless_call` inside `jax.jit` (the weights are passed
  as arguments, so a later change of the weights is seen);
- torch: autograd (`requires_grad` on the inputs, `torch.autograd.grad`).

The weights are never differentiated. A tensor the score does not depend on gets a zero gradient.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

# fn(call, *tensors) -> (scalar score, list of aux tensors)
ScoreFn = Callable[..., tuple]


def backend() -> str:
    import keras

    return keras.config.backend()


def gradient_function(model, fn: ScoreFn, wrt: Sequence[int]) -> Callable:
    """The compiled `(*arrays) -> (score: float, aux: [np.ndarray], grads: [np.ndarray])` of `fn`
    for the current Keras backend (see the module docstring). ValueError for an unknown backend."""
    wrt = tuple(int(i) for i in wrt)
    make = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}.get(backend())
    if make is None:
        raise ValueError(f"gradients are implemented for the tensorflow, jax and torch backends. "
                         f"Received: KERAS_BACKEND={backend()!r}")
    return make(model, fn, wrt)


def _numpy(x) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x))


def _tensorflow(model, fn: ScoreFn, wrt: tuple[int, ...]) -> Callable:
    import tensorflow as tf

    def call(inputs):
        return model(inputs, training=False)

    @tf.function(reduce_retracing=True, autograph=False)
    def step(*args):
        watched = [args[i] for i in wrt]
        with tf.GradientTape() as tape:
            for t in watched:
                tape.watch(t)
            score, aux = fn(call, *args)
        grads = tape.gradient(score, watched, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return score, list(aux), grads

    def run(*arrays):
        score, aux, grads = step(*[tf.convert_to_tensor(np.asarray(a, np.float32)) for a in arrays])
        return float(score.numpy()), [a.numpy() for a in aux], [g.numpy() for g in grads]

    return run


def _jax(model, fn: ScoreFn, wrt: tuple[int, ...]) -> Callable:
    import jax

    def inner(watched, others, trainable, non_trainable):
        args = list(others)
        for i, t in zip(wrt, watched):
            args[i] = t

        def call(inputs):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return outputs

        score, aux = fn(call, *args)
        return score, list(aux)

    step = jax.jit(jax.value_and_grad(inner, has_aux=True))

    def run(*arrays):
        arrays = [np.asarray(a, np.float32) for a in arrays]
        watched = [arrays[i] for i in wrt]
        others = [None if i in wrt else a for i, a in enumerate(arrays)]
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        (score, aux), grads = step(watched, others, trainable, non_trainable)
        aux, grads = jax.device_get((aux, grads))  # one transfer to the host
        return float(score), [np.asarray(a) for a in aux], [np.asarray(g) for g in grads]

    return run


def _torch(model, fn: ScoreFn, wrt: tuple[int, ...]) -> Callable:
    import keras
    import torch

    def call(inputs):
        return model(inputs, training=False)

    def run(*arrays):
        tensors = [keras.ops.convert_to_tensor(np.asarray(a, np.float32)) for a in arrays]
        for i in wrt:
            tensors[i] = tensors[i].detach().requires_grad_(True)
        score, aux = fn(call, *tensors)
        # autograd.grad, not backward(): nothing accumulates in the weights' .grad
        found = torch.autograd.grad(score, [tensors[i] for i in wrt], allow_unused=True)
        grads = [g if g is not None else torch.zeros_like(tensors[i]) for g, i in zip(found, wrt)]
        return (float(score.detach().cpu()), [_numpy(a.detach()) for a in aux],
                [_numpy(g) for g in grads])

    return run
