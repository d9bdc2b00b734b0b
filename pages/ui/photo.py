"""The photo a page looks at: a sample photo (its name in the URL as `sample`) or the user's upload
(kept in this browser session only), picked with the same widgets on every page that shows one
(Activations, Explain), so both pages look at the same photo: an upload made on one page stays
in use on the other until the user removes it or goes back to the sample."""
from __future__ import annotations

import streamlit as st

from pages.ui import models, state


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
    st.button("Back to the sample photo", key="forget_upload", on_click=_forget_upload,
              help="Your upload is still in use (it was uploaded on another page).")
    return cache[1], cache[2], f"your upload ({name}, from another page)"


def pick_photo():
    """(image, digest, where it comes from): the upload when there is a valid one, else the sample."""
    src_l, src_r = st.columns([3, 2])
    with src_l:
        state.seed("sample", models.DEFAULT_SAMPLE, valid=list(models.SAMPLES))
        st.radio("Sample photo", list(models.SAMPLES), key="sample", format_func=models.SAMPLES.get,
                 horizontal=True)
        state.remember("sample")
        st.radio("Fit to the input", ["crop", "stretch"], key="resize", horizontal=True,
                 format_func=lambda r: "centre crop" if r == "crop" else "stretch (ignore aspect)",
                 help="crop: scale the shorter side to the input size, cut the centre; stretch: resize "
                      "the whole photo to a square")
    with src_r:
        upload = st.file_uploader("…or upload a photo (JPEG, PNG, WebP, BMP, GIF, TIFF; up to 20 MB)",
                                  key="upload", help="Stays in your browser session only.",
                                  on_change=_upload_changed)
    if upload is not None:
        image, digest, err = models.uploaded_image(upload)
        if not err:
            st.session_state["_upload_name"] = upload.name
            return image, digest, f"your upload ({upload.name})"
        st.error(f"**{upload.name}**: {err}")
        st.info("Showing the sample photo instead. Upload another file, or remove this one.")
    else:
        carried = _carried_upload()
        if carried is not None:
            return carried
    name = st.session_state["sample"]
    return models.sample_image(name), f"sample:{name}", f"sample: {models.SAMPLES[name]}"
