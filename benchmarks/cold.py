"""A cold start of one variant in a fresh interpreter: import, build, first prediction (trace /
compile), the probe's own build (batch norm folded), its first and second run - what the app pays the first time a variant is picked after
it starts. Prints one JSON line.

    python -m benchmarks.cold --variant inception_v3 [--input-size 299]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def run(variant: str, input_size: int | None) -> dict:
    t0 = time.perf_counter()
    import keras  # noqa: F401
    import numpy as np

    import explorer
    from explorer.inference.probe import get_probe

    from benchmarks import backend

    backend.device()
    import_s = time.perf_counter() - t0
    kw = {"input_size": input_size} if input_size else {}
    t = time.perf_counter()
    model = explorer.build(variant, **kw)
    build_s = time.perf_counter() - t
    size = explorer.model_info(model).choices.input_size
    x = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
    t = time.perf_counter()
    model.predict_on_batch(x)
    first_predict_s = time.perf_counter() - t
    t = time.perf_counter()
    probe = get_probe(model)  # the probe's network (batch norm folded where the backend gains)
    probe_build_s = time.perf_counter() - t
    t = time.perf_counter()
    probe.summarize(x)  # what branch_activations runs: maps, heads and summaries in one call
    first_probe_s = time.perf_counter() - t
    t = time.perf_counter()
    probe.summarize(x)
    second_probe_s = time.perf_counter() - t
    return {"variant": variant, "import_s": import_s, "build_s": build_s, "first_predict_s": first_predict_s,
            "probe_build_s": probe_build_s, "first_probe_s": first_probe_s, "warm_probe_s": second_probe_s,
            "to_first_maps_s": build_s + probe_build_s + first_probe_s}


def run_subprocess(variant: str, input_size: int | None, timeout: float = 900) -> dict:
    from benchmarks import machine

    cmd = [sys.executable, "-m", "benchmarks.cold", "--variant", variant]
    if input_size:
        cmd += ["--input-size", str(input_size)]
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=machine.ROOT, env=env, timeout=timeout, capture_output=True, text=True)
    wall = time.perf_counter() - t
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"variant": variant, "error": f"exit {proc.returncode}: {proc.stderr[-500:]}"}
    out = json.loads(lines[-1])
    out["process_wall_s"] = wall  # interpreter start + everything above
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.cold", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", required=True)
    p.add_argument("--input-size", type=int, default=None)
    a = p.parse_args(argv)
    print(json.dumps(run(a.variant, a.input_size)), flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    sys.exit(main())
