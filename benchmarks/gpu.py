"""The GPU section of `make bench`: the probe with the one-transfer path and batch-32 throughput in
float32 and bfloat16, per variant. It runs inside `python -m benchmarks` when the backend sees a GPU
(section "gpu"; on a CPU-only machine the report says it was not run and how to run it), and on its
own, with only keras and jax installed (no TensorFlow, no Pillow, no Streamlit):

    KERAS_BACKEND=jax python tools/gpu_bench.py --out DIR [--variants a,b] [--input-size N] [--max-seconds S]

Per variant (random weights from numpy: speed does not depend on them, and Keras's per-shape
initializers would cost minutes under JAX), batch 1, interleaved pairs, medians:
- Keras's `model.predict_on_batch` (outputs fetched one at a time) and the library's one compiled
  call of the model (`explorer.nn.compiled.CompiledCall`: jax.jit, one `jax.device_get`);
- the all-branch probe (`Probe.run`: maps and heads, one transfer), the probe with its in-graph
  summaries (`Probe.summarize`: what `branch_activations` runs), and the probe's own forward pass
  (heads only, same network, batch norm folded) against the model as built (is folding worth it?);
- with --old-path: the probe's maps fetched the old way (`predict_on_batch` of the probe model);
- batch-32 throughput of the model as built and with batch norm folded, in float32 and in
  bfloat16 (`keras.mixed_precision` policy "mixed_bfloat16").
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Callable, Optional

ORDER = ("googlenet", "inception_v3", "inception_resnet_v2", "bn_inception", "inception_v4", "inception_resnet_v1")
POLICIES = (("float32", "batch32_float32"), ("mixed_bfloat16", "batch32_bfloat16"))
HOW_TO_RUN = "KERAS_BACKEND=jax python tools/gpu_bench.py --out DIR"


def interleaved(fa, fb, pairs: int) -> dict:
    """fa against fb, A B B A ... (`benchmarks.timing.compare`, exactly `pairs` pairs after two warm-up
    pairs): median ms of each and the median of the per-pair ratios."""
    import numpy as np

    from benchmarks.timing import compare, ratio

    ta, tb = compare(fa, fb, warmup=2, min_pairs=pairs, max_pairs=pairs, budget_s=0.0)
    return {"a_ms": float(np.median(ta) * 1e3), "b_ms": float(np.median(tb) * 1e3), "ratio": ratio(ta, tb)["ratio"]}


def throughput(fn, x, repeats: int) -> float:
    """Images per second of fn(x), median of `repeats` timed calls after two warm-up calls."""
    import numpy as np

    from benchmarks.timing import measure

    ts = measure(lambda: fn(x), warmup=2, min_repeats=repeats, max_repeats=repeats, budget_s=0.0)
    return float(len(x) / np.median(ts))


def random_model(variant: str, input_size: Optional[int]):
    """explorer's model of `variant` with random numpy weights (and batch-norm statistics)."""
    import explorer
    from explorer.arch.graph import resolve
    from explorer.nn.builder import build_net, fill_random
    from explorer.nn.info import ModelInfo, set_info

    spec = explorer.get_spec(variant)
    c = explorer.choices(variant, **({"input_size": input_size} if input_size else {}))
    model = build_net(resolve(spec, c), initialize=False)
    set_info(model, ModelInfo(variant, c, "random", (False,) * len(model.outputs), 0, spec.normalization))
    fill_random(model)
    return model


def batch32(variant: str, input_size: Optional[int], policy: str, batch: int, repeats: int) -> dict:
    """Throughput (images/s) of the model as built and folded, under a dtype policy."""
    import keras
    import numpy as np

    from explorer.nn.compiled import CompiledCall
    from explorer.nn.fold import fold_batchnorm

    keras.mixed_precision.set_global_policy(policy)
    try:
        model = random_model(variant, input_size)
        size = model.input_shape[1]
        x = np.random.default_rng(1).uniform(-1, 1, (batch, size, size, 3)).astype("float32")
        out = {"built": throughput(CompiledCall(model), x, repeats)}
        folded = fold_batchnorm(model, residual_scale=True)
        out["folded"] = throughput(CompiledCall(folded), x, repeats)
        return out
    finally:
        keras.mixed_precision.set_global_policy("float32")


def one_variant(variant: str, *, input_size: Optional[int] = None, pairs: int = 20, old_path: bool = False) -> dict:
    """The batch-1 ratios of one variant (see the module docstring)."""
    import numpy as np

    from explorer.inference.probe import Probe
    from explorer.nn.compiled import CompiledCall, last_run

    t0 = time.perf_counter()
    model = random_model(variant, input_size)
    size = model.input_shape[1]
    x = np.random.default_rng(0).uniform(-1, 1, (1, size, size, 3)).astype("float32")
    probe = Probe(model)
    compiled = CompiledCall(model)
    row = {"variant": variant, "input_size": size, "outputs": len(probe.entries), "folded": probe.folded,
           "build_s": time.perf_counter() - t0}
    keras_fwd = lambda: model.predict_on_batch(x)  # noqa: E731
    row["compiled_vs_predict_on_batch"] = interleaved(lambda: compiled(x), keras_fwd, pairs)
    row["probe_vs_predict_on_batch"] = interleaved(lambda: probe.run(x), keras_fwd, pairs)
    row["probe_vs_own_forward"] = interleaved(lambda: probe.run(x), lambda: probe.forward(x), pairs)
    row["summaries_vs_predict_on_batch"] = interleaved(lambda: probe.summarize(x), keras_fwd, pairs)
    row["device"] = last_run().device if last_run() else None
    row["folded_vs_unfolded_forward"] = interleaved(lambda: probe.forward(x), lambda: compiled(x), pairs)
    if old_path:
        row["old_probe_vs_predict_on_batch"] = interleaved(lambda: probe.probe.predict_on_batch(x), keras_fwd,
                                                           max(3, pairs // 3))
    row["elapsed_s"] = time.perf_counter() - t0
    return row


def table(rows: list[dict]) -> str:
    """The rows as one Markdown table."""
    head = ("| variant | outputs | BN folded | predict_on_batch ms | probe ms | probe / predict_on_batch | "
            "probe / own forward | with summaries / predict_on_batch | compiled / predict_on_batch | "
            "folded / unfolded | old probe / predict_on_batch | b32 f32 img/s (folded) | b32 bf16 img/s (folded) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        def g(key, field="ratio", fmt="{:.3f}"):
            v = (r.get(key) or {}).get(field)
            return "-" if v is None else fmt.format(v)

        f32, bf16 = r.get("batch32_float32") or {}, r.get("batch32_bfloat16") or {}
        tp = lambda d: "-" if not d else f"{d['built']:.0f} ({d['folded']:.0f})"  # noqa: E731
        lines.append(f"| {r['variant']} | {r['outputs']} | {'yes' if r['folded'] else 'no'} | "
                     f"{g('probe_vs_predict_on_batch', 'b_ms', '{:.2f}')} | {g('probe_vs_predict_on_batch', 'a_ms', '{:.2f}')} | "
                     f"{g('probe_vs_predict_on_batch')} | {g('probe_vs_own_forward')} | {g('summaries_vs_predict_on_batch')} | "
                     f"{g('compiled_vs_predict_on_batch')} | {g('folded_vs_unfolded_forward')} | "
                     f"{g('old_probe_vs_predict_on_batch')} | {tp(f32)} | {tp(bf16)} |")
    return "\n".join(lines)


def run(variants, *, input_size: Optional[int] = None, pairs: int = 20, batch: int = 32, repeats: int = 10,
        max_seconds: float = 330, old_path: bool = False, progress: Callable[[str], None] = print,
        checkpoint: Optional[Callable[[dict], None]] = None) -> dict:
    """Every variant in order (the ones that would end after `max_seconds`, judged by the slowest
    so far, are skipped): {"device", "backend", ..., "variants": [rows], "skipped", "errors"}.
    A variant that fails is recorded in "errors" and the others still run."""
    import keras

    from explorer.nn.backend import device_info

    t_start = time.perf_counter()
    report = {"device": device_info(), "backend": keras.config.backend(), "keras": keras.__version__,
              "python": platform.python_version(), "batch": batch, "variants": [], "skipped": [], "errors": {}}
    try:
        import jax

        report["jax"] = jax.__version__
        report["jax_devices"] = [str(d) for d in jax.devices()]
    except ImportError:
        pass
    progress(f"device: {report['device']['summary']}")
    slowest = 0.0
    for variant in variants:
        if time.perf_counter() - t_start + slowest > max_seconds:
            report["skipped"].append(variant)
            continue
        t_variant = time.perf_counter()
        try:
            row = one_variant(variant, input_size=input_size, pairs=pairs, old_path=old_path)
            for policy, key in POLICIES:
                row[key] = batch32(variant, input_size, policy, batch, repeats)
            report["variants"].append(row)
            progress(f"{variant}: probe / predict_on_batch {row['probe_vs_predict_on_batch']['ratio']:.3f}, "
                     f"probe / own forward {row['probe_vs_own_forward']['ratio']:.3f} "
                     f"({time.perf_counter() - t_start:.0f} s)")
        except Exception as e:  # noqa: BLE001 - keep the other variants' numbers
            report["errors"][variant] = f"{type(e).__name__}: {e}"
            progress(f"{variant} failed: {e}")
        slowest = max(slowest, time.perf_counter() - t_variant)
        report["elapsed_s"] = time.perf_counter() - t_start
        if checkpoint is not None:
            checkpoint(report)
    return report


def section(cfg, on_gpu: bool) -> dict:
    """The "gpu" section of `python -m benchmarks`: measured where the backend sees a GPU, else a
    note saying how to measure it."""
    if not on_gpu:
        return {"status": "not run", "note": f"no GPU visible to the backend; on a GPU machine: {HOW_TO_RUN}"}
    from benchmarks.sections import log

    order = [v for v in ORDER if v in cfg.variants]
    budget = (cfg.deadline - time.perf_counter()) if getattr(cfg, "deadline", None) else 1e9
    return run(order, input_size=cfg.input_size, pairs=max(cfg.compare_pairs, 3), batch=cfg.batch,
               repeats=max(cfg.throughput_repeats, 3), max_seconds=budget, progress=log)


def render(g: Optional[dict]) -> list[str]:
    """The GPU section's Markdown for the report."""
    if not g:
        return []
    if g.get("status") == "not run":
        return ["### GPU (probe with one transfer, batch-32 float32 / bfloat16)", "", f"Not run: {g['note']}.", ""]
    out = ["### GPU (probe with one transfer, batch-32 float32 / bfloat16)", "",
           f"Device: {g['device']['summary']}, backend {g['backend']}, batch {g.get('batch', 32)}.", "",
           table(g["variants"]), ""]
    if g.get("skipped"):
        out += [f"Skipped for time: {', '.join(g['skipped'])}.", ""]
    if g.get("errors"):
        out += [f"Failed: {'; '.join(f'{k}: {v}' for k, v in g['errors'].items())}.", ""]
    return out


def main(argv=None) -> int:
    """`tools/gpu_bench.py`: prints a table and writes DIR/gpu_bench.json after every variant (a run
    cut short keeps what it measured). Exit status 1 when a variant failed."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path("."))
    p.add_argument("--variants", default=",".join(ORDER))
    p.add_argument("--input-size", type=int, default=None, help="override every variant's (default: its own)")
    p.add_argument("--pairs", type=int, default=20, help="interleaved pairs per ratio")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeats", type=int, default=10, help="timed calls per throughput figure")
    p.add_argument("--max-seconds", type=float, default=330,
                   help="start no variant that would end after this long (judged by the slowest so far)")
    p.add_argument("--old-path", action="store_true",
                   help="also time the probe fetched the old way (predict_on_batch of the probe model)")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / "gpu_bench.json"
    argv_used = sys.argv[1:] if argv is None else list(argv)

    def write(report: dict) -> None:
        path.write_text(json.dumps({**report, "argv": argv_used}, indent=1, default=str))

    report = run([v.strip() for v in a.variants.split(",") if v.strip()], input_size=a.input_size, pairs=a.pairs,
                 batch=a.batch, repeats=a.repeats, max_seconds=a.max_seconds, old_path=a.old_path,
                 progress=lambda s: print(s, flush=True), checkpoint=write)
    write(report)
    print(table(report["variants"]))
    if report["skipped"]:
        print("skipped for time:", ", ".join(report["skipped"]))
    print(f"wrote {path} in {report.get('elapsed_s', 0):.0f} s")
    return 1 if report["errors"] else 0
