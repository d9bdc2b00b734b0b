"""The Ablation lab's live runs: a small sweep of the sidebar's variant trained in the page, its
results in this session's live results file. Widgets and calls into `explorer.lab`."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

import explorer
from explorer import lab
from explorer.lab.sweep import label as run_label
from explorer.zoo.choices import CHOICE_LABELS
from pages.ui import common, state
from pages.ui.i18n import _

# Choices a live run can compare (each: the baseline and the baseline with that choice flipped).
LIVE_TOGGLES = ("reduce_1x1", "aux_heads", "batch_norm", "factorize_5x5", "factorize_nxn", "kernel_5x5",
                "lrn", "head", "residual")
LIVE_SIZES = (48, 72, 96, 128, 160)


def live_path() -> Path:
    """This session's live results file. Its folder lives as long as the session: the
    TemporaryDirectory kept in the session state deletes it when the session ends (or the server stops)."""
    if "lab_live_dir" not in st.session_state:
        st.session_state["lab_live_dir"] = tempfile.TemporaryDirectory(prefix="ablation_live_")
    return Path(st.session_state["lab_live_dir"].name) / "live.jsonl"


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
                             format_func=lambda t: _(CHOICE_LABELS.get(t, t)))
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
        done = lab.run_sweep(variant, grid, range(seeds), base, live_path(), progress)
    except ValueError as e:
        st.error(_("Cannot run this combination: {e}").format(e=e))
        return
    bar.progress(1.0, text=_("done: {n} run(s) trained, {k} already done").format(n=len(done.ran), k=len(done.skipped)))
    rows = lab.summarize(done.records)
    st.success(" · ".join(f"{r['label']}: {100 * r['accuracy_mean']:.1f}%" for r in rows)
               + _(" (chance {c:.1f}%)").format(c=100 * rows[0]["chance"]) if rows else _("done"))


def live(view: state.View) -> None:
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
    path = live_path()
    if path.exists():
        st.download_button(_("This session's live results (JSONL)"), path.read_bytes(), file_name="live_ablation.jsonl",
                           mime="application/json", key="lab_live_download", on_click="ignore")
