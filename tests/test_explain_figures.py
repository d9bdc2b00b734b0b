"""The Explain figures (`explorer.figures.explain`): plain data in, checked values out (no Keras)."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.figures.explain import (cell_decimals, feature_map_figure, heat_overlay, knockout_figure, knockout_value,
                                      rf_overlay, share_figure, top_change_rows)


def _crop(h=40, w=50):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_heat_overlay_keeps_the_photo_where_there_is_no_evidence():
    crop = _crop()
    heat = np.zeros((40, 50), np.float32)
    heat[10:20, 10:20] = 1.0
    out = heat_overlay(crop, heat, alpha=0.6)
    assert out.shape == crop.shape and out.dtype == np.uint8
    assert np.array_equal(out[30:, 30:], crop[30:, 30:])
    assert np.abs(out[12:18, 12:18].astype(int) - crop[12:18, 12:18]).mean() > 20
    small = heat_overlay(crop, np.ones((5, 5), np.float32) * 0.5)  # resized to the crop
    assert small.shape == crop.shape and not np.array_equal(small, crop)


def test_rf_overlay_dims_outside_the_box_only():
    crop = np.full((60, 60, 3), 200, np.uint8)
    out = rf_overlay(crop, (10, 20, 30, 40), centre=(20, 30), dim=0.5)
    assert np.array_equal(out[12:16, 22:26], crop[12:16, 22:26])  # inside, away from outline and centre mark
    assert (out[50, 5] == 100).all() and (out[5, 50] == 100).all()  # outside: dimmed by half
    assert tuple(out[10, 30]) == (255, 45, 85)  # the outline


ROWS = [{"module": m, "branch": b, "label": lab, "p_zero": pz, "p_mean": pm, "delta_zero": pz - 0.2,
         "delta_mean": pm - 0.2, "top1_zero": "cat", "top1_mean": "dog"}
        for m, b, lab, pz, pm in (("m1", "b1", "1x1", 0.1, 0.15), ("m1", "b2", "3x3", 0.3, 0.2),
                                  ("m2", "b1", "1x1", 0.2, 0.25), ("m2", "b3", "pool", 0.25, 0.2))]


def test_knockout_heatmap_is_module_by_branch_around_zero():
    fig = knockout_figure(ROWS, 0.2, "cat", "relative")
    heat = fig.data[0]
    assert list(heat.y) == ["m1", "m2"] and list(heat.x) == ["b1", "b2", "b3"]
    assert heat.z[0][0] == pytest.approx(-50.0) and heat.z[0][1] == pytest.approx(50.0)
    assert heat.z[0][2] is None and heat.z[1][2] == pytest.approx(25.0)  # m1 has no b3
    assert heat.zmid == 0 and heat.zmax == pytest.approx(50.0) and heat.zmin == pytest.approx(-50.0)
    points = knockout_figure(ROWS, 0.2, "cat", "points", "mean").data[0]
    assert points.z[0][0] == pytest.approx(-5.0) and "3x3" in points.text[0][1]
    assert knockout_value(ROWS[1], 0.0, "relative") == 0.0
    assert heat.text[0][0].endswith("-50.0")
    tiny = knockout_figure(ROWS, 200.0, "cat", "relative").data[0]  # changes of at most 0.05%
    assert tiny.text[0][0].endswith("-0.050") and tiny.text[1][2].endswith("+0.025")
    assert [cell_decimals(v, 1) for v in (0.0, 4.3, 0.13, 0.013, 1e-9)] == [1, 1, 2, 3, 6]
    with pytest.raises(ValueError, match="Received: 'log'"):
        knockout_figure(ROWS, 0.2, "cat", "log")


def test_feature_map_figure_has_a_clickable_marker_per_unit():
    fig = feature_map_figure(np.arange(12, dtype=np.float32).reshape(3, 4), "t", selected=(2, 1))
    units, ring = fig.data[1], fig.data[2]
    assert len(units.x) == 12 and units.hoverinfo == "none"  # "skip" would swallow the clicks
    assert (ring.y[0], ring.x[0]) == (2, 1)
    assert list(fig.layout.xaxis.range) == [-0.5, 3.5] and list(fig.layout.yaxis.range) == [2.5, -0.5]


def test_share_bars_and_top5_change_rows():
    fig = share_figure(["1x1", "3x3"], [0.25, 0.75], [0.1, -0.2], "t")
    assert list(fig.data[0].x) == [0.25, 0.75] and list(fig.data[0].text) == ["25%", "75%"]
    rows = top_change_rows([(3, "cat", 0.5, 0.25)])
    assert rows == [{"class": "cat", "p": 50.0, "intact": 25.0, "change": 25.0}]
