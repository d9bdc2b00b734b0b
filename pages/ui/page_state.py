"""Page widgets in the view state: a page widget (module, branch, channel, photo, measures...) is
rendered only on its page, and Streamlit forgets a widget's value when it is not rendered, so its
last value is kept in `st.session_state["_keep"]`, re-seeded when the page comes back (`seed` /
`remember`) and written to the URL from there (`pages/ui/state.py`). `PAGE_KEYS` lists them with
their type; each page names its own in `@common.page(url_keys=...)`."""
from __future__ import annotations

import dataclasses

import streamlit as st

from pages.ui.i18n import _


@dataclasses.dataclass(frozen=True)
class UrlKey:
    """A page widget whose value travels in the URL: its type, and values that never do (they only
    exist in this browser session, e.g. an uploaded photo)."""

    kind: type
    local: tuple = ()


# Page widgets whose value travels in the URL (each page names its own in `@common.page(url_keys=)`).
PAGE_KEYS = {
    "module": UrlKey(str), "branch": UrlKey(str), "channel": UrlKey(int),  # Architecture, Activations
    "sample": UrlKey(str, local=("upload",)), "resize": UrlKey(str), "overlay_alpha": UrlKey(float),
    "response_metric": UrlKey(str),  # Activations
    "cost_metric": UrlKey(str), "color_by": UrlKey(str),  # Design costs
    "acc_metric": UrlKey(str), "acc_x": UrlKey(str),  # Accuracy
}


def keep() -> dict:
    return st.session_state.setdefault("_keep", {})


def seed(key: str, default, valid=None) -> None:
    """Before a page widget renders: make sure its key holds a valid value (its current value,
    else the one kept from an earlier visit or the URL, else `default`)."""
    value = st.session_state[key] if key in st.session_state else keep().get(key, default)
    if valid is not None and value not in valid:
        if key in st.session_state.get("_from_url", ()):  # a link asked for it: say it is not there
            st.toast(_("Link: {key}={value} is not available here; showing {default}.").format(
                key=key, value=repr(value), default=default), icon=":material/link_off:")
        value = default
    st.session_state.get("_from_url", set()).discard(key)
    st.session_state[key] = value


def remember(*keys: str) -> None:
    """After a page widget renders: keep its value for the page's next visit and for the URL (a
    session-only value, such as the uploaded photo, leaves the last shareable one in place)."""
    kept = keep()
    for key in keys:
        if key in st.session_state and st.session_state[key] not in local_values(key):
            kept[key] = st.session_state[key]


def local_values(key: str) -> tuple:
    return PAGE_KEYS[key].local if key in PAGE_KEYS else ()


def kept(key: str, default=None):
    """The last shareable value of a page widget (what the URL says)."""
    return keep().get(key, default)


def forget_when_changed(key: str, context) -> None:
    """Before a page widget is seeded: drop its value when what it was picked for (`context`, e.g.
    the photo, model, module and branch of a channel) changed since the last run, so the widget
    starts again from its default. A view read from a URL sets the value for whatever context comes."""
    marker = f"_{key}_context"
    if st.session_state.get(marker, context) != context:
        st.session_state.pop(key, None)
        keep().pop(key, None)
    st.session_state[marker] = context


def open_with(key: str, value) -> None:
    """Open another page with its widget `key` set to `value` (e.g. the Overview's sample photo)."""
    keep()[key] = value
    st.session_state.pop(key, None)


