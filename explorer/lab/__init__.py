"""Ablation lab: train scaled-down variants on synthetic shapes and measure each design choice.

    TrainConfig(variant, choices, n_train, n_val, image_size, epochs, ...)   frozen run settings
    train(config, progress=None) -> dict       one run: held-out accuracy (main + aux), params, MACs, time
    run_sweep(variant, grid, seeds, base, out_path, progress=None)   resumable JSON-lines sweep
    load_results(path) -> list[dict]           records of a results file (a truncated last line is skipped)
    summarize(records) -> list[dict]           mean / std across seeds per configuration
    SHIPPED                                    the exact sweep behind assets/ablation/googlenet_shapes.jsonl
    QUICK_DATA                                 easier shapes (no clutter / noise) for quick demos and tests

Command line: `python -m explorer.lab --help` (`python -m explorer ablate ...`).
Keras is imported lazily, so importing this package is cheap.
"""
from __future__ import annotations

from explorer.lab.train import (  # noqa: F401
    QUICK_DATA, TrainConfig, compile_model, dataset, loss_weights, train, versions)
from explorer.lab.sweep import (  # noqa: F401
    SHIPPED, ShippedSweep, load_results, run_id, run_sweep, summarize, toggle_grid)

__all__ = ["QUICK_DATA", "TrainConfig", "train", "compile_model", "dataset", "loss_weights", "versions",
           "SHIPPED", "ShippedSweep", "load_results", "run_id", "run_sweep", "summarize", "toggle_grid"]
