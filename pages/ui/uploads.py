"""`file_uploader`: st.file_uploader with Streamlit's own text in the UI's language.

Streamlit draws "Upload" and "20MB per file • TOML" itself and has no option to translate them. In a
language other than English, CSS scoped to the one uploader (its `.st-key-<key>` class) hides that
text and draws the translation in its place, keeping the accepted types as Streamlit writes them.
"""
from __future__ import annotations

from typing import Optional, Sequence

import streamlit as st

from pages.ui.i18n import SOURCE, _, language

CSS = """<style>
.st-key-{key} [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
.st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0 !important; }}
.st-key-{key} [data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: {upload}; font-size: 0.875rem; }}
.st-key-{key} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: {limit}; font-size: 0.875rem; }}
</style>"""


def css_string(text: str) -> str:
    """`text` as a quoted CSS string (backslashes, quotes and '<' escaped, on one line)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return '"' + " ".join(escaped.split()) + '"'


def types_text(types: Optional[Sequence[str]]) -> str:
    """The accepted types as Streamlit lists them: ["jsonl", ".txt"] -> "JSONL, TXT"."""
    return ", ".join(t.lstrip(".").upper() for t in types or ())


def uploader_css(key: str, upload: str, limit: str, types: Optional[Sequence[str]] = None) -> str:
    """The CSS that shows `upload` on uploader `key`'s button and `limit` (then its types, as
    Streamlit adds them) under it."""
    listed = types_text(types)
    return CSS.format(key=key, upload=css_string(upload), limit=css_string(f"{limit} • {listed}" if listed else limit))


def limit_mb() -> int:
    """The largest upload in MB (the server's `server.maxUploadSize`, .streamlit/config.toml)."""
    return int(st.get_option("server.maxUploadSize"))


def file_uploader(label: str, *, key: str, type: Optional[Sequence[str]] = None, where=st, **kwargs):
    """`where.file_uploader(label, key=key, type=type, **kwargs)` (where: st or a column), its own
    text translated (see the module docstring); returns the uploaded file, as Streamlit does."""
    value = where.file_uploader(label, key=key, type=type, **kwargs)
    if language() != SOURCE:
        limit = _("{size} MB per file").format(size=limit_mb())
        st.html(uploader_css(key, _("Upload"), limit, type))
    return value
