"""What the pages share: the router, URL <-> session state, the sidebar, models and their
activations, the page wrapper. A subpackage, so Streamlit's pages/-folder mode (which only globs
the top-level pages/*.py) never mistakes these helpers for pages."""
import os

# Before anything imports Keras (explorer imports it lazily), whichever file Streamlit runs first.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
