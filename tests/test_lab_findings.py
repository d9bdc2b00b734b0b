"""What a results file says, computed from it: the README's generated block is the shipped file's,
how far a preset's sweep has got, the learning-rate search table, and the findings' numbers."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from explorer import lab
from explorer.cli import ablate as cli
from explorer.lab import findings, report
from explorer.lab.summary import lr_text
from tools.i18n import CHINESE

README = Path(__file__).resolve().parent.parent / "README.md"
PRESET = dataclasses.replace(lab.SHIPPED, grid=((), (("batch_norm", True),), (("reduce_1x1", False),)),
                             seeds=(0, 1), lrs=(1e-3, 3e-3))


def _rec(label, change, seed, lr, acc, tune, train_loss, params=10, moving=None):
    cfg = {"choices": {"width": 0.25, **change}, "seed": seed, "learning_rate": lr, "epochs": 2}
    metrics = {"accuracy": acc, "tune_accuracy": tune, "tune_loss": 1.0, "aux_accuracy": [], "params": params,
               "macs": 2 * params, "wall_s": 2.0 * params, "chance": 1 / 6, "steps_per_epoch": 10,
               "curves": {"step": [10, 20], "heldout_accuracy": [acc / 2, acc], "train_loss": [2.0, train_loss]}}
    if moving is not None:
        metrics["accuracy_moving_stats"] = moving
    return {"id": f"{label}-{seed}-{lr}", "label": label, "change": change, "variant": "googlenet", "seed": seed,
            "learning_rate": lr, "config": cfg, "protocol": {"lr_grid": [1e-3, 3e-3], "select_seed": 0},
            "metrics": metrics, "backend": "tensorflow", "device": "CPU", "versions": {"keras": "3", "tensorflow": "2"}}


def _records(full=True):
    bn = {"batch_norm": True}
    recs = [_rec("baseline", {}, 0, 1e-3, 0.60, 0.62, 1.00), _rec("baseline", {}, 0, 3e-3, 0.17, 0.16, 1.80),
            _rec("baseline", {}, 1, 1e-3, 0.50, 0.52, 1.10),
            _rec("batch_norm=True", bn, 0, 1e-3, 0.30, 0.30, 1.50, moving=0.20)]
    if full:
        recs += [_rec("batch_norm=True", bn, 0, 3e-3, 0.80, 0.78, 0.70, moving=0.50),
                 _rec("batch_norm=True", bn, 1, 3e-3, 0.70, 0.70, 0.75, moving=0.40)]
    return recs


def test_the_readme_block_is_the_shipped_files():
    """Fails when the shipped results file changed and the README was not regenerated: run
    `python -m explorer ablate --preset shipped --show --readme README.md`."""
    if not lab.SHIPPED.path.exists():
        pytest.skip("shipped results not generated yet")
    expected = findings.readme_block(lab.load_results(lab.SHIPPED.path), lab.SHIPPED)
    assert findings.block_in(README.read_text(encoding="utf-8")) == expected


def test_completeness_names_what_is_left():
    assert findings.completeness(_records(full=False), PRESET) == (
        4, 9, ["batch_norm=True (1 of 2 learning rates on seed 0, 1 of 1 more seeds)",
               "reduce_1x1=False (2 of 2 learning rates on seed 0, 1 of 1 more seeds)"])
    assert "not finished: 4 of its 9 runs" in findings.status_line(_records(full=False), PRESET)
    done = _records() + [_rec("reduce_1x1=False", {"reduce_1x1": False}, s, lr, 0.5, 0.5, 1.0, params=30)
                         for s, lr in ((0, 1e-3), (0, 3e-3), (1, 1e-3))]
    assert findings.status_line(done, PRESET) == "All 9 runs of the preset are in the file."


def test_lr_search_table_marks_rates_not_run_yet():
    rows = lab.summarize(_records(full=False))
    assert findings.lr_search_table(rows).splitlines() == [
        "| configuration | 0.001 | 0.003 | chosen |", "|---|---:|---:|---:|",
        "| baseline | 62.0 % (held-out 60.0 %) | 16.0 % (held-out 17.0 %) | 0.001 |",
        "| batch_norm=True | 30.0 % (held-out 30.0 %) | not run yet | 0.001 so far |"]


def test_findings_are_computed_from_the_records():
    recs = _records() + [_rec("reduce_1x1=False", {"reduce_1x1": False}, 0, 1e-3, 0.58, 0.6, 1.0, params=30)]
    text = "\n".join(findings.findings(recs))
    assert "Batch norm ends 20.0 points above the baseline" in text  # 0.75 vs 0.55
    assert "80.0 % against 50.0 %, 70.0 % against 40.0 %" in text  # re-estimated vs moving, per seed
    # BN at the baseline's rate: undertrained; the baseline at BN's rate: a uniform guess's loss
    assert ("At 0.001, the rate chosen for baseline*, batch_norm=True ends at 30.0 % held-out (seed 0) with a final "
            "training loss of 1.50 (baseline at that rate: 1.00): undertrained") in text
    assert "baseline ends at 17.0 % held-out (seed 0) with a final training loss of 1.80" in text
    assert "ln 6 = 1.79" in text
    assert "3.0× the parameters (10 → 30), 3.0× the MACs, 3.0× the mean wall time" in text
    assert "58.0% (1 seed, rate 0.001, best of 1/2 rates so far), +3.0 points vs baseline (one seed: no spread)" in text
    assert "baseline (0.001, the lowest), batch_norm=True (0.003, the highest)" in text
    assert "7.1–7.1 points of standard deviation" in text


def test_cli_rewrites_the_readme_block(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    for r in _records():
        lab.sweep.append_record(out, r)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{findings.BEGIN}\nold numbers\n{findings.END}\n\nafter\n", encoding="utf-8")
    assert cli.main(["--preset", "shipped", "--show", "--out", str(out), "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old numbers" not in text and text.endswith(f"{findings.END}\n\nafter\n")
    assert findings.block_in(text) == findings.readme_block(lab.load_results(out), lab.SHIPPED)
    assert "| batch_norm=True | 2 | 0.003 (chosen) | 75.0 ± 7.1 |" in text
    readme.write_text("no markers", encoding="utf-8")
    assert cli.main(["--preset", "shipped", "--show", "--out", str(out), "--readme", str(readme)]) == 2
    assert "no generated lab-results block" in capsys.readouterr().err
    assert cli.main(["--show", "--out", str(out), "--readme", str(readme)]) == 2
    assert "--readme needs --preset and --show" in capsys.readouterr().err


def test_a_seed_stuck_on_its_plateau_is_named_with_the_mean_without_it():
    """A run at the chosen rate whose final training loss is ln 6 (a uniform guess) is named as the
    measured cause of a low mean; the mean of the seeds that trained is given beside it."""
    recs = _records() + [_rec("baseline", {}, 2, 1e-3, 0.167, 0.17, 1.7915)]
    text = next(t for t in findings.findings(recs) if "initial plateau** (measured" in t)
    assert "baseline: seed 2 at 0.001 ended at 16.7 % held-out with a final training loss of 1.79 = ln 6" in text
    assert "the 2 seeds that trained average 55.0 %" in text
    assert not any("initial plateau** (measured" in t for t in findings.findings(_records()))


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"[-+]?\d[\d,.]*\d|\d", text))


def test_findings_in_chinese_carry_the_same_numbers():
    """With the Chinese catalogue as `tr` (what the page passes with ?lang=zh) every text of the lab
    is Chinese and holds exactly the numbers of its English twin; without `tr` it stays English."""
    from pages.ui.i18n import translate

    def zh(text):
        return translate(text, "zh")

    recs = _records() + [_rec("reduce_1x1=False", {"reduce_1x1": False}, 0, 1e-3, 0.58, 0.6, 1.0, params=30),
                         _rec("baseline", {}, 2, 1e-3, 0.167, 0.17, 1.7915)]
    rows = lab.summarize(recs)
    pairs = [(findings.status_line(_records(full=False), PRESET), findings.status_line(_records(full=False), PRESET, zh)),
             (findings.status_line(recs, PRESET), findings.status_line(recs, PRESET, tr=zh)),
             *zip(findings.findings(recs), findings.findings(recs, tr=zh)),
             *zip(report.recipe(recs), report.recipe(recs, tr=zh)),
             *((report.measured_text(rows, c), report.measured_text(rows, c, tr=zh)) for c in ("reduce_1x1", "lrn"))]
    assert len(pairs) == 2 + 8 + 5 + 2
    for en, cn in pairs:
        assert CHINESE.search(cn) and not CHINESE.search(en), (en, cn)
        assert _numbers(cn) == _numbers(en), (en, cn)
    text = "\n".join(cn for _, cn in pairs)
    for term in ("批归一化", "1×1 卷积降维", "学习率", "随机种子", "留出集", "平台期"):
        assert term in text
    assert "随机种子 2 在学习率 0.001 下最终留出集准确率为 16.7 %" in text
    assert pairs[0][1].startswith("**扫描尚未完成：文件中有计划的 9 次运行中的 4 次。**")


def test_english_texts_are_the_default_tr():
    """`tr` defaults to English; passing an identity `tr` changes nothing."""
    recs = _records()
    assert findings.findings(recs) == findings.findings(recs, tr=lambda t: t)
    assert report.recipe(recs) == report.recipe(recs, tr=str)
    rows = lab.summarize(recs)
    assert lr_text(rows[1], tr=str) == lr_text(rows[1]) == "0.003 (chosen)"
