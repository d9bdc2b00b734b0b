"""The Explain page's branch switches: which (module, branch) pairs are switched off, kept in the
state and the URL as `off=inception_4a.b2,inception_3b.b1`, with one toggle per branch of the
module on screen (`off__<module>__<branch>`). The library does the switching
(`explorer.explain.predict_gated`)."""
from __future__ import annotations

import streamlit as st

from pages.ui import state
from pages.ui.i18n import _


def off_set(entry) -> tuple:
    """The (module, branch) pairs switched off, from the state ("inception_4a.b2,..."), valid ones only."""
    text = st.session_state.get("off") or state.keep().get("off") or ""
    valid = {(m.name, b.key) for m in entry.info.net.modules if not m.sequential for b in m.branches}
    names = [x.strip() for x in str(text).split(",") if x.strip()]
    unknown = [x for x in names if tuple(x.split(".", 1)) not in valid]
    if state.from_link("off") and unknown:  # a link asked for them: say so, once (short: a toast shows 3 lines)
        st.toast(_("Link: off names no branch {unknown} here; ignored.").format(unknown=", ".join(unknown)),
                 icon=":material/link_off:")
    return tuple(sorted({tuple(x.split(".", 1)) for x in names if x not in unknown}))


def set_off(pairs) -> None:
    st.session_state["off"] = ",".join(f"{m}.{b}" for m, b in sorted(pairs)) or None
    state.remember("off")


def all_on(module_keys: list) -> None:
    set_off(())
    for key in module_keys:
        st.session_state[key] = False


def toggle_keys(entry, module: str) -> list:
    return [(b.key, f"off__{module}__{b.key}") for m in entry.info.net.modules if m.name == module for b in m.branches]


def current_off(entry, module: str) -> tuple:
    """The branches switched off: the module's switches as they are now, the other modules' from the state."""
    saved = off_set(entry)
    now = {p for p in saved if p[0] != module}
    for key, widget in toggle_keys(entry, module):
        if st.session_state.get(widget, (module, key) in saved):
            now.add((module, key))
    set_off(now)
    return tuple(sorted(now))
