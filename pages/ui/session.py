"""What belongs to the browser session rather than to a view: the language, lecture mode (the
projector layout) and the lecture being given (`talk`, `slide`). They travel in the URL like the
view (`?lang=zh&lecture=1&talk=inception_survey&slide=3`), so a reload keeps them, but a URL
without them leaves them as they are, and a lecture's views never carry them
(`explorer.lecture.SESSION_KEYS`)."""
from __future__ import annotations

from typing import Optional

import streamlit as st

from pages.ui import i18n
from pages.ui.i18n import _

LECTURE = "lecture"  # lecture mode: the sidebar toggle's key and the URL parameter
TALK, SLIDE = "_talk", "_slide"  # the lecture being given and its slide (1-based), when one is
TRUE = ("1", "true", "on", "yes")
URL_KEYS = (i18n.KEY, LECTURE, "talk", "slide")  # = explorer.lecture.SESSION_KEYS (tests/test_lecture.py)


def lecture_mode() -> bool:
    return bool(st.session_state.get(LECTURE))


def talk() -> Optional[str]:
    return st.session_state.get(TALK)


def slide() -> Optional[int]:
    """The slide being shown (1-based) while a lecture is given, else None."""
    return st.session_state.get(SLIDE)


def _apply_language(qp: dict, warnings: list) -> None:
    """`lang` from the URL; without one, the session keeps its language (the browser's at first)."""
    lang = qp.get(i18n.KEY)
    if lang is not None and lang not in i18n.LANGUAGES:
        warnings.append(_("lang={value} is not one of {options}: ignored.").format(
            value=repr(lang), options=", ".join(i18n.LANGUAGES)))
        lang = None
    if lang is not None:
        st.session_state[i18n.KEY] = lang
    elif st.session_state.get(i18n.KEY) not in i18n.LANGUAGES:
        st.session_state[i18n.KEY] = i18n.browser_language()


def apply(qp: dict, warnings: list) -> None:
    """The session keys a URL names (the others stay as they are)."""
    _apply_language(qp, warnings)
    if LECTURE in qp:
        st.session_state[LECTURE] = qp[LECTURE].lower() in TRUE
    if "talk" in qp:
        st.session_state[TALK] = qp["talk"]
        st.session_state[SLIDE] = None
    if "slide" in qp:
        try:
            st.session_state[SLIDE] = max(1, int(qp["slide"]))
        except ValueError:
            warnings.append(_("slide={value} is not a number: ignored.").format(value=repr(qp["slide"])))


def params(on_lecture_page: bool = False) -> dict:
    """The session keys for the URL: the language always, the rest when they are on."""
    out = {i18n.KEY: i18n.language()}
    if lecture_mode():
        out[LECTURE] = "1"
    if talk() and (slide() or on_lecture_page):
        out["talk"] = talk()
    if talk() and slide():
        out["slide"] = str(slide())
    return out
