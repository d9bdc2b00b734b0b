"""What a results file says, computed from the file: how far a preset's sweep has got, the
learning-rate search, and the findings (batch norm against the paper, costs, seed noise) as
Markdown. The Ablation lab page shows the findings; the README's "Measured here" block is
`readme_block(...)` verbatim, rewritten by `python -m explorer ablate --preset shipped --show
--readme README.md` (tests/test_lab_findings.py checks the README holds the block of the shipped
file). No Streamlit, no Keras.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

from explorer.lab.report import batch_norm_note, measured_text
from explorer.lab.summary import Tr, markdown_table, summarize
from explorer.lab.summary import same as _same

BEGIN = "<!-- lab-results: python -m explorer ablate --preset shipped --show --readme README.md -->"
END = "<!-- /lab-results -->"


def _pct(x: Optional[float]) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _row(rows: Sequence[dict], **change) -> Optional[dict]:
    if not change:
        return next((r for r in rows if r["label"] == "baseline"), None)
    return next((r for r in rows if (r.get("change") or {}) == change), None)


def _run(records: Sequence[dict], label: str, seed: int, lr: float) -> Optional[dict]:
    return next((r for r in records if r.get("label") == label and r.get("seed") == seed
                 and math.isclose(r["config"]["learning_rate"], lr)), None)


def _final_train_loss(rec: dict) -> Optional[float]:
    losses = (rec["metrics"].get("curves") or {}).get("train_loss") or []
    return losses[-1] if losses else None


# --------------------------------------------------------------------------- completeness
def completeness(records: Sequence[dict], preset, tr: Tr = _same) -> tuple[int, int, list[str]]:
    """(runs of `preset` in `records`, runs the preset plans, what is missing per configuration)."""
    from explorer.lab.sweep import label

    n_rates, n_seeds = max(len(preset.lrs), 1), len(preset.seeds)
    per_config = n_rates + n_seeds - 1 if preset.lrs else n_seeds
    missing = []
    for change in preset.changes:
        name = label(change)
        runs = [r for r in records if r.get("label") == name]
        search = [r for r in runs if r.get("seed") == preset.seeds[0]]
        later = [r for r in runs if r.get("seed") != preset.seeds[0]]
        parts = []
        if preset.lrs and len(search) < n_rates:
            parts.append(tr("{left} of {n} learning rates on seed {seed}").format(
                left=n_rates - len(search), n=n_rates, seed=preset.seeds[0]))
        if len(later) < n_seeds - 1:
            parts.append(tr("{left} of {n} more seeds").format(left=n_seeds - 1 - len(later), n=n_seeds - 1))
        if parts:
            missing.append(f"{name} ({', '.join(parts)})")
    planned = per_config * len(preset.changes)
    return len(records), planned, missing


def status_line(records: Sequence[dict], preset, tr: Tr = _same) -> str:
    done, planned, missing = completeness(records, preset, tr)
    if not missing:
        return tr("All {planned} runs of the preset are in the file.").format(planned=planned)
    return tr("**The sweep is not finished: {done} of its {planned} runs are in the file.** Still to run: {missing}. "
              "`{command}` picks up exactly where the file stops (`--dry-run` lists what is done and what is left; "
              "`--engine ray` runs the rest side by side).").format(
        done=done, planned=planned, missing="; ".join(missing), command=preset.command)


# --------------------------------------------------------------------------- learning-rate search
def lr_search_table(rows: Sequence[dict]) -> str:
    """Validation-split accuracy of each configuration at each rate of the grid (held-out beside it
    for the record), and the chosen rate."""
    grid = sorted({g for r in rows for g in r.get("lr_grid") or []})
    if not grid:
        return ""
    lines = ["| configuration | " + " | ".join(f"{g:g}" for g in grid) + " | chosen |",
             "|---|" + "---:|" * (len(grid) + 1)]
    for r in rows:
        by_lr = {s["learning_rate"]: s for s in r.get("lr_search") or []}
        cells = []
        for g in grid:
            s = next((v for k, v in by_lr.items() if math.isclose(k, g)), None)
            cells.append("not run yet" if s is None else
                         f"{_pct(s['tune_accuracy'])} (held-out {_pct(s['accuracy'])})")
        done = len(by_lr) >= len(grid)
        chosen = f"{r['learning_rate']:g}" if done else f"{r['learning_rate']:g} so far"
        lines.append(f"| {r['label']} | " + " | ".join(cells) + f" | {chosen} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- findings
def _bn_findings(records: Sequence[dict], rows: Sequence[dict], tr: Tr = _same) -> list[str]:
    bn, base = _row(rows, batch_norm=True), _row(rows)
    note = batch_norm_note(rows, tr)
    if not note:
        return [tr("**Batch norm**: not in these results yet.")]
    out = [tr("**Batch norm against the paper** (each network at its own learning rate): {note}").format(note=note)]
    by_id = {r["id"]: r for r in records}
    pairs = [(by_id[i]["metrics"]["accuracy"], by_id[i]["metrics"].get("accuracy_moving_stats")) for i in bn["ids"]]
    if all(m is not None for _, m in pairs):
        out.append(tr("*Stale moving averages*: per seed, held-out accuracy with re-estimated statistics against "
                      "Keras's moving averages (momentum 0.99, a window of about 100 steps): {pairs}.").format(
            pairs=", ".join(tr("{a} % against {m} %").format(a=f"{100 * a:.1f}", m=f"{100 * m:.1f}") for a, m in pairs)))
    sel = (base.get("lr_search") or [{}])[0].get("seed", 0)
    if not math.isclose(bn["learning_rate"], base["learning_rate"]):
        for who, other in ((bn, base), (base, bn)):
            out += _at_others_rate(records, who, other, sel, tr)
    return out


def _at_others_rate(records: Sequence[dict], who: dict, other: dict, seed: int, tr: Tr = _same) -> list[str]:
    """How `who` does at the rate chosen for `other` (seed `seed`), with both final training losses."""
    rate = other["learning_rate"]
    rec, theirs = _run(records, who["label"], seed, rate), _run(records, other["label"], seed, rate)
    if rec is None or theirs is None:
        return []
    lw, lo = _final_train_loss(rec), _final_train_loss(theirs)
    text = tr("*At {rate}, the rate chosen for {other}*, {who} ends at {acc} held-out (seed {seed})").format(
        rate=f"{rate:g}", other=other["label"], who=who["label"], acc=_pct(rec["metrics"]["accuracy"]), seed=seed)
    if lw is not None and lo is not None:
        text += tr(" with a final training loss of {loss} ({other} at that rate: {other_loss})").format(
            loss=f"{lw:.2f}", other=other["label"], other_loss=f"{lo:.2f}")
        chance = rec["metrics"].get("chance")
        if _plateau(rec):
            text += tr("; ln {k} = {ln} is the loss of a uniform guess: it never left its initial plateau").format(
                k=round(1 / chance), ln=f"{math.log(round(1 / chance)):.2f}")
        elif lo is not None and lw > lo:
            text += tr(": undertrained in this budget, not overfitting")
    return [text + tr(".")]


def _plateau(rec: dict) -> bool:
    """Did this run end on its initial plateau (final training loss within 0.02 of a uniform guess's)?"""
    loss, chance = _final_train_loss(rec), rec["metrics"].get("chance")
    return loss is not None and bool(chance) and loss >= math.log(round(1 / chance)) - 0.02


def _stuck(records: Sequence[dict], rows: Sequence[dict], tr: Tr = _same) -> Optional[str]:
    """Runs at their configuration's chosen rate that never trained, and the mean without them."""
    parts = []
    for row in rows:
        runs = [r for r in records if r.get("label") == row["label"]
                and math.isclose(r["config"]["learning_rate"], row["learning_rate"])]
        stuck = sorted((r for r in runs if _plateau(r)), key=lambda r: r["seed"])
        if not stuck:
            continue
        text = tr("{label}: seed {seeds} at {rate} ended at {accs} held-out with a final training loss of {loss} = "
                  "ln {k}").format(label=row["label"], seeds=", ".join(str(r["seed"]) for r in stuck),
                                   rate=f"{row['learning_rate']:g}", accs=", ".join(_pct(r["metrics"]["accuracy"])
                                                                                    for r in stuck),
                                   loss=f"{_final_train_loss(stuck[0]):.2f}", k=round(1 / stuck[0]["metrics"]["chance"]))
        trained = [r["metrics"]["accuracy"] for r in runs if not _plateau(r)]
        if trained:
            text += (tr("; the {n} seeds that trained average {mean}") if len(trained) > 1 else
                     tr("; the {n} seed that trained average {mean}")).format(
                n=len(trained), mean=_pct(sum(trained) / len(trained)))
        parts.append(text)
    if not parts:
        return None
    return tr("**Runs that never left their initial plateau** (measured cause of a low mean, not an effect of the "
              "design choice): {runs}. Without batch norm, a rate chosen on seed 0 can leave another seed's "
              "initialisation stuck at a uniform guess; the mean and ± above include these runs.").format(
        runs="; ".join(parts))


def _grid_edges(rows: Sequence[dict], tr: Tr = _same) -> Optional[str]:
    edge = [r for r in rows if r.get("lr_chosen") and r.get("lr_grid") and len(r.get("lr_search") or []) >= len(
        r["lr_grid"]) and (math.isclose(r["learning_rate"], min(r["lr_grid"]))
                           or math.isclose(r["learning_rate"], max(r["lr_grid"])))]
    if not edge:
        return None
    runs = ", ".join((tr("{label} ({rate}, the lowest)") if math.isclose(r["learning_rate"], min(r["lr_grid"])) else
                      tr("{label} ({rate}, the highest)")).format(label=r["label"], rate=f"{r['learning_rate']:g}")
                     for r in edge)
    return tr("**Chosen rates at an edge of the grid**: {runs}. A wider grid could move these; each comparison is at "
              "each network's best of the same rates.").format(runs=runs)


def _noise(rows: Sequence[dict], tr: Tr = _same) -> Optional[str]:
    stds = [r["accuracy_std"] for r in rows if r["n_seeds"] >= 2]
    if not stds:
        return None
    sigma = sum(stds) / len(stds)
    need = math.ceil(8 * sigma ** 2 / 0.005 ** 2)
    return tr("**Seed noise**: {lo}–{hi} points of standard deviation across seeds ({n} configurations with two seeds "
              "or more). Telling apart effects the size of the published ones (about 0.5 points top-1 on ImageNet) at "
              "a spread of {sigma} points takes roughly 8σ²/Δ² ≈ {need} seeds per configuration: the lab shows "
              "directions and costs, not ImageNet-sized effects.").format(
        lo=f"{100 * min(stds):.1f}", hi=f"{100 * max(stds):.1f}", n=len(stds), sigma=f"{100 * sigma:.1f}",
        need=f"{need:,}")


def _costs(rows: Sequence[dict], tr: Tr = _same) -> list[str]:
    base, out = _row(rows), []
    if base is None:
        return out
    naive = _row(rows, reduce_1x1=False)
    if naive is not None:
        out.append(tr("**Without the 1x1 reductions** (the paper's naive module): {p}× the parameters ({base} → "
                      "{naive}), {m}× the MACs, {t}× the mean wall time per run (on shared cores); accuracy "
                      "{acc}.").format(
            p=f"{naive['params'] / base['params']:.1f}", base=f"{base['params']:,}", naive=f"{naive['params']:,}",
            m=f"{naive['macs'] / base['macs']:.1f}", t=f"{naive['wall_s_mean'] / base['wall_s_mean']:.1f}",
            acc=measured_text(rows, "reduce_1x1", tr)))
    fac = _row(rows, factorize_5x5=True)
    if fac is not None:
        out.append(tr("**Two 3x3 instead of each 5x5** (middle width sqrt(r f)): {base} → {fac} parameters ({dp} %), "
                      "MACs {dm} %; accuracy {acc}.").format(
            base=f"{base['params']:,}", fac=f"{fac['params']:,}", dp=f"{100 * (fac['params'] / base['params'] - 1):+.1f}",
            dm=f"{100 * (fac['macs'] / base['macs'] - 1):+.1f}", acc=measured_text(rows, "factorize_5x5", tr)))
    aux = _row(rows, aux_heads=True)
    if aux is not None:
        heads = ", ".join(f"{100 * a:.1f} %" for a in aux["aux_accuracy_mean"]) or "—"
        out.append(tr("**Auxiliary heads**: {acc}; the heads themselves (after inception_4a and 4d) reach {heads} "
                      "held-out.").format(acc=measured_text(rows, "aux_heads", tr), heads=heads))
    return out


def findings(records: Sequence[dict], rows: Optional[Sequence[dict]] = None, tr: Tr = _same) -> list[str]:
    """Markdown bullet texts of what the records measure, every number computed from them; `tr`
    translates their templates (the page passes its `_`)."""
    rows = summarize(records) if rows is None else rows
    if not rows:
        return []
    out = _bn_findings(records, rows, tr) + _costs(rows, tr)
    out += [t for t in (_stuck(records, rows, tr), _grid_edges(rows, tr), _noise(rows, tr)) if t]
    return out


def readme_block(records: Sequence[dict], preset) -> str:
    """The README's generated "Measured here" block (between BEGIN and END, markers excluded)."""
    rows = summarize(records)
    if not rows:
        return f"No runs in `{preset.out}` yet: `{preset.command}` writes them."
    rec = records[-1]
    v = rec.get("versions") or {}
    devices = sorted({str(r.get("device")) for r in records})
    head = (f"`{preset.command} --show` ({len(records)} runs in `{preset.out}`, {rec.get('backend')} "
            f"{v.get('tensorflow') or v.get('jax') or v.get('torch') or ''} / Keras {v.get('keras', '?')} on "
            f"{', '.join(devices)}; chance = {_pct(rows[0].get('chance'))}; accuracy on the held-out images with BN "
            "statistics re-estimated; ± is the sample standard deviation across seeds; \"steps to baseline's "
            "accuracy\" is the mean over seeds of the first step (end of an epoch) at which held-out accuracy reached "
            "the baseline's final mean; \"s / run\" is the mean wall time of a run).")
    parts = [status_line(records, preset), head, markdown_table(rows)]
    search = lr_search_table(rows)
    if search:
        parts += ["The learning-rate search (accuracy on the validation split, held out of the training images; "
                  "the held-out accuracy beside it is for the record, it chose nothing):", search]
    parts.append("What the file says (every number computed from it):\n\n"
                 + "\n".join(f"* {t}" for t in findings(records, rows)))
    return "\n\n".join(parts)


def replace_block(text: str, block: str) -> str:
    """`text` (the README) with its lab-results block replaced by `block`; ValueError without markers."""
    if BEGIN not in text or END not in text:
        raise ValueError(f"the README has no generated lab-results block. Received: a text without {BEGIN!r}")
    a = text.index(BEGIN) + len(BEGIN)
    return text[:a] + "\n" + block + "\n" + text[text.index(END, a):]


def block_in(text: str) -> str:
    """The generated block currently in `text` (the README)."""
    a = text.index(BEGIN) + len(BEGIN)
    return text[a:text.index(END, a)].strip("\n")
