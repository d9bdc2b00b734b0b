"""Summaries of a results file: one row per configuration at its chosen learning rate.

A sweep with a learning-rate grid (`run_sweep(..., lrs=...)`) trains every configuration at every
rate on its first seed and keeps the rate with the best accuracy on the validation split; the row
of a configuration is made of its runs at that rate (one per seed). A sweep without a grid gives one
row per configuration and rate. Rows carry mean / std across seeds, the difference to the baseline,
and how many training steps each seed needed to reach the baseline's final mean accuracy on the
held-out images (from the per-epoch learning curves): batch norm's claim is about that.
"""
from __future__ import annotations

import json
import math
from typing import Callable, Optional, Sequence

from explorer.lab.sweep import choose_lr


def _mean_std(values: list[float]) -> tuple[float, float]:
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, std


def _key(rec: dict, *drop: str, drop_change: bool = False) -> str:
    cfg = dict(rec.get("config", {}))
    for k in drop:
        cfg.pop(k, None)
    if drop_change:
        choices = dict(cfg.pop("choices", {}) or {})
        for k in rec.get("change", {}) or {}:
            choices.pop(k, None)
        cfg["choices"] = choices
    return json.dumps([rec.get("variant"), cfg], sort_keys=True, default=str)


def _lr(rec: dict) -> Optional[float]:
    lr = rec.get("config", {}).get("learning_rate", rec.get("learning_rate"))
    return None if lr is None else float(lr)


def _configurations(records: Sequence[dict]) -> list[tuple[list[dict], Optional[float], list[dict]]]:
    """(runs at the chosen rate, chosen rate or None, the selection seed's runs at every rate) per
    configuration, in the order of first appearance."""
    groups: dict = {}
    for r in records:
        groups.setdefault(_key(r, "seed", "learning_rate"), []).append(r)
    out = []
    for rs in groups.values():
        grid = (rs[0].get("protocol") or {}).get("lr_grid")
        if grid:
            sel_seed = rs[0]["protocol"].get("select_seed", min(r["seed"] for r in rs))
            search = sorted((r for r in rs if r["seed"] == sel_seed), key=lambda r: _lr(r) or 0.0)
            lr = choose_lr(search)
            out.append(([r for r in rs if lr is not None and _lr(r) is not None and math.isclose(_lr(r), lr)], lr,
                        search))
            continue
        by_lr: dict = {}
        for r in rs:
            by_lr.setdefault(_lr(r), []).append(r)
        out.extend((group, None, []) for group in by_lr.values())
    return [o for o in out if o[0]]


def steps_to_reach(rec: dict, target: float) -> Optional[int]:
    """The first training step (end of an epoch) at which the run's held-out accuracy reached
    `target`; None if it never did (or the run has no curves)."""
    curves = rec.get("metrics", {}).get("curves") or {}
    for step, acc in zip(curves.get("step", []), curves.get("heldout_accuracy", [])):
        if acc is not None and acc >= target - 1e-12:
            return int(step)
    return None


def _row(rs: list[dict], lr: Optional[float], search: list[dict]) -> dict:
    accs = [r["metrics"]["accuracy"] for r in rs]
    mean, std = _mean_std(accs)
    aux = [r["metrics"].get("aux_accuracy") or [] for r in rs]
    n_aux = min(len(a) for a in aux) if aux else 0
    moving = [r["metrics"]["accuracy_moving_stats"] for r in rs if r["metrics"].get("accuracy_moving_stats") is not None]
    finals = [r["metrics"]["curves"]["train_loss"][-1] for r in rs
              if (r["metrics"].get("curves") or {}).get("train_loss")]
    m0 = rs[0]["metrics"]
    return {
        "label": rs[0].get("label", "?"), "variant": rs[0].get("variant"), "change": rs[0].get("change", {}),
        "n_seeds": len(rs), "seeds": sorted(r.get("seed") for r in rs),
        "learning_rate": lr if lr is not None else _lr(rs[0]), "lr_chosen": lr is not None,
        "lr_grid": list((rs[0].get("protocol") or {}).get("lr_grid") or []),
        "lr_search": [{"learning_rate": _lr(r), "tune_accuracy": r["metrics"].get("tune_accuracy"),
                       "tune_loss": r["metrics"].get("tune_loss"), "accuracy": r["metrics"]["accuracy"],
                       "seed": r["seed"]} for r in search],
        "accuracy_mean": mean, "accuracy_std": std, "accuracy_min": min(accs), "accuracy_max": max(accs),
        "accuracy_moving_stats_mean": _mean_std(moving)[0] if moving else None,
        "train_loss_final_mean": _mean_std(finals)[0] if finals else None,
        "aux_accuracy_mean": [_mean_std([a[i] for a in aux])[0] for i in range(n_aux)],
        "params": m0.get("params"), "macs": m0.get("macs"),
        "wall_s_mean": _mean_std([r["metrics"].get("wall_s", math.nan) for r in rs])[0],
        "chance": m0.get("chance"), "device": rs[-1].get("device"), "backend": rs[-1].get("backend"),
        "steps_per_epoch": m0.get("steps_per_epoch"),
        "ids": [r["id"] for r in rs],
        "_settings": _key(rs[0], "seed", "learning_rate", drop_change=True),
    }


def summarize(records: Sequence[dict]) -> list[dict]:
    """One row per configuration (at its chosen learning rate when the sweep chose one): n seeds,
    accuracy mean / std (sample std, n-1), min / max, aux head accuracy means, params, MACs, mean
    wall time, the chosen rate and the search behind it, the change in mean accuracy against the
    baseline of the same sweep settings, and steps_to_baseline: per seed, the training steps at
    which held-out accuracy first reached the baseline's mean (None: never; runs without
    curves are left out)."""
    rows = [_row(rs, lr, search) for rs, lr, search in _configurations(records)]
    by_id = {r["id"]: r for r in records}
    base = {}
    for row in rows:
        if row["label"] == "baseline":
            base.setdefault(row["_settings"], row)
    for row in rows:
        b = base.get(row["_settings"])
        row["delta_vs_baseline"] = row["accuracy_mean"] - b["accuracy_mean"] if b else None
        row["baseline_accuracy"] = b["accuracy_mean"] if b else None
        with_curves = [i for i in row["ids"] if (by_id[i]["metrics"].get("curves") or {}).get("step")]
        row["steps_to_baseline"] = [steps_to_reach(by_id[i], b["accuracy_mean"]) for i in with_curves] if b else []
        reached = [s for s in row["steps_to_baseline"] if s is not None]
        row["steps_to_baseline_mean"] = sum(reached) / len(reached) if reached else None
    for row in rows:
        del row["_settings"]
    return rows


def learning_curves(records: Sequence[dict], row: dict) -> dict:
    """The per-epoch curves of a summary row's runs: {"step": [...], name: [[per seed]...]}."""
    by_id = {r["id"]: r for r in records}
    runs = [by_id[i]["metrics"].get("curves") or {} for i in row["ids"] if i in by_id]
    runs = [c for c in runs if c.get("step")]
    if not runs:
        return {}
    names = ("train_loss", "train_accuracy", "tune_loss", "tune_accuracy", "heldout_loss", "heldout_accuracy")
    return {"step": runs[0]["step"], **{n: [c.get(n, []) for c in runs] for n in names}}


def markdown_table(rows: Sequence[dict]) -> str:
    """The summary as a Markdown table (what the README shows)."""
    lines = ["| configuration | seeds | learning rate | held-out accuracy % (mean ± std) | min–max % "
             "| vs baseline (points) | steps to baseline's accuracy | aux heads % | params | MACs / image "
             "| s / run |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        d = r.get("delta_vs_baseline")
        delta = "—" if r["label"] == "baseline" or d is None else f"{100 * d:+.1f}"
        aux = ", ".join(f"{100 * a:.1f}" for a in r["aux_accuracy_mean"]) or "—"
        lr = lr_text(r)
        lines.append(f"| {r['label']} | {r['n_seeds']} | {lr} | {100 * r['accuracy_mean']:.1f} ± "
                     f"{100 * r['accuracy_std']:.1f} | {100 * r['accuracy_min']:.1f}–{100 * r['accuracy_max']:.1f} "
                     f"| {delta} | {steps_text(r)} | {aux} | {r['params']:,} | {r['macs']:,} | {r['wall_s_mean']:.0f} |")
    return "\n".join(lines)


def same(text: str) -> str:
    """The identity `tr`: the texts of explorer.lab in English (the pages pass their `_` instead)."""
    return text


Tr = Callable[[str], str]


def steps_text(row: dict, tr: Tr = same) -> str:
    """'mean (n/N seeds)' of the steps to the baseline's accuracy, or 'not reached'."""
    steps = row.get("steps_to_baseline") or []
    reached = [s for s in steps if s is not None]
    if not steps:
        return "—"
    if not reached:
        return tr("not reached (0/{n})").format(n=len(steps))
    text = f"{sum(reached) / len(reached):.0f}"
    return text if len(reached) == len(steps) else tr("{steps} ({k}/{n} seeds)").format(
        steps=text, k=len(reached), n=len(steps))


def lr_text(row: dict, tr: Tr = same) -> str:
    """'0.001 (chosen)', '0.001 (best of 2/3 rates so far)' while the search is incomplete, or '0.001'."""
    rate = f"{row['learning_rate']:g}"
    if not row.get("lr_chosen"):
        return rate
    n, grid = len(row.get("lr_search") or []), len(row.get("lr_grid") or [])
    return (tr("{rate} (chosen)") if n >= grid else tr("{rate} (best of {n}/{grid} rates so far)")).format(
        rate=rate, n=n, grid=grid)
