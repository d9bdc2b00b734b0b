"""`python -m explorer ablate ...`: run an ablation sweep.

Examples
  python -m explorer ablate --preset shipped
  python -m explorer ablate --variant googlenet --toggle reduce_1x1 --toggle aux_heads --seeds 3 \\
      --epochs 8 --n-train 3000 --image-size 72 --width 0.25 --out results/googlenet.jsonl
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

DESCRIPTION = """\
Ablation lab: train scaled-down Inception variants on the synthetic shapes data set, one design
choice changed at a time, over several seeds, and append each finished run to a JSON-lines file.

Each --toggle gives one configuration: the baseline (the variant's published defaults at the
chosen --width / --image-size, plus any --set) with that choice flipped (booleans flip, head
gap<->fc, kernel_5x5 5<->3) or set (NAME=VALUE). The baseline is always run.

The sweep is resumable: a run whose configuration and seed are already in --out is skipped, so
after an interruption the same command finishes the remaining runs. Runs on the GPU when the
Keras backend sees one (KERAS_BACKEND=tensorflow|jax|torch)."""

EPILOG = """\
examples:
  # the sweep behind assets/ablation/googlenet_shapes.jsonl (resumes if interrupted)
  python -m explorer ablate --preset shipped
  # your own: 1x1 reductions and aux heads on/off, 3 seeds
  python -m explorer ablate --variant googlenet --toggle reduce_1x1 --toggle aux_heads \\
      --seeds 3 --epochs 8 --n-train 3000 --image-size 72 --width 0.25 --out runs/googlenet.jsonl
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m explorer ablate", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=["shipped"],
                   help="run a committed sweep exactly (other options except --out, --dry-run and "
                        "the device options are ignored). 'shipped' writes "
                        "assets/ablation/googlenet_shapes.jsonl")
    p.add_argument("--variant", default="googlenet", metavar="NAME", help="variant to train: googlenet, bn_inception, inception_v3, inception_v4, "
                        "inception_resnet_v1, inception_resnet_v2 (default: googlenet)")
    p.add_argument("--toggle", action="append", default=[], metavar="NAME[=VALUE]",
                   help="a configuration to compare with the baseline: choice NAME flipped, or set "
                        "to VALUE (repeatable)")
    p.add_argument("--set", action="append", default=[], type=_pair, metavar="NAME=VALUE",
                   help="change the baseline itself, e.g. --set batch_norm=true (repeatable)")
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="number of seeds, 0..N-1 (default: 3)")
    p.add_argument("--first-seed", type=int, default=0, metavar="SEED", help="first seed (default: 0)")
    p.add_argument("--epochs", type=int, default=8, metavar="N", help="training epochs (default: 8)")
    p.add_argument("--n-train", type=int, default=3000, metavar="N", help="training images (default: 3000)")
    p.add_argument("--n-val", type=int, default=1000, metavar="N", help="held-out images (default: 1000)")
    p.add_argument("--image-size", type=int, default=72, metavar="PX",
                   help="image side and model input size in pixels (default: 72; GoogLeNet's aux "
                        "heads need >= 65)")
    p.add_argument("--width", type=float, default=0.25, metavar="W", help="channel multiplier (default: 0.25)")
    p.add_argument("--batch-size", type=int, default=64, metavar="N", help="batch size (default: 64)")
    p.add_argument("--optimizer", choices=["adam", "sgd", "rmsprop"], default="adam",
                   help="optimizer (default: adam)")
    p.add_argument("--lr", type=float, default=3e-4, metavar="RATE", help="learning rate (default: 3e-4)")
    p.add_argument("--schedule", choices=["constant", "cosine"], default="constant",
                   help="learning-rate schedule (default: constant)")
    p.add_argument("--label-smoothing", type=float, default=0.0, metavar="EPS", help="label smoothing (default: 0)")
    p.add_argument("--aux-weight", type=float, default=0.3, metavar="W",
                   help="weight of each auxiliary head's loss (default: 0.3, as GoogLeNet)")
    p.add_argument("--data", choices=["shapes", "quick"], default="shapes",
                   help="'shapes': the default images (clutter, noise, objects 12-85%% of the side); "
                        "'quick': no clutter or noise, objects at least 35%% of the side, learnt in a "
                        "few epochs (default: shapes)")
    p.add_argument("--data-seed", type=int, default=0, metavar="SEED", help="which images (default: 0)")
    p.add_argument("--mixed-precision", action="store_true",
                   help="mixed_float16 compute (for GPUs)")
    p.add_argument("--multi-gpu", action="store_true",
                   help="tf.distribute.MirroredStrategy over all GPUs (TensorFlow backend; "
                        "otherwise noted and run on one device)")
    p.add_argument("--out", type=Path, default=None, metavar="PATH",
                   help="JSON-lines results file to append to (default: the preset's file, or "
                        "ablation_<variant>.jsonl)")
    p.add_argument("--dry-run", action="store_true", help="list the runs (done / to do) and exit")
    p.add_argument("--show", action="store_true",
                   help="print the summary table (Markdown) of the results already in --out and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _plan(args):
    """(variant, grid, seeds, base TrainConfig, out path) from parsed arguments."""
    from explorer.lab.sweep import PRESETS, toggle_grid
    from explorer.lab.train import QUICK_DATA, TrainConfig

    if args.preset:
        s = PRESETS[args.preset]
        base = dataclasses.replace(s.base, mixed_precision=args.mixed_precision, multi_gpu=args.multi_gpu)
        return s.variant, s.changes, s.seeds, base, args.out or s.path
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
    base = TrainConfig(variant=args.variant, choices=base_choices, n_train=args.n_train, n_val=args.n_val,
                       image_size=args.image_size, epochs=args.epochs, batch_size=args.batch_size,
                       optimizer=args.optimizer, learning_rate=args.lr, schedule=args.schedule,
                       label_smoothing=args.label_smoothing, aux_weight=args.aux_weight,
                       mixed_precision=args.mixed_precision, multi_gpu=args.multi_gpu,
                       data_seed=args.data_seed, data=QUICK_DATA if args.data == "quick" else TrainConfig().data)
    seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
    return args.variant, grid, seeds, base, args.out or Path(f"ablation_{args.variant}.jsonl")


def markdown_table(rows) -> str:
    """The summary as a Markdown table (what docs/ablation.md shows)."""
    lines = ["| configuration | seeds | held-out accuracy % (mean ± std) | min–max % | vs baseline (points) "
             "| aux heads % | params | MACs / image | s / run |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        d = r.get("delta_vs_baseline")
        delta = "—" if r["label"] == "baseline" or d is None else f"{100 * d:+.1f}"
        aux = ", ".join(f"{100 * a:.1f}" for a in r["aux_accuracy_mean"]) or "—"
        lines.append(f"| {r['label']} | {r['n_seeds']} | {100 * r['accuracy_mean']:.1f} ± "
                     f"{100 * r['accuracy_std']:.1f} | {100 * r['accuracy_min']:.1f}–{100 * r['accuracy_max']:.1f} "
                     f"| {delta} | {aux} | {r['params']:,} | {r['macs']:,} | {r['wall_s_mean']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Entry point of `ablate`; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    from explorer.lab.sweep import configs, load_results, run_id, run_sweep, summarize, label

    try:
        variant, grid, seeds, base, out = _plan(args)
        runs = configs(variant, grid, seeds, base)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.show:
        records = load_results(out)
        if not records:
            print(f"no results in {out}", file=sys.stderr)
            return 1
        devices = sorted({str(r.get("device")) for r in records})
        print(f"{len(records)} runs in {out} ({', '.join(devices)})\n")
        print(markdown_table(summarize(records)))
        return 0
    done = {r["id"] for r in load_results(out)}
    todo = [(ch, c) for ch, c in runs if run_id(c) not in done]
    print(f"{len(runs)} runs ({len(grid)} configurations x {len(seeds)} seeds) -> {out}; "
          f"{len(runs) - len(todo)} already done, {len(todo)} to run", flush=True)
    if args.dry_run:
        for ch, c in runs:
            state = "done" if run_id(c) in done else "todo"
            print(f"  [{state}] {run_id(c)}  {label(ch)}, seed {c.seed}")
        return 0
    bar = None
    if todo and not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="run", dynamic_ncols=True,
                   bar_format="{l_bar}{bar}| {n:.2f}/{total_fmt} runs [{elapsed}<{remaining}]{postfix}")

    def progress(fraction: float, message: str) -> None:
        if bar is not None:
            bar.n = round(fraction * len(todo), 3)
            bar.set_postfix_str(message[:90], refresh=False)
            bar.refresh()

    t0 = time.perf_counter()
    try:
        report = run_sweep(variant, grid, seeds, base, out, progress)
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print(f"\ninterrupted: finished runs are in {out}; run the same command again to resume.",
              file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    print(f"ran {len(report.ran)} runs in {time.perf_counter() - t0:.0f} s, skipped {len(report.skipped)}; "
          f"results in {out}")
    print(markdown_table(summarize(report.records)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
