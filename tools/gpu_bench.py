"""The GPU section of `make bench` on its own, with only keras and jax installed (no TensorFlow, no
Pillow), for a GPU machine (code and what it measures: `benchmarks/gpu.py`):

    KERAS_BACKEND=jax python tools/gpu_bench.py --out DIR [--variants a,b] [--input-size N] [--max-seconds S]

Prints a Markdown table and writes DIR/gpu_bench.json after every variant.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

from benchmarks.gpu import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
