"""Design costs: what each design choice costs in parameters and MACs, against the variant's
default, per module, and over every combination of the toggles. Analytic cost model only (no Keras
build): everything here is instant."""
import itertools

import pandas as pd
import streamlit as st

import explorer
from explorer import metadata
from explorer.spec import TOGGLES
from pages import _charts as charts
from pages import _shared as sh

TOGGLE_NAMES = {"reduce_1x1": "1x1 reductions", "batch_norm": "batch norm", "factorize_5x5": "5x5 → two 3x3",
                "factorize_nxn": "nxn → 1xn + nx1", "aux_heads": "aux heads", "residual": "residual",
                "head": "FC head (flatten)"}


def _flip(name: str, value):
    if name == "head":
        return "fc" if value == "gap" else "gap"
    return not value


def flip_choice(variant: str, name: str) -> None:
    """Button callback: flip a sidebar toggle (the sidebar widgets hold the shared choices)."""
    key = f"opt_{name}"
    current = st.session_state.get(key, getattr(explorer.get_spec(variant).defaults, name))
    st.session_state[key] = _flip(name, current)


def _toggles(variant: str) -> list[str]:
    s = explorer.get_spec(variant)
    return [t for t in TOGGLES if t in s.applicable]


@st.cache_data(show_spinner=False, max_entries=64)
def combinations(variant: str, base: tuple) -> tuple[list[dict], list[str]]:
    """Cost of every combination of the variant's toggles, other choices as in `base`."""
    toggles = _toggles(variant)
    rows, skipped = [], []
    for combo in itertools.product([False, True], repeat=len(toggles)):
        kw = dict(base)
        row = {}
        for name, on in zip(toggles, combo):
            value = ("fc" if on else "gap") if name == "head" else on
            kw[name] = value
            row[name] = value
        if not kw.get("residual", True):
            kw.pop("residual_scale", None)
        try:
            c = explorer.cost(variant, **kw)
        except ValueError as e:
            skipped.append(f"{row}: {e}")
            continue
        row.update(params=c.params, trainable=c.trainable_params, macs=c.macs)
        rows.append(row)
    return rows, skipped


def body(view: sh.View) -> None:
    st.title("Design costs: what each choice costs")
    st.caption("Every number on this page comes from the analytic cost model (instant, no Keras build). "
               "Toggle the design choices in the sidebar, or flip one with the buttons below; the "
               "comparison is always against the variant's default configuration.")
    if not sh.require_choices(view):
        return
    v, c = view.variant, view.choices
    s = explorer.get_spec(v)
    kw = sh.choice_kwargs(v, c)
    default = explorer.cost(v)
    cur = explorer.cost(v, **kw)

    m1, m2, m3 = st.columns(3)
    m1.metric("Parameters", sh.human(cur.params),
              delta=f"{sh.signed(cur.params - default.params)} ({charts.pct(cur.params, default.params)})",
              delta_color="inverse", help=f"{cur.params:,} (default {default.params:,})")
    m2.metric("MACs per image", sh.fmt_macs(cur.macs),
              delta=f"{sh.signed(cur.macs - default.macs)} ({charts.pct(cur.macs, default.macs)})",
              delta_color="inverse", help=f"{cur.macs:,} (default {default.macs:,})")
    m3.metric("Trainable parameters", sh.human(cur.trainable_params),
              delta=sh.signed(cur.trainable_params - default.trainable_params), delta_color="inverse",
              help=f"{cur.trainable_params:,} (default {default.trainable_params:,})")
    st.markdown(f"**{s.title}** — your choices: **{cur.params:,}** params · **{cur.macs:,}** MACs; "
                f"default: {default.params:,} params · {default.macs:,} MACs.")
    if kw:
        st.markdown("Changed from the default: " + ", ".join(f"`{k}={val!r}`" for k, val in kw.items()))
    else:
        st.markdown("You are looking at the variant's **default** configuration: flip a toggle to see "
                    "what it costs.")

    # ---------------------------------------------------------------- single toggles
    st.subheader("One toggle at a time (from the default)")
    toggles = _toggles(v)
    rows = []
    for name in toggles:
        d = getattr(s.defaults, name)
        try:
            t = explorer.cost(v, **{name: _flip(name, d)})
        except ValueError as e:
            rows.append({"toggle": TOGGLE_NAMES.get(name, name), "change": f"{d} → {_flip(name, d)}",
                         "params": None, "Δ params": None, "Δ params %": None, "MACs": None,
                         "Δ MACs": None, "Δ MACs %": None, "note": str(e)})
            continue
        rows.append({"toggle": TOGGLE_NAMES.get(name, name), "change": f"{d} → {_flip(name, d)}",
                     "params": t.params, "Δ params": t.params - default.params,
                     "Δ params %": round((t.params - default.params) / default.params * 100, 1),
                     "MACs": t.macs, "Δ MACs": t.macs - default.macs,
                     "Δ MACs %": round((t.macs - default.macs) / default.macs * 100, 1),
                     "note": explorer.CHOICE_HELP.get(name, "")})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="single_toggles",
                 column_config={k: st.column_config.NumberColumn(format="localized")
                                for k in ("params", "Δ params", "MACs", "Δ MACs")})
    st.markdown("**Flip a choice** (changes the sidebar, and every page):")
    per_row = 3
    bcols = []
    for i in range(0, len(toggles), per_row):
        bcols += list(st.columns(per_row))
    for col, name in zip(bcols, toggles):
        key = f"opt_{name}"
        now = st.session_state.get(key, getattr(s.defaults, name))
        state = ("fc" if now == "fc" else "gap") if name == "head" else ("on" if now else "off")
        col.button(f"{TOGGLE_NAMES.get(name, name)}: {state}", key=f"flip_{name}", on_click=flip_choice,
                   args=(v, name), width="stretch", help=explorer.CHOICE_HELP.get(name))

    # ---------------------------------------------------------------- per module
    st.subheader("Per module: default vs your choices")
    metric = st.radio("Measure", ["params", "macs"], key="cost_metric", horizontal=True,
                      format_func=lambda m: "parameters" if m == "params" else "MACs")
    if kw:
        sh.plot(charts.waterfall(default, cur, metric), f"{v}_waterfall_{metric}", key="waterfall_chart")
    sh.plot(charts.module_bars(default, cur, metric), f"{v}_modules_{metric}", key="module_bars_chart")

    # ---------------------------------------------------------------- every combination
    st.subheader("Every combination of the toggles")
    base = {k: val for k, val in kw.items() if k not in toggles}
    rows, skipped = combinations(v, tuple(sorted(base.items(), key=lambda kv: kv[0])))
    sh.seed("color_by", toggles[0], valid=toggles)
    st.selectbox("Colour by", toggles, key="color_by", format_func=lambda t: TOGGLE_NAMES.get(t, t))
    sh.remember("color_by")
    cur_row = {t: getattr(c, t) for t in toggles}
    cur_row.update(params=cur.params, macs=cur.macs)
    def_row = {t: getattr(s.defaults, t) for t in toggles}
    def_row.update(params=default.params, macs=default.macs)
    if base:  # the default marker is for the default's other choices; show it only when they match
        def_row = None
    sh.plot(charts.combos_figure(rows, toggles, st.session_state["color_by"], cur_row, def_row),
            f"{v}_combinations", key="combos_chart")
    st.caption(f"{len(rows)} combinations of {len(toggles)} toggles ({', '.join(toggles)}), other choices "
               f"as in the sidebar" + (f"; {len(skipped)} cannot be built." if skipped else ".") +
               " Log axes. Hover a point for its settings.")
    combos = pd.DataFrame(rows).sort_values("params")
    with st.expander("All combinations as a table"):
        st.dataframe(combos, hide_index=True, width="stretch", key="combos_table")
        st.download_button("Combinations (CSV)", combos.to_csv(index=False), file_name=f"{v}_combinations.csv",
                           mime="text/csv", key="dl_combos")

    # ---------------------------------------------------------------- aux heads
    if "aux_heads" in s.applicable:
        st.subheader("Auxiliary heads: a training-time cost")
        with_aux = explorer.cost(v, **{**kw, "aux_heads": True})
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
        st.caption(metadata.AUX_LOSS_SOURCE)


sh.page_main(body, page_keys=("color_by",))
