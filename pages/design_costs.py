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

PER_ROW = 3  # flip buttons per row
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
    m1.metric("Parameters", human(cur.params),
              delta=f"{signed(cur.params - default.params)} ({pct(cur.params, default.params)})",
              delta_color="inverse", help=f"{cur.params:,} (default {default.params:,})")
    m2.metric("MACs per image", fmt_macs(cur.macs),
              delta=f"{signed(cur.macs - default.macs)} ({pct(cur.macs, default.macs)})",
              delta_color="inverse", help=f"{cur.macs:,} (default {default.macs:,})")
    m3.metric("Trainable parameters", human(cur.trainable_params),
              delta=signed(cur.trainable_params - default.trainable_params), delta_color="inverse",
              help=f"{cur.trainable_params:,} (default {default.trainable_params:,})")
    st.markdown(f"**{common.title(view.variant)}** — your choices: **{cur.params:,}** params · "
                f"**{cur.macs:,}** MACs; default: {default.params:,} params · {default.macs:,} MACs.")
    if view.kwargs:
        st.markdown("Changed from the default: " + ", ".join(f"`{k}={val!r}`" for k, val in view.kwargs.items()))
    else:
        st.markdown("You are looking at the variant's **default** configuration: flip a toggle to see "
                    "what it costs.")


def _single_row(v: str, name: str, d, default) -> dict:
    row = {"toggle": CHOICE_LABELS[name], "change": f"{d} → {flipped(name, d)}"}
    try:
        t = explorer.cost(v, **{name: flipped(name, d)})
    except ValueError as e:
        return {**row, "params": None, "Δ params": None, "Δ params %": None, "MACs": None,
                "Δ MACs": None, "Δ MACs %": None, "note": str(e)}
    return {**row, "params": t.params, "Δ params": t.params - default.params,
            "Δ params %": round((t.params - default.params) / default.params * 100, 1),
            "MACs": t.macs, "Δ MACs": t.macs - default.macs,
            "Δ MACs %": round((t.macs - default.macs) / default.macs * 100, 1),
            "note": CHOICE_HELP.get(name, "")}


def _single_toggles(v: str, s, default) -> None:
    st.subheader("One toggle at a time (from the default)")
    toggles = _toggles(v)
    rows = [_single_row(v, name, getattr(s.defaults, name), default) for name in toggles]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="single_toggles",
                 column_config=common.number_columns("params", "Δ params", "MACs", "Δ MACs"))
    st.markdown("**Flip a choice** (changes the sidebar, and every page):")
    cols = [c for _ in range(0, len(toggles), PER_ROW) for c in st.columns(PER_ROW)]
    for col, name in zip(cols, toggles):
        now = state.choice_value(v, name)
        shown = now if name in OFF else ("on" if now else "off")
        col.button(f"{CHOICE_LABELS[name]}: {shown}", key=f"flip_{name}", on_click=flip_choice,
                   args=(v, name), width="stretch", help=CHOICE_HELP.get(name))


def _per_module(v: str, kw: dict, default, cur) -> None:
    st.subheader("Per module: default vs your choices")
    metric = st.radio("Measure", ["params", "macs"], key="cost_metric", horizontal=True,
                      format_func=lambda m: "parameters" if m == "params" else "MACs")
    if kw:
        common.plot(waterfall(default, cur, metric), f"{v}_waterfall_{metric}", key="waterfall_chart")
    common.plot(module_bars(default, cur, metric), f"{v}_modules_{metric}", key="module_bars_chart")


def _every_combination(view: state.View, s, default, cur) -> None:
    st.subheader("Every combination of the toggles")
    v, toggles = view.variant, _toggles(view.variant)
    base = {k: val for k, val in view.kwargs.items() if k not in toggles}
    rows, skipped = combinations(v, tuple(sorted(base.items())))
    state.seed("color_by", toggles[0], valid=toggles)
    st.selectbox("Colour by", toggles, key="color_by", format_func=CHOICE_LABELS.get)
    state.remember("color_by")
    cur_row = {**{t: getattr(view.choices, t) for t in toggles}, "params": cur.params, "macs": cur.macs}
    # the default marker stands for the default's other choices: shown only when they match
    def_row = None if base else {**{t: getattr(s.defaults, t) for t in toggles},
                                 "params": default.params, "macs": default.macs}
    common.plot(combos_figure(rows, toggles, st.session_state["color_by"], cur_row, def_row),
                f"{v}_combinations", key="combos_chart")
    st.caption(f"{len(rows)} combinations of {len(toggles)} toggles ({', '.join(toggles)}), other choices "
               f"as in the sidebar" + (f"; {len(skipped)} cannot be built." if skipped else ".") +
               " Log axes. Hover a point for its settings.")
    combos = pd.DataFrame(rows).sort_values("params")
    with st.expander("All combinations as a table"):
        st.dataframe(combos, hide_index=True, width="stretch", key="combos_table")
        st.download_button("Combinations (CSV)", combos.to_csv(index=False), file_name=f"{v}_combinations.csv",
                           mime="text/csv", key="dl_combos")


def _aux_heads(view: state.View, s) -> None:
    st.subheader("Auxiliary heads: a training-time cost")
    with_aux = explorer.cost(view.variant, **{**view.kwargs, "aux_heads": True})
    aux = with_aux.heads[1:]
    n = len(aux)
    terms = " + ".join(rf"0.3\,\mathcal{{L}}_{{\text{{aux}}_{i}}}" for i in range(1, n + 1))
    st.latex(rf"\mathcal{{L}} = \mathcal{{L}}_{{\text{{main}}}} + {terms}")
    aux_params = sum(h.params for h in aux)
    st.markdown(
        f"{s.title} has **{n}** auxiliary head{'s' if n > 1 else ''} "
        f"(after {', '.join(a.after for a in s.aux)}): **{aux_params:,}** extra parameters "
        f"({aux_params / with_aux.params:.1%} of the model with them) and "
        f"{sum(h.macs for h in aux):,} extra MACs — during training only: they are dropped at "
        f"inference. GoogLeNet's paper adds each head's loss with weight 0.3, the formula above.")
    st.caption(published.AUX_LOSS_SOURCE)


@common.page(url_keys=("color_by",))
def render(view: state.View) -> None:
    st.title("Design costs: what each choice costs")
    st.caption("Every number on this page comes from the analytic cost model (instant, no Keras build). "
               "Toggle the design choices in the sidebar, or flip one with the buttons below; the "
               "comparison is always against the variant's default configuration.")
    if not common.require_choices(view):
        return
    s = explorer.get_spec(view.variant)
    default = explorer.cost(view.variant)
    cur = explorer.cost(view.variant, **view.kwargs)
    _headline(view, default, cur)
    why = explain_factorization(view.variant, **view.kwargs)
    if why:
        st.markdown(why)
    why_nxn = explain_nxn(view.variant, **view.kwargs)
    if why_nxn and explorer.choices(view.variant, **view.kwargs).factorize_nxn:  # only when it splits
        st.markdown(why_nxn)
    _single_toggles(view.variant, s, default)
    _per_module(view.variant, view.kwargs, default, cur)
    _every_combination(view, s, default, cur)
    if "aux_heads" in s.applicable:
        _aux_heads(view, s)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
