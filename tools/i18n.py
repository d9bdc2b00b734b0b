"""The UI's gettext catalogues: extract every string the app shows, merge it into both catalogues,
check them.

    python -m tools.i18n update   # extract, then merge into locale/{en,zh}/LC_MESSAGES/messages.po
    python -m tools.i18n check    # list what is missing, untranslated, fuzzy or inconsistent

The strings come from two places:
- the code, by Babel's Python extractor: `_("...")` and `N_("...")` in pages/ and the router,
  `tr("...")` and `N_("...")` in explorer/figures/, explorer/arch/factorize.py and the lab's texts
  (explorer/lab/findings.py, report.py, summary.py) (they take the pages' `_` as `tr`);
- the library's data that the pages show through `_(value)` (choice labels and help, paper vs
  shipped notes, published sources and ablation steps): `library_messages()` lists them.

The English catalogue maps every string to itself (empty msgstr) and exists so that a string the
code shows but the catalogues lack is caught for both languages; the Chinese one must translate
every string, without fuzzy entries, keeping every {placeholder}. tests/test_i18n.py runs `check`.
"""
from __future__ import annotations

import re
import string
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
TEMPLATE = LOCALE_DIR / "messages.pot"
LANGS = ("en", "zh")
KEYWORDS = {"_": None, "N_": None, "tr": None}
# Files whose strings the UI shows (pages/ui/i18n.py itself has none).
CODE = ("streamlit_app.py", "pages/*.py", "pages/ui/*.py", "explorer/figures/*.py", "explorer/arch/factorize.py",
        "explorer/lab/findings.py", "explorer/lab/report.py", "explorer/lab/summary.py")


def code_files() -> list[Path]:
    return sorted({p for pattern in CODE for p in ROOT.glob(pattern)})


def code_messages() -> dict[str, list[tuple[str, int]]]:
    """{msgid: [(file, line), ...]} of every marked string in the code."""
    from babel.messages.extract import extract

    found: dict[str, list[tuple[str, int]]] = {}
    for path in code_files():
        with path.open("rb") as f:
            for lineno, message, _comments, _ctx in extract("python", f, keywords=KEYWORDS,
                                                            options={"encoding": "utf-8"}):
                if isinstance(message, str) and message:
                    found.setdefault(message, []).append((str(path.relative_to(ROOT)), lineno))
    return found


def library_messages() -> dict[str, str]:
    """{msgid: where} of the library's texts that the pages translate when they show them."""
    import explorer
    from explorer.inference.weights import NO_WEIGHTS, weight_sources
    from explorer.lab import SHIPPED
    from explorer.nn.compiled import OOM_MESSAGE
    from explorer.zoo import published
    from explorer.zoo.choices import CHOICE_HELP, CHOICE_LABELS

    out: dict[str, str] = {}

    def add(where: str, *texts) -> None:
        for t in texts:
            if t:
                out.setdefault(t, where)

    add("explorer.zoo.choices.CHOICE_LABELS", *CHOICE_LABELS.values())
    add("explorer.zoo.choices.CHOICE_HELP", *CHOICE_HELP.values())
    for v in explorer.list_variants():
        add(f"{v}: spec.deviations / notes / published.extra_deviations", *published.paper_vs_shipped(v))
    add("explorer.zoo.published.SOURCES", *(s.name for s in published.SOURCES.values()))
    add("explorer.zoo.published", published.EVAL_NOTE, published.AUX_LOSS_SOURCE,
        published.V3_TABLE3_SOURCE, published.GOOGLENET_TABLE3_SOURCE, *published.LABELS.values())
    add("explorer.zoo.published.PUBLISHED", *(p["published"] for p in published.PUBLISHED.values()))
    add("explorer.zoo.published.V3_TABLE3", *(x for r in published.V3_TABLE3 for x in (r.step, r.change)))
    add("explorer.zoo.published.param_counts", *(r.description for r in published.param_counts()))
    add("explorer.inference.weights.NO_WEIGHTS", *NO_WEIGHTS.values())
    add("explorer.inference.weights.WeightSource.heads", *(s.heads for s in weight_sources()))
    add("explorer.lab.SHIPPED.description", SHIPPED.description)
    add("explorer.nn.compiled.OOM_MESSAGE", OOM_MESSAGE)
    return out


def messages() -> dict[str, str]:
    """{msgid: where it comes from} of every string the UI shows."""
    out = {m: ", ".join(f"{f}:{n}" for f, n in locs[:3]) for m, locs in code_messages().items()}
    for m, where in library_messages().items():
        out.setdefault(m, where)
    return out


def template():
    from babel.messages.catalog import Catalog

    cat = Catalog(project="Inception Explorer", charset="utf-8")
    code = code_messages()
    for m, locs in code.items():
        cat.add(m, locations=locs, flags=_flags(m))
    for m, where in library_messages().items():
        if m not in code:
            cat.add(m, auto_comments=[where], flags=_flags(m))
    return cat


def _flags(msgid: str) -> tuple:
    return ("python-brace-format",) if placeholders(msgid) else ()


def placeholders(text: str) -> set[str]:
    """The {names} a str.format() template uses (an empty set for text that is not one)."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError:
        return set()


def read(lang: str):
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def update() -> None:
    """Extract, write the template, merge it into every language (new strings untranslated,
    strings gone kept as obsolete `#~` entries, near matches marked fuzzy for review)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    tmpl = template()
    LOCALE_DIR.mkdir(exist_ok=True)
    with TEMPLATE.open("wb") as f:
        write_po(f, tmpl, width=100, sort_output=True)
    for lang in LANGS:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        cat = read(lang) if path.exists() else Catalog(locale=lang, project="Inception Explorer")
        cat.update(tmpl, no_fuzzy_matching=(lang == "en"))
        with path.open("wb") as f:
            write_po(f, cat, width=100, sort_output=True, include_previous=True)


def problems() -> list[str]:
    """Everything wrong with the catalogues, one line each (empty when they are complete)."""
    wanted = messages()
    out = []
    for lang in LANGS:
        cat = read(lang)
        have = {m.id: m for m in cat if m.id}
        for msgid, where in wanted.items():
            m = have.get(msgid)
            if m is None:
                out.append(f"{lang}: missing {msgid!r} ({where})")
            elif lang != "en" and (not m.string or m.fuzzy):
                out.append(f"{lang}: {'fuzzy' if m.fuzzy else 'untranslated'} {msgid!r} ({where})")
            elif m.string and placeholders(m.string) != placeholders(msgid):
                out.append(f"{lang}: placeholders differ in {msgid!r}: {sorted(placeholders(m.string))}")
            elif lang == "zh" and still_english(m.string):
                out.append(f"zh: still English {msgid!r}: {m.string!r}")
        out += [f"{lang}: not used any more {m!r}" for m in sorted(set(have) - set(wanted))]
    return out


CHINESE = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")
# Words a Chinese text keeps as they are: names, units, libraries and the papers' own abbreviations.
KEPT_ENGLISH = {"RMSProp", "Cadene", "pretrainedmodels", "MACs", "PNG", "dropout", "keras", "applications",
                "InceptionV3", "InceptionResNetV2", "Stem", "timm", "top"}


def still_english(text: str) -> bool:
    """True for a 'translation' with no Chinese in it that is more than kept names and units."""
    if CHINESE.search(text):
        return False
    plain = re.sub(r"`[^`]*`|\{[^}]*\}|https?://\S+", " ", text)
    return any(w not in KEPT_ENGLISH for w in re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", plain))


FSTRING_CALL = re.compile(r"\b(?:_|N_|tr)\(\s*f[\"']")
# `f"{_('text')}"`: Babel's extractor does not look inside f-strings, so the text never reaches the catalogues
CALL_IN_FSTRING = re.compile(r"\bf([\"'])(?:(?!\1).)*\{\s*(?:_|N_|tr)\(\s*[\"']")


def fstring_calls() -> list[str]:
    """`_(f"...")` cannot be translated (the text changes at run time), and `_("...")` inside an
    f-string is never extracted: file:line of each."""
    return [f"{p.relative_to(ROOT)}:{i}" for p in code_files()
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if FSTRING_CALL.search(line) or CALL_IN_FSTRING.search(line)]


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
    if argv[:1] in (["update"], ["check"]):
        found = problems() + [f"f-string in a translation call: {x}" for x in fstring_calls()]
        print("\n".join(found) or f"catalogues complete: {len(messages())} strings in {', '.join(LANGS)}")
        return 1 if found and argv[:1] == ["check"] else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
