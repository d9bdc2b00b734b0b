"""Ablation lab: measured accuracy of scaled-down variants on synthetic shapes, one design choice
changed at a time, beside the published ImageNet ablations; small runs live in the page.

Thin page: widgets and calls into `explorer.lab`. Every widget has a key; errors become st.error.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # `streamlit run pages/6_ablation_lab.py` on its own
    sys.path.insert(0, _ROOT)

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

import explorer  # noqa: E402
from explorer import lab  # noqa: E402
from explorer.lab import figures  # noqa: E402
from explorer.lab.published import LABELS, PUBLISHED, V3_TABLE3, V3_TABLE3_SOURCE  # noqa: E402

log = logging.getLogger("inception_explorer.ablation")

SHIPPED = lab.SHIPPED
SOURCES = ("shipped", "upload", "live")
SOURCE_LABELS = {"shipped": "Shipped sweep (assets/ablation/googlenet_shapes.jsonl)",
                 "upload": "A results file of yours (.jsonl)",
                 "live": "This session's live runs"}
# Choices a live run can compare (each: the baseline and the baseline with that choice flipped).
LIVE_TOGGLES = ("reduce_1x1", "aux_heads", "batch_norm", "factorize_5x5", "factorize_nxn", "kernel_5x5",
                "lrn", "head", "residual")
TOGGLE_LABELS = {"reduce_1x1": "1x1 reductions", "aux_heads": "auxiliary heads", "batch_norm": "batch norm",
                 "factorize_5x5": "5x5 as two 3x3", "factorize_nxn": "nxn as 1xn + nx1",
                 "kernel_5x5": "\"5x5\" branch kernel", "lrn": "LRN", "head": "classifier head",
                 "residual": "residual shortcuts"}
CHOICE_OF_LABEL = {"reduce_1x1": "reduce_1x1", "aux_heads": "aux_heads", "batch_norm": "batch_norm",
                   "factorize_5x5": "factorize_5x5"}


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


# --------------------------------------------------------------------------- results
def _load_uploaded(data: bytes) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="ablation_upload_")) / "results.jsonl"
    tmp.write_bytes(data)
    return lab.load_results(tmp)


def _live_path() -> Path:
    if "lab_live_dir" not in st.session_state:
        st.session_state["lab_live_dir"] = tempfile.mkdtemp(prefix="ablation_live_")
    return Path(st.session_state["lab_live_dir"]) / "live.jsonl"


def _records(source: str) -> tuple[list[dict], str]:
    """(records, a one-line description of where they come from)."""
    if source == "shipped":
        path = SHIPPED.path
        if not path.exists():
            st.warning(f"The shipped results file {SHIPPED.out} is missing. Produce it with "
                       f"`{SHIPPED.command}`.")
            return [], ""
        return lab.load_results(path), f"{SHIPPED.out}: {SHIPPED.description}"
    if source == "upload":
        up = st.file_uploader("JSON-lines results file (written by `python -m explorer ablate`)",
                              type=["jsonl", "json", "txt"], key="lab_upload")
        if up is None:
            st.info("Upload a results file written by `python -m explorer ablate ... --out FILE`.")
            return [], ""
        recs = _load_uploaded(up.getvalue())
        if not recs:
            st.warning("No ablation records found in that file.")
        return recs, f"uploaded file {up.name}"
    path = _live_path()
    recs = lab.load_results(path)
    if not recs:
        st.info("No live runs yet in this session: start one under **Run live** below.")
    return recs, "live runs of this session"


def _summary_table(rows: list[dict]) -> pd.DataFrame:
    out = []
    for r in rows:
        d = r.get("delta_vs_baseline")
        out.append({
            "configuration": r["label"],
            "seeds": r["n_seeds"],
            "accuracy % (mean)": round(100 * r["accuracy_mean"], 2),
            "± std (seeds)": round(100 * r["accuracy_std"], 2),
            "min–max %": f"{100 * r['accuracy_min']:.1f}–{100 * r['accuracy_max']:.1f}",
            "vs baseline (points)": "baseline" if r["label"] == "baseline" else (
                "—" if d is None else f"{100 * d:+.1f}"),
            "aux heads accuracy %": ", ".join(f"{100 * a:.1f}" for a in r["aux_accuracy_mean"]) or "—",
            "params": r["params"],
            "MACs": r["macs"],
            "s / run": round(r["wall_s_mean"], 1),
            "device": r.get("device") or "",
        })
    return pd.DataFrame(out)


def _show_results(records: list[dict], where: str, key: str) -> list[dict]:
    rows = lab.summarize(records)
    if not rows:
        return rows
    variants = sorted({r.get("variant") for r in records})
    st.caption(f"**{LABELS['measured']}** — {where.rstrip('.')}. {len(records)} runs, "
               f"{len(rows)} configurations, variant {', '.join(map(str, variants))}. Error bars: ± one "
               f"standard deviation across seeds; open circles: each seed.")
    tab_p, tab_m = st.tabs(["accuracy vs parameters", "accuracy vs MACs"])
    with tab_p:
        st.plotly_chart(figures.accuracy_figure(rows, records, "params",
                                                title=f"{LABELS['measured']}: accuracy vs parameters"),
                        key=f"{key}_chart_params", config={"displaylogo": False}, theme=None)
    with tab_m:
        st.plotly_chart(figures.accuracy_figure(rows, records, "macs",
                                                title=f"{LABELS['measured']}: accuracy vs MACs"),
                        key=f"{key}_chart_macs", config={"displaylogo": False}, theme=None)
    st.dataframe(_summary_table(rows), hide_index=True, width="stretch", key=f"{key}_table",
                 column_config={"params": st.column_config.NumberColumn("params", format="localized"),
                                "MACs": st.column_config.NumberColumn("MACs / image", format="localized")})
    return rows


# --------------------------------------------------------------------------- published beside measured
def _published_beside(rows: list[dict]) -> None:
    st.subheader("Published (ImageNet) beside measured here (synthetic shapes)")
    st.caption("The two columns are not the same experiment: the papers trained full-size networks on "
               "1.2 M ImageNet photos for weeks; the lab trains a quarter-width network on a few thousand "
               "synthetic images for minutes. Compare directions and sizes with care.")
    by_label = {r["label"]: r for r in rows}
    table = []
    for choice, pub in PUBLISHED.items():
        measured = [r for r in rows if choice in (r.get("change") or {})]
        if measured:
            m = measured[0]
            d = m.get("delta_vs_baseline")
            base = by_label.get("baseline")
            spread = (100 * (m["accuracy_std"] ** 2 + base["accuracy_std"] ** 2) ** 0.5) if base else None
            text = (f"{m['label']}: {100 * m['accuracy_mean']:.1f} ± {100 * m['accuracy_std']:.1f}% "
                    f"({m['n_seeds']} seeds)"
                    + ("" if d is None else f", {100 * d:+.1f} ± {spread:.1f} points vs baseline"))
        else:
            text = "not in these results"
        table.append({"design choice": TOGGLE_LABELS.get(choice, choice),
                      LABELS["published"]: pub["published"],
                      LABELS["measured"]: text,
                      "published source": pub["source"]})
    st.table(pd.DataFrame(table).set_index("design choice"))
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**{LABELS['published']}** — Inception-v3 paper, Table 3")
        st.plotly_chart(figures.v3_table3_figure(title=LABELS["published"]),
                        key="lab_v3_chart", config={"displaylogo": False}, theme=None)
        st.dataframe(pd.DataFrame([{"step (cumulative)": r["step"], "top-1 error %": r["top1_error"],
                                    "what changed": r["change"]}
                                   for r in V3_TABLE3]),
                     hide_index=True, width="stretch", key="lab_v3_table")
        st.caption(f"Published: {V3_TABLE3_SOURCE}.")
    with right:
        st.markdown(f"**{LABELS['measured']}** — change against the baseline")
        st.plotly_chart(figures.delta_figure(rows, title=LABELS["measured"]),
                        key="lab_delta_chart", config={"displaylogo": False}, theme=None)
        st.caption("Bars: difference of the mean held-out accuracy across seeds; error bars combine both "
                   "configurations' seed-to-seed standard deviations.")


# --------------------------------------------------------------------------- reproduce
def _reproduce() -> None:
    st.subheader("Reproduce the shipped results")
    st.markdown(f"The shipped file `{SHIPPED.out}` was written by exactly this command, from the "
                f"repository root (about 30–60 minutes on 2 CPU cores, a few minutes on a GPU):")
    st.code(SHIPPED.command, language="bash")
    st.markdown(f"{SHIPPED.description} The sweep is resumable: interrupt it and run the same command "
                f"again, finished runs are skipped. Delete the file (or pass `--out other.jsonl`) to "
                f"measure from scratch; `--dry-run` lists the runs. Your own sweep:")
    st.code("python -m explorer ablate --variant googlenet --toggle reduce_1x1 --toggle aux_heads \\\n"
            "    --seeds 3 --epochs 8 --n-train 3000 --image-size 72 --width 0.25 --out my_sweep.jsonl",
            language="bash")


# --------------------------------------------------------------------------- live
def _live() -> None:
    st.subheader("Run live")
    st.caption("A small budget trained here and now (on the GPU when the backend sees one). Each "
               "checked choice adds one configuration: the baseline with that choice flipped. The runs "
               "land in this session's live results (pick them above to plot them).")
    variants = explorer.list_variants()
    c1, c2 = st.columns([1, 2])
    with c1:
        variant = st.selectbox("Variant", variants, index=variants.index("googlenet"), key="lab_variant",
                               format_func=lambda v: explorer.get_spec(v).title)
    applicable = [t for t in LIVE_TOGGLES if t in explorer.get_spec(variant).applicable]
    with c2:
        toggles = st.multiselect("Choices to compare with the baseline", applicable,
                                 default=[t for t in ("reduce_1x1",) if t in applicable], key="lab_toggles",
                                 format_func=lambda t: TOGGLE_LABELS.get(t, t))
    b1, b2, b3, b4, b5 = st.columns(5)
    with b1:
        n_images = st.number_input("Training images", min_value=60, max_value=20000, value=1200, step=100,
                                   key="lab_n_train")
    with b2:
        epochs = st.number_input("Epochs", min_value=1, max_value=50, value=6, key="lab_epochs")
    with b3:
        size = st.selectbox("Image size (px)", [48, 72, 96, 128, 160], index=0, key="lab_size",
                            help="GoogLeNet's aux heads need at least 65 px (choose 72); the deeper "
                                 "variants need more (the error message says how much)")
    with b4:
        width = st.selectbox("Width", [0.25, 0.5, 1.0], index=0, key="lab_width")
    with b5:
        seeds = st.number_input("Seeds", min_value=1, max_value=5, value=1, key="lab_seeds")
    quick = st.checkbox("Quick-demo images: no clutter or noise, objects at least 35% of the side (learnt "
                        "in a few epochs; uncheck for the harder images of the shipped sweep)",
                        value=True, key="lab_quick")
    n_val = max(60, min(1000, int(n_images) // 4))
    data = lab.QUICK_DATA if quick else lab.TrainConfig().data
    base = lab.TrainConfig(variant=variant, choices={"width": float(width)}, n_train=int(n_images),
                           n_val=n_val, image_size=int(size), epochs=int(epochs),
                           batch_size=32, optimizer="adam", learning_rate=3e-4, data=data)
    grid = lab.toggle_grid(variant, toggles, dict(base.choices))
    n_runs = len(grid) * int(seeds)
    st.caption(f"{n_runs} run(s): {', '.join(lab.sweep.label(g) for g in grid)}; "
               f"{int(n_images)} training / {base.n_val} held-out images, Adam 3e-4, batch 32. About 30 s "
               f"per run at the defaults on 2 CPU cores (more for bigger images or without 1x1 "
               f"reductions), seconds on a GPU.")
    if st.button(f"Run live ({n_runs} run{'s' if n_runs > 1 else ''})", type="primary", key="lab_run"):
        bar = st.progress(0.0, text="starting…")

        def progress(fraction: float, message: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message[:120])

        try:
            report = lab.run_sweep(variant, grid, range(int(seeds)), base, _live_path(), progress)
        except ValueError as e:
            st.error(f"Cannot run this combination: {e}")
            return
        except Exception as e:  # noqa: BLE001 - no tracebacks on the page
            log.exception("live ablation run failed")
            st.error(f"The live run failed ({type(e).__name__}: {e}).")
            return
        bar.progress(1.0, text=f"done: {len(report.ran)} run(s) trained, {len(report.skipped)} already done")
        st.session_state["lab_last_live"] = [r["id"] for r in report.records]
        rows = lab.summarize(report.records)
        st.success(" · ".join(f"{r['label']}: {_pct(r['accuracy_mean'])}" for r in rows)
                   + f" (chance {_pct(rows[0]['chance'])})" if rows else "done")
    path = _live_path()
    if path.exists():
        st.download_button("This session's live results (JSONL)", path.read_bytes(), file_name="live_ablation.jsonl",
                           mime="application/json", key="lab_live_download")


# --------------------------------------------------------------------------- page
def body() -> None:
    st.title("Ablation lab: what each design choice does to accuracy")
    st.info(f"Numbers marked **{LABELS['measured']}** were measured by training scaled-down networks on "
            f"a procedurally generated shapes data set (6 classes; object size and position vary widely, "
            f"the situation Inception's multi-scale branches are meant for). Numbers marked "
            f"**{LABELS['published']}** are the papers' own. Chance is 1/6 = 16.7%.",
            icon=":material/science:")
    source = st.radio("Results", SOURCES, format_func=SOURCE_LABELS.get, horizontal=True, key="lab_source")
    records, where = _records(source)
    rows = _show_results(records, where, "lab_results") if records else []
    if rows:
        _published_beside(rows)
    _reproduce()
    _live()


try:
    body()
except Exception as e:  # noqa: BLE001 - keep the page alive, log for developers
    log.exception("ablation page failed")
    st.error(f"Something went wrong on this page ({type(e).__name__}: {e}). Reload to try again.")
