"""The UI's language: English (the source language) or Chinese, from gettext catalogues.

Every string a page shows goes through `_()`; `N_()` marks a string for translation where it is
defined (a module-level constant) and `_()` translates it where it is shown. The catalogues are the
`.po` files under `locale/<lang>/LC_MESSAGES/messages.po`, kept in the repository as text and
compiled (Babel) once per process when first needed, so no binary `.mo` file can go stale.
`python -m tools.i18n update` extracts the strings and merges them into both catalogues;
tests/test_i18n.py fails on a string missing from either.

The language of a session: `?lang=zh` / `?lang=en` in the URL, else the sidebar switch, else the
browser's language (`st.context.locale`), else English. Library figures take a `tr` callable: the
pages pass `_`.
"""
from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path
from typing import Optional

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale"
DOMAIN = "messages"
LANGUAGES = {"en": "English", "zh": "中文"}
SOURCE = "en"  # the language the code is written in
KEY = "lang"  # the session-state key (the sidebar switch) and the URL parameter


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of `lang` (fuzzy and empty entries fall back to English)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}. Received: lang={lang!r}")
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = catalogue_path(lang)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def translate(text: str, lang: str) -> str:
    """`text` in `lang` (itself when the catalogue has no translation)."""
    if lang == SOURCE or not text:
        return text
    return translations(lang).gettext(text)


def from_locale(locale: Optional[str]) -> str:
    """The UI language for a browser locale: 'zh-CN', 'zh_TW', 'zh-Hans' -> 'zh'; others English."""
    tag = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return tag if tag in LANGUAGES else SOURCE


def browser_language() -> str:
    try:
        return from_locale(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (bare script, old Streamlit): English
        return SOURCE


def language() -> str:
    """This session's UI language."""
    try:
        lang = st.session_state.get(KEY)
    except Exception:  # noqa: BLE001 - outside a Streamlit run: the source language
        return SOURCE
    return lang if lang in LANGUAGES else SOURCE


def _(text: str) -> str:
    """`text` in the UI's language."""
    return translate(text, language())


def N_(text: str) -> str:
    """Mark `text` for translation without translating it here."""
    return text
