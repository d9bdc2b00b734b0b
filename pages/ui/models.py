"""Models, photos and activations for the pages: one `explorer.ModelStore` shared by every session
(`st.cache_resource`), the model for a view (with a spinner saying what is built), the activations
cache (`st.cache_data`, keyed by the store's model token and the image digest), the sample photos
and the device. The Keras work itself is in `explorer`."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import streamlit as st

import explorer
from explorer.figures.fmt import human
from explorer.inference.store import LoadedModel
from explorer.inference.weights import OTHER_WEIGHTS, available_weights, cache_path
from pages.ui.i18n import N_, _

ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = ROOT / "assets" / "samples"
SAMPLES = {"chelsea": N_("Chelsea the cat"), "coffee": N_("Coffee cup"), "astronaut": N_("Astronaut"),
           "rocket": N_("Rocket launch")}
DEFAULT_SAMPLE = "chelsea"
MODEL_CACHE_SIZE = 3  # models held at once, across all sessions (see explorer.ModelStore)


@st.cache_resource(show_spinner=False)
def device_info() -> dict:
    """`explorer.nn.backend`'s one device description (GPU memory growth set up once)."""
    from explorer.nn.backend import setup_devices

    return setup_devices()


@st.cache_resource(show_spinner=False, max_entries=1)
def model_store() -> explorer.ModelStore:
    return explorer.ModelStore(MODEL_CACHE_SIZE)


def get_model(view) -> LoadedModel:
    """The model for the view (a `state.View` with valid choices), built on first use with a
    spinner saying what is happening."""
    store = model_store()
    if (view.variant, view.choices, view.weights, 0) in store:
        return store.get(view.variant, view.choices, view.weights)
    c = explorer.cost(view.variant, **view.kwargs)
    what = _("{title} ({params} params, input {size} px)").format(
        title=explorer.get_spec(view.variant).title, params=human(c.params), size=view.choices.input_size)
    message = {"imagenet": _("Building {what} and loading its ImageNet weights (downloaded once if not cached)…").format(
                   what=what),
               "random": _("Building {what} with random weights…").format(what=what)}
    holder = st.empty()
    with st.spinner(message.get(view.weights, message["random"])):
        entry = store.get(view.variant, view.choices, view.weights,
                          on_build=lambda kind: holder.info(message.get(kind, message["random"])))
    holder.empty()
    return entry


def weights_status(entry: LoadedModel, variant: str) -> tuple[bool, str, str]:
    """(meaningful, a one-line banner, the details) of the weights a page runs, said plainly; also
    writes what is actually loaded under the sidebar's Weights choice."""
    title = explorer.get_spec(variant).title
    loaded_label(entry)
    if entry.pretrained:
        return True, _("ImageNet weights (Keras): the predictions are meaningful."), \
            _("The weights are Keras's ImageNet file, from the Keras cache (`{path}`).").format(path=cache_path(variant))
    if entry.fallback:
        headline = _("No ImageNet weights (offline?): random weights, the top-5 means nothing.")
        how = _("What happened: {reason}").format(reason=entry.fallback)
    else:
        headline = _("Random weights: the top-5 means nothing.")
        if available_weights(variant):
            how = _("Choose **ImageNet (pretrained)** under *Weights* in the sidebar: the file is downloaded once "
                    "(needs internet) and cached at `{path}`. Offline, put the file there yourself.").format(
                path=cache_path(variant))
        else:
            how = _("Keras publishes no ImageNet weights for {title} ({why}). Switch to **Inception-v3** or "
                    "**Inception-ResNet-v2** with ImageNet weights, on a machine with internet or with the file "
                    "already in the Keras cache (~/.keras/models).").format(title=title, why=_(OTHER_WEIGHTS.get(variant, "")))
    return False, headline, _("No channel has learned anything: the maps show the architecture, not what a "
                              "trained network sees.") + " " + how


def loaded_label(entry: LoadedModel) -> None:
    """Under the sidebar's Weights choice: the weights actually loaded (not only those asked for)."""
    slot = st.session_state.get("_weights_slot")
    if slot is None:
        return
    if entry.pretrained:
        slot.caption(_("Loaded: ImageNet (pretrained)."))
    elif entry.fallback:
        slot.caption(_("Loaded: **random** weights (the ImageNet file could not be loaded)."))
    else:
        slot.caption(_("Loaded: random weights."))


# --------------------------------------------------------------------------- photos
@st.cache_data(show_spinner=False, max_entries=16)
def sample_bytes(name: str) -> bytes:
    return (SAMPLES_DIR / f"{name}.jpg").read_bytes()


def sample_image(name: str):
    return explorer.load_image(sample_bytes(name))


def uploaded_image(upload):
    """(image, digest, error) of an uploaded file, decoded once per upload and kept in this
    browser session only (other sessions never see it)."""
    cache = st.session_state.get("_upload_cache")
    if cache is not None and cache[0] == upload.file_id:
        return cache[1:]
    try:
        img = explorer.load_image(upload.getvalue())
        out = (img, explorer.image_digest(img), None)
    except explorer.ImageError as e:
        out = (None, None, str(e))
    st.session_state["_upload_cache"] = (upload.file_id,) + out
    return out


# --------------------------------------------------------------------------- activations
@st.cache_data(show_spinner=False, max_entries=6)
def activations(_model, token: str, digest: str, resize: str, _image):
    """(Activations, top-5 of every head) for one image through one model, from one forward pass.
    Keyed by the model's token and the image digest only, so picking a module, branch or channel
    never reruns it; the maps are kept as float16 (half the cache memory)."""
    acts = explorer.branch_activations(_model, _image, resize=resize)
    preds = explorer.predict(_model, _image, top=5, activations=acts)
    maps = {m: {k: np.asarray(a, dtype=np.float16) for k, a in parts.items()} for m, parts in acts.maps.items()}
    return dataclasses.replace(acts, maps=maps), preds
