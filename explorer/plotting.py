"""Shared Plotly styling: large fonts that read on a projector (no streamlit here)."""
from __future__ import annotations

from typing import Optional

FONT = dict(size=17, family="Source Sans Pro, Arial, sans-serif")


def style(fig, *, title: Optional[str] = None, height: int = 460):
    """White template, projector-size fonts, room for axis titles; returns `fig`."""
    fig.update_layout(template="plotly_white", font=FONT, height=height,
                      margin=dict(l=75, r=30, t=75 if title else 30, b=65),
                      hoverlabel=dict(font_size=16), legend=dict(font=dict(size=15)))
    if title:
        fig.update_layout(title=dict(text=title, font=dict(size=21)))
    return fig
