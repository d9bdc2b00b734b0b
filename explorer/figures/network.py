"""The architecture drawn from the resolved graph: the network as a snake of module boxes, one
module as the paper draws it (branches side by side), and how a unit reads to a student."""
from __future__ import annotations

from typing import Optional

from explorer.figures.style import KIND_COLORS, N_, Translate, label_color, same, style

# How the module kinds read in the UI (legend, lists); `tr(KIND_NAMES[kind])` translates them.
KIND_NAMES = {"stem": N_("stem"), "pool": N_("pool"), "conv": N_("conv"), "inception": N_("inception"),
              "reduction": N_("reduction"), "residual": N_("residual"), "head": N_("head")}


def kind_name(kind: str, tr: Translate = same) -> str:
    return tr(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def unit_parts(unit, out_shape=None, tr: Translate = same) -> tuple[str, str]:
    """A resolved unit as a student reads it, in two parts: ('3x3 conv', '128 filters'),
    ('3x3 max pool', 'stride 2'), ('LRN', '')."""
    from explorer.arch.units import ConvU, DenseU, DropoutU, FlattenU, GapU, LRNU, ParU, PoolU

    if isinstance(unit, ConvU):
        kh, kw = unit.kernel
        filters = unit.filters if unit.filters is not None else (out_shape[-1] if out_shape else "C")
        op = (tr("{k} sep conv") if unit.depth_multiplier else tr("{k} conv")).format(k=f"{kh}x{kw}")
        detail = tr("{n} filters").format(n=filters) + ("" if unit.stride == 1 else f", /{unit.stride}")
        return op + ("" if unit.act else tr(" (linear)")), detail
    if isinstance(unit, ParU):
        parts = " ∥ ".join(f"{c.kernel[0]}x{c.kernel[1]}" for c in unit.convs)
        return parts, tr("{n} filters").format(n=f"{len(unit.convs)}×{unit.convs[0].filters}")
    if isinstance(unit, PoolU):
        op = (tr("{k} max pool") if unit.kind == "max" else tr("{k} avg pool")).format(k=f"{unit.size}x{unit.size}")
        return op, ("" if unit.stride == 1 else tr("stride {n}").format(n=unit.stride))
    if isinstance(unit, LRNU):
        return "LRN", ""
    if isinstance(unit, GapU):
        return tr("global avg pool"), ""
    if isinstance(unit, FlattenU):
        return tr("flatten"), ""
    if isinstance(unit, DropoutU):
        return tr("dropout"), f"{unit.rate:g}"
    if isinstance(unit, DenseU):
        return f"FC {unit.units}", (unit.act or "")
    return type(unit).__name__, ""


def unit_label(unit, out_shape=None, tr: Translate = same) -> str:
    """One line: '3x3 conv, 128 filters', '3x3 max pool, stride 2', 'LRN'."""
    op, detail = unit_parts(unit, out_shape, tr)
    return f"{op}, {detail}" if detail else op


def shape_text(shape) -> str:
    return "×".join(str(s) for s in shape)


def unit_rows(units, cost, tr: Translate = same) -> list[dict]:
    """One row per unit of a branch: label, output shape, params, MACs (from the cost model)."""
    from explorer.arch.units import ParU

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
        op, detail = unit_parts(u, out, tr)
        rows.append({"unit": u, "label": unit_label(u, out, tr), "op": op, "detail": detail, "out_shape": out,
                     "params": sum(lc.params for lc in layers), "macs": sum(lc.macs for lc in layers)})
    return rows


# --------------------------------------------------------------------------- network diagram
def network_figure(cost, selected: Optional[str] = None, per_row: int = 8, aux_after: Optional[dict] = None,
                   tr: Translate = same):
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
        hover.append(f"<b>{m.name}</b> ({kind_name(m.kind, tr)})<br>" + tr(
            "in {inp} → out {out}<br>params {params}<br>MACs {macs}<br>stride {stride}, receptive field {rf}").format(
            inp=shape_text(m.in_shape), out=shape_text(m.out_shape), params=f"{m.params:,}", macs=f"{m.macs:,}",
            stride=m.stride, rf=m.rf))
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
            x=[xs[i] for i in idx], y=[ys[i] for i in idx], mode="markers+text", name=kind_name(kind, tr),
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
            at.append(f"<b>{h.name}</b><br>" + tr("after {module}").format(module=src))
            ah.append(f"<b>{h.name}</b> " + tr("(auxiliary head, training only) reads {module}<br>params {params}"
                                             "<br>MACs {macs}").format(module=src, params=f"{h.params:,}",
                                                                      macs=f"{h.macs:,}"))
            ac.append(h.name)
        fig.add_trace(go.Scatter(
            x=ax, y=ay, mode="markers+text", name=tr("aux head"),
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


def _concat_box(fig, rmod, mcost, columns, ncol: int, bottom: float, tr: Translate) -> float:
    """The filter concatenation (and a residual module's up-projection) under the branches;
    returns the new bottom."""
    parts = {p.key: p for p in mcost.branches}
    concat = sum((parts[k].out_shape[-1] for k, _, _ in columns if k in parts), 0)
    lines = [tr("filter concatenation: {n} channels").format(n=concat)]
    if rmod.kind == "residual":
        scale = f"{rmod.scale:g} × " if rmod.scale is not None else ""
        lines.append(tr("→ 1x1 linear up-projection → input + {scale}residual").format(scale=scale) if rmod.residual
                     else tr("→ 1x1 linear up-projection (no shortcut: residual off)"))
    lines[-1] += f" → {shape_text(mcost.out_shape)}"
    half = 0.35 * len(lines)
    fig.add_shape(type="rect", x0=-0.45, x1=ncol - 0.55, y0=bottom - half, y1=bottom + 0.35,
                  fillcolor="#dddddd", line=dict(color="#777"))
    fig.add_annotation(x=(ncol - 1) / 2, y=bottom + 0.35 - half, text="<br>".join(lines),
                       showarrow=False, font=dict(size=15 if ncol > 2 else 13))
    return bottom - (half - 0.35)


def module_figure(rmod, mcost, cost, title: Optional[str] = None, tr: Translate = same):
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
    fig.add_annotation(x=(ncol - 1) / 2, y=in_y, text=tr("input {shape}").format(shape=shape_text(mcost.in_shape)),
                       showarrow=False, font=dict(size=16))
    for col, (key, label, units) in enumerate(columns):
        color = label_color(label, col) if key else KIND_COLORS.get(rmod.kind, "#1f77b4")
        rows = unit_rows(units, cost, tr)
        if key:
            head = f"<b>{label}</b>"
            fig.add_annotation(x=col, y=top + 0.55, text=head, showarrow=False, font=dict(size=17, color=color))
        y = top
        if not rows:  # identity branch
            rows = [{"label": tr("identity"), "op": tr("identity"), "detail": "", "out_shape": mcost.in_shape,
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
            hov.append(f"{label} · {r['label']}<br>" + tr("out {out}<br>params {params}<br>MACs {macs}").format(
                out=out, params=f"{r['params']:,}", macs=f"{r['macs']:,}"))
            y = y0 - gap
    bottom = top - depth * (box_h + gap) - 0.2
    if not rmod.sequential:
        bottom = _concat_box(fig, rmod, mcost, columns, ncol, bottom, tr)
    else:
        bottom = y + gap
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker=dict(size=30, opacity=0),
                             hovertext=hov, hoverinfo="text", showlegend=False))
    fig.update_xaxes(visible=False, range=[-0.6, ncol - 0.4])
    fig.update_yaxes(visible=False, range=[bottom - 0.6, in_y + 0.5])
    style(fig, title=title, height=int(180 + 125 * depth))
    fig.update_layout(margin=dict(l=10, r=10, t=60 if title else 10, b=10), dragmode=False)
    return fig
