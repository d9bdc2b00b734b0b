"""Why factorising a 5x5 into two 3x3 convolutions costs more or less, from the actual widths.

A 5x5 from r to f channels has 25 r f weights; two 3x3 through a middle width m have
9 r m + 9 m f. Which is smaller depends on m: Inception-v3 (sec. 3.1) grows the width by the same
factor in both steps, m = sqrt(r f), and then the pair is cheaper whenever 0.18 r < f < 5.5 r
(9 + 9 t^2 < 25 t for t = sqrt(f / r)); all the widening in the first conv (m = f) is cheaper
only while f < 1.78 r; all of it in the second (m = r) whenever f > 0.56 r. `explain(variant, **choices)`
says which case the configuration is in, with its own numbers (no Keras).

`factorize_nxn` splits a kxk conv (r -> f) into 1xk then kx1 through a middle width m that no paper
gives (GoogLeNet's and BN-Inception's 3x3s): k r f k weights become k r m + k m f, cheaper for
m = sqrt(r f) whenever t + 1/t < k (t = sqrt(f / r)); `explain_nxn` says so with the configuration's
own numbers.
"""
from __future__ import annotations

from typing import Callable, Optional

from explorer.arch.graph import five_widths, nxn_widths
from explorer.arch.validate import choices as validated
from explorer.zoo.variants import get_spec


def N_(text: str) -> str:
    """Mark a text for the UI's catalogues (tools/i18n.py); `tr()` translates it where it is shown."""
    return text


RULE_TEXT = {"sqrt": N_("m = √(r·f), the Inception-v3 rule"), "out": N_("m = f, all the widening in the first 3x3"),
             "in": N_("m = r, all the widening in the second 3x3")}
# two 3x3 (r -> m -> f) are cheaper than a 5x5 (r -> f) for f / r in these ranges (m by the rule)
CHEAPER = {"sqrt": (((25 - 301 ** 0.5) / 18) ** 2, ((25 + 301 ** 0.5) / 18) ** 2), "out": (0.0, 16 / 9),
           "in": (9 / 16, float("inf"))}


def pair_weights(r: int, m: int, f: int) -> int:
    """Weights of two 3x3 convolutions r -> m -> f (biases and BN left out)."""
    return 9 * r * m + 9 * m * f


def factorization(variant: str, **choices) -> Optional[dict]:
    """The configuration's "5x5" branches and their weights as one 5x5 and as two 3x3: branches
    (five_widths rows with weights_5x5 / weights_pair), total_5x5, total_pair, change (pair
    against 5x5, a fraction), example (the first branch), rule, published (every m published).
    None when the variant has no "5x5"."""
    c = validated(variant, **choices)
    rows = five_widths(get_spec(variant), c)
    if not rows:
        return None
    for row in rows:
        row["weights_5x5"] = 25 * row["r"] * row["f"]
        row["weights_pair"] = pair_weights(row["r"], row["m"], row["f"])
    t5, tp = sum(r["weights_5x5"] for r in rows), sum(r["weights_pair"] for r in rows)
    return {"branches": rows, "total_5x5": t5, "total_pair": tp, "change": (tp - t5) / t5, "example": rows[0],
            "rule": c.factorize_mid, "published": all(r["published"] for r in rows),
            "factorized": rows[0]["factorized"]}


def _same(text: str) -> str:
    return text


def explain(variant: str, tr: Callable[[str], str] = _same, **choices) -> Optional[str]:
    """One sentence (Markdown) on why two 3x3 convolutions cost more or less than the 5x5 they
    replace in this configuration, computed from its branches' r, m and f; None without a 5x5.
    `tr` translates its templates (the app passes its `_`)."""
    fz = factorization(variant, **choices)
    if fz is None:
        return None
    ex, n = fz["example"], len(fz["branches"])
    widen = sorted({float(f"{b['f'] / b['r']:.2g}") for b in fz["branches"]})
    how = (tr("the papers' published middle widths") if fz["published"]
           else f"{tr(RULE_TEXT[fz['rule']])}, `factorize_mid=\"{fz['rule']}\"`")
    head = tr("**Why the cost goes down:**") if fz["change"] < 0 else tr("**Why the cost goes up:**")
    body = (tr("the {n} \"5x5\" branches go from r to f = {span} × r channels; as two 3x3 they go r → m → f "
               "({module}: {r} → {m} → {f}; {how}), 9·r·m + 9·m·f = {pair} weights against 25·r·f = {five} for "
               "the 5x5s, {pct} {verdict}{state}; {reason}") if n > 1 else
            tr("the 1 \"5x5\" branch goes from r to f = {span} × r channels; as two 3x3 it goes r → m → f "
               "({module}: {r} → {m} → {f}; {how}), 9·r·m + 9·m·f = {pair} weights against 25·r·f = {five} for "
               "the 5x5, {pct} {verdict}{state}; {reason}"))
    return head + " " + body.format(
        n=n, span=_span(widen), module=ex["module"], r=ex["r"], m=ex["m"], f=ex["f"], how=how,
        pair=f"{fz['total_pair']:,}", five=f"{fz['total_5x5']:,}", pct=f"{abs(fz['change']):.0%}",
        verdict=tr("fewer") if fz["change"] < 0 else tr("more"),
        state="" if fz["factorized"] else tr(" (turn on `factorize_5x5` to build it)"), reason=_reason(fz, tr))


def _span(values: list[float]) -> str:
    return f"{values[0]:g}" if len(values) == 1 else f"{values[0]:g}–{values[-1]:g}"


def _reason(fz: dict, tr: Callable[[str], str] = _same) -> str:
    if fz["published"]:
        return tr("the widths are the paper's, not a rule's.")
    lo, hi = CHEAPER[fz["rule"]]
    if fz["rule"] == "sqrt":
        return tr("with m = √(r·f) the pair is cheaper whenever {lo}·r < f < {hi}·r.").format(lo=f"{lo:.2f}", hi=f"{hi:.1f}")
    if fz["rule"] == "out":
        return tr("with m = f the pair is cheaper only while f < {hi}·r.").format(hi=f"{hi:.2f}")
    return tr("with m = r the pair is cheaper whenever f > {lo}·r.").format(lo=f"{lo:.2f}")


def nxn_cheaper(rule: str, k: int) -> tuple[float, float]:
    """The range of f / r in which 1xk + kx1 (r -> m -> f, m by `rule`) has fewer weights than a kxk."""
    if rule == "out":  # k r f + k f f < k k r f  <=>  f < (k - 1) r
        return 0.0, k - 1.0
    if rule == "in":  # k r r + k r f < k k r f  <=>  f > r / (k - 1)
        return 1 / (k - 1), float("inf")
    root = (k * k - 4) ** 0.5  # t + 1/t < k, t = sqrt(f / r)
    return ((k - root) / 2) ** 2, ((k + root) / 2) ** 2


def explain_nxn(variant: str, tr: Callable[[str], str] = _same, **choices) -> Optional[str]:
    """One sentence (Markdown) on why splitting each factorizable kxk into 1xk + kx1 costs more or
    less in this configuration, from its own r, m, f; None when the variant has no such conv or the
    papers publish every split's widths. `tr` translates its templates."""
    c = validated(variant, **choices)
    rows = nxn_widths(get_spec(variant), c)
    if not rows:
        return None
    whole = sum(r["k"] ** 2 * r["r"] * r["f"] for r in rows)
    split = sum(r["k"] * r["m"] * (r["r"] + r["f"]) for r in rows)
    change, ex = (split - whole) / whole, rows[0]
    lo, hi = nxn_cheaper(c.factorize_mid, ex["k"])
    rng = f"f > {lo:.2f}·r" if hi == float("inf") else (f"f < {hi:.2g}·r" if lo == 0 else f"{lo:.2f}·r < f < {hi:.2f}·r")
    head = (tr("**Why splitting each n×n into 1×n + n×1 costs less:**") if change < 0 else
            tr("**Why splitting each n×n into 1×n + n×1 costs more:**"))
    return head + " " + tr(
        "{n} convolutions go from r to f channels through a middle width m that no paper gives ({rule}, "
        "`factorize_mid=\"{mid}\"`; {module}'s {label} branch: {r} → {m} → {f}); n·r·m + n·m·f = {split} weights "
        "against n²·r·f = {whole}, {pct} {verdict}{state}; for a {k}×{k} the split is cheaper whenever {range}.").format(
        n=len(rows), rule=RULE_TEXT[c.factorize_mid].split(",")[0].replace("3x3", "conv"), mid=c.factorize_mid,
        module=ex["module"], label=ex["label"], r=ex["r"], m=ex["m"], f=ex["f"], split=f"{split:,}",
        whole=f"{whole:,}", pct=f"{abs(change):.0%}", verdict=tr("fewer") if change < 0 else tr("more"),
        state="" if rows[0]["factorized"] else tr(" (turn on `factorize_nxn` to build it)"), k=ex["k"], range=rng)
