"""The training recipe: optimizer, compile, loss targets, and honest evaluation.

Evaluation with batch norm. Keras keeps BN's statistics for inference as exponential moving
averages (momentum 0.99, i.e. over roughly the last 100 steps) while the weights move. In a run of
a few hundred steps those averages describe earlier weights, and a network that classifies its
training batches well can look near chance on held-out images. `reestimate_bn` recomputes the
statistics with the current weights on training images (the mean over batches of each batch's
mean and variance, as "precise BN" does), through public Keras APIs only: each layer's `momentum`
and a forward pass in training mode. `evaluate` does it before every measurement when the
config says `bn_stats="reestimate"` (the default).
"""
from __future__ import annotations

import math
import time
from typing import Callable, Optional

import numpy as np

from explorer.lab.config import TrainConfig

Progress = Callable[[float, str], None]
# Training images the BN statistics are re-estimated on (fewer when there are fewer).
BN_IMAGES = 512
BN_BATCH = 64


def n_aux_heads(config: TrainConfig) -> int:
    """How many auxiliary heads the configured model has."""
    import explorer

    c = config.resolved_choices()
    return len(explorer.get_spec(config.variant).aux) if c.aux_heads else 0


def loss_weights(config: TrainConfig) -> list[float]:
    """[1.0] for the main head, then `aux_weight` for each auxiliary head."""
    return [1.0] + [float(config.aux_weight)] * n_aux_heads(config)


def _optimizer(config: TrainConfig, steps: int):
    import keras

    lr = config.learning_rate
    if config.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(steps, 1))
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)
    return keras.optimizers.RMSprop(lr, rho=0.9)


def compile_model(model, config: TrainConfig, steps: int = 1000, *, distributed: bool = False):
    """Compile `model` for `config`: one loss per output (sparse or, with label smoothing,
    categorical cross-entropy on the softmax outputs) and `loss_weights(config)`. distributed: the
    model was built in a tf.distribute strategy's scope (Keras then creates the training state
    before tracing itself)."""
    import keras

    n_out = len(model.outputs)
    weights = loss_weights(config)
    if len(weights) != n_out:  # pragma: no cover - the builder and the spec agree
        raise ValueError(f"{n_out} model outputs but {len(weights)} loss weights")
    if config.label_smoothing > 0:
        losses = [keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
                  for _ in range(n_out)]
    else:
        losses = [keras.losses.SparseCategoricalCrossentropy() for _ in range(n_out)]
    metrics = [["accuracy"]] + [[] for _ in range(n_out - 1)] if n_out > 1 else ["accuracy"]
    model.compile(optimizer=_optimizer(config, steps), loss=losses, loss_weights=weights, metrics=metrics)
    if not distributed:
        _create_training_state(model, config)
    return model


def _create_training_state(model, config: TrainConfig) -> None:
    """Create the optimizer's slots and the loss and accuracy trackers now, eagerly.

    On TensorFlow without a distribution strategy (with one, Keras creates them before tracing,
    and `compile_model` leaves them to it), Keras creates them while tracing the first
    training step, and a variable created during a trace makes `tf.function` trace the whole step
    a second time. Creating them here saves that trace: one `train` of the lab's tiny GoogLeNet
    test config, 2 cores, 16.5 -> 10.6 s (model.fit 14.4 -> 7.6 s), with the same numbers. The
    trackers are built from one stand-in prediction (uniform probabilities), then reset.

    TensorFlow only: JAX's trainer creates them before it traces anyway, and torch does not trace.
    Under JAX, creating them here changed a run's numbers (a tiny aux-head run's first-epoch training
    accuracy 0.188 -> 0.104, cause not found), so its runs stay as they were."""
    import keras

    if keras.config.backend() != "tensorflow":
        return
    model.optimizer.build(model.trainable_variables)
    n_out = len(model.outputs)
    uniform = np.full((1, config.classes), 1.0 / config.classes, np.float32)
    y, y_pred = targets(np.zeros(1, np.int64), config, n_out), [uniform] * n_out if n_out > 1 else uniform
    model.compute_loss(None, y, y_pred, None)
    model.compute_metrics(None, y, y_pred, None)
    model.reset_metrics()


def compiled_loss_weights(model) -> list[float]:
    """The loss weights `model` was compiled with (read back from Keras's compile config)."""
    w = model.get_compile_config().get("loss_weights")
    if w is None:
        return [1.0] * len(model.outputs)
    return [float(v) for v in (w if isinstance(w, (list, tuple)) else [w])]


def targets(y: np.ndarray, config: TrainConfig, n_out: int):
    if config.label_smoothing > 0:
        y = np.eye(config.classes, dtype=np.float32)[y]
    return [y] * n_out if n_out > 1 else [y]


# --------------------------------------------------------------------------- batch norm
def bn_layers(model) -> list:
    """Every BatchNormalization layer of `model`, nested models included."""
    import keras

    out, stack = [], [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, keras.layers.BatchNormalization):
            out.append(layer)
        stack.extend(getattr(layer, "layers", []) or [])
    return out


def reestimate_bn(model, x: np.ndarray, n_images: int = BN_IMAGES, batch_size: int = BN_BATCH) -> int:
    """Recompute every BN layer's moving mean and variance with the current weights on the first
    `n_images` of `x` (training images): a forward pass in training mode per batch, each layer's
    momentum set to k / (k + 1) for the k-th batch so the result is the plain average over the
    batches. Restores the layers' momentum. Returns the number of batches (0 without BN)."""
    layers = bn_layers(model)
    if not layers:
        return 0
    momentum = [layer.momentum for layer in layers]
    n = min(len(x), n_images)
    starts = range(0, n - batch_size + 1, batch_size) if n >= batch_size else [0]
    try:
        for k, i in enumerate(starts):
            for layer in layers:
                layer.momentum = k / (k + 1)
            model(x[i:i + batch_size], training=True)
    finally:
        for layer, m in zip(layers, momentum):
            layer.momentum = m
    return len(starts)


def heads_metrics(model, x, y, batch_size: int) -> tuple[list[float], list[float]]:
    """Accuracy and mean cross-entropy of every head on (x, y), in inference mode."""
    preds = model.predict(x, batch_size=batch_size, verbose=0)
    if not isinstance(preds, (list, tuple)):
        preds = [preds]
    accs, losses = [], []
    for p in preds:
        p = np.asarray(p, dtype=np.float64)
        accs.append(float(np.mean(np.argmax(p, axis=-1) == y)))
        losses.append(float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0)))))
    return accs, losses


# --------------------------------------------------------------------------- per-epoch curves
def curves_callback(config: TrainConfig, data: dict, steps: int, progress: Optional[Progress],
                    lo: float = 0.05, hi: float = 0.95):
    """A Keras callback that reports progress every batch (at most four times a second) and, after
    every epoch, measures the main head on the validation split and the held-out images (with BN
    statistics re-estimated first when the config says so), and the validation split after the last
    epoch. Its `curves` dict holds one entry per epoch: step, loss (weighted total of all heads), train_loss / train_accuracy (main head, as fit
    reports them: running means over the epoch, in training mode), heldout_ loss and accuracy (main
    head, inference mode, after the epoch); tune_loss / tune_accuracy hold the last epoch only."""
    import keras

    epochs = config.epochs
    eval_batch = max(config.batch_size, 256)

    class _Curves(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch, self.last, self.eval_s = 0, 0.0, 0.0
            self.moving_accuracy = None  # BN model, last epoch: held-out accuracy with the moving averages
            self.has_bn = None
            self.curves = {k: [] for k in ("epoch", "step", "loss", "train_loss", "train_accuracy", "tune_loss",
                                          "tune_accuracy", "heldout_loss", "heldout_accuracy")}

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if progress is None:
                return
            now = time.perf_counter()
            if now - self.last < 0.25 and batch + 1 < steps:
                return
            self.last = now
            done = (self.epoch * steps + batch + 1) / (epochs * steps)
            loss = (logs or {}).get("loss")
            msg = f"epoch {self.epoch + 1}/{epochs}, step {batch + 1}/{steps}"
            if loss is not None:
                msg += f", loss {float(loss):.3f}"
            progress(lo + (hi - lo) * done, msg)

        def on_epoch_end(self, epoch, logs=None):
            t0 = time.perf_counter()
            c = self.curves
            c["epoch"].append(epoch + 1)
            c["step"].append((epoch + 1) * steps)
            logs = logs or {}
            main = self.model.output_names[0] if len(self.model.outputs) > 1 else ""
            c["loss"].append(round(float(logs.get("loss", math.nan)), 5))
            c["train_loss"].append(round(float(logs.get(f"{main}_loss" if main else "loss", math.nan)), 5))
            c["train_accuracy"].append(round(float(logs.get(f"{main}_accuracy" if main else "accuracy", math.nan)), 5))
            if self.has_bn is None:
                self.has_bn = bool(bn_layers(self.model))
            if config.bn_stats == "reestimate" and self.has_bn:
                if epoch + 1 == epochs:
                    accs, _ = heads_metrics(self.model, data["x_heldout"], data["y_heldout"], eval_batch)
                    self.moving_accuracy = round(accs[0], 5)
                reestimate_bn(self.model, data["x_fit"])
            for name in ("tune", "heldout"):
                x, y = data.get(f"x_{name}"), data.get(f"y_{name}")
                if x is None or len(x) == 0 or (name == "tune" and epoch + 1 < epochs):
                    continue  # the validation split is measured once, after the last epoch
                accs, losses = heads_metrics(self.model, x, y, eval_batch)
                c[f"{name}_loss"].append(round(losses[0], 5))
                c[f"{name}_accuracy"].append(round(accs[0], 5))
            self.eval_s += time.perf_counter() - t0

    return _Curves()
