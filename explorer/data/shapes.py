"""Procedural "shapes" dataset: one class-deciding object of widely varying
size and position on a cluttered, noisy, gradient background.

Only numpy and Pillow are used here, so the generator is cheap to import.

Every image is rendered from its own random generator seeded by
``(seed, index)``, so image ``i`` does not depend on how many images are
requested: ``make_shapes(10, seed=1)[:5] == make_shapes(5, seed=1)``.

Colours (background gradient, object colour, clutter colours) are drawn from
the same distribution whatever the class, so only the *shape* of the object
identifies its class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "CLASS_NAMES",
    "Shapes",
    "ShapesConfig",
    "make_shapes",
    "train_val_split",
]

CLASS_NAMES: tuple[str, ...] = ("disc", "square", "triangle", "cross", "ring", "stripes")

# Render at this multiple of the output size, then box-downsample (anti-aliasing).
# Pillow snaps coordinates to whole pixels, so small images get a finer canvas.
def _supersample(image_size: int) -> int:
    return 4 if image_size <= 96 else 2


# Minimum luminance difference (0..255) between the object colour and both ends
# of the background gradient.
_MIN_LUMA_CONTRAST = 60.0
# Maximum per-channel difference between the two ends of the background gradient.
_BG_GRADIENT_SPREAD = 60.0
# Ring: inner diameter / outer diameter.
_RING_INNER = 0.55
# Cross: arm width / circumscribed diameter.
_CROSS_ARM = 0.3


@dataclass(frozen=True)
class ShapesConfig:
    """How the shapes images are generated.

    ``min_scale``/``max_scale`` bound the object's size as a fraction of the
    image side; the size is the diameter of the circle circumscribing the
    object (so a disc of scale ``s`` is ``s * image_size`` pixels across and a
    square of scale ``s`` has side ``s * image_size / sqrt(2)``).
    """

    image_size: int = 64
    classes: int = 6
    min_scale: float = 0.12
    max_scale: float = 0.85
    clutter: int = 4
    noise: float = 0.08

    def __post_init__(self) -> None:
        if isinstance(self.image_size, bool) or not isinstance(self.image_size, (int, np.integer)) \
                or self.image_size < 16:
            raise ValueError(
                f"`image_size` must be an integer >= 16. Received: image_size={self.image_size!r}"
            )
        if isinstance(self.classes, bool) or not isinstance(self.classes, (int, np.integer)) \
                or not 2 <= self.classes <= len(CLASS_NAMES):
            raise ValueError(
                f"`classes` must be an integer between 2 and {len(CLASS_NAMES)}. "
                f"Received: classes={self.classes!r}"
            )
        if not (0.0 < self.min_scale < self.max_scale <= 1.0):
            raise ValueError(
                "`min_scale` and `max_scale` must satisfy 0 < min_scale < max_scale <= 1. "
                f"Received: min_scale={self.min_scale!r}, max_scale={self.max_scale!r}"
            )
        if isinstance(self.clutter, bool) or not isinstance(self.clutter, (int, np.integer)) \
                or self.clutter < 0:
            raise ValueError(
                f"`clutter` must be a non-negative integer. Received: clutter={self.clutter!r}"
            )
        if not (0.0 <= self.noise <= 1.0):
            raise ValueError(f"`noise` must be in [0, 1]. Received: noise={self.noise!r}")

    @property
    def class_names(self) -> tuple[str, ...]:
        return CLASS_NAMES[: self.classes]


@dataclass(frozen=True, eq=False)
class Shapes:
    """A batch of generated images with their labels and object geometry.

    ``images`` uint8 (n, S, S, 3); ``labels`` int32 (n,); ``scales`` float32 (n,)
    object size as a fraction of the image side; ``centers`` float32 (n, 2)
    object centre as (x, y) fractions of the image side, in [0, 1].

    Indexing with a slice, an integer array or a boolean mask returns a
    ``Shapes``; an integer index returns a ``Shapes`` of length 1.
    """

    images: np.ndarray
    labels: np.ndarray
    scales: np.ndarray
    centers: np.ndarray
    class_names: tuple[str, ...] = field(default=CLASS_NAMES)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: Any) -> "Shapes":
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"index {index} is out of range for Shapes of length {n}")
            index = slice(int(index) % n, int(index) % n + 1)
        return Shapes(
            images=self.images[index],
            labels=self.labels[index],
            scales=self.scales[index],
            centers=self.centers[index],
            class_names=self.class_names,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Shapes):
            return NotImplemented
        return (
            tuple(self.class_names) == tuple(other.class_names)
            and np.array_equal(self.images, other.images)
            and np.array_equal(self.labels, other.labels)
            and np.array_equal(self.scales, other.scales)
            and np.array_equal(self.centers, other.centers)
        )

    __hash__ = None  # type: ignore[assignment]  # holds mutable arrays

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[1])

    def __repr__(self) -> str:
        return (
            f"Shapes(n={len(self)}, image_size={self.images.shape[1:3]}, "
            f"class_names={self.class_names!r})"
        )


# --------------------------------------------------------------------------
# labels


def _labels(n: int, seed: int, classes: int) -> np.ndarray:
    """Balanced labels whose prefix does not depend on ``n``.

    Labels come in blocks of ``classes`` consecutive indices; each block is a
    seeded permutation of ``range(classes)``. Every full block holds each class
    once and the trailing partial block holds distinct classes, so class counts
    differ by at most one for any ``n``.
    """
    n_blocks = -(-n // classes)
    out = np.empty(n_blocks * classes, dtype=np.int32)
    for b in range(n_blocks):
        rng = np.random.default_rng([seed, b, 0x1ABE1])
        out[b * classes:(b + 1) * classes] = rng.permutation(classes)
    return out[:n]


# --------------------------------------------------------------------------
# geometry


def _polygon(radius_points: np.ndarray, cx: float, cy: float, theta: float) -> list[tuple[float, float]]:
    """Rotate (k, 2) points around the origin by ``theta`` and translate."""
    c, s = math.cos(theta), math.sin(theta)
    x = radius_points[:, 0] * c - radius_points[:, 1] * s + cx
    y = radius_points[:, 0] * s + radius_points[:, 1] * c + cy
    return list(zip(x.tolist(), y.tolist()))


def _unit_shapes() -> dict[str, list[np.ndarray]]:
    """Polygons for a circumscribed diameter of 1, centred on the origin."""
    r = 0.5
    square = np.array([[r * math.cos(a), r * math.sin(a)]
                       for a in (math.pi / 4 + k * math.pi / 2 for k in range(4))])
    triangle = np.array([[r * math.cos(a), r * math.sin(a)]
                         for a in (-math.pi / 2 + k * 2 * math.pi / 3 for k in range(3))])
    w = _CROSS_ARM / 2
    arm = math.sqrt(r * r - w * w)  # arm corners lie on the circumscribed circle
    cross = np.array([
        [-w, -arm], [w, -arm], [w, -w], [arm, -w], [arm, w], [w, w],
        [w, arm], [-w, arm], [-w, w], [-arm, w], [-arm, -w], [-w, -w],
    ])
    half = r / math.sqrt(2)  # half side of the inscribed square
    bar = 2 * half / 5
    stripes = [
        np.array([[x0, -half], [x0 + bar, -half], [x0 + bar, half], [x0, half]])
        for x0 in (-half, -half + 2 * bar, -half + 4 * bar)
    ]
    return {"square": [square], "triangle": [triangle], "cross": [cross], "stripes": stripes}


_UNIT_POLYGONS = _unit_shapes()


def _draw_object(draw: ImageDraw.ImageDraw, name: str, cx: float, cy: float,
                 diameter: float, theta: float) -> None:
    """Draw the class object (value 255) on a supersampled ``L`` mask."""
    r = diameter / 2
    if name == "disc":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    elif name == "ring":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        ri = r * _RING_INNER
        draw.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=0)
    else:
        for poly in _UNIT_POLYGONS[name]:
            draw.polygon(_polygon(poly * diameter, cx, cy, theta), fill=255)


# --------------------------------------------------------------------------
# colours


def _luma(rgb: np.ndarray) -> float:
    return float(rgb[0] * 0.299 + rgb[1] * 0.587 + rgb[2] * 0.114)


def _colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Background gradient ends and an object colour that contrasts with both."""
    bg0 = rng.uniform(0, 255, 3)
    bg1 = np.clip(bg0 + rng.uniform(-_BG_GRADIENT_SPREAD, _BG_GRADIENT_SPREAD, 3), 0, 255)
    candidates = rng.uniform(0, 255, (16, 3))
    l0, l1 = _luma(bg0), _luma(bg1)
    for fg in candidates:
        lf = _luma(fg)
        if abs(lf - l0) >= _MIN_LUMA_CONTRAST and abs(lf - l1) >= _MIN_LUMA_CONTRAST:
            return bg0, bg1, fg
    # Fallback: a grey far from the background's luminance.
    fg = np.full(3, 0.0 if (l0 + l1) / 2 > 127.5 else 255.0)
    return bg0, bg1, fg


_GRID_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    g = _GRID_CACHE.get(size)
    if g is None:
        coords = (np.arange(size, dtype=np.float32) + 0.5) / size
        g = (coords[None, :].repeat(size, 0), coords[:, None].repeat(size, 1))
        _GRID_CACHE[size] = g
    return g


# --------------------------------------------------------------------------
# rendering


def _render(seed: int, index: int, label: int, config: ShapesConfig
            ) -> tuple[np.ndarray, np.ndarray, float, tuple[float, float]]:
    """Render one image.

    Returns ``(image uint8 (S, S, 3), object_alpha float32 (S, S) in [0, 1],
    scale, (cx, cy))``. The alpha is the anti-aliased coverage of the class
    object (before clutter and noise), exposed for tests and debugging.
    """
    S = config.image_size
    ss = _supersample(S)
    big = S * ss
    rng = np.random.default_rng([seed, index])

    # Geometry: log-uniform scale, centre keeping the object inside the image.
    scale = float(np.exp(rng.uniform(math.log(config.min_scale), math.log(config.max_scale))))
    half = scale / 2
    cx = float(rng.uniform(half, 1.0 - half))
    cy = float(rng.uniform(half, 1.0 - half))
    theta = float(rng.uniform(0.0, 2 * math.pi))

    # Background: linear gradient along a random direction.
    bg0, bg1, fg = _colours(rng)
    phi = rng.uniform(0.0, 2 * math.pi)
    gx, gy = _grid(S)
    t = gx * math.cos(phi) + gy * math.sin(phi)
    t -= t.min()
    t /= max(float(t.max()), 1e-6)
    img = bg0.astype(np.float32) + t[..., None] * (bg1 - bg0).astype(np.float32)

    # Clutter: thin strokes and tiny blobs, drawn behind the object.
    if config.clutter:
        col_canvas = Image.new("RGB", (big, big))
        mask_canvas = Image.new("L", (big, big))
        dc, dm = ImageDraw.Draw(col_canvas), ImageDraw.Draw(mask_canvas)
        stroke_w = max(1, round(S / 64)) * ss
        blob_max = max(0.4 * config.min_scale * S, 1.5)
        for _ in range(config.clutter):
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            if rng.random() < 0.5:
                x0, y0 = rng.uniform(0, big, 2)
                pts = [(float(x0), float(y0))]
                for _seg in range(2):
                    length = rng.uniform(0.04, 0.12) * big
                    ang = rng.uniform(0, 2 * math.pi)
                    x0, y0 = x0 + length * math.cos(ang), y0 + length * math.sin(ang)
                    pts.append((float(x0), float(y0)))
                dc.line(pts, fill=colour, width=stroke_w, joint="curve")
                dm.line(pts, fill=255, width=stroke_w, joint="curve")
            else:
                d = rng.uniform(1.0, blob_max) * ss
                aspect = rng.uniform(0.5, 1.0)
                bx, by = rng.uniform(0, big, 2)
                box = [float(bx - d / 2), float(by - d * aspect / 2),
                       float(bx + d / 2), float(by + d * aspect / 2)]
                dc.ellipse(box, fill=colour)
                dm.ellipse(box, fill=255)
        clutter_rgb = np.asarray(col_canvas.reduce(ss), dtype=np.float32)
        clutter_a = np.asarray(mask_canvas.reduce(ss), dtype=np.float32) * (1.0 / 255.0)
        # The colour canvas is black where nothing was drawn, i.e. premultiplied.
        img = img * (1.0 - clutter_a[..., None]) + clutter_rgb

    # The object.
    obj = Image.new("L", (big, big))
    _draw_object(ImageDraw.Draw(obj), config.class_names[label],
                 cx * big, cy * big, scale * big, theta)
    alpha = np.asarray(obj.reduce(ss), dtype=np.float32) * (1.0 / 255.0)
    a3 = alpha[..., None]
    img = img * (1.0 - a3) + fg.astype(np.float32) * a3

    if config.noise > 0:
        img += rng.standard_normal((S, S, 3), dtype=np.float32) * np.float32(config.noise * 255.0)
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return image, alpha, scale, (cx, cy)


def make_shapes(n: int, *, seed: int = 0, config: ShapesConfig = ShapesConfig()) -> Shapes:
    """Generate ``n`` images; deterministic for ``(n, seed, config)``.

    Image ``i`` is rendered from a generator seeded by ``(seed, i)`` so a
    prefix of a larger dataset equals a smaller dataset with the same seed.
    Labels are balanced (per-class counts differ by at most one).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"`n` must be a non-negative integer. Received: n={n!r}")
    if not isinstance(config, ShapesConfig):
        raise ValueError(f"`config` must be a ShapesConfig. Received: config={config!r}")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer. Received: seed={seed!r}")
    n = int(n)
    S = config.image_size
    labels = _labels(n, seed, config.classes)
    images = np.empty((n, S, S, 3), dtype=np.uint8)
    scales = np.empty(n, dtype=np.float32)
    centers = np.empty((n, 2), dtype=np.float32)
    for i in range(n):
        images[i], _, scales[i], centers[i] = _render(seed, i, int(labels[i]), config)
    return Shapes(images=images, labels=labels, scales=scales, centers=centers,
                  class_names=config.class_names)


def train_val_split(shapes: Shapes, val_fraction: float = 0.2, seed: int = 0
                    ) -> tuple[Shapes, Shapes]:
    """Stratified, deterministic split into ``(train, val)``.

    For each class, ``round(count * val_fraction)`` randomly chosen samples go
    to validation. Both subsets keep the original order of the samples.
    """
    if not isinstance(shapes, Shapes):
        raise ValueError(f"`shapes` must be a Shapes. Received: {type(shapes).__name__}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"`val_fraction` must be in (0, 1). Received: val_fraction={val_fraction!r}")
    rng = np.random.default_rng([int(seed), 0x5B17])
    val_mask = np.zeros(len(shapes), dtype=bool)
    for c in range(shapes.num_classes):
        idx = np.flatnonzero(shapes.labels == c)
        k = int(round(len(idx) * val_fraction))
        if k:
            val_mask[rng.permutation(idx)[:k]] = True
    return shapes[~val_mask], shapes[val_mask]
