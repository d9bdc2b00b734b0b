"""Plain-language text about a results file: the recipe that produced it, and each measured
number beside what the paper says, with the measured cause next to a result that contradicts it.
No Streamlit, no Keras: the Ablation lab page shows these strings, the README quotes them."""
from __future__ import annotations

import math
from typing import Optional, Sequence

from explorer.lab.summary import lr_text, steps_text


def recipe(records: Sequence[dict]) -> list[str]:
    """Markdown bullet lines describing how the records were trained and measured."""
    if not records:
        return []
    cfg = records[0].get("config", {})
    m = records[0].get("metrics", {})
    proto = records[0].get("protocol") or {}
    n_fit = cfg.get("n_train", 0) - cfg.get("n_tune", 0)
    steps = m.get("steps_per_epoch") or math.ceil(n_fit / max(cfg.get("batch_size", 1), 1))
    source = records[0].get("data_source") or "synthetic shapes"
    lines = [f"**Data**: {source}; the model trains on {n_fit:,} images"
             + (f", {cfg['n_tune']:,} more are the validation split" if cfg.get("n_tune") else "")
             + f", accuracy is measured on {cfg.get('n_val', 0):,} held-out images"
             + (" (augmented: flips, shifts, zooms)" if cfg.get("augment") else "") + ".",
             f"**Training**: {cfg.get('epochs')} epochs × {steps} steps of {cfg.get('optimizer', '?').upper()}"
             f" ({cfg.get('schedule', 'constant')} rate), batch {cfg.get('batch_size')}, "
             f"{cfg.get('image_size')} px input, choices {cfg.get('choices') or 'as the variant defaults'}"
             + (f", aux loss weight {cfg.get('aux_weight')}" if cfg.get("aux_weight") is not None else "") + "."]
    if proto.get("lr_grid"):
        lines.append(f"**Learning rate**: each configuration trained at {', '.join(f'{v:g}' for v in proto['lr_grid'])} "
                     f"on seed {proto.get('select_seed', 0)}; the rate with the best validation-split accuracy is "
                     f"kept and the other seeds run at it (the held-out images choose nothing).")
    else:
        rates = sorted({r.get("config", {}).get("learning_rate") for r in records})
        lines.append(f"**Learning rate**: {', '.join(f'{v:g}' for v in rates if v)} for every configuration (no search).")
    stats = cfg.get("bn_stats", "moving")
    lines.append("**Batch-norm statistics**: re-estimated on training images with the current weights before every "
                 "evaluation." if stats == "reestimate" else
                 "**Batch-norm statistics**: Keras's moving averages (momentum 0.99) as training left them.")
    seeds = sorted({r.get("seed") for r in records})
    lines.append(f"**Seeds** {', '.join(map(str, seeds))}: weight initialisation, dropout and shuffling; the images "
                 f"are the same for every seed, so the spread is training noise. Error bars: ± one standard deviation.")
    return lines


def _spread(row: dict, base: dict) -> float:
    return math.sqrt(row["accuracy_std"] ** 2 + base["accuracy_std"] ** 2)


def measured_text(rows: Sequence[dict], choice: str) -> str:
    """'label: mean ± std% (n seeds, lr), ±delta ± spread points vs baseline' for the row that
    changes `choice`, or 'not in these results'."""
    m = next((r for r in rows if choice in (r.get("change") or {})), None)
    if m is None:
        return "not in these results"
    base = next((r for r in rows if r["label"] == "baseline"), None)
    one = m["n_seeds"] == 1
    rate = f", rate {lr_text(m).replace(' (chosen)', '').replace(' (', ', ').rstrip(')')}" if m.get("lr_chosen") else ""
    spread = "" if one else f" ± {100 * m['accuracy_std']:.1f}"
    text = f"{m['label']}: {100 * m['accuracy_mean']:.1f}{spread}% ({m['n_seeds']} seed{'' if one else 's'}{rate})"
    if base is not None and m.get("delta_vs_baseline") is not None:
        text += f", {100 * m['delta_vs_baseline']:+.1f}"
        text += " points vs baseline (one seed: no spread)" if one else \
            f" ± {100 * _spread(m, base):.1f} points vs baseline"
    return text


def batch_norm_note(rows: Sequence[dict]) -> Optional[str]:
    """What the measured batch-norm row says about the BN paper's two claims (faster, and no
    worse), with the measured cause when BN ends below the baseline by more than the seeds' spread."""
    bn = next((r for r in rows if (r.get("change") or {}).get("batch_norm") is True), None)
    base = next((r for r in rows if r["label"] == "baseline"), None)
    if bn is None or base is None or bn.get("delta_vs_baseline") is None:
        return None
    d, spread = bn["delta_vs_baseline"], _spread(bn, base)
    speed = (f"Steps to the baseline's final accuracy: {steps_text(bn)} with batch norm against "
             f"{steps_text(base)} for the baseline itself")
    bn_steps, base_steps = bn.get("steps_to_baseline_mean"), base.get("steps_to_baseline_mean")
    if bn_steps and base_steps:
        speed += f" ({base_steps / bn_steps:.1f}× {'fewer' if bn_steps < base_steps else 'more'}; the paper: 14× fewer)"
    speed += "."
    if d > spread:
        verdict = (f"Batch norm ends {100 * d:.1f} points above the baseline, more than the seeds' spread "
                   f"(± {100 * spread:.1f}): the paper's higher final accuracy, reproduced.")
    elif d >= -spread:
        verdict = (f"Batch norm ends {100 * d:+.1f} points against the baseline, within the seeds' spread "
                   f"(± {100 * spread:.1f}): no measurable difference in final accuracy.")
    else:
        verdict = (f"Batch norm still ends {100 * -d:.1f} points below the baseline, more than the seeds' spread "
                   f"(± {100 * spread:.1f}): this contradicts the paper." + _bn_cause(bn, base))
    moving = bn.get("accuracy_moving_stats_mean")
    if moving is not None:
        verdict += (f" Measured with Keras's moving BN averages instead of re-estimated statistics, the same networks "
                    f"score {100 * moving:.1f}% (re-estimated: {100 * bn['accuracy_mean']:.1f}%).")
    return f"{verdict} {speed}"


def _bn_cause(bn: dict, base: dict) -> str:
    grid, searched = bn.get("lr_grid") or [], bn.get("lr_search") or []
    out = ""
    lb, lbase = bn.get("train_loss_final_mean"), base.get("train_loss_final_mean")
    if lb is not None and lbase is not None:
        out += (f" Final training loss {lb:.2f} against the baseline's {lbase:.2f}: "
                + ("it is undertrained in this budget, not overfitting." if lb > lbase else
                   "it fits the training images as well, so the gap is in generalisation."))
    if grid and len(searched) < len(grid):
        return out + f" Its learning-rate search is incomplete ({len(searched)} of {len(grid)} rates so far)."
    if grid and math.isclose(bn["learning_rate"], max(grid)):
        out += (" Its chosen learning rate is the largest of the grid: a higher rate may suit it better "
                "(the BN paper raised the rate 5-30×).")
    return out
