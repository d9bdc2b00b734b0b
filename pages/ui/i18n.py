"""The UI's language. Every string a page shows goes through `_()` (`N_()` marks a string for
translation where it is defined and `_()` translates it where it is shown). For now the UI is in
English only; the Chinese catalogue and the language switch come with the lecture mode."""
from __future__ import annotations


def _(text: str) -> str:
    """`text` in the UI's language."""
    return text


def N_(text: str) -> str:
    """Mark `text` for translation without translating it here."""
    return text
