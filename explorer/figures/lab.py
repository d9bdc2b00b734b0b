"""Plotly figures of measured ablation results (plain data in, figures out; no Streamlit, no Keras).

Large fonts throughout: these are shown on a projector.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

from explorer.figures.fmt import human
from explorer.figures.style import Translate, same, style
from explorer.zoo.published import LABELS

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
          "#bcbd22", "#7f7f7f"]
MEASURED_COLOR = "#1f77b4"


def measured_accuracy_figure(rows: Sequence[dict], records: Sequence[dict] = (), x: str = "params",
                             title: Optional[str] = None, height: int = 500, tr: Translate = same):
    """Held-out accuracy (mean ± std across seeds, %) against params or MACs (log axis), one colour
    per configuration, every seed as a small open marker, chance as a dashed line."""
    import plotly.graph_objects as go

    if x not in ("params", "macs"):
        raise ValueError(f"x must be 'params' or 'macs'. Received: x={x!r}")
    xname = tr("parameters") if x == "params" else tr("MACs per image")
    fig = go.Figure()
    by_label: dict = {}
    for r in records:
        by_label.setdefault(r.get("label", "?"), []).append(r)
    for i, row in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        name = row["label"]
        seeds = by_label.get(name, [])
        if seeds:
            fig.add_trace(go.Scatter(
                x=[s["metrics"][x] for s in seeds], y=[100 * s["metrics"]["accuracy"] for s in seeds],
                mode="markers", marker=dict(symbol="circle-open", size=11, color=color, line=dict(width=2)),
                name=tr("{name} (each seed)").format(name=name), legendgroup=name, showlegend=False,
                hovertemplate=f"<b>{name}</b><br>" + tr("seed") + " %{customdata}: %{y:.1f}%<extra></extra>",
                customdata=[s.get("seed") for s in seeds]))
        fig.add_trace(go.Scatter(
            x=[row[x]], y=[100 * row["accuracy_mean"]], mode="markers",
            marker=dict(size=18, color=color, line=dict(width=1, color="white")),
            error_y=dict(type="data", array=[100 * row["accuracy_std"]], thickness=2.5, width=8, color=color),
            name=name, legendgroup=name,
            hovertemplate=(f"<b>{name}</b><br>" + tr("accuracy") + f" %{{y:.1f}} ± {100 * row['accuracy_std']:.1f}% "
                           + tr("({n} seeds)").format(n=row["n_seeds"]) + f"<br>{human(row[x])} {xname}<extra></extra>")))
    chance = next((r.get("chance") for r in rows if r.get("chance")), None)
    if chance:
        fig.add_hline(y=100 * chance, line_dash="dash", line_color="#888",
                      annotation_text=tr("chance ({value}%)").format(value=f"{100 * chance:.1f}"),
                      annotation_position="bottom right",
                      annotation_font_size=15)
    fig.update_xaxes(type="log", title_text=tr("{what} (log scale)").format(what=xname), title_font=dict(size=19))
    fig.update_yaxes(title_text=tr("held-out accuracy, %"), title_font=dict(size=19), rangemode="tozero")
    return style(fig, title=title, height=height)


def delta_figure(rows: Sequence[dict], title: Optional[str] = None, height: int = 420, tr: Translate = same):
    """Change in mean held-out accuracy against the baseline (percentage points), with the
    baseline's and the configuration's seed spreads combined as the error bar."""
    import plotly.graph_objects as go

    base = next((r for r in rows if r["label"] == "baseline"), None)
    others = [r for r in rows if r["label"] != "baseline" and r.get("delta_vs_baseline") is not None]
    fig = go.Figure()
    if base is not None and others:
        err = [100 * math.sqrt(r["accuracy_std"] ** 2 + base["accuracy_std"] ** 2) for r in others]
        d = [100 * r["delta_vs_baseline"] for r in others]
        fig.add_trace(go.Bar(
            y=[r["label"] for r in others], x=d, orientation="h",
            marker_color=[MEASURED_COLOR if v >= 0 else "#d62728" for v in d],
            error_x=dict(type="data", array=err, thickness=2, width=6),
            name=tr(LABELS["measured"]),
            hovertemplate="<b>%{y}</b><br>%{x:+.1f} " + tr("points vs baseline") + "<extra></extra>"))
    fig.add_vline(x=0, line_color="#444")
    fig.update_xaxes(title_text=tr("Δ held-out accuracy vs baseline (points)"), title_font=dict(size=18))
    fig.update_yaxes(autorange="reversed")
    return style(fig, title=title, height=height)
