"""Train one scaled-down variant and measure it honestly.

`train(TrainConfig(...))` builds the variant with the given design choices (at the config's image
size and the data's number of classes), trains it with `model.fit` on numpy arrays - the same code
under the TensorFlow, JAX and torch backends, on the CPU or a GPU - and returns a plain dict:
held-out accuracy of the main head and of each auxiliary head, losses, per-epoch learning curves
(training, validation split, held-out), params, MACs, wall time, backend, device and versions.

Every evaluation uses batch-norm statistics re-estimated with the final weights
(`explorer.lab.recipe.reestimate_bn`); a BN run also reports what Keras's moving averages would
have given (`accuracy_moving_stats`), the measured cause of the old lab's BN result.

Auxiliary heads are trained as in GoogLeNet (arXiv:1409.4842 sec. 5): total loss =
main + aux_weight x each aux head (0.3), passed to `compile(loss_weights=...)`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import platform
import sys
import time
from typing import Optional

from explorer.lab.config import TrainConfig
from explorer.lab.datasets import dataset
from explorer.lab.recipe import (Progress, compile_model, compiled_loss_weights, curves_callback, heads_metrics,
                                 targets)
from explorer.nn.backend import setup_devices

# Augmentation of folder images (Keras layers; inactive at inference): horizontal flips, shifts and
# zooms of up to 10% of the side.
AUGMENT = (("RandomFlip", {"mode": "horizontal"}), ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1}),
           ("RandomZoom", {"height_factor": 0.1}))


def versions() -> dict:
    """Versions of what decides a result: python, keras, numpy and the backend's framework (plus
    any other framework already imported)."""
    import importlib.metadata as md

    import keras

    frameworks = {"tensorflow": ("tensorflow",), "jax": ("jax", "jaxlib"), "torch": ("torch",)}
    names = ["keras", "numpy", *frameworks.get(keras.config.backend(), ())]
    names += [n for mod, pkgs in frameworks.items() if mod in sys.modules for n in pkgs]
    out = {"python": platform.python_version()}
    for name in dict.fromkeys(names):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return out


def _strategy(config: TrainConfig, dev: dict):
    """(strategy scope or None, label, note)."""
    if not config.multi_gpu:
        return None, "default", ""
    if dev["backend"] != "tensorflow":
        return None, "default", (f"multi_gpu: tf.distribute.MirroredStrategy needs the TensorFlow "
                                 f"backend (this is {dev['backend']}); trained on one device")
    if dev["accelerators"] < 2:
        return None, "default", (f"multi_gpu: MirroredStrategy needs two or more GPUs "
                                 f"({dev['accelerators']} found); trained on one device")
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy()
    return strategy, f"mirrored x{strategy.num_replicas_in_sync}", ""


def _with_augmentation(model, config: TrainConfig):
    """`model` behind Keras augmentation layers (the same layers, a new outer model)."""
    import keras

    seed = config.seed
    aug = [getattr(keras.layers, name)(**kw, seed=seed + i, name=f"augment__{name.lower()}")
           for i, (name, kw) in enumerate(AUGMENT)]
    inp = keras.Input(shape=model.inputs[0].shape[1:], name="augment__input")
    x = inp
    for layer in aug:
        x = layer(x)
    return keras.Model(inp, model(x), name=f"{model.name}_augmented")


def _build(config: TrainConfig, steps: int, distributed: bool = False):
    import explorer

    model = explorer.build(config.variant, **config.choice_kwargs())
    if config.augment:
        model = _with_augmentation(model, config)
    return compile_model(model, config, steps, distributed=distributed)


def _fit(config: TrainConfig, data: dict, dev: dict, progress: Optional[Progress], notes: list) -> dict:
    """Build, compile and fit the configured model with per-epoch curves; measure every head."""
    import keras

    report = progress or (lambda f, m: None)
    keras.utils.set_random_seed(config.seed)
    policy = keras.config.dtype_policy().name
    if config.mixed_precision:
        if dev["accelerators"] == 0:
            notes.append("mixed_precision on a CPU: float16 compute is emulated and slow")
        keras.config.set_dtype_policy("mixed_float16")
    steps = math.ceil(len(data["x_fit"]) / config.batch_size)
    strategy, strategy_label, note = _strategy(config, dev)
    notes.extend([note] if note else [])
    batch = max(config.batch_size, 256)
    try:
        report(0.05, f"building {config.variant}")
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            model = _build(config, steps * config.epochs, distributed=strategy is not None)
        cb = curves_callback(config, data, steps, progress)
        report(0.05, f"training {config.epochs} epoch(s) of {steps} steps")
        t1 = time.perf_counter()
        model.fit(data["x_fit"], targets(data["y_fit"], config, len(model.outputs)), batch_size=config.batch_size,
                  epochs=config.epochs, shuffle=True, verbose=0, callbacks=[cb])
        train_s = time.perf_counter() - t1 - cb.eval_s
        report(0.95, f"evaluating on {len(data['y_heldout'])} held-out images")
        # statistics as the last epoch's evaluation left them (re-estimated or moving)
        out = {} if cb.moving_accuracy is None else {"accuracy_moving_stats": cb.moving_accuracy}
        accs, losses = heads_metrics(model, data["x_heldout"], data["y_heldout"], batch)
        weights = compiled_loss_weights(model)
    finally:
        if config.mixed_precision:
            keras.config.set_dtype_policy(policy)
    del model
    gc.collect()
    return {**out, "accuracy": accs[0], "aux_accuracy": accs[1:], "loss": losses[0], "aux_loss": losses[1:],
            "train_loss": cb.curves["loss"], "curves": cb.curves, "loss_weights": weights,
            "train_s": round(train_s, 3), "eval_s": round(cb.eval_s, 3), "steps_per_epoch": steps,
            "strategy": strategy_label}


def train(config: TrainConfig, progress: Optional[Progress] = None) -> dict:
    """Train `config` once and measure it on held-out images.

    progress(fraction in [0, 1], message) is called while the data is drawn, during training
    (every batch, at most four times a second) and at the end.

    Returns a JSON-ready dict: accuracy (main head, held-out, final), aux_accuracy (one per aux
    head), loss / aux_loss (held-out cross-entropy), tune_accuracy / tune_loss (the validation
    split, final; None without one), accuracy_moving_stats (BN models: with Keras's moving
    averages instead of re-estimated statistics), curves (per epoch: step, losses and accuracies
    of training, validation split and held-out), train_loss (weighted total, per epoch), chance,
    params / trainable_params / macs, loss_weights, wall_s (all of it), train_s (model.fit alone,
    evaluations excluded), eval_s, data_s, backend, device, strategy, mixed_precision, notes,
    data_source, versions.
    """
    import explorer

    t0 = time.perf_counter()
    report = progress or (lambda f, m: None)
    c = config.resolved_choices()  # validates before any work
    cost = explorer.cost(config.variant, **config.choice_kwargs())
    dev = setup_devices()
    notes: list[str] = []
    report(0.0, f"loading {config.n_train} + {config.n_val} images ({config.image_size}px)")
    data = dataset(config)
    data_s = time.perf_counter() - t0
    fit = _fit(config, data, dev, progress, notes)
    curves = fit["curves"]
    result = {
        **fit,
        "tune_accuracy": curves["tune_accuracy"][-1] if curves["tune_accuracy"] else None,
        "tune_loss": curves["tune_loss"][-1] if curves["tune_loss"] else None,
        "chance": 1.0 / config.classes,
        "params": cost.params,
        "trainable_params": cost.trainable_params,
        "macs": cost.macs,
        "wall_s": round(time.perf_counter() - t0, 3),
        "data_s": round(data_s, 3),
        "data_source": data["source"],
        "backend": dev["backend"],
        "device": dev["device"],
        "mixed_precision": bool(config.mixed_precision),
        "resolved_choices": dataclasses.asdict(c),
        "notes": notes,
        "versions": versions(),
    }
    report(1.0, f"done: held-out accuracy {fit['accuracy']:.1%} (chance {1 / config.classes:.1%})")
    return result
