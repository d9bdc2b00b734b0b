"""Tests for explorer.data: the procedural shapes dataset and folder loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.data import (
    CLASS_NAMES,
    Shapes,
    ShapesConfig,
    folder_dataset,
    make_shapes,
    train_val_split,
)
from explorer.data.shapes import _render

CLEAN = ShapesConfig(noise=0.0, clutter=0)


# --------------------------------------------------------------------------
# helpers


def _measure(image: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Foreground mask measured from a noise/clutter-free image.

    The background is a linear gradient: fit it per channel on the pixels the
    object does not cover, then call foreground every pixel that differs from
    the fitted background by more than half the object's contrast, i.e.
    pixels at least about half covered by the object.
    Returns (foreground mask, per-pixel max residual).
    """
    S = image.shape[0]
    yy, xx = np.mgrid[0:S, 0:S]
    design = np.stack([np.ones(S * S), xx.ravel(), yy.ravel()], axis=1)
    bg = alpha.ravel() == 0
    coef, *_ = np.linalg.lstsq(design[bg], image.reshape(-1, 3)[bg].astype(np.float64), rcond=None)
    residual = np.abs(image.reshape(-1, 3) - design @ coef).max(axis=1).reshape(S, S)
    contrast = np.median(residual[alpha > 0.99]) if np.any(alpha > 0.99) else residual.max()
    return residual > 0.5 * contrast, residual


def _bbox(mask: np.ndarray) -> tuple[float, float, float, float]:
    """(width, height, centre x, centre y) in pixels of a boolean mask."""
    ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return float(x1 - x0), float(y1 - y0), (x0 + x1) / 2, (y0 + y1) / 2


# --------------------------------------------------------------------------
# shapes, dtypes, indexing


def test_shapes_dtypes_and_ranges():
    cfg = ShapesConfig(image_size=40, classes=4)
    s = make_shapes(23, seed=3, config=cfg)
    assert isinstance(s, Shapes)
    assert len(s) == 23
    assert s.images.shape == (23, 40, 40, 3) and s.images.dtype == np.uint8
    assert s.labels.shape == (23,) and s.labels.dtype == np.int32
    assert s.scales.shape == (23,) and s.scales.dtype == np.float32
    assert s.centers.shape == (23, 2) and s.centers.dtype == np.float32
    assert s.class_names == CLASS_NAMES[:4]
    assert set(np.unique(s.labels)) == {0, 1, 2, 3}
    assert np.all((s.scales >= cfg.min_scale) & (s.scales <= cfg.max_scale))
    # The object's circumscribed circle lies inside the image.
    half = s.scales[:, None] / 2
    assert np.all(s.centers >= half - 1e-6) and np.all(s.centers <= 1 - half + 1e-6)
    # Images are not blank and use a real dynamic range.
    assert s.images.std() > 20


def test_class_names_and_default_config():
    assert len(CLASS_NAMES) == 6 and len(set(CLASS_NAMES)) == 6
    cfg = ShapesConfig()
    assert (cfg.image_size, cfg.classes, cfg.clutter) == (64, 6, 4)
    assert (cfg.min_scale, cfg.max_scale, cfg.noise) == (0.12, 0.85, 0.08)
    assert make_shapes(4).images.shape == (4, 64, 64, 3)


def test_empty_and_odd_sizes():
    empty = make_shapes(0)
    assert len(empty) == 0 and empty.images.shape == (0, 64, 64, 3)
    small = make_shapes(3, config=ShapesConfig(image_size=16))
    assert small.images.shape == (3, 16, 16, 3)
    odd = make_shapes(2, config=ShapesConfig(image_size=97, classes=2))
    assert odd.images.shape == (2, 97, 97, 3)
    assert set(odd.labels.tolist()) == {0, 1}


def test_indexing_returns_shapes():
    s = make_shapes(12, seed=2)
    head = s[:5]
    assert isinstance(head, Shapes) and len(head) == 5
    np.testing.assert_array_equal(head.images, s.images[:5])
    np.testing.assert_array_equal(head.labels, s.labels[:5])
    one = s[3]
    assert isinstance(one, Shapes) and len(one) == 1
    np.testing.assert_array_equal(one.images[0], s.images[3])
    assert s[-1] == s[11:12]
    picked = s[s.labels == 0]
    assert len(picked) == 2 and np.all(picked.labels == 0)
    with pytest.raises(IndexError):
        s[12]


# --------------------------------------------------------------------------
# determinism


def test_same_seed_is_identical():
    a = make_shapes(30, seed=7)
    b = make_shapes(30, seed=7)
    assert np.array_equal(a.images, b.images)
    assert np.array_equal(a.labels, b.labels)
    assert np.array_equal(a.scales, b.scales)
    assert np.array_equal(a.centers, b.centers)
    assert a == b


def test_different_seed_differs():
    a = make_shapes(30, seed=7)
    b = make_shapes(30, seed=8)
    assert not np.array_equal(a.images, b.images)
    assert not np.array_equal(a.scales, b.scales)
    assert not np.array_equal(a.labels, b.labels)
    # Not merely a re-ordering: no image of one appears in the other.
    assert not any(np.array_equal(a.images[i], b.images[j]) for i in range(30) for j in range(30))
    assert a != b


def test_prefix_does_not_depend_on_n():
    big = make_shapes(10, seed=1)
    small = make_shapes(5, seed=1)
    assert big[:5] == small
    assert np.array_equal(big.images[:5], small.images)
    assert np.array_equal(big.labels[:5], small.labels)
    assert np.array_equal(big.scales[:5], small.scales)
    assert np.array_equal(big.centers[:5], small.centers)
    # Also for a prefix that ends mid-way through a label block.
    assert make_shapes(17, seed=1)[:10] == big


def test_config_changes_images():
    a = make_shapes(6, seed=0)
    b = make_shapes(6, seed=0, config=ShapesConfig(noise=0.0))
    assert not np.array_equal(a.images, b.images)
    # Noise is drawn last, so geometry and labels do not change with it.
    assert np.array_equal(a.scales, b.scales) and np.array_equal(a.labels, b.labels)


# --------------------------------------------------------------------------
# balance


@pytest.mark.parametrize("n,classes", [(601, 6), (600, 6), (101, 4), (7, 2), (5, 6)])
def test_balanced_labels(n, classes):
    cfg = ShapesConfig(image_size=16, classes=classes, clutter=0)
    labels = make_shapes(n, seed=5, config=cfg).labels
    counts = np.bincount(labels, minlength=classes)
    assert counts.sum() == n and len(counts) == classes
    assert counts.max() - counts.min() <= 1
    # Labels are shuffled, not a plain i % classes cycle.
    if n >= 2 * classes:
        assert not np.array_equal(labels, np.arange(n) % classes)


# --------------------------------------------------------------------------
# geometry: size and position really vary, and the returned values are true


@pytest.fixture(scope="module")
def clean600():
    """600 noise- and clutter-free images plus each object's coverage alpha."""
    s = make_shapes(600, seed=11, config=CLEAN)
    alphas = np.stack([_render(11, i, int(s.labels[i]), CLEAN)[1] for i in range(len(s))])
    return s, alphas


def test_render_matches_make_shapes(clean600):
    s, _ = clean600
    for i in (0, 17, 599):
        img, _, scale, centre = _render(11, i, int(s.labels[i]), CLEAN)
        assert np.array_equal(img, s.images[i])
        assert np.isclose(scale, s.scales[i]) and np.allclose(centre, s.centers[i])


def test_measured_object_matches_returned_scale_and_center(clean600):
    s, alphas = clean600
    S = s.images.shape[1]
    sizes = []
    centres = []
    for i in range(len(s)):
        fg, residual = _measure(s.images[i], alphas[i])
        # The object is really visible: strong contrast where it fully covers.
        assert np.median(residual[alphas[i] > 0.99]) > 40, i
        # And the measured foreground is where the object was drawn.
        assert np.all(alphas[i][fg] > 0.25), i
        assert np.all(fg[alphas[i] > 0.75]), i
        w, h, cx, cy = _bbox(fg)
        d = float(s.scales[i]) * S  # circumscribed diameter in pixels
        size = max(w, h)
        # Every shape spans between 1/sqrt(2) (square, stripes) and 1 (disc) of
        # its circumscribed diameter, whatever its rotation.
        assert 0.68 * d - 2 <= size <= d + 2, (i, CLASS_NAMES[s.labels[i]], size, d)
        tol = 1.5 + (0.15 * d if CLASS_NAMES[s.labels[i]] == "triangle" else 0.0)
        assert abs(cx - s.centers[i, 0] * S) <= tol, (i, cx, s.centers[i])
        assert abs(cy - s.centers[i, 1] * S) <= tol, (i, cy, s.centers[i])
        sizes.append(size / S)
        centres.append((cx / S, cy / S))
    sizes = np.array(sizes)
    centres = np.array(centres)

    # Size varies by a large factor, both as returned and as measured.
    p5, p95 = np.percentile(s.scales, [5, 95])
    assert p95 / p5 >= 4.0, (p5, p95)
    m5, m95 = np.percentile(sizes, [5, 95])
    assert m95 / m5 >= 4.0, (m5, m95)
    # Log-uniform: about as many objects below the geometric mean as above.
    geo = np.sqrt(ShapesConfig().min_scale * ShapesConfig().max_scale)
    assert 0.4 < np.mean(s.scales < geo) < 0.6

    # Positions cover all four quadrants (returned and measured).
    for c in (s.centers, centres):
        left, top = c[:, 0] < 0.5, c[:, 1] < 0.5
        for q in (left & top, ~left & top, left & ~top, ~left & ~top):
            assert q.sum() >= 30, q.sum()


def test_each_class_draws_its_own_shape(clean600):
    """Coverage area / circumscribed-disc area matches the geometry of each class."""
    s, alphas = clean600
    S = s.images.shape[1]
    expected = {
        "disc": 1.0,
        "square": 2 / np.pi,
        "triangle": 3 * np.sqrt(3) / (4 * np.pi),
        "cross": None,  # computed below
        "ring": 1 - 0.55 ** 2,
        "stripes": 0.3 / (np.pi / 4),
    }
    w, arm = 0.3, np.sqrt(0.25 - 0.15 ** 2)
    expected["cross"] = (2 * (2 * arm * w) - w * w) / (np.pi / 4)
    ratio = alphas.sum(axis=(1, 2)) / (np.pi / 4 * (s.scales * S) ** 2)
    big = s.scales * S >= 16  # discretisation is coarse for tiny objects
    for c, name in enumerate(CLASS_NAMES):
        sel = (s.labels == c) & big
        assert sel.sum() >= 20
        assert abs(np.median(ratio[sel]) - expected[name]) < 0.035, (name, np.median(ratio[sel]))


def test_noise_level():
    noisy = make_shapes(20, seed=4, config=ShapesConfig(noise=0.08))
    clean = make_shapes(20, seed=4, config=ShapesConfig(noise=0.0))
    diff = noisy.images.astype(np.float32) - clean.images.astype(np.float32)
    # 0.08 * 255 = 20.4, a little less where clipping at 0/255 bites.
    assert 14.0 < diff.std() < 21.5, diff.std()
    assert abs(diff.mean()) < 2.0


def test_clutter_is_small_and_present():
    base = ShapesConfig(noise=0.0, clutter=0)
    clut = ShapesConfig(noise=0.0, clutter=4)
    a = make_shapes(50, seed=9, config=base)
    b = make_shapes(50, seed=9, config=clut)
    # Clutter does not move the object.
    assert np.array_equal(a.scales, b.scales) and np.array_equal(a.centers, b.centers)
    changed = np.abs(a.images.astype(int) - b.images.astype(int)).max(axis=-1) > 10
    per_image = changed.mean(axis=(1, 2))
    assert np.mean(per_image > 0) > 0.9  # almost every image has visible clutter
    assert per_image.mean() < 0.05  # ... which covers only a few percent of it
    assert per_image.max() < 0.12


def test_mean_colour_does_not_give_away_the_class():
    cfg = ShapesConfig()
    train = make_shapes(600, seed=0, config=cfg)
    test = make_shapes(600, seed=1, config=cfg)
    f_train = train.images.reshape(600, -1, 3).mean(axis=1)
    f_test = test.images.reshape(600, -1, 3).mean(axis=1)
    means = np.stack([f_train[train.labels == c].mean(axis=0) for c in range(cfg.classes)])
    pred = np.argmin(((f_test[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    acc = float(np.mean(pred == test.labels))
    assert acc < 1 / cfg.classes + 0.15, acc
    # Colour is not a function of class: every class shows a wide range of colours.
    for c in range(cfg.classes):
        assert f_train[train.labels == c].std(axis=0).min() > 20


def test_object_and_background_colours_do_not_depend_on_class(clean600):
    s, alphas = clean600
    n = len(s)
    obj = np.zeros((n, 3))
    bg = np.zeros((n, 3))
    keep = np.zeros(n, dtype=bool)
    for i in range(n):
        inside, outside = alphas[i] > 0.9, alphas[i] == 0
        if inside.any():
            keep[i] = True
            obj[i] = s.images[i][inside].mean(axis=0)
        bg[i] = s.images[i][outside].mean(axis=0)
    assert keep.mean() > 0.95
    k = 1 / s.num_classes + 0.15
    labels = s.labels
    half = np.arange(n) < n // 2
    for feats, sel in ((obj, keep), (bg, np.ones(n, dtype=bool))):
        tr, te = sel & half, sel & ~half
        means = np.stack([feats[tr & (labels == c)].mean(axis=0) for c in range(s.num_classes)])
        pred = np.argmin(((feats[te][:, None, :] - means[None]) ** 2).sum(-1), axis=1)
        assert np.mean(pred == labels[te]) < k
        for c in range(s.num_classes):
            assert feats[sel & (labels == c)].std(axis=0).min() > 40, c


# --------------------------------------------------------------------------
# validation


@pytest.mark.parametrize(
    "kwargs",
    [
        {"classes": 1},
        {"classes": 99},
        {"classes": 0},
        {"min_scale": 0.5, "max_scale": 0.5},
        {"min_scale": 0.6, "max_scale": 0.5},
        {"min_scale": 0.0},
        {"max_scale": 1.5},
        {"image_size": 15},
        {"image_size": 8},
        {"clutter": -1},
        {"noise": -0.1},
    ],
)
def test_config_validation(kwargs):
    with pytest.raises(ValueError, match="Received"):
        ShapesConfig(**kwargs)


def test_make_shapes_validation():
    with pytest.raises(ValueError, match="Received"):
        make_shapes(-1)
    with pytest.raises(ValueError, match="Received"):
        make_shapes(3, config={"classes": 3})


# --------------------------------------------------------------------------
# train/val split


def test_train_val_split_stratified_and_deterministic():
    s = make_shapes(120, seed=3, config=ShapesConfig(image_size=16))
    tr, va = train_val_split(s, val_fraction=0.25, seed=0)
    assert isinstance(tr, Shapes) and isinstance(va, Shapes)
    assert len(tr) + len(va) == 120 and len(va) == 30
    assert np.array_equal(np.bincount(va.labels, minlength=6), [5] * 6)
    assert np.array_equal(np.bincount(tr.labels, minlength=6), [15] * 6)
    # Disjoint and complete: every sample lands in exactly one subset.
    keys = lambda x: {(float(a), float(b), float(c)) for a, (b, c) in zip(x.scales, x.centers)}  # noqa: E731
    assert keys(tr).isdisjoint(keys(va)) and keys(tr) | keys(va) == keys(s)
    tr2, va2 = train_val_split(s, val_fraction=0.25, seed=0)
    assert tr2 == tr and va2 == va
    _, va3 = train_val_split(s, val_fraction=0.25, seed=1)
    assert va3 != va
    with pytest.raises(ValueError, match="Received"):
        train_val_split(s, val_fraction=1.0)
    with pytest.raises(ValueError, match="Received"):
        train_val_split(s, val_fraction=0.0)


# --------------------------------------------------------------------------
# folder_dataset


def _write_folder(root: Path, classes=("cats", "dogs"), per_class=4) -> Path:
    rng = np.random.default_rng(0)
    for name in classes:
        d = root / name
        d.mkdir(parents=True)
        for k in range(per_class):
            arr = rng.integers(0, 256, (20 + k, 24, 3), dtype=np.uint8)
            Image.fromarray(arr).save(d / f"img{k}.png")
    return root


def test_folder_dataset_loads(tmp_path):
    root = _write_folder(tmp_path / "imgs")
    train_ds, val_ds, names = folder_dataset(root, image_size=32, batch_size=4,
                                             validation_split=0.25, seed=0)
    assert names == ["cats", "dogs"]
    x, y = next(iter(train_ds))
    assert tuple(x.shape)[1:] == (32, 32, 3) and 1 <= x.shape[0] <= 4
    assert tuple(y.shape) == (x.shape[0],)
    assert y.dtype.name == "int32" and set(np.asarray(y).tolist()) <= {0, 1}
    n_train = sum(int(b[0].shape[0]) for b in train_ds)
    n_val = sum(int(b[0].shape[0]) for b in val_ds)
    assert (n_train, n_val) == (6, 2)

    tr_only, none_val, _ = folder_dataset(str(root), image_size=16, subset="training")
    assert none_val is None and tuple(next(iter(tr_only))[0].shape)[1:] == (16, 16, 3)
    all_ds, no_val, _ = folder_dataset(root, image_size=16, validation_split=0.0)
    assert no_val is None and sum(int(b[0].shape[0]) for b in all_ds) == 8


def test_folder_dataset_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        folder_dataset(tmp_path / "missing", image_size=32)
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(flat / "a.png")
    with pytest.raises(ValueError, match="class sub-folders"):
        folder_dataset(flat, image_size=32)
    one = _write_folder(tmp_path / "one", classes=("only",))
    with pytest.raises(ValueError, match="at least 2"):
        folder_dataset(one, image_size=32)
    empty = tmp_path / "empty"
    (empty / "a").mkdir(parents=True)
    (empty / "b").mkdir()
    with pytest.raises(ValueError, match="No image files"):
        folder_dataset(empty, image_size=32)
    ok = _write_folder(tmp_path / "ok")
    with pytest.raises(ValueError, match="Received"):
        folder_dataset(ok, image_size=32, subset="train")
