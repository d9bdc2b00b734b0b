"""Accuracy: published ImageNet results against computed params and MACs, every point with its
source, and the published ablations (Inception-v3's Table 3, GoogLeNet's crops/ensembles table)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import explorer
from explorer.figures.published import accuracy_figure, googlenet_table3_figure, v3_table3_figure
from explorer.zoo import published
from pages.ui import common, router, state
from pages.ui.i18n import N_, _

SHORT = {"googlenet": "GoogLeNet", "bn_inception": "BN-Inception", "inception_v3": "v3",
         "inception_v4": "v4", "inception_resnet_v1": "IR-v1", "inception_resnet_v2": "IR-v2"}
X_AXES = {"params": N_("parameters"), "macs": N_("MACs")}
TABLE_COLUMNS = ("title", "source", "top-1", "top-5", "published error (top-1 / top-5)", "params", "macs",
                 "configuration", "citation", "url")
HEADERS = {"variant": N_("variant"), "source": N_("source"), "top-1 %": N_("top-1 %"), "top-5 %": N_("top-5 %"),
           "published error (top-1 / top-5)": N_("published error (top-1 / top-5)"),
           "configuration": N_("configuration"), "citation": N_("citation")}
# shown (the published errors, configurations and citations are in the CSV and on each point's hover)
SHOWN = ("variant", "source", "top-1 %", "top-5 %", "params", "MACs", "url")
V3_HEADERS = {"step (cumulative)": N_("step (cumulative)"), "top-1 error %": N_("top-1 error %"),
              "what changed": N_("what changed")}
G_HEADERS = {"models": N_("models"), "crops": N_("crops"), "cost (models × crops)": N_("cost (models × crops)"),
             "top-5 error %": N_("top-5 error %"), "vs base (computed)": N_("vs base (computed)")}


def _rows() -> list[dict]:
    rows = []
    for a in published.accuracies():
        c = explorer.cost(a.variant, **a.config())
        rows.append({"variant": a.variant, "title": common.title(a.variant), "short": SHORT.get(a.variant, a.variant),
                     "source_key": a.source, "source": _(a.label), "top-1": a.top1, "top-5": a.top5,
                     "published error (top-1 / top-5)": (
                         " / ".join("—" if e is None else f"{e}%" for e in a.error) if a.error else ""),
                     "params": c.params, "macs": c.macs, "citation": a.citation, "url": a.url,
                     "configuration": ", ".join(f"{k}={v!r}" for k, v in a.choices) or _("default")})
    return rows


def _charts_and_table(rows: list[dict]) -> None:
    c1, c2, c3 = st.columns([1, 1, 2])
    with c1:
        state.seed("acc_metric", "top-1", valid=["top-1", "top-5"])
        metric = st.radio(_("Accuracy"), ["top-1", "top-5"], key="acc_metric", horizontal=True)
        state.remember("acc_metric")
    with c2:  # a radio, not st.tabs: the chart shown is part of the view (and of its URL)
        state.seed("acc_x", "params", valid=list(X_AXES))
        x = st.radio(_("Against"), list(X_AXES), key="acc_x", horizontal=True, format_func=lambda k: _(X_AXES[k]))
        state.remember("acc_x")
    with c3:
        st.caption(_(published.EVAL_NOTE) + " " + _("GoogLeNet's paper reports top-5 only, so it has no top-1 point."))
    common.plot(accuracy_figure(rows, x, metric, tr=_), f"accuracy_vs_{x}_{metric}", key="acc_chart")
    table = pd.DataFrame([{k: r[k] for k in TABLE_COLUMNS} for r in rows])
    table = table.rename(columns={"title": "variant", "top-1": "top-1 %", "top-5": "top-5 %", "macs": "MACs"})
    st.dataframe(table, hide_index=True, width="stretch", key="accuracy_table", column_order=SHOWN,
                 column_config={**common.column_labels(HEADERS),
                                "source": st.column_config.TextColumn(_("source"), width=190),
                                "params": st.column_config.NumberColumn(_("params"), format="localized", help=_(
                                    "computed by the explorer's cost model for the configuration the source ships")),
                                "MACs": st.column_config.NumberColumn(_("MACs"), format="localized", help=_(
                                    "computed by the explorer's cost model for the configuration the source ships")),
                                "url": st.column_config.LinkColumn(_("link"), display_text=_("source ↗"))})
    st.download_button(_("Published results (CSV)"), table.to_csv(index=False), file_name="inception_accuracy.csv",
                       mime="text/csv", key="dl_accuracy", on_click="ignore")


def _v3_table3() -> None:
    common.plot(v3_table3_figure(published.V3_TABLE3, tr=_), "v3_table3", key="v3_table3_chart")
    v3 = pd.DataFrame([{"step (cumulative)": _(r.step), "top-1 error %": r.top1_error,
                        "what changed": _(r.change)} for r in published.V3_TABLE3])
    st.dataframe(v3, hide_index=True, width="stretch", key="v3_table3", column_config=common.column_labels(V3_HEADERS))
    st.caption(_("Published: {source}. Each row adds one change to the row above; the last row is "
                 "Inception-v3.").format(source=_(published.V3_TABLE3_SOURCE)))


def _googlenet_table3() -> None:
    rows = published.GOOGLENET_TABLE3
    common.plot(googlenet_table3_figure(rows, tr=_), "googlenet_table3", key="googlenet_table3_chart")
    base = rows[0].top5_error
    g = pd.DataFrame([{"models": r.models, "crops": r.crops, "cost (models × crops)": r.cost,
                       "top-5 error %": r.top5_error,
                       "vs base (computed)": _("base") if r.top5_error == base else f"{r.top5_error - base:+.2f}%"}
                      for r in rows])
    st.dataframe(g, hide_index=True, width="stretch", key="googlenet_table3",
                 column_config=common.column_labels(G_HEADERS))
    st.caption(_("Published: {source}. 144 crops = 4 scales × 3 squares × 6 crops × 2 (mirror); 7 models = "
                 "the ensemble submitted to ILSVRC 2014.").format(source=_(published.GOOGLENET_TABLE3_SOURCE)))


@common.page(url_keys=("acc_metric", "acc_x"))
def render(view: state.View) -> None:
    st.title(_("Accuracy: what the papers and model zoos report"))
    st.info(_("Everything on this page is **published**: the accuracies come from the papers and the model "
              "zoos (source on every point and row); only the parameter and MAC counts are computed, by the "
              "explorer's cost model, for the configuration each source ships (without auxiliary heads)."),
            icon=":material/menu_book:")
    _charts_and_table(_rows())
    st.subheader(_("Published ablations"))
    _v3_table3()
    _googlenet_table3()


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
