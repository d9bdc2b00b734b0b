"""Ablation lab: training beats chance, the aux loss weights are applied, sweeps resume, records
hold what they should, the command line works."""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json

import numpy as np
import pytest

import explorer
from explorer import lab
from explorer.data import ShapesConfig
from explorer.cli import ablate as cli
from explorer.lab import sweep
from explorer.lab.train import TrainConfig

train_mod = importlib.import_module("explorer.lab.train")  # the module (lab.train is the function)
from explorer.lab import recipe  # noqa: E402

pytestmark = pytest.mark.xdist_group("lab")

# A trivially small budget for plumbing tests (what is measured does not matter there).
TINY = TrainConfig(variant="googlenet", choices={"width": 0.25}, n_train=48, n_val=24, image_size=64,
                   epochs=1, batch_size=24, learning_rate=1e-3)


def fake_train(calls: list):
    """A stand-in for train(): records its configs, returns plausible metrics instantly."""

    def fn(config, progress=None):
        calls.append(config)
        if progress:
            progress(0.5, "half")
            progress(1.0, "done")
        c = explorer.cost(config.variant, **config.choice_kwargs())
        acc = 0.3 + 0.01 * config.seed + (0.05 if dict(config.choices).get("batch_norm") else 0.0)
        n_aux = recipe.n_aux_heads(config)
        return {"accuracy": acc, "aux_accuracy": [acc - 0.02] * n_aux, "loss": 1.5, "aux_loss": [1.6] * n_aux,
                "train_loss": [1.7], "chance": 1 / 6, "params": c.params, "trainable_params": c.trainable_params,
                "macs": c.macs, "loss_weights": recipe.loss_weights(config), "wall_s": 1.0, "train_s": 0.5,
                "data_s": 0.1, "backend": "tensorflow", "device": "CPU (test)", "strategy": "default",
                "mixed_precision": False, "notes": [], "resolved_choices": {}, "versions": {"python": "3"}}

    return fn


@pytest.mark.slow
# --------------------------------------------------------------------------- training
def test_tiny_training_beats_chance_on_held_out_data():
    """A tiny GoogLeNet (paper defaults, width 0.25, 48 px) learns the shapes: held-out accuracy
    well above chance (1/6) after six short epochs. Easier images (QUICK_DATA: no clutter or
    noise, objects at least 35% of the side) keep it quick; the held-out images are a separate
    stream of the generator. Measured on 2 CPU cores: seeds 0 / 1 / 2 reach 66 / 39 / 43% in about
    30 s each (at a higher learning rate, 1e-3, two of those seeds never leave chance: a deep
    network without batch norm)."""
    cfg = TrainConfig(variant="googlenet", choices={"width": 0.25}, n_train=1200, n_val=300, image_size=48,
                      epochs=6, batch_size=32, learning_rate=3e-4, data=lab.QUICK_DATA)
    seen = []
    result = lab.train(cfg, progress=lambda f, m: seen.append((f, m)))
    chance = 1 / 6
    assert result["chance"] == pytest.approx(chance)
    assert result["accuracy"] > chance + 0.15, result
    assert result["aux_accuracy"] == []
    assert result["params"] == explorer.cost("googlenet", **cfg.choice_kwargs()).params
    assert result["macs"] > 0 and result["wall_s"] > 0 and result["backend"] and result["device"]
    assert "keras" in result["versions"] and "numpy" in result["versions"]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(fractions) >= 4  # data, build, some training steps, evaluation, done


def test_aux_loss_weights_are_applied():
    """total loss = main + 0.3 x aux1 + 0.3 x aux2: read back from the compiled model and checked
    against the model's own loss computation on a batch."""
    cfg = dataclasses.replace(TINY, choices={"width": 0.25, "aux_heads": True}, image_size=72)
    assert recipe.loss_weights(cfg) == [1.0, 0.3, 0.3]
    model = explorer.build(cfg.variant, **cfg.choice_kwargs())
    assert [o.name.split("/")[0] for o in model.outputs][:1]  # three softmax outputs
    assert len(model.outputs) == 3
    recipe.compile_model(model, cfg)
    assert recipe.compiled_loss_weights(model) == [1.0, 0.3, 0.3]

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 72, 72, 3)).astype("float32")
    y = rng.integers(0, 6, 8).astype("int32")
    preds = [np.asarray(p, dtype=np.float64) for p in model(x, training=False)]
    ce = [float(-np.mean(np.log(p[np.arange(8), y]))) for p in preds]
    total = float(model.compute_loss(x=x, y=[y, y, y], y_pred=model(x, training=False), training=False))
    assert total == pytest.approx(ce[0] + 0.3 * ce[1] + 0.3 * ce[2], rel=1e-4)
    # ...and not the unweighted sum or the main head alone
    assert abs(total - sum(ce)) > 0.1 and abs(total - ce[0]) > 0.1

    # a different aux_weight really changes the loss
    cfg0 = dataclasses.replace(cfg, aux_weight=0.0)
    recipe.compile_model(model, cfg0)
    assert recipe.compiled_loss_weights(model) == [1.0, 0.0, 0.0]
    total0 = float(model.compute_loss(x=x, y=[y, y, y], y_pred=model(x, training=False), training=False))
    assert total0 == pytest.approx(ce[0], rel=1e-4)


def test_fit_traces_the_training_step_once():
    """compile_model creates the optimizer's slots and the loss and accuracy trackers (one per head
    here: aux heads) before fit, so tf.function traces the training step once (a variable made
    during the first trace costs a second trace of the whole step); the trackers start from zero.
    TensorFlow only (JAX's trainer creates them before tracing; torch does not trace)."""
    import keras

    if keras.config.backend() != "tensorflow":
        pytest.skip("compile_model creates the training state early on TensorFlow only")
    cfg = dataclasses.replace(TINY, choices={"width": 0.25, "aux_heads": True},
                              image_size=72, label_smoothing=0.1)
    model = recipe.compile_model(explorer.build(cfg.variant, **cfg.choice_kwargs()), cfg)
    assert len(model.optimizer.variables) > 2 * len(model.trainable_variables)  # Adam's two slots each
    assert all(float(np.sum(v)) == 0.0 for m in model.metrics for v in m.variables)
    traced, step = [], model.train_step
    model.train_step = lambda data: traced.append(1) or step(data)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (4, cfg.image_size, cfg.image_size, 3)).astype("float32")
    y = recipe.targets(rng.integers(0, cfg.classes, 4), cfg, len(model.outputs))
    logs = model.fit(x, y, batch_size=2, epochs=1, verbose=0).history
    assert len(traced) == 1
    assert np.isfinite(logs["loss"]).all() and len(logs["loss"]) == 1


def test_label_smoothing_compiles_with_one_hot_targets():
    cfg = dataclasses.replace(TINY, label_smoothing=0.1)
    model = explorer.build(cfg.variant, **cfg.choice_kwargs())
    recipe.compile_model(model, cfg)
    y = np.array([0, 1, 2], dtype="int32")
    (t,) = recipe.targets(y, cfg, 1)
    assert t.shape == (3, 6) and np.allclose(t.sum(axis=1), 1.0)
    x = np.zeros((3, 64, 64, 3), "float32")
    p = np.asarray(model(x, training=False), dtype=np.float64)
    smooth = t * 0.9 + 0.1 / 6
    expected = float(np.mean(-np.sum(smooth * np.log(p), axis=1)))
    got = float(model.compute_loss(x=x, y=[t], y_pred=model(x, training=False), training=False))
    assert got == pytest.approx(expected, rel=1e-4)


def test_train_config_validation_and_round_trip():
    cfg = TrainConfig(choices={"width": 0.25, "aux_heads": True}, image_size=80, data=ShapesConfig(clutter=2))
    assert cfg.choices == (("aux_heads", True), ("width", 0.25))
    assert cfg.data.image_size == 80  # the data follows the config's image size
    assert cfg.choice_kwargs() == {"aux_heads": True, "width": 0.25, "input_size": 80, "classes": 6}
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert hash(cfg) == hash(TrainConfig.from_dict(cfg.to_dict()))
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="lamb")
    with pytest.raises(ValueError, match="set by the lab"):
        TrainConfig(choices={"input_size": 96})
    with pytest.raises(ValueError, match="65"):  # aux heads need a bigger input: the builder says how big
        TrainConfig(choices={"aux_heads": True}, image_size=48).resolved_choices()


def test_multi_gpu_is_skipped_gracefully_without_gpus():
    cfg = dataclasses.replace(TINY, multi_gpu=True)
    strategy, label, note = train_mod._strategy(cfg, {"backend": "tensorflow", "accelerators": 0})
    assert strategy is None and label == "default" and "MirroredStrategy" in note
    strategy, label, note = train_mod._strategy(cfg, {"backend": "jax", "accelerators": 2})
    assert strategy is None and "TensorFlow backend" in note


@pytest.mark.slow
# --------------------------------------------------------------------------- sweeps
def test_sweep_resumes_after_interruption(tmp_path):
    """Real (tiny) training: the second run of a sweep is interrupted; the rerun trains only that
    one and appends only its line."""
    out = tmp_path / "sweep.jsonl"
    grid = [{}, {"batch_norm": True}]
    calls = []

    def interrupted(config, progress=None):
        calls.append(config)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated interruption")
        return train_mod.train(config, progress)

    with pytest.raises(KeyboardInterrupt):
        lab.run_sweep("googlenet", grid, [0], TINY, out, train_fn=interrupted)
    first = lab.load_results(out)
    assert len(first) == 1 and first[0]["label"] == "baseline"
    assert out.read_text().count("\n") == 1

    calls.clear()

    def counting(config, progress=None):
        calls.append(config)
        return train_mod.train(config, progress)

    report = lab.run_sweep("googlenet", grid, [0], TINY, out, train_fn=counting)
    assert len(calls) == 1 and dict(calls[0].choices)["batch_norm"] is True
    assert report.skipped == [first[0]["id"]] and len(report.ran) == 1
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0]) == first[0]  # the first line is untouched
    recs = lab.load_results(out)
    assert [r["label"] for r in recs] == ["baseline", "batch_norm=True"]
    for rec in recs:  # real runs record the versions and the device
        assert {"python", "keras", "numpy", "tensorflow"} <= set(rec["versions"])
        assert rec["backend"] == "tensorflow" and rec["device"].startswith(("CPU", "GPU"))
        assert 0.0 <= rec["metrics"]["accuracy"] <= 1.0 and rec["metrics"]["wall_s"] > 0

    calls.clear()
    report = lab.run_sweep("googlenet", grid, [0], TINY, out, train_fn=counting)
    assert calls == [] and report.ran == [] and len(report.skipped) == 2
    assert len(out.read_text().splitlines()) == 2


def test_sweep_repairs_a_truncated_last_line(tmp_path):
    out = tmp_path / "sweep.jsonl"
    calls = []
    grid = [{}, {"batch_norm": True}, {"reduce_1x1": False}]
    lab.run_sweep("googlenet", grid, [0], TINY, out, train_fn=fake_train(calls))
    assert len(calls) == 3
    text = out.read_text()
    lines = text.splitlines()
    out.write_text("\n".join(lines[:2]) + "\n" + lines[2][: len(lines[2]) // 2])  # killed mid-write
    recs = lab.load_results(out)  # the partial line is skipped silently
    assert [r["label"] for r in recs] == ["baseline", "batch_norm=True"]

    calls.clear()
    progress = []
    report = lab.run_sweep("googlenet", grid, [0], TINY, out, progress=lambda f, m: progress.append(f),
                           train_fn=fake_train(calls))
    assert len(calls) == 1 and dict(calls[0].choices)["reduce_1x1"] is False
    assert len(report.ran) == 1 and len(report.skipped) == 2
    assert out.read_text().splitlines()[:2] == lines[:2]
    assert len(lab.load_results(out)) == 3 and out.read_text().endswith("\n")
    assert progress[-1] == pytest.approx(1.0)


def test_parse_results_reads_an_uploaded_text_as_load_results_reads_its_file(tmp_path):
    out = tmp_path / "sweep.jsonl"
    lab.run_sweep("googlenet", [{}, {"batch_norm": True}], [0], TINY, out, train_fn=fake_train([]))
    lines = out.read_text().splitlines()
    text = lines[0] + "\nnot json\n" + lines[1] + "\n" + '{"no": "id"}\n' + lines[1][:20]
    with pytest.warns(UserWarning, match=r"^upload\.jsonl: line 2 is not valid JSON; skipped$"):
        recs = lab.parse_results(text, name="upload.jsonl")
    assert [r["label"] for r in recs] == ["baseline", "batch_norm=True"]  # the id-less and the cut line are not
    assert recs == lab.load_results(out)


def test_sweep_runs_every_config_and_seed_once_seed_major(tmp_path):
    calls = []
    out = tmp_path / "s.jsonl"
    report = lab.run_sweep("googlenet", [{}, {"batch_norm": True}, {}], [0, 1], TINY, out,
                           train_fn=fake_train(calls))
    assert [(c.seed, dict(c.choices).get("batch_norm")) for c in calls] == [
        (0, None), (0, True), (1, None), (1, True)]  # duplicates dropped, seed-major
    assert len({r["id"] for r in report.records}) == 4
    with pytest.raises(ValueError, match="cannot be built"):
        lab.run_sweep("googlenet", [{"aux_heads": True}], [0], TINY, out, train_fn=fake_train(calls))
    assert len(calls) == 4  # nothing trained for an impossible sweep


def test_json_line_contents(tmp_path):
    out = tmp_path / "s.jsonl"
    cfg = dataclasses.replace(TINY, choices={"width": 0.25, "aux_heads": True}, image_size=72, seed=3)
    lab.run_sweep("googlenet", [{}], [3], cfg, out, train_fn=fake_train([]))
    (line,) = out.read_text().splitlines()
    rec = json.loads(line)
    for key in ("id", "date", "variant", "label", "change", "choices", "seed", "config", "metrics",
                "versions", "device", "backend"):
        assert key in rec, key
    assert rec["id"] == lab.run_id(cfg) and rec["seed"] == 3 and rec["config"]["seed"] == 3
    assert rec["variant"] == "googlenet" and rec["choices"] == {"aux_heads": True, "width": 0.25}
    assert TrainConfig.from_dict(rec["config"]) == cfg
    date = dt.datetime.fromisoformat(rec["date"])
    assert date.utcoffset() == dt.timedelta(0)
    m = rec["metrics"]
    assert {"accuracy", "aux_accuracy", "params", "macs", "wall_s", "loss_weights"} <= set(m)
    assert len(m["aux_accuracy"]) == 2 and m["loss_weights"] == [1.0, 0.3, 0.3]


def test_run_id_depends_on_config_and_seed_only():
    a = lab.run_id(TINY)
    assert a == lab.run_id(TrainConfig.from_dict(TINY.to_dict()))
    assert a != lab.run_id(dataclasses.replace(TINY, seed=1))
    assert a != lab.run_id(dataclasses.replace(TINY, choices={"width": 0.25, "batch_norm": True}))


def test_summarize_mean_std_and_delta():
    def rec(label, change, seed, acc):
        return {"id": f"{label}-{seed}", "label": label, "change": change, "variant": "googlenet", "seed": seed,
                "config": {"choices": {"width": 0.25, **change}, "seed": seed, "epochs": 1},
                "metrics": {"accuracy": acc, "aux_accuracy": [], "params": 10, "macs": 20, "wall_s": 2.0,
                            "chance": 1 / 6}}

    rows = lab.summarize([rec("baseline", {}, 0, 0.5), rec("baseline", {}, 1, 0.7),
                          rec("bn", {"batch_norm": True}, 0, 0.8), rec("bn", {"batch_norm": True}, 1, 0.8)])
    base, bn = rows
    assert base["n_seeds"] == 2 and base["accuracy_mean"] == pytest.approx(0.6)
    assert base["accuracy_std"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert bn["delta_vs_baseline"] == pytest.approx(0.2) and base["delta_vs_baseline"] == 0.0


def test_toggle_grid_flips_against_the_baseline():
    assert lab.toggle_grid("googlenet", ["reduce_1x1", "batch_norm", "head", "kernel_5x5"]) == [
        {}, {"reduce_1x1": False}, {"batch_norm": True}, {"head": "fc"}, {"kernel_5x5": 3}]
    assert lab.toggle_grid("googlenet", ["batch_norm"], {"batch_norm": True}) == [{}, {"batch_norm": False}]
    with pytest.raises(ValueError, match="Unknown design choice"):
        lab.toggle_grid("googlenet", ["nope"])


def test_shipped_preset_is_the_issue_sweep():
    s = lab.SHIPPED
    assert s.variant == "googlenet" and s.seeds == (0, 1, 2) and s.lrs == (3e-4, 1e-3, 3e-3)
    assert s.changes == [{}, {"batch_norm": True}, {"aux_heads": True}, {"factorize_5x5": True},
                         {"reduce_1x1": False}]
    b = s.base
    assert (b.n_fit, b.n_tune, b.n_val, b.image_size, b.epochs, b.batch_size) == (3000, 500, 1000, 72, 8, 64)
    assert b.bn_stats == "reestimate" and dict(b.choices) == {"width": 0.25}
    runs = sweep.configs(s.variant, s.changes, s.seeds[:1], s.base, s.lrs)  # every run can be built
    assert len(runs) == 15
    assert s.path.name == "googlenet_shapes.jsonl" and s.command == "python -m explorer ablate --preset shipped"


def test_shipped_results_file_matches_the_preset():
    """Every record in the shipped file is a run of the shipped preset (same configuration ids), and
    the later seeds ran at the rate chosen on seed 0's validation split."""
    s = lab.SHIPPED
    if not s.path.exists():
        pytest.skip("shipped results not generated yet")
    ids = {lab.run_id(c) for _, c in sweep.configs(s.variant, s.changes, s.seeds, s.base, s.lrs)}
    recs = lab.load_results(s.path)
    assert recs and {r["id"] for r in recs} <= ids
    for r in recs:
        assert r["protocol"] == {"lr_grid": list(s.lrs), "select_seed": 0}
        assert len(r["metrics"]["curves"]["heldout_accuracy"]) == s.base.epochs
    for row in lab.summarize(recs):
        seed0 = [x for x in recs if x["label"] == row["label"] and x["seed"] == 0]
        if len(seed0) == len(s.lrs):
            assert row["learning_rate"] == lab.choose_lr(seed0)
            assert all(x["learning_rate"] == row["learning_rate"] for x in recs
                       if x["label"] == row["label"] and x["seed"] > 0)


# --------------------------------------------------------------------------- command line
def test_cli_help_and_dry_run(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for word in ("--toggle", "--preset", "--seeds", "--out", "resumable", "--mixed-precision", "--multi-gpu"):
        assert word in text, word
    out = tmp_path / "x.jsonl"
    rc = cli.main(["--toggle", "reduce_1x1", "--toggle", "aux_heads", "--seeds", "2", "--image-size", "72",
                   "--out", str(out), "--dry-run"])
    assert rc == 0 and not out.exists()
    text = capsys.readouterr().out
    assert "6 runs (3 configurations x 2 seeds)" in text and text.count("[todo]") == 6
    assert cli.main(["--toggle", "aux_heads", "--image-size", "48", "--out", str(out), "--dry-run"]) == 2
    assert "65" in capsys.readouterr().err


def test_cli_runs_and_resumes(tmp_path, capsys, monkeypatch):
    calls = []
    monkeypatch.setattr(train_mod, "train", fake_train(calls))
    out = tmp_path / "cli.jsonl"
    argv = ["--toggle", "batch_norm=true", "--seeds", "2", "--epochs", "1", "--n-train", "48", "--n-val", "24",
            "--image-size", "64", "--out", str(out), "--no-progress"]
    assert cli.main(argv) == 0
    assert len(calls) == 4 and len(lab.load_results(out)) == 4
    text = capsys.readouterr().out
    assert "batch_norm=True" in text and "baseline" in text
    assert cli.main(argv) == 0
    assert len(calls) == 4 and "4 already done, 0 to run" in capsys.readouterr().out
    assert cli.main(argv + ["--show"]) == 0  # the summary table, no training
    text = capsys.readouterr().out
    assert len(calls) == 4 and "| baseline | 2 |" in text and "| batch_norm=True | 2 |" in text
