"""Everything that differs between Keras backends: compiled forward functions, the matrix-product
peak, device memory, library versions.

TensorFlow, JAX and torch are imported only inside functions and only for the active backend
(`keras.config.backend()`), so the benchmark runs unchanged under KERAS_BACKEND=jax or torch on a
machine without TensorFlow.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np


def name() -> str:
    import keras

    return keras.config.backend()


def to_numpy(x) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x))


def _flat(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def xla_default(model) -> bool | None:
    """Whether Keras compiles the model's predict function with XLA (its 'auto': on for JAX, on for
    TensorFlow when a GPU is visible, off for torch)."""
    try:
        return bool(model.jit_compile)
    except Exception:  # noqa: BLE001
        return None


def forward_functions(model, *, jit: bool = False) -> dict[str, Callable[[np.ndarray], list]]:
    """Ways to run `model` on a float32 batch, each returning host numpy arrays (so a call includes
    the device->host transfer, as in the app). Keys are stable labels:

    - "predict_on_batch": Keras's own compiled predict function (one per model, any backend).
    - "compiled": the library's one compiled call (`explorer.nn.compiled.CompiledCall`, what the
      probe runs): tf.function (TensorFlow), jax.jit over `stateless_call` with one
      `jax.device_get` (JAX), eager under no_grad (torch); outputs wrapped without copies.
    - "xla" (only with jit=True): tf.function(jit_compile=True) (TensorFlow) or torch.compile
      (torch). JAX's "compiled" is already XLA.
    """
    from explorer.nn.compiled import CompiledCall

    fns: dict[str, Callable] = {
        "predict_on_batch": lambda x: [np.asarray(o) for o in _flat(model.predict_on_batch(x))],
        "compiled": CompiledCall(model)}
    backend = name()
    if jit and backend == "tensorflow":
        import tensorflow as tf

        f = tf.function(lambda x: model(x, training=False), jit_compile=True, reduce_retracing=True,
                        autograph=False)
        fns["xla"] = lambda x: [np.asarray(o) for o in _flat(f(tf.convert_to_tensor(x)))]
    elif jit and backend == "torch":
        import torch

        compiled = torch.compile(model)

        def run(x):
            with torch.no_grad():
                return [to_numpy(o) for o in _flat(compiled(x, training=False))]

        fns["xla"] = run
    return fns


FUNCTION_LABELS = {
    "tensorflow": {"compiled": "tf.function, no copies", "xla": "tf.function(jit_compile=True)"},
    "jax": {"compiled": "jax.jit(stateless_call), one device_get"},
    "torch": {"compiled": "eager, no_grad", "xla": "torch.compile"},
}


def function_label(key: str) -> str:
    if key == "predict_on_batch":
        return "model.predict_on_batch"
    return FUNCTION_LABELS.get(name(), {}).get(key, key)


# --------------------------------------------------------------------------- matmul peak
def matmul_gflops(n: int, *, repeats: int = 5, warmup: int = 2) -> dict:
    """GFLOP/s of an n x n x n float32 matrix product on the backend's default device (compiled,
    inputs already on the device, the result reduced to one number so that only that crosses back
    to the host). 2 n^3 / median time."""
    import keras

    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n), dtype=np.float32)
    b_np = rng.standard_normal((n, n), dtype=np.float32)
    backend = name()
    a, b = keras.ops.convert_to_tensor(a_np), keras.ops.convert_to_tensor(b_np)
    if backend == "tensorflow":
        import tensorflow as tf

        g = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)), autograph=False)
        step = lambda: g(a, b).numpy()  # noqa: E731
        how = "tf.matmul in tf.function"
    elif backend == "jax":
        import jax
        import jax.numpy as jnp

        g = jax.jit(lambda a, b: jnp.sum(jnp.matmul(a, b)))
        step = lambda: np.asarray(g(a, b))  # noqa: E731
        how = "jnp.matmul in jax.jit (default precision)"
    else:
        step = lambda: to_numpy(keras.ops.sum(keras.ops.matmul(a, b)))  # noqa: E731
        how = f"keras.ops.matmul ({backend})"
    return _time_matmul(step, n, repeats, warmup, how)


def numpy_matmul_gflops(n: int, *, repeats: int = 5, warmup: int = 1) -> dict:
    """The host CPU's float32 matrix product through numpy's BLAS (for reference on a GPU machine;
    the CPU peak candidate on a CPU machine)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return _time_matmul(lambda: a @ b, n, repeats, warmup, "numpy @ (host BLAS)")


def _time_matmul(step, n, repeats, warmup, how) -> dict:
    for _ in range(warmup):
        step()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    med = float(np.median(ts))
    return {"n": n, "method": how, "median_s": med, "min_s": float(min(ts)),
            "gflops": 2.0 * n ** 3 / med / 1e9, "gflops_best": 2.0 * n ** 3 / min(ts) / 1e9}


# --------------------------------------------------------------------------- device
def device() -> dict:
    """{"backend", "device", "gpus"}; sets TensorFlow's GPU memory growth first (explorer.nn.backend)."""
    try:
        from explorer.nn.backend import setup_devices

        info = dict(setup_devices())
    except Exception as e:  # noqa: BLE001
        info = {"backend": name(), "device": "unknown", "gpus": [], "summary": f"device query failed: {e}"}
    return {k: info.get(k) for k in ("backend", "device", "gpus", "summary")}


def on_gpu() -> bool:
    return bool(device().get("gpus"))


def device_memory() -> dict | None:
    """Accelerator memory in use and its peak, in bytes (None on a CPU-only machine)."""
    backend = name()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            if not tf.config.list_physical_devices("GPU"):
                return None
            m = tf.config.experimental.get_memory_info("GPU:0")
            return {"current": int(m["current"]), "peak": int(m["peak"])}
        if backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            if not gpus:
                return None
            s = gpus[0].memory_stats() or {}
            return {"current": int(s.get("bytes_in_use", 0)), "peak": int(s.get("peak_bytes_in_use", 0))}
        if backend == "torch":
            import torch

            if not torch.cuda.is_available():
                return None
            return {"current": int(torch.cuda.memory_allocated()), "peak": int(torch.cuda.max_memory_allocated())}
    except Exception:  # noqa: BLE001
        return None
    return None


def reset_device_peak() -> None:
    backend = name()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                tf.config.experimental.reset_memory_stats("GPU:0")
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
    except Exception:  # noqa: BLE001
        pass


def library_versions() -> dict:
    """Versions from package metadata (no imports, so nothing heavy is loaded)."""
    from importlib import metadata

    out = {}
    for pkg in ("keras", "tensorflow", "jax", "jaxlib", "torch", "numpy", "streamlit", "pillow"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out
