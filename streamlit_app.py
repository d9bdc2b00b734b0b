"""Inception Explorer: the Streamlit entry point.

Sets up the navigation and the shared sidebar (variant, design choices, weights, device); every
page is a file in pages/ that calls into `explorer`. Run with `make run` (streamlit run
streamlit_app.py).

Each page's URL path is the name Streamlit derives from its file name (pages/3_activations.py is
served at /activations), and each page file starts this script when Streamlit's legacy pages/
folder mode runs it on its own (see `pages._shared.page_main`): deep links work on a fresh server.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import streamlit as st  # noqa: E402

from pages import _shared  # noqa: E402

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="Inception Explorer", page_icon=":material/hub:", layout="wide",
                   initial_sidebar_state="expanded")

pages = [
    st.Page(_shared.PAGE_FILES["overview"], title="Overview", icon=":material/home:", url_path="overview", default=True),
    st.Page(_shared.PAGE_FILES["architecture"], title="Architecture", icon=":material/account_tree:", url_path="architecture"),
    st.Page(_shared.PAGE_FILES["activations"], title="Activations", icon=":material/visibility:", url_path="activations"),
    st.Page(_shared.PAGE_FILES["design_costs"], title="Design costs", icon=":material/balance:", url_path="design_costs"),
    st.Page(_shared.PAGE_FILES["accuracy"], title="Accuracy", icon=":material/leaderboard:", url_path="accuracy"),
]
# Written by another engineer; its URL path differs from its file name on purpose (it does not
# start this script by itself, so the legacy pages/ mode must never run it directly).
if (HERE / _shared.PAGE_FILES["ablation"]).exists():
    pages.append(st.Page(_shared.PAGE_FILES["ablation"], title="Ablation lab", icon=":material/science:", url_path="ablation"))

page = st.navigation(pages)
_shared.sync_from_url()
with st.sidebar:
    st.markdown("### :material/hub: Inception Explorer")
try:
    st.session_state["_view"] = _shared.render_sidebar()
except Exception as e:  # noqa: BLE001 - never a traceback on the page
    _shared.log.exception("sidebar failed")
    st.sidebar.error(f"The sidebar could not be drawn ({type(e).__name__}: {e}); showing the defaults.")
    st.session_state["_view"] = _shared.View(_shared.DEFAULT_VARIANT, None, str(e), "random")
with _shared.app_run():
    page.run()
