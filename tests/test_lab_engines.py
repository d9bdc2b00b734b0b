"""Engines: a sweep on a local Ray instance (2 CPUs) gives the same results as the local engine
for the same seeds, streaming into the same resumable JSON-lines file. Skipped where Ray is not
installed (`pip install -r requirements-ray.txt`; `make test` installs it)."""
from __future__ import annotations

import dataclasses

import pytest

from explorer import lab
from explorer.lab.engines import LocalEngine, RayEngine, make_engine
from explorer.lab.train import TrainConfig

pytestmark = pytest.mark.xdist_group("lab")

TINY = TrainConfig(variant="googlenet", choices={"width": 0.25}, n_train=72, n_tune=24, n_val=24, image_size=48,
                   epochs=1, batch_size=24, learning_rate=1e-3, data=lab.QUICK_DATA)


def test_make_engine_validates():
    assert isinstance(make_engine("local"), LocalEngine)
    assert isinstance(make_engine("ray", "auto"), RayEngine)
    with pytest.raises(ValueError, match="--address needs --engine ray"):
        make_engine("local", "auto")
    with pytest.raises(ValueError, match="engine must be one of"):
        make_engine("dask")


def test_local_engine_yields_in_order_with_progress():
    seen = []
    out = list(LocalEngine().run([1, 2, 3], lambda c, progress=None: {"x": c * 10},
                                 lambda f, m: seen.append((f, m)), ["a", "b", "c"]))
    assert out == [(0, {"x": 10}), (1, {"x": 20}), (2, {"x": 30})]


@pytest.mark.slow
def test_ray_sweep_equals_local_sweep(tmp_path):
    """Two trials (seeds 0 and 1 of the baseline) on a local Ray instance with 2 CPUs: the same
    records, metric for metric, as the local engine writes for the same seeds."""
    ray = pytest.importorskip("ray")
    local = tmp_path / "local.jsonl"
    remote = tmp_path / "ray.jsonl"
    lab.run_sweep("googlenet", [{}], [0, 1], TINY, local)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1",
             runtime_env={"env_vars": {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"},
                          "py_modules": [str(__import__("pathlib").Path(lab.__file__).parents[1])]})
    try:
        engine = RayEngine()
        assert engine.resources()["cpus"] == 2
        report = lab.run_sweep("googlenet", [{}], [0, 1], TINY, remote, engine=engine)
    finally:
        ray.shutdown()
    assert len(report.ran) == 2
    a = {r["id"]: r for r in lab.load_results(local)}
    b = {r["id"]: r for r in lab.load_results(remote)}
    assert set(a) == set(b) and len(a) == 2  # the same trials, by configuration hash
    for rid, ra in a.items():
        ma, mb = ra["metrics"], b[rid]["metrics"]
        assert mb["accuracy"] == ma["accuracy"] and mb["tune_accuracy"] == ma["tune_accuracy"]
        assert mb["loss"] == pytest.approx(ma["loss"], rel=1e-3)
        assert mb["curves"]["heldout_accuracy"] == ma["curves"]["heldout_accuracy"]
        assert mb["curves"]["train_loss"] == pytest.approx(ma["curves"]["train_loss"], rel=1e-3)
        assert ma["params"] == mb["params"] and ma["macs"] == mb["macs"]
    # and the Ray file resumes like the local one: nothing left to run
    again = lab.run_sweep("googlenet", [{}], [0, 1], TINY, remote, train_fn=lambda c, progress=None: 1 / 0)
    assert again.ran == [] and len(again.skipped) == 2


def test_ray_engine_without_ray_says_how_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ValueError, match="requirements-ray.txt"):
        list(RayEngine().run([dataclasses.replace(TINY)], lambda c: {}))
