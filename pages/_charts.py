"""Figures and pictures for the pages: Plotly figures and numpy/PIL image rendering.

No Streamlit and no Keras here: every function takes plain data (costs, resolved graphs, arrays)
and returns a Plotly figure or a uint8 image, so the pages stay thin.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
from PIL import Image

# --------------------------------------------------------------------------- formatting
def human(n: float, digits: int = 2) -> str:
    """23851784 -> '23.85 M'; 5713216096 -> '5.71 G'; 980 -> '980'."""
    sign = "−" if n < 0 else ""
    a = abs(float(n))
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{sign}{a / div:.{digits}f} {suffix}"
    return f"{sign}{a:,.0f}"


def fmt_params(n: float) -> str:
    """'23.85 M params'."""
    return f"{human(n)} params"


def fmt_macs(n: float) -> str:
    """'5.71 GMACs' (the prefix joined to MACs, as usually written)."""
    h = human(n)
    return f"{h}MACs" if h[-1].isalpha() else f"{h} MACs"


def signed(n: float, unit: str = "") -> str:
    """'+1.23 M', '−512', '±0'."""
    if n == 0:
        return f"±0{unit}"
    return ("+" if n > 0 else "") + human(n) + unit


def pct(new: float, old: float) -> str:
    if old == 0:
        return "n/a"
    return f"{(new - old) / old * 100:+.1f}%"


# --------------------------------------------------------------------------- figure style
from explorer.plotting import style  # noqa: E402
KIND_COLORS = {"stem": "#7f7f7f", "pool": "#bcbd22", "conv": "#8c564b", "inception": "#1f77b4",
               "reduction": "#ff7f0e", "residual": "#2ca02c", "head": "#9467bd"}
BRANCH_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
LABEL_COLORS = {"1x1": "#1f77b4", "3x3": "#ff7f0e", "5x5": "#2ca02c", "pool": "#d62728",
                "3x3dbl": "#17becf", "7x7": "#9467bd", "7x7dbl": "#8c564b", "7x7x3": "#e377c2",
                "3x3b": "#bcbd22"}


def label_color(label: str, i: int = 0) -> str:
    return LABEL_COLORS.get(label, BRANCH_COLORS[i % len(BRANCH_COLORS)])


def plotly_config(filename: str) -> dict:
    """Modebar with a PNG download (2x scale: sharp on a projector), no Plotly logo."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


# --------------------------------------------------------------------------- unit labels
def unit_parts(unit, out_shape=None) -> tuple[str, str]:
    """A resolved unit as a student reads it, in two parts: ('3x3 conv', '128 filters'),
    ('3x3 max pool', 'stride 2'), ('LRN', '')."""
    from explorer.graph import ConvU, DenseU, DropoutU, FlattenU, GapU, LRNU, ParU, PoolU

    if isinstance(unit, ConvU):
        kh, kw = unit.kernel
        filters = unit.filters if unit.filters is not None else (out_shape[-1] if out_shape else "C")
        kind = "sep conv" if unit.depth_multiplier else "conv"
        detail = f"{filters} filters" + ("" if unit.stride == 1 else f", /{unit.stride}")
        return f"{kh}x{kw} {kind}" + ("" if unit.act else " (linear)"), detail
    if isinstance(unit, ParU):
        parts = " ∥ ".join(f"{c.kernel[0]}x{c.kernel[1]}" for c in unit.convs)
        return parts, f"{len(unit.convs)}×{unit.convs[0].filters} filters"
    if isinstance(unit, PoolU):
        return f"{unit.size}x{unit.size} {unit.kind} pool", ("" if unit.stride == 1 else f"stride {unit.stride}")
    if isinstance(unit, LRNU):
        return "LRN", ""
    if isinstance(unit, GapU):
        return "global avg pool", ""
    if isinstance(unit, FlattenU):
        return "flatten", ""
    if isinstance(unit, DropoutU):
        return "dropout", f"{unit.rate:g}"
    if isinstance(unit, DenseU):
        return f"FC {unit.units}", (unit.act or "")
    return type(unit).__name__, ""


def unit_label(unit, out_shape=None) -> str:
    """One line: '3x3 conv, 128 filters', '3x3 max pool, stride 2', 'LRN'."""
    op, detail = unit_parts(unit, out_shape)
    return f"{op}, {detail}" if detail else op


def shape_text(shape) -> str:
    return "×".join(str(s) for s in shape)


def unit_rows(units, cost) -> list[dict]:
    """One row per unit of a branch: label, output shape, params, MACs (from the cost model)."""
    from explorer.graph import ParU

    by_unit: dict[str, list] = {}
    for layer in cost.layers:
        by_unit.setdefault(layer.unit, []).append(layer)
    rows = []
    for u in units:
        if isinstance(u, ParU):
            layers = [lc for c in u.convs for lc in by_unit.get(c.name, [])]
            out = None
            if layers:
                out = tuple(layers[0].out_shape[:-1]) + (sum(lc.out_shape[-1] for lc in layers),)
        else:
            layers = by_unit.get(u.name, [])
            out = layers[-1].out_shape if layers else None
        op, detail = unit_parts(u, out)
        rows.append({"unit": u, "label": unit_label(u, out), "op": op, "detail": detail, "out_shape": out,
                     "params": sum(lc.params for lc in layers), "macs": sum(lc.macs for lc in layers)})
    return rows


# --------------------------------------------------------------------------- network diagram
def network_figure(cost, selected: Optional[str] = None, per_row: int = 8, aux_after: Optional[dict] = None):
    """The network as a snake of module boxes (stem to head), coloured by kind; click a box to pick
    the module. Hover gives exact params and MACs. Auxiliary heads (`aux_after`: head -> module it
    reads) sit in an extra row under their module."""
    import plotly.graph_objects as go

    mods = list(cost.modules) + [cost.heads[0]]
    n = len(mods)
    per_row = max(4, min(per_row, n))
    xs, ys, text, hover, colors, custom, sizes = [], [], [], [], [], [], []
    for i, m in enumerate(mods):
        row, col = divmod(i, per_row)
        x = col if row % 2 == 0 else per_row - 1 - col
        xs.append(x)
        ys.append(-row)
        short = m.name.replace("inception_", "inc_") if len(m.name) > 13 else m.name
        text.append(f"<b>{short}</b><br>{shape_text(m.out_shape)}")
        hover.append(f"<b>{m.name}</b> ({m.kind})<br>in {shape_text(m.in_shape)} → out {shape_text(m.out_shape)}"
                     f"<br>params {m.params:,}<br>MACs {m.macs:,}<br>stride {m.stride}, receptive field {m.rf}")
        colors.append(KIND_COLORS.get(m.kind, "#444"))
        custom.append(m.name)
        sizes.append(3 if m.name == selected else 1)
    fig = go.Figure()
    # the path through the network
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#bbbbbb", width=3),
                             hoverinfo="skip", showlegend=False))
    for kind in dict.fromkeys(m.kind for m in mods):
        idx = [i for i, m in enumerate(mods) if m.kind == kind]
        fig.add_trace(go.Scatter(
            x=[xs[i] for i in idx], y=[ys[i] for i in idx], mode="markers+text", name=kind,
            marker=dict(symbol="square", size=[58 if custom[i] == selected else 46 for i in idx],
                        color=KIND_COLORS.get(kind, "#444"),
                        line=dict(color=["black" if custom[i] == selected else "white" for i in idx],
                                  width=[4 if custom[i] == selected else 1 for i in idx])),
            text=[text[i] for i in idx], textposition="bottom center", textfont=dict(size=13),
            customdata=[custom[i] for i in idx], hovertext=[hover[i] for i in idx], hoverinfo="text"))
    rows = (n + per_row - 1) // per_row
    # auxiliary heads: one extra row, each under the module it reads, joined by a dotted line
    pos = {custom[i]: (xs[i], ys[i]) for i in range(n)}
    aux = list(cost.heads[1:])
    if aux:
        ax, ay, at, ah, ac = [], [], [], [], []
        for h in aux:
            src = (aux_after or {}).get(h.name)
            if src is None:  # no map given: the last module whose output has the head's input shape
                src = next((m.name for m in reversed(cost.modules) if m.out_shape == h.in_shape), None)
            x0, y0 = pos.get(src, (0, 0))
            xa = x0 - 0.5 if x0 >= per_row - 1 else x0 + 0.5  # between the columns above
            ax.append(xa)
            ay.append(-rows)
            fig.add_trace(go.Scatter(x=[x0, xa, xa], y=[y0, y0 - 0.5, -rows], mode="lines", hoverinfo="skip",
                                     showlegend=False,
                                     line=dict(color="#9467bd", width=2, dash="dot")))
            at.append(f"<b>{h.name}</b><br>after {src}")
            ah.append(f"<b>{h.name}</b> (auxiliary head, training only) reads {src}<br>params {h.params:,}"
                      f"<br>MACs {h.macs:,}")
            ac.append(h.name)
        fig.add_trace(go.Scatter(
            x=ax, y=ay, mode="markers+text", name="aux head",
            marker=dict(symbol="square", size=[58 if c == selected else 40 for c in ac],
                        color=KIND_COLORS["head"], opacity=0.75,
                        line=dict(color=["black" if c == selected else "white" for c in ac],
                                  width=[4 if c == selected else 1 for c in ac])),
            text=at, textposition="bottom center", textfont=dict(size=13), customdata=ac, hovertext=ah,
            hoverinfo="text"))
        rows += 1
    fig.update_xaxes(visible=False, range=[-0.6, per_row - 0.4])
    fig.update_yaxes(visible=False, range=[-rows + 0.35, 0.45])
    style(fig, height=max(260, 150 * rows + 60))
    fig.update_layout(legend=dict(orientation="h", y=1.08, x=0), clickmode="event+select",
                      margin=dict(l=10, r=10, t=50, b=10), dragmode=False)
    return fig


def module_figure(rmod, mcost, cost, title: Optional[str] = None):
    """One module as the paper draws it: its branches side by side, each a column of ops from the
    previous layer (top) to the concatenation (bottom), with filters and output shapes."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if rmod.sequential:
        columns = [("", rmod.name, rmod.units)]
    else:
        columns = [(b.key, b.label, b.units) for b in rmod.branches]
    ncol = max(1, len(columns))
    depth = max([len(u) for _, _, u in columns] + [1])
    box_h, gap = 1.25, 0.45
    font = 14 if ncol <= 4 else 12
    top = 0.0
    xs, ys, hov = [], [], []
    in_y = top + 1.2
    fig.add_shape(type="rect", x0=-0.45, x1=ncol - 0.55, y0=in_y - 0.35, y1=in_y + 0.35,
                  fillcolor="#eeeeee", line=dict(color="#999"))
    fig.add_annotation(x=(ncol - 1) / 2, y=in_y, text=f"input {shape_text(mcost.in_shape)}",
                       showarrow=False, font=dict(size=16))
    parts = {p.key: p for p in mcost.branches}
    for col, (key, label, units) in enumerate(columns):
        color = label_color(label, col) if key else KIND_COLORS.get(rmod.kind, "#1f77b4")
        rows = unit_rows(units, cost)
        if key:
            part = parts.get(key)
            head = f"<b>{label}</b>"
            fig.add_annotation(x=col, y=top + 0.55, text=head, showarrow=False, font=dict(size=17, color=color))
        y = top
        if not rows:  # identity branch
            rows = [{"label": "identity", "op": "identity", "detail": "", "out_shape": mcost.in_shape,
                     "params": 0, "macs": 0}]
        for r in rows:
            y0, y1 = y - box_h, y
            fig.add_shape(type="rect", x0=col - 0.42, x1=col + 0.42, y0=y0, y1=y1,
                          fillcolor=color, opacity=0.22, line=dict(color=color, width=2))
            out = shape_text(r["out_shape"]) if r["out_shape"] else ""
            lines = [f"<b>{r['op']}</b>"] + ([r["detail"]] if r["detail"] else []) + ([out] if out else [])
            fig.add_annotation(x=col, y=(y0 + y1) / 2, text="<br>".join(lines), showarrow=False,
                               font=dict(size=font))
            xs.append(col)
            ys.append((y0 + y1) / 2)
            hov.append(f"{label} · {r['label']}<br>out {out}<br>params {r['params']:,}<br>MACs {r['macs']:,}")
            y = y0 - gap
    bottom = top - depth * (box_h + gap) - 0.2
    if not rmod.sequential:
        concat = sum((parts[k].out_shape[-1] for k, _, _ in columns if k in parts), 0)
        lines = [f"filter concatenation: {concat} channels"]
        if rmod.kind == "residual":
            scale = f"{rmod.scale:g} × " if rmod.scale is not None else ""
            lines.append(f"→ 1x1 linear up-projection → input + {scale}residual" if rmod.residual
                         else "→ 1x1 linear up-projection (no shortcut: residual off)")
        lines[-1] += f" → {shape_text(mcost.out_shape)}"
        half = 0.35 * len(lines)
        fig.add_shape(type="rect", x0=-0.45, x1=ncol - 0.55, y0=bottom - half, y1=bottom + 0.35,
                      fillcolor="#dddddd", line=dict(color="#777"))
        fig.add_annotation(x=(ncol - 1) / 2, y=bottom + 0.35 - half, text="<br>".join(lines),
                           showarrow=False, font=dict(size=15 if ncol > 2 else 13))
        bottom -= half - 0.35
    else:
        bottom = y + gap
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker=dict(size=30, opacity=0),
                             hovertext=hov, hoverinfo="text", showlegend=False))
    fig.update_xaxes(visible=False, range=[-0.6, ncol - 0.4])
    fig.update_yaxes(visible=False, range=[bottom - 0.6, in_y + 0.5])
    style(fig, title=title, height=int(180 + 125 * depth))
    fig.update_layout(margin=dict(l=10, r=10, t=60 if title else 10, b=10), dragmode=False)
    return fig


# --------------------------------------------------------------------------- cost charts
def _per_module(before, after, metric: str):
    """({module: value} of the default, of the current choices, all module names in order)."""
    def values(c):
        return {m.name: getattr(m, metric) for m in list(c.modules) + list(c.heads)}

    b, a = values(before), values(after)
    return b, a, list(dict.fromkeys(list(b) + list(a)))


def module_bars(before, after, metric: str = "params"):
    """Per module: the default's and the current configuration's params (or MACs), side by side."""
    import plotly.graph_objects as go

    b, a, names = _per_module(before, after, metric)
    fig = go.Figure()
    label = "params" if metric == "params" else "MACs"
    for name, vals, color in (("variant default", b, "#9aa5b1"), ("your choices", a, "#1f77b4")):
        ys = [vals.get(n, 0) for n in names]
        fig.add_trace(go.Bar(x=names, y=ys, name=name, marker_color=color,
                             customdata=[f"{v:,}" for v in ys],
                             hovertemplate="%{x}<br>" + name + ": %{customdata} " + label + "<extra></extra>"))
    style(fig, title=f"{label} per module: default vs your choices", height=470)
    fig.update_layout(barmode="group", xaxis_tickangle=-45, legend=dict(orientation="h", y=1.12, x=0))
    fig.update_yaxes(title=label)
    return fig


def waterfall(before, after, metric: str = "params"):
    """From the default's total to the current total, module by module (only modules that change)."""
    import plotly.graph_objects as go

    b, a, names = _per_module(before, after, metric)
    deltas = [(n, a.get(n, 0) - b.get(n, 0)) for n in names if a.get(n, 0) != b.get(n, 0)]
    label = "params" if metric == "params" else "MACs"
    tb, ta = getattr(before, metric), getattr(after, metric)
    x = ["default"] + [n for n, _ in deltas] + ["yours"]
    y = [tb] + [d for _, d in deltas] + [ta]
    fig = go.Figure(go.Waterfall(
        x=x, y=y, measure=["absolute"] + ["relative"] * len(deltas) + ["total"],
        text=[human(tb)] + [signed(d) for _, d in deltas] + [human(ta)], textposition="outside",
        customdata=[f"{v:,}" for v in y], hovertemplate="%{x}: %{customdata}<extra></extra>",
        connector=dict(line=dict(color="#999")),
        increasing=dict(marker=dict(color="#d62728")), decreasing=dict(marker=dict(color="#2ca02c")),
        totals=dict(marker=dict(color="#1f77b4"))))
    style(fig, title=f"Where the {label} change comes from (default → your choices)", height=470)
    fig.update_layout(xaxis_tickangle=-45, showlegend=False)
    # zoom on the changes: the bars start at the default's total, not at zero
    running, levels = tb, [tb, ta]
    for _, d in deltas:
        running += d
        levels.append(running)
    lo, hi = min(levels), max(levels)
    span = (hi - lo) or max(hi * 0.01, 1)
    fig.update_yaxes(title=label + " (axis zoomed)", range=[max(0, lo - 0.6 * span), hi + 0.6 * span])
    return fig


def combos_figure(rows: list[dict], toggles: list[str], color_by: str, current: dict, default: dict):
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
            hovertext=[_combo_hover(r, toggles) for r in rs], hoverinfo="text"))
    for r, name, symbol in ((default, "variant default", "star"), (current, "your choices", "diamond-open")):
        if r:
            fig.add_trace(go.Scatter(x=[r["params"]], y=[r["macs"]], mode="markers", name=name,
                                     marker=dict(size=26, symbol=symbol, color="black",
                                                 line=dict(width=3, color="black")),
                                     hovertext=[_combo_hover(r, toggles)], hoverinfo="text"))
    style(fig, title="Every combination of the toggles (analytic cost model)", height=540)
    fig.update_xaxes(type="log", title="parameters")
    fig.update_yaxes(type="log", title="MACs per image")
    return fig


def _combo_hover(r: dict, toggles: list[str]) -> str:
    settings = "<br>".join(f"{t} = {r[t]}" for t in toggles)
    return f"{settings}<br><b>{r['params']:,} params</b><br><b>{r['macs']:,} MACs</b>"


# --------------------------------------------------------------------------- accuracy charts
SOURCE_SYMBOLS = {"paper": "circle", "keras": "square", "tf_slim": "diamond", "torchvision": "triangle-up"}


def accuracy_figure(rows: list[dict], x: str, metric: str):
    """Published accuracy against computed params or MACs; one marker per (variant, source)."""
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
            hovertext=[f"<b>{r['title']}</b> — {r['source']}<br>{metric} {r[metric]:.2f}%<br>"
                       f"{r['params']:,} params · {r['macs']:,} MACs (computed)<br>source: {r['citation']}"
                       for r in rs], hoverinfo="text"))
    xlabel = "parameters (computed, log scale)" if x == "params" else "MACs per image (computed, log scale)"
    style(fig, title=f"Published ImageNet {metric} accuracy vs {'parameters' if x == 'params' else 'MACs'}",
          height=560)
    fig.update_layout(legend=dict(orientation="h", y=-0.18, x=0, title="source:"))
    fig.update_xaxes(type="log", title=xlabel)
    fig.update_yaxes(title=f"{metric} accuracy (%)")
    return fig


def v3_table3_figure(rows):
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[r.step for r in rows], y=[r.top1_error for r in rows],
                           text=[f"{r.top1_error:.1f}%" for r in rows], textposition="outside",
                           marker_color=["#9aa5b1"] + ["#1f77b4"] * (len(rows) - 1),
                           hovertext=[r.change for r in rows], hoverinfo="text+y"))
    style(fig, title="Inception-v3 paper, Table 3 (published, cumulative)", height=430)
    lo = min(r.top1_error for r in rows)
    fig.update_yaxes(title="top-1 error (%)", range=[lo - 1.5, max(r.top1_error for r in rows) + 0.8])
    return fig


def googlenet_table3_figure(rows):
    import plotly.graph_objects as go

    fig = go.Figure()
    for models, color in ((1, "#1f77b4"), (7, "#d62728")):
        rs = [r for r in rows if r.models == models]
        fig.add_trace(go.Scatter(x=[r.cost for r in rs], y=[r.top5_error for r in rs], mode="lines+markers+text",
                                 name=f"{models} model{'s' if models > 1 else ''}", marker=dict(size=14, color=color),
                                 text=[f"{r.crops} crop{'s' if r.crops > 1 else ''}: {r.top5_error:.2f}%" for r in rs],
                                 textposition="top right" if models == 1 else "bottom left",
                                 textfont=dict(size=13)))
    style(fig, title="GoogLeNet paper, Table 3 (published): crops and models", height=430)
    fig.update_xaxes(type="log", title="cost = models × crops (forward passes per image)", range=[-0.4, 3.6])
    fig.update_yaxes(range=[6.0, 10.8])
    fig.update_yaxes(title="top-5 error (%)")
    return fig


# --------------------------------------------------------------------------- activations
def response_figure(rows: list[dict], metric: str = "share"):
    """Which branch (scale) responds where: per module, each branch's share of the module's total
    activation (or its mean activation / fraction of positive units)."""
    import plotly.graph_objects as go

    modules = list(dict.fromkeys(r["module"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    fig = go.Figure()
    for i, lab in enumerate(labels):
        ys, hov = [], []
        for m in modules:
            r = next((r for r in rows if r["module"] == m and r["label"] == lab), None)
            ys.append(None if r is None else r[metric])
            hov.append("" if r is None else
                       f"{m} · {lab}<br>share {r['share']:.1%}<br>mean {r['mean']:.4f}<br>"
                       f"active {r['active_fraction']:.1%}<br>{r['channels']} channels")
        fig.add_trace(go.Bar(x=modules, y=ys, name=lab, marker_color=label_color(lab, i),
                             hovertext=hov, hoverinfo="text"))
    titles = {"share": "share of the module's total activation",
              "mean": "mean activation", "active_fraction": "fraction of positive activations"}
    style(fig, title=f"Branch response across modules for this image: {titles[metric]}", height=470)
    fig.update_layout(barmode="stack" if metric == "share" else "group", xaxis_tickangle=-45,
                      legend=dict(title="branch"))
    if metric == "share":
        fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def response_rows(summary: list[dict], maps: dict) -> list[dict]:
    """Rows for `response_figure` from the probe's summary (branched modules only; the residual
    up-projection left out): share = channels x mean over the module's branches."""
    branched = {m for m, parts in maps.items() if any(k.startswith("b") and k[1:].isdigit() for k in parts)}
    rows = [dict(r) for r in summary if r["module"] in branched and r["branch"] != "up"]
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


def tile_maps(a: np.ndarray, channels, cols: int = 4, tile: int = 112, pad: int = 4) -> np.ndarray:
    """A grid of the given channels' maps, on one colour scale per grid (so the strength of the
    channels can be compared), each upscaled to `tile` px (nearest: the real resolution shows)."""
    channels = list(channels)
    rows = max(1, math.ceil(len(channels) / cols))
    grid = np.full((rows * (tile + pad) + pad, cols * (tile + pad) + pad, 3), 255, np.uint8)
    if not channels:
        return grid
    sel = a[..., channels].astype(np.float32)
    hi = float(np.max(sel)) if sel.size else 0.0
    lo = min(0.0, float(np.min(sel)))
    scale = (hi - lo) or 1.0
    for i, ch in enumerate(channels):
        r, c = divmod(i, cols)
        img = colormap((a[..., ch].astype(np.float32) - lo) / scale)
        img = np.asarray(Image.fromarray(img).resize((tile, tile), Image.Resampling.NEAREST))
        y, x = pad + r * (tile + pad), pad + c * (tile + pad)
        grid[y:y + tile, x:x + tile] = img
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


def topk_figure(rows: list[tuple], title: str):
    """Horizontal bars of a head's top-k probabilities."""
    import plotly.graph_objects as go

    rows = list(rows)[::-1]
    fig = go.Figure(go.Bar(x=[p for _, _, p in rows], y=[name for _, name, _ in rows], orientation="h",
                           text=[f"{p:.1%}" for _, _, p in rows], textposition="auto",
                           marker_color="#1f77b4"))
    style(fig, title=title, height=300)
    fig.update_xaxes(tickformat=".0%", range=[0, max([p for _, _, p in rows] + [0.01]) * 1.15])
    fig.update_layout(margin=dict(l=10, r=10, t=50, b=30))
    return fig
