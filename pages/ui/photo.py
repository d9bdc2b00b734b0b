"""The photo a page looks at: a sample photo (its name in the URL as `sample`) or the user's upload
(kept in this browser session only), picked with the same widgets on every page that shows one
(Activations, Explain), so both pages look at the same photo: an upload made on one page stays
in use on the other until the user removes it or goes back to the sample."""
from __future__ import annotations

import streamlit as st

from pages.ui import models, state
from pages.ui.i18n import _


def _upload_changed() -> None:
    """The user removed the upload (or replaced it): forget the decoded one."""
    if st.session_state.get("upload") is None:
        st.session_state.pop("_upload_cache", None)


def _forget_upload() -> None:
    st.session_state.pop("_upload_cache", None)


def _carried_upload():
    """(image, digest, source) of an upload made on another page of this session, or None."""
    cache = st.session_state.get("_upload_cache")
    if not cache or cache[3] is not None:
        return None
    name = st.session_state.get("_upload_name", "photo")
    st.button(_("Back to the sample photo"), key="forget_upload", on_click=_forget_upload,
              help=_("Your upload is still in use (it was uploaded on another page)."))
    return cache[1], cache[2], _("your upload ({name}, from another page)").format(name=name)


def pick_photo():
    """(image, digest, where it comes from): the upload when there is a valid one, else the sample."""
    src_l, src_r = st.columns([3, 2])
    with src_l:
        state.seed("sample", models.DEFAULT_SAMPLE, valid=list(models.SAMPLES))
        st.radio(_("Sample photo"), list(models.SAMPLES), key="sample", format_func=lambda k: _(models.SAMPLES[k]),
                 horizontal=True)
        state.remember("sample")
        state.seed("resize", "crop", valid=["crop", "stretch"])
        st.radio(_("Fit to the input"), ["crop", "stretch"], key="resize", horizontal=True,
                 format_func=lambda r: _("centre crop") if r == "crop" else _("stretch (ignore aspect)"),
                 help=_("crop: scale the shorter side to the input size, cut the centre; stretch: resize "
                        "the whole photo to a square"))
        state.remember("resize")
    with src_r:
        upload = st.file_uploader(_("…or upload a photo (JPEG, PNG, WebP, BMP, GIF, TIFF; up to 20 MB)"),
                                  key="upload", help=_("Stays in your browser session only."),
                                  on_change=_upload_changed)
    if upload is not None:
        image, digest, err = models.uploaded_image(upload)
        if not err:
            st.session_state["_upload_name"] = upload.name
            return image, digest, _("your upload ({name})").format(name=upload.name)
        st.error(f"**{upload.name}**: {err}")
        st.info(_("Showing the sample photo instead. Upload another file, or remove this one."))
    else:
        carried = _carried_upload()
        if carried is not None:
            return carried
    name = st.session_state["sample"]
    return models.sample_image(name), f"sample:{name}", _("sample: {title}").format(title=_(models.SAMPLES[name]))


def photo_and_model(view):
    """What a photo page starts with: (image, digest, source, resize, the model entry), the photo
    picked, the model built (with its spinner) and the random-weights banner shown when it applies."""
    image, digest, source = pick_photo()
    entry = models.get_model(view)
    models.random_weights_banner(entry, view.variant)
    return image, digest, source, st.session_state.get("resize", "crop"), entry
