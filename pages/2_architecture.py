"""Architecture: a variant and its design choices, module by module: an interactive diagram (click a
module to see its branches), the module table with per-branch costs, paper vs shipped, downloads."""
import dataclasses
import json
import types

import pandas as pd
import streamlit as st

import explorer
from explorer import metadata
from pages import _charts as charts
from pages import _shared as sh

DIAGRAM_KEY = "arch_diagram"


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


def _head_as_module(head):
    return types.SimpleNamespace(name=head.name, kind="head", sequential=True, units=head.units,
                                 branches=(), residual=False, scale=None)


def _ops_chain(units, cost) -> str:
    rows = charts.unit_rows(units, cost)
    return " → ".join(r["label"] for r in rows) if rows else "identity (pass-through)"


def body(view: sh.View) -> None:
    if not sh.require_choices(view):
        return
    v, c = view.variant, view.choices
    s = explorer.get_spec(v)
    kw = sh.choice_kwargs(v, c)
    cost = explorer.cost(v, **kw)
    net = explorer.resolve(s, c)

    st.title(f"Architecture: {s.title}")
    st.caption(f"{s.paper}. Change the variant and the design choices in the sidebar.")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Parameters", sh.human(cost.params), help=f"{cost.params:,} parameters (Keras count, with BN "
              f"moving statistics); {cost.trainable_params:,} trainable")
    m2.metric("MACs per image", sh.fmt_macs(cost.macs), help=f"{cost.macs:,} multiply-accumulates")
    m3.metric("Modules", len(cost.modules), help="rows of the network table, stem included")
    m4.metric("Input", f"{c.input_size}×{c.input_size}", help="input image side in pixels")
    st.markdown(f"Exact: **{cost.params:,}** parameters ({cost.trainable_params:,} trainable) · "
                f"**{cost.macs:,}** MACs at {c.input_size}×{c.input_size}")

    # ---------------------------------------------------------------- diagram + module detail
    mods = list(cost.modules) + list(cost.heads)
    names = [m.name for m in mods]
    default = sh.first_inception_module([(m.name, m.kind) for m in cost.modules])
    pick = _picked_module()
    if pick in names:
        st.session_state["module"] = pick
    sh.seed("module", default, valid=names)
    st.subheader("The network, module by module")
    st.caption("Click a module in the diagram (or pick it in the list) to see its branches. Hover for "
               "exact numbers.")
    st.selectbox("Module", names, key="module",
                 format_func=lambda n: f"{n} ({cost.module(n).kind})")
    sh.remember("module")
    module = st.session_state["module"]
    aux_after = {a.name: a.after for a in net.aux}
    sh.plot(charts.network_figure(cost, selected=module, aux_after=aux_after), f"{v}_network", key=DIAGRAM_KEY,
            on_select="rerun", selection_mode="points")

    mcost = cost.module(module)
    if mcost.kind == "head":
        head = net.head if module == "head" else next(a for a in net.aux if a.name == module)
        rmod = _head_as_module(head)
    else:
        rmod = net.module(module)
    left, right = st.columns([2, 1], gap="large")
    with left:
        sh.plot(charts.module_figure(rmod, mcost, cost, title=f"{module}: {mcost.kind}"),
                f"{v}_{module}", key="module_diagram")
    with right:
        st.markdown(f"#### {module}")
        st.markdown(f"**in** {charts.shape_text(mcost.in_shape)} → **out** {charts.shape_text(mcost.out_shape)}  \n"
                    f"**{mcost.params:,}** params · **{mcost.macs:,}** MACs  \n"
                    f"stride {mcost.stride} · receptive field {mcost.rf} px")
        st.caption("Boxes: one op each (kernel, filters, output shape); columns: the branches, "
                   "concatenated at the bottom. Hover a box for its params and MACs.")
        if mcost.kind == "head" and module != "head":
            st.markdown("Auxiliary heads only help training; their loss is added with a discount weight:")
            st.latex(r"\mathcal{L} = \mathcal{L}_{\text{main}} + 0.3\,\mathcal{L}_{\text{aux}_1} + "
                     r"0.3\,\mathcal{L}_{\text{aux}_2}")
            st.caption(metadata.AUX_LOSS_SOURCE)
    if rmod.sequential:
        parts = [(p.key, p.label, (u,)) for p, u in zip(mcost.branches, rmod.units)]
    else:
        parts = [(b.key, b.label, b.units) for b in rmod.branches]
        if rmod.kind == "residual":
            parts.append(("up", "1x1 up", (rmod.up,)))
    pc = {p.key: p for p in mcost.branches}
    rows = []
    for key, label, units in parts:
        p = pc.get(key)
        rows.append({"branch": key, "label": label, "ops": _ops_chain(units, cost),
                     "output": charts.shape_text(p.out_shape) if p else "",
                     "channels": p.out_shape[-1] if p else None,
                     "params": p.params if p else 0, "MACs": p.macs if p else 0,
                     "receptive field": p.rf if p else None})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="branch_table",
                 column_config={"params": st.column_config.NumberColumn(format="localized"),
                                "MACs": st.column_config.NumberColumn(format="localized"),
                                "ops": st.column_config.TextColumn(width="large")})

    # ---------------------------------------------------------------- tables + downloads
    st.subheader("Module table")
    table = pd.DataFrame(cost.rows())
    table = table.rename(columns={"macs": "MACs", "rf": "receptive field"})
    st.dataframe(table, hide_index=True, width="stretch", key="module_table",
                 column_config={"params": st.column_config.NumberColumn(format="localized"),
                                "trainable": st.column_config.NumberColumn(format="localized"),
                                "MACs": st.column_config.NumberColumn(format="localized")})
    branch_rows = []
    for m in mods:
        for p in m.branches:
            branch_rows.append({"module": m.name, "branch": p.key, "label": p.label,
                                "output": charts.shape_text(p.out_shape), "params": p.params,
                                "trainable": p.trainable, "MACs": p.macs, "stride": p.stride, "rf": p.rf,
                                "layer": p.output_layer})
    branches = pd.DataFrame(branch_rows)
    with st.expander("Per-branch table (every branch of every module)"):
        st.dataframe(branches, hide_index=True, width="stretch", key="all_branches_table")
    config = {"variant": v, "title": s.title, "paper": s.paper, "choices": dataclasses.asdict(c),
              "non_default_choices": {k: v_ for k, v_ in kw.items()}, "weights": view.weights,
              "params": cost.params, "trainable_params": cost.trainable_params, "macs": cost.macs,
              "url_query": sh.view_params(("module",))}
    d1, d2, d3 = st.columns(3)
    d1.download_button("Configuration (JSON)", json.dumps(config, indent=2, default=list),
                       file_name=f"{v}_config.json", mime="application/json", key="dl_config",
                       width="stretch")
    d2.download_button("Module table (CSV)", table.to_csv(index=False), file_name=f"{v}_modules.csv",
                       mime="text/csv", key="dl_modules", width="stretch")
    d3.download_button("Branch table (CSV)", branches.to_csv(index=False), file_name=f"{v}_branches.csv",
                       mime="text/csv", key="dl_branches", width="stretch")

    # ---------------------------------------------------------------- paper vs shipped
    st.subheader("Paper vs shipped")
    for note in tuple(s.deviations) + metadata.extra_deviations(v) + tuple(s.notes):
        st.markdown(f"- {note}")
    preset_rows = []
    for name, changes in s.presets:
        pc_ = explorer.cost(v, **dict(changes))
        preset_rows.append({"configuration": name,
                            "changes from the default": ", ".join(f"{k}={val!r}" for k, val in changes) or "(default)",
                            "params": pc_.params, "trainable": pc_.trainable_params, "MACs": pc_.macs})
    if preset_rows:
        st.markdown("**Shipped configurations** (apply one with *Start from a shipped configuration* in "
                    "the sidebar); params and MACs computed by the cost model:")
        st.dataframe(pd.DataFrame(preset_rows), hide_index=True, width="stretch", key="presets_table",
                     column_config={"params": st.column_config.NumberColumn(format="localized"),
                                    "trainable": st.column_config.NumberColumn(format="localized"),
                                    "MACs": st.column_config.NumberColumn(format="localized")})
    refs = metadata.param_counts(v)
    if refs:
        with st.expander("Published parameter counts for this variant (and what the code computes)"):
            rr = []
            for r in refs:
                computed = None
                if r.computable:
                    cc = explorer.cost(v, **dict(r.choices))
                    computed = {"keras": cc.params, "trainable": cc.trainable_params,
                                "no_top": cc.params - cc.heads[0].params}[r.counting]
                rr.append({"configuration": r.description, "published": r.params, "counting": r.counting,
                           "computed": computed, "source": r.source})
            st.dataframe(pd.DataFrame(rr), hide_index=True, width="stretch", key="refs_table")


sh.page_main(body, page_keys=("module",))
