"""Activations: a photo through the network. The exact crop it saw, each branch's feature maps side
by side (strongest channels first), a chosen channel over the image, which branch responds where,
and the top-5 of every head."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

import explorer
from explorer.figures.maps import channel_order, overlay, png_bytes, response_figure, response_rows, tile_maps
from explorer.figures.network import kind_name, shape_text
from pages.ui import common, models, photo, router, state
from pages.ui.i18n import N_, _
from pages.ui.photo import RESIZE

MAX_BRANCH_COLS = 5
TILES = 16
FIRST_TILES = 12  # on the first screen (three rows: they fit above the fold of a 1280x720 projector)
# The top-5 shows the probability first and the class in a fixed width: together 230 px, within
# the top-5 column of the first screen at 1280x720 (243 px), so a long class name (ImageNet's run to
# 61 characters) is cut in its cell instead of pushing the probabilities out of sight.
TOP5_WIDTHS = {"p": 60, "class": 170}
OPACITY = state.Between(0.0, 1.0)  # the overlay slider's range, and what a link may set it to
MEASURES = {"share": N_("share of the module's activation"), "mean": N_("mean activation"),
            "active_fraction": N_("fraction active")}
# what the chart's measure is, and (random weights) what it mostly shows instead of the photo
MEASURE_NOTES = {
    "share": (N_("Share = channels × mean activation of the branch, over the module's total. For this one image: "
                 "compare photos to see the balance move."),
              N_("With random weights this mostly reflects channel counts and kernel sizes.")),
    "mean": (N_("Mean = the branch's average activation over all its channels and positions. For this one image: "
                "compare photos to see which branches respond more."),
             N_("With random weights this mostly reflects how the weights were initialised, not the photo.")),
    "active_fraction": (N_("Fraction active = the share of the branch's units (channels × positions) above 0: how "
                           "sparse its response is. For this one image: compare photos to see it change."),
                        N_("With random weights about half of the units are above 0, whatever the photo.")),
}


def _switch_button(col, view: state.View) -> None:
    if view.variant != "googlenet":
        col.button(_("Switch to GoogLeNet (2014)"), key="to_googlenet", on_click=state.set_variant,
                   args=("googlenet",), width="stretch")
    else:
        col.button(_("Switch to Inception-v3"), key="to_v3", on_click=state.set_variant,
                   args=("inception_v3",), width="stretch")


def _top5(df_rows, head: str) -> None:
    df = pd.DataFrame([{"class": cls, "p": 100 * p} for _, cls, p in df_rows])
    st.dataframe(df, width="stretch", key=f"top5_{head}", hide_index=True, column_order=("p", "class"),
                 column_config={"class": st.column_config.TextColumn(_("top-5 class"), width=TOP5_WIDTHS["class"]),
                                "p": st.column_config.NumberColumn(_("prob."), format="%.1f%%", width=TOP5_WIDTHS["p"])})


def _head_title(head: str, after: dict, trained: bool) -> str:
    name = _("Main head: top-5") if head == "main" else _("Aux {n} (after {module})").format(
        n=head.split("_")[-1], module=after.get(head, "?"))
    mark = _(":green-badge[trained]") if trained else _(":orange-badge[untrained]")
    return f"**{name}** {mark}"


def _predictions(preds: dict, net, entry, status: tuple) -> None:
    """The main head's top-5; the auxiliary heads', the layers a design change left untrained and
    the weights' details folded underneath. Each head is marked trained or untrained."""
    after = {a.name: a.after for a in net.aux}
    trained = dict(zip(entry.info.head_names, entry.info.heads_trained))
    st.markdown(_head_title("main", after, trained.get("main", False)))
    _top5(preds["main"], "main")
    aux = [h for h in preds if h != "main"]
    if aux:
        with st.expander(_("Auxiliary heads' top-5")):
            for head in aux:
                st.markdown(_head_title(head, after, trained.get(head, False)))
                _top5(preds[head], head)
            untrained_aux = [h for h in aux if not trained.get(h, False)]
            if entry.info.pretrained and untrained_aux:
                st.caption(_("The {weights} weights have no trained auxiliary heads: {heads} start from random "
                             "weights, so their top-5 means nothing. TF-slim's checkpoints of Inception-v3, "
                             "Inception-v4 and Inception-ResNet-v2 train them (choose TF-slim under *Weights*).").format(
                    weights=entry.info.weights, heads=", ".join(untrained_aux)))
    if entry.info.new_layers:
        with st.expander(_("{n} layers could not keep their weights after your design change").format(
                n=len(entry.info.new_layers)), icon=":material/new_releases:"):
            st.caption(_("New or reshaped by the change, so randomly initialised; every other layer kept its "
                         "weights. The heads fed by any of them are marked untrained."))
            st.code("\n".join(entry.info.new_layers), language=None)
    with st.expander(_("About the weights")):
        st.markdown(status[2])


def _seed_pickers(acts, kinds: dict, picked_for: tuple) -> tuple[str, str, int]:
    """The module, branch and channel shown (seeded before the first screen uses them; their
    widgets are drawn further down). A channel is picked for one photo through one model, module
    and branch: any change of them goes back to the strongest channel."""
    modules = list(acts.maps)
    state.seed("module", common.first_inception_module([(m, kinds.get(m, "")) for m in modules]), valid=modules)
    module = st.session_state["module"]
    keys = list(acts.maps[module])
    state.seed("branch", keys[0], valid=keys)
    branch = st.session_state["branch"]
    order = [int(i) for i in channel_order(acts.maps[module][branch])]
    state.forget_when_changed("channel", picked_for + (module, branch))
    state.seed("channel", order[0], valid=set(order))
    return module, branch, int(st.session_state["channel"])


def _pickers(acts, kinds: dict, module: str, a: np.ndarray) -> dict:
    """The module, branch and channel widgets; {channel: rank} of the branch shown."""
    order = [int(i) for i in channel_order(a)]
    means = a.astype(np.float32).mean(axis=(0, 1))
    rank = {ch: i + 1 for i, ch in enumerate(order)}
    p1, p2, p3 = st.columns([2, 3, 2])
    p1.selectbox(_("Module"), list(acts.maps), key="module", format_func=lambda m: f"{m} ({kind_name(kinds.get(m, ''), _)})")
    p2.radio(_("Branch"), list(acts.maps[module]), key="branch", horizontal=True,
             format_func=lambda k: acts.labels[module].get(k, k))
    p3.selectbox(_("Channel (strongest first)"), order, key="channel",
                 format_func=lambda ch: _("#{ch} — rank {rank}, mean {mean}").format(
                     ch=ch, rank=rank[ch], mean=f"{means[ch]:.3f}"))
    state.remember("module", "branch", "channel")
    return rank


def _tiles(arr: np.ndarray) -> tuple[np.ndarray, list[int]]:
    top = [int(i) for i in channel_order(arr)[:TILES]]
    return tile_maps(arr, top, cols=4), top


def _first_screen(acts, preds, entry, status, source: str, module: str, branch: str) -> None:
    """What a projector shows without scrolling: the crop, the top-5, the branch's strongest maps."""
    crop_col, top5_col, maps_col = st.columns([1.05, 1.35, 1.6], gap="medium")
    resize = st.session_state["resize"]
    crop_col.image(acts.crop, width="stretch", caption=_("What the network saw: {w}×{h} px, {how} of {source}.").format(
        w=acts.crop.shape[1], h=acts.crop.shape[0], how=_(RESIZE[resize]), source=source))
    with top5_col:
        _predictions(preds, entry.info.net, entry, status)
    arr = acts.maps[module][branch]
    first = tile_maps(arr, [int(i) for i in channel_order(arr)[:FIRST_TILES]], cols=4)
    maps_col.markdown("**" + _("{module} · {branch}: the {n} strongest channels").format(
        module=module, branch=acts.labels[module].get(branch, branch), n=FIRST_TILES) + "**")
    maps_col.image(first, width=290)


def _branch_maps(acts, module: str, branch: str, out_shape) -> None:
    keys = list(acts.maps[module])
    is_branched = any(k.startswith("b") and k[1:].isdigit() for k in keys)
    show = (keys if is_branched else [branch])[:MAX_BRANCH_COLS]
    for col, key in zip(st.columns(len(show)), show):
        arr = acts.maps[module][key]
        tiles, top = _tiles(arr)
        label = acts.labels[module].get(key, key)
        with col:
            mark = " ◀" if key == branch else ""
            st.markdown(f"**{label}**{mark}  \n" + _("{n} channels · {h}×{w}").format(
                n=arr.shape[-1], h=arr.shape[0], w=arr.shape[1]))
            st.image(tiles, width="stretch", caption=_("strongest: {channels} …").format(
                channels=", ".join(f"#{t}" for t in top[:8])))
            st.download_button(_("PNG"), functools.partial(png_bytes, tiles), file_name=f"{module}_{label}_strongest.png",
                               mime="image/png", key=f"dl_tiles_{key}", icon=":material/download:", on_click="ignore")
    if is_branched:
        st.caption(_("{module}: each column is one branch, {n} strongest channels (highest mean activation) first, "
                     "on one colour scale per branch (dark = 0). Together they are concatenated into {shape}.").format(
            module=module, n=TILES, shape=shape_text(out_shape)))
    else:
        st.caption(_("{module} is a sequential module: pick one of its layers above.").format(module=module))


def _one_channel(acts, module: str, branch: str, channel: int, a: np.ndarray, rank: dict) -> None:
    st.subheader(_("Channel #{channel} of {module} · {branch} over the image").format(
        channel=channel, module=module, branch=acts.labels[module].get(branch, branch)))
    o1, o2 = st.columns([1, 1], gap="large")
    ch_map = a[..., channel].astype(np.float32)
    with o1:
        state.seed("overlay_alpha", 0.55, valid=OPACITY)  # a link's 5 would break the slider
        alpha = st.slider(_("Overlay opacity"), OPACITY.low, OPACITY.high, step=0.05, key="overlay_alpha")
        state.remember("overlay_alpha")
        shown = overlay(acts.crop, ch_map, alpha)
        st.image(shown, width="stretch", caption=_(
            "Bright = strong response of channel #{channel} ({h}×{w} map, upsampled onto the crop).").format(
            channel=channel, h=ch_map.shape[0], w=ch_map.shape[1]))
        st.download_button(_("PNG"), functools.partial(png_bytes, shown), file_name=f"{module}_{branch}_{channel}_overlay.png",
                           mime="image/png", key="dl_overlay", icon=":material/download:", on_click="ignore")
    with o2:
        st.metric(_("Mean activation"), f"{float(ch_map.mean()):.4f}",
                  help=_("rank {rank} of {n} channels in this branch").format(rank=rank[channel], n=len(rank)))
        st.metric(_("Max activation"), f"{float(ch_map.max()):.4f}")
        st.metric(_("Active (> 0)"), f"{float((ch_map > 0).mean()):.1%}")
        st.image(tile_maps(a, [channel], cols=1, tile=256), caption=_("channel #{channel} alone").format(channel=channel),
                 width=280)


def _responses(acts, v: str, pretrained: bool) -> None:
    st.subheader(_("Which branch responds where"))
    state.seed("response_metric", "share", valid=list(MEASURES))
    metric = st.radio(_("Measure"), list(MEASURES), key="response_metric", horizontal=True,
                      format_func=lambda m: _(MEASURES[m]))
    state.remember("response_metric")
    rows = response_rows(acts.summary, acts.maps)
    if rows:
        common.plot(response_figure(rows, metric, tr=_), f"{v}_branch_response", key="response_chart")
        what, untrained = MEASURE_NOTES[metric]
        st.caption(_(what) + ("" if pretrained else " " + _(untrained)))


@common.page(url_keys=("sample", "resize", "module", "branch", "channel", "overlay_alpha", "response_metric"))
def render(view: state.View) -> None:
    st.title(_("Activations: what each branch sees"))
    if not common.require_choices(view):
        return
    columns = st.columns([2, 1.7, 2.3], vertical_alignment="bottom")
    entry = models.get_model(view)  # its weights decide the default fit (`model_info(model).fit`)
    photo.pickers(columns, entry.info.fit)
    image, digest, source = photo.image()
    photo.warn_if_small(image, view.choices.input_size)
    status = models.weights_status(entry, view.variant)
    banner, switch = st.columns([4.4, 1.6], vertical_alignment="center")
    photo.banner(banner, status)
    _switch_button(switch, view)
    with st.spinner(_("Running the image through the network (one forward pass for every branch)…")):
        acts, preds = models.activations(entry.model, entry.token, digest, st.session_state["resize"], image)
    if acts.fallback:  # the GPU ran out of memory: this image ran on the CPU
        st.warning(_(acts.fallback), icon=":material/memory:")
    cost = explorer.cost(view.variant, **view.kwargs)
    kinds = {m.name: m.kind for m in cost.modules}
    module, branch, channel = _seed_pickers(acts, kinds, (entry.token, digest, st.session_state["resize"]))
    _first_screen(acts, preds, entry, status, source, module, branch)
    st.subheader(_("Feature maps, branch by branch"))
    a = acts.maps[module][branch]
    rank = _pickers(acts, kinds, module, a)
    _branch_maps(acts, module, branch, cost.module(module).out_shape)
    _one_channel(acts, module, branch, channel, a, rank)
    _responses(acts, view.variant, entry.pretrained)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
