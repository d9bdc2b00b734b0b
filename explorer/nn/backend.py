"""The backend-specific corner of the library: devices (which GPUs the Keras backend sees, GPU
memory growth, one description of the device for the app, the CLI, the lab and the benchmarks).

With `explorer.inference.weights.slim` (the TF-slim checkpoint reader), the only module that
touches TensorFlow directly; under the JAX or torch backend it asks that library instead. Never
requires a GPU.
"""
from __future__ import annotations

import functools
import os
import platform


@functools.lru_cache(maxsize=1)
def setup_devices() -> dict:
    """Enable TensorFlow's GPU memory growth before first use (once); return `device_info()`."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
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


def _gpu_names(backend: str) -> list[str]:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            names = []
            for gpu in tf.config.list_physical_devices("GPU"):
                try:
                    names.append(tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name))
                except Exception:  # noqa: BLE001 - details are optional
                    names.append(gpu.name)
            return names
        if backend == "jax":
            import jax

            return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        if backend == "torch":
            import torch

            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken GPU stack means "no GPU" here, not a crash
        return []
    return []


def device_info() -> dict:
    """{"backend", "device" ("GPU: <name>" / "CPU (<n> cores, <arch>)"), "gpus": [names],
    "accelerators": count, "summary": one line for the UI}."""
    import keras

    backend = keras.config.backend()
    gpus = _gpu_names(backend)
    if gpus:
        label = gpus[0] if len(gpus) == 1 else (f"{len(gpus)} x {gpus[0]}" if len(set(gpus)) == 1 else ", ".join(gpus))
        device = f"GPU: {label}"
        summary = f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} ({', '.join(gpus)}) with {backend}"
    else:
        device = f"CPU ({os.cpu_count()} cores, {platform.machine()})"
        summary = (f"CPU (no GPU found), {backend} backend. GPU support: pip install \"tensorflow[and-cuda]\"")
    return {"backend": backend, "device": device, "gpus": gpus, "accelerators": len(gpus), "summary": summary}
