"""Train one scaled-down variant on the synthetic shapes data and measure it.

`train(TrainConfig(...))` builds the variant with the given design choices (at the config's image
size and the data's number of classes), trains it with `model.fit` on numpy arrays - the same code
under the TensorFlow, JAX and torch backends, on the CPU or a GPU - and returns a plain dict:
held-out accuracy of the main head and of each auxiliary head, losses, params, MACs, wall time,
backend, device and library versions.

Auxiliary heads are trained as in GoogLeNet (arXiv:1409.4842 sec. 5): total loss =
main + aux_weight x each aux head (0.3). The weights are passed to `compile(loss_weights=...)`
explicitly; `loss_weights(config)` says what they are.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np

from explorer.data import ShapesConfig, make_shapes
from explorer.nn.backend import setup_devices

Progress = Callable[[float, str], None]

OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine")
# Easier images for quick demonstrations and tests: no clutter, no noise, objects at least 35% of
# the image side (they still vary in size, position, colour and rotation).
QUICK_DATA = ShapesConfig(clutter=0, noise=0.0, min_scale=0.35)
# Choices the lab sets itself (from image_size and the data's classes).
_LAB_SET = ("input_size", "classes")
# The validation images come from a separate stream of the generator: image i of the held-out set
# is rendered from seed (data_seed + VAL_SEED_OFFSET, i), never one of the training images.
VAL_SEED_OFFSET = 1_000_003


def _freeze_choices(value) -> tuple[tuple[str, object], ...]:
    if value is None:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    out = []
    for item in items:
        try:
            k, v = item
        except (TypeError, ValueError):
            raise ValueError(f"choices must be a dict or (name, value) pairs. Received: {value!r}") from None
        if isinstance(v, list):
            v = tuple(v)
        out.append((str(k), v))
    keys = [k for k, _ in out]
    if len(set(keys)) != len(keys):
        raise ValueError(f"choices name a choice twice. Received: {value!r}")
    return tuple(sorted(out))


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (frozen, hashable; `to_dict()` for JSON).

    variant:         a name from `explorer.list_variants()`.
    choices:         design choices overriding the variant's defaults, as a dict or (name, value)
                     pairs; stored as sorted pairs. `input_size` and `classes` are set by the lab
                     (`image_size`, `data.classes`), not here.
    n_train, n_val:  training images and held-out images (independent streams of the generator).
    image_size:      image side in pixels; also the model's input size.
    epochs, batch_size, optimizer ("adam" / "sgd" (momentum 0.9) / "rmsprop"), learning_rate,
    schedule ("constant" / "cosine" decay to 0 over the run), label_smoothing (0 = off),
    aux_weight:      the weight of each auxiliary head's loss (GoogLeNet: 0.3).
    mixed_precision: "mixed_float16" compute (a GPU feature; on a CPU it only slows things down).
    multi_gpu:       tf.distribute.MirroredStrategy over all GPUs (TensorFlow backend with two or
                     more GPUs; otherwise noted in the result and trained on one device).
    seed:            weight initialisation, dropout and shuffling (`keras.utils.set_random_seed`).
    data_seed:       which images (the same for every training seed, so seeds measure training
                     noise on fixed data).
    data:            how the shapes are drawn (its image_size is replaced by `image_size`).
    """

    variant: str = "googlenet"
    choices: tuple = ()
    n_train: int = 3000
    n_val: int = 1000
    image_size: int = 64
    epochs: int = 4
    batch_size: int = 64
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    schedule: str = "constant"
    label_smoothing: float = 0.0
    aux_weight: float = 0.3
    mixed_precision: bool = False
    multi_gpu: bool = False
    seed: int = 0
    data_seed: int = 0
    data: ShapesConfig = field(default_factory=ShapesConfig)

    def __post_init__(self):
        object.__setattr__(self, "choices", _freeze_choices(self.choices))
        for key in _LAB_SET:
            if key in dict(self.choices):
                raise ValueError(f"{key!r} is set by the lab (input_size = image_size, classes = "
                                 f"data.classes); leave it out of choices. Received: choices={self.choices!r}")
        for name in ("n_train", "n_val", "epochs", "batch_size", "image_size", "seed", "data_seed"):
            v = getattr(self, name)
            low = 0 if name in ("seed", "data_seed") else 1
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}. Received: {name}={v!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}. Received: optimizer={self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}. Received: schedule={self.schedule!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0. Received: learning_rate={self.learning_rate!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1). Received: label_smoothing={self.label_smoothing!r}")
        if not self.aux_weight >= 0:
            raise ValueError(f"aux_weight must be >= 0. Received: aux_weight={self.aux_weight!r}")
        if not isinstance(self.data, ShapesConfig):
            raise ValueError(f"data must be a ShapesConfig. Received: data={self.data!r}")
        if self.data.image_size != self.image_size:
            object.__setattr__(self, "data", dataclasses.replace(self.data, image_size=self.image_size))

    # ----------------------------------------------------------------- derived
    def choice_kwargs(self) -> dict:
        """The keyword arguments for `explorer.build` / `explorer.cost`."""
        return {**dict(self.choices), "input_size": self.image_size, "classes": self.data.classes}

    def resolved_choices(self):
        """Validated `explorer.Choices` (ValueError naming the problem for impossible combos)."""
        import explorer

        return explorer.choices(self.variant, **self.choice_kwargs())

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["choices"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.choices}
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "TrainConfig":
        d = dict(d)
        if isinstance(d.get("data"), Mapping):
            d["data"] = ShapesConfig(**d["data"])
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def n_aux_heads(config: TrainConfig) -> int:
    """How many auxiliary heads the configured model has."""
    import explorer

    c = config.resolved_choices()
    return len(explorer.get_spec(config.variant).aux) if c.aux_heads else 0


def loss_weights(config: TrainConfig) -> list[float]:
    """[1.0] for the main head, then `aux_weight` for each auxiliary head."""
    return [1.0] + [float(config.aux_weight)] * n_aux_heads(config)


# --------------------------------------------------------------------------- data
_DATA_CACHE: dict = {}


def dataset(config: TrainConfig):
    """(x_train float32 in [-1, 1], y_train int32, x_val, y_val); the images are cached in memory
    (the last two configurations), so a sweep draws them once."""
    key = (config.n_train, config.n_val, config.data_seed, config.data)
    if key not in _DATA_CACHE:
        train = make_shapes(config.n_train, seed=config.data_seed, config=config.data)
        val = make_shapes(config.n_val, seed=config.data_seed + VAL_SEED_OFFSET, config=config.data)
        while len(_DATA_CACHE) >= 2:
            _DATA_CACHE.pop(next(iter(_DATA_CACHE)))
        _DATA_CACHE[key] = (train.images, train.labels, val.images, val.labels)
    xt, yt, xv, yv = _DATA_CACHE[key]
    return _scale(xt), yt, _scale(xv), yv


def _scale(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0)


# --------------------------------------------------------------------------- environment
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


# --------------------------------------------------------------------------- training
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


def compile_model(model, config: TrainConfig, steps: int = 1000):
    """Compile `model` for `config`: one loss per output (sparse or, with label smoothing,
    categorical cross-entropy on the softmax outputs) and `loss_weights(config)`."""
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
    model.compile(optimizer=_optimizer(config, steps), loss=losses, loss_weights=weights)
    return model


def compiled_loss_weights(model) -> list[float]:
    """The loss weights `model` was compiled with (read back from Keras's compile config)."""
    w = model.get_compile_config().get("loss_weights")
    if w is None:
        return [1.0] * len(model.outputs)
    return [float(v) for v in (w if isinstance(w, (list, tuple)) else [w])]


def _targets(y: np.ndarray, config: TrainConfig, n_out: int):
    if config.label_smoothing > 0:
        y = np.eye(config.data.classes, dtype=np.float32)[y]
    return [y] * n_out if n_out > 1 else [y]


def _progress_callback(progress: Optional[Progress], epochs: int, steps: int, lo: float, hi: float):
    import keras

    class _Cb(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch = 0
            self.last = 0.0
            self.losses: list[float] = []

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
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))

    return _Cb()


def _evaluate(model, x, y, batch_size) -> tuple[list[float], list[float]]:
    """Accuracy and mean cross-entropy of every head on (x, y)."""
    preds = model.predict(x, batch_size=batch_size, verbose=0)
    if not isinstance(preds, (list, tuple)):
        preds = [preds]
    accs, losses = [], []
    for p in preds:
        p = np.asarray(p, dtype=np.float64)
        accs.append(float(np.mean(np.argmax(p, axis=-1) == y)))
        losses.append(float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0)))))
    return accs, losses


def _fit(config: TrainConfig, data, dev: dict, progress: Optional[Progress], notes: list) -> dict:
    """Build, compile and fit the configured model; measure every head on the held-out images."""
    import keras

    import explorer

    report = progress or (lambda f, m: None)
    xt, yt, xv, yv = data
    kw = config.choice_kwargs()
    keras.utils.set_random_seed(config.seed)
    policy = keras.config.dtype_policy().name
    if config.mixed_precision:
        if dev["accelerators"] == 0:
            notes.append("mixed_precision on a CPU: float16 compute is emulated and slow")
        keras.config.set_dtype_policy("mixed_float16")
    steps = math.ceil(config.n_train / config.batch_size)
    strategy, strategy_label, note = _strategy(config, dev)
    notes.extend([note] if note else [])
    try:
        report(0.05, f"building {config.variant}")
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            model = explorer.build(config.variant, **kw)
            compile_model(model, config, steps * config.epochs)
        cb = _progress_callback(progress, config.epochs, steps, 0.05, 0.95)
        report(0.05, f"training {config.epochs} epoch(s) of {steps} steps")
        t1 = time.perf_counter()
        model.fit(xt, _targets(yt, config, len(model.outputs)), batch_size=config.batch_size,
                  epochs=config.epochs, shuffle=True, verbose=0, callbacks=[cb])
        train_s = time.perf_counter() - t1
        report(0.95, f"evaluating on {config.n_val} held-out images")
        accs, losses = _evaluate(model, xv, yv, max(config.batch_size, 128))
        weights = compiled_loss_weights(model)
    finally:
        if config.mixed_precision:
            keras.config.set_dtype_policy(policy)
    del model
    gc.collect()
    return {"accuracy": accs[0], "aux_accuracy": accs[1:], "loss": losses[0], "aux_loss": losses[1:],
            "train_loss": cb.losses, "loss_weights": weights, "train_s": round(train_s, 3),
            "strategy": strategy_label}


def train(config: TrainConfig, progress: Optional[Progress] = None) -> dict:
    """Train `config` once and measure it on held-out images.

    progress(fraction in [0, 1], message) is called while the data is drawn, during training
    (every batch, at most four times a second) and at the end.

    Returns a JSON-ready dict: accuracy (main head, held-out), aux_accuracy (one per aux head),
    loss / aux_loss (held-out cross-entropy), train_loss (weighted total, per epoch), chance,
    params / trainable_params / macs (of the configured model), loss_weights, wall_s (all of
    it), train_s (model.fit alone), data_s, backend, device, strategy, mixed_precision, notes,
    versions.
    """
    import explorer

    t0 = time.perf_counter()
    report = progress or (lambda f, m: None)
    c = config.resolved_choices()  # validates before any work
    cost = explorer.cost(config.variant, **config.choice_kwargs())
    dev = setup_devices()
    notes: list[str] = []
    report(0.0, f"drawing {config.n_train} + {config.n_val} shapes images ({config.image_size}px)")
    data = dataset(config)
    data_s = time.perf_counter() - t0
    fit = _fit(config, data, dev, progress, notes)
    result = {
        **fit,
        "chance": 1.0 / config.data.classes,
        "params": cost.params,
        "trainable_params": cost.trainable_params,
        "macs": cost.macs,
        "wall_s": round(time.perf_counter() - t0, 3),
        "data_s": round(data_s, 3),
        "backend": dev["backend"],
        "device": dev["device"],
        "mixed_precision": bool(config.mixed_precision),
        "resolved_choices": dataclasses.asdict(c),
        "notes": notes,
        "versions": versions(),
    }
    report(1.0, f"done: held-out accuracy {fit['accuracy']:.1%} (chance {1 / config.data.classes:.1%})")
    return result
