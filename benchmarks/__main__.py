"""python -m benchmarks [--quick] [--variants a,b] [--jit] [--out PATH] ... (see --help)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

from benchmarks.config import ALL_VARIANTS, DEFAULT_OUT, SECTIONS, Config  # noqa: E402


def parse(argv=None) -> Config:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Inception Explorer benchmarks: build, forward, reference, probe, cost sweep, memory "
                    "and app timings, measured in one run; prints Markdown tables and writes JSON. Runs "
                    "under KERAS_BACKEND=tensorflow, jax or torch.")
    p.add_argument("--quick", action="store_true", help="tiny run: 2 variants, few repeats, batch 4")
    p.add_argument("--variants", help=f"comma-separated subset of {','.join(ALL_VARIANTS)}")
    p.add_argument("--sections", help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)")
    p.add_argument("--skip", help="comma-separated sections to leave out")
    p.add_argument("--jit", action="store_true",
                   help="also time an XLA-compiled function (tf.function(jit_compile=True); torch.compile)")
    p.add_argument("--batch", type=int, help="throughput batch size (default 32)")
    p.add_argument("--input-size", type=int, help="override every variant's input size (default: its own)")
    p.add_argument("--repeats", type=int, help="timed calls per latency figure, at least")
    p.add_argument("--budget", type=float,
                   help="seconds each latency figure may keep repeating (default 3; ratios get twice this)")
    p.add_argument("--cost-builds", type=int, help="Keras builds timed per variant in the toggle sweep "
                                                   "(the rest are extrapolated; a large number builds all)")
    p.add_argument("--switches", type=int, help="model switches in the memory section (default 20)")
    p.add_argument("--lru", type=int, help="models the simulated app keeps in the memory section (default 3)")
    p.add_argument("--no-fresh-process", action="store_true",
                   help="skip the cold start of each variant in its own interpreter")
    p.add_argument("--no-app-whatif", action="store_true",
                   help="skip the app run with Streamlit's per-rerun keras clear_session left on")
    p.add_argument("--peak-n", type=int, help="matrix side for the peak (default 2048 CPU, 8192 GPU)")
    p.add_argument("--max-minutes", type=float,
                   help="time budget: sections and variants not started by then are skipped (noted)")
    p.add_argument("--app-root", type=Path, help="directory holding streamlit_app.py (default: the repo)")
    p.add_argument("--out", type=Path, default=None, help=f"JSON output (default {DEFAULT_OUT})")
    a = p.parse_args(argv)
    kw = {}
    if a.variants:
        kw["variants"] = tuple(v.strip() for v in a.variants.split(",") if v.strip())
        bad = [v for v in kw["variants"] if v not in ALL_VARIANTS]
        if bad:
            p.error(f"unknown variants {bad}; choose from {', '.join(ALL_VARIANTS)}")
    sections = tuple(s.strip() for s in a.sections.split(",")) if a.sections else SECTIONS
    if a.skip:
        sections = tuple(s for s in sections if s not in a.skip.split(","))
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        p.error(f"unknown sections {bad}; choose from {', '.join(SECTIONS)}")
    kw["sections"] = sections
    for name, key in (("batch", "batch"), ("input_size", "input_size"), ("repeats", "min_repeats"),
                      ("cost_builds", "cost_builds"), ("switches", "switches"), ("lru", "lru"), ("peak_n", "peak_n"),
                      ("app_root", "app_root"), ("max_minutes", "max_minutes")):
        if getattr(a, name) is not None:
            kw[key] = getattr(a, name)
    if a.budget is not None:
        kw["budget_s"], kw["compare_budget_s"] = a.budget, 2 * a.budget
    if a.repeats is not None:
        kw["max_repeats"] = max(a.repeats, 3)
    kw["jit"] = a.jit
    kw["app_whatif"] = not a.no_app_whatif
    if a.no_fresh_process:
        kw["fresh_process"] = False
    if a.out is not None:
        kw["out"] = a.out
    return Config.quick_config(**kw) if a.quick else Config(**kw)


def write_json(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=1, default=str))
    tmp.replace(path)


def main(argv=None) -> int:
    cfg = parse(argv)
    from benchmarks import report, runner

    result = runner.run(cfg, checkpoint=lambda r: write_json(r, cfg.out))
    write_json(result, cfg.out)
    print(report.render(result))
    print(f"\nJSON: {cfg.out}")
    for name, err in result["errors"].items():
        print(f"\nsection {name} failed:\n{err}", file=sys.stderr)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
