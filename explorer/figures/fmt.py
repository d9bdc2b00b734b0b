"""Numbers for people: 23.85 M params, 5.71 GMACs, signed deltas (exact integers go in tables and
tooltips). Used by the figures, the pages and the CLI."""
from __future__ import annotations


def human(n: float, digits: int = 2) -> str:
    """23851784 -> '23.85 M'; 5713216096 -> '5.71 G'; 980 -> '980'."""
    sign = "−" if n < 0 else ""
    a = abs(float(n))
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{sign}{a / div:.{digits}f} {suffix}"
    return f"{sign}{a:,.0f}"


def fmt_params(n: float) -> str:
    """'23.85 M params'."""
    return f"{human(n)} params"


def fmt_macs(n: float) -> str:
    """'5.71 GMACs' (the prefix joined to MACs, as usually written)."""
    h = human(n)
    return f"{h}MACs" if h[-1].isalpha() else f"{h} MACs"


def signed(n: float, unit: str = "") -> str:
    """'+1.23 M', '−512', '±0'."""
    if n == 0:
        return f"±0{unit}"
    return ("+" if n > 0 else "") + human(n) + unit


def pct(new: float, old: float) -> str:
    if old == 0:
        return "n/a"
    return f"{(new - old) / old * 100:+.1f}%"
