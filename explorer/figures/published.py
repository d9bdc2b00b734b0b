"""Figures of published results: ImageNet accuracy against computed params / MACs, Inception-v3's
Table 3 (cumulative), GoogLeNet's crops-and-models Table 3."""
from __future__ import annotations

from typing import Optional

from explorer.figures.style import Translate, log_axis, same, style


SOURCE_SYMBOLS = {"paper": "circle", "keras": "square", "tf_slim": "diamond", "torchvision": "triangle-up"}


# Where a point's label may go, in order of preference. Sizes in axis fractions of a ~650x420 px
# plot area: a marker's half width and height, a label's height and width per character.
LABEL_SPOTS = ("top center", "bottom center", "middle right", "middle left")
MARKER = (0.015, 0.025)
LINE, CHAR = 0.045, 0.0115


def _box(spot: str, x: float, y: float, width: float) -> tuple[float, float, float, float]:
    mx, my = MARKER
    if spot == "top center":
        return x - width / 2, x + width / 2, y + my, y + my + LINE
    if spot == "bottom center":
        return x - width / 2, x + width / 2, y - my - LINE, y - my
    if spot == "middle right":
        return x + mx, x + mx + width, y - LINE / 2, y + LINE / 2
    return x - mx - width, x - mx, y - LINE / 2, y + LINE / 2


def label_spots(points: list[tuple[float, float]], texts: list[str],
                obstacles: list[tuple[float, float]] = ()) -> list[str]:
    """A Plotly textposition for each labelled point (x, y in axis fractions, 0..1) such that no
    label covers another label or any marker (`points` and `obstacles`), as far as the four spots
    allow (else "top center")."""
    mx, my = MARKER
    taken = [(x - mx, x + mx, y - my, y + my) for x, y in list(points) + list(obstacles)]
    out = []
    for (x, y), text in zip(points, texts):
        width = CHAR * len(text)
        for spot in LABEL_SPOTS:
            box = _box(spot, x, y, width)
            if all(box[1] <= t[0] or t[1] <= box[0] or box[3] <= t[2] or t[3] <= box[2] for t in taken):
                break
        else:
            spot = "top center"
            box = _box(spot, x, y, width)
        taken.append(box)
        out.append(spot)
    return out


def _labels(rows: list[dict], x: str, metric: str) -> dict[int, str]:
    """{row index: textposition}: each variant labelled once, at its best point."""
    import math

    best: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r[metric] is not None and (r["variant"] not in best or r[metric] > rows[best[r["variant"]]][metric]):
            best[r["variant"]] = i
    shown = [i for i, r in enumerate(rows) if r[metric] is not None]
    xs = {i: math.log10(rows[i][x]) for i in shown}
    xlo, xhi = min(xs.values()), max(xs.values())
    ylo, yhi = min(rows[i][metric] for i in shown), max(rows[i][metric] for i in shown)

    def frac(i):
        return (xs[i] - xlo) / ((xhi - xlo) or 1), (rows[i][metric] - ylo) / ((yhi - ylo) or 1)

    order = sorted(best.values(), key=lambda i: xs[i])
    spots = label_spots([frac(i) for i in order], [rows[i]["short"] for i in order],
                        [frac(i) for i in shown if i not in best.values()])
    return dict(zip(order, spots))


def accuracy_figure(rows: list[dict], x: str, metric: str, tr: Translate = same):
    """Published accuracy against computed params or MACs; one marker per (variant, source), each
    variant named once (at its best point) where its name does not cover another. `rows` carry
    already-translated `source` names."""
    import plotly.graph_objects as go

    fig = go.Figure()
    spots = _labels(rows, x, metric)
    for s in dict.fromkeys(r["source_key"] for r in rows):
        idx = [i for i, r in enumerate(rows) if r["source_key"] == s and r[metric] is not None]
        if not idx:
            continue
        rs = [rows[i] for i in idx]
        fig.add_trace(go.Scatter(
            x=[r[x] for r in rs], y=[r[metric] for r in rs], mode="markers+text", name=rs[0]["source"],
            text=[rows[i]["short"] if i in spots else "" for i in idx],
            textposition=[spots.get(i, "top center") for i in idx], textfont=dict(size=14),
            marker=dict(size=16, symbol=SOURCE_SYMBOLS.get(s, "circle"), line=dict(width=1, color="white")),
            hovertext=[f"<b>{r['title']}</b> — {r['source']}<br>{metric} {r[metric]:.2f}%<br>" +
                       tr("{params} params · {macs} MACs (computed)").format(params=f"{r['params']:,}",
                                                                            macs=f"{r['macs']:,}") +
                       "<br>" + tr("source: {citation}").format(citation=r["citation"])
                       for r in rs], hoverinfo="text", cliponaxis=False))
    xlabel = tr("parameters (computed, log scale)") if x == "params" else tr("MACs per image (computed, log scale)")
    title = (tr("Published ImageNet {metric} accuracy vs parameters") if x == "params" else
             tr("Published ImageNet {metric} accuracy vs MACs")).format(metric=metric)
    style(fig, title=title, height=560)
    fig.update_layout(legend=dict(orientation="h", y=-0.18, x=0, title=tr("source:")))
    fig.update_xaxes(title=xlabel, **log_axis(r[x] for r in rows if r[metric] is not None))
    ys = [r[metric] for r in rows if r[metric] is not None]
    fig.update_yaxes(title=tr("{metric} accuracy (%)").format(metric=metric),
                     range=[min(ys) - 0.08 * (max(ys) - min(ys)) - 0.5, max(ys) + 0.1 * (max(ys) - min(ys)) + 0.5])
    return fig


def v3_table3_figure(rows=None, title: Optional[str] = None, tr: Translate = same):
    """The paper's cumulative top-1 errors (`explorer.zoo.published.V3_TABLE3` by default); the
    steps and changes go through `tr` (they are in the catalogues)."""
    import plotly.graph_objects as go

    from explorer.zoo.published import V3_TABLE3

    rows = V3_TABLE3 if rows is None else rows
    fig = go.Figure(go.Bar(x=[tr(r.step) for r in rows], y=[r.top1_error for r in rows],
                           text=[f"{r.top1_error:.1f}%" for r in rows], textposition="outside",
                           marker_color=["#9aa5b1"] + ["#1f77b4"] * (len(rows) - 1),
                           hovertext=[tr(r.change) for r in rows], hoverinfo="text+y"))
    style(fig, title=title or tr("Inception-v3 paper, Table 3 (published, cumulative)"), height=430)
    lo = min(r.top1_error for r in rows)
    fig.update_yaxes(title=tr("top-1 error (%)"), range=[lo - 1.5, max(r.top1_error for r in rows) + 0.8])
    return fig


def googlenet_table3_figure(rows, tr: Translate = same):
    """GoogLeNet's Table 3: top-5 error against the number of forward passes (models x crops)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for models, color in ((1, "#1f77b4"), (7, "#d62728")):
        rs = [r for r in rows if r.models == models]
        fig.add_trace(go.Scatter(x=[r.cost for r in rs], y=[r.top5_error for r in rs], mode="lines+markers+text",
                                 name=(tr("{n} models") if models > 1 else tr("1 model")).format(n=models),
                                 marker=dict(size=14, color=color),
                                 text=[(tr("{n} crops: {error}%") if r.crops > 1 else tr("1 crop: {error}%")).format(
                                     n=r.crops, error=f"{r.top5_error:.2f}") for r in rs],
                                 textposition="top right" if models == 1 else "bottom left",
                                 textfont=dict(size=13)))
    style(fig, title=tr("GoogLeNet paper, Table 3 (published): crops and models"), height=430)
    fig.update_xaxes(type="log", title=tr("cost = models × crops (forward passes per image)"), range=[-0.4, 3.6])
    fig.update_yaxes(range=[6.0, 10.8])
    fig.update_yaxes(title=tr("top-5 error (%)"))
    return fig
