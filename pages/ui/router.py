"""The app's pages and its one entry point, `main()`.

Every page is a module `pages/<url_path>.py` whose `render()` draws it; `main()` registers them
with `st.navigation` as callables (`st.Page(module.render, url_path=...)`), draws the shared
sidebar and runs the current page. "/" is the Overview (the default page; Streamlit serves it at
the root whatever its url_path), and "/overview" too, through a hidden second page.

Why each page file ends with `if __name__ == "__main__": main()`: because a `pages/` folder sits
next to streamlit_app.py, the first script run of a fresh server process (and every AppTest run)
is Streamlit's legacy pages/-folder mode, which runs `pages/<name>.py` directly when the URL path
is `<name>` (and shows "Page not found" when no file matches). Since every url_path equals its
file's stem, a fresh deep link finds its file, which calls `main()`: from then on the process is
in `st.navigation` mode. tests/test_routing.py checks that the table and the files agree.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import streamlit as st

from pages.ui import keras_state, lectures, session, sidebar, state
from pages.ui.i18n import N_, _


@dataclass(frozen=True)
class PageDef:
    url_path: str  # also the module name: pages/<url_path>.py
    title: str  # English, marked with N_(): shown as _(title)
    icon: str
    blurb: str  # one line for the Overview's list of pages (N_ too)
    uses_view: bool = True  # False: the sidebar's variant and design choices do not change this page


PAGES = (
    PageDef("overview", N_("Overview"), ":material/home:",
            N_("Inception in a few lines and pictures, the six variants in one table"), uses_view=False),
    PageDef("architecture", N_("Architecture"), ":material/account_tree:",
            N_("any variant, module by module, with its branches")),
    PageDef("activations", N_("Activations"), ":material/visibility:",
            N_("what each branch sees in a photo, and the predictions")),
    PageDef("explain", N_("Explain"), ":material/psychology_alt:", N_("what each branch contributes to a prediction")),
    PageDef("design_costs", N_("Design costs"), ":material/balance:",
            N_("what each design choice costs in parameters and compute")),
    PageDef("accuracy", N_("Accuracy"), ":material/leaderboard:",
            N_("the published ImageNet results and ablations, with sources"), uses_view=False),
    PageDef("ablation", N_("Ablation lab"), ":material/science:",
            N_("measured accuracy of small networks, one design choice changed at a time")),
    PageDef("lecture", N_("Lecture"), ":material/co_present:",
            N_("views of this app as slides: give the shipped lecture, or build and download your own"),
            uses_view=False),
)
HOME = "home"  # the default page's own url_path ("/" is where Streamlit serves it)


def page(url_path: str) -> st.Page:
    """The st.Page of a page (for st.switch_page); "home" is the default page."""
    name = "overview" if url_path == HOME else url_path
    d = next(p for p in PAGES if p.url_path == name)
    render = importlib.import_module(f"pages.{d.url_path}").render
    if url_path == HOME:
        return st.Page(render, title=_(d.title), icon=d.icon, url_path=HOME, default=True)
    hidden = "hidden" if d.url_path == "overview" else "visible"
    return st.Page(render, title=_(d.title), icon=d.icon, url_path=d.url_path, visibility=hidden)


def main() -> None:
    """The app: the URL read into the state (the language names the pages), navigation, the
    sidebar, then the current page."""
    state.pin_sidebar()
    state.sync_from_url()
    # "auto": open beside the page on a wide screen, collapsed on a phone; lecture mode: collapsed
    st.set_page_config(page_title="Inception Explorer", page_icon=":material/hub:", layout="wide",
                       initial_sidebar_state="collapsed" if session.lecture_mode() else "auto")
    keras_state.keep_keras_state_between_reruns()
    current = st.navigation([page(HOME)] + [page(p.url_path) for p in PAGES])
    lectures.follow()
    lectures.projector_style()
    name = "overview" if current.url_path in ("", HOME) else current.url_path
    st.session_state["_view"] = sidebar.render_sidebar(next((p for p in PAGES if p.url_path == name), PAGES[0]))
    current.run()
    sidebar.render_device()
