"""Figures of published results: ImageNet accuracy against computed params / MACs, Inception-v3's
Table 3 (cumulative), GoogLeNet's crops-and-models Table 3."""
from __future__ import annotations

from typing import Optional

from explorer.figures.style import Translate, same, style


SOURCE_SYMBOLS = {"paper": "circle", "keras": "square", "tf_slim": "diamond", "torchvision": "triangle-up"}


def accuracy_figure(rows: list[dict], x: str, metric: str, tr: Translate = same):
    """Published accuracy against computed params or MACs; one marker per (variant, source).
    `rows` carry already-translated `source` names."""
    import plotly.graph_objects as go

    fig = go.Figure()
    sources = list(dict.fromkeys(r["source_key"] for r in rows))
    for s in sources:
        rs = [r for r in rows if r["source_key"] == s and r[metric] is not None]
        if not rs:
            continue
        fig.add_trace(go.Scatter(
            x=[r[x] for r in rs], y=[r[metric] for r in rs], mode="markers+text", name=rs[0]["source"],
            text=[r["short"] for r in rs], textposition="top center", textfont=dict(size=13),
            marker=dict(size=16, symbol=SOURCE_SYMBOLS.get(s, "circle"), line=dict(width=1, color="white")),
            hovertext=[f"<b>{r['title']}</b> — {r['source']}<br>{metric} {r[metric]:.2f}%<br>" +
                       tr("{params} params · {macs} MACs (computed)").format(params=f"{r['params']:,}",
                                                                            macs=f"{r['macs']:,}") +
                       "<br>" + tr("source: {citation}").format(citation=r["citation"])
                       for r in rs], hoverinfo="text"))
    xlabel = tr("parameters (computed, log scale)") if x == "params" else tr("MACs per image (computed, log scale)")
    title = (tr("Published ImageNet {metric} accuracy vs parameters") if x == "params" else
             tr("Published ImageNet {metric} accuracy vs MACs")).format(metric=metric)
    style(fig, title=title, height=560)
    fig.update_layout(legend=dict(orientation="h", y=-0.18, x=0, title=tr("source:")))
    fig.update_xaxes(type="log", title=xlabel)
    fig.update_yaxes(title=tr("{metric} accuracy (%)").format(metric=metric))
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
