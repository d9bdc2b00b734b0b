"""The photo a page runs through the network: one picker for the sample photos and the upload (a
sample picked while an upload is there shows the sample; the upload stays one click away), how it
is fitted to the input, and a word when the photo is so small that the network mostly sees
interpolation. Each choice is a view key (`sample`, `resize`) and travels in the URL; the upload
itself stays in the browser session."""
from __future__ import annotations

import streamlit as st

from pages.ui import models, state
from pages.ui.i18n import N_, _

RESIZE = {"crop": N_("centre crop"), "stretch": N_("stretch")}
UPLOAD = "upload"  # the picker's value for the uploaded photo (never written to the URL)
TOO_SMALL = 4  # a photo whose shorter side is under input / TOO_SMALL gets a warning


def _show_upload() -> None:
    """A new upload is what the lecturer wants to see: pick it in the photo list."""
    if st.session_state.get("upload") is not None:
        st.session_state["sample"] = UPLOAD


def pickers(columns) -> None:
    """The photo list, the fit and the uploader, one in each of `columns` (three containers)."""
    upload = st.session_state.get("upload")  # read before its widget: the list offers it
    options = list(models.SAMPLES) + ([UPLOAD] if upload is not None else [])
    photo_col, fit_col, upload_col = columns
    state.seed("sample", state.kept("sample", models.DEFAULT_SAMPLE), valid=options)
    photo_col.selectbox(_("Photo"), options, key="sample", format_func=lambda k: (
        _("your upload ({name})").format(name=upload.name) if k == UPLOAD else _(models.SAMPLES[k])))
    state.remember("sample")
    state.seed("resize", "crop", valid=list(RESIZE))
    fit_col.selectbox(_("Fit to the input"), list(RESIZE), key="resize", format_func=lambda r: _(RESIZE[r]),
                  help=_("crop: scale the shorter side to the input size, cut the centre; stretch: resize "
                         "the whole photo to a square"))
    state.remember("resize")
    upload_col.file_uploader(_("Your own photo"), key="upload", on_change=_show_upload,
                             help=_("JPEG, PNG, WebP, BMP, GIF or TIFF, up to 20 MB. It stays in your browser "
                                    "session only."))


def image():
    """(image, digest, where it comes from) of the photo picked (after `pickers`)."""
    name, upload = st.session_state["sample"], st.session_state.get("upload")
    if name == UPLOAD and upload is not None:
        img, digest, err = models.uploaded_image(upload)
        if not err:
            return img, digest, _("your upload ({name})").format(name=upload.name)
        st.error(f"**{upload.name}**: {err}")
        st.info(_("Showing the sample photo instead. Upload another file, or remove this one."))
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
