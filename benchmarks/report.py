"""Markdown tables of a result (what `python -m benchmarks` prints; paste into docs/performance.md).

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


def render(r: dict) -> str:
    out = [f"**Machine:** {machine_line(r)}", ""]
    fixes = r.get("fixes_in_explorer")
    if fixes:
        out += ["**Fixes already in explorer/:** " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in fixes.items())
                + " (where yes, the matching what-if measures what ships).", ""]
    peaks = r.get("peak") or []
    if peaks:
        best = r.get("peak_gflops")
        parts = []
        for when, p in zip(("start", "end"), peaks):
            parts.append(", ".join(f"{m['method']} {m.get('gflops_best', m['gflops']):.0f} (median "
                                   f"{m['gflops']:.0f})" for m in p.values()) + f" at the {when}")
        n = next(iter(peaks[0].values()))["n"]
        out += [f"**Peak** (float32 {n}x{n} matrix product, GFLOP/s, best repeat): " + "; ".join(parts)
                + f" -> peak used: **{best:.0f} GFLOP/s**", ""]

    if r.get("build"):
        keys = list(r["build"][0]["first_call_s"])
        fresh = any(b.get("fresh_process") for b in r["build"])

        def fp(b, k, fmt="{:.2f}"):
            f = b.get("fresh_process") or {}
            return "error" if "error" in f else _f(f.get(k), fmt)

        out += ["### Build (per variant, default choices)", "",
                _table(["variant", "input", "layers", "params"]
                       + (["fresh process: import s", "build s", "first predict s", "build + first probe s"]
                          if fresh else [])
                       + ["in process: build s", "rebuild via cache s", "cache hit µs"]
                       + [f"first call {k} s" for k in keys] + ["first probe run s"],
                       [[b["variant"], b["input_size"], b["layers"], f"{b['params']:,}"]
                        + ([fp(b, "import_s"), fp(b, "build_s"), fp(b, "first_predict_s"), fp(b, "to_first_maps_s")]
                           if fresh else [])
                        + [_f(b["cold_s"]), _f(b["through_cache_s"]), _f(b["cache_hit_us"], "{:.0f}")]
                        + [_f(b["first_call_s"].get(k)) for k in keys] + [_f(b["first_probe_s"])]
                        for b in r["build"]]),
               "", f"Fresh process: a new interpreter per variant (what the app pays the first time a variant "
               f"is picked). In process: variants built one after another in this process, explorer's graph "
               f"caches cleared before each cold build; rebuild through the app's cache "
               f"({r['build'][0]['cache']}), then its hit; first calls trace/compile. predict_on_batch uses "
               f"XLA: {r['build'][0].get('predict_on_batch_xla')}.", ""]

    if r.get("forward"):
        f0 = r["forward"][0]
        lat_keys = list(f0["latency_ms"])
        tp_keys = list(f0["throughput_ips"])
        labels = f0["functions"]
        header = (["variant", "input", "GMACs"] + [f"batch 1 ms ({labels[k]})" for k in lat_keys]
                  + [f"batch {f0['batch']} img/s ({labels[k]})" for k in tp_keys]
                  + [f"GFLOP/s ({labels[k]})" for k in tp_keys] + [f"% of peak ({labels[k]})" for k in tp_keys])
        rows = []
        for f in r["forward"]:
            rows.append([f["variant"], f["input_size"], _f(f["macs"] / 1e9)]
                        + [_f(f["latency_ms"][k], "{:.1f}") for k in lat_keys]
                        + [_f(f["throughput_ips"][k], "{:.1f}") for k in tp_keys]
                        + [_f(f["gflops"][k], "{:.0f}") for k in tp_keys]
                        + [_f(100 * f["peak_fraction"][k] if f["peak_fraction"][k] is not None else None, "{:.0f} %")
                           for k in tp_keys])
        out += ["### Forward pass (random weights; GFLOP = 2 x MACs per image)", "", _table(header, rows), ""]

    if r.get("reference"):
        out += ["### explorer against keras.applications (same input, batch 1, interleaved)", "",
                _table(["variant", "reference", "params equal", "explorer ms", "keras ms",
                        "ratio (compiled)", "ratio (predict_on_batch)", "min-ratio (compiled)",
                        "CPU-time ratio (compiled)", "goal", "met"],
                       [[x["variant"], x["application"], _f(x["explorer_params"] == x["keras_params"]),
                         _f(x["explorer_ms"], "{:.1f}"), _f(x["keras_ms"], "{:.1f}"), _f(x["ratio"], "{:.3f}"),
                         _f(x["by"]["predict_on_batch"]["ratio"], "{:.3f}"),
                         _f(x["by"]["compiled"]["ratio_of_mins"], "{:.3f}"),
                         _f(x["by"]["compiled"].get("cpu_ratio"), "{:.3f}"), f"<= {x['goal']}", _f(x["met"])]
                        for x in r["reference"]]), ""]

    if r.get("probe"):
        out += ["### All-branch activations against a plain forward pass (batch 1, predict_on_batch, interleaved)", "",
                _table(["variant", "outputs", "activations MiB", "forward ms", "probe ms", "ratio",
                        "min-ratio", "CPU-time ratio", "branch_activations ms (with preprocessing)", "goal", "met",
                        "what-if zero-copy: ratio", "CPU-time ratio"],
                       [[p["variant"], p["outputs"], _f(p["activation_mib"], "{:.1f}"), _f(p["forward_ms"], "{:.1f}"),
                         _f(p["probe_ms"], "{:.1f}"), _f(p["ratio"], "{:.3f}"), _f(p["ratio_of_mins"], "{:.3f}"),
                         _f(p.get("cpu_ratio"), "{:.3f}"),
                         _f(p["branch_activations_ms"], "{:.1f}"), f"<= {p['goal']}", _f(p["met"]),
                         _f(p.get("zero_copy_ratio"), "{:.3f}"), _f(p.get("zero_copy_cpu_ratio"), "{:.3f}")]
                        for p in r["probe"]]), ""]

    jit_rows = [p for p in r.get("probe") or [] if p.get("jit_probe_batched_ratio") is not None]
    if jit_rows:
        out += ["What-if (JAX): the probe and the model under `jax.jit(stateless_call)`, batch 1, outputs fetched "
                "one `np.asarray` after another (what `predict_on_batch` does) or all at once with `jax.device_get`:", "",
                _table(["variant", "model ms", "probe, sequential fetch ms", "ratio", "probe, one device_get ms", "ratio"],
                       [[p["variant"], _f(p["jit_model_ms"], "{:.2f}"), _f(p["jit_probe_sequential_ms"], "{:.2f}"),
                         _f(p["jit_probe_sequential_ratio"], "{:.3f}"), _f(p["jit_probe_batched_ms"], "{:.2f}"),
                         _f(p["jit_probe_batched_ratio"], "{:.3f}")] for p in jit_rows]), ""]

    if r.get("cost"):
        out += ["### Analytic cost of every toggle combination against building them in Keras", "",
                _table(["variant", "combinations", "impossible (skipped)", "analytic total ms (cold)",
                        "analytic total ms (cached)", "Keras builds timed", "Keras s/build", "Keras total s",
                        "ratio", "params equal", "what-if shared walk: cold ms", "cached ms"],
                       [[c["variant"], c["combinations"], c["skipped"], _f(c["analytic_cold_s"] * 1e3, "{:.1f}"),
                         _f(c["analytic_cached_s"] * 1e3, "{:.2f}"), c["keras_builds_timed"],
                         _f(c["keras_per_build_s"]),
                         _f(c["keras_total_s"], "{:.0f}") + (" (est.)" if c["keras_total_extrapolated"] else ""),
                         _f(c["ratio"], "{:,.0f}x"), _f(c["params_match"]),
                         _f(c.get("fixed_walk_cold_s", 0) * 1e3, "{:.1f}"), _f(c.get("fixed_walk_cached_s", 0) * 1e3, "{:.2f}")]
                        for c in r["cost"]]), ""]
        tot_a = sum(c["analytic_cold_s"] for c in r["cost"])
        tot_k = sum(c["keras_total_s"] or 0 for c in r["cost"])
        n = sum(c["combinations"] for c in r["cost"])
        out += [f"All {n} combinations: analytic {tot_a * 1e3:.0f} ms, Keras {tot_k:.0f} s "
                f"(ratio {tot_k / tot_a:,.0f}x).", ""] if tot_a else []

    mem = r.get("memory")
    if mem and "error" not in mem:
        out += ["### Memory (fresh process)", "",
                _table(["variant", "branches", "activations MiB", "params MiB", "RSS before MiB",
                        "RSS holding activations MiB", "peak RSS MiB", "+RSS MiB", "device peak MiB"],
                       [[v["variant"], v["branches"], _f(v["activations_mib"], "{:.1f}"), _f(v["params_mib"], "{:.0f}"),
                         _f(v["rss_before_mib"], "{:.0f}"), _f(v["rss_holding_mib"], "{:.0f}"),
                         _f(v["peak_rss_mib"], "{:.0f}"), _f(v["delta_mib"], "{:.0f}"),
                         _f(v["device_peak_mib"], "{:.0f}")] for v in mem["per_variant"]]), "",
                f"Model switches (LRU of {mem['lru']}, evict = clear_session + gc.collect): RSS after switch "
                f"{mem['baseline_switch']} **{mem['rss_baseline_mib']:.0f} MiB**, after switch {mem['final_switch']} "
                f"**{mem['rss_final_mib']:.0f} MiB** ({100 * mem['growth']:+.1f} %, goal <= +{100 * mem['goal']:.0f} %: "
                f"{'met' if mem['met'] else 'MISSED'}); models still alive {mem['models_alive_final']} "
                f"(held {mem['models_held_final']}; leaked {mem['leaked_models']})."
                + (" Same models held at both ends." if mem.get("same_models_at_both_ends") else ""), ""]
        fix = r.get("memory_probe_fix")
        if fix and "error" not in fix:
            out += [f"Same run with the probe-cache fix applied (what-if, `--probe-fix`): after switch "
                    f"{fix['baseline_switch']} {fix['rss_baseline_mib']:.0f} MiB, after switch {fix['final_switch']} "
                    f"{fix['rss_final_mib']:.0f} MiB ({100 * fix['growth']:+.1f} %), leaked models "
                    f"{fix['leaked_models']}.", ""]
    elif mem:
        out += [f"### Memory: {mem['error']}", ""]

    app = r.get("app")
    if app:
        if app.get("status") == "skipped" and not app.get("rows"):
            out += [f"### App: skipped ({app['note']})", ""]
        else:
            out += [f"### App: upload to rendered feature maps ({app.get('driver')}, {app.get('page')}, warm model)", "",
                    _table(["variant", "mode", "status", "upload -> maps s (median)", "first upload s", "map elements",
                            "note"],
                           [[a["variant"], a.get("mode", ""), a["status"], _f(a.get("upload_to_maps_s")),
                             _f(a.get("first_upload_s")), a.get("map_elements", "-"), a.get("note", "")]
                            for a in app["rows"]]),
                    "", "The model was built and the sample photo run before the first upload; each upload is a new "
                    "photo (no cache can answer). Times are whole-page reruns, without the browser's drawing."
                    + (" The app keeps Keras state between reruns itself (the fix is in), so there is no what-if row."
                       if app.get("app_keeps_keras_state") else ""), ""]

    if r.get("goals"):
        out += ["### Goals", "",
                _table(["goal", "measured", "target", "met"],
                       [[g["name"], g["measured"], g["target"], _f(g["met"], none="n/a")] for g in r["goals"]]), ""]
    return "\n".join(out)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else Path(__file__).resolve().parent / "results" / "latest.json"
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
