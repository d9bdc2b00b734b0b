"""One benchmark run: every section on one machine in one process (memory in a fresh child
process), the result as a dict (written as JSON by `__main__`)."""
from __future__ import annotations

import os
import time
import traceback

from benchmarks.config import GOALS, SECTIONS, Config

SCHEMA = 1


def _goals(r: dict) -> list[dict]:
    goals = []
    for x in r.get("reference") or []:
        goals.append({"name": f"{x['variant']} vs {x['application']} latency ratio", "measured": f"{x['ratio']:.3f}",
                      "target": f"<= {x['goal']}", "met": x["met"]})
        if x.get("folded_ratio") is not None:
            goals.append({"name": f"{x['variant']} folded vs {x['application']} latency ratio",
                          "measured": f"{x['folded_ratio']:.3f}", "target": f"<= {x['folded_goal']}",
                          "met": x["folded_met"]})
    for p in r.get("probe") or []:
        goals.append({"name": f"{p['variant']} all-branch probe / predict_on_batch", "measured": f"{p['ratio']:.3f}",
                      "target": f"<= {p['goal']}", "met": p["ratio"] <= p["goal"]})
        goals.append({"name": f"{p['variant']} branch_activations / predict_on_batch",
                      "measured": f"{p['branch_activations_ratio']:.3f}", "target": f"<= {p['activations_goal']}",
                      "met": p["branch_activations_ratio"] <= p["activations_goal"]})
    for a in (r.get("app") or {}).get("rows") or []:
        target = GOALS["app_upload_s"].get(a["variant"])
        if target is not None and a.get("mode") == "as shipped" and a.get("upload_to_maps_s") is not None:
            goals.append({"name": f"{a['variant']} warm upload -> feature maps (app)",
                          "measured": f"{a['upload_to_maps_s']:.2f} s", "target": f"<= {target} s",
                          "met": a["upload_to_maps_s"] <= target})
    mem = r.get("memory")
    if mem and "error" not in mem:
        goals.append({"name": f"RSS after {mem['final_switch']} switches vs after {mem['baseline_switch']}",
                      "measured": f"{100 * mem['growth']:+.1f} %", "target": f"<= +{100 * mem['goal']:.0f} %",
                      "met": mem["met"]})
    return goals


def run(cfg: Config, checkpoint=None) -> dict:
    """All requested sections; a section that fails is recorded with its error, the rest still run.
    `checkpoint(result)` is called after each section (the CLI writes the JSON so far)."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # JAX: let the memory child allocate too
    t_start = time.perf_counter()
    cfg.deadline = t_start + cfg.max_minutes * 60 if cfg.max_minutes else None
    from benchmarks import machine

    result: dict = {"schema": SCHEMA, "machine": machine.info(), "config": cfg.to_dict(), "errors": {}}
    t = time.perf_counter()
    import keras  # noqa: F401 - timed: the first import of the backend

    import explorer.nn.builder  # noqa: F401
    result["machine"]["import_s"] = time.perf_counter() - t
    from benchmarks import backend, sections

    sections.ERRORS.clear()
    sections.SKIPPED.clear()

    result["device"] = backend.device()
    result["versions"] = backend.library_versions()
    gpu = bool(result["device"].get("gpus"))
    unknown = [s for s in cfg.sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown sections {unknown}; sections: {', '.join(SECTIONS)}")

    def section(name, fn, gate=None, always=False, keys=()):
        if (gate or name) not in cfg.sections or (not always and sections.out_of_time(cfg, name)):
            return None
        t = time.perf_counter()
        result.setdefault("section_load", {})[name] = machine.load_average()
        try:
            value = fn()
            if value is not None and keys:  # stored before the checkpoint below writes the JSON
                result.update(zip(keys, value if len(keys) > 1 else (value,)))
            return value
        except Exception as e:  # noqa: BLE001 - one broken section must not lose the others
            result["errors"][name] = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}"
            sections.log(f"section {name} failed: {e}")
            return None
        finally:
            result.setdefault("section_s", {})[name] = time.perf_counter() - t
            if checkpoint is not None:
                result["partial"] = True
                checkpoint(result)

    peaks = []
    p = section("peak", lambda: sections.peak(cfg, gpu))
    if p:
        peaks.append(p)
    peak = sections.peak_gflops(peaks) if peaks else None
    out = section("models", lambda: sections.models(cfg, peak), keys=("build", "forward", "probe"))
    if out:
        result["build"], result["forward"], result["probe"] = out
    result["reference"] = section("reference", lambda: sections.reference(cfg), keys=("reference",))
    if "memory" in cfg.sections:
        from benchmarks import memory

        sections.log("memory (fresh process)")
        result["memory"] = section("memory", lambda: memory.run_subprocess(cfg), keys=("memory",))
    result["cost"] = section("cost", lambda: sections.cost_sweep(cfg), keys=("cost",))
    if "app" in cfg.sections:
        from benchmarks import app

        sections.log("app")
        result["app"] = section("app", lambda: app.run(cfg), keys=("app",))
    if "gpu" in cfg.sections:  # the probe with one transfer, batch-32 float32 / bfloat16 (benchmarks/gpu.py)
        from benchmarks import gpu as gpu_section

        sections.log("gpu" if gpu else "gpu: no GPU visible, not run")
        result["gpu"] = section("gpu", lambda: gpu_section.section(cfg, gpu), keys=("gpu",))
    if "peak" in cfg.sections:  # again at the end: the machine's load moves; the best is the peak
        p = section("peak_end", lambda: sections.peak(cfg, gpu), gate="peak", always=True)
        if p:
            peaks.append(p)
        new_peak = sections.peak_gflops(peaks) if peaks else None
        if peak and new_peak and new_peak != peak:
            for f in result.get("forward") or []:
                f["peak_fraction"] = {k: g / new_peak for k, g in f["gflops"].items()}
        peak = new_peak
    result["peak"] = peaks
    result["peak_gflops"] = peak
    result["goals"] = _goals(result)
    result["skipped_for_time"] = list(sections.SKIPPED)
    result["errors"].update(sections.ERRORS)
    import sys

    result["machine"]["load_avg_end"] = machine.load_average()
    result["tensorflow_imported"] = "tensorflow" in sys.modules
    result["elapsed_s"] = time.perf_counter() - t_start
    result["partial"] = False
    return result
