"""Sweeps: choice combinations x seeds, one JSON line per finished run, resumable.

A run's identity is a hash of its whole `TrainConfig` (seed included, library versions not): a
sweep skips every run whose id is already in the output file and appends one line per newly
finished run (flushed and fsync'ed), so an interrupted sweep resumes where it stopped when the
same command is run again.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import importlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from explorer.lab.config import TrainConfig
from explorer.lab.recipe import Progress

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


def configs(variant: str, grid: Sequence[dict], seeds: Iterable[int], base: TrainConfig,
            lrs: Optional[Sequence[float]] = None) -> list[tuple[dict, TrainConfig]]:
    """(change, config) for every run, seed-major (every configuration for the first seed, then the
    next seed...), so a partial sweep has whole seeds; with `lrs`, one run per learning rate too.
    Raises ValueError before any training when a combination cannot be built. Duplicate runs are
    dropped."""
    out, seen = [], set()
    base_choices = dict(base.choices)
    for seed in seeds:
        for change in grid:
            for lr in (lrs or [base.learning_rate]):
                cfg = dataclasses.replace(base, variant=variant, choices={**base_choices, **change}, seed=int(seed),
                                          learning_rate=float(lr))
                try:
                    cfg.resolved_choices()
                except ValueError as e:
                    raise ValueError(f"sweep configuration {label(change)!r} cannot be built: {e}") from None
                rid = run_id(cfg)
                if rid not in seen:
                    seen.add(rid)
                    out.append((dict(change), cfg))
    return out


def check_lrs(lrs, base: TrainConfig) -> tuple[float, ...]:
    """A learning-rate grid as a tuple of floats; ValueError when it cannot be used."""
    lrs = tuple(float(v) for v in lrs)
    if not lrs or any(not v > 0 for v in lrs) or len(set(lrs)) != len(lrs):
        raise ValueError(f"learning rates must be distinct positive numbers. Received: {list(lrs)!r}")
    if len(lrs) > 1 and base.n_tune < 1:
        raise ValueError(f"choosing among learning rates needs a validation split held out of the training "
                         f"images (n_tune > 0, --n-tune); the held-out set never chooses anything. "
                         f"Received: n_tune={base.n_tune}, learning rates {list(lrs)!r}")
    return lrs


def choose_lr(records: Sequence[dict]) -> Optional[float]:
    """The learning rate whose run has the best final accuracy on the validation split (ties: the
    lower validation loss, then the lower rate); None when no record has a validation accuracy."""
    scored = [r for r in records if r["metrics"].get("tune_accuracy") is not None]
    if not scored:
        return None
    best = max(scored, key=lambda r: (r["metrics"]["tune_accuracy"], -(r["metrics"].get("tune_loss") or 0.0),
                                      -r["config"]["learning_rate"]))
    return float(best["config"]["learning_rate"])


# --------------------------------------------------------------------------- results file
def load_results(path) -> list[dict]:
    """Every record of a JSON-lines results file ([] when it does not exist). A truncated last line
    (a run interrupted while writing) is skipped silently; a malformed line elsewhere with a
    warning."""
    p = Path(path)
    if not p.exists():
        return []
    return parse_results(p.read_text(encoding="utf-8"), name=str(p))


def parse_results(text: str, name: str = "results") -> list[dict]:
    """The records of a results file's text (an uploaded file, read in memory): as `load_results`,
    `name` saying where a malformed line comes from."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i < len(lines) - 1:  # a complete line that does not parse
                warnings.warn(f"{name}: line {i + 1} is not valid JSON; skipped", stacklevel=2)
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


def _record(change: dict, config: TrainConfig, result: dict, protocol: Optional[dict] = None) -> dict:
    metrics_keys = ("accuracy", "aux_accuracy", "loss", "aux_loss", "tune_accuracy", "tune_loss",
                    "accuracy_moving_stats", "train_loss", "curves", "steps_per_epoch", "chance", "params",
                    "trainable_params", "macs", "loss_weights", "wall_s", "train_s", "eval_s", "data_s")
    return {
        "format": RECORD_FORMAT,
        "id": run_id(config),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "variant": config.variant,
        "label": label(change),
        "change": change,
        "choices": dict(config.to_dict()["choices"]),
        "seed": config.seed,
        "learning_rate": config.learning_rate,
        "protocol": protocol or {},
        "config": config.to_dict(),
        "metrics": {k: result[k] for k in metrics_keys if k in result},
        "data_source": result.get("data_source"),
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
    chosen_lr: dict = field(default_factory=dict)  # configuration label -> chosen learning rate


def _run_stage(runs, done: dict, path: Path, fn, engine, report, protocol, counter: list) -> list:
    """Train the runs of `runs` not in `done` on `engine`, appending each record as it arrives.
    counter = [runs finished so far, runs to do in all] (for the progress fraction). The file is
    read again first: another process appending to it (a second sweep) is not repeated."""
    done.update({r["id"]: r for r in load_results(path)})
    todo = [(ch, cfg) for ch, cfg in runs if run_id(cfg) not in done]
    ran = []
    if not todo:
        return ran
    labels = [f"{label(ch)}, seed {cfg.seed}, lr {cfg.learning_rate:g}" for ch, cfg in todo]
    start, total = counter[0], max(counter[1], 1)

    def inner(f, msg):
        report(min((start + f * len(todo)) / total, 1.0), msg)

    for k, result in engine.run([cfg for _, cfg in todo], fn, inner, labels):
        change, cfg = todo[k]
        rec = _record(change, cfg, result, protocol)
        append_record(path, rec)
        done[rec["id"]] = rec
        ran.append(rec["id"])
        counter[0] += 1
    return ran


def run_sweep(variant: str, grid: Sequence[dict], seeds: Iterable[int], base: TrainConfig, out_path,
              progress: Optional[Progress] = None, *, lrs: Optional[Sequence[float]] = None, engine=None,
              train_fn: Optional[Callable] = None) -> SweepReport:
    """Train every (grid entry x seed) not already in `out_path`, appending one line per run.

    grid:     choice changes against `base.choices` ({} = the baseline).
    lrs:      a learning-rate grid. Each configuration is trained at every rate on the first seed;
              the rate with the best accuracy on the validation split (`base.n_tune` images held
              out of the training images) is chosen per configuration, and the other seeds run at
              that rate only. None: every run at `base.learning_rate`.
    progress: progress(fraction of the whole sweep, message).
    engine:   where the trials run (`explorer.lab.engines`: LocalEngine (default) or RayEngine).
              One after another (local), each configuration is finished - its rates, then its
              seeds - before the next, so an interrupted sweep has whole configurations; on a
              parallel engine (Ray) every first-seed trial is submitted at once, then the seeds.
    train_fn: the training function (default `explorer.lab.train.train`); tests swap it.
    An exception in a run propagates; the runs finished before it are already in the file.
    """
    from explorer.lab.engines import LocalEngine

    seeds = [int(s) for s in seeds]
    lrs = check_lrs(lrs, base) if lrs else None
    engine = engine or LocalEngine()
    fn = train_fn or _train_mod.train
    report = progress or (lambda f, m: None)
    p = Path(out_path)
    _repair_tail(p)
    done = {r["id"]: r for r in load_results(p)}
    protocol = {"lr_grid": list(lrs), "select_seed": seeds[0]} if lrs else {}
    first_seeds = seeds[:1] if lrs else seeds
    counter = [0, sum(run_id(c) not in done for _, c in configs(variant, grid, first_seeds, base, lrs))
               + (len(grid) * (len(seeds) - 1) if lrs else 0)]
    parts = [list(grid)] if getattr(engine, "parallel", False) or not lrs else [[ch] for ch in grid]
    runs, chosen, ran = [], {}, []
    for part in parts:
        first = configs(variant, part, first_seeds, base, lrs)
        ran += _run_stage(first, done, p, fn, engine, report, protocol, counter)
        runs += first
        if not lrs:
            continue
        later = []
        for change in part:
            chosen[label(change)] = choose_lr([done[run_id(c)] for ch, c in first if ch == change and run_id(c) in done])
            later += configs(variant, [change], seeds[1:], dataclasses.replace(base, learning_rate=chosen[label(change)]))
        counter[1] -= sum(run_id(c) in done for _, c in later)  # already in the file: not to do
        ran += _run_stage(later, done, p, fn, engine, report, protocol, counter)
        runs += later
    if not ran:
        report(1.0, f"all {len(runs)} runs already in {p}")
    ids = [run_id(c) for _, c in runs]
    return SweepReport(records=[done[i] for i in ids], ran=ran, skipped=[i for i in ids if i not in ran],
                       path=str(p), chosen_lr=chosen)


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
    lrs: tuple = ()  # the learning-rate grid (chosen per configuration on the first seed)

    @property
    def changes(self) -> list[dict]:
        return [dict(g) for g in self.grid]

    @property
    def path(self) -> Path:
        """Where the shipped results file lives (absolute)."""
        return ASSETS / Path(self.out).name

    def run(self, out_path=None, progress: Optional[Progress] = None, **kw) -> SweepReport:
        return run_sweep(self.variant, self.changes, self.seeds, self.base, out_path or self.path,
                         progress, lrs=self.lrs or None, **kw)


ASSETS = Path(__file__).resolve().parents[2] / "assets" / "ablation"

SHIPPED = ShippedSweep(
    name="shipped",
    variant="googlenet",
    grid=((), (("batch_norm", True),), (("aux_heads", True),), (("factorize_5x5", True),),
          (("reduce_1x1", False),)),
    seeds=(0, 1, 2),
    base=TrainConfig(variant="googlenet", choices={"width": 0.25}, n_train=3500, n_tune=500, n_val=1000,
                     image_size=72, epochs=8, batch_size=64, optimizer="adam", learning_rate=1e-3,
                     schedule="constant", bn_stats="reestimate"),
    lrs=(3e-4, 1e-3, 3e-3),
    out="assets/ablation/googlenet_shapes.jsonl",
    command="python -m explorer ablate --preset shipped",
    description="GoogLeNet (paper defaults: no BN, LRN, 5x5 kernels) at width 0.25 and 72x72 input, "
                "trained on 3000 shapes images (6 classes) for 8 epochs of Adam, batch 64 (376 steps); "
                "500 more training images are the validation split that picks each configuration's "
                "learning rate among 3e-4, 1e-3 and 3e-3 on seed 0, then seeds 1 and 2 run at that rate; "
                "accuracy on 1000 held-out images, with batch-norm statistics re-estimated on training "
                "images before every evaluation; baseline and one change at a time.",
)

PRESETS = {"shipped": SHIPPED}
