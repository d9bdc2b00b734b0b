"""Lecture: views of the app as slides. Pick a lecture (shipped, built in this session with "Add
this view", or a .toml file), read its views and speaker notes, give it (each view opens on its own
page, in lecture mode, with the arrow keys for next / previous), and title, annotate and download
the one you built. The file format is `explorer.lecture`."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import lecture as lec
from pages.ui import common, lectures, router, session, state, uploads
from pages.ui.i18n import N_, _

EDIT_COLUMNS = {"url": N_("view (URL)"), "title_en": N_("title (English)"), "title_zh": N_("title (中文)"),
                "note_en": N_("speaker note (English)"), "note_zh": N_("speaker note (中文)")}


def _read_upload() -> None:
    """Uploader callback: read a .toml lecture (before the page draws its picker, which then shows it)."""
    up = st.session_state.get("lecture_upload")
    st.session_state.pop("_upload_error", None)
    if up is None:
        return
    try:
        st.session_state["_uploaded_lecture"] = lec.parse(up.getvalue().decode("utf-8"), up.name, lectures.page_names())
        st.session_state[session.TALK] = lectures.UPLOADED
        st.session_state.pop("talk_pick", None)
        state.keep().pop("talk_pick", None)
    except (ValueError, UnicodeDecodeError) as e:
        st.session_state["_upload_error"] = str(e)


def _uploader() -> None:
    uploads.file_uploader(_("…or open a lecture file (.toml)"), type=["toml"], key="lecture_upload",
                          on_change=_read_upload,
                          help=_("A file downloaded from this page, or written by hand (see the README)."))
    if st.session_state.get("_upload_error"):
        st.error(_("This file is not a lecture: {error}").format(error=st.session_state["_upload_error"]))


def _pick() -> str:
    talks = lectures.available()
    state.seed("talk_pick", session.talk() if session.talk() in talks else talks[0], valid=talks)
    titles = {t: lectures.title(t) for t in talks}  # looked up now: the label needs this session's lectures
    st.selectbox(_("Lecture"), talks, key="talk_pick", format_func=titles.get)
    state.remember("talk_pick")
    st.session_state[session.TALK] = st.session_state["talk_pick"]
    return st.session_state["talk_pick"]


def _slides(talk: str, found: lec.Lecture) -> None:
    lang = st.session_state.get("lang", "en")
    titles = {p.url_path: _(p.title) for p in router.PAGES}
    rows = [{"#": i, "title": lec.in_language(v.title, lang), "page": titles.get(v.page, v.page),
             "view": f"/{v.url}", "note": lec.in_language(v.note, lang)} for i, v in enumerate(found.views, 1)]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="slides_table",
                 # the titles name the slides (a lecturer picks one by it): most of the width; the
                 # notes are a hint here, read in full on each slide
                 column_config={"title": st.column_config.TextColumn(_("title"), width=300),
                                "page": st.column_config.TextColumn(_("page")),
                                "view": st.column_config.LinkColumn(_("view"), display_text=_("open ↗"), width=70),
                                "note": st.column_config.TextColumn(_("speaker note"), width=160)})
    c1, c2, c3 = st.columns([2, 3.5, 1.5], vertical_alignment="bottom")
    c1.button(_("Give this lecture"), key="lecture_start", type="primary", icon=":material/play_arrow:",
              on_click=lectures.start, args=(talk, 0), width="stretch",
              help=_("Opens the first view in lecture mode; → / ← (or a presenter's Page Down / Page Up) "
                     "step through the views."))
    first = c2.selectbox(_("…or start at view"), range(len(found.views)), key="lecture_from",
                         format_func=lambda i: f"{i + 1}. {rows[i]['title']}")
    c3.button(_("Start there"), key="lecture_start_at", on_click=lectures.start, args=(talk, first))
    st.download_button(_("This lecture (TOML)"), lec.dumps(found), file_name=f"{talk}.toml",
                       mime="application/toml", key="dl_lecture", on_click="ignore")


def _edited_views(table: pd.DataFrame) -> list:
    """The "My lecture" table back into views (a row whose URL is not a view says why)."""
    views = []
    for i, r in enumerate(table.to_dict("records"), 1):
        title = tuple((lang, str(r[f"title_{lang}"]).strip()) for lang in ("en", "zh")
                      if str(r.get(f"title_{lang}") or "").strip())
        note = tuple((lang, str(r[f"note_{lang}"]).strip()) for lang in ("en", "zh")
                     if str(r.get(f"note_{lang}") or "").strip())
        try:
            views.append(lec.view_from_url(str(r["url"] or ""), title or (("en", _("View {n}").format(n=i)),), note,
                                           lectures.page_names()))
        except ValueError as e:
            st.error(_("View {n}: {error}").format(n=i, error=e))
    return views


def _my_lecture() -> None:
    st.subheader(_("Your lecture"))
    views = st.session_state.get("_my_views") or []
    if not views:
        st.info(_("Build one: open any page, set it up as you want to show it, and press **Add this view to "
                  "my lecture** in the sidebar. Each view is the page's whole URL: the variant, the design "
                  "choices, the module, the photo, the measures…"), icon=":material/playlist_add:")
        return
    if "my_views_editor" not in st.session_state:  # the editor applies its edits to a fixed table
        rows = [{"url": v.url, **{f"title_{k}": t for k, t in v.title}, **{f"note_{k}": t for k, t in v.note}}
                for v in views]
        st.session_state["_my_table"] = pd.DataFrame(rows, columns=list(EDIT_COLUMNS)).fillna("")
    edited = st.data_editor(st.session_state["_my_table"], key="my_views_editor", hide_index=True, width="stretch",
                            num_rows="dynamic", column_config={
                                k: st.column_config.TextColumn(_(label)) for k, label in EDIT_COLUMNS.items()})
    t1, t2 = st.columns(2)
    state.seed("my_title_en", lec.in_language(lectures.my_lecture().title, "en"))
    state.seed("my_title_zh", lec.in_language(lectures.my_lecture().title, "zh"))
    t1.text_input(_("Title (English)"), key="my_title_en")
    t2.text_input(_("Title (中文)"), key="my_title_zh")
    state.remember("my_title_en", "my_title_zh")
    st.session_state["_my_views"] = _edited_views(edited)
    st.session_state["_my_title"] = tuple((k, st.session_state[f"my_title_{k}"].strip()) for k in ("en", "zh")
                                          if st.session_state[f"my_title_{k}"].strip()) or (("en", lectures.MY_TITLE),)
    mine = lectures.my_lecture()
    if mine is not None:
        st.download_button(_("Download your lecture (TOML)"), lec.dumps(mine), file_name="my_lecture.toml",
                           mime="application/toml", key="dl_my_lecture", type="primary", on_click="ignore")


@common.page(url_keys=("talk",))
def render(view: state.View) -> None:
    st.title(_("Lecture: views as slides"))
    st.caption(_("A lecture is a list of views of this app (a page with everything set: its URL), each with a "
                 "title and a speaker note, in English and Chinese. Giving it opens each view on its page in "
                 "lecture mode (larger type, high-contrast charts, the sidebar folded away)."))
    for error in lectures.broken():
        st.error(error)
    talk = _pick()
    found = lectures.get(talk)
    if found is not None:
        _slides(talk, found)
    _uploader()
    _my_lecture()


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
