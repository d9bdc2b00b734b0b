"""Lectures as slides: the file format (`explorer.lecture`: parse, validate with clear errors, write
back), the shipped lectures (both languages, every view a real working URL of the app), giving a
lecture (next / previous / end, each view on its page with its whole state, lecture mode on), and
building one from "Add this view". The library tests are quick; the app runs are `slow`."""
from __future__ import annotations

import json

from pathlib import Path

import pytest

from explorer import lecture as lec
from pages.ui import lectures, router, session

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "assets" / "lectures").glob("*.toml"))
PAGES = [p.url_path for p in router.PAGES]
GOOD = """
[lecture]
title = "Two views"

[[view]]
url = "design_costs?variant=googlenet&reduce_1x1=0"
title.en = "Naive"
title.zh = "朴素"
note.en = "Line one.\\nLine \\"two\\"."

[[view]]
url = "http://localhost:8501/architecture?variant=inception_v4&module=reduction_a&lang=zh&lecture=1"
title = "Reduction"
"""


# --------------------------------------------------------------------------- the format
def test_a_lecture_file_reads_into_views():
    found = lec.parse(GOOD, "good.toml", PAGES)
    assert found.title == (("en", "Two views"),)
    first, second = found.views
    assert first.page == "design_costs" and first.query == (("variant", "googlenet"), ("reduce_1x1", "0"))
    assert first.url == "design_costs?variant=googlenet&reduce_1x1=0"
    assert lec.in_language(first.title, "zh") == "朴素" and lec.in_language(first.note, "zh") == 'Line one.\nLine "two".'
    # a whole address is fine; the session's language and lecture mode are not part of a view
    assert second.page == "architecture" and dict(second.query) == {"variant": "inception_v4", "module": "reduction_a"}
    assert lec.in_language(second.title, "zh") == "Reduction" and second.note == ()


def test_writing_a_lecture_reads_back_the_same():
    found = lec.parse(GOOD, "good.toml", PAGES)
    odd = lec.LectureView("overview", (("variant", "googlenet"),), (("en", 'a "quote" \\ back\tslash\x7f'),
                                                                    ("zh", "中文\n两行")))
    found = lec.Lecture(found.title, found.views + (odd,), "good.toml")
    assert lec.parse(lec.dumps(found), "good.toml", PAGES) == found


@pytest.mark.parametrize("text,says", [
    ("[lecture\n", "not valid TOML"),
    ("[[view]]\nurl = 'overview'\ntitle = 'x'\n", "[lecture] needs a title"),
    ("[lecture]\ntitle = 'x'\n", "at least one [[view]]"),
    ("[lecture]\ntitle = 'x'\n[[view]]\nurl = 'overview'\n", "view 1: a view needs a title"),
    ("[lecture]\ntitle = 'x'\n[[view]]\nurl = 'overview'\ntitle = 'a'\nnotes = 'b'\n", "view 1: unknown key notes"),
    ("[lecture]\ntitle = 'x'\n[[view]]\nurl = 'overview'\ntitle = 'a'\n[[view]]\nurl = 'nowhere?x=1'\ntitle = 'b'\n",
     "view 2: The url names no page of the app"),
    ("[lecture]\ntitle = 'x'\n[[view]]\nurl = 'overview?variant=a&variant=b'\ntitle = 'a'\n", "gives variant more than once"),
    ("[lecture]\ntitle = 'x'\n[[view]]\nurl = ''\ntitle = 'a'\n", "A view needs a url"),
    ("[lecture]\ntitle = 'x'\n[[view]]\nurl = 'overview'\ntitle = {en = ''}\n", "view 1: title must be"),
    ("[lecture]\ntitle = 'x'\n[slides]\n", "unknown section slides"),
])
def test_a_bad_lecture_file_says_where_and_what(text, says):
    with pytest.raises(ValueError) as e:
        lec.parse(text, "bad.toml", PAGES)
    assert says in str(e.value) and "bad.toml" in str(e.value)


def test_addresses_become_pages_and_queries():
    assert lec.split_url("/", PAGES) == ("overview", ())
    assert lec.split_url("accuracy?acc_x=macs&lang=en&talk=x&slide=2", PAGES) == ("accuracy", (("acc_x", "macs"),))
    assert lec.split_url("https://demo.example/design_costs", PAGES) == ("design_costs", ())
    assert lec.SESSION_KEYS == session.URL_KEYS


# --------------------------------------------------------------------------- the shipped lectures
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_lectures_are_complete_in_both_languages(path):
    found = lec.load(path, PAGES)
    assert len(found.views) >= 5
    for text in [found.title] + [t for v in found.views for t in (v.title, v.note)]:
        assert {lang for lang, _ in text} == {"en", "zh"}, text
    assert lec.parse(lec.dumps(found), path.name, PAGES) == found


def test_the_survey_lecture_follows_the_surveys_storyline():
    views = lec.load(ROOT / "assets" / "lectures" / "inception_survey.toml", PAGES).views
    story = [  # the survey's steps, as views of the app (page, the whole view state)
        ("architecture", {"variant": "googlenet", "reduce_1x1": "0", "module": "inception_3a"}),  # the naive module
        ("design_costs", {"variant": "googlenet", "reduce_1x1": "0", "cost_metric": "params"}),  # ... and its cost
        ("architecture", {"variant": "googlenet", "module": "inception_3a"}),  # 1x1 reductions
        ("architecture", {"variant": "googlenet", "aux_heads": "1", "module": "aux_1"}),  # auxiliary heads
        ("design_costs", {"variant": "googlenet", "head": "fc"}),  # global average pooling
        ("design_costs", {"variant": "googlenet", "batch_norm": "1"}),  # batch norm
        ("architecture", {"variant": "googlenet", "factorize_5x5": "1", "module": "inception_3a"}),  # 5x5 -> two 3x3
        ("design_costs", {"variant": "inception_v3", "factorize_nxn": "0", "cost_metric": "macs"}),  # nxn -> 1xn + nx1
        ("architecture", {"variant": "inception_v4", "module": "reduction_a"}),  # reduction blocks
        ("architecture", {"variant": "inception_resnet_v2", "module": "block_a_1"}),  # residual scaling
    ]
    shown = [(v.page, dict(v.query)) for v in views]
    order = [shown.index(step) for step in story]
    assert order == sorted(order), "the steps are out of the survey's order"
    zh = " ".join(lec.in_language(v.title, "zh") for v in views)
    for term in ("朴素 Inception 模块", "1×1 卷积降维", "辅助分类器", "全局平均池化", "批归一化", "卷积分解", "残差缩放"):
        assert term in zh, term


# --------------------------------------------------------------------------- in the app (slow)
VIEWS = [(path.stem, i, v) for path in SHIPPED for i, v in enumerate(lec.load(path, PAGES).views, 1)]


@pytest.mark.slow
@pytest.mark.xdist_group("app")
@pytest.mark.parametrize("talk,n,view", VIEWS, ids=[f"{t}-{n}" for t, n, _ in VIEWS])
def test_every_view_of_a_shipped_lecture_is_a_working_url(talk, n, view):
    from tests.test_app import assert_clean, make_app

    at = make_app(view.page, **dict(view.query), lang="zh" if n % 2 else "en")
    assert_clean(at)
    ignored = [w.value for w in at.warning if w.value.startswith(("Link:", "链接："))] + [t.value for t in at.toast]
    assert not ignored, ignored  # no part of the URL was ignored
    for key, value in view.query:  # the view shown is the view asked for
        assert at.query_params[key] == value, (key, at.query_params.get(key), value)


@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_giving_a_lecture_steps_through_its_views():
    from tests.test_app import assert_clean, make_app

    views = lectures.shipped()["googlenet_in_depth"].views
    at = make_app("lecture", talk="googlenet_in_depth")
    assert_clean(at)
    assert at.selectbox(key="talk_pick").value == "googlenet_in_depth"
    # the slide titles get most of the table (they were cut at "medium"; test_browser_layout checks
    # that the widths fit at 1280x720)
    table = next(d for d in at.dataframe if "note" in d.value.columns)
    assert list(table.value["title"]) == [lec.in_language(v.title, "en") for v in views]
    columns = json.loads(table.proto.columns)
    assert (columns["title"]["width"], columns["view"]["width"], columns["note"]["width"]) == (300, 70, 160)
    assert at.query_params["talk"] == "googlenet_in_depth"
    at.button(key="lecture_start").click().run()
    assert_clean(at)
    for n in (1, 2, 3):
        view = views[n - 1]
        assert at.query_params["slide"] == str(n) and at.query_params["lecture"] == "1"
        assert {k: at.query_params[k] for k, _ in view.query} == dict(view.query)
        assert any(f"{n} / {len(views)}" in h.value for h in at.subheader)
        at.button(key="lecture_next").click().run()
        assert_clean(at)
    at.button(key="lecture_prev").click().run()
    assert at.query_params["slide"] == "3" and at.title[0].value.startswith("Design costs")
    reload = make_app(views[2].page, **dict(at.query_params))  # a reload keeps the lecture going
    assert any("3 / 5" in h.value for h in reload.subheader) and reload.title[0].value.startswith("Design costs")
    at.button(key="lecture_end").click().run()
    assert "slide" not in at.query_params and not [b for b in at.button if b.key == "lecture_next"]


@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_add_this_view_builds_a_lecture_of_the_views_shown():
    from tests.test_app import assert_clean, make_app

    at = make_app("design_costs", variant="googlenet", reduce_1x1=0, cost_metric="macs")
    at.sidebar.button(key="add_view").click().run()
    at.radio(key="cost_metric").set_value("params").run()
    at.sidebar.button(key="add_view").click().run()
    at.sidebar.button(key="open_my_lecture").click().run()
    assert_clean(at)
    assert at.session_state["talk_pick"] == lectures.MINE
    slides = next(d.value for d in at.dataframe if "view" in d.value.columns)
    assert list(slides["view"]) == ["/design_costs?variant=googlenet&reduce_1x1=0&cost_metric=macs&color_by=reduce_1x1",
                                    "/design_costs?variant=googlenet&reduce_1x1=0&cost_metric=params&color_by=reduce_1x1"]
    assert list(slides["title"]) == ["Design costs", "Design costs"]


@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_an_uploaded_lecture_file_is_read_or_refused_with_its_reason():
    from tests.test_app import assert_clean, make_app

    at = make_app("lecture")
    at.file_uploader(key="lecture_upload").set_value(("mine.toml", GOOD.encode(), "application/toml")).run()
    assert_clean(at)
    assert at.session_state["talk_pick"] == lectures.UPLOADED  # (its label needs the session: read the state)
    slides = next(d.value for d in at.dataframe if "view" in d.value.columns)
    assert list(slides["title"]) == ["Naive", "Reduction"]
    assert list(slides["view"]) == ["/design_costs?variant=googlenet&reduce_1x1=0",
                                    "/architecture?variant=inception_v4&module=reduction_a"]
    bad = "[lecture]\ntitle = 'x'\n[[view]]\nurl = 'nowhere'\ntitle = 'a'\n"
    at.file_uploader(key="lecture_upload").set_value(("bad.toml", bad.encode(), "application/toml")).run()
    assert not at.exception
    assert any("bad.toml, view 1: The url names no page of the app" in e.value for e in at.error)
