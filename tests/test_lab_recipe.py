"""The fixed recipe: BN statistics re-estimated exactly (the plain average of the batches'
statistics), a learning rate chosen per configuration on the validation split only, steps to the
baseline's accuracy from the learning curves, and the sweep protocol (seed 0 at every rate, the
other seeds at the chosen one)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import explorer
from explorer import lab
from explorer.lab import recipe, report, summary, sweep
from explorer.lab.train import TrainConfig

pytestmark = pytest.mark.xdist_group("lab")


def test_reestimate_bn_is_the_average_of_batch_statistics():
    import keras

    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(4, 3, name="c")(inp)
    out = keras.layers.BatchNormalization(name="bn")(conv)
    model = keras.Model(inp, keras.layers.Dropout(0.5)(out))
    x = np.random.default_rng(1).normal(2.0, 3.0, (40, 8, 8, 3)).astype("float32")
    bn = model.get_layer("bn")
    assert recipe.bn_layers(model) == [bn]
    assert recipe.reestimate_bn(model, x, n_images=32, batch_size=8) == 4  # 4 full batches of the first 32
    feats = np.asarray(keras.Model(inp, conv)(x[:32])).reshape(4, 8, -1, 4)  # (batch, image, pixels, channel)
    means = feats.reshape(4, -1, 4).mean(axis=1)
    variances = feats.reshape(4, -1, 4).var(axis=1)
    assert np.allclose(np.asarray(bn.moving_mean), means.mean(axis=0), atol=1e-4)
    assert np.allclose(np.asarray(bn.moving_variance), variances.mean(axis=0), rtol=1e-3)
    assert bn.momentum == pytest.approx(0.99)  # restored
    assert recipe.reestimate_bn(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), x) == 0


def _rec(label, change, seed, lr, acc, tune, curve, select=True):
    cfg = {"choices": {"width": 0.25, **change}, "seed": seed, "learning_rate": lr, "epochs": 2}
    return {"id": f"{label}-{seed}-{lr}-{acc}", "label": label, "change": change, "variant": "googlenet", "seed": seed,
            "learning_rate": lr, "config": cfg, "protocol": {"lr_grid": [1e-3, 3e-3], "select_seed": 0} if select else {},
            "metrics": {"accuracy": acc, "tune_accuracy": tune, "tune_loss": 1.0, "aux_accuracy": [], "params": 10,
                        "macs": 20, "wall_s": 2.0, "chance": 1 / 6, "steps_per_epoch": 10,
                        "curves": {"step": [10, 20], "heldout_accuracy": curve}}}


def test_summary_keeps_each_configurations_chosen_rate():
    bn = {"batch_norm": True}
    recs = [_rec("baseline", {}, 0, 1e-3, 0.60, 0.62, [0.3, 0.60]),
            _rec("baseline", {}, 0, 3e-3, 0.70, 0.20, [0.2, 0.70]),   # best held-out, worst validation
            _rec("baseline", {}, 1, 1e-3, 0.50, 0.52, [0.3, 0.50]),
            _rec("batch_norm=True", bn, 0, 1e-3, 0.55, 0.50, [0.4, 0.55]),
            _rec("batch_norm=True", bn, 0, 3e-3, 0.65, 0.66, [0.58, 0.65]),
            _rec("batch_norm=True", bn, 1, 3e-3, 0.61, 0.60, [0.40, 0.61])]
    base, bnrow = lab.summarize(recs)
    assert base["learning_rate"] == 1e-3 and base["lr_chosen"]  # chosen on validation, not held-out
    assert base["n_seeds"] == 2 and base["accuracy_mean"] == pytest.approx(0.55)
    assert bnrow["learning_rate"] == 3e-3 and bnrow["n_seeds"] == 2
    assert bnrow["accuracy_mean"] == pytest.approx(0.63)
    assert bnrow["delta_vs_baseline"] == pytest.approx(0.08)
    assert [s["learning_rate"] for s in bnrow["lr_search"]] == [1e-3, 3e-3]
    # steps to the baseline's mean (0.55): BN seed 0 after 10 steps, seed 1 after 20
    assert bnrow["steps_to_baseline"] == [10, 20] and bnrow["steps_to_baseline_mean"] == 15
    assert base["steps_to_baseline"] == [20, None] and summary.steps_text(base) == "20 (1/2 seeds)"
    table = summary.markdown_table([base, bnrow])
    assert "| batch_norm=True | 2 | 0.003 (chosen) | 63.0 ± 2.8 |" in table
    note = report.batch_norm_note([base, bnrow])
    assert "8.0 points above the baseline, more than the seeds' spread (± 7.6)" in note and "1.3× fewer" in note


def test_batch_norm_below_the_baseline_names_the_measured_cause():
    recs = [_rec("baseline", {}, s, 1e-3, 0.60, 0.6, [0.3, 0.6]) for s in (0, 1)]
    for s in (0, 1):
        r = _rec("batch_norm=True", {"batch_norm": True}, s, 3e-3, 0.30, 0.3, [0.2, 0.3])
        r["metrics"]["accuracy_moving_stats"] = 0.2
        recs.append(r)
    rows = lab.summarize(recs)
    note = report.batch_norm_note(rows)
    assert "incomplete (1 of 2 rates so far)" in note  # the sweep is still running
    assert summary.lr_text(rows[1]) == "0.003 (best of 1/2 rates so far)"
    recs.append(_rec("batch_norm=True", {"batch_norm": True}, 0, 1e-3, 0.25, 0.2, [0.2, 0.25]))
    rows = lab.summarize(recs)
    note = report.batch_norm_note(rows)
    assert "contradicts the paper" in note and "30.0 points below" in note
    assert "moving BN averages" in note and "20.0%" in note and "largest of the grid" in note
    assert summary.lr_text(rows[1]) == "0.003 (chosen)"


def test_choose_lr_uses_the_validation_split_with_ties_broken():
    a = _rec("x", {}, 0, 1e-3, 0.9, 0.5, [])
    b = _rec("x", {}, 0, 3e-3, 0.1, 0.5, [])
    b["metrics"]["tune_loss"] = 0.5
    assert sweep.choose_lr([a, b]) == 3e-3  # equal accuracy: lower validation loss
    assert sweep.choose_lr([{**a, "metrics": {"tune_accuracy": None}}]) is None
    with pytest.raises(ValueError, match="validation split"):
        sweep.check_lrs([1e-3, 3e-3], TrainConfig(n_tune=0))
    with pytest.raises(ValueError, match="distinct positive"):
        sweep.check_lrs([1e-3, 1e-3], TrainConfig(n_tune=100))


def test_sweep_protocol_seed_zero_at_every_rate_then_the_chosen_rate(tmp_path):
    calls = []

    def fake(cfg, progress=None):
        calls.append((cfg.seed, cfg.learning_rate, dict(cfg.choices).get("batch_norm", False)))
        best = 3e-3 if dict(cfg.choices).get("batch_norm") else 1e-3
        c = explorer.cost(cfg.variant, **cfg.choice_kwargs())
        return {"accuracy": 0.5, "tune_accuracy": 0.9 if math.isclose(cfg.learning_rate, best) else 0.4,
                "tune_loss": 1.0, "aux_accuracy": [], "params": c.params, "macs": c.macs, "chance": 1 / 6,
                "wall_s": 1.0, "curves": {"step": [1], "heldout_accuracy": [0.5]}}

    base = TrainConfig(choices={"width": 0.25}, n_train=200, n_tune=50, n_val=50, image_size=48)
    rep = lab.run_sweep("googlenet", [{}, {"batch_norm": True}], [0, 1, 2], base, tmp_path / "s.jsonl",
                        lrs=[3e-4, 1e-3, 3e-3], train_fn=fake)
    # one configuration after another: its rates on seed 0, then its other seeds at the chosen rate
    assert calls == [(0, 3e-4, False), (0, 1e-3, False), (0, 3e-3, False), (1, 1e-3, False), (2, 1e-3, False),
                     (0, 3e-4, True), (0, 1e-3, True), (0, 3e-3, True), (1, 3e-3, True), (2, 3e-3, True)]
    assert rep.chosen_lr == {"baseline": 1e-3, "batch_norm=True": 3e-3}
    assert len(lab.load_results(tmp_path / "s.jsonl")) == 10
    calls.clear()
    again = lab.run_sweep("googlenet", [{}, {"batch_norm": True}], [0, 1, 2], base, tmp_path / "s.jsonl",
                          lrs=[3e-4, 1e-3, 3e-3], train_fn=fake)
    assert calls == [] and len(again.skipped) == 10


def test_config_validates_the_new_fields():
    with pytest.raises(ValueError, match="bn_stats"):
        TrainConfig(bn_stats="frozen")
    with pytest.raises(ValueError, match="fewer training images than one batch"):
        TrainConfig(n_train=100, n_tune=90, batch_size=64)
    assert TrainConfig(n_train=3500, n_tune=500).n_fit == 3000
    legacy = TrainConfig.from_dict({"variant": "googlenet", "n_train": 100})
    assert legacy.bn_stats == "moving"  # records from before re-estimation existed
