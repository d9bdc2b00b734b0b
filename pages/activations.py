"""Activations: a photo through the network. The exact crop it saw, each branch's feature maps side
by side (strongest channels first), a chosen channel over the image, which branch responds where,
and the top-5 of every head."""
from __future__ import annotations


import numpy as np
import pandas as pd
import streamlit as st

import explorer
from explorer.figures.maps import channel_order, overlay, response_figure, response_rows, tile_maps
from explorer.figures.network import shape_text
from pages.ui import common, models, photo, router, state
from pages.ui.i18n import _

MAX_BRANCH_COLS = 5
TILES = 16
MEASURES = {"share": "share of the module's activation", "mean": "mean activation",
            "active_fraction": "fraction active"}


def _switch_buttons(view: state.View) -> None:
    top_l, top_r = st.columns([4, 2])
    with top_l:
        st.caption("Pick a sample photo or upload your own; the network runs once per image, then every "
                   "module, branch and channel below is instant.")
    with top_r:
        if view.variant != "googlenet":
            st.button("Switch to GoogLeNet (2014)", key="to_googlenet", on_click=state.set_variant,
                      args=("googlenet",), width="stretch")
        else:
            st.button("Switch to Inception-v3", key="to_v3", on_click=state.set_variant,
                      args=("inception_v3",), width="stretch")


def _head_title(head: str, after: dict, trained: bool) -> str:
    name = _("Main head") if head == "main" else _("Aux {n} (after {module})").format(
        n=head.split("_")[-1], module=after.get(head, "?"))
    mark = _(":green-badge[trained]") if trained else _(":orange-badge[untrained]")
    return f"**{name}** {mark}"


def _predictions(preds: dict, net, entry) -> None:
    """Every head's top-5 side by side, each marked trained or untrained; after a design change on
    trained weights, the layers that had to start from random weights."""
    after = {a.name: a.after for a in net.aux}
    trained = dict(zip(entry.info.head_names, entry.info.heads_trained))
    for col, head in zip(st.columns(len(preds)), preds):
        with col:
            st.markdown(_head_title(head, after, trained.get(head, False)))
            df = pd.DataFrame([{"class": cls, "p": 100 * p} for _i, cls, p in preds[head]])
            st.dataframe(df, width="stretch", key=f"top5_{head}", hide_index=True,
                         column_config={"class": st.column_config.TextColumn(_("top-5 class")),
                                        "p": st.column_config.NumberColumn(_("prob."), format="%.2f%%")})
    untrained_aux = [h for h in preds if h != "main" and not trained.get(h, False)]
    if entry.info.pretrained and untrained_aux:
        st.caption(_("The {weights} weights have no trained auxiliary heads: {heads} start from random weights, so "
                     "their top-5 means nothing. TF-slim's checkpoints of Inception-v3, Inception-v4 and "
                     "Inception-ResNet-v2 train them (choose TF-slim under *Weights*).").format(
            weights=entry.info.weights, heads=", ".join(untrained_aux)))
    if entry.info.new_layers:
        with st.expander(_("{n} layers could not keep their weights after your design change").format(
                n=len(entry.info.new_layers)), icon=":material/new_releases:"):
            st.caption(_("New or reshaped by the change, so randomly initialised; every other layer kept its "
                         "weights. The heads fed by any of them are marked untrained."))
            st.code("\n".join(entry.info.new_layers), language=None)


def _pickers(acts, kinds: dict) -> tuple[str, str, int, np.ndarray, dict]:
    """Module, branch and channel pickers: (module, branch, channel, that branch's maps, rank)."""
    modules = list(acts.maps)
    state.seed("module", common.first_inception_module([(m, kinds.get(m, "")) for m in modules]), valid=modules)
    p1, p2, p3 = st.columns([2, 3, 2])
    with p1:
        st.selectbox("Module", modules, key="module", format_func=lambda m: f"{m} ({kinds.get(m, '')})")
        state.remember("module")
    module = st.session_state["module"]
    keys = list(acts.maps[module])
    state.seed("branch", keys[0], valid=keys)
    with p2:
        st.radio("Branch", keys, key="branch", horizontal=True,
                 format_func=lambda k: acts.labels[module].get(k, k))
        state.remember("branch")
    branch = st.session_state["branch"]
    a = acts.maps[module][branch]
    order = [int(i) for i in channel_order(a)]
    means = a.astype(np.float32).mean(axis=(0, 1))
    rank = {ch: i + 1 for i, ch in enumerate(order)}
    state.seed("channel", order[0], valid=set(order))
    with p3:
        st.selectbox("Channel (strongest first)", order, key="channel",
                     format_func=lambda ch: f"#{ch} — rank {rank[ch]}, mean {means[ch]:.3f}")
        state.remember("channel")
    return module, branch, int(st.session_state["channel"]), a, rank


def _branch_maps(acts, module: str, branch: str, out_shape) -> None:
    keys = list(acts.maps[module])
    is_branched = any(k.startswith("b") and k[1:].isdigit() for k in keys)
    show = (keys if is_branched else [branch])[:MAX_BRANCH_COLS]
    for col, key in zip(st.columns(len(show)), show):
        arr = acts.maps[module][key]
        top = [int(i) for i in channel_order(arr)[:TILES]]
        with col:
            mark = " ◀" if key == branch else ""
            st.markdown(f"**{acts.labels[module].get(key, key)}**{mark}  \n"
                        f"{arr.shape[-1]} channels · {arr.shape[0]}×{arr.shape[1]}")
            st.image(tile_maps(arr, top, cols=4), width="stretch",
                     caption="strongest: " + ", ".join(f"#{t}" for t in top[:8]) + " …")
    if is_branched:
        st.caption(f"{module}: each column is one branch, {TILES} strongest channels (highest mean "
                   f"activation) first, on one colour scale per branch (dark = 0). Together they are "
                   f"concatenated into {shape_text(out_shape)}.")
    else:
        st.caption(f"{module} is a sequential module: pick one of its layers above.")


def _one_channel(acts, module: str, branch: str, channel: int, a: np.ndarray, rank: dict) -> None:
    st.subheader(f"Channel #{channel} of {module} · {acts.labels[module].get(branch, branch)} over the image")
    o1, o2 = st.columns([1, 1], gap="large")
    ch_map = a[..., channel].astype(np.float32)
    with o1:
        alpha = st.slider("Overlay opacity", 0.0, 1.0, 0.55, 0.05, key="overlay_alpha")
        st.image(overlay(acts.crop, ch_map, alpha), width="stretch",
                 caption=f"Bright = strong response of channel #{channel} ({ch_map.shape[0]}×{ch_map.shape[1]} "
                         f"map, upsampled onto the crop).")
    with o2:
        st.metric("Mean activation", f"{float(ch_map.mean()):.4f}",
                  help=f"rank {rank[channel]} of {len(rank)} channels in this branch")
        st.metric("Max activation", f"{float(ch_map.max()):.4f}")
        st.metric("Active (> 0)", f"{float((ch_map > 0).mean()):.1%}")
        st.image(tile_maps(a, [channel], cols=1, tile=256), caption=f"channel #{channel} alone", width=280)


def _responses(acts, v: str, pretrained: bool) -> None:
    st.subheader("Which branch responds where")
    metric = st.radio("Measure", list(MEASURES), key="response_metric", horizontal=True,
                      format_func=MEASURES.get)
    rows = response_rows(acts.summary, acts.maps)
    if rows:
        common.plot(response_figure(rows, metric), f"{v}_branch_response", key="response_chart")
        st.caption("Share = channels × mean activation of the branch, over the module's total. For this "
                   "one image: compare photos to see the balance move." +
                   ("" if pretrained else " With random weights this mostly reflects channel counts and "
                                          "kernel sizes."))


@common.page(url_keys=("module", "branch", "channel", "sample"))
def render(view: state.View) -> None:
    st.title("Activations: what each branch sees")
    _switch_buttons(view)
    if not common.require_choices(view):
        return
    image, digest, source, resize, entry = photo.photo_and_model(view)
    if entry.pretrained:
        weights = next((s for s in explorer.weight_sources(view.variant) if s.name == entry.info.weights), None)
        st.success(_("{title} with trained ImageNet weights ({source}: {heads} trained): the predictions are "
                     "meaningful.").format(title=common.title(view.variant),
                                           source=weights.title if weights else entry.info.weights,
                                           heads=weights.heads if weights else _("main head")), icon="✅")
    with st.spinner("Running the image through the network (one forward pass for every branch)…"):
        acts, preds = models.activations(entry.model, entry.token, digest, resize, image)
    if acts.fallback:  # the GPU ran out of memory: this image ran on the CPU
        st.warning(_(acts.fallback), icon=":material/memory:")
    cost = explorer.cost(view.variant, **view.kwargs)
    left, right = st.columns([1, 3], gap="medium")
    with left:
        st.image(acts.crop, width="stretch",
                 caption=f"Exactly what the network saw: {acts.crop.shape[1]}×{acts.crop.shape[0]} px "
                         f"({'centre crop' if resize == 'crop' else 'stretched'} of {source}).")
    with right:
        _predictions(preds, entry.info.net, entry)
    st.subheader("Feature maps, branch by branch")
    module, branch, channel, a, rank = _pickers(acts, {m.name: m.kind for m in cost.modules})
    _branch_maps(acts, module, branch, cost.module(module).out_shape)
    _one_channel(acts, module, branch, channel, a, rank)
    _responses(acts, view.variant, entry.pretrained)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
