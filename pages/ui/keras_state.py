"""The app's one use of a private Streamlit API, isolated here (tests/test_routing.py checks it).

After every script run, Streamlit calls `script_runner._clean_problem_modules()`, which calls
`keras.backend.clear_session()` (and closes matplotlib figures). Under TensorFlow that throws away
the kernel cache, so the first forward pass after each rerun pays again: upload -> feature maps
took 2.17 s instead of 0.49 s for Inception-ResNet-v2 (`make bench`, app section). The models the
app holds live in `explorer.ModelStore`, which frees an evicted model itself (without a
clear_session, which would reset Keras under models other sessions still use), so the per-rerun
clear is switched off; the matplotlib half is kept.
"""
from __future__ import annotations

import sys

streamlit_hook = None  # Streamlit's own clean-up, once replaced (for the test)


def _clean_without_keras() -> None:
    """Streamlit's per-rerun clean-up minus `keras.backend.clear_session()`."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - as Streamlit: never fail a run over this
            pass


def keep_keras_state_between_reruns() -> bool:
    """Replace Streamlit's per-rerun clean-up (idempotent). False when this Streamlit has no such
    hook (then its behaviour is kept, and the test of this module fails to say so)."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return False
    hook = getattr(script_runner, "_clean_problem_modules", None)
    if hook is None:
        return False
    if hook is not _clean_without_keras:
        global streamlit_hook
        streamlit_hook = hook
        script_runner._clean_problem_modules = _clean_without_keras
    return True
