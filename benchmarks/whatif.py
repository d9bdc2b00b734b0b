"""The one what-if `make bench` still measures: the app with Streamlit clearing the Keras session
after every rerun, which the app switches off (`pages/ui/keras_state.py`). Measuring both keeps
that switch-off justified by numbers: if the two ever cost the same, the private-API patch can go.
"""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def streamlit_clears_keras():
    """Inside: the app's switch-off does nothing and Streamlit's own per-rerun clean-up
    (`script_runner._clean_problem_modules`, which calls `keras.backend.clear_session()`) is back.
    Yields False when Streamlit or the app has no such hook (nothing to measure)."""
    try:
        from streamlit.runtime.scriptrunner import script_runner as sr

        from pages.ui import keras_state
    except ImportError:
        yield False
        return
    current = getattr(sr, "_clean_problem_modules", None)
    streamlit_own = keras_state.streamlit_hook or current
    if current is None or streamlit_own is None or getattr(streamlit_own, "__module__", "") != sr.__name__:
        yield False
        return
    keep = keras_state.keep_keras_state_between_reruns
    keras_state.keep_keras_state_between_reruns = lambda: False
    sr._clean_problem_modules = streamlit_own
    try:
        yield True
    finally:
        keras_state.keep_keras_state_between_reruns = keep
        sr._clean_problem_modules = current
