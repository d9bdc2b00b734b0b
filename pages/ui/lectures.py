"""Lectures in the app (the file format is `explorer.lecture`): the shipped ones
(assets/lectures/*.toml), the one built in this browser session ("Add this view"), an uploaded one;
going to a slide; the lecture bar on every page while a lecture is given (previous / next, also on
the arrow and page keys of a keyboard or presenter, the speaker note); lecture mode's projector
styling (larger type, darker text)."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional

import streamlit as st

from explorer import lecture as lec
from pages.ui import session, state
from pages.ui.i18n import N_, _, translate

LECTURES_DIR = Path(__file__).resolve().parents[2] / "assets" / "lectures"
MINE, UPLOADED = "mine", "upload"  # the session's own lecture, an uploaded file (neither in the URL)
MY_TITLE = N_("My lecture")
# Keys of a keyboard or a presenter ("clicker": PageUp / PageDown) -> the lecture bar's buttons.
KEYBOARD = """<script>
(() => {
  const doc = window.parent ? window.parent.document : document;
  if (doc.__lectureKeys) return;
  doc.__lectureKeys = true;
  const keys = {ArrowRight: "lecture_next", PageDown: "lecture_next", ArrowLeft: "lecture_prev", PageUp: "lecture_prev"};
  doc.addEventListener("keydown", (e) => {
    const target = keys[e.key];
    if (!target || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target.closest && e.target.closest(
        "input, textarea, select, [contenteditable='true'], [role='slider'], [role='radio'], [role='radiogroup'], [role='combobox'], [role='tab']"))
      return;  // the arrows belong to the widget that has the focus
    const button = doc.querySelector(`.st-key-${target} button`);
    if (button && !button.disabled) { e.preventDefault(); button.click(); }
  });
})();
</script>"""
# Lecture mode: Streamlit sizes its text in rem, so a larger root size enlarges all of it (no public
# per-session option exists: theme.baseFontSize is one setting for every session of the server).
PROJECTOR_CSS = """<style>
html { font-size: 20px !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #222 !important; }
[data-testid="stMain"] { color: #000; }
</style>"""


def _router():
    """pages.ui.router, imported when needed (it imports the sidebar, which imports this module)."""
    return importlib.import_module("pages.ui.router")


def page_names() -> list[str]:
    return [p.url_path for p in _router().PAGES]


def router_page(url_path: str) -> st.Page:
    return _router().page(url_path)


@st.cache_resource(show_spinner=False)
def _load_shipped() -> tuple[dict, tuple]:
    lectures, errors = {}, []
    for path in sorted(LECTURES_DIR.glob("*.toml")):
        try:
            lectures[path.stem] = lec.load(path, page_names())
        except ValueError as e:
            errors.append(str(e))
    return lectures, tuple(errors)


def shipped() -> dict[str, lec.Lecture]:
    """The lectures under assets/lectures/, by file stem (a broken file is left out: `broken()`)."""
    return _load_shipped()[0]


def broken() -> tuple[str, ...]:
    """Why a shipped lecture file could not be read (tests/test_lecture.py keeps this empty)."""
    return _load_shipped()[1]


def my_lecture() -> Optional[lec.Lecture]:
    views = st.session_state.get("_my_views") or []
    if not views:
        return None
    title = st.session_state.get("_my_title") or ((("en", MY_TITLE), ("zh", translate(MY_TITLE, "zh"))))
    return lec.Lecture(title, tuple(views), "this session")


def get(talk: Optional[str]) -> Optional[lec.Lecture]:
    if talk == MINE:
        return my_lecture()
    if talk == UPLOADED:
        return st.session_state.get("_uploaded_lecture")
    return shipped().get(talk) if talk else None


def available() -> list[str]:
    """Lecture ids to pick from: the shipped ones, then this session's and an uploaded one."""
    return list(shipped()) + [t for t in (MINE, UPLOADED) if get(t) is not None]


def title(talk: str) -> str:
    found = get(talk)
    return lec.in_language(found.title, _language()) if found else talk


def _language() -> str:
    return st.session_state.get("lang") or "en"


# --------------------------------------------------------------------------- building one
def add_this_view() -> None:
    """Sidebar button callback: this page as it is now (its URL) becomes the next view of "My lecture"."""
    page = st.session_state.get("_page") or "overview"
    query = {k: v for k, v in (st.session_state.get("_url_written") or {}).items() if k not in lec.SESSION_KEYS}
    pdef = next(p for p in _router().PAGES if p.url_path == page)
    name = (("en", pdef.title), ("zh", translate(pdef.title, "zh")))
    view = lec.LectureView(page, tuple(query.items()), name)
    st.session_state["_my_views"] = list(st.session_state.get("_my_views") or []) + [view]
    st.session_state.pop("my_views_editor", None)  # the Lecture page's editor starts from the new list
    st.toast(_("Added to “{title}”: view {n}.").format(title=_(MY_TITLE), n=len(st.session_state["_my_views"])),
             icon=":material/playlist_add:")


# --------------------------------------------------------------------------- giving one
def start(talk: str, index: int = 0) -> None:
    """Button callback: give `talk` from its view `index` (0-based), in lecture mode."""
    st.session_state[session.TALK] = talk
    st.session_state[session.LECTURE] = True
    st.session_state["_goto"] = index


def step(delta: int) -> None:
    st.session_state["_goto"] = (session.slide() or 1) - 1 + delta


def end() -> None:
    st.session_state[session.SLIDE] = None


def follow() -> None:
    """In the router, after the navigation: go to the slide a button asked for (its page, its view)."""
    index = st.session_state.pop("_goto", None)
    found = get(session.talk())
    if index is None or found is None:
        return
    index = min(max(index, 0), len(found.views) - 1)
    view = found.views[index]
    st.session_state["_url_warnings"] = state.apply_url(dict(view.query))
    st.session_state[session.SLIDE] = index + 1
    state.switch_to(router_page(view.page))


def bar() -> None:
    """While a lecture is given: previous / slide title / next / end, the speaker note, the keys."""
    n, found = session.slide(), get(session.talk())
    if not n or found is None:
        if n:
            st.warning(_("This lecture is not available in this session any more (it was built or uploaded "
                         "in another one); open it again on the Lecture page."))
            end()
        return
    view, total, lang = found.views[min(n, len(found.views)) - 1], len(found.views), _language()
    prev_col, title_col, next_col, end_col = st.columns([1, 8, 1, 1], vertical_alignment="center")
    prev_col.button("", key="lecture_prev", icon=":material/arrow_back:", on_click=step, args=(-1,),
                    disabled=n <= 1, help=_("Previous view (← or Page Up)"), width="stretch")
    title_col.subheader(f"{n} / {total} · {lec.in_language(view.title, lang)}", anchor=False)
    next_col.button("", key="lecture_next", icon=":material/arrow_forward:", on_click=step, args=(1,),
                    disabled=n >= total, help=_("Next view (→ or Page Down)"), width="stretch")
    end_col.button("", key="lecture_end", icon=":material/close:", on_click=end, help=_("End the lecture"),
                   width="stretch")
    note = lec.in_language(view.note, lang)
    if note:
        with st.expander(_("Speaker note")):
            st.markdown(note)
    st.html(KEYBOARD, unsafe_allow_javascript=True)


def projector_style() -> None:
    """Lecture mode's larger type and darker text (charts: `explorer.figures.style.high_contrast`)."""
    if session.lecture_mode():
        st.html(PROJECTOR_CSS)
