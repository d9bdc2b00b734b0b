"""Command line: python -m explorer {predict, activations, summary, weights, ablate} ... (--help on each)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _choices(pairs: list[list[str]]) -> dict:
    from explorer.zoo.choices import parse_choice

    return {name: parse_choice(name, value) for name, value in (pairs or [])}


IMAGE_HELP = "an image file (JPEG, PNG, WebP, BMP, GIF or TIFF)"


def _add_model_args(p: argparse.ArgumentParser, default_variant: str) -> None:
    import explorer

    p.add_argument("--variant", default=default_variant, choices=explorer.list_variants(), metavar="VARIANT",
                   help="one of %(choices)s (default: %(default)s)")
    p.add_argument("--choice", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="a design choice, e.g. --choice aux_heads true --choice width 0.5 (repeatable)")


def cmd_predict(args) -> int:
    import explorer

    weights = None if args.weights in (None, "none", "random") else args.weights
    choices = _choices(args.choice)
    if args.aux_heads:
        choices["aux_heads"] = True
    model = explorer.build(args.variant, weights=weights, **choices)
    result = explorer.predict(model, args.image, top=args.top)
    info = explorer.model_info(model)
    print(f"{explorer.get_spec(args.variant).title}, weights: {info.weights}")
    if not info.pretrained:
        print("Note: random weights - these predictions mean nothing (use --weights imagenet or a file).")
    print(_side_by_side(result, info))
    return 0


def _side_by_side(result: dict, info) -> str:
    """Each head's top-k in its own column, headed by the head, where it reads and whether it is trained."""
    after = {a.name: a.after for a in info.net.aux}
    heads = list(result)
    titles = [f"{h}{f' (after {after[h]})' if h in after else ''}, "
              f"{'trained' if i < len(info.heads_trained) and info.heads_trained[i] else 'untrained'}"
              for i, h in enumerate(heads)]
    cells = [[f"{p:7.2%}  {name} ({index})" for index, name, p in result[h]] for h in heads]
    width = max(len(t) for t in titles + [c for col in cells for c in col]) + 2
    lines = ["".join(t.ljust(width) for t in titles).rstrip()]
    for row in zip(*cells):
        lines.append("".join(c.ljust(width) for c in row).rstrip())
    return "\n".join(lines)


def cmd_activations(args) -> int:
    from PIL import Image

    import explorer

    weights = None if args.weights in (None, "none", "random") else args.weights
    model = explorer.build(args.variant, weights=weights, **_choices(args.choice))
    acts = explorer.branch_activations(model, args.image)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    Image.fromarray(acts.crop).save(out / "input_crop.png")
    written = []
    for module, branches in acts.maps.items():
        for key, a in branches.items():
            grid = _grid(a, args.channels)
            path = out / f"{module}__{key}.png"
            Image.fromarray(grid).save(path)
            written.append(path.name)
    summary = {"variant": args.variant, "weights": explorer.model_info(model).weights,
               "predictions": explorer.predict(model, activations=acts, top=5),
               "branches": [dataclasses.asdict(b) for b in acts.summary]}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
    print(f"wrote {len(written)} feature-map grids, input_crop.png and summary.json to {out}")
    return 0


def _grid(a, channels: int):
    """Strongest `channels` maps of an (H, W, C) activation as one uint8 grid image."""
    import numpy as np

    order = np.argsort(-a.mean(axis=(0, 1)))[:channels]
    cols = int(np.ceil(np.sqrt(len(order))))
    rows = int(np.ceil(len(order) / cols))
    h, w = a.shape[:2]
    grid = np.zeros((rows * (h + 1), cols * (w + 1)), np.uint8)
    for i, ch in enumerate(order):
        m = a[..., ch]
        span = float(m.max() - m.min())
        m = (m - m.min()) / span if span > 0 else np.zeros_like(m)
        r, c = divmod(i, cols)
        grid[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = (m * 255).astype(np.uint8)
    scale = max(1, 64 // max(h, 1))
    return np.kron(grid, np.ones((scale, scale), np.uint8))


def cmd_summary(args) -> int:
    import explorer
    from explorer.figures.fmt import fmt_macs, fmt_params

    c = explorer.cost(args.variant, **_choices(args.choice))
    rows = c.rows()
    if args.json:
        print(json.dumps({"variant": args.variant, "params": c.params, "trainable_params": c.trainable_params,
                          "macs": c.macs, "modules": rows}, indent=1))
        return 0
    print(f"{'module':<22}{'output':>14}{'params':>14}{'MACs':>16}  branches")
    for r in rows:
        print(f"{r['module']:<22}{r['output']:>14}{r['params']:>14,}{r['macs']:>16,}  {r['branches']}")
    print(f"{'total':<22}{'':>14}{c.params:>14,}{c.macs:>16,}")
    print(f"{fmt_params(c.params)} ({c.trainable_params:,} trainable), {fmt_macs(c.macs)}")
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "ablate":
        from explorer.cli.ablate import main as ablate_main

        return ablate_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as e:  # ImageError, WeightsError, bad choices: a message, not a traceback
        print(f"error: {e}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (`ablate` has its own: `explorer.cli.ablate`)."""
    import explorer
    from explorer.cli.weights import add_parser as add_weights

    parser = argparse.ArgumentParser(prog="python -m explorer", description="Inception Explorer command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict", help="top-5 of the main and aux heads for an image")
    p.add_argument("image", help=IMAGE_HELP)
    _add_model_args(p, "inception_v3")
    p.add_argument("--weights", default=None, help="imagenet (the best published source), keras, tf_slim, a "
                   ".weights.h5/.h5/.keras file, a TF-slim tarball or checkpoint, or none (random)")
    p.add_argument("--aux-heads", action="store_true", help="build the auxiliary heads too: their top-k beside the main head's")
    p.add_argument("--top", type=int, default=5, help="classes listed per head (default: 5)")
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("activations", help="PNG grid per module and branch plus a JSON summary")
    p.add_argument("image", help=IMAGE_HELP)
    _add_model_args(p, "googlenet")
    p.add_argument("--weights", default=None, help="as for predict (default: random)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--channels", type=int, default=16, help="strongest channels per grid")
    p.set_defaults(func=cmd_activations)
    p = sub.add_parser("summary", help="module table with params and MACs (no Keras build)")
    p.add_argument("variant", help="one of " + ", ".join(explorer.list_variants()))
    p.add_argument("--choice", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="a design choice, e.g. --choice reduce_1x1 false (repeatable)")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.set_defaults(func=cmd_summary)
    add_weights(sub)
    sub.add_parser("ablate", help="train design-choice ablations (see: python -m explorer ablate --help)")
    return parser

