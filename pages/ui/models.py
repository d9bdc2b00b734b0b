"""Models, photos and activations for the pages: one `explorer.ModelStore` shared by every session
(`st.cache_resource`), the model for a view (with a spinner saying what is built), the activations
cache (shared, read-only, keyed by the store's model token and the image digest), the sample photos
and the device. The Keras work itself is in `explorer`."""
from __future__ import annotations

import collections
import threading
from pathlib import Path

import streamlit as st

import explorer
from explorer.figures.fmt import human
from explorer.inference.store import LoadedModel
from explorer.inference.weights import archive_path, no_weights_why, weight_sources
from explorer.nn.compiled import last_run
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


def device_line() -> str:
    """The sidebar's device line: where the latest forward pass actually ran (and why not on the
    GPU, when it fell back), else what was detected."""
    info, run = device_info(), last_run()
    if run is None:  # nothing ran yet: what was found
        if info["gpus"]:
            return _("Device: {n} GPU(s) ({names}) with {backend}.").format(
                n=len(info["gpus"]), names=", ".join(info["gpus"]), backend=info["backend"])
        return _("Device: {device}, no GPU found ({backend} backend). GPU support: "
                 "`pip install \"tensorflow[and-cuda]\"`.").format(device=info["device"], backend=info["backend"])
    if run.on_gpu:
        index = int(run.device.split(":")[-1] or 0)
        where = "GPU: " + (info["gpus"][index] if index < len(info["gpus"]) else run.device)
    else:
        where = "CPU" if info["gpus"] else info["device"]
    text = _("Device: the last forward pass ran on **{where}** ({backend})").format(where=where, backend=run.backend)
    if run.fallback:
        text += _(", because the GPU ran out of memory")
    if not info["gpus"]:
        text += _("; no GPU found")
    return _("{line}.").format(line=text)  # the full stop of the language


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
    message = {"random": _("Building {what} with random weights…").format(what=what),
               "keep": _("Building {what}: every layer your design change left alone keeps its trained "
                         "weights…").format(what=what)}
    for s in weight_sources(view.variant):
        message[s.name] = _("Building {what} and loading the {title} weights (downloaded once if not "
                            "cached)…").format(what=what, title=s.title)
    holder = st.empty()
    with st.spinner(message.get(view.weights, message["random"])):
        entry = store.get(view.variant, view.choices, view.weights,
                          on_build=lambda kind: holder.info(message.get(kind, message["random"])))
    holder.empty()
    return entry


def _source(variant: str, name: str):
    return next((s for s in weight_sources(variant) if s.name == name), None)


def weights_status(entry: LoadedModel, variant: str) -> tuple[bool, str, str]:
    """(meaningful, a one-line banner, the details) of the weights a page runs, said plainly; also
    writes what is actually loaded under the sidebar's Weights choice."""
    title = explorer.get_spec(variant).title
    sources = weight_sources(variant)
    loaded_label(entry, variant)
    source = _source(variant, entry.info.weights)
    if entry.pretrained:
        name = source.title if source else entry.info.weights
        heads = _(source.heads) if source else _("main head only")
        where = _("From the cache (`{path}`).").format(path=archive_path(source)) if source else ""
        return True, _("Trained weights, {source}: {heads} trained.").format(source=name, heads=heads), _(
            "{title} with trained ImageNet weights: the predictions are meaningful.").format(title=title) + " " + where
    if entry.partly_trained:
        return False, _("Partly trained: {n} layers start from random weights.").format(n=len(entry.info.new_layers)), _(
            "Your design choices differ from the ones the {weights} weights were trained with; every layer the change "
            "left alone keeps its trained weights (listed under the predictions), so the maps before the first changed "
            "layer are the trained network's. The predictions no longer mean much.").format(
            weights=source.title if source else entry.info.weights)
    if entry.fallback:
        headline = _("No trained weights (offline?): random weights, the top-5 means nothing.")
        how = _("The trained weights could not be loaded: {why}").format(why=entry.fallback)
    else:
        headline = _("Random weights: the top-5 means nothing.")
        if sources:
            how = _("Choose a trained source under *Weights* in the sidebar: the file is downloaded once (needs "
                    "internet) and cached at `{path}`. Offline, download it elsewhere and run `python -m explorer "
                    "weights import FILE`.").format(path=archive_path(sources[0]).parent)
        else:
            how = _("{title} has no published ImageNet weights: {why}. Switch to another variant for trained "
                    "weights.").format(title=title, why=_(no_weights_why(variant)))
    return False, headline, _("No channel has learned anything: the maps show the architecture, not what a "
                              "trained network sees.") + " " + how


def loaded_label(entry: LoadedModel, variant: str) -> None:
    """Under the sidebar's Weights choice: the weights actually loaded (not only those asked for)."""
    slot = st.session_state.get("_weights_slot")
    if slot is None:
        return
    source = _source(variant, entry.info.weights)
    name = source.title if source else str(entry.info.weights)
    if entry.pretrained:
        slot.caption(_("Loaded: {source}.").format(source=name))
    elif entry.partly_trained:
        slot.caption(_("Loaded: {source}, {n} layers new (random).").format(source=name, n=len(entry.info.new_layers)))
    elif entry.fallback:
        slot.caption(_("Loaded: **random** weights (the trained weights could not be loaded)."))
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
ACTIVATIONS_KEPT = 6  # photos x models whose maps are kept, across all sessions ...
ACTIVATIONS_BYTES = 512 * 2**20  # ... and at most this much of them (Inception-ResNet-v2: 85 MB a photo)


@st.cache_resource(show_spinner=False, max_entries=1)
def _activations_store() -> dict:
    """Activations shared by every session, newest last (not st.cache_data: it would pickle the
    maps on every store and unpickle them on every rerun, 0.1 s for Inception-ResNet-v2's 85 MB)."""
    return {"lock": threading.Lock(), "entries": collections.OrderedDict()}


def _nbytes(acts) -> int:
    return sum(a.nbytes for parts in acts.maps.values() for a in parts.values())


def activations(model, token: str, digest: str, resize: str, image):
    """(Activations, top-5 of every head) for one image through one model, from one forward pass.
    Keyed by the model's token and the image digest only, so picking a module, branch or channel
    never reruns it. The float32 maps are shared read-only, never copied; the oldest entries go
    first once more than ACTIVATIONS_KEPT or ACTIVATIONS_BYTES are kept (the newest always stays)."""
    store, key = _activations_store(), (token, digest, resize)
    with store["lock"]:
        hit = store["entries"].get(key)
        if hit is not None:
            store["entries"].move_to_end(key)
            return hit
    acts = explorer.branch_activations(model, image, resize=resize)
    for parts in acts.maps.values():
        for a in parts.values():
            a.setflags(write=False)  # shared by every session that shows this photo
    out = (acts, explorer.predict(model, image, top=5, activations=acts))
    with store["lock"]:
        entries = store["entries"]
        entries[key] = out
        while len(entries) > 1 and (len(entries) > ACTIVATIONS_KEPT
                                    or sum(_nbytes(a) for a, _p in entries.values()) > ACTIVATIONS_BYTES):
            entries.popitem(last=False)
    return out


# --------------------------------------------------------------------------- explanations
@st.cache_data(show_spinner=False, max_entries=32)
def gradcam(_model, token: str, digest: str, resize: str, module: str, head: str, cls: int, off: tuple, _image):
    """`explorer.branch_gradcam` for one (model, image, module, head, class, branches off)."""
    return explorer.branch_gradcam(_model, _image, module, head=head, class_index=cls, zeroed=off, resize=resize)


@st.cache_resource(show_spinner=False, max_entries=1)
def _knockouts() -> dict:
    """Knock-out results shared by every session: at most KNOCKOUTS entries, oldest dropped first
    (not st.cache_data: the sweep drives a progress bar, which st.cache_data would try to replay)."""
    return collections.OrderedDict()


KNOCKOUTS = 8


def knockout(model, token: str, digest: str, resize: str, head: str, cls: int, image, progress=None):
    """`explorer.knockout` of every branch for one (model, image, head, class), computed once;
    `progress(done, total)` is called while it runs."""
    store, key = _knockouts(), (token, digest, resize, head, cls)
    if key not in store:
        store[key] = explorer.knockout(model, image, head=head, class_index=cls, resize=resize, progress=progress)
        while len(store) > KNOCKOUTS:
            store.popitem(last=False)
    return store[key]


@st.cache_data(show_spinner=False, max_entries=32)
def predict_gated(_model, token: str, digest: str, resize: str, off: tuple, _image) -> dict:
    """Top-5 of every head with the branches in `off` switched off (and intact, side by side)."""
    from explorer.explain import predict_gated as run

    return run(_model, _image, zeroed=off, resize=resize)
