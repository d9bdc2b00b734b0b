"""Datasets for the ablation lab.

* :func:`make_shapes` - a procedural, seeded dataset whose class-deciding
  object varies widely in size and position (numpy + Pillow only).
* :func:`folder_dataset` - any folder of images arranged in class
  sub-folders (e.g. Imagenette), loaded with Keras (imported lazily).
"""

from __future__ import annotations

import os
from pathlib import Path

from .shapes import CLASS_NAMES, Shapes, ShapesConfig, make_shapes, train_val_split

__all__ = [
    "CLASS_NAMES",
    "Shapes",
    "ShapesConfig",
    "folder_classes",
    "folder_dataset",
    "train_root",
    "make_shapes",
    "train_val_split",
]

# The extensions keras.utils.image_dataset_from_directory accepts.
_IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_SUBSETS = ("training", "validation", "both")

_LAYOUT = (
    "Expected layout: <path>/<class_name>/<image files>, with one sub-folder per "
    "class (at least 2), e.g. imagenette/n01440764/*.JPEG"
)


def train_root(path) -> Path:
    """The folder that holds the class sub-folders for training: `path/train` when `path` has
    train/ and val/ sub-folders (Imagenette's layout), else `path`."""
    root = Path(os.fspath(path)).expanduser()
    return root / "train" if (root / "train").is_dir() and (root / "val").is_dir() else root


def folder_classes(path) -> list[str]:
    """The class sub-folders of an image folder (of its train/ when it has train/ and val/)."""
    root = train_root(path)
    if not root.is_dir():
        raise ValueError(f"Image folder does not exist: give a folder with one sub-folder per class "
                         f"(or train/ and val/ folders of those). Received: {str(path)!r}")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def folder_dataset(path, *, image_size: int, batch_size: int = 32,
                   validation_split: float = 0.2, seed: int = 0, subset: str = "both"):
    """Load a folder of images in class sub-folders as batched ``tf.data`` datasets.

    Uses ``keras.utils.image_dataset_from_directory`` with ``label_mode='int'``
    and ``image_size=(image_size, image_size)``; batches are
    ``(float32 (b, S, S, 3) in [0, 255], int32 (b,))``.

    Returns ``(train_ds, val_ds, class_names)``. With ``subset='training'`` the
    validation dataset is ``None``; with ``subset='validation'`` the training
    dataset is ``None``; with ``validation_split=0`` all images are in
    ``train_ds`` and ``val_ds`` is ``None``.
    """
    root = Path(os.fspath(path)).expanduser()
    if not root.exists():
        raise ValueError(f"Image folder does not exist. {_LAYOUT}. Received: path={str(path)!r}")
    if not root.is_dir():
        raise ValueError(f"Image path is not a folder. {_LAYOUT}. Received: path={str(path)!r}")
    class_dirs = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(class_dirs) < 2:
        raise ValueError(
            f"Image folder must contain at least 2 class sub-folders, found {len(class_dirs)}"
            f"{' (' + ', '.join(class_dirs) + ')' if class_dirs else ''}. {_LAYOUT}. "
            f"Received: path={str(path)!r}"
        )
    has_images = any(
        f.suffix.lower() in _IMAGE_EXTENSIONS
        for d in class_dirs
        for f in (root / d).rglob("*")
        if f.is_file()
    )
    if not has_images:
        raise ValueError(
            f"No image files ({', '.join(_IMAGE_EXTENSIONS)}) found in the class sub-folders. "
            f"{_LAYOUT}. Received: path={str(path)!r}"
        )
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
        raise ValueError(f"`image_size` must be a positive integer. Received: image_size={image_size!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    if subset not in _SUBSETS:
        raise ValueError(f"`subset` must be one of {_SUBSETS}. Received: subset={subset!r}")
    split = float(validation_split or 0.0)
    if not 0.0 <= split < 1.0:
        raise ValueError(
            f"`validation_split` must be in [0, 1). Received: validation_split={validation_split!r}"
        )

    import keras  # lazy: keeps `import explorer.data` light

    common = dict(
        labels="inferred",
        label_mode="int",
        class_names=class_dirs,
        image_size=(image_size, image_size),
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
    )
    if split == 0.0:
        ds = keras.utils.image_dataset_from_directory(str(root), **common)
        return ds, None, list(ds.class_names)
    ds = keras.utils.image_dataset_from_directory(
        str(root), validation_split=split, subset=subset, **common
    )
    if subset == "both":
        train_ds, val_ds = ds
        return train_ds, val_ds, list(train_ds.class_names)
    if subset == "training":
        return ds, None, list(ds.class_names)
    return None, ds, list(ds.class_names)
