"""Smoke test of the benchmark code (`make bench`): a tiny run checks the structure of the result,
its JSON and its tables - never the timings (they belong to the machine)."""
import json
import math

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]

VARIANT = "googlenet"
SIZE = 75  # the smallest input keras.applications.InceptionV3 accepts


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


@pytest.fixture(scope="session")
def result(tmp_path_factory):
    """One tiny in-process run (googlenet at 75 px), plus the keras.applications reference for
    inception_v3, merged as `python -m benchmarks` would report them. Session-scoped: a module
    fixture was made twice when another module's test ran in between on the same worker (35 s each)."""
    import dataclasses

    from benchmarks import runner, sections
    from benchmarks.__main__ import write_json
    from benchmarks.config import Config

    out = tmp_path_factory.mktemp("bench") / "result.json"
    cfg = Config.quick_config(
        variants=(VARIANT,), sections=("peak", "models", "cost"), input_size=SIZE, peak_n=256,
        fresh_process=False, min_repeats=1, max_repeats=2, throughput_repeats=1, batch=2, compare_pairs=2,
        compare_budget_s=0.1, budget_s=0.1, cost_builds=1, out=out)
    r = runner.run(cfg)
    r["reference"] = sections.reference(dataclasses.replace(cfg, variants=("inception_v3",)))
    r["goals"] = runner._goals(r)
    r["errors"].update(sections.ERRORS)
    write_json(r, out)
    return r, out


def test_json_round_trip_and_machine(result):
    r, out = result
    loaded = json.loads(out.read_text())
    assert loaded["schema"] == 1
    for key in ("machine", "device", "versions", "config", "peak", "peak_gflops", "build", "forward", "probe",
                "reference", "cost", "goals", "errors", "elapsed_s", "section_s", "partial"):
        assert key in loaded, key
    assert loaded["errors"] == {}, loaded["errors"]
    m = loaded["machine"]
    for key in ("cpu", "cores", "ram_gib", "python", "date", "load_avg_start", "load_avg_end", "import_s"):
        assert key in m, key
    assert loaded["device"]["backend"] in ("tensorflow", "jax", "torch")
    assert "keras" in loaded["versions"]
    assert _positive(loaded["peak_gflops"])


def test_build_forward_probe_rows(result):
    r, _ = result
    assert [b["variant"] for b in r["build"]] == [VARIANT]
    b = r["build"][0]
    assert b["input_size"] == SIZE and b["params"] > 0
    for key in ("cold_s", "through_cache_s", "cache_hit_us", "probe_build_s", "first_probe_s"):
        assert _positive(b[key]), key
    assert b["probe_folded"] is False  # googlenet as in the paper has no batch norm: nothing to fold
    assert set(b["first_call_s"]) >= {"predict_on_batch", "compiled"}
    f = r["forward"][0]
    assert f["macs"] > 0 and f["batch"] == 2
    assert all(_positive(v) for v in f["latency_ms"].values())
    assert set(f["throughput_ips"]) == {"compiled"}
    assert _positive(f["gflops"]["compiled"]) and _positive(f["peak_fraction"]["compiled"])
    p = r["probe"][0]
    assert p["outputs"] > 10 and _positive(p["activation_mib"])
    for key in ("ratio", "ratio_of_medians", "ratio_of_mins", "forward_ms", "probe_ms", "branch_activations_ms",
                "branch_activations_ratio"):
        assert _positive(p[key]), key
    assert _positive(p["probe_vs_own_forward"]["ratio"]) and _positive(p["branch_activations"]["cpu_ratio"])
    assert p["folded"] is False and p["fold"] is None
    assert p["goal"] == 1.02 and p["activations_goal"] == 1.10 and isinstance(p["met"], bool)


def test_reference_row(result):
    r, _ = result
    (x,) = r["reference"]
    assert x["variant"] == "inception_v3" and x["application"].endswith("InceptionV3")
    assert x["explorer_params"] == x["keras_params"]  # the same graph
    assert set(x["by"]) == {"compiled", "predict_on_batch", "folded"}
    assert _positive(x["ratio"]) and x["goal"] == 1.00 and isinstance(x["met"], bool)
    assert _positive(x["folded_ratio"]) and x["folded_goal"] == 0.95 and isinstance(x["folded_met"], bool)


def test_cost_sweep_rows(result):
    r, _ = result
    (g,) = r["cost"]
    assert g["variant"] == VARIANT
    assert g["combinations"] + g["skipped"] == 2 ** 6  # googlenet has six toggles
    assert g["params_match"] is True and g["keras_builds_timed"] == 1
    for key in ("analytic_cold_s", "analytic_cached_s", "keras_total_s", "ratio"):
        assert _positive(g[key]), key


def test_goals_and_tables(result):
    from benchmarks import report

    r, _ = result
    names = [g["name"] for g in r["goals"]]
    assert any("probe" in n for n in names) and any("InceptionV3" in n for n in names)
    assert any("branch_activations" in n for n in names) and any(n.startswith("inception_v3 folded") for n in names)
    text = report.render(r)
    for heading in ("**Machine:**", "### Build", "### Forward pass", "### explorer against keras.applications",
                    "### All-branch activations", "### Analytic cost", "### Goals"):
        assert heading in text, heading
    assert "| googlenet |" in text


def test_memory_switches_in_process():
    from benchmarks import memory

    assert memory.switch_sequence(["a", "b", "c", "d", "e", "f"], 20, 3)[-3:] == ["d", "e", "f"]
    assert len(memory.switch_sequence(["a", "b", "c", "d", "e", "f"], 20, 3)) == 20
    m = memory.run([VARIANT], switches=2, baseline=1, lru=1, input_size=64)
    assert [s["switch"] for s in m["switches"]] == [1, 2]
    v = m["per_variant"][0]
    assert v["variant"] == VARIANT and _positive(v["activations_mib"]) and _positive(v["rss_holding_mib"])
    assert isinstance(m["growth"], float) and m["goal"] == 0.10 and "leaked_models" in m


def test_app_section_skips_without_app(tmp_path):
    from benchmarks import app
    from benchmarks.config import Config

    out = app.run(Config(app_root=tmp_path))
    assert out["status"] == "skipped" and "streamlit_app.py" in out["note"]


def test_command_line_options(tmp_path):
    from benchmarks.__main__ import parse

    cfg = parse(["--quick", "--variants", "googlenet,inception_v3", "--jit", "--out", str(tmp_path / "x.json")])
    assert cfg.quick and cfg.jit and cfg.variants == ("googlenet", "inception_v3") and cfg.out.name == "x.json"
    full = parse([])
    assert len(full.variants) == 6 and full.batch == 32 and full.out.name == "latest.json"
    with pytest.raises(SystemExit):
        parse(["--variants", "resnet50"])


def test_gpu_section_says_how_to_run_it_without_a_gpu():
    from benchmarks import gpu, report
    from benchmarks.config import Config

    g = gpu.section(Config(), on_gpu=False)
    assert g["status"] == "not run" and "tools/gpu_bench.py" in g["note"]
    text = report._gpu({"gpu": g})
    assert text[0].startswith("### GPU") and "Not run: no GPU visible" in text[2]


def test_gpu_bench_runs_under_jax_without_tensorflow(tmp_path):
    """tools/gpu_bench.py as the GPU machine runs it (KERAS_BACKEND=jax, TensorFlow unimportable),
    here on the CPU with a tiny configuration: every ratio and both throughputs are measured."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("jax")
    root = Path(__file__).resolve().parents[1]
    blocker = tmp_path / "block"  # `import tensorflow` fails, as on the GPU machine
    (blocker / "tensorflow").mkdir(parents=True)
    (blocker / "tensorflow" / "__init__.py").write_text("raise ImportError('no TensorFlow here')\n")
    env = {**os.environ, "KERAS_BACKEND": "jax", "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": str(blocker)}
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(root / "tools" / "gpu_bench.py"), "--out", str(out),
                           "--variants", "googlenet", "--input-size", "75", "--pairs", "1", "--batch", "2",
                           "--repeats", "1", "--old-path"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads((out / "gpu_bench.json").read_text())
    assert r["backend"] == "jax" and not r["errors"] and r["skipped"] == []
    (row,) = r["variants"]
    assert row["variant"] == "googlenet" and row["input_size"] == 75 and row["folded"] is False  # LRN, no BN
    assert row["outputs"] == 45 and row["device"] == "CPU:0"
    for key in ("compiled_vs_predict_on_batch", "probe_vs_predict_on_batch", "probe_vs_own_forward",
                "summaries_vs_predict_on_batch", "folded_vs_unfolded_forward", "old_probe_vs_predict_on_batch"):
        assert all(_positive(row[key][f]) for f in ("a_ms", "b_ms", "ratio")), key
    for key in ("batch32_float32", "batch32_bfloat16"):
        assert _positive(row[key]["built"]) and _positive(row[key]["folded"]), key
    assert "| googlenet | 45 | no |" in proc.stdout and "b32 bf16 img/s" in proc.stdout


def test_each_checkpoint_holds_the_section_just_measured(tmp_path):
    """A run cut short keeps what it measured: the JSON written after a section contains it."""
    import copy

    from benchmarks import runner
    from benchmarks.config import Config

    seen = []
    cfg = Config.quick_config(variants=(VARIANT,), sections=("cost",), input_size=SIZE, cost_builds=1,
                              out=tmp_path / "r.json")
    r = runner.run(cfg, checkpoint=lambda res: seen.append(copy.deepcopy(res.get("cost"))))
    assert len(seen) == 1 and seen[0] == r["cost"] and seen[0][0]["variant"] == VARIANT
