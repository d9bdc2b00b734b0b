"""The UI in English and Chinese: every string the app shows is in both gettext catalogues (Babel
extracts them from pages/, the router and explorer/figures/, plus the library texts the pages
translate), Chinese translates every one keeping its {placeholders}, translation calls take plain
literals, the lookup follows `?lang=` and the browser's locale, and the figures draw translated
titles and axes. The catalogue checks are quick; the whole-app checks are `slow`."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import explorer
from explorer.figures.costs import module_bars
from explorer.figures.published import accuracy_figure
from pages.ui import i18n
from tools import i18n as catalogues

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
SURVEY_TERMS = {  # the survey's own words for its key ideas
    "1x1 reductions": "1×1 卷积降维", "auxiliary heads": "辅助分类器", "global avg pool": "全局平均池化",
    "batch norm": "批归一化", "inception": "Inception 模块",
}
SURVEY_TERMS_WITHIN = {  # labels that carry the term
    "factorisation width": "卷积分解", "5x5 as two 3x3": "分解", "nxn as 1xn + nx1": "分解",
    "residual scales (A, B, C)": "残差缩放",
}


def test_every_ui_string_is_in_both_catalogues():
    problems = catalogues.problems()
    assert not problems, f"{len(problems)} catalogue problems (run `make i18n`, then translate):\n" + "\n".join(problems[:40])


def test_the_extractor_finds_the_pages_and_the_figures_and_the_library():
    found = catalogues.messages()
    assert "Design costs: what each choice costs" in found  # a page's _()
    assert "Overview" in found  # the router's N_()
    assert "Every combination of the toggles (analytic cost model)" in found  # a figure's tr()
    assert "1x1 reductions" in found  # the library's data (explorer.CHOICE_LABELS)
    assert len(found) > 250


def test_the_check_fails_on_a_missing_or_broken_entry(tmp_path, monkeypatch):
    """The catalogue check itself can fail: a missing string, a fuzzy or untranslated entry, a lost
    placeholder, an entry nothing uses, a "translation" left in English."""
    for lang, body in (("en", 'msgid "{n} filters"\nmsgstr ""\n'),
                       ("zh", '#, fuzzy\nmsgid "{n} filters"\nmsgstr "{n} 个滤波器"\n\n'
                              'msgid "{n} models"\nmsgstr "模型"\n\nmsgid "stale"\nmsgstr "旧"\n\n'
                              'msgid "MACs"\nmsgstr ""\n\nmsgid "Mean activation"\nmsgstr "Mean activation"\n\n'
                              'msgid "top-5 %"\nmsgstr "top-5 %"\n')):
        path = tmp_path / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True)
        path.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body, encoding="utf-8")
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(catalogues, "messages", lambda: {m: "test" for m in ("{n} filters", "{n} models", "MACs", "Mean activation",
                                                                         "top-5 %")})
    problems = set(catalogues.problems())
    assert problems == {"en: missing '{n} models' (test)", "en: missing 'MACs' (test)",
                        "zh: fuzzy '{n} filters' (test)", "zh: placeholders differ in '{n} models': []",
                        "zh: untranslated 'MACs' (test)", "zh: not used any more 'stale'",
                        "en: missing 'Mean activation' (test)", "en: missing 'top-5 %' (test)",
                        "zh: still English 'Mean activation': 'Mean activation'"}  # "top-5 %" keeps its term
    assert catalogues.placeholders("{n} 个滤波器") == {"n"} and catalogues.placeholders("100%") == set()


def test_translation_calls_take_plain_literals():
    assert catalogues.fstring_calls() == []
    assert catalogues.FSTRING_CALL.search('_(f"{x} filters")') and not catalogues.FSTRING_CALL.search('_("a")')
    assert catalogues.CALL_IN_FSTRING.search("""st.markdown(f"**{_('What these results say')}**")""")
    assert not catalogues.CALL_IN_FSTRING.search("""st.markdown(f"**{_(LABELS['measured'])}** — " + _("change"))""")


def test_chinese_uses_the_surveys_terms():
    for en, zh in SURVEY_TERMS.items():
        assert i18n.translate(en, "zh") == zh
    for en, zh in SURVEY_TERMS_WITHIN.items():
        assert zh in i18n.translate(en, "zh"), (en, i18n.translate(en, "zh"))
    assert i18n.translate("1x1 reductions", "en") == "1x1 reductions"
    assert i18n.translate("not in any catalogue", "zh") == "not in any catalogue"


@pytest.mark.parametrize("locale,lang", [("zh-CN", "zh"), ("zh_TW", "zh"), ("zh-Hans-CN", "zh"), ("ZH", "zh"),
                                         ("en-US", "en"), ("de-DE", "en"), (None, "en"), ("", "en")])
def test_the_browser_locale_picks_the_language(locale, lang):
    assert i18n.from_locale(locale) == lang


def test_figures_draw_translated_titles_and_axes():
    tr = lambda t: i18n.translate(t, "zh")  # noqa: E731
    fig = module_bars(explorer.cost("googlenet"), explorer.cost("googlenet", reduce_1x1=False), "params", tr=tr)
    assert fig.layout.title.text == "逐模块参数量：默认与你的选择"
    assert [t.name for t in fig.data] == ["变体默认配置", "你的选择"]
    rows = [{"variant": "inception_v3", "source_key": "paper", "source": "论文", "short": "v3", "title": "Inception-v3", "top-1": 78.8,
             "top-5": 94.4, "params": 23_851_784, "macs": 5_713_216_096, "citation": "arXiv:1512.00567"}]
    fig = accuracy_figure(rows, "macs", "top-1", tr=tr)
    assert fig.layout.xaxis.title.text == "每张图像的 MACs（计算值，对数刻度）"
    assert fig.layout.yaxis.title.text == "top-1 准确率（%）"
    assert accuracy_figure(rows, "macs", "top-1").layout.yaxis.title.text == "top-1 accuracy (%)"


def test_the_design_costs_explanations_are_translated_with_the_same_numbers():
    import re

    from explorer.arch.factorize import explain, explain_nxn

    zh = lambda t: i18n.translate(t, "zh")  # noqa: E731
    for fn, kw in ((explain, dict(factorize_5x5=True)), (explain_nxn, dict(factorize_nxn=True, factorize_mid="out"))):
        en, cn = fn("googlenet", **kw), fn("googlenet", tr=zh, **kw)
        assert cn.startswith("**为什么") and not catalogues.still_english(re.sub(r"[^\u4e00-\u9fff]", "", cn) or "x")
        numbers = lambda t: re.findall(r"\d+(?:[.,]\d+)*", t)  # noqa: E731
        assert sorted(numbers(cn)) == sorted(numbers(en)), (en, cn)


# --------------------------------------------------------------------------- the app (slow)
@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_lang_in_the_url_switches_the_whole_page_and_stays_in_the_url():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "zh"
    at.query_params["variant"] = "googlenet"
    at.switch_page("pages/design_costs.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == "设计代价：每个设计选择的代价"
    assert [m.label for m in at.metric][:2] == ["参数量", "每张图像的 MACs"]
    assert at.radio(key="cost_metric").options == ["参数量", "MACs"]
    assert at.query_params["lang"] == "zh"
    assert at.sidebar.radio(key="lang").value == "zh"


def test_streamlits_own_uploader_text_is_drawn_translated_on_that_uploader_only():
    """Streamlit writes "Upload" and "20MB per file • TOML" itself: the CSS scoped to one uploader
    hides them and draws the translation, the accepted types listed as Streamlit lists them."""
    from pages.ui import uploads

    assert uploads.types_text(["jsonl", ".json", "txt"]) == "JSONL, JSON, TXT"
    css = uploads.uploader_css("lab_upload", "上传", "每个文件最大 20 MB", ["jsonl", "json", "txt"])
    assert 'content: "上传"' in css and 'content: "每个文件最大 20 MB • JSONL, JSON, TXT"' in css
    rules = [line for line in css.splitlines() if "{" in line or line.startswith(".")]
    assert rules and all(line.startswith(".st-key-lab_upload ") for line in rules)  # this uploader only
    assert 'content: "每个文件最大 20 MB"' in uploads.uploader_css("upload", "上传", "每个文件最大 20 MB")
    assert uploads.css_string('a "b"\\c\n<style>') == '"a \\"b\\"\\\\c \\3c style>"'
    assert i18n.translate("{size} MB per file", "zh").format(size=20) == "每个文件最大 20 MB"
    assert i18n.translate("Upload", "zh") == "上传"


@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_switching_the_language_keeps_every_choice():
    """Radios and selectboxes send back their option's *text*, which the switch changes: every
    choice must survive it (Streamlit reads a keyed widget's value with the old labels)."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["variant"] = "googlenet"
    at.query_params["reduce_1x1"] = "0"  # the waterfall chart is drawn too
    at.switch_page("pages/design_costs.py").run()
    assert at.title[0].value == "Design costs: what each choice costs" and at.query_params["lang"] == "en"
    at.selectbox(key="color_by").set_value("batch_norm").run()  # not the default; its label changes
    at.sidebar.radio(key="opt_head").set_value("fc").run()  # a sidebar radio, not the default either
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "设计代价：每个设计选择的代价"
    assert at.selectbox(key="color_by").value == "batch_norm" and at.query_params["color_by"] == "batch_norm"
    assert at.sidebar.radio(key="opt_head").value == "fc" and at.query_params["head"] == "fc"
    assert at.query_params["lang"] == "zh" and at.query_params["reduce_1x1"] == "0"


@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_a_bad_lang_is_ignored_with_a_warning():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = "fr"
    at.run()
    assert not at.exception
    assert any("lang='fr'" in w.value for w in at.warning)
    assert at.query_params["lang"] == "en"
