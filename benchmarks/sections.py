"""The in-process measurements: matrix-product peak; per variant build, forward and probe; the
keras.applications reference; the analytic cost sweep against Keras builds."""
from __future__ import annotations

import gc
import sys
import time

import numpy as np

from benchmarks import backend, machine
from benchmarks.config import GOALS, REFERENCE, Config
from benchmarks.timing import compare, measure, once, ratio, summary


def log(msg: str) -> None:
    load = machine.load_average()
    print(f"[bench {time.strftime('%H:%M:%S')} load {load[0] if load else '?'}] {msg}", file=sys.stderr,
          flush=True)


def out_of_time(cfg: Config, what: str) -> bool:
    """True (and logged, and noted in `SKIPPED`) once the run's --max-minutes have passed."""
    deadline = getattr(cfg, "deadline", None)
    if deadline is not None and time.perf_counter() > deadline:
        SKIPPED.append(what)
        log(f"out of time (--max-minutes): skipping {what}")
        return True
    return False


SKIPPED: list[str] = []
ERRORS: dict[str, str] = {}


def guarded(label: str, fn):
    """Run one variant's measurement; on an exception log it in ERRORS and go on with the next."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        import traceback

        ERRORS[label] = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}"
        log(f"{label} failed: {type(e).__name__}: {e}")
        release()
        return None


def release() -> None:
    """What the app does when it evicts a model."""
    import keras

    keras.backend.clear_session()
    gc.collect()


def clear_explorer_caches() -> None:
    """Forget resolved graphs and costs, so a 'cold' build or cost pays for them again (whichever
    of explorer's graph caches exist in this version)."""
    from explorer.arch.graph import resolve

    resolve.cache_clear()
    cost_mod = sys.modules["explorer.arch.cost"]
    for name in ("walk_cached",):
        clear = getattr(getattr(cost_mod, name, None), "cache_clear", None)
        if clear is not None:
            clear()


def variant_choices(cfg: Config, variant: str) -> dict:
    return {"input_size": cfg.input_size} if cfg.input_size else {}


def sample_image(size: int = 512):
    """A photo from assets/samples (the app's samples) or, failing that, a synthetic image."""
    from PIL import Image

    for path in sorted((machine.ROOT / "assets" / "samples").glob("*.jpg")):
        try:
            from explorer.inference.images import load_image

            return load_image(path)
        except Exception:  # noqa: BLE001
            continue
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


# --------------------------------------------------------------------------- peak
def peak(cfg: Config, on_gpu: bool) -> dict:
    n = cfg.peak_n or (8192 if on_gpu else (1024 if cfg.quick else 2048))
    reps = 3 if cfg.quick else 10
    out = {"backend_matmul": backend.matmul_gflops(n, repeats=reps)}
    if not on_gpu:  # on a CPU both run on the same cores: the faster one is the peak
        out["numpy_matmul"] = backend.numpy_matmul_gflops(n, repeats=reps)
    return out


def peak_gflops(peaks: list[dict]) -> float:
    """The machine's peak: the best single product over every peak measurement of the run (start
    and end). A peak is what the machine can do, so the fastest repeat is the estimate; on a loaded
    machine a median would understate it and make models look faster than their peak."""
    return max(m["gflops_best"] for p in peaks for m in p.values())


# --------------------------------------------------------------------------- per variant
def _cached_builder(maxsize: int):
    """The app's model cache: st.cache_resource when Streamlit is installed (hashes the frozen
    Choices as the app does), else functools.lru_cache."""
    import explorer

    try:
        import logging

        import streamlit as st

        logging.getLogger("streamlit").setLevel(logging.ERROR)

        @st.cache_resource(max_entries=maxsize, show_spinner=False)
        def get_model(variant, choices, _kw):  # hashed: the name and the frozen Choices
            return explorer.build(variant, **_kw)

        def call(variant, c, choices):
            return get_model(variant, c, choices)

        return call, "st.cache_resource", get_model.clear
    except ImportError:
        import functools

        @functools.lru_cache(maxsize=maxsize)
        def get_model_lru(variant, c):
            return explorer.build(variant, **dict(_CHOICES[c]))

        _CHOICES: dict = {}

        def call(variant, c, choices):
            _CHOICES[c] = tuple(choices.items())
            return get_model_lru(variant, c)

        return call, "functools.lru_cache", get_model_lru.cache_clear


def _build_row(cfg, variant, kw, c, cached_build, cache_kind) -> tuple[dict, object]:
    """Cold build, build through the app's cache and its hit, first calls; (row, cached model)."""
    import explorer
    from explorer.inference.probe import get_probe

    fresh = None
    if cfg.fresh_process:
        from benchmarks import cold

        log(f"{variant}: cold start in a fresh process")
        fresh = cold.run_subprocess(variant, cfg.input_size)
    log(f"{variant}: build")
    release()
    clear_explorer_caches()
    model, cold_s = once(lambda: explorer.build(variant, **kw))
    n_layers, params = len(model.layers), model.count_params()
    del model
    release()
    model, through_cache_s = once(lambda: cached_build(variant, c, kw))
    hits = measure(lambda: cached_build(variant, c, kw), warmup=1, min_repeats=20, max_repeats=200, budget_s=0.2)
    x1 = _inputs(c.input_size, 1)
    fns = backend.forward_functions(model, jit=cfg.jit)
    firsts = {key: once(lambda: fn(x1))[1] for key, fn in fns.items()}
    probe, probe_build_s = once(lambda: get_probe(model))
    _, first_probe_s = once(lambda: probe.summarize(x1))
    return {"variant": variant, "input_size": c.input_size, "layers": n_layers, "params": params, "fresh_process": fresh,
            "cold_s": cold_s, "through_cache_s": through_cache_s, "cache": cache_kind,
            "cache_hit_us": summary(hits)["median_s"] * 1e6, "first_call_s": firsts,
            "probe_build_s": probe_build_s, "probe_folded": probe.folded, "first_probe_s": first_probe_s,
            "predict_on_batch_xla": backend.xla_default(model)}, model


def _inputs(size: int, n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype(np.float32)


def _forward_row(cfg, variant, model, size, macs, peak) -> dict:
    """Batch-1 latency and batch-N throughput of each forward function, GFLOP/s, fraction of peak."""
    log(f"{variant}: forward")
    fns = backend.forward_functions(model, jit=cfg.jit)
    x1, xb = _inputs(size, 1), _inputs(size, cfg.batch)
    row = {"variant": variant, "input_size": size, "macs": macs, "gflop_per_image": 2 * macs / 1e9,
           "batch": cfg.batch, "latency_ms": {}, "throughput_ips": {}, "gflops": {}, "peak_fraction": {},
           "functions": {k: backend.function_label(k) for k in fns}}
    for key, fn in fns.items():
        t1 = measure(lambda: fn(x1), warmup=1, min_repeats=cfg.min_repeats, max_repeats=cfg.max_repeats,
                     budget_s=cfg.budget_s)
        row["latency_ms"][key] = summary(t1)["median_s"] * 1e3
        row.setdefault("latency_b1_gflops", {})[key] = 2 * macs / summary(t1)["median_s"] / 1e9
    for key, fn in fns.items():
        if key == "predict_on_batch":
            continue  # same graph as "compiled"; batch throughput is measured on the compiled functions
        tb = measure(lambda: fn(xb), warmup=1, min_repeats=cfg.throughput_repeats,
                     max_repeats=max(cfg.throughput_repeats, 10), budget_s=cfg.budget_s)
        med = summary(tb)["median_s"]
        row["throughput_ips"][key] = cfg.batch / med
        row["gflops"][key] = 2 * macs * cfg.batch / med / 1e9
        row["peak_fraction"][key] = row["gflops"][key] / peak if peak else None
    return row


def _pair(cfg, fa, fb) -> dict:
    """fa against fb, interleaved: ratios (median of per-pair ratios, of minima, of CPU time), ms."""
    pairs = compare(fa, fb, warmup=1, min_pairs=cfg.compare_pairs, max_pairs=max(cfg.compare_pairs, 40),
                    budget_s=cfg.compare_budget_s)
    return {**ratio(pairs[0], pairs[1], pairs.cpu), "a_ms": summary(pairs[0])["median_s"] * 1e3,
            "b_ms": summary(pairs[1])["median_s"] * 1e3}


def _probe_row(cfg, variant, model, size) -> dict:
    """What the app pays for every branch against a plain forward pass, all interleaved, batch 1:
    the probe (maps and heads) and `branch_activations` (summaries included, the image already at
    the input size) against Keras's predict_on_batch of the model; the probe against its own
    network's forward pass (same weights: what extracting every branch adds); and, when the probe
    folds batch norm, the folded network against the model (both compiled)."""
    from PIL import Image

    from explorer.inference.probe import branch_activations, get_probe

    log(f"{variant}: probe")
    probe = get_probe(model)
    fns = backend.forward_functions(model)
    plain, compiled = fns["predict_on_batch"], fns["compiled"]
    x1 = _inputs(size, 1)
    image = Image.fromarray(np.random.default_rng(4).integers(0, 256, (size, size, 3), dtype=np.uint8))
    vs_forward = _pair(cfg, lambda: probe.run(x1), lambda: plain(x1))
    overhead = _pair(cfg, lambda: probe.run(x1), lambda: probe.forward(x1))
    acts = _pair(cfg, lambda: branch_activations(model, image), lambda: plain(x1))
    fold = _pair(cfg, lambda: probe.forward(x1), lambda: compiled(x1)) if probe.folded else None
    maps, _ = probe.run(x1)
    met = vs_forward["ratio"] <= GOALS["probe_ratio"] and acts["ratio"] <= GOALS["activations_ratio"]
    return {"variant": variant, "outputs": len(probe.entries), "folded": probe.folded,
            "activation_mib": machine.mib(sum(m.nbytes for m in maps)),
            "forward_ms": vs_forward["b_ms"], "probe_ms": vs_forward["a_ms"], **vs_forward,
            "probe_vs_own_forward": overhead, "branch_activations": acts,
            "branch_activations_ms": acts["a_ms"], "branch_activations_ratio": acts["ratio"],
            "fold": fold, "goal": GOALS["probe_ratio"], "activations_goal": GOALS["activations_ratio"],
            "met": met}


def models(cfg: Config, peak: float) -> tuple[list, list, list]:
    """Per variant: build (cold, through the cache, cache hit, first calls), forward (batch 1
    latency, batch-N throughput, GFLOP/s, fraction of peak), probe against plain forward."""
    import explorer

    cached_build, cache_kind, cache_clear = _cached_builder(cfg.lru)
    build_rows, forward_rows, probe_rows = [], [], []

    def one(variant):
        kw = variant_choices(cfg, variant)
        c = explorer.choices(variant, **kw)
        row, model = _build_row(cfg, variant, kw, c, cached_build, cache_kind)
        build_rows.append(row)
        forward_rows.append(_forward_row(cfg, variant, model, c.input_size, explorer.cost(variant, **kw).macs, peak))
        probe_rows.append(_probe_row(cfg, variant, model, c.input_size))
        del model
        cache_clear()
        release()

    for variant in cfg.model_variants or cfg.variants:
        if not out_of_time(cfg, f"models:{variant}"):
            guarded(f"models:{variant}", lambda: one(variant))
    return build_rows, forward_rows, probe_rows


# --------------------------------------------------------------------------- reference
def reference(cfg: Config) -> list[dict]:
    """explorer's model against keras.applications' on the same input (random weights: speed does
    not depend on them), both through the same kind of compiled function, batch 1, interleaved."""
    import keras

    import explorer
    from explorer.nn.fold import fold_batchnorm

    rows = []

    def one(variant, app_name):
        log(f"{variant}: against keras.applications.{app_name}")
        kw = variant_choices(cfg, variant)
        size = explorer.choices(variant, **kw).input_size
        ours = explorer.build(variant, **kw)
        theirs = getattr(keras.applications, app_name)(weights=None, input_shape=(size, size, 3))
        x = np.random.default_rng(2).uniform(-1, 1, (1, size, size, 3)).astype(np.float32)
        row = {"variant": variant, "application": f"keras.applications.{app_name}", "input_size": size,
               "explorer_params": ours.count_params(), "keras_params": theirs.count_params(),
               "explorer_layers": len(ours.layers), "keras_layers": len(theirs.layers), "by": {}}
        theirs_fn = backend.forward_functions(theirs, jit=False)
        ours_fn = backend.forward_functions(ours, jit=False)
        folded = fold_batchnorm(ours, residual_scale=True)  # batch norm and residual scales folded
        ours_fn["folded"] = backend.forward_functions(folded, jit=False)["compiled"]
        for key, against in (("compiled", "compiled"), ("predict_on_batch", "predict_on_batch"),
                             ("folded", "compiled")):
            fa, fb = ours_fn[key], theirs_fn[against]
            pairs = compare(lambda: fa(x), lambda: fb(x), warmup=2, min_pairs=cfg.compare_pairs,
                            max_pairs=max(cfg.compare_pairs, 40), budget_s=cfg.compare_budget_s)
            ta, tb = pairs
            row["by"][key] = {"explorer_ms": summary(ta)["median_s"] * 1e3, "keras_ms": summary(tb)["median_s"] * 1e3,
                              **ratio(ta, tb, pairs.cpu)}
        head, fold = row["by"]["compiled"], row["by"]["folded"]
        row.update(explorer_ms=head["explorer_ms"], keras_ms=head["keras_ms"], ratio=head["ratio"],
                   goal=GOALS["reference_ratio"], met=head["ratio"] <= GOALS["reference_ratio"],
                   folded_ratio=fold["ratio"], folded_goal=GOALS["reference_folded_ratio"],
                   folded_met=fold["ratio"] <= GOALS["reference_folded_ratio"])
        rows.append(row)
        del ours, theirs, folded, fa, fb, ours_fn, theirs_fn
        release()

    for variant, app_name in REFERENCE.items():
        if variant not in cfg.variants or out_of_time(cfg, f"reference:{variant}"):
            continue
        guarded(f"reference:{variant}", lambda: one(variant, app_name))
    return rows


# --------------------------------------------------------------------------- cost sweep
def toggle_combinations(variant: str, base: dict) -> tuple[list[dict], list[dict]]:
    """Every combination of the variant's applicable toggles: (valid, skipped as impossible)."""
    from explorer.arch import toggle_combinations as combos

    valid, skipped = combos(variant, base)
    return valid, [kw for kw, _ in skipped]


def cost_sweep(cfg: Config) -> list[dict]:
    """The analytic cost of every toggle combination (cold: graph caches cleared first; and again,
    cached) against building those models in Keras. Keras builds are timed on `cost_builds`
    combinations per variant spread over the list and extrapolated to all of them."""
    import explorer

    rows = []

    def one(variant):
        log(f"{variant}: toggle sweep")
        valid, skipped = toggle_combinations(variant, variant_choices(cfg, variant))

        def sweep():
            t0 = time.perf_counter()
            out = [explorer.cost(variant, **kw) for kw in valid]
            return out, time.perf_counter() - t0

        # cold (graph caches cleared) and cached sweeps, alternating; the best of three rounds of
        # each (single sweeps are short: load spikes show)
        times = {"cold": [], "cached": []}
        for _ in range(1 if cfg.quick else 3):
            clear_explorer_caches()
            costs, dt = sweep()
            times["cold"].append(dt)
            times["cached"].append(sweep()[1])
            clear_explorer_caches()
        analytic_cold, analytic_cached = min(times["cold"]), min(times["cached"])
        k = min(cfg.cost_builds, len(valid))
        picks = sorted({int(round(i)) for i in np.linspace(0, len(valid) - 1, k)}) if k else []
        build_times, params_ok = [], True
        for i in picks:
            release()
            model, dt = once(lambda: explorer.build(variant, **valid[i]))
            build_times.append(dt)
            params_ok &= model.count_params() == costs[i].params
            del model
        release()
        per_build = float(np.mean(build_times)) if build_times else None
        keras_total = per_build * len(valid) if per_build is not None else None
        rows.append({"variant": variant, "combinations": len(valid), "skipped": len(skipped),
                     "analytic_cold_s": analytic_cold, "analytic_cached_s": analytic_cached,
                     "analytic_per_combination_ms": analytic_cold / max(1, len(valid)) * 1e3,
                     "keras_builds_timed": len(build_times), "keras_per_build_s": per_build,
                     "keras_total_s": keras_total, "keras_total_extrapolated": len(build_times) < len(valid),
                     "ratio": keras_total / analytic_cold if keras_total and analytic_cold else None,
                     "params_match": bool(params_ok)})

    for variant in cfg.variants:
        if not out_of_time(cfg, f"cost:{variant}"):
            guarded(f"cost:{variant}", lambda: one(variant))
    return rows
