"""Design costs: what each design choice costs in parameters and MACs, against the variant's
default, per module, and over every combination of the toggles. Analytic cost model only (no Keras
build): everything here is instant."""
from __future__ import annotations


import pandas as pd
import streamlit as st

import explorer
from explorer.arch.factorize import explain as explain_factorization
from explorer.arch.factorize import explain_nxn
from explorer.figures.costs import combos_figure, module_bars, waterfall
from explorer.figures.fmt import fmt_macs, human, pct, signed
from explorer.zoo import published
from explorer.zoo.choices import CHOICE_HELP, CHOICE_LABELS, TOGGLES, flipped
from pages.ui import common, router, state
from pages.ui.i18n import N_, _

PER_ROW = 3  # flip buttons per row
# shown (the absolute counts are in the data and the headline; each note is its flip button's help)
SINGLE_SHOWN = ("toggle", "change", "Δ params", "Δ params %", "Δ MACs", "Δ MACs %")
SINGLE_COLUMNS = {"toggle": N_("toggle"), "change": N_("change"), "Δ params %": N_("Δ params %"),
                  "Δ MACs %": N_("Δ MACs %"), "note": N_("note")}
OFF = {"head": "gap"}  # the "off" value of each toggle (False unless named here)


def _toggles(variant: str) -> list[str]:
    s = explorer.get_spec(variant)
    return [t for t in TOGGLES if t in s.applicable]


def flip_choice(variant: str, name: str) -> None:
    """Button callback: flip a sidebar toggle (the sidebar widgets hold the shared choices)."""
    state.set_choice(name, flipped(name, state.choice_value(variant, name)))


@st.cache_data(show_spinner=False, max_entries=64)
def combinations(variant: str, base: tuple) -> tuple[list[dict], list]:
    """Cost of every combination of the variant's toggles, other choices as in `base` (cached)."""
    return explorer.combination_costs(variant, dict(base))


def _headline(view: state.View, default, cur) -> None:
    m1, m2, m3 = st.columns(3)
    exact = _("{value} (default {default})")
    for col, label, fmt, now, was, with_pct in (
            (m1, _("Parameters"), human, cur.params, default.params, True),
            (m2, _("MACs per image"), fmt_macs, cur.macs, default.macs, True),
            (m3, _("Trainable parameters"), human, cur.trainable_params, default.trainable_params, False)):
        delta = signed(now - was) + (f" ({pct(now, was)})" if with_pct and now != was else "")
        # a change is red when it costs more, green when it saves; no change is neither
        # Streamlit reads a saving from a leading ASCII "-": the typographic minus would show "↑" in red
        col.metric(label, fmt(now), delta=delta.replace("\u2212", "-", 1), delta_color="inverse" if now != was else "off",
                   delta_arrow="auto" if now != was else "off",
                   help=exact.format(value=f"{now:,}", default=f"{was:,}"))
    st.markdown(f"**{common.title(view.variant)}** — " + _(
        "your choices: **{params}** params · **{macs}** MACs; default: {dparams} params · {dmacs} MACs.").format(
        params=f"{cur.params:,}", macs=f"{cur.macs:,}", dparams=f"{default.params:,}", dmacs=f"{default.macs:,}"))
    if view.kwargs:
        st.markdown(_("Changed from the default:") + " " +
                    ", ".join(f"`{k}={val!r}`" for k, val in view.kwargs.items()))
    else:
        st.markdown(_("You are looking at the variant's **default** configuration: flip a toggle to see "
                      "what it costs."))


def _single_row(v: str, name: str, d, default) -> dict:
    row = {"toggle": _(CHOICE_LABELS[name]), "change": f"{d} → {flipped(name, d)}"}
    try:
        t = explorer.cost(v, **{name: flipped(name, d)})
    except ValueError as e:
        return {**row, "params": None, "Δ params": None, "Δ params %": None, "MACs": None,
                "Δ MACs": None, "Δ MACs %": None, "note": str(e)}
    return {**row, "params": t.params, "Δ params": t.params - default.params,
            "Δ params %": round((t.params - default.params) / default.params * 100, 1),
            "MACs": t.macs, "Δ MACs": t.macs - default.macs,
            "Δ MACs %": round((t.macs - default.macs) / default.macs * 100, 1),
            "note": _(CHOICE_HELP.get(name, ""))}


def _single_toggles(v: str, s, default) -> None:
    st.subheader(_("One toggle at a time (from the default)"))
    toggles = _toggles(v)
    rows = [_single_row(v, name, getattr(s.defaults, name), default) for name in toggles]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="single_toggles", column_order=SINGLE_SHOWN,
                 column_config={**common.number_columns(N_("params"), N_("Δ params"), N_("MACs"), N_("Δ MACs")),
                                **common.column_labels(SINGLE_COLUMNS)})
    st.markdown(_("**Flip a choice** (changes the sidebar, and every page):"))
    cols = [c for _ in range(0, len(toggles), PER_ROW) for c in st.columns(PER_ROW)]
    for col, name in zip(cols, toggles):
        now = state.choice_value(v, name)
        shown = now if name in OFF else (_("on") if now else _("off"))
        col.button(f"{_(CHOICE_LABELS[name])}: {shown}", key=f"flip_{name}", on_click=flip_choice,
                   args=(v, name), width="stretch", help=_(CHOICE_HELP.get(name, "")))


def _per_module(v: str, kw: dict, default, cur) -> None:
    st.subheader(_("Per module: default vs your choices"))
    state.seed("cost_metric", "params", valid=["params", "macs"])
    metric = st.radio(_("Measure"), ["params", "macs"], key="cost_metric", horizontal=True,
                      format_func=lambda m: _("parameters") if m == "params" else _("MACs"))
    state.remember("cost_metric")
    if kw:
        common.plot(waterfall(default, cur, metric, tr=_), f"{v}_waterfall_{metric}", key="waterfall_chart")
    common.plot(module_bars(default, cur, metric, tr=_), f"{v}_modules_{metric}", key="module_bars_chart")


def _every_combination(view: state.View, s, default, cur) -> None:
    st.subheader(_("Every combination of the toggles"))
    v, toggles = view.variant, _toggles(view.variant)
    base = {k: val for k, val in view.kwargs.items() if k not in toggles}
    rows, skipped = combinations(v, tuple(sorted(base.items())))
    state.seed("color_by", toggles[0], valid=toggles)
    st.selectbox(_("Colour by"), toggles, key="color_by", format_func=lambda t: _(CHOICE_LABELS[t]))
    state.remember("color_by")
    cur_row = {**{t: getattr(view.choices, t) for t in toggles}, "params": cur.params, "macs": cur.macs}
    # the default marker stands for the default's other choices: shown only when they match
    def_row = None if base else {**{t: getattr(s.defaults, t) for t in toggles},
                                 "params": default.params, "macs": default.macs}
    common.plot(combos_figure(rows, toggles, st.session_state["color_by"], cur_row, def_row, tr=_),
                f"{v}_combinations", key="combos_chart")
    st.caption(_("{n} combinations of {k} toggles ({names}), other choices as in the sidebar.").format(
        n=len(rows), k=len(toggles), names=", ".join(toggles)) + " " +
        (_("{n} cannot be built.").format(n=len(skipped)) + " " if skipped else "") +
        _("Log axes. Hover a point for its settings."))
    combos = pd.DataFrame(rows).sort_values("params")
    with st.expander(_("All combinations as a table")):
        st.dataframe(combos, hide_index=True, width="stretch", key="combos_table")
        st.download_button(_("Combinations (CSV)"), combos.to_csv(index=False), file_name=f"{v}_combinations.csv",
                           mime="text/csv", key="dl_combos", on_click="ignore")


def _aux_heads(view: state.View, s) -> None:
    st.subheader(_("Auxiliary heads: a training-time cost"))
    with_aux = explorer.cost(view.variant, **{**view.kwargs, "aux_heads": True})
    aux = with_aux.heads[1:]
    n = len(aux)
    terms = " + ".join(rf"0.3\,\mathcal{{L}}_{{\text{{aux}}_{i}}}" for i in range(1, n + 1))
    st.latex(rf"\mathcal{{L}} = \mathcal{{L}}_{{\text{{main}}}} + {terms}")
    aux_params = sum(h.params for h in aux)
    st.markdown(_(
        "{title} has auxiliary heads: **{n}** (after {after}), **{params}** extra parameters ({share} of the "
        "model with them) and {macs} extra MACs — during training only: they are dropped at inference. "
        "GoogLeNet's paper adds each head's loss with weight 0.3, the formula above.").format(
        title=s.title, n=n, after=", ".join(a.after for a in s.aux), params=f"{aux_params:,}",
        share=f"{aux_params / with_aux.params:.1%}", macs=f"{sum(h.macs for h in aux):,}"))
    st.caption(_(published.AUX_LOSS_SOURCE))


@common.page(url_keys=("cost_metric", "color_by"))
def render(view: state.View) -> None:
    st.title(_("Design costs: what each choice costs"))
    st.caption(_("Every number on this page comes from the analytic cost model (instant, no Keras build). "
                 "Toggle the design choices in the sidebar, or flip one with the buttons below; the "
                 "comparison is always against the variant's default configuration."))
    if not common.require_choices(view):
        return
    s = explorer.get_spec(view.variant)
    default = explorer.cost(view.variant)
    cur = explorer.cost(view.variant, **view.kwargs)
    _headline(view, default, cur)
    why = explain_factorization(view.variant, tr=_, **view.kwargs)
    if why:
        st.markdown(why)
    why_nxn = explain_nxn(view.variant, tr=_, **view.kwargs)
    if why_nxn and explorer.choices(view.variant, **view.kwargs).factorize_nxn:  # only when it splits
        st.markdown(why_nxn)
    _single_toggles(view.variant, s, default)
    _per_module(view.variant, view.kwargs, default, cur)
    _every_combination(view, s, default, cur)
    if "aux_heads" in s.applicable:
        _aux_heads(view, s)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
