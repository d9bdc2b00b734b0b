"""Ablation lab: measured accuracy of scaled-down variants, one design choice changed at a time,
each at its own learning rate, beside the published ImageNet ablations; small runs live in the
page (the sidebar's variant). Widgets and calls into `explorer.lab`; every widget has a key."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import explorer
from explorer import lab
from explorer.figures.lab import delta_figure, learning_curves_figure, lr_search_figure, measured_accuracy_figure
from explorer.figures.published import v3_table3_figure
from explorer.lab import findings, report
from explorer.lab.summary import lr_text, steps_text
from explorer.lab.sweep import label as run_label
from explorer.zoo.choices import CHOICE_LABELS
from explorer.zoo.published import LABELS, PUBLISHED, V3_TABLE3, V3_TABLE3_SOURCE
from pages.ui import common, router, state
from pages.ui.i18n import N_, _

SHIPPED = lab.SHIPPED
SOURCES = {"shipped": N_("Shipped sweep (assets/ablation/googlenet_shapes.jsonl)"),
           "upload": N_("A results file of yours (.jsonl)"),
           "live": N_("This session's live runs")}
# Choices a live run can compare (each: the baseline and the baseline with that choice flipped).
LIVE_TOGGLES = ("reduce_1x1", "aux_heads", "batch_norm", "factorize_5x5", "factorize_nxn", "kernel_5x5",
                "lrn", "head", "residual")
LIVE_SIZES = (48, 72, 96, 128, 160)
CURVE_METRICS = {"heldout_accuracy": N_("held-out accuracy"), "train_loss": N_("training loss"),
                 "train_accuracy": N_("training accuracy")}


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
            st.warning(_("The shipped results file {out} is missing. Produce it with `{cmd}`.").format(
                out=SHIPPED.out, cmd=SHIPPED.command))
            return [], ""
        records = lab.load_results(SHIPPED.path)
        if records:
            st.markdown(findings.status_line(records, SHIPPED))
        return records, SHIPPED.out
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

    def moving(r) -> str:
        m = r.get("accuracy_moving_stats_mean")
        return "—" if m is None else f"{100 * m:.1f}"

    return pd.DataFrame([{
        _("configuration"): r["label"], _("seeds"): r["n_seeds"],
        _("learning rate"): lr_text(r),
        _("accuracy % (mean)"): round(100 * r["accuracy_mean"], 2), _("± std (seeds)"): round(100 * r["accuracy_std"], 2),
        _("min–max %"): f"{100 * r['accuracy_min']:.1f}–{100 * r['accuracy_max']:.1f}",
        _("vs baseline (points)"): versus(r), _("steps to baseline's accuracy"): steps_text(r),
        _("BN moving-average accuracy %"): moving(r),
        _("aux heads accuracy %"): ", ".join(f"{100 * a:.1f}" for a in r["aux_accuracy_mean"]) or "—",
        _("params"): r["params"], _("MACs"): r["macs"], _("s / run"): round(r["wall_s_mean"], 1),
        _("device"): r.get("device") or ""} for r in rows])


def _variant_note(view: state.View, records: list[dict]) -> None:
    variants = sorted({str(r.get("variant")) for r in records})
    if variants != [view.variant]:
        st.caption(_("These results are for {these}; the sidebar's variant is {side}. The shipped sweep is the "
                     "lab's own (GoogLeNet); **Run live** below trains the sidebar's variant.").format(
            these=", ".join(common.title(v) for v in variants), side=common.title(view.variant)))


def _show_results(records: list[dict], rows: list[dict], where: str) -> None:
    st.caption(_("**{measured}** — {where}. {n} runs, {k} configurations. Error bars: ± one standard deviation "
                 "across seeds; open circles: each seed.").format(measured=LABELS["measured"], where=where,
                                                                  n=len(records), k=len(rows)))
    with st.expander(_("The recipe (how these numbers were made)"), expanded=False):
        st.markdown("\n".join(f"- {line}" for line in report.recipe(records)))
    tabs = st.tabs([_("accuracy vs parameters"), _("accuracy vs MACs")])
    for tab, x, what in zip(tabs, ("params", "macs"), (_("parameters"), _("MACs"))):
        with tab:
            fig = measured_accuracy_figure(rows, records, x, title=f"{LABELS['measured']}: {_('accuracy vs')} {what}")
            common.plot(fig, f"ablation_accuracy_vs_{x}", key=f"lab_chart_{x}")
    st.dataframe(_summary_table(rows), hide_index=True, width="stretch", key="lab_results_table",
                 column_config=common.number_columns(_("params"), _("MACs")))
    items = findings.findings(records, rows)
    if items:
        st.markdown(f"**{_('What these results say')}** ({_('every number computed from the file')}):\n\n"
                    + "\n".join(f"- {t}" for t in items))


def _curves(records: list[dict], rows: list[dict]) -> None:
    curves = [lab.learning_curves(records, r) for r in rows]
    if not any(curves):
        st.caption(_("These records have no per-epoch curves (written before the lab logged them)."))
        return
    st.subheader(_("Learning curves"))
    metric = st.radio(_("Curve"), list(CURVE_METRICS), horizontal=True, key="lab_curve_metric",
                      format_func=lambda m: _(CURVE_METRICS[m]))
    common.plot(learning_curves_figure(rows, curves, metric), f"ablation_curves_{metric}", key="lab_curves_chart")
    st.caption(_("Thin lines: each seed; thick: their mean, measured after every epoch. Where a held-out curve "
                 "crosses the dashed line is that configuration's steps to the baseline's accuracy (the table's "
                 "column): the batch-norm paper's claim is about that."))
    if any(r.get("lr_search") for r in rows):
        st.subheader(_("The learning rate each configuration got"))
        common.plot(lr_search_figure(rows), "ablation_lr_search", key="lab_lr_chart")
        st.caption(_("Accuracy on the validation split (held out of the training images) after training seed "
                     "{seed} at each rate; ★ marks the rate kept for every seed. The held-out images choose "
                     "nothing.").format(seed=rows[0]["lr_search"][0]["seed"] if rows[0].get("lr_search") else 0))


# --------------------------------------------------------------------------- published beside measured
def _published_beside(rows: list[dict]) -> None:
    st.subheader(_("Published (ImageNet) beside measured here (synthetic shapes)"))
    st.caption(_("The two columns are not the same experiment: the papers trained full-size networks on 1.2 M "
                 "ImageNet photos for weeks; the lab trains a quarter-width network on a few thousand images "
                 "for minutes. Compare directions and sizes with care."))
    table = [{_("design choice"): CHOICE_LABELS.get(choice, choice), LABELS["published"]: pub["published"],
              LABELS["measured"]: report.measured_text(rows, choice), _("published source"): pub["source"]}
             for choice, pub in PUBLISHED.items()]
    st.table(pd.DataFrame(table).set_index(_("design choice")))
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{LABELS['published']}** — {_('Inception-v3 paper, Table 3')}")
        common.plot(v3_table3_figure(title=LABELS["published"]), "v3_table3", key="lab_v3_chart")
        st.dataframe(pd.DataFrame([{_("step (cumulative)"): r.step, _("top-1 error %"): r.top1_error,
                                    _("what changed"): r.change} for r in V3_TABLE3]),
                     hide_index=True, width="stretch", key="lab_v3_table")
        st.caption(_("Published: {src}.").format(src=V3_TABLE3_SOURCE))
    with right:
        st.markdown(f"**{LABELS['measured']}** — {_('change against the baseline')}")
        common.plot(delta_figure(rows, title=LABELS["measured"]), "ablation_deltas", key="lab_delta_chart")
        st.caption(_("Bars: difference of the mean held-out accuracy across seeds, each configuration at its own "
                     "learning rate; error bars combine both configurations' seed-to-seed standard deviations."))


def _reproduce() -> None:
    st.subheader(_("Reproduce the shipped results"))
    st.markdown(_("The shipped file `{out}` was written by exactly this command, from the repository root (a few "
                  "hours on 2 CPU cores, minutes on a GPU):").format(out=SHIPPED.out))
    st.code(SHIPPED.command, language="bash")
    st.markdown(SHIPPED.description + " " + _(
        "The sweep is resumable: interrupt it and run the same command again, finished runs are skipped. "
        "`--dry-run` lists the runs, `--engine ray` spreads them over a Ray cluster, `--dataset imagenette` or "
        "`--data DIR` trains on photos."))


# --------------------------------------------------------------------------- live
def _trainable_size(variant: str) -> tuple[int | None, str]:
    """The smallest live image size the variant builds at (its aux heads off), or (None, why not)."""
    why = ""
    for size in LIVE_SIZES:
        try:
            lab.TrainConfig(variant=variant, choices={"width": 0.25}, image_size=size).resolved_choices()
            return size, ""
        except ValueError as e:
            why = str(e)
    return None, why


def _live_settings(variant: str, size0: int) -> tuple[list, lab.TrainConfig, int]:
    """The live-run widgets: (grid of changes, base training config, seeds)."""
    applicable = [t for t in LIVE_TOGGLES if t in explorer.get_spec(variant).applicable]
    toggles = st.multiselect(_("Choices to compare with the baseline"), applicable,
                             default=[t for t in ("reduce_1x1",) if t in applicable], key="lab_toggles",
                             format_func=lambda t: CHOICE_LABELS.get(t, t))
    b1, b2, b3, b4, b5, b6 = st.columns(6)
    n_images = b1.number_input(_("Training images"), min_value=60, max_value=20000, value=1200, step=100,
                               key="lab_n_train")
    epochs = b2.number_input(_("Epochs"), min_value=1, max_value=50, value=6, key="lab_epochs")
    sizes = [s for s in LIVE_SIZES if s >= size0]
    if st.session_state.get("lab_size_for") != variant:  # a new variant starts at its smallest size
        st.session_state["lab_size"], st.session_state["lab_size_for"] = sizes[0], variant
    size = b3.selectbox(_("Image size (px)"), sizes, key="lab_size",
                        help=_("GoogLeNet's aux heads need at least 65 px (choose 72); the deeper variants need more "
                               "(the message says how much)"))
    width = b4.selectbox(_("Width"), [0.25, 0.5, 1.0], index=0, key="lab_width")
    rate = b5.selectbox(_("Learning rate"), [3e-4, 1e-3, 3e-3], index=0, key="lab_lr", format_func="{:g}".format)
    seeds = b6.number_input(_("Seeds"), min_value=1, max_value=5, value=1, key="lab_seeds")
    quick = st.checkbox(_("Quick-demo images: no clutter or noise, objects at least 35% of the side (learnt in a few "
                          "epochs; uncheck for the harder images of the shipped sweep)"), value=True, key="lab_quick")
    base = lab.TrainConfig(variant=variant, choices={"width": float(width)}, n_train=int(n_images),
                           n_val=max(60, min(1000, int(n_images) // 4)), image_size=int(size),
                           epochs=int(epochs), batch_size=32, optimizer="adam", learning_rate=float(rate),
                           data=lab.QUICK_DATA if quick else lab.TrainConfig().data)
    return lab.toggle_grid(variant, toggles, dict(base.choices)), base, int(seeds)


def _run_live(variant: str, grid: list, base, seeds: int) -> None:
    bar = st.progress(0.0, text=_("starting…"))

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message[:120])

    try:
        done = lab.run_sweep(variant, grid, range(seeds), base, _live_path(), progress)
    except ValueError as e:
        st.error(_("Cannot run this combination: {e}").format(e=e))
        return
    bar.progress(1.0, text=_("done: {n} run(s) trained, {k} already done").format(n=len(done.ran), k=len(done.skipped)))
    rows = lab.summarize(done.records)
    st.success(" · ".join(f"{r['label']}: {100 * r['accuracy_mean']:.1f}%" for r in rows)
               + _(" (chance {c:.1f}%)").format(c=100 * rows[0]["chance"]) if rows else _("done"))


def _live(view: state.View) -> None:
    st.subheader(_("Run live: {variant} (the sidebar's variant)").format(variant=common.title(view.variant)))
    st.caption(_("A small budget trained here and now (on the GPU when the backend sees one), at the variant's default "
                 "choices and the width below. Each checked choice adds one configuration: the baseline with that "
                 "choice flipped. One learning rate for all (the shipped sweep chooses one per configuration); "
                 "batch-norm statistics re-estimated before every evaluation. The runs land in this session's live "
                 "results (pick them above)."))
    size0, why = _trainable_size(view.variant)
    if size0 is None:
        st.warning(_("The lab cannot train {variant} at the live image sizes ({sizes} px): {why}").format(
            variant=common.title(view.variant), sizes=", ".join(map(str, LIVE_SIZES)), why=why))
        return
    grid, base, seeds = _live_settings(view.variant, size0)
    n_runs = len(grid) * seeds
    st.caption(_("{n} run(s): {which}; {t} training / {v} held-out images, Adam {lr:g}, batch 32. About 30 s per run "
                 "for GoogLeNet at the defaults on 2 CPU cores (more for bigger images, deeper variants or without "
                 "1x1 reductions), seconds on a GPU.").format(n=n_runs, which=", ".join(run_label(g) for g in grid),
                                                            t=base.n_train, v=base.n_val, lr=base.learning_rate))
    if st.button(_("Run live ({n} run(s))").format(n=n_runs), type="primary", key="lab_run"):
        _run_live(view.variant, grid, base, seeds)
    path = _live_path()
    if path.exists():
        st.download_button(_("This session's live results (JSONL)"), path.read_bytes(), file_name="live_ablation.jsonl",
                           mime="application/json", key="lab_live_download")


@common.page()
def render(view: state.View) -> None:
    st.title(_("Ablation lab: what each design choice does to accuracy"))
    st.info(_("Numbers marked **{measured}** were measured by training scaled-down networks on a procedurally "
              "generated shapes data set (6 classes; object size and position vary widely, the situation Inception's "
              "multi-scale branches are meant for), each configuration at its own learning rate. Numbers marked "
              "**{published}** are the papers' own. Chance is 1/6 = 16.7%.").format(
        measured=LABELS["measured"], published=LABELS["published"]), icon=":material/science:")
    source = st.radio(_("Results"), list(SOURCES), format_func=lambda s: _(SOURCES[s]), horizontal=True,
                      key="lab_source")
    records, where = _records(source)
    if records:
        rows = lab.summarize(records)
        _variant_note(view, records)
        _show_results(records, rows, where)
        _curves(records, rows)
        _published_beside(rows)
    _reproduce()
    _live(view)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
