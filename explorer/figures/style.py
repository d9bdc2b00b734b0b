"""Shared Plotly styling: large fonts that read on a projector, the colours of module kinds and
branch labels, the modebar (PNG download), and the text hook: every figure takes `tr`, a callable
that translates its English text (the app passes its gettext `_`; the default leaves it English).
No Streamlit here."""
from __future__ import annotations

import functools
from typing import Callable, Optional

Translate = Callable[[str], str]


def same(text: str) -> str:
    """The default `tr`: English as written."""
    return text


def N_(text: str) -> str:
    """Mark a text for the catalogues where it is defined; `tr()` translates it where it is drawn."""
    return text


FONT = dict(size=17, family="Source Sans Pro, Arial, sans-serif")


DRAWN = ("bar", "scatter", "heatmap")  # the trace types explorer draws that plotly_white styles


@functools.lru_cache(maxsize=1)
def template():
    """Plotly's "plotly_white" with the trace defaults of `DRAWN` only: the same look for every
    figure here, at 40 % of the size. Plotly validates and copies a figure's template whenever it
    is set, and Streamlit validates each figure again: the whole template took 12.5 ms per figure,
    this one 6.7 ms (medians of 40)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    white = pio.templates["plotly_white"]
    return go.layout.Template(layout=white.layout, data={kind: white.data[kind] for kind in DRAWN})


def style(fig, *, title: Optional[str] = None, height: int = 460):
    """White template, projector-size fonts, room for axis titles; returns `fig`."""
    fig.update_layout(template=template(), font=FONT, height=height,
                      margin=dict(l=75, r=30, t=75 if title else 30, b=65),
                      hoverlabel=dict(font_size=16), legend=dict(font=dict(size=15)),
                      **({"title": dict(text=title, font=dict(size=21))} if title else {}))
    return fig


def log_ticks(lo: float, hi: float, most: int = 4) -> list[float]:
    """Ticks of a log axis from `lo` to `hi`: 1, 2 and 5 times each power of ten, or where that
    gives more than `most`, 1 and 3, or else the powers of ten alone. Explicit ticks are never
    thinned by plotly, and on a phone five or more full labels ("100M", "200M") run into each other."""
    import math

    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        ticks = [m * 10.0 ** e for e in decades for m in mantissas if lo <= m * 10.0 ** e <= hi]
        if len(ticks) <= most:
            break
    return ticks


def log_axis(values, pad: float = 1.5) -> dict:
    """A log axis over `values` with `log_ticks` labelled in full ("500k", "20M", "2G"): plotly's
    own log ticks (dtick "D2") label the 2s and 5s as a bare "2" and "5"."""
    values = [v for v in values if v and v > 0]
    if not values:  # nothing to place ticks around: plotly's own
        return dict(type="log")
    return dict(type="log", tickvals=log_ticks(min(values) / pad, max(values) * pad), tickformat="~s")


TITLE_CHARS = 34  # a title line that fits a phone-wide chart (and half a projector's page)
AXIS_CHARS = 28


def _width(ch: str) -> int:
    """Display width of a character in Latin letters: CJK and full-width forms take two."""
    return 2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1


def display_width(text: str) -> int:
    """Width of `text` in Latin letters (a Chinese character counts two)."""
    return sum(_width(c) for c in text)


def wrap(text: str, chars: int = TITLE_CHARS) -> str:
    """`text` broken into lines of at most `chars` (Plotly `<br>`): at spaces in Latin text, between
    any two characters in Chinese. Existing `<br>` are kept."""
    lines = []
    for part in (text or "").split("<br>"):
        line, width = "", 0
        for word in _words(part):
            w = display_width(word)
            if line and width + w > chars:
                lines.append(line.rstrip())
                line, width = word.lstrip(), display_width(word.lstrip())
            else:
                line, width = line + word, width + w
        lines.append(line.rstrip())
    return "<br>".join(lines)


NO_LINE_START = set("，。、；：！？）」』》％")  # Chinese punctuation that never starts a line
NO_LINE_END = set("（「『《")  # nor ends one


def _words(text: str) -> list[str]:
    """Break points: a Latin word with the space before it, or one CJK character; a closing
    punctuation mark stays with what comes before it, an opening one with what follows."""
    out, cur = [], ""
    for ch in text:
        if ch in NO_LINE_START and (cur or out):
            if cur:
                cur += ch
            else:
                out[-1] += ch
        elif ch in NO_LINE_END:
            if cur:
                out.append(cur)
            cur = ch
        elif _width(ch) == 2:
            opening = cur.strip() and all(c in NO_LINE_END for c in cur.strip())
            out += [cur + ch] if opening else [w for w in (cur, ch) if w]
            cur = ""
        elif ch == " " and cur.strip():
            out.append(cur)
            cur = " "
        else:
            cur += ch
    return out + ([cur] if cur else [])


def fit_titles(fig, chars: int = TITLE_CHARS):
    """Wrap the title and the axis titles so that none is cut off on a narrow chart, making room
    for the extra lines. Returns `fig`."""
    title = fig.layout.title.text
    if title and "<br>" not in title:
        wrapped = wrap(title, chars)
        fig.update_layout(title_text=wrapped)
        extra = wrapped.count("<br>") * 27
        if extra:
            fig.update_layout(margin=dict(t=(fig.layout.margin.t or 75) + extra))
    for axis in (fig.layout.xaxis, fig.layout.yaxis):
        text = axis.title.text
        if text and "<br>" not in text and display_width(text) > AXIS_CHARS:
            axis.title.text = wrap(text, AXIS_CHARS)
    if fig.layout.xaxis.title.text and "<br>" in fig.layout.xaxis.title.text:
        fig.update_layout(margin=dict(b=(fig.layout.margin.b or 65) + 22))
    return legend_room(fig)


LEGEND_WIDTH = 250  # px a legend row has on a phone, the narrowest chart (wider ones get room to spare)


def _lines(text) -> int:
    return text.count("<br>") + 1 if text else 0


def _legend_height(fig) -> float:
    """Px a horizontal legend takes: its rows (items wrap past `LEGEND_WIDTH`) of one line each."""
    size = fig.layout.legend.font.size or FONT["size"]
    names = [t.name for t in fig.data if t.name and t.showlegend is not False]
    title = fig.layout.legend.title.text or ""
    width = sum(display_width(n) * 0.55 * size + 45 for n in names) + display_width(title) * 0.55 * size
    rows = max(1, -(-int(width) // LEGEND_WIDTH))
    return rows * (1.3 * size + 8) + 6


def legend_room(fig):
    """A horizontal legend outside the plot, placed in pixels clear of a wrapped title or x-axis
    title. Above the plot: the legend just over it, the title over the legend (Plotly anchors a
    title's first line and hangs the others below it, so the pad counts them). Below the plot:
    under the tick labels and the x-axis title. Rows are counted for a phone's width. The figure
    grows by the room it needs, so the plot keeps its height. Measured for the fonts the figure has
    now: call again after changing them (`high_contrast` does). Returns `fig`."""
    legend = fig.layout.legend
    container = legend.yref == "container"
    if legend.orientation != "h" or legend.y is None or (not container and 0 <= legend.y <= 1):
        return fig
    height = fig.layout.height or 450
    margin = fig.layout.margin
    need = _legend_height(fig)
    if legend.y > 0.5:  # above the plot: the legend just over it, the title's last line over the legend
        size, lines = fig.layout.title.font.size or 21, _lines(fig.layout.title.text)
        top = max(margin.t or 0, 10 + lines * 1.3 * size + 12 + need + 6)
        height += top - (margin.t or 0)
        plot = height - top - (margin.b or 0)
        fig.update_layout(height=height, margin=dict(t=top),
                          legend=dict(yref="paper", y=1 + 6 / plot, yanchor="bottom"))
        if lines:
            fig.update_layout(title=dict(yref="paper", y=1, yanchor="bottom",
                                         pad=dict(b=6 + need + 12 + (lines - 1) * 1.3 * size)))
    else:  # below the plot, under the tick labels and the x-axis title
        axis_size = fig.layout.xaxis.title.font.size or fig.layout.font.size or FONT["size"]
        tick_size = fig.layout.xaxis.tickfont.size or fig.layout.font.size or FONT["size"]
        under = 1.4 * tick_size + 12 + _lines(fig.layout.xaxis.title.text) * 1.3 * axis_size + 10
        bottom = max(margin.b or 0, under + need + 8)
        height += bottom - (margin.b or 0)
        fig.update_layout(height=height, margin=dict(b=bottom),  # room to spare goes under the legend
                          legend=dict(yref="container", y=(bottom - under) / height, yanchor="top"))
    return fig


def high_contrast(fig):
    """The figure for a projector (lecture mode): black text a size larger, black axis lines,
    darker grid, bigger markers and thicker lines, outlined bars. Returns `fig`."""
    base = (fig.layout.font.size or FONT["size"]) + 3
    title = fig.layout.title.font.size
    fig.update_layout(font=dict(size=base, color="black"), legend=dict(font=dict(size=base - 1, color="black")),
                      hoverlabel=dict(font_size=base))
    if fig.layout.title.text:
        fig.update_layout(title=dict(font=dict(size=(title or 21) + 4, color="black")))
    axis = dict(linecolor="black", linewidth=2, gridcolor="#b0b0b0", zerolinecolor="#606060",
                tickfont=dict(color="black", size=base - 1), title_font=dict(color="black", size=base + 1))
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    for trace in fig.data:
        if trace.type == "scatter":
            size = trace.marker.size
            if size is not None:
                trace.marker.size = [s * 1.3 for s in size] if isinstance(size, (list, tuple)) else size * 1.3
            if trace.line.width is not None:
                trace.line.width = trace.line.width * 1.6
            if trace.textfont.size is not None:
                trace.textfont.size = trace.textfont.size + 3
        elif trace.type == "bar":
            trace.marker.line = dict(color="black", width=1)
        elif trace.type == "waterfall":
            trace.connector.line.color = "black"
    for ann in fig.layout.annotations:
        ann.font.color = "black"
        if ann.font.size is not None:
            ann.font.size = ann.font.size + 2
    return legend_room(fig)


KIND_COLORS = {"stem": "#7f7f7f", "pool": "#bcbd22", "conv": "#8c564b", "inception": "#1f77b4",
               "reduction": "#ff7f0e", "residual": "#2ca02c", "head": "#9467bd"}
BRANCH_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
LABEL_COLORS = {"1x1": "#1f77b4", "3x3": "#ff7f0e", "5x5": "#2ca02c", "pool": "#d62728",
                "3x3dbl": "#17becf", "7x7": "#9467bd", "7x7dbl": "#8c564b", "7x7x3": "#e377c2",
                "3x3b": "#bcbd22"}


def label_color(label: str, i: int = 0) -> str:
    return LABEL_COLORS.get(label, BRANCH_COLORS[i % len(BRANCH_COLORS)])


def plotly_config(filename: str) -> dict:
    """Modebar with a PNG download (2x scale: sharp on a projector), no Plotly logo."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
            "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
