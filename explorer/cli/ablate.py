"""`python -m explorer ablate ...`: run an ablation sweep.

Examples
  python -m explorer ablate --preset shipped
  python -m explorer ablate --variant googlenet --toggle reduce_1x1 --toggle batch_norm --seeds 3 \\
      --lr-grid 3e-4,1e-3,3e-3 --n-tune 500 --out results/googlenet.jsonl
  python -m explorer ablate --dataset imagenette --image-size 128 --toggle batch_norm --seeds 2
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

DESCRIPTION = """\
Ablation lab: train scaled-down Inception variants, one design choice changed at a time, over
several seeds, and append each finished run to a JSON-lines file.

Each --toggle gives one configuration: the baseline (the variant's published defaults at the
chosen --width / --image-size, plus any --set) with that choice flipped (booleans flip, head
gap<->fc, kernel_5x5 5<->3) or set (NAME=VALUE). The baseline is always run.

Learning rates: with --lr-grid, every configuration is trained at each rate on the first seed and
keeps the rate with the best accuracy on a validation split (--n-tune images held out of the
training images; the held-out set never chooses anything); the other seeds run at that rate.

Evaluation: batch-norm statistics are re-estimated on training images before every evaluation
(--bn-stats reestimate); held-out accuracy is logged after every epoch (learning curves).

Data: the synthetic shapes (default, offline), any folder of class sub-folders (--data DIR, with
train/ and val/ sub-folders or split 80/20), or fast.ai's Imagenette (--dataset imagenette,
downloaded once into the Keras cache).

The sweep is resumable: a run whose configuration and seed are already in --out is skipped, so
after an interruption the same command finishes the remaining runs. Runs on the GPU when the
Keras backend sees one (KERAS_BACKEND=tensorflow|jax|torch); --engine ray spreads the runs over
a Ray instance or cluster."""

EPILOG = """\
examples:
  # the sweep behind assets/ablation/googlenet_shapes.jsonl (resumes if interrupted)
  python -m explorer ablate --preset shipped
  # your own: 1x1 reductions and batch norm on/off, 3 seeds, a learning rate chosen per configuration
  python -m explorer ablate --variant googlenet --toggle reduce_1x1 --toggle batch_norm --seeds 3 \\
      --lr-grid 3e-4,1e-3,3e-3 --n-tune 500 --n-train 3500 --out runs/googlenet.jsonl
  # real photos: Imagenette (10 ImageNet classes, 160 px), augmented
  python -m explorer ablate --dataset imagenette --image-size 128 --toggle batch_norm --seeds 2
  # on a Ray cluster (pip install -r requirements-ray.txt)
  python -m explorer ablate --preset shipped --engine ray --address auto
  # see what would run, without training
  python -m explorer ablate --preset shipped --dry-run

choices you can toggle: reduce_1x1, batch_norm, factorize_5x5, factorize_nxn, kernel_5x5, lrn,
aux_heads, head, conv_bias, bn_scale, residual (what applies depends on the variant; an
impossible combination is reported before any training)."""


def _pair(text: str) -> tuple[str, object]:
    """'NAME=VALUE' -> (name, typed value), through the one choice parser."""
    from explorer.zoo.choices import parse_choice

    k, sep, v = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return k.strip(), parse_choice(k.strip(), v.strip())
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _rates(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, e.g. 3e-4,1e-3,3e-3; got {text!r}") from None


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--variant", default="googlenet", metavar="NAME",
                   help="variant to train: googlenet, bn_inception, inception_v3, inception_v4, "
                        "inception_resnet_v1, inception_resnet_v2 (default: googlenet)")
    p.add_argument("--toggle", action="append", default=[], metavar="NAME[=VALUE]",
                   help="a configuration to compare with the baseline: choice NAME flipped, or set "
                        "to VALUE (repeatable)")
    p.add_argument("--set", action="append", default=[], type=_pair, metavar="NAME=VALUE",
                   help="change the baseline itself, e.g. --set batch_norm=true (repeatable)")
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="number of seeds, 0..N-1 (default: 3)")
    p.add_argument("--first-seed", type=int, default=0, metavar="SEED", help="first seed (default: 0)")
    p.add_argument("--epochs", type=int, default=8, metavar="N", help="training epochs (default: 8)")
    p.add_argument("--n-train", type=int, default=3000, metavar="N",
                   help="training images, validation split included (default: 3000; for a folder: at most)")
    p.add_argument("--n-tune", type=int, default=0, metavar="N",
                   help="of those, images held out as the validation split that chooses the learning "
                        "rate (default: 0; needed by --lr-grid)")
    p.add_argument("--n-val", type=int, default=1000, metavar="N",
                   help="held-out images (default: 1000; for a folder: at most)")
    p.add_argument("--image-size", type=int, default=72, metavar="PX",
                   help="image side and model input size in pixels (default: 72; GoogLeNet's aux "
                        "heads need >= 65)")
    p.add_argument("--width", type=float, default=0.25, metavar="W", help="channel multiplier (default: 0.25)")
    p.add_argument("--batch-size", type=int, default=64, metavar="N", help="batch size (default: 64)")
    p.add_argument("--optimizer", choices=["adam", "sgd", "rmsprop"], default="adam",
                   help="optimizer (default: adam)")
    p.add_argument("--lr", type=float, default=3e-4, metavar="RATE", help="learning rate (default: 3e-4)")
    p.add_argument("--lr-grid", type=_rates, default=None, metavar="R1,R2,...",
                   help="learning rates to choose from per configuration, on the first seed's "
                        "validation split (needs --n-tune)")
    p.add_argument("--schedule", choices=["constant", "cosine"], default="constant",
                   help="learning-rate schedule (default: constant)")
    p.add_argument("--label-smoothing", type=float, default=0.0, metavar="EPS", help="label smoothing (default: 0)")
    p.add_argument("--aux-weight", type=float, default=0.3, metavar="W",
                   help="weight of each auxiliary head's loss (default: 0.3, as GoogLeNet)")
    p.add_argument("--bn-stats", choices=["reestimate", "moving"], default="reestimate",
                   help="batch-norm statistics at evaluation: re-estimated on training images "
                        "(default) or Keras's moving averages")


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="shapes", metavar="shapes|quick|DIR",
                   help="'shapes': the synthetic images (clutter, noise, objects 12-85%% of the side); "
                        "'quick': no clutter or noise, objects at least 35%% of the side; or a folder "
                        "of class sub-folders (with train/ and val/, or split 80/20) (default: shapes)")
    p.add_argument("--dataset", choices=["imagenette"], default=None,
                   help="a named image set, downloaded once into the Keras cache: imagenette = "
                        "fast.ai's Imagenette, 160 px version, 10 ImageNet classes")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random flips, shifts and zooms of the training images (default: on for "
                        "photos, off for shapes)")
    p.add_argument("--data-seed", type=int, default=0, metavar="SEED", help="which images (default: 0)")


def _add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: runs one after another here (default); ray: each run a Ray task, "
                        "one per GPU or CPU slot (pip install -r requirements-ray.txt)")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="Ray cluster to join ('auto', 'ray://host:10001'); default: a local Ray instance")
    p.add_argument("--num-cpus", type=int, default=None, metavar="N", help="CPUs of a local Ray instance")
    p.add_argument("--mixed-precision", action="store_true", help="mixed_float16 compute (for GPUs)")
    p.add_argument("--multi-gpu", action="store_true",
                   help="tf.distribute.MirroredStrategy over all GPUs (TensorFlow backend; "
                        "otherwise noted and run on one device)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m explorer ablate", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=["shipped"],
                   help="run a committed sweep exactly (other options except --out, --dry-run, --show, "
                        "the engine and device options are ignored). 'shipped' writes "
                        "assets/ablation/googlenet_shapes.jsonl")
    _add_run_args(p)
    _add_data_args(p)
    _add_engine_args(p)
    p.add_argument("--out", type=Path, default=None, metavar="PATH",
                   help="JSON-lines results file to append to (default: the preset's file, or "
                        "ablation_<variant>.jsonl)")
    p.add_argument("--dry-run", action="store_true", help="list the runs (done / to do) and exit")
    p.add_argument("--show", action="store_true",
                   help="print the summary table (Markdown) of the results already in --out and exit")
    p.add_argument("--readme", type=Path, default=None, metavar="README.md",
                   help="with --preset and --show: rewrite the results block of this README from the results file")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _data_args(args) -> dict:
    from explorer.lab.config import QUICK_DATA, TrainConfig

    if args.dataset:
        if args.data not in ("shapes", "quick"):
            raise ValueError(f"give --data DIR or --dataset NAME, not both. Received: --data {args.data} "
                             f"--dataset {args.dataset}")
        return {"images": args.dataset, "augment": args.augment is not False}
    if args.data in ("shapes", "quick"):
        return {"data": QUICK_DATA if args.data == "quick" else TrainConfig().data, "augment": bool(args.augment)}
    if not Path(args.data).expanduser().is_dir():
        raise ValueError(f"--data must be 'shapes', 'quick' or a folder of class sub-folders. "
                         f"Received: --data {args.data}")
    return {"images": str(Path(args.data).expanduser().resolve()), "augment": args.augment is not False}


def _plan(args):
    """(variant, grid, seeds, base TrainConfig, out path, learning-rate grid or None)."""
    from explorer.lab.config import TrainConfig
    from explorer.lab.sweep import PRESETS, toggle_grid

    if args.preset:
        s = PRESETS[args.preset]
        base = dataclasses.replace(s.base, mixed_precision=args.mixed_precision, multi_gpu=args.multi_gpu)
        return s.variant, s.changes, s.seeds, base, args.out or s.path, s.lrs or None
    if args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1. Received: --seeds {args.seeds}")
    base_choices = {"width": args.width, **dict(args.set)}
    toggles = []
    for t in args.toggle:
        try:
            toggles.append(dict([_pair(t)]) if "=" in t else t)
        except argparse.ArgumentTypeError as e:
            raise ValueError(f"--toggle {t}: {e}") from None
    grid = toggle_grid(args.variant, toggles, base_choices)
    base = TrainConfig(variant=args.variant, choices=base_choices, n_train=args.n_train, n_tune=args.n_tune,
                       n_val=args.n_val, image_size=args.image_size, epochs=args.epochs, batch_size=args.batch_size,
                       optimizer=args.optimizer, learning_rate=args.lr, schedule=args.schedule,
                       label_smoothing=args.label_smoothing, aux_weight=args.aux_weight, bn_stats=args.bn_stats,
                       mixed_precision=args.mixed_precision, multi_gpu=args.multi_gpu, data_seed=args.data_seed,
                       **_data_args(args))
    seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
    return args.variant, grid, seeds, base, args.out or Path(f"ablation_{args.variant}.jsonl"), args.lr_grid


def _show(out, readme=None, preset=None) -> int:
    from explorer.lab.summary import markdown_table, summarize
    from explorer.lab.sweep import load_results

    records = load_results(out)
    if not records:
        print(f"no results in {out}", file=sys.stderr)
        return 1
    devices = sorted({str(r.get("device")) for r in records})
    print(f"{len(records)} runs in {out} ({', '.join(devices)})\n")
    print(markdown_table(summarize(records)))
    if readme is not None:
        from explorer.lab import findings

        try:
            text = findings.replace_block(Path(readme).read_text(encoding="utf-8"),
                                          findings.readme_block(records, preset))
        except (OSError, ValueError) as e:
            print(f"error: {readme}: {e}", file=sys.stderr)
            return 2
        Path(readme).write_text(text, encoding="utf-8")
        print(f"\nrewrote the lab-results block of {readme} from {len(records)} runs")
    return 0


def _dry_run(runs, done, lrs, seeds) -> int:
    from explorer.lab.sweep import label, run_id

    for ch, c in runs:
        state = "done" if run_id(c) in done else "todo"
        print(f"  [{state}] {run_id(c)}  {label(ch)}, seed {c.seed}, lr {c.learning_rate:g}")
    if lrs and len(seeds) > 1:
        print(f"  then seeds {', '.join(map(str, seeds[1:]))} of each configuration at the learning rate "
              f"chosen on seed {seeds[0]}'s validation split")
    return 0


def _progress_bar(total: int, disabled: bool):
    """(tqdm bar or None, progress callback)."""
    if disabled or total == 0:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="run", dynamic_ncols=True,
               bar_format="{l_bar}{bar}| {n:.2f}/{total_fmt} runs [{elapsed}<{remaining}]{postfix}")

    def progress(fraction: float, message: str) -> None:
        bar.n = round(fraction * total, 3)
        bar.set_postfix_str(message[:90], refresh=False)
        bar.refresh()

    return bar, progress


def main(argv=None) -> int:
    """Entry point of `ablate`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    from explorer.lab.engines import make_engine
    from explorer.lab.summary import markdown_table, summarize
    from explorer.lab.sweep import check_lrs, configs, load_results, run_id, run_sweep

    try:
        variant, grid, seeds, base, out, lrs = _plan(args)
        lrs = check_lrs(lrs, base) if lrs else None
        runs = configs(variant, grid, seeds[:1] if lrs else seeds, base, lrs)
        engine = make_engine(args.engine, args.address, args.num_cpus)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.readme is not None and not (args.show and args.preset):
        print(f"error: --readme needs --preset and --show. Received: --readme {args.readme}", file=sys.stderr)
        return 2
    if args.show:
        from explorer.lab.sweep import PRESETS

        return _show(out, args.readme, PRESETS.get(args.preset))
    done = {r["id"] for r in load_results(out)}
    later = len(grid) * (len(seeds) - 1) if lrs else 0  # at rates not chosen yet: counted as to do
    todo = sum(run_id(c) not in done for _, c in runs) + later
    print(f"{len(runs) + later} runs ({len(grid)} configurations" + (
        f" x {len(lrs)} learning rates on seed {seeds[0]}, then {len(seeds) - 1} more seed(s) at the chosen rate"
        if lrs else f" x {len(seeds)} seeds") + f") -> {out}; {len(runs) + later - todo} already done, "
        f"{todo} to run" + (" at most" if later else ""), flush=True)
    if args.dry_run:
        return _dry_run(runs, done, lrs, seeds)
    bar, progress = _progress_bar(todo, args.no_progress)
    t0 = time.perf_counter()
    try:
        report = run_sweep(variant, grid, seeds, base, out, progress, lrs=lrs, engine=engine)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are in {out}; run the same command again to resume.", file=sys.stderr)
        return 130
    except ValueError as e:  # DataError (no images, offline download), impossible settings
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    print(f"ran {len(report.ran)} runs in {time.perf_counter() - t0:.0f} s, skipped {len(report.skipped)}; "
          f"results in {out}")
    print(markdown_table(summarize(report.records)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
