"""The photo a page runs through the network (Activations, Explain): one picker for the sample
photos and the upload (a sample picked while an upload is there shows the sample; the upload stays
one click away, on every photo page of the session until it is removed), how it is fitted to the
input, and a word when the photo is so small that the network mostly sees interpolation. Each
choice is a view key (`sample`, `resize`) and travels in the URL; the upload itself stays in the
browser session."""
from __future__ import annotations

from typing import Optional

import streamlit as st

from pages.ui import models, state, uploads
from pages.ui.i18n import N_, _

RESIZE = {"crop": N_("centre crop"), "stretch": N_("stretch"), "central": N_("central 87.5% (TF-slim)")}
UPLOAD = "upload"  # the picker's value for the uploaded photo (never written to the URL)
TOO_SMALL = 4  # a photo whose shorter side is under input / TOO_SMALL gets a warning


def _upload_changed() -> None:
    """A new upload is what the lecturer wants to see: pick it in the photo list. A removed one is
    forgotten (its decoded copy too)."""
    if st.session_state.get("upload") is not None:
        st.session_state["sample"] = UPLOAD
    else:
        st.session_state.pop("_upload_cache", None)


def _carried():
    """(image, digest) of a valid upload decoded on another photo page of this session, or None."""
    cache = st.session_state.get("_upload_cache")
    return None if not cache or cache[3] is not None else (cache[1], cache[2])


def _upload_name() -> Optional[str]:
    upload = st.session_state.get("upload")
    if upload is not None:
        return upload.name
    return st.session_state.get("_upload_name", "photo") if _carried() else None


def pickers(columns, fit: str = "crop") -> None:
    """The photo list, the fit (`fit` unless one was picked: pass the loaded model's
    `info.fit`, how its weights were evaluated) and the uploader, one in each of `columns`
    (three containers)."""
    name = _upload_name()  # read before the widgets: the list offers the upload
    options = list(models.SAMPLES) + ([UPLOAD] if name else [])
    photo_col, fit_col, upload_col = columns
    state.seed("sample", state.kept("sample", models.DEFAULT_SAMPLE), valid=options)
    photo_col.selectbox(_("Photo"), options, key="sample", format_func=lambda k: (
        _("your upload ({name})").format(name=name) if k == UPLOAD else _(models.SAMPLES[k])))
    state.remember("sample")
    state.seed("resize", fit, valid=list(RESIZE))
    fit_col.selectbox(_("Fit to the input"), list(RESIZE), key="resize", format_func=lambda r: _(RESIZE[r]),
                      help=_("crop: scale the shorter side to the input size, cut the centre; stretch: resize "
                             "the whole photo to a square; central: the central 87.5% of each side, resized (how "
                             "TF-slim evaluated its checkpoints, the default with TF-slim weights)"))
    state.remember("resize")
    uploads.file_uploader(_("Your own photo"), key="upload", where=upload_col, on_change=_upload_changed,
                          help=_("JPEG, PNG, WebP, BMP, GIF or TIFF, up to {size} MB. It stays in your browser "
                                 "session only (and in use on the other photo pages until you remove it).").format(
                              size=uploads.limit_mb()))


def image():
    """(image, digest, where it comes from) of the photo picked (after `pickers`)."""
    name, upload = st.session_state["sample"], st.session_state.get("upload")
    if name == UPLOAD and upload is not None:
        img, digest, err = models.uploaded_image(upload)
        if not err:
            st.session_state["_upload_name"] = upload.name
            return img, digest, _("your upload ({name})").format(name=upload.name)
        # the reason is the library's (English); the lead-in is in the UI's language
        st.error(_("**{name}** could not be opened as a photo: {error}").format(name=upload.name, error=err))
        st.info(_("Showing the sample photo instead. Upload another file, or remove this one."))
    elif name == UPLOAD and _carried():
        return (*_carried(), _("your upload ({name}, from another page)").format(name=_upload_name()))
    if name not in models.SAMPLES:
        name = state.kept("sample", models.DEFAULT_SAMPLE)
    return models.sample_image(name), f"sample:{name}", _("sample: {name}").format(name=_(models.SAMPLES[name]))


def warn_if_small(img, input_size: int) -> None:
    """A photo much smaller than the input is upscaled: its maps show interpolation, not detail."""
    w, h = img.size if hasattr(img, "size") and not hasattr(img, "shape") else img.shape[1::-1]
    if min(h, w) * TOO_SMALL < input_size:
        st.warning(_("This photo is only {w}×{h} px: it is upscaled about {k}× to the {size} px input, so the "
                     "network mostly sees interpolation. Use a photo of at least {least} px.").format(
            w=w, h=h, k=max(1, round(input_size / min(h, w))), size=input_size, least=input_size // 2),
            icon=":material/photo_size_select_small:")


def banner(container, status: tuple) -> None:
    """The weights' one-line banner (`models.weights_status`): green when the predictions mean something."""
    if status[0]:
        container.success(status[1], icon=":material/check_circle:")
    else:
        container.warning(status[1], icon=":material/warning:")


def photo_and_model(view):
    """What a photo page starts with: (image, digest, source, resize, the model entry): the photo
    picked, the model built (with its spinner), the weights' one-line banner with the details folded."""
    columns = st.columns([2, 1.7, 2.3], vertical_alignment="bottom")
    entry = models.get_model(view)  # its weights decide the default fit (`model_info(model).fit`)
    pickers(columns, entry.info.fit)
    img, digest, source = image()
    warn_if_small(img, view.choices.input_size)
    status = models.weights_status(entry, view.variant)
    banner(st, status)
    with st.expander(_("About the weights")):
        st.markdown(status[2])
    return img, digest, source, st.session_state["resize"], entry
