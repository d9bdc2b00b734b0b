"""Explain: what each branch contributes to a prediction. Per-branch Grad-CAM with each branch's
share of the evidence, switches that turn branches off (the top-5 of every head follows live),
the knock-out of every branch in turn as a module x branch heatmap, the receptive field of a unit
picked on a feature map, and the image a channel responds to most."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import explorer
from explorer.explain import modules_for, receptive_field
from explorer.figures.explain import (MEASURES, feature_map_figure, heat_overlay, knockout_figure, rf_overlay,
                                      share_figure, top_change_rows)
from explorer.figures.maps import channel_order
from explorer.inference.probe import class_name, top_k
from pages.ui import common, models, photo, router, state, switches
from pages.ui.i18n import N_, _

URL_KEYS = ("module", "classifier", "cls", "off", "ko", "ko_measure", "ko_kind", "branch", "channel", "row", "col",
            "vis", "steps", "vis_size", "sample", "resize")
KINDS = {"zero": N_("output zeroed"), "mean": N_("replaced by its mean over the image")}
STEPS = (64, 128, 256, 512)
VIS_SIZES = (96, 128, 160, 224)
AUTO_SWEEP = 60  # branches: larger sweeps (Inception-v4, Inception-ResNet) wait for the switch


def _target(entry, acts, digest: str):
    """Head, module and class pickers: (module, head, class index). The class starts at the head's
    top-1, and goes back to it for another photo, model or head."""
    heads = list(entry.info.head_names)
    c1, c2, c3 = st.columns([2, 2, 3])
    state.seed("classifier", "main", valid=heads)
    with c2:
        st.radio(_("Head"), heads, key="classifier", horizontal=True,
                 help=_("The classifier whose decision is explained (auxiliary heads read an earlier module)."))
        state.remember("classifier")
    head = st.session_state["classifier"]
    names = modules_for(entry.info.net, head)
    state.seed("module", names[-1], valid=names)
    with c1:
        st.selectbox(_("Module"), names, key="module")
        state.remember("module")
    probs = acts.probabilities[head]
    top = top_k(probs, 10)
    options = [i for i, _n, _p in top]
    state.seed("cls", options[0], valid=range(len(probs)))
    shown = (entry.token, digest, head)
    if st.session_state.get("_cls_for", shown) != shown:  # another photo, model or head: its top-1
        st.session_state["cls"] = options[0]
    st.session_state["_cls_for"] = shown
    if st.session_state["cls"] not in options:
        options.append(int(st.session_state["cls"]))
    label = {i: f"{class_name(i, len(probs))} ({100 * probs[i]:.2f}%)" for i in options}
    with c3:
        st.selectbox(_("Class explained (the head's top-10; top-1 first)"), options, key="cls", format_func=label.get)
        state.remember("cls")
    return st.session_state["module"], head, int(st.session_state["cls"])


def _gradcam(entry, img, module: str, head: str, cls: int, off: tuple) -> None:
    image, digest, resize = img
    st.subheader(_("Grad-CAM per branch: where each branch finds evidence for the class"))
    with st.spinner(_("Computing the gradients (the first time for a model prepares its gradient function)…")):
        cam = models.gradcam(entry.model, entry.token, digest, resize, module, head, cls, off, image)
    cols = st.columns(1 + len(cam.branches))
    with cols[0]:
        st.image(heat_overlay(cam.crop, cam.module_map), width="stretch",
                 caption=_("{m} as one layer (its own scale){w}").format(
                     m=module, w="" if entry.pretrained else _(" · random weights")))
    for col, b in zip(cols[1:], cam.branches):
        with col:
            note = _(" · switched off") if (module, b.branch) in off else ""
            st.image(heat_overlay(cam.crop, b.map), width="stretch",
                     caption=_("{label}: {share:.0%} of the evidence{note}").format(label=b.label, share=b.share,
                                                                                  note=note))
    title = _("{m}: each branch's share for “{c}” ({h}{w})").format(
        m=module, c=cam.class_name, h=head, w="" if entry.pretrained else _(", random weights"))
    common.plot(share_figure([b.label for b in cam.branches], [b.share for b in cam.branches],
                             [b.gate_gradient for b in cam.branches], title, tr=_), "branch_gradcam_shares",
                key="cam_shares")
    st.caption(_("Grad-CAM (Selvaraju et al. 2017): each channel weighted by its gradient averaged over the map, "
                 "positive part. The module's channels are its branches' channels, so the branch maps add up to "
                 "the module's map (before the positive part); the branch maps share one colour scale, from blue "
                 "(little evidence) to dark red (the module's strongest), and the photo shows through where a map "
                 "has none. Share = a branch's positive evidence over the module's. p(class) = {p:.2%}.").format(p=cam.probability))


def _switches(entry, img, module: str, off: tuple) -> None:
    """A switch per branch of the module; the top-5 of every head with the branches off."""
    image, digest, resize = img
    st.subheader(_("Switch branches off: what the network says without them"))
    labels = {b.key: b.label for m in entry.info.net.modules if m.name == module for b in m.branches}
    keys = switches.toggle_keys(entry, module)
    cols = st.columns(len(keys) + 1)
    for col, (key, widget) in zip(cols, keys):
        st.session_state[widget] = (module, key) in off
        with col:
            st.toggle(_("{label} off").format(label=labels[key]), key=widget)
    with cols[-1]:
        st.button(_("All back on"), key="all_on", on_click=switches.all_on, args=([w for _k, w in keys],))
    preds = models.predict_gated(entry.model, entry.token, digest, resize, off, image)
    st.caption((_("Switched off: {pairs}. Same weights, same model: each switch multiplies that branch's output "
                  "by 0 before its module concatenates it.").format(pairs=", ".join(f"{m}/{b}" for m, b in off)))
               if off else _("Every branch is on. Switch one off to see the top-5 of every head change."))
    heads = list(preds)
    per_row = 2 if len(heads) > 2 else len(heads)  # four columns each: three side by side would hide the change
    cols = [c for k in range(0, len(heads), per_row) for c in st.columns(per_row)]
    for col, head in zip(cols, heads):
        with col:
            st.markdown(f"**{head}**")
            st.dataframe(pd.DataFrame(top_change_rows(preds[head])), hide_index=True, width="stretch",
                         key=f"gated_top5_{head}",
                         column_config={"class": st.column_config.TextColumn(_("top-5 now")),
                                        "p": st.column_config.NumberColumn(_("now %"), format="%.3f"),
                                        "intact": st.column_config.NumberColumn(_("intact %"), format="%.3f"),
                                        "change": st.column_config.NumberColumn(_("Δ points"), format="%+.3f")})


def _knockout(entry, img, head: str, cls: int) -> None:
    image, digest, resize = img
    st.subheader(_("Knock-out: every branch switched off in turn"))
    net = entry.info.net
    n = sum(len(m.branches) for m in net.modules if m.name in modules_for(net, head))
    c1, c2, c3 = st.columns([3, 3, 2])
    state.seed("ko_measure", "relative", valid=list(MEASURES))
    state.seed("ko_kind", "zero", valid=list(KINDS))
    state.seed("ko", n <= AUTO_SWEEP, valid=(True, False))
    st.session_state["ko"] = bool(st.session_state["ko"])  # the URL's 1 / 0
    with c1:
        st.radio(_("Measure"), list(MEASURES), key="ko_measure", format_func=lambda m: _(MEASURES[m]))
    with c2:
        st.radio(_("Knock-out"), list(KINDS), key="ko_kind", format_func=lambda k: _(KINDS[k]))
    passes = -(-(2 * n + 1) // 8)
    with c3:
        st.toggle(_("Run the sweep"), key="ko", help=_("{n} branches: {p} forward passes (batches of 8)").format(
            n=n, p=passes))
    state.remember("ko_measure", "ko_kind", "ko")
    if not st.session_state["ko"]:
        st.info(_("{n} branches to knock out, each zeroed and each replaced by its mean, plus the intact network: "
                  "{r} images in {p} batched forward passes of the gated model. Switch on *Run the sweep* to "
                  "compute them (with a progress bar).").format(n=n, r=2 * n + 1, p=passes))
        return
    bar = st.progress(0.0, text=_("Knock-out: one batched pass of the gated model per 8 ablations…"))
    ko = models.knockout(entry.model, entry.token, digest, resize, head, cls, image,
                         progress=lambda done, total: bar.progress(done / total, text=_(
                             "Knock-out: {done} of {total} ablations").format(done=done, total=total)))
    bar.empty()
    fig = knockout_figure(ko.table(), ko.p_intact, ko.class_name, st.session_state["ko_measure"],
                          st.session_state["ko_kind"], "" if entry.pretrained else _("random weights"), tr=_)
    common.plot(fig, "branch_knockout", key="ko_heatmap")
    st.caption(_("{n} branches, {passes} forward passes of one gated model (no rebuild). Intact: p({c}) = {p:.3%} "
                 "({h}). Red: the class loses probability when the branch is knocked out; blue: it gains.").format(
        n=len(ko.rows), passes=ko.forward_passes, c=ko.class_name, p=ko.p_intact, h=head))


def _unit_pickers(acts, module: str) -> tuple:
    """Branch and channel pickers (shared with feature visualisation): (branch, channel, map)."""
    keys = list(acts.maps[module])
    state.seed("branch", keys[0], valid=keys)
    c1, c2 = st.columns([3, 2])
    with c1:
        st.radio(_("Branch"), keys, key="branch", horizontal=True, format_func=lambda k: acts.labels[module][k])
    branch = st.session_state["branch"]
    a = acts.maps[module][branch]
    order = [int(i) for i in channel_order(a)]
    state.seed("channel", order[0], valid=set(order))
    with c2:
        st.selectbox(_("Channel (strongest first)"), order, key="channel")
    state.remember("branch", "channel")
    return branch, int(st.session_state["channel"]), a


def _pick_from_chart(h: int, w: int) -> None:
    """A click on the feature map (its selection is in the state before the chart is drawn again)
    sets the unit's row and column; a selection already applied is not applied again."""
    event = st.session_state.get("rf_map")
    points = event.get("selection", {}).get("points", []) if event else []
    if points:
        y, x = int(round(points[0]["y"])), int(round(points[0]["x"]))
        if (y, x) != st.session_state.get("_rf_pick") and 0 <= y < h and 0 <= x < w:
            st.session_state["_rf_pick"] = (y, x)
            st.session_state["row"], st.session_state["col"] = y, x


def _receptive_field(entry, acts, module: str) -> tuple:
    st.subheader(_("Receptive field: what one unit of a branch can see"))
    branch, channel, a = _unit_pickers(acts, module)
    h, w = a.shape[:2]
    state.seed("row", h // 2, valid=range(h))
    state.seed("col", w // 2, valid=range(w))
    _pick_from_chart(h, w)
    left, right = st.columns([1, 1], gap="large")
    field = receptive_field(entry.info.net, module, branch)
    with left:
        fig = feature_map_figure(a[..., channel].astype("float32"),
                                 _("{b} · #{c}: click a unit").format(b=acts.labels[module][branch], c=channel),
                                 (st.session_state["row"], st.session_state["col"]), tr=_)
        common.plot(fig, "feature_map_units", key="rf_map", on_select="rerun", selection_mode="points")
        r1, r2 = st.columns(2)
        r1.number_input(_("Row"), 0, h - 1, key="row")
        r2.number_input(_("Column"), 0, w - 1, key="col")
        state.remember("row", "col")
    i, j = int(st.session_state["row"]), int(st.session_state["col"])
    box = field.box(i, j)
    with right:
        st.image(rf_overlay(acts.crop, box, field.centre(i, j)), width="stretch",
                 caption=_("Unit ({i}, {j}) of {m}/{b} sees rows {t}–{bo}, columns {l}–{r} of the crop.").format(
                     i=i, j=j, m=module, b=branch, t=box[0], bo=box[2], l=box[1], r=box[3]))
        st.markdown(_("**Kernel path** of the {label} branch: `{text}`").format(
            label=field.label, text=field.text))
        st.caption(_("From the input to {m}: stride {s}, receptive field {rf} px; the branch adds its own kernels. "
                     "Near the border the theoretical field ({th}) reaches into the padding: the box shows the "
                     "pixels the unit actually reads.").format(m=module, s=field.module_in[0], rf=field.module_in[1],
                                                               th="×".join(map(str, field.rf))))
    return branch, channel


def _feature_vis(entry, module: str, branch: str, channel: int) -> None:
    st.subheader(_("What channel #{c} of {m}/{b} looks for").format(c=channel, m=module, b=branch))
    if not entry.pretrained:
        st.info(_("Feature visualisation shows something readable only for **trained** weights. These weights are "
                  "random: the image below is a texture the random filters happen to respond to, not a concept."),
                icon=":material/info:")
    c1, c2, c3 = st.columns(3)
    state.seed("steps", 128, valid=STEPS)
    state.seed("vis_size", 128, valid=VIS_SIZES)
    state.seed("vis", False, valid=(True, False))
    st.session_state["vis"] = bool(st.session_state["vis"])  # the URL's 1 / 0
    c1.selectbox(_("Steps"), STEPS, key="steps")
    c2.selectbox(_("Image size (px)"), VIS_SIZES, key="vis_size")
    c3.toggle(_("Visualise this channel"), key="vis")
    state.remember("steps", "vis_size", "vis")
    if not st.session_state["vis"]:
        st.caption(_("Optimises an image to maximise the channel's mean activation: a decorrelated Fourier "
                     "parameterisation with random jitter, scale and rotation (Olah et al. 2017, Distill)."))
        return
    bar = st.progress(0.0, text=_("Optimising the image…"))
    vis = explorer.visualize_channel(entry.model, module, branch, channel, steps=st.session_state["steps"],
                                     size=st.session_state["vis_size"], progress=lambda t, n: bar.progress(
                                         t / n, text=_("Step {t} of {n}").format(t=t, n=n)))
    bar.empty()
    left, right = st.columns([1, 2])
    left.image(vis.image, width="stretch", caption=_("{n} steps, {s} px, seed 0 (cached)").format(
        n=len(vis.history), s=vis.image.shape[0]))
    right.metric(_("Channel's mean activation"), f"{vis.activation:.4f}",
                 delta=f"{vis.activation - vis.start_activation:+.4f} " + _("vs the starting noise"))


@common.page(url_keys=URL_KEYS)
def render(view: state.View) -> None:
    st.title(_("Explain: what each branch contributes"))
    st.caption(_("Which branch, at which scale, makes the network say what it says: Grad-CAM per branch, "
                 "branches switched off, every branch knocked out in turn, a unit's receptive field and what a "
                 "channel looks for."))
    if not common.require_choices(view):
        return
    image, digest, source, resize, entry = photo.photo_and_model(view)
    with st.spinner(_("Running the image through the network…")):
        acts, _preds = models.activations(entry.model, entry.token, digest, resize, image)
    left, right = st.columns([1, 3], gap="medium")
    with left:
        st.image(acts.crop, width="stretch", caption=_("What the network saw ({src}).").format(src=source))
    with right:
        module, head, cls = _target(entry, acts, digest)
        trained = dict(zip(entry.info.head_names, entry.info.heads_trained))
        if entry.pretrained and not trained.get(head, False):
            st.warning(_("The {w} weights have no trained {h}: its layers start from random weights, so what it "
                         "says, and why, means nothing. Pick the main head.").format(w=entry.info.weights, h=head))
        elif not entry.pretrained:
            st.caption(_("**Random weights**: every number below is computed exactly, but no branch has learned "
                         "anything, so which branch “wins” is an accident of the initialisation."))
    img = (image, digest, resize)
    off = switches.current_off(entry, module)
    _gradcam(entry, img, module, head, cls, off)
    _switches(entry, img, module, off)
    branch, channel = _receptive_field(entry, acts, module)
    _knockout(entry, img, head, cls)  # the slow one last: everything above is on screen meanwhile
    _feature_vis(entry, module, branch, channel)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
