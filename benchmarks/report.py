"""Markdown tables of a result (what `python -m benchmarks` prints; pasted into README and benchmarks/README.md).

    python -m benchmarks.report benchmarks/results/latest.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _f(x, fmt="{:.2f}", none="-") -> str:
    if x is None:
        return none
    if isinstance(x, bool):
        return "yes" if x else "NO"
    try:
        return fmt.format(x)
    except (TypeError, ValueError):
        return str(x)


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def machine_line(r: dict) -> str:
    m, d = r.get("machine", {}), r.get("device", {})
    versions = ", ".join(f"{k} {v}" for k, v in r.get("versions", {}).items()
                         if k in ("keras", "tensorflow", "jax", "torch", "numpy", "streamlit"))
    return (f"{m.get('cpu')} ({m.get('usable_cores')} of {m.get('cores')} cores usable), "
            f"{m.get('ram_gib')} GiB RAM, {m.get('os')}; backend **{d.get('backend')}** on "
            f"**{d.get('device')}**; Python {m.get('python')}, {versions}; {m.get('date')}, commit "
            f"{m.get('commit')}; load average at start {m.get('load_avg_start')}, at end "
            f"{m.get('load_avg_end')}; total {_f(r.get('elapsed_s'), '{:.0f}')} s"
            + (" (--quick)" if r.get("config", {}).get("quick") else ""))


def _peak(r: dict) -> list[str]:
    peaks = r.get("peak") or []
    if not peaks:
        return []
    parts = [", ".join(f"{m['method']} {m.get('gflops_best', m['gflops']):.0f} (median {m['gflops']:.0f})"
                       for m in p.values()) + f" at the {when}" for when, p in zip(("start", "end"), peaks)]
    n = next(iter(peaks[0].values()))["n"]
    return [f"**Peak** (float32 {n}x{n} matrix product, GFLOP/s, best repeat): " + "; ".join(parts)
            + f" -> peak used: **{r.get('peak_gflops'):.0f} GFLOP/s**", ""]


def _build(r: dict) -> list[str]:
    if not r.get("build"):
        return []
    keys = list(r["build"][0]["first_call_s"])
    fresh = any(b.get("fresh_process") for b in r["build"])

    def fp(b, k):
        f = b.get("fresh_process") or {}
        return "error" if "error" in f else _f(f.get(k))

    fresh_cols = ["fresh process: import s", "build s", "first predict s", "probe build s", "build + probe + first maps s"]
    header = (["variant", "input", "layers", "params"] + (fresh_cols if fresh else [])
              + ["in process: build s", "rebuild via cache s", "cache hit µs"] + [f"first call {k} s" for k in keys]
              + ["probe build s (folded)", "first probe run s"])
    rows = [[b["variant"], b["input_size"], b["layers"], f"{b['params']:,}"]
            + ([fp(b, k) for k in ("import_s", "build_s", "first_predict_s", "probe_build_s", "to_first_maps_s")]
               if fresh else [])
            + [_f(b["cold_s"]), _f(b["through_cache_s"]), _f(b["cache_hit_us"], "{:.0f}")]
            + [_f(b["first_call_s"].get(k)) for k in keys]
            + [_f(b.get("probe_build_s")) + (" (yes)" if b.get("probe_folded") else " (no)"), _f(b["first_probe_s"])]
            for b in r["build"]]
    b0 = r["build"][0]
    return ["### Build (per variant, default choices)", "", _table(header, rows), "",
            "Fresh process: a new interpreter per variant (what the app pays the first time a variant is picked). "
            "In process: variants built one after another in this process, explorer's graph caches cleared before "
            f"each cold build; rebuild through the app's cache ({b0['cache']}), then its hit; first calls "
            "trace/compile. The probe build includes folding batch norm into a second network (yes/no: folded); "
            f"its first run traces. predict_on_batch uses XLA: {b0.get('predict_on_batch_xla')}.", ""]


def _forward(r: dict) -> list[str]:
    if not r.get("forward"):
        return []
    f0 = r["forward"][0]
    lat_keys, tp_keys, labels = list(f0["latency_ms"]), list(f0["throughput_ips"]), f0["functions"]
    header = (["variant", "input", "GMACs"] + [f"batch 1 ms ({labels[k]})" for k in lat_keys]
              + [f"batch {f0['batch']} img/s ({labels[k]})" for k in tp_keys]
              + [f"GFLOP/s ({labels[k]})" for k in tp_keys] + [f"% of peak ({labels[k]})" for k in tp_keys])
    rows = [[f["variant"], f["input_size"], _f(f["macs"] / 1e9)]
            + [_f(f["latency_ms"][k], "{:.1f}") for k in lat_keys]
            + [_f(f["throughput_ips"][k], "{:.1f}") for k in tp_keys]
            + [_f(f["gflops"][k], "{:.0f}") for k in tp_keys]
            + [_f(100 * f["peak_fraction"][k] if f["peak_fraction"][k] is not None else None, "{:.0f} %")
               for k in tp_keys] for f in r["forward"]]
    return ["### Forward pass (random weights; GFLOP = 2 x MACs per image)", "", _table(header, rows), ""]


def _reference(r: dict) -> list[str]:
    if not r.get("reference"):
        return []
    rows = []
    for x in r["reference"]:
        by = x["by"]
        folded = by.get("folded") or {}
        rows.append([x["variant"], x["application"], _f(x["explorer_params"] == x["keras_params"]),
                     _f(x["explorer_ms"], "{:.1f}"), _f(x["keras_ms"], "{:.1f}"), _f(x["ratio"], "{:.3f}"),
                     _f(by["predict_on_batch"]["ratio"], "{:.3f}"), _f(by["compiled"].get("cpu_ratio"), "{:.3f}"),
                     f"<= {x['goal']}", _f(x["met"]), _f(folded.get("explorer_ms"), "{:.1f}"),
                     _f(folded.get("ratio"), "{:.3f}"), _f(folded.get("cpu_ratio"), "{:.3f}"),
                     f"<= {x.get('folded_goal')}", _f(x.get("folded_met"))])
    return ["### explorer against keras.applications (same input, batch 1, interleaved)", "",
            _table(["variant", "reference", "params equal", "explorer ms", "keras ms", "ratio (compiled)",
                    "ratio (predict_on_batch)", "CPU-time ratio (compiled)", "goal", "met",
                    "folded ms", "folded ratio", "folded CPU-time ratio", "goal", "met"], rows), "",
            "Folded: explorer's model with batch norm folded into the convolutions and the residual scales "
            "into the up-projections (`explorer.nn.fold.fold_batchnorm(model, residual_scale=True)`), "
            "against the same keras.applications model, both compiled.", ""]


def _probe(r: dict) -> list[str]:
    if not r.get("probe"):
        return []
    rows = []
    for p in r["probe"]:
        own, acts, fold = p.get("probe_vs_own_forward") or {}, p.get("branch_activations") or {}, p.get("fold") or {}
        rows.append([p["variant"], p["outputs"], _f(p["activation_mib"], "{:.1f}"), _f(p.get("folded")),
                     _f(p["forward_ms"], "{:.1f}"), _f(p["probe_ms"], "{:.1f}"), _f(p["ratio"], "{:.3f}"),
                     _f(p.get("cpu_ratio"), "{:.3f}"), _f(own.get("ratio"), "{:.3f}"),
                     _f(p["branch_activations_ms"], "{:.1f}"), _f(p["branch_activations_ratio"], "{:.3f}"),
                     _f(acts.get("cpu_ratio"), "{:.3f}"), _f(fold.get("ratio"), "{:.3f}"),
                     f"<= {p['goal']} / <= {p.get('activations_goal')}", _f(p["met"])])
    return ["### All-branch activations against a plain forward pass (batch 1, interleaved)", "",
            _table(["variant", "outputs", "activations MiB", "BN folded", "predict_on_batch ms", "probe ms",
                    "probe / predict_on_batch", "CPU-time ratio", "probe / its own forward",
                    "branch_activations ms", "branch_activations / predict_on_batch", "CPU-time ratio",
                    "folded / unfolded forward", "goals", "met"], rows), "",
            "probe: `get_probe(model).run(batch)` (every branch output and every head, one compiled call, "
            "one transfer, no copies). Its own forward: the same network's heads only (what extracting every "
            "branch adds). branch_activations: what the app calls, the image already at the input size "
            "(preprocessing and every branch's summary included). predict_on_batch: Keras's own call of the "
            "model as built. Folded / unfolded: the probe's network (batch norm folded) against the model, "
            "both compiled.", ""]


def _cost(r: dict) -> list[str]:
    if not r.get("cost"):
        return []
    out = ["### Analytic cost of every toggle combination against building them in Keras", "",
           _table(["variant", "combinations", "impossible (skipped)", "analytic total ms (cold)",
                   "analytic total ms (cached)", "Keras builds timed", "Keras s/build", "Keras total s", "ratio",
                   "params equal"],
                  [[c["variant"], c["combinations"], c["skipped"], _f(c["analytic_cold_s"] * 1e3, "{:.1f}"),
                    _f(c["analytic_cached_s"] * 1e3, "{:.2f}"), c["keras_builds_timed"], _f(c["keras_per_build_s"]),
                    _f(c["keras_total_s"], "{:.0f}") + (" (est.)" if c["keras_total_extrapolated"] else ""),
                    _f(c["ratio"], "{:,.0f}x"), _f(c["params_match"])] for c in r["cost"]]), ""]
    tot_a = sum(c["analytic_cold_s"] for c in r["cost"])
    tot_k = sum(c["keras_total_s"] or 0 for c in r["cost"])
    n = sum(c["combinations"] for c in r["cost"])
    if tot_a:
        out += [f"All {n} combinations: analytic {tot_a * 1e3:.0f} ms, Keras {tot_k:.0f} s (ratio {tot_k / tot_a:,.0f}x).", ""]
    return out


def _memory(r: dict) -> list[str]:
    mem = r.get("memory")
    if not mem:
        return []
    if "error" in mem:
        return [f"### Memory: {mem['error']}", ""]
    rows = [[v["variant"], v["branches"], _f(v["activations_mib"], "{:.1f}"), _f(v["params_mib"], "{:.0f}"),
             _f(v["rss_before_mib"], "{:.0f}"), _f(v["rss_holding_mib"], "{:.0f}"), _f(v["peak_rss_mib"], "{:.0f}"),
             _f(v["delta_mib"], "{:.0f}"), _f(v["device_peak_mib"], "{:.0f}")] for v in mem["per_variant"]]
    return ["### Memory (fresh process)", "",
            _table(["variant", "branches", "activations MiB", "params MiB", "RSS before MiB",
                    "RSS holding activations MiB", "peak RSS MiB", "+RSS MiB", "device peak MiB"], rows), "",
            f"Model switches (LRU of {mem['lru']}, evict = clear_session + gc.collect): RSS after switch "
            f"{mem['baseline_switch']} **{mem['rss_baseline_mib']:.0f} MiB**, after switch {mem['final_switch']} "
            f"**{mem['rss_final_mib']:.0f} MiB** ({100 * mem['growth']:+.1f} %, goal <= +{100 * mem['goal']:.0f} %: "
            f"{'met' if mem['met'] else 'MISSED'}); models still alive {mem['models_alive_final']} "
            f"(held {mem['models_held_final']}; leaked {mem['leaked_models']})."
            + (" Same models held at both ends." if mem.get("same_models_at_both_ends") else ""), ""]


def _app(r: dict) -> list[str]:
    app = r.get("app")
    if not app:
        return []
    if app.get("status") == "skipped" and not app.get("rows"):
        return [f"### App: skipped ({app['note']})", ""]
    rows = [[a["variant"], a.get("mode", ""), a["status"], _f(a.get("upload_to_maps_s")), _f(a.get("first_upload_s")),
             a.get("map_elements", "-"), a.get("note", "")] for a in app["rows"]]
    return [f"### App: upload to rendered feature maps ({app.get('driver')}, {app.get('page')}, warm model)", "",
            _table(["variant", "mode", "status", "upload -> maps s (median)", "first upload s", "map elements",
                    "note"], rows), "",
            "The model was built and the sample photo run before the first upload; each upload is a new photo "
            "(no cache can answer). Times are whole-page reruns, without the browser's drawing. What-if: the "
            "app's switch-off of Streamlit's per-rerun `keras.backend.clear_session()` undone "
            "(`pages/ui/keras_state.py`).", ""]


def _goals(r: dict) -> list[str]:
    if not r.get("goals"):
        return []
    return ["### Goals", "", _table(["goal", "measured", "target", "met"],
                                    [[g["name"], g["measured"], g["target"], _f(g["met"], none="n/a")]
                                     for g in r["goals"]]), ""]


def _gpu(r: dict) -> list[str]:
    from benchmarks.gpu import render

    return render(r.get("gpu"))


SECTIONS = (_peak, _build, _forward, _reference, _probe, _cost, _memory, _app, _gpu, _goals)


def render(r: dict) -> str:
    """Every section's Markdown, after the machine's description."""
    out = [f"**Machine:** {machine_line(r)}", ""]
    for section in SECTIONS:
        out += section(r)
    return "\n".join(out)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else Path(__file__).resolve().parent / "results" / "latest.json"
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
