"""Ablation lab: measured accuracy of scaled-down variants, one design choice changed at a time,
each at its own learning rate, beside the published ImageNet ablations; small runs live in the
page (the sidebar's variant). Widgets and calls into `explorer.lab`; every widget has a key."""
from __future__ import annotations


import pandas as pd
import streamlit as st

from explorer import lab
from explorer.figures.lab import delta_figure, learning_curves_figure, lr_search_figure, measured_accuracy_figure
from explorer.figures.published import v3_table3_figure
from explorer.lab import findings, report
from explorer.lab.summary import lr_text, steps_text
from explorer.zoo.choices import CHOICE_LABELS
from explorer.zoo.published import LABELS, PUBLISHED, V3_TABLE3, V3_TABLE3_SOURCE
from pages.ui import common, lab_live, router, state, uploads
from pages.ui.i18n import N_, _

SHIPPED = lab.SHIPPED
SOURCES = {"shipped": N_("Shipped sweep (assets/ablation/googlenet_shapes.jsonl)"),
           "upload": N_("A results file of yours (.jsonl)"),
           "live": N_("This session's live runs")}
X_AXES = {"params": N_("accuracy vs parameters"), "macs": N_("accuracy vs MACs")}
CURVE_METRICS = {"heldout_accuracy": N_("held-out accuracy"), "train_loss": N_("training loss"),
                 "train_accuracy": N_("training accuracy")}
# what each curve is (only the held-out accuracy has the baseline's dashed line)
CURVE_NOTES = {
    "heldout_accuracy": N_("Where a held-out curve crosses the dashed line is that configuration's steps to the "
                           "baseline's accuracy (the table's column): the batch-norm paper's claim is about that."),
    "train_loss": N_("Training loss: the main head's, averaged over each epoch's batches in training mode (dropout "
                     "on; batch norm, where the network has it, on each batch's statistics), so it is not measured "
                     "like the held-out curve. "
                     "Steps to the baseline's accuracy (the table's column) are read on the held-out accuracy."),
    "train_accuracy": N_("Training accuracy: the main head's, averaged over each epoch's batches in training mode "
                         "(dropout on; batch norm, where the network has it, on each batch's statistics), so it is "
                         "not measured like the held-out curve. Steps to the baseline's accuracy (the table's column) are read on the "
                         "held-out accuracy."),
}


# --------------------------------------------------------------------------- results
def _uploaded_records() -> tuple[list[dict], str]:
    up = uploads.file_uploader(_("JSON-lines results file (written by `python -m explorer ablate`)"),
                               type=["jsonl", "json", "txt"], key="lab_upload")
    if up is None:
        st.info(_("Upload a results file written by `python -m explorer ablate ... --out FILE`."))
        return [], ""
    try:  # read in memory: no copy of the upload on disk per rerun
        text = up.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.error(_("{name} is not a text file. Upload the JSON-lines file that `python -m explorer ablate ... "
                   "--out FILE` wrote.").format(name=up.name))
        return [], ""
    records = lab.parse_results(text, name=up.name)
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
            st.markdown(findings.status_line(records, SHIPPED, tr=_))
        return records, SHIPPED.out
    if source == "upload":
        return _uploaded_records()
    records = lab.load_results(lab_live.live_path())
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
        "configuration": r["label"], "seeds": r["n_seeds"],
        "learning rate": lr_text(r, _),
        "accuracy % (mean)": round(100 * r["accuracy_mean"], 2), "± std (seeds)": round(100 * r["accuracy_std"], 2),
        "min–max %": f"{100 * r['accuracy_min']:.1f}–{100 * r['accuracy_max']:.1f}",
        "vs baseline (points)": versus(r), "steps to baseline's accuracy": steps_text(r, _),
        "BN moving-average accuracy %": moving(r),
        "aux heads accuracy %": ", ".join(f"{100 * a:.1f}" for a in r["aux_accuracy_mean"]) or "—",
        "params": r["params"], "MACs": r["macs"], "s / run": round(r["wall_s_mean"], 1),
        "device": r.get("device") or ""} for r in rows])


# The summary in three tables that each fit a 1280 px projector: accuracy, training, cost.
ACCURACY_COLUMNS = {"configuration": N_("configuration"), "seeds": N_("seeds"), "learning rate": N_("learning rate"),
                    "accuracy % (mean)": N_("accuracy % (mean)"), "± std (seeds)": N_("± std (seeds)"),
                    "min–max %": N_("min–max %"), "vs baseline (points)": N_("vs baseline (points)")}
TRAINING_COLUMNS = {"configuration": N_("configuration"), "steps to baseline's accuracy": N_("steps to baseline's accuracy"),
                    "BN moving-average accuracy %": N_("BN moving-average accuracy %"),
                    "aux heads accuracy %": N_("aux heads accuracy %")}
COST_COLUMNS = {"configuration": N_("configuration"), "params": N_("params"), "MACs": N_("MACs"), "s / run": N_("s / run"),
                "device": N_("device")}


def _variant_note(view: state.View, records: list[dict]) -> None:
    variants = sorted({str(r.get("variant")) for r in records})
    if variants != [view.variant]:
        st.caption(_("These results are for {these}; the sidebar's variant is {side}. The shipped sweep is the "
                     "lab's own (GoogLeNet); **Run live** below trains the sidebar's variant.").format(
            these=", ".join(common.title(v) for v in variants), side=common.title(view.variant)))


def _show_results(records: list[dict], rows: list[dict], where: str) -> None:
    st.caption(_("**{measured}** — {where}. {n} runs, {k} configurations. Error bars: ± one standard deviation "
                 "across seeds; open circles: each seed.").format(measured=_(LABELS["measured"]), where=where,
                                                                  n=len(records), k=len(rows)))
    with st.expander(_("The recipe (how these numbers were made)"), expanded=False):
        st.markdown("\n".join(f"- {line}" for line in report.recipe(records, tr=_)))
    state.seed("lab_x", "params", valid=list(X_AXES))  # a radio, not st.tabs: the chart shown is in the URL
    x = st.radio(_("Chart"), list(X_AXES), key="lab_x", horizontal=True, format_func=lambda k: _(X_AXES[k]),
                 label_visibility="collapsed")
    state.remember("lab_x")
    fig = measured_accuracy_figure(rows, records, x, title=f"{_(LABELS['measured'])}: {_(X_AXES[x])}", tr=_)
    common.plot(fig, f"ablation_accuracy_vs_{x}", key="lab_chart")
    table = _summary_table(rows)
    for key, columns in (("lab_results_table", ACCURACY_COLUMNS), ("lab_training_table", TRAINING_COLUMNS),
                         ("lab_costs_table", COST_COLUMNS)):
        st.dataframe(table, hide_index=True, width="stretch", key=key, column_order=tuple(columns),
                     column_config={**common.column_labels(columns), **common.number_columns(N_("params"), N_("MACs"))})
    items = findings.findings(records, rows, tr=_)
    if items:
        st.markdown("**" + _("What these results say") + "** (" + _("every number computed from the file") + "):\n\n"
                    + "\n".join(f"- {t}" for t in items))


def _curves(records: list[dict], rows: list[dict]) -> None:
    curves = [lab.learning_curves(records, r) for r in rows]
    if not any(curves):
        st.caption(_("These records have no per-epoch curves (written before the lab logged them)."))
        return
    st.subheader(_("Learning curves"))
    state.seed("lab_curve_metric", "heldout_accuracy", valid=list(CURVE_METRICS))
    metric = st.radio(_("Curve"), list(CURVE_METRICS), horizontal=True, key="lab_curve_metric",
                      format_func=lambda m: _(CURVE_METRICS[m]))
    state.remember("lab_curve_metric")
    common.plot(learning_curves_figure(rows, curves, metric, tr=_), f"ablation_curves_{metric}", key="lab_curves_chart")
    st.caption(_("Thin lines: each seed; thick: their mean, measured after every epoch.") + " " + _(CURVE_NOTES[metric]))
    if any(r.get("lr_search") for r in rows):
        st.subheader(_("The learning rate each configuration got"))
        common.plot(lr_search_figure(rows, tr=_), "ablation_lr_search", key="lab_lr_chart")
        st.caption(_("Accuracy on the validation split (held out of the training images) after training seed "
                     "{seed} at each rate; ★ marks the rate kept for every seed. The held-out images choose "
                     "nothing.").format(seed=rows[0]["lr_search"][0]["seed"] if rows[0].get("lr_search") else 0))


# --------------------------------------------------------------------------- published beside measured
def _published_beside(rows: list[dict]) -> None:
    st.subheader(_("Published (ImageNet) beside measured here (synthetic shapes)"))
    st.caption(_("The two columns are not the same experiment: the papers trained full-size networks on 1.2 M "
                 "ImageNet photos for weeks; the lab trains a quarter-width network on a few thousand images "
                 "for minutes. Compare directions and sizes with care."))
    table = [{_("design choice"): _(CHOICE_LABELS.get(choice, choice)), _(LABELS["published"]): _(pub["published"]),
              _(LABELS["measured"]): report.measured_text(rows, choice, tr=_), _("published source"): pub["source"]}
             for choice, pub in PUBLISHED.items()]
    st.table(pd.DataFrame(table).set_index(_("design choice")))
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{_(LABELS['published'])}** — " + _("Inception-v3 paper, Table 3"))
        common.plot(v3_table3_figure(title=_(LABELS["published"]), tr=_), "v3_table3", key="lab_v3_chart")
        st.dataframe(pd.DataFrame([{"step (cumulative)": _(r.step), "top-1 error %": r.top1_error} for r in V3_TABLE3]),
                     hide_index=True, width="stretch", key="lab_v3_table", column_config=common.column_labels(
                         {"step (cumulative)": N_("step (cumulative)"), "top-1 error %": N_("top-1 error %")}))
        st.caption(_("Published: {src}.").format(src=_(V3_TABLE3_SOURCE)))
    with right:
        st.markdown(f"**{_(LABELS['measured'])}** — " + _("change against the baseline"))
        common.plot(delta_figure(rows, title=_(LABELS["measured"]), tr=_), "ablation_deltas", key="lab_delta_chart")
        st.caption(_("Bars: difference of the mean held-out accuracy across seeds, each configuration at its own "
                     "learning rate; error bars combine both configurations' seed-to-seed standard deviations."))


def _reproduce() -> None:
    st.subheader(_("Reproduce the shipped results"))
    st.markdown(_("The shipped file `{out}` was written by exactly this command, from the repository root (a few "
                  "hours on 2 CPU cores, minutes on a GPU):").format(out=SHIPPED.out))
    st.code(SHIPPED.command, language="bash")
    st.markdown(_(SHIPPED.description) + " " + _(
        "The sweep is resumable: interrupt it and run the same command again, finished runs are skipped. "
        "`--dry-run` lists the runs, `--engine ray` spreads them over a Ray cluster, `--dataset imagenette` or "
        "`--data DIR` trains on photos."))


@common.page(url_keys=("lab_source", "lab_x", "lab_curve_metric"))
def render(view: state.View) -> None:
    st.title(_("Ablation lab: what each design choice does to accuracy"))
    st.info(_("Numbers marked **{measured}** were measured by training scaled-down networks on a procedurally "
              "generated shapes data set (6 classes; object size and position vary widely, the situation Inception's "
              "multi-scale branches are meant for), each configuration at its own learning rate. Numbers marked "
              "**{published}** are the papers' own. Chance is 1/6 = 16.7%.").format(
        measured=_(LABELS["measured"]), published=_(LABELS["published"])), icon=":material/science:")
    state.seed("lab_source", "shipped", valid=list(SOURCES))
    source = st.radio(_("Results"), list(SOURCES), format_func=lambda s: _(SOURCES[s]), horizontal=True,
                      key="lab_source")
    state.remember("lab_source")
    records, where = _records(source)
    if records:
        rows = lab.summarize(records)
        _variant_note(view, records)
        _show_results(records, rows, where)
        _curves(records, rows)
        _published_beside(rows)
    _reproduce()
    lab_live.live(view)


if __name__ == "__main__":  # Streamlit's pages/-folder mode runs this file directly on a fresh server's first run
    router.main()
