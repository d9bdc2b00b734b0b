"""Ablation lab: train scaled-down variants and measure each design choice, honestly.

    TrainConfig(variant, choices, n_train, n_tune, n_val, image_size, epochs, ...)   one run's settings
    train(config, progress=None) -> dict       one run: held-out accuracy (main + aux), learning curves,
                                               params, MACs, time (BN statistics re-estimated)
    run_sweep(variant, grid, seeds, base, out_path, progress=None, lrs=None, engine=None)
                                               resumable JSON-lines sweep; with `lrs`, a learning rate
                                               chosen per configuration on the validation split
    load_results(path) -> list[dict]           records of a results file (a truncated last line is skipped)
    parse_results(text, name) -> list[dict]    the same from a file's text (an upload read in memory)
    summarize(records) -> list[dict]           per configuration at its chosen rate: mean / std across
                                               seeds, steps to the baseline's accuracy
    SHIPPED                                    the exact sweep behind assets/ablation/googlenet_shapes.jsonl
    QUICK_DATA                                 easier shapes (no clutter / noise) for quick demos and tests

Modules: config (TrainConfig), datasets (shapes, image folders, Imagenette), recipe (optimizer,
BN re-estimation, curves), train, sweep (runs, records, presets), engines (local, Ray), summary.
Command line: `python -m explorer ablate --help`. Keras is imported lazily.
"""
from __future__ import annotations

from explorer.lab.config import QUICK_DATA, TrainConfig  # noqa: F401
from explorer.lab.datasets import DataError, dataset  # noqa: F401
from explorer.lab.recipe import compile_model, loss_weights, reestimate_bn  # noqa: F401
from explorer.lab.train import train, versions  # noqa: F401
from explorer.lab.sweep import (  # noqa: F401
    SHIPPED, ShippedSweep, choose_lr, load_results, parse_results, run_id, run_sweep, toggle_grid)
from explorer.lab.summary import learning_curves, summarize  # noqa: F401

__all__ = ["QUICK_DATA", "TrainConfig", "DataError", "dataset", "train", "compile_model", "loss_weights",
           "reestimate_bn", "versions", "SHIPPED", "ShippedSweep", "choose_lr", "load_results", "parse_results",
           "run_id", "run_sweep", "toggle_grid", "summarize", "learning_curves"]
