"""Ablation lab: measured accuracy of scaled-down variants on synthetic shapes, one design choice
changed at a time, beside the published ImageNet ablations; small runs live in the page.
Widgets and calls into `explorer.lab`; every widget has a key."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import explorer
from explorer import lab
from explorer.figures.lab import delta_figure, measured_accuracy_figure
from explorer.figures.published import v3_table3_figure
from explorer.lab.sweep import label as run_label
from explorer.zoo.choices import CHOICE_LABELS
from explorer.zoo.published import LABELS, PUBLISHED, V3_TABLE3, V3_TABLE3_SOURCE
from pages.ui import common, router, state
from pages.ui.i18n import N_, _

SHIPPED = lab.SHIPPED
SOURCES = {"shipped": N_("Shipped sweep (assets/ablation/googlenet_shapes.jsonl)"),
           "upload": N_("A results file of yours (.jsonl)"),
           "live": N_("This session's live runs")}
X_AXES = {"params": N_("accuracy vs parameters"), "macs": N_("accuracy vs MACs")}
SUMMARY_HEADERS = {"configuration": N_("configuration"), "seeds": N_("seeds"), "accuracy % (mean)": N_("accuracy % (mean)"),
                   "± std (seeds)": N_("± std (seeds)"), "vs baseline (points)": N_("vs baseline (points)")}
# Choices a live run can compare (each: the baseline and the baseline with that choice flipped).
LIVE_TOGGLES = ("reduce_1x1", "aux_heads", "batch_norm", "factorize_5x5", "factorize_nxn", "kernel_5x5",
                "lrn", "head", "residual")
# the summary columns shown at 1280 px (the CSV and the records have them all)
SUMMARY_SHOWN = ("configuration", "seeds", "accuracy % (mean)", "± std (seeds)", "vs baseline (points)", "params", "MACs")
REPRODUCE_MINE = ("python -m explorer ablate --variant googlenet --toggle reduce_1x1 --toggle aux_heads \\\n"
                  "    --seeds 3 --epochs 8 --n-train 3000 --image-size 72 --width 0.25 --out my_sweep.jsonl")


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


# --------------------------------------------------------------------------- results
def _live_path() -> Path:
    if "lab_live_dir" not in st.session_state:
        st.session_state["lab_live_dir"] = tempfile.mkdtemp(prefix="ablation_live_")
    return Path(st.session_state["lab_live_dir"]) / "live.jsonl"


def _uploaded_records() -> tuple[list[dict], str]:
    up = st.file_uploader(_("JSON-lines results file (written by `python -m explorer ablate`)"),
                          type=["jsonl", "json", "txt"], key="lab_upload")
    if up is None:
        st.info(_("Upload a results file written by `python -m explorer ablate ... --out FILE`."))
        return [], ""
    tmp = Path(tempfile.mkdtemp(prefix="ablation_upload_")) / "results.jsonl"
    tmp.write_bytes(up.getvalue())
    records = lab.load_results(tmp)
    if not records:
        st.warning(_("No ablation records found in that file."))
    return records, _("uploaded file {name}").format(name=up.name)


def _records(source: str) -> tuple[list[dict], str]:
    """(records, a one-line description of where they come from)."""
    if source == "shipped":
        if not SHIPPED.path.exists():
            st.warning(_("The shipped results file {file} is missing. Produce it with `{command}`.").format(
                file=SHIPPED.out, command=SHIPPED.command))
            return [], ""
        return lab.load_results(SHIPPED.path), f"{SHIPPED.out}: {_(SHIPPED.description)}"
    if source == "upload":
        return _uploaded_records()
    records = lab.load_results(_live_path())
    if not records:
        st.info(_("No live runs yet in this session: start one under **Run live** below."))
    return records, _("live runs of this session")


def _summary_table(rows: list[dict]) -> pd.DataFrame:
    def versus(r) -> str:
        d = r.get("delta_vs_baseline")
        return _("baseline") if r["label"] == "baseline" else ("—" if d is None else f"{100 * d:+.1f}")

    return pd.DataFrame([{
        "configuration": r["label"], "seeds": r["n_seeds"],
        "accuracy % (mean)": round(100 * r["accuracy_mean"], 2), "± std (seeds)": round(100 * r["accuracy_std"], 2),
        "min–max %": f"{100 * r['accuracy_min']:.1f}–{100 * r['accuracy_max']:.1f}",
        "vs baseline (points)": versus(r),
        "aux heads accuracy %": ", ".join(f"{100 * a:.1f}" for a in r["aux_accuracy_mean"]) or "—",
        "params": r["params"], "MACs": r["macs"], "s / run": round(r["wall_s_mean"], 1),
        "device": r.get("device") or ""} for r in rows])


def _show_results(records: list[dict], where: str, key: str) -> list[dict]:
    rows = lab.summarize(records)
    if not rows:
        return rows
    variants = sorted({str(r.get("variant")) for r in records})
    st.caption(f"**{_(LABELS['measured'])}** — {where.rstrip('.')}. " + _(
        "{runs} runs, {configs} configurations, variant {variants}. Error bars: ± one standard deviation across "
        "seeds; open circles: each seed.").format(runs=len(records), configs=len(rows), variants=", ".join(variants)))
    state.seed("lab_x", "params", valid=list(X_AXES))  # a radio, not st.tabs: the chart shown is in the URL
    x = st.radio(_("Chart"), list(X_AXES), key="lab_x", horizontal=True, format_func=lambda k: _(X_AXES[k]),
                 label_visibility="collapsed")
    state.remember("lab_x")
    title = f"{_(LABELS['measured'])}: {_(X_AXES[x])}"
    common.plot(measured_accuracy_figure(rows, records, x, title=title, tr=_), f"ablation_accuracy_vs_{x}",
                key=f"{key}_chart")
    st.dataframe(_summary_table(rows), hide_index=True, width="stretch", key=f"{key}_table", column_order=SUMMARY_SHOWN,
                 column_config={**common.column_labels(SUMMARY_HEADERS),
                                "params": st.column_config.NumberColumn(_("params"), format="localized"),
                                "MACs": st.column_config.NumberColumn(_("MACs / image"), format="localized")})
    return rows


# --------------------------------------------------------------------------- published beside measured
def _measured_text(rows: list[dict], choice: str) -> str:
    measured = [r for r in rows if choice in (r.get("change") or {})]
    if not measured:
        return _("not in these results")
    m = measured[0]
    d = m.get("delta_vs_baseline")
    base = next((r for r in rows if r["label"] == "baseline"), None)
    spread = (100 * (m["accuracy_std"] ** 2 + base["accuracy_std"] ** 2) ** 0.5) if base else None
    vs = "" if d is None else ", " + _("{delta} points vs baseline").format(
        delta=f"{100 * d:+.1f}" + ("" if spread is None else f" ± {spread:.1f}"))
    return f"{m['label']}: {100 * m['accuracy_mean']:.1f} ± {100 * m['accuracy_std']:.1f}% " + _(
        "({n} seeds)").format(n=m["n_seeds"]) + vs


def _published_beside(rows: list[dict]) -> None:
    st.subheader(_("Published (ImageNet) beside measured here (synthetic shapes)"))
    st.caption(_("The two columns are not the same experiment: the papers trained full-size networks on 1.2 M "
                 "ImageNet photos for weeks; the lab trains a quarter-width network on a few thousand synthetic "
                 "images for minutes. Compare directions and sizes with care."))
    table = [{_("design choice"): _(CHOICE_LABELS.get(choice, choice)), _(LABELS["published"]): _(pub["published"]),
              _(LABELS["measured"]): _measured_text(rows, choice), _("published source"): pub["source"]}
             for choice, pub in PUBLISHED.items()]
    st.table(pd.DataFrame(table).set_index(_("design choice")))
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{_(LABELS['published'])}** — " + _("Inception-v3 paper, Table 3"))
        common.plot(v3_table3_figure(title=_(LABELS["published"]), tr=_), "v3_table3", key="lab_v3_chart")
        st.dataframe(pd.DataFrame([{"step (cumulative)": _(r.step), "top-1 error %": r.top1_error} for r in V3_TABLE3]),
                     hide_index=True, width="stretch", key="lab_v3_table", column_config=common.column_labels(
                         {"step (cumulative)": N_("step (cumulative)"), "top-1 error %": N_("top-1 error %")}))
        st.caption(_("Published: {source}.").format(source=_(V3_TABLE3_SOURCE)))
    with right:
        st.markdown(f"**{_(LABELS['measured'])}** — " + _("change against the baseline"))
        common.plot(delta_figure(rows, title=_(LABELS["measured"]), tr=_), "ablation_deltas", key="lab_delta_chart")
        st.caption(_("Bars: difference of the mean held-out accuracy across seeds; error bars combine both "
                     "configurations' seed-to-seed standard deviations."))


def _reproduce() -> None:
    st.subheader(_("Reproduce the shipped results"))
    st.markdown(_("The shipped file `{file}` was written by exactly this command, from the repository root "
                  "(about 30–60 minutes on 2 CPU cores, a few minutes on a GPU):").format(file=SHIPPED.out))
    st.code(SHIPPED.command, language="bash")
    st.markdown(_(SHIPPED.description) + " " + _(
        "The sweep is resumable: interrupt it and run the same command again, finished runs are skipped. Delete "
        "the file (or pass `--out other.jsonl`) to measure from scratch; `--dry-run` lists the runs. Your own sweep:"))
    st.code(REPRODUCE_MINE, language="bash")


# --------------------------------------------------------------------------- live
def _live_settings() -> tuple[str, list, lab.TrainConfig, int]:
    """The live-run widgets: (variant, grid of changes, base training config, seeds)."""
    variants = explorer.list_variants()
    c1, c2 = st.columns([1, 2])
    with c1:
        variant = st.selectbox(_("Variant"), variants, index=variants.index("googlenet"), key="lab_variant",
                               format_func=common.title)
    applicable = [t for t in LIVE_TOGGLES if t in explorer.get_spec(variant).applicable]
    with c2:
        toggles = st.multiselect(_("Choices to compare with the baseline"), applicable,
                                 default=[t for t in ("reduce_1x1",) if t in applicable], key="lab_toggles",
                                 format_func=lambda t: _(CHOICE_LABELS.get(t, t)))
    b1, b2, b3, b4, b5 = st.columns(5)
    n_images = b1.number_input(_("Training images"), min_value=60, max_value=20000, value=1200, step=100,
                               key="lab_n_train")
    epochs = b2.number_input(_("Epochs"), min_value=1, max_value=50, value=6, key="lab_epochs")
    size = b3.selectbox(_("Image size (px)"), [48, 72, 96, 128, 160], index=0, key="lab_size",
                        help=_("GoogLeNet's aux heads need at least 65 px (choose 72); the deeper variants need "
                               "more (the error message says how much)"))
    width = b4.selectbox(_("Width"), [0.25, 0.5, 1.0], index=0, key="lab_width")
    seeds = b5.number_input(_("Seeds"), min_value=1, max_value=5, value=1, key="lab_seeds")
    quick = st.checkbox(_("Quick-demo images: no clutter or noise, objects at least 35% of the side (learnt in a "
                          "few epochs; uncheck for the harder images of the shipped sweep)"), value=True, key="lab_quick")
    base = lab.TrainConfig(variant=variant, choices={"width": float(width)}, n_train=int(n_images),
                           n_val=max(60, min(1000, int(n_images) // 4)), image_size=int(size),
                           epochs=int(epochs), batch_size=32, optimizer="adam", learning_rate=3e-4,
                           data=lab.QUICK_DATA if quick else lab.TrainConfig().data)
    return variant, lab.toggle_grid(variant, toggles, dict(base.choices)), base, int(seeds)


def _run_live(variant: str, grid: list, base, seeds: int) -> None:
    bar = st.progress(0.0, text=_("starting…"))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message[:120])

    try:
        report = lab.run_sweep(variant, grid, range(seeds), base, _live_path(), progress)
    except ValueError as e:
        st.error(_("Cannot run this combination: {error}").format(error=e))
        return
    bar.progress(1.0, text=_("done: {ran} run(s) trained, {skipped} already done").format(
        ran=len(report.ran), skipped=len(report.skipped)))
    st.session_state["lab_last_live"] = [r["id"] for r in report.records]
    rows = lab.summarize(report.records)
    st.success(" · ".join(f"{r['label']}: {_pct(r['accuracy_mean'])}" for r in rows) + " " + _("(chance {chance})").format(
        chance=_pct(rows[0]["chance"])) if rows else _("done"))


def _live() -> None:
    st.subheader(_("Run live"))
    st.caption(_("A small budget trained here and now (on the GPU when the backend sees one). Each checked choice "
                 "adds one configuration: the baseline with that choice flipped. The runs land in this session's "
                 "live results (pick them above to plot them)."))
    variant, grid, base, seeds = _live_settings()
    n_runs = len(grid) * seeds
    st.caption(_("{n} run(s): {runs}; {train} training / {val} held-out images, Adam 3e-4, batch 32. About 30 s per "
                 "run at the defaults on 2 CPU cores (more for bigger images or without 1x1 reductions), seconds on "
                 "a GPU.").format(n=n_runs, runs=", ".join(run_label(g) for g in grid), train=base.n_train, val=base.n_val))
    if st.button(_("Run live ({n} runs)").format(n=n_runs), type="primary", key="lab_run"):
        _run_live(variant, grid, base, seeds)
    path = _live_path()
    if path.exists():
        st.download_button(_("This session's live results (JSONL)"), path.read_bytes(),
                           file_name="live_ablation.jsonl", mime="application/json", key="lab_live_download")


@common.page(url_keys=("lab_source", "lab_x"))
def render(view: state.View) -> None:
    st.title(_("Ablation lab: what each design choice does to accuracy"))
    st.info(_("Numbers marked **{measured}** were measured by training scaled-down networks on a procedurally "
              "generated shapes data set (6 classes; object size and position vary widely, the situation "
              "Inception's multi-scale branches are meant for). Numbers marked **{published}** are the papers' "
              "own. Chance is 1/6 = 16.7%.").format(measured=_(LABELS["measured"]), published=_(LABELS["published"])),
            icon=":material/science:")
    state.seed("lab_source", "shipped", valid=list(SOURCES))
    source = st.radio(_("Results"), list(SOURCES), format_func=lambda k: _(SOURCES[k]), horizontal=True, key="lab_source")
    state.remember("lab_source")
    records, where = _records(source)
    rows = _show_results(records, where, "lab_results") if records else []
    if rows:
        _published_beside(rows)
    _reproduce()
    _live()


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
