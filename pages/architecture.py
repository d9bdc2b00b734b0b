"""Architecture: a variant and its design choices, module by module: an interactive diagram (click a
module to see its branches), the module table with per-branch costs, paper vs shipped, downloads."""
from __future__ import annotations

import dataclasses
import json

import pandas as pd
import streamlit as st

import explorer
from explorer.figures.fmt import fmt_macs, human
from explorer.figures.network import kind_name, module_figure, network_figure, shape_text, unit_rows
from explorer.zoo import published
from pages.ui import common, router, state
from pages.ui.i18n import N_, _

DIAGRAM_KEY = "arch_diagram"
COUNTS = (N_("params"), N_("trainable"), N_("MACs"))
HEADERS = {"branch": N_("branch"), "label": N_("label"), "ops": N_("ops"), "output": N_("output"),
           "channels": N_("channels"), "receptive field": N_("receptive field"), "module": N_("module"),
           "kind": N_("kind"), "branches": N_("branches"), "stride": N_("stride"), "in": N_("in"),
           "out": N_("out"), "configuration": N_("configuration"),
           "changes from the default": N_("changes from the default"), "rf": N_("RF (px)")}
# The columns shown (all of them are in the CSV downloads): each table fits a 1280 px projector.
BRANCH_SHOWN = ("label", "ops", "output", "params", "MACs", "receptive field")
MODULE_SHOWN = ("module", "kind", "output", "params", "MACs", "stride", "receptive field")
ALL_BRANCHES_SHOWN = ("module", "label", "output", "params", "MACs", "stride", "rf")
PRESETS_SHOWN = ("configuration", "changes from the default", "params", "MACs")
REF_HEADERS = {"configuration": N_("configuration"), "published": N_("published"), "counting": N_("counting"),
               "computed": N_("computed"), "source": N_("source")}


def _picked_module():
    """The module clicked in the diagram since the last run (None if nothing new)."""
    event = st.session_state.get(DIAGRAM_KEY)
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    if not points:
        return None
    pick = points[0].get("customdata")
    if isinstance(pick, (list, tuple)):
        pick = pick[0] if pick else None
    if pick is None or pick == st.session_state.get("_last_pick"):
        return None
    st.session_state["_last_pick"] = pick
    return pick


def _resolved_module(net, module: str, kind: str):
    """The resolved module to draw; a classifier head drawn as a sequential module."""
    if kind != "head":
        return net.module(module)
    return net.head if module == "head" else next(a for a in net.aux if a.name == module)


def _headline(view: state.View, s, cost) -> None:
    st.title(_("Architecture: {title}").format(title=s.title))
    st.caption(s.paper + ". " + _("Change the variant and the design choices in the sidebar."))
    size = view.choices.input_size
    m1, m2, m3, m4 = st.columns([1, 1.35, 0.75, 0.9])  # "13.16 GMACs" needs the room
    m1.metric(_("Parameters"), human(cost.params), help=_(
        "{params} parameters (Keras count, with BN moving statistics); {trainable} trainable").format(
        params=f"{cost.params:,}", trainable=f"{cost.trainable_params:,}"))
    m2.metric(_("MACs per image"), fmt_macs(cost.macs),
              help=_("{macs} multiply-accumulates").format(macs=f"{cost.macs:,}"))
    m3.metric(_("Modules"), len(cost.modules), help=_("rows of the network table, stem included"))
    m4.metric(_("Input"), f"{size}×{size}", help=_("input image side in pixels"))
    st.markdown(_("Exact: **{params}** parameters ({trainable} trainable) · **{macs}** MACs at {size}").format(
        params=f"{cost.params:,}", trainable=f"{cost.trainable_params:,}", macs=f"{cost.macs:,}",
        size=f"{size}×{size}"))


def _pick_module(v: str, cost, net) -> str:
    """The diagram and the module list (either picks the module shown below)."""
    names = [m.name for m in list(cost.modules) + list(cost.heads)]
    pick = _picked_module()
    if pick in names:
        st.session_state["module"] = pick
    state.seed("module", common.first_inception_module([(m.name, m.kind) for m in cost.modules]), valid=names)
    st.subheader(_("The network, module by module"))
    st.caption(_("Click a module in the diagram (or pick it in the list) to see its branches. Hover for "
                 "exact numbers."))
    st.selectbox(_("Module"), names, key="module", format_func=lambda n: f"{n} ({kind_name(cost.module(n).kind, _)})")
    state.remember("module")
    module = st.session_state["module"]
    common.plot(network_figure(cost, selected=module, aux_after={a.name: a.after for a in net.aux}, tr=_),
                f"{v}_network", key=DIAGRAM_KEY,
                on_select="rerun", selection_mode="points")
    return module


def _module_detail(v: str, net, cost, module: str) -> None:
    mcost = cost.module(module)
    rmod = _resolved_module(net, module, mcost.kind)
    left, right = st.columns([2, 1], gap="large")
    with left:
        common.plot(module_figure(rmod, mcost, cost, title=f"{module}: {kind_name(mcost.kind, _)}", tr=_),
                    f"{v}_{module}", key="module_diagram")
    with right:
        st.markdown(f"#### {module}")
        st.markdown(_("**in** {inp} → **out** {out}  \n**{params}** params · **{macs}** MACs  \nstride {stride} · "
                      "receptive field {rf} px").format(
            inp=shape_text(mcost.in_shape), out=shape_text(mcost.out_shape), params=f"{mcost.params:,}",
            macs=f"{mcost.macs:,}", stride=mcost.stride, rf=mcost.rf))
        st.caption(_("Boxes: one op each (kernel, filters, output shape); columns: the branches, "
                     "concatenated at the bottom. Hover a box for its params and MACs."))
        if mcost.kind == "head" and module != "head":
            st.markdown(_("Auxiliary heads only help training; their loss is added with a discount weight:"))
            st.latex(r"\mathcal{L} = \mathcal{L}_{\text{main}} + 0.3\,\mathcal{L}_{\text{aux}_1} + "
                     r"0.3\,\mathcal{L}_{\text{aux}_2}")
            st.caption(_(published.AUX_LOSS_SOURCE))
    st.dataframe(pd.DataFrame(_branch_rows(rmod, mcost, cost)), hide_index=True, width="stretch",
                 key="branch_table", column_order=BRANCH_SHOWN,
                 column_config={**common.column_labels(HEADERS), **common.number_columns(N_("params"), N_("MACs")),
                                "ops": st.column_config.TextColumn(_("ops"), width=320),
                                "receptive field": st.column_config.NumberColumn(_("RF (px)"))})


def _branch_rows(rmod, mcost, cost) -> list[dict]:
    if rmod.sequential:
        parts = [(p.key, p.label, (u,)) for p, u in zip(mcost.branches, rmod.units)]
    else:
        parts = [(b.key, b.label, b.units) for b in rmod.branches]
        if rmod.kind == "residual":
            parts.append(("up", _("1x1 up"), (rmod.up,)))
    costs = {p.key: p for p in mcost.branches}
    rows = []
    for key, label, units in parts:
        p = costs.get(key)
        ops = " → ".join(r["label"] for r in unit_rows(units, cost, _)) or _("identity (pass-through)")
        rows.append({"branch": key, "label": label, "ops": ops,
                     "output": shape_text(p.out_shape) if p else "", "channels": p.out_shape[-1] if p else None,
                     "params": p.params if p else 0, "MACs": p.macs if p else 0,
                     "receptive field": p.rf if p else None})
    return rows


def _tables_and_downloads(view: state.View, s, cost) -> None:
    v = view.variant
    st.subheader(_("Module table"))
    table = pd.DataFrame(cost.rows()).rename(columns={"macs": "MACs", "rf": "receptive field"})
    st.dataframe(table.assign(kind=[kind_name(k, _) for k in table["kind"]]), hide_index=True, width="stretch",
                 key="module_table", column_order=MODULE_SHOWN,
                 column_config={**common.column_labels(HEADERS), **common.number_columns(*COUNTS),
                                "receptive field": st.column_config.NumberColumn(_("RF (px)"))})
    branches = pd.DataFrame([
        {"module": m.name, "branch": p.key, "label": p.label, "output": shape_text(p.out_shape),
         "params": p.params, "trainable": p.trainable, "MACs": p.macs, "stride": p.stride, "rf": p.rf,
         "layer": p.output_layer}
        for m in list(cost.modules) + list(cost.heads) for p in m.branches])
    with st.expander(_("Per-branch table (every branch of every module)")):
        st.dataframe(branches, hide_index=True, width="stretch", key="all_branches_table",
                     column_order=ALL_BRANCHES_SHOWN,
                     column_config={**common.column_labels({**HEADERS, "rf": N_("receptive field"), "layer": N_("layer")}),
                                    **common.number_columns(*COUNTS)})
    config = {"variant": v, "title": s.title, "paper": s.paper, "choices": dataclasses.asdict(view.choices),
              "non_default_choices": view.kwargs, "weights": view.weights,
              "params": cost.params, "trainable_params": cost.trainable_params, "macs": cost.macs,
              "url_query": state.view_params(("module",))}
    d1, d2, d3 = st.columns(3)
    d1.download_button(_("Configuration (JSON)"), json.dumps(config, indent=2, default=list),
                       file_name=f"{v}_config.json", mime="application/json", key="dl_config", width="stretch",
                       on_click="ignore")
    d2.download_button(_("Module table (CSV)"), table.to_csv(index=False), file_name=f"{v}_modules.csv",
                       mime="text/csv", key="dl_modules", width="stretch", on_click="ignore")
    d3.download_button(_("Branch table (CSV)"), branches.to_csv(index=False), file_name=f"{v}_branches.csv",
                       mime="text/csv", key="dl_branches", width="stretch", on_click="ignore")


def _paper_vs_shipped(v: str, s) -> None:
    st.subheader(_("Paper vs shipped"))
    for note in published.paper_vs_shipped(v):
        st.markdown(f"- {_(note)}")
    presets = []
    for name, changes in s.presets:
        c = explorer.cost(v, **dict(changes))
        presets.append({"configuration": name,
                        "changes from the default": ", ".join(f"{k}={val!r}" for k, val in changes) or _("(default)"),
                        "params": c.params, "trainable": c.trainable_params, "MACs": c.macs})
    if presets:
        st.markdown(_("**Shipped configurations** (apply one with *Start from a shipped configuration* in "
                      "the sidebar); params and MACs computed by the cost model:"))
        st.dataframe(pd.DataFrame(presets), hide_index=True, width="stretch", key="presets_table",
                     column_order=PRESETS_SHOWN,
                     column_config={**common.column_labels(HEADERS), **common.number_columns(*COUNTS),
                                    "changes from the default": st.column_config.TextColumn(
                                        _("changes from the default"), width=330)})
    refs = published.param_counts(v)
    if refs:
        with st.expander(_("Published parameter counts for this variant (and what the code computes)")):
            st.dataframe(pd.DataFrame([_reference_row(v, r) for r in refs]), hide_index=True, width="stretch",
                         key="refs_table", column_config={
                             **common.column_labels(REF_HEADERS), **common.number_columns(N_("published"), N_("computed")),
                             "configuration": st.column_config.TextColumn(_("configuration"), width=230),
                             "source": st.column_config.TextColumn(_("source"), width=180)})


def _reference_row(v: str, r) -> dict:
    computed = None
    if r.computable:
        c = explorer.cost(v, **dict(r.choices))
        computed = {"keras": c.params, "trainable": c.trainable_params,
                    "no_top": c.params - c.heads[0].params}[r.counting]
    return {"configuration": _(r.description), "published": r.params, "counting": r.counting,
            "computed": computed, "source": r.source}


@common.page(url_keys=("module",))
def render(view: state.View) -> None:
    if not common.require_choices(view):
        return
    s = explorer.get_spec(view.variant)
    cost = explorer.cost(view.variant, **view.kwargs)
    net = explorer.resolve(s, view.choices)
    _headline(view, s, cost)
    module = _pick_module(view.variant, cost, net)
    _module_detail(view.variant, net, cost, module)
    _tables_and_downloads(view, s, cost)
    _paper_vs_shipped(view.variant, s)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
