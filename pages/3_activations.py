"""Activations: a photo through the network. The exact crop it saw, each branch's feature maps side
by side (strongest channels first), a chosen channel over the image, which branch responds where,
and the top-5 of every head."""
import numpy as np
import pandas as pd
import streamlit as st

import explorer
from pages import _charts as charts
from pages import _shared as sh

MAX_BRANCH_COLS = 5
TILES = 16


def _image_from_upload(upload):
    """(image, digest, error) for the uploaded file, decoded once per upload and kept in this
    browser session only (other sessions never see it)."""
    cache = st.session_state.get("_upload_cache")
    if cache is not None and cache[0] == upload.file_id:
        return cache[1:]
    try:
        img = explorer.load_image(upload.getvalue())
        out = (img, explorer.images.image_digest(img), None)
    except explorer.ImageError as e:
        out = (None, None, str(e))
    st.session_state["_upload_cache"] = (upload.file_id,) + out
    return out


def _predictions(data, net, entry) -> None:
    preds = data["predictions"]
    heads = list(preds)
    cols = st.columns(len(heads))
    after = {a.name: a.after for a in net.aux}
    for col, head in zip(cols, heads):
        with col:
            name = "Main head" if head == "main" else f"Aux {head.split('_')[-1]} (after {after.get(head, '?')})"
            st.markdown(f"**{name}**")
            df = pd.DataFrame([{"class": cls, "p": 100 * p} for idx, cls, p in preds[head]])
            st.dataframe(df, width="stretch", key=f"top5_{head}", hide_index=True,
                         column_config={"class": st.column_config.TextColumn("top-5 class"),
                                        "p": st.column_config.NumberColumn("prob.", format="%.2f%%")})
    if entry.weights == "imagenet" and len(heads) > 1:
        st.caption("Keras's ImageNet file has no auxiliary heads: here they start from random weights, so "
                   "their top-5 means nothing (TF-slim's and torchvision's checkpoints have trained ones).")


def body(view: sh.View) -> None:
    st.title("Activations: what each branch sees")
    top_l, top_r = st.columns([4, 2])
    with top_l:
        st.caption("Pick a sample photo or upload your own; the network runs once per image, then every "
                   "module, branch and channel below is instant.")
    with top_r:
        if view.variant != "googlenet":
            st.button("Switch to GoogLeNet (2014)", key="to_googlenet", on_click=sh.set_variant,
                      args=("googlenet",), width="stretch")
        else:
            st.button("Switch to Inception-v3", key="to_v3", on_click=sh.set_variant,
                      args=("inception_v3",), width="stretch")
    if not sh.require_choices(view):
        return
    v, c = view.variant, view.choices

    # ---------------------------------------------------------------- the image
    src_l, src_r = st.columns([3, 2])
    with src_l:
        sh.seed("sample", sh.DEFAULT_SAMPLE, valid=list(sh.SAMPLES))
        st.radio("Sample photo", list(sh.SAMPLES), key="sample", format_func=sh.SAMPLES.get, horizontal=True)
        sh.remember("sample")
        st.radio("Fit to the input", ["crop", "stretch"], key="resize", horizontal=True,
                 format_func=lambda r: "centre crop" if r == "crop" else "stretch (ignore aspect)",
                 help="crop: scale the shorter side to the input size, cut the centre; stretch: resize "
                      "the whole photo to a square")
    with src_r:
        upload = st.file_uploader("…or upload a photo (JPEG, PNG, WebP, BMP, GIF, TIFF; up to 20 MB)",
                                  key="upload", help="Stays in your browser session only.")
    image, source, digest = None, None, None
    if upload is not None:
        image, digest, err = _image_from_upload(upload)
        if err:
            st.error(f"**{upload.name}**: {err}")
            st.info("Showing the sample photo instead. Upload another file, or remove this one.")
        else:
            source = f"your upload ({upload.name})"
    if image is None:
        name = st.session_state["sample"]
        image = sh.sample_image(name)
        digest = f"sample:{name}"
        source = f"sample: {sh.SAMPLES[name]}"
    resize = st.session_state.get("resize", "crop")

    # ---------------------------------------------------------------- model + one forward pass
    entry = sh.get_model(view)
    sh.random_weights_banner(entry, v)
    if entry.weights == "imagenet":
        st.success(f"{sh.title(v)} with ImageNet weights (Keras): the predictions are meaningful.", icon="✅")
    with st.spinner("Running the image through the network (one forward pass for every branch)…"):
        data = sh.activations(entry.model, entry.token, digest, resize, image)
    net = entry.model.explorer_info.net
    cost = explorer.cost(v, **sh.choice_kwargs(v, c))

    left, right = st.columns([1, 3], gap="medium")
    with left:
        crop = data["crop"]
        st.image(crop, caption=f"Exactly what the network saw: {crop.shape[1]}×{crop.shape[0]} px "
                               f"({'centre crop' if resize == 'crop' else 'stretched'} of {source}).",
                 width="stretch")
    with right:
        _predictions(data, net, entry)

    # ---------------------------------------------------------------- pick module / branch / channel
    st.subheader("Feature maps, branch by branch")
    maps = data["maps"]
    labels = data["labels"]
    modules = list(maps)
    kinds = {m.name: m.kind for m in cost.modules}
    default_module = sh.first_inception_module([(m, kinds.get(m, "")) for m in modules])
    sh.seed("module", default_module, valid=modules)
    p1, p2, p3 = st.columns([2, 3, 2])
    with p1:
        st.selectbox("Module", modules, key="module", format_func=lambda m: f"{m} ({kinds.get(m, '')})")
        sh.remember("module")
    module = st.session_state["module"]
    keys = list(maps[module])
    sh.seed("branch", keys[0], valid=keys)
    with p2:
        st.radio("Branch", keys, key="branch", horizontal=True,
                 format_func=lambda k: labels[module].get(k, k))
        sh.remember("branch")
    branch = st.session_state["branch"]
    a = maps[module][branch]
    order = [int(i) for i in charts.channel_order(a)]
    means = a.astype(np.float32).mean(axis=(0, 1))
    sh.seed("channel", order[0], valid=set(order))
    with p3:
        rank = {ch: i + 1 for i, ch in enumerate(order)}
        st.selectbox("Channel (strongest first)", order, key="channel",
                     format_func=lambda ch: f"#{ch} — rank {rank[ch]}, mean {means[ch]:.3f}")
        sh.remember("channel")
    channel = int(st.session_state["channel"])

    mcost = cost.module(module)
    is_branched = any(k.startswith("b") and k[1:].isdigit() for k in keys)
    show = keys if is_branched else [branch]
    show = show[:MAX_BRANCH_COLS]
    cols = st.columns(len(show))
    for col, key in zip(cols, show):
        arr = maps[module][key]
        top = [int(i) for i in charts.channel_order(arr)[:TILES]]
        with col:
            mark = " ◀" if key == branch else ""
            st.markdown(f"**{labels[module].get(key, key)}**{mark}  \n"
                        f"{arr.shape[-1]} channels · {arr.shape[0]}×{arr.shape[1]}")
            st.image(charts.tile_maps(arr, top, cols=4), width="stretch",
                     caption="strongest: " + ", ".join(f"#{t}" for t in top[:8]) + " …")
    if is_branched:
        st.caption(f"{module}: each column is one branch, {TILES} strongest channels (highest mean "
                   f"activation) first, on one colour scale per branch (dark = 0). Together they are "
                   f"concatenated into {charts.shape_text(mcost.out_shape)}.")
    else:
        st.caption(f"{module} is a sequential module: pick one of its layers above.")

    # ---------------------------------------------------------------- one channel on the image
    st.subheader(f"Channel #{channel} of {module} · {labels[module].get(branch, branch)} over the image")
    o1, o2 = st.columns([1, 1], gap="large")
    ch_map = a[..., channel].astype(np.float32)
    with o1:
        alpha = st.slider("Overlay opacity", 0.0, 1.0, 0.55, 0.05, key="overlay_alpha")
        st.image(charts.overlay(data["crop"], ch_map, alpha), width="stretch",
                 caption=f"Bright = strong response of channel #{channel} ({ch_map.shape[0]}×{ch_map.shape[1]} "
                         f"map, upsampled onto the crop).")
    with o2:
        st.metric("Mean activation", f"{float(ch_map.mean()):.4f}",
                  help=f"rank {rank[channel]} of {len(order)} channels in this branch")
        st.metric("Max activation", f"{float(ch_map.max()):.4f}")
        st.metric("Active (> 0)", f"{float((ch_map > 0).mean()):.1%}")
        st.image(charts.tile_maps(a, [channel], cols=1, tile=256), caption=f"channel #{channel} alone",
                 width=280)

    # ---------------------------------------------------------------- which scale responds where
    st.subheader("Which branch responds where")
    metric = st.radio("Measure", ["share", "mean", "active_fraction"], key="response_metric", horizontal=True,
                      format_func={"share": "share of the module's activation", "mean": "mean activation",
                                   "active_fraction": "fraction active"}.get)
    rows = charts.response_rows(data["summary"], maps)
    if rows:
        sh.plot(charts.response_figure(rows, metric), f"{v}_branch_response", key="response_chart")
        st.caption("Share = channels × mean activation of the branch, over the module's total. For this "
                   "one image: compare photos to see the balance move." +
                   (" With random weights this mostly reflects channel counts and kernel sizes."
                    if entry.weights == "random" else ""))


sh.page_main(body, page_keys=("module", "branch", "channel", "sample"))
