"""Figures of what each branch contributes (`explorer.explain`): Grad-CAM heat over the photo,
each branch's share of the evidence, the module x branch knock-out heatmap, a clickable feature
map and a unit's receptive field drawn on the photo. Plain data in (arrays, dicts, tuples), no
Keras, no Streamlit."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

from explorer.figures.maps import colormap
from explorer.figures.style import N_, Translate, label_color, same, style

# "jet", the colour map of the Grad-CAM paper's figures, sampled at 9 points
_JET = np.array([[0, 0, 131], [0, 60, 255], [0, 180, 255], [60, 255, 200], [160, 255, 100],
                 [255, 220, 0], [255, 120, 0], [220, 20, 0], [128, 0, 0]], np.float32)
MEASURES = {"relative": N_("change of the class's probability, % of its intact value"),
            "points": N_("change of the class's probability, percentage points")}


def heat_overlay(crop: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """A map already in [0, 1] (kept on its own scale: a weak map stays dark) over the crop, jet
    coloured where it is positive; resized to the crop if needed."""
    heat = np.clip(np.nan_to_num(heat.astype(np.float32)), 0.0, 1.0)
    if heat.shape != crop.shape[:2]:
        heat = np.asarray(Image.fromarray(heat).resize((crop.shape[1], crop.shape[0]),
                                                                 Image.Resampling.BILINEAR), np.float32)
    colour = colormap(heat, _JET).astype(np.float32)
    weight = alpha * np.sqrt(heat)[..., None]  # no evidence: the photo shows through
    out = crop.astype(np.float32) * (1 - weight) + colour * weight
    return np.clip(out, 0, 255).astype(np.uint8)


def share_figure(labels: Sequence[str], shares: Sequence[float], gate_gradients: Sequence[float], title: str,
                 tr: Translate = same):
    """Each branch's share of the module's positive Grad-CAM evidence (bars), with the first-order
    knock-out estimate (activation x gradient) in the hover."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(
        x=list(shares), y=list(labels), orientation="h", marker_color=[label_color(lab, i) for i, lab in enumerate(labels)],
        text=[f"{s:.0%}" for s in shares], textposition="auto",
        customdata=[f"{g:+.3g}" for g in gate_gradients],
        hovertemplate="%{y}: %{x:.1%} " + tr("of the evidence") + "<br>" + tr("activation × gradient")
        + ": %{customdata}<extra></extra>"))
    style(fig, title=title, height=120 + 48 * len(labels))
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title=tr("share of the module's positive Grad-CAM evidence"))
    fig.update_yaxes(autorange="reversed")
    return fig


def knockout_value(row: dict, p_intact: float, measure: str, kind: str = "zero") -> float:
    """A knock-out row's change in the chosen measure (see MEASURES)."""
    delta = row[f"delta_{kind}"]
    if measure == "points":
        return 100.0 * delta
    return 100.0 * delta / p_intact if p_intact > 0 else 0.0


def cell_decimals(largest: float, least: int) -> int:
    """Decimals that show the largest value with two significant digits (at least `least`, at most 6):
    a sweep whose changes are all below 0.1 does not print a grid of -0.0."""
    if largest <= 0:
        return least
    return int(min(6, max(least, 1 - np.floor(np.log10(largest)))))


def knockout_figure(rows: list[dict], p_intact: float, class_name: str, measure: str = "relative",
                    kind: str = "zero", note: str = "", tr: Translate = same):
    """Module (rows) x branch (columns) heatmap of what switching each branch off does to the
    class's probability: red = the class loses, blue = it gains. rows: `Knockout.table()`;
    kind "zero" (output zeroed) or "mean" (replaced by its mean over the image); `note` is added
    to the subtitle (e.g. "random weights")."""
    import plotly.graph_objects as go

    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}. Received: {measure!r}")
    modules = list(dict.fromkeys(r["module"] for r in rows))
    keys = sorted({r["branch"] for r in rows}, key=lambda k: (len(k), k))
    z = [[None] * len(keys) for _ in modules]
    text = [[""] * len(keys) for _ in modules]
    hover = [[""] * len(keys) for _ in modules]
    values = {id(r): knockout_value(r, p_intact, measure, kind) for r in rows}
    digits = cell_decimals(max((abs(v) for v in values.values()), default=0.0), 1 if measure == "relative" else 2)
    for r in rows:
        i, j = modules.index(r["module"]), keys.index(r["branch"])
        v = values[id(r)]
        z[i][j] = v
        text[i][j] = f"{r['label']}<br>{v:+.{digits}f}"
        hover[i][j] = (f"{r['module']} · {r['branch']} ({r['label']}) " + (tr("zeroed") if kind == "zero" else tr(
            "set to its mean")) + f"<br>p({class_name}) {100 * r[f'p_{kind}']:.3f}% (" + tr("intact") + f" "
            f"{100 * p_intact:.3f}%)<br>" + tr("new top-1") + f": {r[f'top1_{kind}']}")
    values = [abs(v) for row in z for v in row if v is not None]
    bound = max(values) if values and max(values) > 0 else 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=keys, y=modules, text=text, texttemplate="%{text}", hovertext=hover, hoverinfo="text",
        colorscale="RdBu", zmid=0, zmin=-bound, zmax=bound, xgap=2, ygap=2,
        colorbar=dict(title="%" if measure == "relative" else tr("points"))))
    heading = (tr("p({c}) with one branch zeroed at a time") if kind == "zero" else
               tr("p({c}) with one branch replaced by its mean at a time")).format(c=class_name)
    sub = tr(MEASURES[measure]) + (f" · {note}" if note else "")
    style(fig, title=f"{heading}<br><sup>{sub}</sup>",
          height=190 + 44 * len(modules))
    fig.update_layout(margin=dict(t=110))
    fig.update_yaxes(autorange="reversed", title=tr("module"))
    fig.update_xaxes(side="top")
    return fig


def feature_map_figure(m: np.ndarray, title: str, selected: Optional[tuple[int, int]] = None, tr: Translate = same):
    """One (h, w) feature map as a heatmap whose every unit is clickable (a transparent marker per
    unit, since heatmap cells do not report a selection), the selected unit ringed."""
    import plotly.graph_objects as go

    h, w = m.shape
    ys, xs = np.mgrid[0:h, 0:w]
    fig = go.Figure(go.Heatmap(z=m, colorscale="Viridis", colorbar=dict(thickness=14),
                               hovertemplate=tr("row") + " %{y}, " + tr("column") + " %{x}: %{z:.3f}<extra></extra>"))
    # one square per unit, about the size of its cell (the plot is ~320 px high), nearly invisible
    # (hoverinfo "none", not "skip": a skipped trace reports no clicks)
    fig.add_trace(go.Scatter(x=xs.ravel(), y=ys.ravel(), mode="markers", hoverinfo="none", showlegend=False,
                             marker=dict(symbol="square", size=max(6, int(320 / max(h, w))), opacity=0.01,
                                         color="white"), name="units"))
    if selected is not None:
        fig.add_trace(go.Scatter(x=[selected[1]], y=[selected[0]], mode="markers", showlegend=False,
                                 hoverinfo="skip", marker=dict(size=16, symbol="square-open", color="#ff2d55",
                                                               line=dict(width=3))))
    style(fig, title=title, height=480)
    fig.update_layout(margin=dict(l=60, r=10, t=60, b=55))
    fig.update_yaxes(range=[h - 0.5, -0.5], scaleanchor="x", title=tr("row"), constrain="domain")
    fig.update_xaxes(range=[-0.5, w - 0.5], title=tr("column"), constrain="domain")
    fig.update_layout(clickmode="event+select", dragmode=False)
    return fig


def rf_overlay(crop: np.ndarray, box: tuple[int, int, int, int], centre: Optional[tuple[float, float]] = None,
               dim: float = 0.55) -> np.ndarray:
    """The crop with everything outside `box` (top, left, bottom, right; inclusive pixels) dimmed
    and the box outlined; `centre` (y, x) marks the unit's centre."""
    top, left, bottom, right = (int(v) for v in box)
    img = crop.astype(np.float32) * (1 - dim)
    img[top:bottom + 1, left:right + 1] = crop[top:bottom + 1, left:right + 1]
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(out)
    width = max(2, crop.shape[0] // 110)
    draw.rectangle((left, top, right, bottom), outline=(255, 45, 85), width=width)
    if centre is not None:
        cy, cx = centre
        r = max(3, crop.shape[0] // 60)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(255, 255, 255), width=max(1, width // 2))
    return np.asarray(out)


def top_change_rows(top: list) -> list[dict]:
    """Rows for a top-k table with branches switched off, from `predict_gated`'s (index, name,
    prob, intact prob): the probability now and intact (%), and the change in points."""
    return [{"class": name, "p": 100 * p, "intact": 100 * q, "change": 100 * (p - q)} for _, name, p, q in top]
