"""Lectures as slides: a lecture is a small TOML file listing views of the app, each a URL (page and
full view state) with a title and a speaker note in one or more languages.

    [lecture]
    title.en = "The Inception family, step by step"
    title.zh = "Inception 家族，一步一步"

    [[view]]
    url = "design_costs?variant=googlenet&reduce_1x1=0"   # what the address bar shows after the host
    title.en = "The naive module and its cost"
    title.zh = "朴素 Inception 模块及其代价"
    note.en = "Without 1x1 reductions GoogLeNet grows from 7.0 M to 97.5 M parameters."
    note.zh = "..."

`parse` / `load` read and validate one (a ValueError names the file, the view and the key);
`dumps` writes one back; `view_from_url` turns an address into a view. A view never carries the
session's language or lecture mode (`SESSION_KEYS`): the lecture is given in the language the
audience reads. No Streamlit and nothing else of explorer here.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional, Union
from urllib.parse import parse_qsl, urlencode, urlsplit

# URL parameters that belong to the session (language, projector mode, the lecture being given),
# not to a view: dropped from a view's URL.
SESSION_KEYS = ("lang", "lecture", "talk", "slide")
HOME = "overview"  # the page a bare "/" shows
TextInLanguages = tuple[tuple[str, str], ...]  # (("en", "..."), ("zh", "..."))


def in_language(text: TextInLanguages, lang: str, fallback: str = "en") -> str:
    """`text` in `lang`, else in `fallback`, else in its first language ("" when empty)."""
    d = dict(text)
    return d.get(lang) or d.get(fallback) or next(iter(d.values()), "")


@dataclass(frozen=True)
class LectureView:
    """One slide: a page of the app, its view state (URL query), a title and a speaker note."""

    page: str
    query: tuple[tuple[str, str], ...]
    title: TextInLanguages
    note: TextInLanguages = ()

    @property
    def url(self) -> str:
        """The relative URL that opens this view: 'page?key=value&...'."""
        return self.page + (f"?{urlencode(self.query)}" if self.query else "")


@dataclass(frozen=True)
class Lecture:
    title: TextInLanguages
    views: tuple[LectureView, ...]
    source: str = "<lecture>"


def split_url(url: str, pages: Optional[Iterable[str]] = None) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(page, query) of an app address: 'design_costs?variant=googlenet', '/design_costs?...' or a
    whole 'http://host:8501/design_costs?...'; '' or '/' is the Overview. The session keys are
    dropped; a page not in `pages` (when given) or a key given twice raises ValueError."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"A view needs a url such as 'design_costs?variant=googlenet'. Received: url={url!r}")
    parts = urlsplit(url.strip() if "://" in url else "/" + url.strip().lstrip("/"))
    page = parts.path.strip("/") or HOME
    known = None if pages is None else list(pages)
    if known is not None and page not in known:
        raise ValueError(f"The url names no page of the app (pages: {', '.join(known)}). Received: url={url!r}")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"The url gives {', '.join(twice)} more than once. Received: url={url!r}")
    return page, tuple((k, v) for k, v in pairs if k not in SESSION_KEYS)


def _text(value, what: str) -> TextInLanguages:
    """A text: one string (no language said) or a table {language: string}."""
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, Mapping) or not value or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()):
        raise ValueError(f"{what} must be a string or a table of languages such as {{ en = \"...\", zh = \"...\" }}, "
                         f"none empty. Received: {value!r}")
    return tuple((k, v) for k, v in value.items())


def _view(raw, where: str, pages) -> LectureView:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a table ([[view]]). Received: {raw!r}")
    unknown = sorted(set(raw) - {"url", "title", "note"})
    if unknown:
        raise ValueError(f"{where}: unknown key {', '.join(unknown)} (a view has url, title and note). "
                         f"Received: {dict(raw)!r}")
    if "title" not in raw:
        raise ValueError(f"{where}: a view needs a title. Received: {dict(raw)!r}")
    try:
        page, query = split_url(raw.get("url", ""), pages)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    note = _text(raw["note"], f"{where}: note") if "note" in raw else ()
    return LectureView(page, query, _text(raw["title"], f"{where}: title"), note)


def parse(text: str, source: str = "<lecture>", pages: Optional[Iterable[str]] = None) -> Lecture:
    """A lecture from TOML text; ValueError (naming `source`, the view and the key) when it is not one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{source} is not valid TOML: {e}") from None
    unknown = sorted(set(data) - {"lecture", "view"})
    if unknown:
        raise ValueError(f"{source}: unknown section {', '.join(unknown)} (a lecture file has [lecture] and "
                         f"[[view]]). Received: {unknown!r}")
    head = data.get("lecture", {})
    if not isinstance(head, Mapping) or "title" not in head:
        raise ValueError(f"{source}: [lecture] needs a title. Received: {head!r}")
    views = data.get("view")
    if not isinstance(views, list) or not views:
        raise ValueError(f"{source}: a lecture needs at least one [[view]]. Received: {views!r}")
    pages = None if pages is None else tuple(pages)
    return Lecture(_text(head["title"], f"{source}: [lecture] title"),
                   tuple(_view(v, f"{source}, view {i}", pages) for i, v in enumerate(views, 1)), source)


def load(path: Union[str, Path], pages: Optional[Iterable[str]] = None) -> Lecture:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"Cannot read the lecture file {path}: {e}") from None
    return parse(text, path.name, pages)


def view_from_url(url: str, title: TextInLanguages, note: TextInLanguages = (),
                  pages: Optional[Iterable[str]] = None) -> LectureView:
    page, query = split_url(url, pages)
    return LectureView(page, query, _text(dict(title), "title"), _text(dict(note), "note") if note else ())


def _string(s: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _texts(key: str, text: TextInLanguages) -> list[str]:
    return [f"{key}.{lang} = {_string(s)}" for lang, s in text]


def dumps(lecture: Lecture) -> str:
    """The lecture as a TOML file that `parse` reads back to the same lecture."""
    lines = ["# An Inception Explorer lecture: open it on the Lecture page.", "", "[lecture]",
             *_texts("title", lecture.title)]
    for v in lecture.views:
        lines += ["", "[[view]]", f"url = {_string(v.url)}", *_texts("title", v.title), *_texts("note", v.note)]
    return "\n".join(lines) + "\n"
