"""Feature-map tiles (explorer/figures/maps.py): the vectorised grid equals drawing each channel
with Pillow's nearest-neighbour resize, on one colour scale per grid."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from explorer.figures.maps import colormap, tile_maps


def _one_by_one(a, channels, cols=4, tile=112, pad=4):
    """The reference: every channel coloured and resized on its own with Pillow."""
    rows = max(1, math.ceil(len(channels) / cols))
    grid = np.full((rows * (tile + pad) + pad, cols * (tile + pad) + pad, 3), 255, np.uint8)
    sel = a[..., channels].astype(np.float32)
    lo, hi = min(0.0, float(sel.min())), float(sel.max())
    for i, ch in enumerate(channels):
        r, c = divmod(i, cols)
        img = colormap((a[..., ch].astype(np.float32) - lo) / ((hi - lo) or 1.0))
        img = np.asarray(Image.fromarray(img).resize((tile, tile), Image.Resampling.NEAREST))
        y, x = pad + r * (tile + pad), pad + c * (tile + pad)
        grid[y:y + tile, x:x + tile] = img
    return grid


@pytest.mark.parametrize("h, w, tile", [(35, 35, 112), (17, 17, 112), (8, 8, 112), (147, 147, 112),
                                        (7, 9, 256), (299, 299, 112), (1, 1, 37), (71, 71, 37)])
def test_tiles_equal_pillows_nearest_resize_channel_by_channel(h, w, tile):
    rng = np.random.default_rng(h * 1000 + w)
    a = rng.normal(size=(h, w, 20)).astype(np.float16)
    channels = [int(c) for c in rng.permutation(20)[:13]]
    got = tile_maps(a, channels, tile=tile)
    assert got.dtype == np.uint8 and got.shape == (4 * (tile + 4) + 4, 4 * (tile + 4) + 4, 3)
    assert np.array_equal(got, _one_by_one(a, channels, tile=tile))
    assert (got[-(tile + 4):, -(tile + 4):] == 255).all()  # the 3 empty cells of the last row stay white
