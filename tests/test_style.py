"""Chart titles that fit: wrapping by display width (a Chinese character is two Latin letters
wide), never starting a line with closing punctuation, the axis titles of a translated chart, and
legends outside the plot kept clear of wrapped titles, and the trimmed white template."""
from __future__ import annotations

import plotly.graph_objects as go

import explorer
from explorer.figures.costs import module_bars
from explorer.figures.published import accuracy_figure
from explorer.figures.style import AXIS_CHARS, TITLE_CHARS, display_width, fit_titles, high_contrast, legend_room, wrap


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


def _plot_height(fig) -> float:
    return fig.layout.height - fig.layout.margin.t - fig.layout.margin.b


def test_a_legend_above_the_plot_sits_under_a_wrapped_title_and_the_plot_keeps_its_height():
    """The per-module bars: a two-line title ran into the legend over the plot (13 px in Chromium,
    tests/test_browser_layout.py checks the drawing). Now the legend sits just over the plot and the
    title's pad lifts its first line over the legend by the height of the lines hanging below it."""
    before = explorer.cost("googlenet")
    fig = module_bars(before, before)
    plot = _plot_height(fig)
    fit_titles(fig)
    assert fig.layout.title.text.count("<br>") == 1  # "params per module: default vs your<br>choices"
    plot -= 27  # fit_titles' room for the second title line; the legend's room made the figure taller
    assert _plot_height(fig) == plot
    legend, title = fig.layout.legend, fig.layout.title
    assert (legend.yref, legend.yanchor, title.yref, title.yanchor, title.y) == ("paper", "bottom", "paper", "bottom", 1)
    assert abs((legend.y - 1) * plot - 6) < 1e-9  # the legend's bottom 6 px over the plot
    # two legend entries, one per row on a phone: 2 * (1.3 * 15 + 8) + 6 = 61 px; the pad also
    # holds the second title line (1.3 * 21)
    assert abs(title.pad.b - (6 + 61 + 12 + 1.3 * 21)) < 1e-9
    assert fig.layout.margin.t >= 10 + 2 * 1.3 * 21 + 12 + 61 + 6
    layout = fig.layout.to_plotly_json()
    assert legend_room(fig).layout.to_plotly_json() == layout  # placed once: the same again
    high_contrast(fig)  # a projector's larger fonts: more room, the plot still the same height
    assert fig.layout.margin.t > layout["margin"]["t"] and abs(_plot_height(fig) - plot) < 1e-9


def test_a_legend_under_the_plot_sits_under_a_wrapped_x_axis_title():
    """The accuracy chart: its x-axis title wraps into two lines ("parameters (computed, log" /
    "scale)") and ran 21 px into the legend under it. Now the legend's top is placed, in the
    figure's own pixels, under the tick labels and both lines."""
    rows = [dict(variant=v, short=v, title=v, source=s, source_key=k, citation="c", params=p, macs=2 * p,
                 **{"top-1": a}) for v, s, k, p, a in (
        ("googlenet", "Paper (single model, single crop)", "paper", 6_998_552, 69.8),
        ("inception_v3", "TF-slim model zoo", "tf_slim", 23_851_784, 78.0),
        ("inception_v4", "torchvision weights meta", "torchvision", 42_711_400, 80.2),
        ("inception_resnet_v2", "keras.applications", "keras", 55_873_736, 80.3))]
    fig = accuracy_figure(rows, "params", "top-1")
    plot = _plot_height(fig)
    fit_titles(fig)
    assert fig.layout.xaxis.title.text == "parameters (computed, log<br>scale)"
    assert _plot_height(fig) == plot - 27 - 22  # the wrapped titles' room; the legend's made the figure taller
    legend, height, bottom = fig.layout.legend, fig.layout.height, fig.layout.margin.b
    assert (legend.yref, legend.yanchor) == ("container", "top")
    legend_top = (1 - legend.y) * height  # px from the figure's top
    under = 1.4 * 17 + 12 + 2 * 1.3 * 17 + 10  # tick labels, two title lines
    assert abs(legend_top - (height - bottom + under)) < 1e-6
    assert bottom >= under + 4 * (1.3 * 15 + 8) + 6 + 8  # four entries and "source:": four rows on a phone
    # the log axis is labelled in full at 1, 2 and 5 of each decade, not "2" and "5" alone
    assert fig.layout.xaxis.tickformat == "~s"
    assert list(fig.layout.xaxis.tickvals) == [5e6, 1e7, 2e7, 5e7]
    macs = accuracy_figure(rows, "macs", "top-1").layout.xaxis
    assert list(macs.tickvals) == [1e7, 2e7, 5e7, 1e8] and macs.tickformat == "~s"



def test_every_log_axis_is_labelled_in_full_at_one_two_and_five():
    """The cost and lab charts' log axes share the accuracy chart's ticks (`style.log_axis`), thinned
    where a phone could not fit them."""
    from explorer.figures.costs import combos_figure
    from explorer.figures.lab import measured_accuracy_figure
    from explorer.figures.style import log_axis, log_ticks

    assert log_ticks(3e5, 2.5e6) == [5e5, 1e6, 2e6]
    # too many for a phone: 1 and 3 of each decade, then the powers of ten
    assert log_ticks(1.3e7, 1.25e9) == [3e7, 1e8, 3e8, 1e9]
    assert log_ticks(1e3, 1e8) == [1e3, 1e4, 1e5, 1e6, 1e7, 1e8]
    assert log_axis([0, None]) == {"type": "log"}
    rows = [dict(params=p, macs=m, batch_norm=b) for p, m, b in ((6e6, 1.5e9, True), (2.4e7, 5.7e9, False))]
    fig = combos_figure(rows, ["batch_norm"], "batch_norm", current=rows[1], default=rows[0])
    assert list(fig.layout.xaxis.tickvals) == [5e6, 1e7, 2e7] and fig.layout.xaxis.tickformat == "~s"
    assert list(fig.layout.yaxis.tickvals) == [1e9, 2e9, 5e9] and fig.layout.yaxis.type == "log"
    lab = measured_accuracy_figure([dict(params=1.2e5, macs=3e7, accuracy_mean=0.5, accuracy_std=0.01, n_seeds=1,
                                         label="baseline")])
    assert list(lab.layout.xaxis.tickvals) == [1e5] and lab.layout.xaxis.tickformat == "~s"


def test_the_figures_template_is_plotly_white_for_every_trace_type_drawn():
    """`style` sets plotly_white cut to the trace types explorer draws (cheaper to validate on every
    figure): its layout and those types' defaults equal plotly_white's, and no type that a figure
    or page draws and plotly_white styles is missing from it."""
    import re
    from pathlib import Path

    import plotly.io as pio

    from explorer.figures.style import DRAWN, style, template

    white = pio.templates["plotly_white"]
    t = template()
    assert t.layout.to_plotly_json() == white.layout.to_plotly_json()
    assert set(t.to_plotly_json()["data"]) == set(DRAWN)
    assert all(t.data[kind] == white.data[kind] for kind in DRAWN)
    assert len(t.to_plotly_json()["data"]) < len(white.to_plotly_json()["data"])
    root = Path(__file__).resolve().parent.parent
    drawn = {name.lower() for path in [*root.glob("explorer/**/*.py"), *root.glob("pages/**/*.py")]
             for name in re.findall(r"\bgo\.([A-Z][A-Za-z]+)\(", path.read_text(encoding="utf-8"))}
    styled = set(white.to_plotly_json()["data"])
    assert {"bar", "scatter", "heatmap"} <= drawn and drawn & styled <= set(DRAWN), drawn & styled
    fig = style(go.Figure(go.Bar(y=[1, 2])), title="Title")
    assert fig.layout.template.layout.plot_bgcolor == white.layout.plot_bgcolor == "white"
    assert fig.layout.title.text == "Title" and fig.layout.title.font.size == 21 and fig.layout.margin.t == 75
