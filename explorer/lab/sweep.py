"""Sweeps: choice combinations x seeds, one JSON line per finished run, resumable.

A run's identity is a hash of its whole `TrainConfig` (seed included, library versions not): a
sweep skips every run whose id is already in the output file and appends one line per newly
finished run (flushed and fsync'ed), so an interrupted sweep resumes where it stopped when the
same command is run again.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import gc
import hashlib
import importlib
import json
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from explorer.lab.train import Progress, TrainConfig

# the module (the package's `train` attribute is the function of the same name)
_train_mod = importlib.import_module("explorer.lab.train")

RECORD_FORMAT = 1


# --------------------------------------------------------------------------- identity / labels
def run_id(config: TrainConfig) -> str:
    """Stable id of a run: sha256 of its configuration (seed included), 16 hex digits."""
    blob = json.dumps(config.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def label(change: dict) -> str:
    """'baseline' for {}, else 'name=value, ...' (as the command line writes them)."""
    if not change:
        return "baseline"
    return ", ".join(f"{k}={v}" for k, v in sorted(change.items()))


def flipped(variant: str, name: str, base_choices: Optional[dict] = None):
    """The other value of choice `name` against the baseline (the variant's defaults, overridden
    by `base_choices`); see `explorer.zoo.choices.flipped`."""
    import explorer
    from explorer.zoo.choices import CHOICE_NAMES, flipped as other

    if name not in CHOICE_NAMES:
        raise ValueError(f"Unknown design choice {name!r}. Valid choices: {', '.join(sorted(CHOICE_NAMES))}. "
                         f"Received: {name!r}")
    return other(name, (base_choices or {}).get(name, getattr(explorer.get_spec(variant).defaults, name)))


def toggle_grid(variant: str, toggles: Iterable, base_choices: Optional[dict] = None) -> list[dict]:
    """[{}] (the baseline) + one change per toggle. A toggle is a choice name (flipped against the
    baseline) or a {name: value} dict (several names = one combined change)."""
    grid: list[dict] = [{}]
    for t in toggles:
        change = dict(t) if isinstance(t, dict) else {t: flipped(variant, t, base_choices)}
        if change not in grid:
            grid.append(change)
    return grid


def configs(variant: str, grid: Sequence[dict], seeds: Iterable[int], base: TrainConfig
            ) -> list[tuple[dict, TrainConfig]]:
    """(change, config) for every run, seed-major (every configuration for the first seed, then the
    next seed...), so a partial sweep has whole seeds. Raises ValueError before any training when
    a combination cannot be built. Duplicate runs are dropped."""
    out, seen = [], set()
    base_choices = dict(base.choices)
    for seed in seeds:
        for change in grid:
            cfg = dataclasses.replace(base, variant=variant, choices={**base_choices, **change}, seed=int(seed))
            try:
                cfg.resolved_choices()
            except ValueError as e:
                raise ValueError(f"sweep configuration {label(change)!r} cannot be built: {e}") from None
            rid = run_id(cfg)
            if rid not in seen:
                seen.add(rid)
                out.append((dict(change), cfg))
    return out


# --------------------------------------------------------------------------- results file
def load_results(path) -> list[dict]:
    """Every record of a JSON-lines results file ([] when it does not exist). A truncated last line
    (a run interrupted while writing) is skipped silently; a malformed line elsewhere with a
    warning."""
    p = Path(path)
    if not p.exists():
        return []
    text = p.read_text(encoding="utf-8")
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i < len(lines) - 1:  # a complete line that does not parse
                warnings.warn(f"{p}: line {i + 1} is not valid JSON; skipped", stacklevel=2)
            continue
        if isinstance(rec, dict) and "id" in rec:
            out.append(rec)
    return out


def _repair_tail(p: Path) -> None:
    """Cut a partial last line (no newline at the end) left by an interrupted write."""
    if not p.exists() or p.stat().st_size == 0:
        return
    with open(p, "rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return
        f.seek(0)
        data = f.read()
        f.truncate(data.rfind(b"\n") + 1)


def append_record(path, record: dict) -> None:
    """Append one JSON line and make it durable (flush + fsync)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
    with open(p, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def _record(change: dict, config: TrainConfig, result: dict) -> dict:
    metrics_keys = ("accuracy", "aux_accuracy", "loss", "aux_loss", "train_loss", "chance", "params",
                    "trainable_params", "macs", "loss_weights", "wall_s", "train_s", "data_s")
    return {
        "format": RECORD_FORMAT,
        "id": run_id(config),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "variant": config.variant,
        "label": label(change),
        "change": change,
        "choices": dict(config.to_dict()["choices"]),
        "seed": config.seed,
        "config": config.to_dict(),
        "metrics": {k: result[k] for k in metrics_keys if k in result},
        "resolved_choices": result.get("resolved_choices"),
        "backend": result.get("backend"),
        "device": result.get("device"),
        "strategy": result.get("strategy"),
        "mixed_precision": result.get("mixed_precision"),
        "notes": result.get("notes", []),
        "versions": result.get("versions") or _train_mod.versions(),
    }


# --------------------------------------------------------------------------- the runner
@dataclass
class SweepReport:
    records: list  # one per requested run, in run order (earlier ones read back from the file)
    ran: list  # ids trained now
    skipped: list  # ids already in the file
    path: str = ""


def run_sweep(variant: str, grid: Sequence[dict], seeds: Iterable[int], base: TrainConfig, out_path,
              progress: Optional[Progress] = None, *, train_fn: Optional[Callable] = None) -> SweepReport:
    """Train every (grid entry x seed) not already in `out_path`, appending one line per run.

    grid:     choice changes against `base.choices` ({} = the baseline).
    progress: progress(fraction of the whole sweep, message), fraction counting only the runs to do.
    train_fn: the training function (default `explorer.lab.train.train`); tests swap it.
    An exception in a run propagates; the runs finished before it are already in the file.
    """
    runs = configs(variant, grid, seeds, base)
    p = Path(out_path)
    _repair_tail(p)
    done = {r["id"]: r for r in load_results(p)}
    todo = [(ch, cfg) for ch, cfg in runs if run_id(cfg) not in done]
    report = progress or (lambda f, m: None)
    fn = train_fn or _train_mod.train
    records, ran = [], []
    skipped = [run_id(cfg) for _, cfg in runs if run_id(cfg) in done]
    if not todo:
        report(1.0, f"all {len(runs)} runs already in {p}")
    k = 0
    for change, cfg in runs:
        rid = run_id(cfg)
        if rid in done:
            records.append(done[rid])
            continue
        name = f"run {k + 1}/{len(todo)}: {label(change)}, seed {cfg.seed}"

        def inner(f, msg, _k=k, _name=name):
            report((_k + min(max(f, 0.0), 1.0)) / len(todo), f"{_name}: {msg}")

        gc.collect()  # the last run's model; never keras.backend.clear_session(): the app's models live on
        result = fn(cfg, progress=inner)
        rec = _record(change, cfg, result)
        append_record(p, rec)
        records.append(rec)
        ran.append(rid)
        done[rid] = rec
        k += 1
    return SweepReport(records=records, ran=ran, skipped=skipped, path=str(p))


# --------------------------------------------------------------------------- summaries
def _mean_std(values: list[float]) -> tuple[float, float]:
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return mean, std


def summarize(records: Sequence[dict]) -> list[dict]:
    """One row per configuration (records that differ only in seed): n seeds, accuracy mean / std
    (sample std, n-1), min / max, aux head accuracy means, params, MACs, mean wall time, and the
    change in mean accuracy against the baseline of the same sweep settings."""
    groups: dict = {}
    for r in records:
        cfg = dict(r.get("config", {}))
        cfg.pop("seed", None)
        key = json.dumps(cfg, sort_keys=True, default=str)
        groups.setdefault(key, []).append(r)
    rows = []
    for key, rs in groups.items():
        accs = [r["metrics"]["accuracy"] for r in rs]
        mean, std = _mean_std(accs)
        aux = [r["metrics"].get("aux_accuracy") or [] for r in rs]
        n_aux = min(len(a) for a in aux) if aux else 0
        m0 = rs[0]["metrics"]
        rows.append({
            "label": rs[0].get("label", "?"),
            "variant": rs[0].get("variant"),
            "change": rs[0].get("change", {}),
            "n_seeds": len(rs),
            "seeds": sorted(r.get("seed") for r in rs),
            "accuracy_mean": mean,
            "accuracy_std": std,
            "accuracy_min": min(accs),
            "accuracy_max": max(accs),
            "aux_accuracy_mean": [_mean_std([a[i] for a in aux])[0] for i in range(n_aux)],
            "params": m0.get("params"),
            "macs": m0.get("macs"),
            "wall_s_mean": _mean_std([r["metrics"].get("wall_s", math.nan) for r in rs])[0],
            "chance": m0.get("chance"),
            "device": rs[-1].get("device"),
            "backend": rs[-1].get("backend"),
            "_settings": _settings_key(rs[0]),
        })
    base = {row["_settings"]: row for row in rows if row["label"] == "baseline"}
    for row in rows:
        b = base.get(row["_settings"])
        row["delta_vs_baseline"] = row["accuracy_mean"] - b["accuracy_mean"] if b else None
        del row["_settings"]
    return rows


def _settings_key(rec: dict) -> str:
    """The sweep settings apart from the choice change and the seed (which baseline applies)."""
    cfg = dict(rec.get("config", {}))
    cfg.pop("seed", None)
    choices = dict(cfg.pop("choices", {}) or {})
    for k in rec.get("change", {}) or {}:
        choices.pop(k, None)
    cfg["choices"] = choices
    return json.dumps([rec.get("variant"), cfg], sort_keys=True, default=str)


# --------------------------------------------------------------------------- the shipped sweep
@dataclass(frozen=True)
class ShippedSweep:
    """A named, committed sweep: exactly what produced a results file under assets/ablation/."""

    name: str
    variant: str
    grid: tuple  # of change dicts, as (name, value) pair tuples (frozen)
    seeds: tuple[int, ...]
    base: TrainConfig
    out: str
    command: str
    description: str = ""

    @property
    def changes(self) -> list[dict]:
        return [dict(g) for g in self.grid]

    @property
    def path(self) -> Path:
        """Where the shipped results file lives (absolute)."""
        return ASSETS / Path(self.out).name

    def run(self, out_path=None, progress: Optional[Progress] = None, **kw) -> SweepReport:
        return run_sweep(self.variant, self.changes, self.seeds, self.base, out_path or self.path,
                         progress, **kw)


ASSETS = Path(__file__).resolve().parents[2] / "assets" / "ablation"

SHIPPED = ShippedSweep(
    name="shipped",
    variant="googlenet",
    grid=((), (("reduce_1x1", False),), (("aux_heads", True),), (("batch_norm", True),),
          (("factorize_5x5", True),)),
    seeds=(0, 1, 2),
    base=TrainConfig(variant="googlenet", choices={"width": 0.25}, n_train=3000, n_val=1000,
                     image_size=72, epochs=8, batch_size=64, optimizer="adam", learning_rate=3e-4,
                     schedule="constant"),
    out="assets/ablation/googlenet_shapes.jsonl",
    command="python -m explorer ablate --preset shipped",
    description="GoogLeNet (paper defaults: no BN, LRN, 5x5 kernels) at width 0.25 and 72x72 input, "
                "3000 training / 1000 held-out shapes images (6 classes), 8 epochs of Adam at 3e-4, "
                "batch 64; baseline and one change at a time, seeds 0, 1, 2.",
)

PRESETS = {"shipped": SHIPPED}
