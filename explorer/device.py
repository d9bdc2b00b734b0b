"""Devices: find GPUs, enable memory growth, describe the device for the UI. Never requires a GPU.

The only module (with explorer/weights.py's file IO) that may touch TensorFlow directly; under the
JAX or torch backend it asks that library instead.
"""
from __future__ import annotations

import functools
import os


@functools.lru_cache(maxsize=1)
def setup_devices() -> dict:
    """Enable GPU memory growth (TensorFlow) before first use; return `device_info()`."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend == "tensorflow":
        try:
            import tensorflow as tf

            for gpu in tf.config.list_physical_devices("GPU"):
                try:
                    tf.config.experimental.set_memory_growth(gpu, True)
                except RuntimeError:  # already initialised: growth must be set before first use
                    pass
        except Exception:  # noqa: BLE001 - no TF / broken CUDA: run on the CPU
            pass
    return device_info()


def device_info() -> dict:
    """{"backend", "device" ("GPU: <name>" or "CPU"), "gpus": [names], "summary": one line}."""
    import keras

    backend = keras.config.backend()
    gpus: list[str] = []
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            for gpu in tf.config.list_physical_devices("GPU"):
                details = tf.config.experimental.get_device_details(gpu)
                gpus.append(details.get("device_name", gpu.name))
        elif backend == "jax":
            import jax

            gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        elif backend == "torch":
            import torch

            gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001
        gpus = []
    device = f"GPU: {gpus[0]}" if gpus else "CPU"
    summary = (f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} ({', '.join(gpus)}) with {backend}" if gpus
               else f"CPU (no GPU found), {backend} backend. GPU support: pip install \"tensorflow[and-cuda]\"")
    return {"backend": backend, "device": device, "gpus": gpus, "summary": summary}
