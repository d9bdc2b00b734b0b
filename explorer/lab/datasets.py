"""The lab's data: the synthetic shapes (offline default), any folder of class sub-folders, and
fast.ai's Imagenette (downloaded once into the Keras cache).

`dataset(config)` returns a dict of float32 arrays ready for `model.fit`:
    x_fit, y_fit          what the model trains on (n_train - n_tune images)
    x_tune, y_tune        the validation split: the last n_tune training images (learning-rate choice)
    x_heldout, y_heldout  the held-out images (never used to choose anything)
    class_names, source   the classes and a one-line description of where the images come from

Shapes are scaled to [-1, 1] (as every shipped result was). Folder images get the variant's own
preprocessing (`spec.normalization`: GoogLeNet and BN-Inception "torch", the others "tf"), the
same as for photos in the app.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np

from explorer.data import folder_dataset, make_shapes
from explorer.data import folder_classes, train_root as _train_root
from explorer.lab.config import TrainConfig

# The validation images come from a separate stream of the generator: image i of the held-out set
# is rendered from seed (data_seed + VAL_SEED_OFFSET, i), never one of the training images.
VAL_SEED_OFFSET = 1_000_003
# A folder without train/ and val/ sub-folders: this fraction of its images is held out.
HELDOUT_FRACTION = 0.2
IMAGENETTE_URL = "https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz"
IMAGENETTE_FILE = "imagenette2-160.tgz"
IMAGENETTE_CLASSES = {  # WordNet id -> ImageNet class name (fast.ai's Imagenette README)
    "n01440764": "tench", "n02102040": "English springer", "n02979186": "cassette player",
    "n03000684": "chain saw", "n03028079": "church", "n03394916": "French horn",
    "n03417042": "garbage truck", "n03425413": "gas pump", "n03445777": "golf ball",
    "n03888605": "parachute"}
DOWNLOAD_TIMEOUT_S = 10.0

_CACHE: dict = {}


class DataError(ValueError):
    """The images cannot be had: a missing or malformed folder, or a download that failed."""


__all__ = ["DataError", "dataset", "folder_classes", "imagenette_dir", "normalize"]


def _scale(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0)


def _cached(key, make):
    if key not in _CACHE:
        while len(_CACHE) >= 2:  # the last two data sets (a sweep draws its images once)
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = make()
    return _CACHE[key]


def dataset(config: TrainConfig) -> dict:
    """The images of `config` (see the module docstring); cached in memory across runs."""
    if config.images:
        return _folder_data(config)
    key = ("shapes", config.n_train, config.n_val, config.data_seed, config.data)

    def make():
        train = make_shapes(config.n_train, seed=config.data_seed, config=config.data)
        held = make_shapes(config.n_val, seed=config.data_seed + VAL_SEED_OFFSET, config=config.data)
        return train.images, train.labels, held.images, held.labels

    xt, yt, xh, yh = _cached(key, make)
    from explorer.data import CLASS_NAMES

    return _split(_scale(xt), yt, _scale(xh), yh, config.n_tune, list(CLASS_NAMES[:config.data.classes]),
                  f"synthetic shapes ({config.n_train} training stream, {config.n_val} held-out stream)")


def _split(xt, yt, xh, yh, n_tune: int, class_names: list, source: str) -> dict:
    n_fit = len(xt) - n_tune
    return {"x_fit": xt[:n_fit], "y_fit": yt[:n_fit], "x_tune": xt[n_fit:], "y_tune": yt[n_fit:],
            "x_heldout": xh, "y_heldout": yh, "class_names": class_names, "source": source}


# --------------------------------------------------------------------------- folders
def _to_numpy(ds, limit: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys, n = [], [], 0
    for x, y in ds:
        xs.append(np.clip(np.rint(np.asarray(x)), 0, 255).astype(np.uint8))
        ys.append(np.asarray(y, dtype=np.int32))
        n += len(ys[-1])
        if n >= limit:
            break
    if not xs:
        raise DataError("No images could be read from the folder.")
    return np.concatenate(xs)[:limit], np.concatenate(ys)[:limit]


def _folder_arrays(base: Path, config: TrainConfig):
    """uint8 (train, held-out) arrays of a folder: train/ and val/ when it has them, else a
    seeded split holding out HELDOUT_FRACTION."""
    size, seed, root = config.image_size, config.data_seed, _train_root(base)
    if root != base:
        train, _, names = folder_dataset(root, image_size=size, batch_size=256, validation_split=0, seed=seed)
        held, _, held_names = folder_dataset(root.parent / "val", image_size=size, batch_size=256,
                                             validation_split=0, seed=seed)
        if held_names != names:
            raise DataError(f"train/ and val/ have different class folders ({len(names)} vs "
                            f"{len(held_names)}). Received: {str(root.parent)!r}")
    else:
        train, held, names = folder_dataset(root, image_size=size, batch_size=256,
                                            validation_split=HELDOUT_FRACTION, seed=seed, subset="both")
    xt, yt = _to_numpy(train, config.n_train)
    xh, yh = _to_numpy(held, config.n_val)
    return xt, yt, xh, yh, names


def normalize(x: np.ndarray, variant: str) -> np.ndarray:
    """uint8 RGB images -> float32, with the variant's preprocessing (as `explorer.preprocess`)."""
    import explorer
    from explorer.inference.images import normalize_array

    return normalize_array(x, explorer.get_spec(variant).normalization)


def _folder_data(config: TrainConfig) -> dict:
    base = Path(imagenette_dir() if config.images == "imagenette" else config.images).expanduser()
    root = _train_root(base)
    try:
        key = ("folder", str(root), config.image_size, config.n_train, config.n_val, config.data_seed)
        xt, yt, xh, yh, names = _cached(key, lambda: _folder_arrays(base, config))
    except ValueError as e:
        raise DataError(str(e)) from None
    if len(xt) <= config.n_tune + config.batch_size:
        raise DataError(f"{len(xt)} training images in {root}: too few for a validation split of "
                        f"{config.n_tune} and batches of {config.batch_size}. Received: n_tune={config.n_tune}")
    names = [IMAGENETTE_CLASSES.get(n, n) for n in names]
    where = "Imagenette (160 px)" if config.images == "imagenette" else str(config.images)
    return _split(normalize(xt, config.variant), yt, normalize(xh, config.variant), yh, config.n_tune, names,
                  f"{where}: {len(xt)} training, {len(xh)} held-out images, {len(names)} classes")


# --------------------------------------------------------------------------- Imagenette
def imagenette_dir() -> Path:
    """The extracted Imagenette folder (with train/ and val/), downloaded once through
    `keras.utils.get_file` into the Keras cache ($KERAS_HOME/datasets). DataError when it is not
    cached and cannot be downloaded (offline), saying what to do."""
    import keras

    from explorer.inference.weights import keras_home

    cache = keras_home() / "datasets"
    found = _find_imagenette(cache)
    if found is not None:
        return found
    if not (cache / IMAGENETTE_FILE).is_file():
        try:
            _reachable(IMAGENETTE_URL)
        except OSError as e:
            raise DataError(
                f"Could not download Imagenette (no network?): {e}. Offline, download {IMAGENETTE_URL} on "
                f"a machine with internet and either put it at {cache / IMAGENETTE_FILE} or extract it and "
                f"pass its folder: --data path/to/imagenette2-160. The synthetic shapes (the default) "
                f"need no download.") from None
    try:
        path = keras.utils.get_file(IMAGENETTE_FILE, IMAGENETTE_URL, extract=True, cache_dir=str(keras_home()),
                                    cache_subdir="datasets")
    except Exception as e:  # noqa: BLE001 - urllib / tarfile errors mean the same to a user
        raise DataError(f"Could not download or extract Imagenette from {IMAGENETTE_URL}: {e}") from None
    found = _find_imagenette(Path(path)) or _find_imagenette(cache)
    if found is None:
        raise DataError(f"The Imagenette archive in {cache} has no train/ and val/ folders; delete it and "
                        f"try again. Received: {path}")
    return found


def _find_imagenette(base: Path):
    for cand in (base / "imagenette2-160_extracted" / "imagenette2-160", base / "imagenette2-160", base):
        if (cand / "train").is_dir() and (cand / "val").is_dir():
            return cand
    return None


def _reachable(url: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> None:
    """Connect to `url`'s host within `timeout` s (keras.utils.get_file has no timeout)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout):
        pass
