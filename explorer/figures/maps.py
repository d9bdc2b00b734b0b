"""Feature maps for people: colour maps, tiles of the strongest channels, a map over the photo,
which branch responds where."""
from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
from PIL import Image

from explorer.figures.style import N_, Translate, label_color, same, style


RESPONSE_TITLES = {"share": N_("Each branch's share of its module's activation"),
                   "mean": N_("Mean activation of each branch"),
                   "active_fraction": N_("Fraction of positive activations in each branch")}


def response_figure(rows: list[dict], metric: str = "share", tr: Translate = same):
    """Which branch (scale) responds where: per module, each branch's share of the module's total
    activation (or its mean activation / fraction of positive units)."""
    import plotly.graph_objects as go

    modules = list(dict.fromkeys(r["module"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    by = {(r["module"], r["label"]): r for r in rows}
    hover = tr("share {share}<br>mean {mean}<br>active {active}<br>{channels} channels")
    bars = []
    for i, lab in enumerate(labels):
        rs = [by.get((m, lab)) for m in modules]
        hov = ["" if r is None else f"{m} · {lab}<br>" + hover.format(
            share=f"{r['share']:.1%}", mean=f"{r['mean']:.4f}", active=f"{r['active_fraction']:.1%}",
            channels=r["channels"]) for m, r in zip(modules, rs)]
        bars.append(go.Bar(x=modules, y=[None if r is None else r[metric] for r in rs], name=lab,
                           marker_color=label_color(lab, i), hovertext=hov, hoverinfo="text"))
    fig = go.Figure(data=bars)  # all traces at once: adding them one by one re-validates the figure each time
    style(fig, title=tr(RESPONSE_TITLES[metric]), height=470)
    fig.update_layout(barmode="stack" if metric == "share" else "group", xaxis_tickangle=-45,
                      legend=dict(title=tr("branch")))
    if metric == "share":
        fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def _row(r) -> dict:
    """A `BranchSummary` (or its dict) as a flat dict (its fields are plain values and tuples)."""
    return {f.name: getattr(r, f.name) for f in dataclasses.fields(r)} if dataclasses.is_dataclass(r) else dict(r)


def response_rows(summary, maps: dict) -> list[dict]:
    """Rows for `response_figure` from the probe's summary (`BranchSummary` records or their dicts;
    branched modules only, the residual up-projection left out): share = channels x mean over the
    module's branches."""
    branched = {m for m, parts in maps.items() if any(k.startswith("b") and k[1:].isdigit() for k in parts)}
    rows = [_row(r) for r in summary]
    rows = [r for r in rows if r["module"] in branched and r["branch"] != "up"]
    totals: dict[str, float] = {}
    for r in rows:
        r["energy"] = max(r["mean"], 0.0) * r["channels"]
        totals[r["module"]] = totals.get(r["module"], 0.0) + r["energy"]
    for r in rows:
        t = totals[r["module"]]
        r["share"] = r["energy"] / t if t > 0 else 0.0
    return rows


# viridis, sampled at 9 points (matplotlib's table), for feature maps
_VIRIDIS = np.array([[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
                     [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]], np.float32)
# inferno, for overlays (dark = no response)
_INFERNO = np.array([[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66],
                     [245, 125, 21], [250, 193, 39], [252, 255, 164]], np.float32)


def colormap(x: np.ndarray, table: np.ndarray = _VIRIDIS) -> np.ndarray:
    """Values in [0, 1] -> uint8 RGB through a piecewise-linear colour table."""
    x = np.clip(np.nan_to_num(x.astype(np.float32)), 0.0, 1.0) * (len(table) - 1)
    lo = np.floor(x).astype(int)
    hi = np.minimum(lo + 1, len(table) - 1)
    f = (x - lo)[..., None]
    return (table[lo] * (1 - f) + table[hi] * f).astype(np.uint8)


def channel_order(a: np.ndarray) -> np.ndarray:
    """Channel indices of an (H, W, C) map, strongest (highest mean) first."""
    return np.argsort(-a.astype(np.float32).mean(axis=(0, 1)), kind="stable")


def _nearest(n: int, size: int) -> np.ndarray:
    """Source index of each of `size` output pixels when `n` pixels are scaled to `size` by
    nearest neighbour, sampled at pixel centres (what Pillow's NEAREST resize does)."""
    return np.minimum(((np.arange(size) + 0.5) * n / size).astype(np.int64), n - 1)


def tile_maps(a: np.ndarray, channels, cols: int = 4, tile: int = 112, pad: int = 4) -> np.ndarray:
    """A grid of the given channels' maps, on one colour scale per grid (so the strength of the
    channels can be compared), each upscaled to `tile` px (nearest: the real resolution shows).
    Vectorised: one colour lookup and one gather for all channels."""
    channels = list(channels)
    rows = max(1, math.ceil(len(channels) / cols))
    grid = np.full((rows * (tile + pad) + pad, cols * (tile + pad) + pad, 3), 255, np.uint8)
    if not channels:
        return grid
    sel = a[..., channels].astype(np.float32)  # (H, W, n)
    hi = float(np.max(sel)) if sel.size else 0.0
    lo = min(0.0, float(np.min(sel)))
    colours = colormap((sel - lo) / ((hi - lo) or 1.0))  # (H, W, n, 3)
    big = colours[_nearest(sel.shape[0], tile)][:, _nearest(sel.shape[1], tile)]  # (tile, tile, n, 3)
    for i in range(len(channels)):
        r, c = divmod(i, cols)
        y, x = pad + r * (tile + pad), pad + c * (tile + pad)
        grid[y:y + tile, x:x + tile] = big[:, :, i]
    return grid


def overlay(crop: np.ndarray, m: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """A feature map (H, W) upsampled (bilinear) onto the crop, inferno-coloured, blended."""
    m = m.astype(np.float32)
    lo, hi = float(m.min()), float(m.max())
    norm = (m - lo) / ((hi - lo) or 1.0)
    up = Image.fromarray((norm * 255).astype(np.uint8)).resize((crop.shape[1], crop.shape[0]),
                                                               Image.Resampling.BILINEAR)
    heat = colormap(np.asarray(up, np.float32) / 255.0, _INFERNO).astype(np.float32)
    out = crop.astype(np.float32) * (1 - alpha) + heat * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    """An RGB (or grey) uint8 image as PNG file bytes (for a download button)."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()
