"""Overview: Inception in a few lines and pictures, the six variants in one table, device and
weights status, and a sample photo one click away."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import explorer
from explorer.figures.fmt import fmt_macs, human
from explorer.figures.network import module_figure
from explorer.inference.weights import cached, no_weights_why, table_rows, weight_sources
from explorer.zoo import published
from pages.ui import common, models, router, state
from pages.ui.i18n import N_, _

INTRO = N_(
    "An **Inception module** looks at the same feature map through several windows at once — "
    "**1x1, 3x3 and 5x5 convolutions and a 3x3 max pool, side by side** — and stacks their "
    "outputs. **1x1 convolutions** first shrink the channels, which is what makes the wide "
    "module affordable (GoogLeNet, 2014: 22 layers, 7 M parameters). Its successors "
    "**factorise** big kernels (5x5 → two 3x3, 7x7 → 1x7 + 7x1), add **batch norm**, and in "
    "Inception-ResNet add **residual shortcuts**.")


HEADERS = {"variant": N_("variant"), "params": N_("params"), "MACs": N_("MACs"), "input": N_("input"),
           "paper top-1 / top-5 %": N_("paper top-1/5 %"), "zoo top-1 / top-5 %": N_("zoo top-1/5 %")}
# shown (the exact counts stay in the data, and on the Architecture page): fits a 1280 px projector
SHOWN = ("variant", "params", "MACs", "input", "paper top-1 / top-5 %", "zoo top-1 / top-5 %", "sources")
WEIGHTS_HEADERS = {"variant": N_("variant"), "source": N_("source"), "aux": N_("aux heads trained"),
                   "top-1 / top-5 %": N_("top-1 / top-5 %")}
WEIGHTS_SHOWN = (*WEIGHTS_HEADERS, "url")


def _intro() -> None:
    st.markdown(_(INTRO))
    st.markdown("\n".join(f"- **{_(p.title)}**: {_(p.blurb)}" for p in router.PAGES if p.url_path != "overview"))
    thumb, go = st.columns([1, 2], vertical_alignment="center")
    with thumb:
        st.image(str(models.SAMPLES_DIR / f"{models.DEFAULT_SAMPLE}.jpg"), width="stretch")
    with go:
        if st.button(_("Try it on this photo"), key="open_sample", type="primary", icon=":material/visibility:",
                     width="stretch", on_click=state.open_with, args=("sample", models.DEFAULT_SAMPLE),
                     help=_("Opens Activations with the sample photo loaded: the exact crop the network "
                            "sees, every branch's feature maps and the top-5 predictions.")):
            state.switch_to(router.page("activations"))
        if st.button(_("GoogLeNet's architecture"), key="open_googlenet", width="stretch",
                     icon=":material/account_tree:", on_click=state.set_variant, args=("googlenet",)):
            state.switch_to(router.page("architecture"))
        st.caption(_("Sample photo: Chelsea the cat (CC0, from scikit-image)."))


def _module_picture() -> None:
    """GoogLeNet's inception_3a as the paper draws it (Figure 2b)."""
    net = explorer.resolve(explorer.get_spec("googlenet"), explorer.choices("googlenet"))
    cost = explorer.cost("googlenet")
    st.markdown(_("**One Inception module** (GoogLeNet's inception_3a, the paper's Figure 2b): "
                  "four branches on the same input, concatenated."))
    common.plot(module_figure(net.module("inception_3a"), cost.module("inception_3a"), cost, tr=_),
                "inception_module", key="overview_module")


def _accuracy_text(a) -> str:
    if a is None:
        return "—"
    return " / ".join("—" if x is None else f"{x:.2f}".rstrip("0").rstrip(".") for x in (a.top1, a.top5))


def _variant_row(v: str) -> dict:
    s, c = explorer.get_spec(v), explorer.cost(v)
    paper = published.accuracies(v)[0]
    best = published.best_published(v)
    zoo = best if best is not None and best.source != "paper" else None
    return {"variant": s.title, "params": human(c.params), "MACs": fmt_macs(c.macs),
            "input": f"{s.defaults.input_size}²", "paper top-1 / top-5 %": _accuracy_text(paper),
            "zoo top-1 / top-5 %": _accuracy_text(zoo),
            "sources": f"{paper.citation}; " + (f"{_(zoo.label)}: {zoo.citation}" if zoo else _("no public weights")),
            "params (exact)": c.params, "MACs (exact)": c.macs}


def _variants_table() -> None:
    st.subheader(_("The six variants"))
    df = pd.DataFrame([_variant_row(v) for v in explorer.list_variants()])
    st.dataframe(df, hide_index=True, width="stretch", key="variants_table", column_order=SHOWN,
                 column_config={**common.column_labels(HEADERS),
                                **common.number_columns(N_("params (exact)"), N_("MACs (exact)")),
                                "sources": st.column_config.TextColumn(_("sources"), width=130)})
    st.caption(_("Params and MACs are computed by the explorer's cost model for each variant's default "
                 "configuration (Keras count, 1000 classes). Accuracies are published single-model, "
                 "single-crop ImageNet results: the papers' errors converted to accuracy (GoogLeNet's "
                 "paper gives top-5 only) and the best model-zoo figure, each with its source.") + " " +
               _(published.EVAL_NOTE))


def _trained_weights() -> None:
    """Which variants can be pretrained, from where, what is trained, and what is cached here."""
    st.subheader(_("Trained weights"))
    aux = {s.title: s.aux_trained for s in weight_sources()}
    rows = [{**r, "source": _("none") if r["source"] not in aux else r["source"],
             "aux": "—" if r["source"] not in aux else ("✓" if aux[r["source"]] else "✗"),
             "url": r["url"] if r["file"] else None} for r in table_rows()]
    # fits 1280 px: the main head is always trained, the link says "download" (sizes: README, `weights list`)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="weights_table", column_order=WEIGHTS_SHOWN,
                 column_config={**common.column_labels(WEIGHTS_HEADERS),
                                "url": st.column_config.LinkColumn(_("file"), display_text=_("download"), width=90)})
    without = [v for v in explorer.list_variants() if not weight_sources(v)]
    st.caption(_("Published ImageNet weights: keras.applications (no auxiliary heads) and the TF-slim model zoo "
                 "(1001 classes: the background class is dropped on load; Inception-v3, v4 and "
                 "Inception-ResNet-v2 with trained auxiliary heads). Accuracies are the sources' own.") +
               "".join(" " + _("{title}: {why}.").format(title=common.title(v), why=_(no_weights_why(v))) for v in without))


def _this_machine() -> None:
    st.subheader(_("This machine"))
    lines = ["- " + models.device_line()]  # where the last forward pass ran, else what was found
    for v in explorer.list_variants():
        here = [s.title for s in weight_sources(v) if cached(s)]
        if here:
            lines.append("- " + _("**{title}**: {sources} in the Keras cache ✓ (used by default)").format(
                title=common.title(v), sources=", ".join(here)))
    if len(lines) == 1:
        lines.append("- " + _("No trained weights in the Keras cache yet: choose a source under *Weights* to "
                              "download it once (needs internet), or `python -m explorer weights fetch --all` before "
                              "a lecture; offline, `python -m explorer weights import FILE`. Until then, random "
                              "weights."))
    st.markdown("\n".join(lines))


@common.page()
def render(view: state.View) -> None:
    st.title(_("Inception Explorer"))
    left, right = st.columns([1, 1], gap="large")
    with left:
        _intro()
    with right:
        _module_picture()
    _variants_table()
    _trained_weights()
    _this_machine()


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
