"""Memory, in a fresh process (so earlier measurements do not count): peak RSS while holding every
branch activation of each variant, and RSS over a sequence of model switches with the app's
eviction policy (an LRU of `lru` models; an evicted model is dropped, then
`keras.backend.clear_session(); gc.collect()`).

The switch sequence visits each variant once, cycles, and ends on the same `lru` variants as after
the baseline switch, so the baseline and the last switch hold the same models: any difference is
memory the process kept from models it no longer holds.

    python -m benchmarks.memory --variants googlenet,inception_v3 --switches 20 --out mem.json
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import weakref
from collections import OrderedDict
from pathlib import Path

from benchmarks import machine
from benchmarks.config import GOALS, Config


def switch_sequence(variants: list[str], switches: int, lru: int) -> list[str]:
    """Each variant once, then cycling, ending on the last `lru` variants of the first pass."""
    k = min(lru, len(variants))
    tail = variants[-k:] if k else []
    middle = max(0, switches - len(variants) - len(tail))
    seq = list(variants) + [variants[i % len(variants)] for i in range(middle)] + tail
    return seq[:switches] if switches < len(seq) else seq


def run(variants: list[str], *, switches: int, baseline: int | None, lru: int, input_size: int | None) -> dict:
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import keras
    import numpy as np

    import explorer
    from benchmarks import backend
    from benchmarks.sections import sample_image
    from explorer.inference.probe import branch_activations

    dev = backend.device()
    image = sample_image()
    kw = {"input_size": input_size} if input_size else {}
    seq = switch_sequence(list(variants), switches, lru)
    baseline = baseline or len(variants)
    cache: "OrderedDict[str, object]" = OrderedDict()
    refs: list = []
    rows, per_variant, seen = [], [], set()
    start_rss = machine.rss_bytes()
    for i, variant in enumerate(seq, 1):
        hwm_reset = machine.reset_peak_rss()
        backend.reset_device_peak()
        before = machine.rss_bytes()
        hit = variant in cache
        if hit:
            cache.move_to_end(variant)
        else:
            model = explorer.build(variant, **kw)
            refs.append(weakref.ref(model))
            cache[variant] = model
            del model
        acts = branch_activations(cache[variant], image)  # the Activations page after a switch
        act_bytes = sum(a.nbytes for branches in acts.maps.values() for a in branches.values())
        holding = machine.rss_bytes()
        peak = machine.peak_rss_bytes()
        dmem = backend.device_memory()
        if variant not in seen:
            seen.add(variant)
            per_variant.append({
                "variant": variant, "params_mib": machine.mib(cache[variant].count_params() * 4),
                "activations_mib": machine.mib(act_bytes), "branches": sum(len(b) for b in acts.maps.values()),
                "rss_before_mib": machine.mib(before), "rss_holding_mib": machine.mib(holding),
                "peak_rss_mib": machine.mib(peak), "peak_is_since_switch": hwm_reset,
                "delta_mib": machine.mib(holding - before),
                "device_peak_mib": machine.mib(dmem["peak"]) if dmem else None})
        del acts
        evicted = None
        while len(cache) > lru:
            evicted, _ = cache.popitem(last=False)
            del _
            keras.backend.clear_session()
            gc.collect()
        gc.collect()
        after = machine.rss_bytes()
        alive = sum(r() is not None for r in refs)
        rows.append({"switch": i, "variant": variant, "hit": hit, "evicted": evicted,
                     "rss_mib": machine.mib(after), "models_alive": alive, "models_held": len(cache),
                     "device_mib": machine.mib(dmem["current"]) if dmem else None})
        print(f"[memory] switch {i:2d} {variant:20s} rss {machine.mib(after):8.1f} MiB  alive {alive}",
              file=sys.stderr, flush=True)
    b = rows[min(baseline, len(rows)) - 1]
    e = rows[-1]
    growth = (e["rss_mib"] - b["rss_mib"]) / b["rss_mib"]
    return {
        "device": dev, "lru": lru, "sequence": seq,
        "start_rss_mib": machine.mib(start_rss), "per_variant": per_variant, "switches": rows,
        "baseline_switch": b["switch"], "final_switch": e["switch"],
        "rss_baseline_mib": b["rss_mib"], "rss_final_mib": e["rss_mib"], "growth": growth,
        "models_alive_final": e["models_alive"], "models_held_final": e["models_held"],
        "leaked_models": e["models_alive"] - e["models_held"],
        "goal": GOALS["switch_growth"], "met": growth <= GOALS["switch_growth"],
        "same_models_at_both_ends": sorted(seq[max(0, b["switch"] - lru):b["switch"]]) ==
        sorted(seq[max(0, e["switch"] - lru):e["switch"]]),
    }


def run_subprocess(cfg: Config, *, timeout: float = 1800) -> dict:
    """`run` in a fresh interpreter with the same backend and environment."""
    import time

    deadline = getattr(cfg, "deadline", None)
    if deadline is not None:  # a little past the run's budget, never unbounded
        timeout = max(120.0, deadline - time.perf_counter() + 180.0)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "memory.json"
        cmd = [sys.executable, "-m", "benchmarks.memory", "--variants", ",".join(cfg.variants),
               "--switches", str(cfg.switches), "--lru", str(cfg.lru), "--out", str(out)]
        if cfg.switch_baseline:
            cmd += ["--baseline", str(cfg.switch_baseline)]
        if cfg.input_size:
            cmd += ["--input-size", str(cfg.input_size)]
        env = dict(os.environ)
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        proc = subprocess.run(cmd, cwd=machine.ROOT, env=env, timeout=timeout, stdout=subprocess.PIPE,
                              stderr=None, text=True)
        if proc.returncode != 0 or not out.is_file():
            return {"error": f"memory subprocess failed with exit code {proc.returncode}"}
        return json.loads(out.read_text())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", required=True)
    p.add_argument("--switches", type=int, default=20)
    p.add_argument("--baseline", type=int, default=None)
    p.add_argument("--lru", type=int, default=3)
    p.add_argument("--input-size", type=int, default=None)
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args(argv)
    result = run(a.variants.split(","), switches=a.switches, baseline=a.baseline, lru=a.lru,
                 input_size=a.input_size)
    text = json.dumps(result, indent=1)
    if a.out:
        a.out.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
