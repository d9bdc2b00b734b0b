"""Overview: Inception in a few lines and pictures, the six variants in one table, device and
weights status, and a sample photo one click away."""
import pandas as pd
import streamlit as st

import explorer
from explorer import metadata
from pages import _charts as charts
from pages import _shared as sh


def open_sample(sample: str) -> None:
    """Load the sample photo on the Activations page (the page's widgets pick it up)."""
    keep = sh._keep()
    keep["sample"] = sample
    st.session_state.pop("sample", None)
    st.session_state["_use_upload"] = False


def body(view: sh.View) -> None:
    st.title("Inception Explorer")
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.markdown(
            "An **Inception module** looks at the same feature map through several windows at once — "
            "**1x1, 3x3 and 5x5 convolutions and a 3x3 max pool, side by side** — and stacks their "
            "outputs. **1x1 convolutions** first shrink the channels, which is what makes the wide "
            "module affordable (GoogLeNet, 2014: 22 layers, 7 M parameters). Its successors "
            "**factorise** big kernels (5x5 → two 3x3, 7x7 → 1x7 + 7x1), add **batch norm**, and in "
            "Inception-ResNet add **residual shortcuts**.")
        st.markdown(
            "- **Architecture**: any variant, module by module, with its branches\n"
            "- **Activations**: what each branch sees in a photo, and the predictions\n"
            "- **Design costs**: what each design choice costs in parameters and compute\n"
            "- **Accuracy**: the published ImageNet results and ablations, with sources")
        thumb, go = st.columns([1, 2], vertical_alignment="center")
        with thumb:
            st.image(str(sh.SAMPLES_DIR / f"{sh.DEFAULT_SAMPLE}.jpg"), width="stretch")
        with go:
            if st.button("Try it on this photo", key="open_sample", type="primary", icon=":material/visibility:",
                         width="stretch", on_click=open_sample, args=(sh.DEFAULT_SAMPLE,),
                         help="Opens Activations with the sample photo loaded: the exact crop the network "
                              "sees, every branch's feature maps and the top-5 predictions."):
                st.switch_page(sh.PAGE_FILES["activations"])
            if st.button("Open GoogLeNet's architecture", key="open_googlenet", width="stretch",
                         icon=":material/account_tree:", on_click=sh.set_variant, args=("googlenet",)):
                st.switch_page(sh.PAGE_FILES["architecture"])
            st.caption("Sample photo: Chelsea the cat (CC0, from scikit-image).")
    with right:
        # the picture: GoogLeNet's inception_3a as the paper draws it (Figure 2b)
        net = explorer.resolve(explorer.get_spec("googlenet"), explorer.choices("googlenet"))
        cost = explorer.cost("googlenet")
        st.markdown("**One Inception module** (GoogLeNet's inception_3a, the paper's Figure 2b): "
                    "four branches on the same input, concatenated.")
        sh.plot(charts.module_figure(net.module("inception_3a"), cost.module("inception_3a"), cost),
                "inception_module", key="overview_module")

    st.subheader("The six variants")
    rows = []

    def acc(a) -> str:
        if a is None:
            return "—"
        return " / ".join("—" if x is None else f"{x:.2f}".rstrip("0").rstrip(".") for x in (a.top1, a.top5))

    for v in explorer.list_variants():
        s = explorer.get_spec(v)
        c = explorer.cost(v)
        paper = metadata.accuracies(v)[0]
        best = metadata.best_published(v)
        zoo = best if best is not None and best.source != "paper" else None
        rows.append({
            "variant": s.title,
            "params": sh.human(c.params),
            "MACs": sh.fmt_macs(c.macs),
            "input": f"{s.defaults.input_size}²",
            "paper top-1 / top-5 %": acc(paper),
            "zoo top-1 / top-5 %": acc(zoo),
            "sources": f"{paper.citation}; " + (f"{zoo.label}: {zoo.citation}" if zoo else "no public weights"),
            "params (exact)": c.params,
            "MACs (exact)": c.macs,
        })
    df = pd.DataFrame(rows)
    st.dataframe(df, hide_index=True, width="stretch", key="variants_table",
                 column_config={"params (exact)": st.column_config.NumberColumn(format="localized"),
                                "MACs (exact)": st.column_config.NumberColumn(format="localized"),
                                "sources": st.column_config.TextColumn(width="large")})
    st.caption("Params and MACs are computed by the explorer's cost model for each variant's default "
               "configuration (Keras count, 1000 classes). Accuracies are published single-model, "
               "single-crop ImageNet results: the papers' errors converted to accuracy (GoogLeNet's "
               "paper gives top-5 only) and the best model-zoo figure, each with its source. "
               + metadata.EVAL_NOTE)

    st.subheader("This machine")
    info = sh.device_info()
    lines = [f"- **Device**: {info.get('summary', info.get('device', '?'))}"]
    for v in explorer.list_variants():
        if "imagenet" in sh.available_weights(v):
            state = ("in the Keras cache ✓ (used by default)" if sh.imagenet_cached(v) else
                     "not cached: choose *ImageNet* under *Weights* to download them once (needs internet); "
                     "until then random weights")
            lines.append(f"- **{sh.title(v)}**: ImageNet weights {state}")
    lines.append("- Other variants: random weights only (Keras publishes no ImageNet file for them)")
    st.markdown("\n".join(lines))

sh.page_main(body)
