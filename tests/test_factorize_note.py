"""The Design costs page's sentence on why factorising a 5x5 costs more or less: computed from
the configuration's own r, m and f, consistent with the cost model."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

import explorer
from explorer.arch.factorize import CHEAPER, explain, explain_nxn, factorization, nxn_cheaper, pair_weights
from explorer.arch.graph import nxn_widths
from explorer.zoo.published import PUBLISHED


def test_googlenet_widths_and_weights():
    fz = factorization("googlenet", factorize_5x5=True)
    ex = fz["example"]
    assert (ex["module"], ex["r"], ex["m"], ex["f"]) == ("inception_3a", 16, 23, 32)  # round(sqrt(16 * 32))
    assert len(fz["branches"]) == 9 and fz["factorized"] and not fz["published"]
    assert fz["total_5x5"] == sum(25 * b["r"] * b["f"] for b in fz["branches"])
    # the weights' difference is the cost model's parameter difference less the biases (no BN)
    d_params = explorer.cost("googlenet", factorize_5x5=True).params - explorer.cost("googlenet").params
    d_bias = sum(b["m"] for b in fz["branches"])  # one extra conv (its bias) per branch
    assert fz["total_pair"] - fz["total_5x5"] + d_bias == d_params


@pytest.mark.parametrize("rule, word, pct", [("sqrt", "down", "16% fewer"), ("out", "up", "48% more"),
                                             ("in", "down", "52% fewer")])
def test_sentence_direction_follows_the_rule(rule, word, pct):
    text = explain("googlenet", factorize_5x5=True, factorize_mid=rule)
    assert f"Why the cost goes {word}" in text and pct in text
    assert f'factorize_mid="{rule}"' in text and "2–4 × r" in text
    direction = explorer.cost("googlenet", factorize_5x5=True, factorize_mid=rule).params - explorer.cost("googlenet").params
    assert (direction < 0) == (word == "down")


def test_published_widths_and_variants_without_a_5x5():
    text = explain("bn_inception")
    assert "published middle widths" in text and "64 → 96 → 96" in text
    assert explain("inception_v4") is None
    assert "turn on `factorize_5x5`" in explain("googlenet")  # off by default: says how to build it


def test_cheaper_ranges_are_where_the_pair_costs_less():
    for rule, (lo, hi) in CHEAPER.items():
        for ratio in (lo * 0.9, lo * 1.1, min(hi, 50) * 0.9, hi * 1.1 if math.isfinite(hi) else 100):
            r, f = 1000, ratio * 1000
            m = {"sqrt": math.sqrt(r * f), "out": f, "in": r}[rule]
            cheaper = pair_weights(r, m, f) < 25 * r * f
            assert cheaper == (lo < ratio < hi), (rule, ratio)


def test_published_text_says_under_which_widths_28_percent_holds():
    text = PUBLISHED["factorize_5x5"]["published"]
    assert "28%" in text and "widths are equal" in text and "9 m (r + f)" in text


@pytest.mark.parametrize("extra", [{}, {"factorize_5x5": True}, {"kernel_5x5": 3}])
@pytest.mark.parametrize("rule", ["sqrt", "out", "in"])
def test_nxn_split_widths_agree_with_the_cost_model(rule, extra):
    kw = dict(factorize_nxn=True, factorize_mid=rule, **extra)
    rows = nxn_widths("googlenet", explorer.choices("googlenet", **kw))
    assert len(rows) == (27 if extra.get("factorize_5x5") else 18)  # 9 modules: the 3x3 and each "5x5" conv
    ex = rows[0]
    assert (ex["module"], ex["label"], ex["k"], ex["r"], ex["f"]) == ("inception_3a", "3x3", 3, 96, 128)
    assert ex["m"] == {"sqrt": 111, "out": 128, "in": 96}[rule]  # round(sqrt(96 * 128)) = 111
    # weights of the splits less those of the kxk convs, plus one extra bias per split (no BN) = the cost model's
    d = explorer.cost("googlenet", **kw).params - explorer.cost("googlenet", **extra, factorize_mid=rule).params
    weights = sum(r["k"] * r["m"] * (r["r"] + r["f"]) - r["k"] ** 2 * r["r"] * r["f"] for r in rows)
    assert weights + sum(r["m"] for r in rows) == d


def test_nxn_sentence_and_cheaper_ranges():
    text = explain_nxn("googlenet", factorize_nxn=True)
    assert "costs less" in text and "96 → 111 → 128" in text and "34% fewer" in text
    assert "0.15·r < f < 6.85·r" in text and "turn on" not in text
    assert "turn on `factorize_nxn`" in explain_nxn("googlenet")
    assert explain_nxn("inception_v3") is None and explain_nxn("inception_v4") is None  # published splits
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"`factorize_nxn=True` has {explorer.cost('googlenet', factorize_nxn=True).params:,} parameters" in readme
    for rule in ("sqrt", "out", "in"):
        lo, hi = nxn_cheaper(rule, 3)
        for ratio in (lo * 0.9 if lo else 0.01, lo * 1.1 if lo else 0.02, min(hi, 50) * 0.9, hi * 1.1 if hi < 50 else 100):
            r, f = 1000, ratio * 1000
            m = {"sqrt": math.sqrt(r * f), "out": f, "in": r}[rule]
            assert (3 * m * (r + f) < 9 * r * f) == (lo < ratio < hi), (rule, ratio)


@pytest.mark.slow
def test_design_costs_page_says_why_next_to_the_numbers():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"), default_timeout=120)
    at.query_params["variant"] = "googlenet"
    at.query_params["factorize_5x5"] = "true"
    at.query_params["factorize_mid"] = "out"
    at.query_params["factorize_nxn"] = "true"
    at.switch_page("pages/design_costs.py").run()
    assert not at.exception and not at.error
    text = "\n".join(m.value for m in at.markdown)
    assert explain("googlenet", factorize_5x5=True, factorize_mid="out", factorize_nxn=True) in text
    assert explain_nxn("googlenet", factorize_5x5=True, factorize_mid="out", factorize_nxn=True) in text
    assert "Why the cost goes up" in text and "16 → 32 → 32" in text
