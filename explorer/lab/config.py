"""`TrainConfig`: everything that decides one training run (frozen, hashable, JSON round-trip).

The run's identity (`explorer.lab.sweep.run_id`) is a hash of `to_dict()`, so every field here
changes which runs a results file already holds.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from explorer.data import ShapesConfig, folder_classes

OPTIMIZERS = ("adam", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine")
# "reestimate": before every evaluation the BN moving statistics are recomputed on training
# images with the current weights (a cumulative average over batches); "moving": Keras's
# exponential moving averages as training left them (momentum 0.99: a window of ~100 steps).
BN_STATS = ("reestimate", "moving")
# Easier images for quick demonstrations and tests: no clutter, no noise, objects at least 35% of
# the image side (they still vary in size, position, colour and rotation).
QUICK_DATA = ShapesConfig(clutter=0, noise=0.0, min_scale=0.35)
# Choices the lab sets itself (from image_size and the data's classes).
_LAB_SET = ("input_size", "classes")
# Known image sets: name -> number of classes (the folder decides for a directory).
NAMED_IMAGES = {"imagenette": 10}


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
                     (`image_size`, the data's classes), not here.
    n_train:         training images (for an image folder: at most this many).
    n_tune:          of those, how many are held out as the *validation split* (the last n_tune of
                     the training stream): the model trains on n_train - n_tune images and the
                     validation split is what a learning rate is chosen on, never the held-out set.
    n_val:           held-out (test) images: an independent stream of the generator, or an image
                     folder's held-out part (at most this many).
    image_size:      image side in pixels; also the model's input size.
    epochs, batch_size, optimizer ("adam" / "sgd" (momentum 0.9) / "rmsprop"), learning_rate,
    schedule ("constant" / "cosine" decay to 0 over the run), label_smoothing (0 = off),
    aux_weight:      the weight of each auxiliary head's loss (GoogLeNet: 0.3).
    bn_stats:        "reestimate" (default): BN statistics recomputed on training images before
                     every evaluation; "moving": Keras's moving averages as training left them.
    mixed_precision: "mixed_float16" compute (a GPU feature; on a CPU it only slows things down).
    multi_gpu:       tf.distribute.MirroredStrategy over all GPUs (TensorFlow backend with two or
                     more GPUs; otherwise noted in the result and trained on one device).
    seed:            weight initialisation, dropout and shuffling (`keras.utils.set_random_seed`).
    data_seed:       which images (the same for every training seed, so seeds measure training
                     noise on fixed data).
    data:            how the shapes are drawn (its image_size is replaced by `image_size`).
    images:          "" = the synthetic shapes; a folder of class sub-folders; or "imagenette".
    augment:         random flips, shifts and zooms (Keras layers) on the training images.
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
    n_tune: int = 0
    bn_stats: str = "reestimate"
    images: str = ""
    augment: bool = False

    def __post_init__(self):
        object.__setattr__(self, "choices", _freeze_choices(self.choices))
        for key in _LAB_SET:
            if key in dict(self.choices):
                raise ValueError(f"{key!r} is set by the lab (input_size = image_size, classes = "
                                 f"the data's classes); leave it out of choices. Received: choices={self.choices!r}")
        for name in ("n_train", "n_val", "epochs", "batch_size", "image_size", "seed", "data_seed", "n_tune"):
            v = getattr(self, name)
            low = 0 if name in ("seed", "data_seed", "n_tune") else 1
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}. Received: {name}={v!r}")
        if self.n_tune and self.n_train - self.n_tune < self.batch_size:
            raise ValueError(f"n_tune leaves fewer training images than one batch: n_train - n_tune must be "
                             f">= batch_size ({self.batch_size}). Received: n_train={self.n_train}, "
                             f"n_tune={self.n_tune}")
        self._check_options()
        if self.data.image_size != self.image_size:
            object.__setattr__(self, "data", dataclasses.replace(self.data, image_size=self.image_size))

    def _check_options(self) -> None:
        for name, valid in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("bn_stats", BN_STATS)):
            if getattr(self, name) not in valid:
                raise ValueError(f"{name} must be one of {valid}. Received: {name}={getattr(self, name)!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0. Received: learning_rate={self.learning_rate!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1). Received: label_smoothing={self.label_smoothing!r}")
        if not self.aux_weight >= 0:
            raise ValueError(f"aux_weight must be >= 0. Received: aux_weight={self.aux_weight!r}")
        if not isinstance(self.data, ShapesConfig):
            raise ValueError(f"data must be a ShapesConfig. Received: data={self.data!r}")
        if not isinstance(self.images, str):
            raise ValueError(f"images must be '' (shapes), a folder path or one of {sorted(NAMED_IMAGES)}. "
                             f"Received: images={self.images!r}")

    # ----------------------------------------------------------------- derived
    @property
    def classes(self) -> int:
        """Number of classes of the data: the shapes' classes, a named set's, or a folder's
        class sub-folders (its train/ sub-folder when it has one)."""
        if not self.images:
            return self.data.classes
        if self.images in NAMED_IMAGES:
            return NAMED_IMAGES[self.images]
        return len(folder_classes(self.images))

    @property
    def n_fit(self) -> int:
        """Images the model trains on (n_train - n_tune)."""
        return self.n_train - self.n_tune

    def choice_kwargs(self) -> dict:
        """The keyword arguments for `explorer.build` / `explorer.cost`."""
        return {**dict(self.choices), "input_size": self.image_size, "classes": self.classes}

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
        # records written before bn_stats existed were evaluated with the moving averages
        d.setdefault("bn_stats", "moving")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})
