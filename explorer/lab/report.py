"""Plain-language text about a results file: the recipe that produced it, and each measured
number beside what the paper says, with the measured cause next to a result that contradicts it.
No Streamlit, no Keras: the Ablation lab page shows these strings, the README quotes them.
Every function takes `tr` (the pages pass their `_`): templates are translated, then filled with
numbers formatted here."""
from __future__ import annotations

import math
from typing import Optional, Sequence

from explorer.lab.summary import Tr, steps_text
from explorer.lab.summary import same as _same


def recipe(records: Sequence[dict], tr: Tr = _same) -> list[str]:
    """Markdown bullet lines describing how the records were trained and measured."""
    if not records:
        return []
    cfg = records[0].get("config", {})
    m = records[0].get("metrics", {})
    proto = records[0].get("protocol") or {}
    n_fit = cfg.get("n_train", 0) - cfg.get("n_tune", 0)
    steps = m.get("steps_per_epoch") or math.ceil(n_fit / max(cfg.get("batch_size", 1), 1))
    source = records[0].get("data_source") or tr("synthetic shapes")
    lines = [tr("**Data**: {source}; the model trains on {n} images").format(source=source, n=f"{n_fit:,}")
             + (tr(", {n} more are the validation split").format(n=f"{cfg['n_tune']:,}") if cfg.get("n_tune") else "")
             + tr(", accuracy is measured on {n} held-out images").format(n=f"{cfg.get('n_val', 0):,}")
             + (tr(" (augmented: flips, shifts, zooms)") if cfg.get("augment") else "") + tr("."),
             tr("**Training**: {epochs} epochs × {steps} steps of {optimizer} ({schedule} rate), batch {batch}, "
                "{size} px input, choices {choices}").format(
                 epochs=cfg.get("epochs"), steps=steps, optimizer=cfg.get("optimizer", "?").upper(),
                 schedule=cfg.get("schedule", "constant"), batch=cfg.get("batch_size"), size=cfg.get("image_size"),
                 choices=cfg.get("choices") or tr("as the variant defaults"))
             + (tr(", aux loss weight {w}").format(w=cfg.get("aux_weight")) if cfg.get("aux_weight") is not None
                else "") + tr(".")]
    if proto.get("lr_grid"):
        lines.append(tr("**Learning rate**: each configuration trained at {grid} on seed {seed}; the rate with the best "
                        "validation-split accuracy is kept and the other seeds run at it (the held-out images choose "
                        "nothing).").format(grid=", ".join(f"{v:g}" for v in proto["lr_grid"]),
                                            seed=proto.get("select_seed", 0)))
    else:
        rates = sorted({r.get("config", {}).get("learning_rate") for r in records})
        lines.append(tr("**Learning rate**: {rates} for every configuration (no search).").format(
            rates=", ".join(f"{v:g}" for v in rates if v)))
    stats = cfg.get("bn_stats", "moving")
    lines.append(tr("**Batch-norm statistics**: re-estimated on training images with the current weights before every "
                    "evaluation.") if stats == "reestimate" else
                 tr("**Batch-norm statistics**: Keras's moving averages (momentum 0.99) as training left them."))
    seeds = sorted({r.get("seed") for r in records})
    lines.append(tr("**Seeds** {seeds}: weight initialisation, dropout and shuffling; the images are the same for every "
                    "seed, so the spread is training noise. Error bars: ± one standard deviation.").format(
        seeds=", ".join(map(str, seeds))))
    return lines


def _spread(row: dict, base: dict) -> float:
    return math.sqrt(row["accuracy_std"] ** 2 + base["accuracy_std"] ** 2)


def measured_text(rows: Sequence[dict], choice: str, tr: Tr = _same) -> str:
    """'label: mean ± std% (n seeds, lr), ±delta ± spread points vs baseline' for the row that
    changes `choice`, or 'not in these results'."""
    m = next((r for r in rows if choice in (r.get("change") or {})), None)
    if m is None:
        return tr("not in these results")
    base = next((r for r in rows if r["label"] == "baseline"), None)
    one = m["n_seeds"] == 1
    rate = ""
    if m.get("lr_chosen"):
        n, grid = len(m.get("lr_search") or []), len(m.get("lr_grid") or [])
        rate = (tr(", rate {rate}") if n >= grid else tr(", rate {rate}, best of {n}/{grid} rates so far")).format(
            rate=f"{m['learning_rate']:g}", n=n, grid=grid)
    spread = "" if one else f" ± {100 * m['accuracy_std']:.1f}"
    text = (tr("{label}: {mean}{spread}% ({n} seed{rate})") if one else
            tr("{label}: {mean}{spread}% ({n} seeds{rate})")).format(
        label=m["label"], mean=f"{100 * m['accuracy_mean']:.1f}", spread=spread, n=m["n_seeds"], rate=rate)
    if base is not None and m.get("delta_vs_baseline") is not None:
        delta = f"{100 * m['delta_vs_baseline']:+.1f}"
        text += (tr(", {delta} points vs baseline (one seed: no spread)") if one else
                 tr(", {delta} ± {spread} points vs baseline")).format(delta=delta, spread=f"{100 * _spread(m, base):.1f}")
    return text


def batch_norm_note(rows: Sequence[dict], tr: Tr = _same) -> Optional[str]:
    """What the measured batch-norm row says about the BN paper's two claims (faster, and no
    worse), with the measured cause when BN ends below the baseline by more than the seeds' spread."""
    bn = next((r for r in rows if (r.get("change") or {}).get("batch_norm") is True), None)
    base = next((r for r in rows if r["label"] == "baseline"), None)
    if bn is None or base is None or bn.get("delta_vs_baseline") is None:
        return None
    d, spread = bn["delta_vs_baseline"], _spread(bn, base)
    speed = tr("Steps to the baseline's final accuracy: {bn} with batch norm against {base} for the baseline "
               "itself").format(bn=steps_text(bn, tr), base=steps_text(base, tr))
    bn_steps, base_steps = bn.get("steps_to_baseline_mean"), base.get("steps_to_baseline_mean")
    if bn_steps and base_steps:
        speed += (tr(" ({ratio}× fewer; the paper: 14× fewer)") if bn_steps < base_steps else
                  tr(" ({ratio}× more; the paper: 14× fewer)")).format(ratio=f"{base_steps / bn_steps:.1f}")
    speed += tr(".")
    fmt = {"spread": f"{100 * spread:.1f}"}
    if d > spread:
        verdict = tr("Batch norm ends {d} points above the baseline, more than the seeds' spread (± {spread}): the "
                     "paper's higher final accuracy, reproduced.").format(d=f"{100 * d:.1f}", **fmt)
    elif d >= -spread:
        verdict = tr("Batch norm ends {d} points against the baseline, within the seeds' spread (± {spread}): no "
                     "measurable difference in final accuracy.").format(d=f"{100 * d:+.1f}", **fmt)
    else:
        verdict = tr("Batch norm still ends {d} points below the baseline, more than the seeds' spread (± {spread}): "
                     "this contradicts the paper.").format(d=f"{100 * -d:.1f}", **fmt) + _bn_cause(bn, base, tr)
    moving = bn.get("accuracy_moving_stats_mean")
    if moving is not None:
        verdict += tr(" Measured with Keras's moving BN averages instead of re-estimated statistics, the same networks "
                      "score {moving}% (re-estimated: {reestimated}%).").format(
            moving=f"{100 * moving:.1f}", reestimated=f"{100 * bn['accuracy_mean']:.1f}")
    return f"{verdict} {speed}"


def _bn_cause(bn: dict, base: dict, tr: Tr = _same) -> str:
    grid, searched = bn.get("lr_grid") or [], bn.get("lr_search") or []
    out = ""
    lb, lbase = bn.get("train_loss_final_mean"), base.get("train_loss_final_mean")
    if lb is not None and lbase is not None:
        out += (tr(" Final training loss {loss} against the baseline's {base}: it is undertrained in this budget, not "
                   "overfitting.") if lb > lbase else
                tr(" Final training loss {loss} against the baseline's {base}: it fits the training images as well, so "
                   "the gap is in generalisation.")).format(loss=f"{lb:.2f}", base=f"{lbase:.2f}")
    if grid and len(searched) < len(grid):
        return out + tr(" Its learning-rate search is incomplete ({n} of {grid} rates so far).").format(
            n=len(searched), grid=len(grid))
    if grid and math.isclose(bn["learning_rate"], max(grid)):
        out += tr(" Its chosen learning rate is the largest of the grid: a higher rate may suit it better (the BN "
                  "paper raised the rate 5-30×).")
    return out
