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
    "lab_source": UrlKey(str, local=("upload", "live")), "lab_x": UrlKey(str),  # Ablation lab
    "lab_curve_metric": UrlKey(str),
    # Explain: the head ("classifier": `head` is a design choice), class, branches off, knock-out
    # settings, the unit picked on a map, feature visualisation (on/off flags as 1 / 0)
    "classifier": UrlKey(str), "cls": UrlKey(int), "off": UrlKey(str), "ko": UrlKey(int), "ko_measure": UrlKey(str),
    "ko_kind": UrlKey(str), "row": UrlKey(int), "col": UrlKey(int), "vis": UrlKey(int), "steps": UrlKey(int),
    "vis_size": UrlKey(int),
}


@dataclasses.dataclass(frozen=True)
class Between:
    """`valid` for `seed` where any number from `low` to `high` will do (a slider's range)."""

    low: float
    high: float

    def __contains__(self, value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and self.low <= value <= self.high


def keep() -> dict:
    return st.session_state.setdefault("_keep", {})


def from_link(key: str) -> bool:
    """Whether `key`'s value came from the link just opened. True once: a value that does not fit is
    said on the page's first run, not again."""
    linked = st.session_state.get("_from_url", set())
    found = key in linked
    linked.discard(key)
    return found


def seed(key: str, default, valid=None) -> None:
    """Before a page widget renders: make sure its key holds a valid value (its current value,
    else the one kept from an earlier visit or the URL, else `default`)."""
    value = st.session_state[key] if key in st.session_state else keep().get(key, default)
    linked = from_link(key)
    if valid is not None and value not in valid:
        if linked:  # a link asked for it: say it is not there
            st.toast(_("Link: {key}={value} is not available here; showing {default}.").format(
                key=key, value=repr(value), default=default), icon=":material/link_off:")
        value = default
    st.session_state[key] = value


def remember(*keys: str) -> None:
    """After a page widget renders: keep its value for the page's next visit, and its last shareable
    value for the URL (a session-only value, such as the uploaded photo, is kept for the visit but
    leaves the last shareable one in place)."""
    kept_values = keep()
    for key in keys:
        if key in st.session_state:
            value = st.session_state[key]
            kept_values[key] = value
            if value not in local_values(key):
                kept_values[_shareable(key)] = value


def local_values(key: str) -> tuple:
    return PAGE_KEYS[key].local if key in PAGE_KEYS else ()


def _shareable(key: str) -> str:
    return f"{key}@url"


def kept(key: str, default=None):
    """The last shareable value of a page widget (what the URL says), else `default`."""
    return keep().get(_shareable(key), default)


def set_kept(key: str, value) -> None:
    """Keep `value` for a page widget as if it had been picked (a URL, another page's button)."""
    keep()[key] = value
    if value not in local_values(key):
        keep()[_shareable(key)] = value


def forget(key: str) -> None:
    """Drop everything kept for a page widget (its page starts it from the default)."""
    st.session_state.pop(key, None)
    keep().pop(key, None)
    keep().pop(_shareable(key), None)


def forget_when_changed(key: str, context) -> None:
    """Before a page widget is seeded: drop its value when what it was picked for (`context`, e.g.
    the photo, model, module and branch of a channel) changed since the last run, so the widget
    starts again from its default. A view read from a URL sets the value for whatever context comes."""
    marker = f"_{key}_context"
    if st.session_state.get(marker, context) != context:
        forget(key)
    st.session_state[marker] = context


def open_with(key: str, value) -> None:
    """Open another page with its widget `key` set to `value` (e.g. the Overview's sample photo)."""
    set_kept(key, value)
    st.session_state.pop(key, None)


