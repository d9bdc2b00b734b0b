"""Chart titles that fit: wrapping by display width (a Chinese character is two Latin letters
wide), never starting a line with closing punctuation, and the axis titles of a translated chart."""
from __future__ import annotations

import plotly.graph_objects as go

from explorer.figures.style import AXIS_CHARS, TITLE_CHARS, display_width, fit_titles, wrap


def test_display_width_counts_chinese_twice():
    assert display_width("MACs") == 4
    assert display_width("每张图像的 MACs") == 2 * 5 + 1 + 4
    assert display_width("（百分点）") == 10


def test_wrap_breaks_latin_at_spaces_and_chinese_anywhere_within_the_width():
    latin = "Per-module parameters: the variant's default against your choices"
    lines = wrap(latin, TITLE_CHARS).split("<br>")
    assert lines == ["Per-module parameters: the", "variant's default against your", "choices"]
    chinese = "留出集准确率相对基线的变化（百分点）"
    lines = wrap(chinese, AXIS_CHARS).split("<br>")
    assert "".join(lines) == chinese
    assert lines == ["留出集准确率相对基线的变化", "（百分点）"]  # not "...变化（" + "百分点）"
    assert all(display_width(x) <= AXIS_CHARS for x in lines)


def test_a_line_never_starts_with_closing_nor_ends_with_opening_punctuation():
    text = "一二三四五六七八九十一二三四，五六七八九十一二三四五六七（MACs）与参数"  # "，" and "（" fall on breaks
    lines = wrap(text, 28).split("<br>")
    assert "".join(lines) == text
    assert lines == ["一二三四五六七八九十一二三", "四，五六七八九十一二三四五六", "七（MACs）与参数"]
    assert all(display_width(x) <= 28 for x in lines)


def test_fit_titles_wraps_a_chinese_axis_title_by_its_width_and_makes_room():
    fig = go.Figure(layout=dict(margin=dict(b=65)))
    fig.update_xaxes(title_text="留出集准确率相对基线的变化（百分点）")  # 18 characters, 36 letters wide
    fig.update_yaxes(title_text="top-1 准确率（%）")  # fits: left alone
    fit_titles(fig)
    assert fig.layout.xaxis.title.text == "留出集准确率相对基线的变化<br>（百分点）"
    assert fig.layout.yaxis.title.text == "top-1 准确率（%）"
    assert fig.layout.margin.b == 65 + 22
