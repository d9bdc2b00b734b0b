"""The page wrapper (exceptions become a short message, the URL is written whatever happens),
charts with a PNG download, and small helpers every page uses."""
from __future__ import annotations

import functools
import logging
from typing import Callable, Optional

import streamlit as st

import explorer
from explorer.figures.style import fit_titles, high_contrast, plotly_config
from pages.ui import lectures, session, state
from pages.ui.i18n import _

log = logging.getLogger("inception_explorer")


def page(url_keys: tuple[str, ...] = ()) -> Callable:
    """Decorator for a page body `body(view)`: returns the no-argument `render()` the router
    registers. It shows the URL's warnings, runs the body with the sidebar's view, turns any
    exception into a short st.error (the traceback goes to the server log, never to the page),
    and writes the view and the page's `url_keys` to the URL."""
    def wrap(body: Callable[[state.View], None]) -> Callable[[], None]:
        @functools.wraps(body)
        def render() -> None:
            st.session_state["_page"] = body.__module__.rsplit(".", 1)[-1]  # for "Add this view"
            lectures.bar()
            for w in state.url_warnings():
                st.warning(_("Link: {warning}").format(warning=w))
            try:
                body(state.current_view())
            except ValueError as e:  # ImageError, WeightsError, bad choices: the message says what to do
                st.error(str(e))
            except Exception as e:  # noqa: BLE001 - keep the page alive, log for developers
                log.exception("page %s failed", body.__module__)
                st.error(_("Something went wrong while drawing this page ({error}). The other pages still "
                           "work; change a setting or reload to try again.").format(error=f"{type(e).__name__}: {e}"))
            finally:
                state.sync_to_url(url_keys)
        return render
    return wrap


def plot(fig, name: str, key: Optional[str] = None, **kw):
    """st.plotly_chart with a PNG download button (modebar) named after the chart; titles wrapped to
    fit a narrow chart (a phone, half a projector's page); high contrast in lecture mode."""
    fig = fit_titles(fig)
    if session.lecture_mode():
        fig = high_contrast(fig)
    return st.plotly_chart(fig, key=key or f"chart_{name}", config=plotly_config(name), theme=None, **kw)


def require_choices(view: state.View) -> bool:
    """Show the choices error (if any) on the page; True when the page can go on."""
    if view.error:
        st.error(_("These design choices cannot be built: {error}").format(error=view.error))
        st.info(_("Change the choices in the sidebar, or press *Reset to the variant's defaults*."))
        return False
    return True


def first_inception_module(names_kinds: list[tuple[str, str]]) -> Optional[str]:
    """The first Inception (or residual) module, where the pages open by default."""
    for name, kind in names_kinds:
        if kind in ("inception", "residual"):
            return name
    return names_kinds[0][0] if names_kinds else None


def title(variant: str) -> str:
    return explorer.get_spec(variant).title


def number_columns(*names: str) -> dict:
    """column_config for exact integers shown with thousands separators (the names are English
    column keys marked with N_(); the headers are translated)."""
    return {n: st.column_config.NumberColumn(_(n), format="localized") for n in names}


def column_labels(labels: dict) -> dict:
    """column_config that only translates headers: {column key: N_("header")}."""
    return {k: st.column_config.Column(_(label)) for k, label in labels.items()}
