"""Plotly figures of measured ablation results (plain data in, figures out; no Streamlit, no Keras).

Large fonts throughout: these are shown on a projector.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

from explorer.figures.fmt import human
from explorer.figures.style import N_, Translate, log_axis, same, style, wrap
from explorer.zoo.published import LABELS

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
          "#bcbd22", "#7f7f7f"]
MEASURED_COLOR = "#1f77b4"
LABEL_CHARS = 16  # a bar's label per line: long ones ("... (so far: 1/3 rates, 1 seed)") would squeeze the bars
CURVE_NAMES = {"heldout_accuracy": N_("held-out accuracy, %"),
               "train_accuracy": N_("training accuracy, % (running, in training mode)"),
               "train_loss": N_("training loss (main head)"), "heldout_loss": N_("held-out loss")}


def row_name(row: dict, rows: Sequence[dict], tr: Translate = same) -> str:
    """A configuration's label, with what is still missing when its runs are incomplete (a sweep in
    progress): its learning-rate search, or seeds the other configurations have."""
    most = max((r["n_seeds"] for r in rows), default=row["n_seeds"])
    n, grid = len(row.get("lr_search") or []), len(row.get("lr_grid") or [])
    if row.get("lr_chosen") and n < grid:
        return tr("{label} (so far: {n}/{grid} rates, {seeds} seed(s))").format(
            label=row["label"], n=n, grid=grid, seeds=row["n_seeds"])
    if row["n_seeds"] < most:
        return tr("{label} (so far: {n}/{most} seeds)").format(label=row["label"], n=row["n_seeds"], most=most)
    return row["label"]


def _seeds(n: int, tr: Translate) -> str:
    return tr("({n} seeds)").format(n=n) if n > 1 else tr("(1 seed)")


def measured_accuracy_figure(rows: Sequence[dict], records: Sequence[dict] = (), x: str = "params",
                             title: Optional[str] = None, height: int = 500, tr: Translate = same):
    """Held-out accuracy (mean ± std across seeds, %) against params or MACs (log axis), one colour
    per configuration, every seed as a small open marker, chance as a dashed line."""
    import plotly.graph_objects as go

    if x not in ("params", "macs"):
        raise ValueError(f"x must be 'params' or 'macs'. Received: x={x!r}")
    xname = tr("parameters") if x == "params" else tr("MACs per image")
    fig = go.Figure()
    by_id = {r.get("id"): r for r in records}
    for i, row in enumerate(rows):
        color = COLORS[i % len(COLORS)]
        name = row_name(row, rows, tr)
        seeds = [by_id[k] for k in row.get("ids", []) if k in by_id]  # this row's runs (its chosen rate) only
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
                           + _seeds(row["n_seeds"], tr) + f"<br>{human(row[x])} {xname}<extra></extra>")))
    chance = next((r.get("chance") for r in rows if r.get("chance")), None)
    if chance:
        fig.add_hline(y=100 * chance, line_dash="dash", line_color="#888",
                      annotation_text=tr("chance ({value}%)").format(value=f"{100 * chance:.1f}"),
                      annotation_position="bottom right",
                      annotation_font_size=15)
    fig.update_xaxes(title_text=tr("{what} (log scale)").format(what=xname), title_font=dict(size=19),
                     **log_axis(r[x] for r in rows))  # ticks at 1, 2 and 5 of each decade, as the other log charts
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
            y=[wrap(row_name(r, rows, tr), LABEL_CHARS) for r in others], x=d, orientation="h",
            marker_color=[MEASURED_COLOR if v >= 0 else "#d62728" for v in d],
            error_x=dict(type="data", array=err, thickness=2, width=6),
            name=tr(LABELS["measured"]),
            hovertemplate="<b>%{y}</b><br>%{x:+.1f} " + tr("points vs baseline") + "<extra></extra>"))
    fig.add_vline(x=0, line_color="#444")
    fig.update_xaxes(title_text=tr("Δ accuracy vs baseline (points)"), title_font=dict(size=18))
    fig.update_yaxes(autorange="reversed", automargin=True, ticksuffix="  ")
    return style(fig, title=title, height=height)


def learning_curves_figure(rows: Sequence[dict], curves: Sequence[dict], metric: str = "heldout_accuracy",
                           title: Optional[str] = None, height: int = 480, tr: Translate = same):
    """Per-epoch curves against training steps, one colour per configuration: every seed as a thin
    line, the mean as a thick one. `curves[i]` is `explorer.lab.learning_curves(records, rows[i])`.
    For an accuracy metric, the baseline's final mean is a dashed line: where a curve crosses it is
    the configuration's steps to the baseline's accuracy."""
    import plotly.graph_objects as go

    names = CURVE_NAMES
    if metric not in names:
        raise ValueError(f"metric must be one of {sorted(names)}. Received: metric={metric!r}")
    pct = 100.0 if metric.endswith("accuracy") else 1.0
    fig = go.Figure()
    for i, (row, cur) in enumerate(zip(rows, curves)):
        runs = [r for r in cur.get(metric, []) if r and len(r) == len(cur.get("step", []))]
        if not runs:
            continue
        color, name, steps = COLORS[i % len(COLORS)], row["label"], cur["step"]
        for seed, run in zip(row["seeds"], runs):
            fig.add_trace(go.Scatter(x=steps, y=[pct * v for v in run], mode="lines", line=dict(color=color, width=1),
                                     opacity=0.35, legendgroup=name, showlegend=False,
                                     hovertemplate=f"{name}, " + tr("seed") + f" {seed}<br>" + tr("step")
                                     + " %{x}: %{y:.3g}<extra></extra>"))
        mean = [pct * sum(v) / len(v) for v in zip(*runs)]
        fig.add_trace(go.Scatter(x=steps, y=mean, mode="lines+markers", line=dict(color=color, width=3.5),
                                 marker=dict(size=8), name=name, legendgroup=name,
                                 hovertemplate=f"<b>{name}</b> " + tr("(mean of {n})").format(n=len(runs)) + "<br>"
                                 + tr("step") + " %{x}: %{y:.3g}<extra></extra>"))
    base = next((r for r in rows if r["label"] == "baseline"), None)
    if base is not None and metric == "heldout_accuracy":
        fig.add_hline(y=100 * base["accuracy_mean"], line_dash="dash", line_color="#444",
                      annotation_text=tr("baseline's final accuracy ({value}%)").format(
                          value=f"{100 * base['accuracy_mean']:.1f}"),
                      annotation_position="bottom right", annotation_font_size=15)
    fig.update_xaxes(title_text=tr("training steps (batches)"), title_font=dict(size=19), rangemode="tozero")
    fig.update_yaxes(title_text=tr(names[metric]), title_font=dict(size=19))
    return style(fig, title=title, height=height)


def lr_search_figure(rows: Sequence[dict], title: Optional[str] = None, height: int = 440, tr: Translate = same):
    """Validation-split accuracy at each learning rate of the grid (the selection seed), one line per
    configuration; the chosen rate is the big marker."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, row in enumerate(rows):
        search = [s for s in row.get("lr_search", []) if s.get("tune_accuracy") is not None]
        if not search:
            continue
        color = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(
            x=[s["learning_rate"] for s in search], y=[100 * s["tune_accuracy"] for s in search],
            mode="lines+markers", line=dict(color=color, width=2.5), marker=dict(size=10, color=color),
            name=row["label"], legendgroup=row["label"],
            hovertemplate=f"<b>{row['label']}</b><br>" + tr("rate") + " %{x:g}: %{y:.1f}% "
            + tr("on the validation split") + "<extra></extra>"))
        chosen = [s for s in search if math.isclose(s["learning_rate"], row["learning_rate"])]
        fig.add_trace(go.Scatter(
            x=[s["learning_rate"] for s in chosen], y=[100 * s["tune_accuracy"] for s in chosen], mode="markers",
            marker=dict(size=20, symbol="star", color=color, line=dict(width=1, color="white")),
            legendgroup=row["label"], showlegend=False,
            hovertemplate=f"<b>{row['label']}</b>: " + tr("chosen rate") + " %{x:g}<extra></extra>"))
    rates = sorted({s["learning_rate"] for row in rows for s in row.get("lr_search", [])})
    fig.update_xaxes(type="log", title_text=tr("learning rate (log scale; ★ = chosen)"), title_font=dict(size=19),
                     tickvals=rates, ticktext=[f"{v:g}" for v in rates])
    fig.update_yaxes(title_text=tr("validation-split accuracy, %"), title_font=dict(size=19))
    return style(fig, title=title, height=height)
