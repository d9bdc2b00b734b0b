"""Cost charts (params / MACs from `explorer.cost`): per module default vs current, the waterfall of
a change, every combination of the toggles."""
from __future__ import annotations

from explorer.figures.fmt import human, signed
from explorer.figures.style import BRANCH_COLORS, Translate, log_axis, same, style


def _per_module(before, after, metric: str):
    """({module: value} of the default, of the current choices, all module names in order)."""
    def values(c):
        return {m.name: getattr(m, metric) for m in list(c.modules) + list(c.heads)}

    b, a = values(before), values(after)
    return b, a, list(dict.fromkeys(list(b) + list(a)))


def _label(metric: str, tr: Translate) -> str:
    return tr("params") if metric == "params" else tr("MACs")


def module_bars(before, after, metric: str = "params", tr: Translate = same):
    """Per module: the default's and the current configuration's params (or MACs), side by side."""
    import plotly.graph_objects as go

    b, a, names = _per_module(before, after, metric)
    fig = go.Figure()
    label = _label(metric, tr)
    for name, vals, color in ((tr("variant default"), b, "#9aa5b1"), (tr("your choices"), a, "#1f77b4")):
        ys = [vals.get(n, 0) for n in names]
        fig.add_trace(go.Bar(x=names, y=ys, name=name, marker_color=color,
                             customdata=[f"{v:,}" for v in ys],
                             hovertemplate="%{x}<br>" + name + ": %{customdata} " + label + "<extra></extra>"))
    style(fig, title=tr("{label} per module: default vs your choices").format(label=label), height=470)
    fig.update_layout(barmode="group", xaxis_tickangle=-45, legend=dict(orientation="h", y=1.12, x=0))
    fig.update_yaxes(title=label)
    return fig


def waterfall(before, after, metric: str = "params", tr: Translate = same):
    """From the default's total to the current total, module by module (only modules that change)."""
    import plotly.graph_objects as go

    b, a, names = _per_module(before, after, metric)
    deltas = [(n, a.get(n, 0) - b.get(n, 0)) for n in names if a.get(n, 0) != b.get(n, 0)]
    label = _label(metric, tr)
    tb, ta = getattr(before, metric), getattr(after, metric)
    x = [tr("default")] + [n for n, _ in deltas] + [tr("yours")]
    y = [tb] + [d for _, d in deltas] + [ta]
    fig = go.Figure(go.Waterfall(
        x=x, y=y, measure=["absolute"] + ["relative"] * len(deltas) + ["total"],
        text=[human(tb)] + [signed(d) for _, d in deltas] + [human(ta)], textposition="outside",
        customdata=[f"{v:,}" for v in y], hovertemplate="%{x}: %{customdata}<extra></extra>",
        connector=dict(line=dict(color="#999")),
        increasing=dict(marker=dict(color="#d62728")), decreasing=dict(marker=dict(color="#2ca02c")),
        totals=dict(marker=dict(color="#1f77b4"))))
    style(fig, title=tr("Where the {label} change comes from (default → your choices)").format(label=label),
          height=470)
    fig.update_layout(xaxis_tickangle=-45, showlegend=False)
    # zoom on the changes: the bars start at the default's total, not at zero
    running, levels = tb, [tb, ta]
    for _, d in deltas:
        running += d
        levels.append(running)
    lo, hi = min(levels), max(levels)
    span = (hi - lo) or max(hi * 0.01, 1)
    fig.update_yaxes(title=tr("{label} (axis zoomed)").format(label=label), range=[max(0, lo - 0.6 * span), hi + 0.6 * span])
    return fig


def combos_figure(rows: list[dict], toggles: list[str], color_by: str, current: dict, default: dict,
                  tr: Translate = same):
    """Every combination of the toggles: params vs MACs (log axes); default and current marked."""
    import plotly.graph_objects as go

    fig = go.Figure()
    groups = {}
    for r in rows:
        groups.setdefault(str(r[color_by]), []).append(r)
    for i, (value, rs) in enumerate(sorted(groups.items())):
        fig.add_trace(go.Scatter(
            x=[r["params"] for r in rs], y=[r["macs"] for r in rs], mode="markers",
            name=f"{color_by} = {value}", marker=dict(size=13, color=BRANCH_COLORS[i % 7], opacity=0.8,
                                                      line=dict(color="white", width=1)),
            hovertext=[_combo_hover(r, toggles, tr) for r in rs], hoverinfo="text"))
    for r, name, symbol in ((default, tr("variant default"), "star"), (current, tr("your choices"), "diamond-open")):
        if r:
            fig.add_trace(go.Scatter(x=[r["params"]], y=[r["macs"]], mode="markers", name=name,
                                     marker=dict(size=26, symbol=symbol, color="black",
                                                 line=dict(width=3, color="black")),
                                     hovertext=[_combo_hover(r, toggles, tr)], hoverinfo="text"))
    style(fig, title=tr("Every combination of the toggles (analytic cost model)"), height=560)
    # the legend under the plot: on a phone the plot keeps the whole width
    fig.update_layout(legend=dict(orientation="h", y=-0.22, x=0, yanchor="top"), margin=dict(b=150))
    # log ticks at 1, 2 and 5 of each decade: readable on a phone as on a projector
    points = [*rows, *(r for r in (default, current) if r)]
    fig.update_xaxes(title=tr("parameters"), **log_axis(r["params"] for r in points))
    fig.update_yaxes(title=tr("MACs per image"), **log_axis(r["macs"] for r in points))
    return fig


def _combo_hover(r: dict, toggles: list[str], tr: Translate = same) -> str:
    settings = "<br>".join(f"{t} = {r[t]}" for t in toggles)
    params, macs = tr("params"), tr("MACs")
    return f"{settings}<br><b>{r['params']:,} {params}</b><br><b>{r['macs']:,} {macs}</b>"
