"""One compiled call per model, for each Keras backend: every output of a model, plus whatever
`extras(outputs)` computes from them in the same graph (written with `keras.ops`), as host numpy
arrays, all moved in one transfer and wrapped without copies.

- TensorFlow: one `tf.function`. On the CPU without XLA (`jit_compile=True` measured slower there:
  inception_v3's folded probe 1.23x the wall time, 1.05x the CPU seconds, 2 cores); where a GPU is
  visible the model part is XLA-compiled (as Keras's own "auto" does) and the outputs are copied
  to the host inside the same call. `np.asarray(tensor)` shares
  TensorFlow's host buffer (`Tensor.numpy()` would copy it).
- JAX: one `jax.jit` over `model.stateless_call`, the variables read at call time (Keras's own
  predict function donates their buffers); all outputs fetched with ONE `jax.device_get`, so
  every device-to-host copy is in flight at once.
- torch: eager under `torch.no_grad()` (`torch.compile` costs minutes per model); on a GPU one
  synchronisation, then `.cpu()` per output; on the CPU `.numpy()` shares the tensor's memory.

No host buffer is kept between calls: on the CPU every backend hands out its own result buffers
without a copy (there is nothing to reuse), and on a GPU TensorFlow and JAX allocate the host
arrays themselves. The caller holds the only reference to a call's arrays.

A GPU out-of-memory error reruns that call on the CPU (TensorFlow, JAX; torch cannot move a
model's weights for one call, so it raises `DeviceMemoryError`), and `last_run()` says where the
latest call ran and why it left the GPU.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

Extras = Callable[[list], list]  # keras.ops function: model outputs -> extra tensors

OOM_MESSAGE = ("The GPU ran out of memory for this request, so it ran on the CPU instead (slower, same "
               "results). Free GPU memory (close other programs using it) or choose a smaller input size.")


class DeviceMemoryError(RuntimeError):
    """The accelerator ran out of memory and this backend cannot rerun the call on the CPU."""


@dataclass(frozen=True)
class Run:
    """Where one compiled call ran: device ("GPU:0", "CPU:0"), backend, and `fallback`: why it left
    the default device (None when it did not)."""

    device: str
    backend: str
    fallback: Optional[str] = None

    @property
    def on_gpu(self) -> bool:
        return self.device.upper().startswith("GPU")


_last: list[Optional[Run]] = [None]
_lock = threading.Lock()


def last_run() -> Optional[Run]:
    """Where the latest compiled call of this process ran (None before the first)."""
    return _last[0]


def is_out_of_memory(error: BaseException) -> bool:
    """Whether `error` is an accelerator running out of memory (TensorFlow's ResourceExhaustedError,
    XLA's RESOURCE_EXHAUSTED, torch's OutOfMemoryError)."""
    kind = type(error).__name__
    text = str(error)
    return (kind in ("ResourceExhaustedError", "OutOfMemoryError")
            or "RESOURCE_EXHAUSTED" in text or "out of memory" in text.lower())


def _device_label(name: str) -> str:
    """"/job:localhost/.../device:GPU:0", "cuda:0", "TFRT_CPU_0", "cpu" -> "GPU:0" / "CPU:0"."""
    s = str(name).rsplit("device:", 1)[-1].upper().replace("CUDA", "GPU")
    for kind in ("GPU", "CPU", "TPU"):
        if kind in s:
            digits = "".join(ch for ch in s.rsplit(kind, 1)[-1] if ch.isdigit())
            return f"{kind}:{digits or 0}"
    return s or "CPU:0"


def _flat(x) -> list:
    import keras

    return keras.tree.flatten(x)


class CompiledCall:
    """fn(batch) -> [every output of `model` (flattened), then every tensor of `extras(outputs)`], as
    host numpy arrays (read-only where shared with the backend). Compiled on the first call."""

    def __init__(self, model, extras: Optional[Extras] = None, *, accelerator: Optional[bool] = None):
        import keras

        from explorer.nn.backend import device_info

        self.model = model
        self.extras = extras
        self.backend = keras.config.backend()
        # accelerator: the GPU code path (XLA, copies to the host inside the call); None: detected
        self.accelerator = bool(device_info()["gpus"]) if accelerator is None else accelerator
        self._default = self._cpu = None
        self.calls = 0

    def graph(self, outputs) -> list:
        """The model's outputs (flattened) and the extras computed from them: the compiled body."""
        outs = _flat(outputs)
        return outs + (list(self.extras(outs)) if self.extras is not None else [])

    def __call__(self, batch) -> list[np.ndarray]:
        if self._default is None:
            self._default = _BUILDERS.get(self.backend, _plain)(self, cpu=False)
        fallback = None
        try:
            arrays, device = self._default(batch)
        except Exception as e:  # noqa: BLE001 - only an out-of-memory error is handled here
            if not is_out_of_memory(e):
                raise
            if self.backend == "torch":
                raise DeviceMemoryError(f"The GPU ran out of memory (torch backend), and torch cannot "
                                        f"run one call on the CPU. Received: {e}") from e
            if self._cpu is None:
                self._cpu = _BUILDERS.get(self.backend, _plain)(self, cpu=True)
            arrays, device = self._cpu(batch)
            fallback = OOM_MESSAGE
        self.calls += 1
        with _lock:
            _last[0] = Run(_device_label(device), self.backend, fallback)
        return arrays


# --------------------------------------------------------------------------- TensorFlow
def _tensorflow(c: CompiledCall, *, cpu: bool):
    import tensorflow as tf

    model = c.model

    if c.accelerator and not cpu:
        inner = tf.function(lambda x: c.graph(model(x, training=False)), jit_compile=True, autograph=False)

        def body(x):
            outs = inner(x)
            with tf.device("/CPU:0"):  # every device-to-host copy inside this one call
                return [tf.identity(o) for o in outs]
    else:
        def body(x):
            return c.graph(model(x, training=False))

    f = tf.function(body, autograph=False, reduce_retracing=True)

    def run(batch):
        if cpu:
            with tf.device("/CPU:0"):
                outs = f(tf.convert_to_tensor(batch))
        else:
            outs = f(tf.convert_to_tensor(batch))
        device = outs[0].device if outs else "CPU:0"
        if c.accelerator and not cpu:  # the copies are host tensors; the model ran on the accelerator
            device = "GPU:0"
        return [np.asarray(o) for o in outs], device  # np.asarray: no copy (Tensor.numpy() copies)

    return run


# --------------------------------------------------------------------------- JAX
def _jax(c: CompiledCall, *, cpu: bool):
    import jax

    model = c.model

    @jax.jit
    def f(trainable, non_trainable, x):
        outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return c.graph(outputs)

    target = jax.devices("cpu")[0] if cpu else None

    def run(batch):
        # read at call time: Keras's predict function replaces (donates) the variables' buffers
        tv = [v.value for v in model.trainable_variables]
        ntv = [v.value for v in model.non_trainable_variables]
        if target is not None:
            tv, ntv, batch = jax.device_put((tv, ntv, batch), target)
        outs = f(tv, ntv, batch)
        device = next(iter(outs[0].devices())) if outs else target
        host = jax.device_get(outs)  # one transfer for the whole tree
        return [np.asarray(a) for a in host], f"{getattr(device, 'platform', 'cpu')}:{getattr(device, 'id', 0)}"

    return run


# --------------------------------------------------------------------------- torch
def _torch(c: CompiledCall, *, cpu: bool):
    import torch

    model = c.model

    def run(batch):
        with torch.no_grad():
            outs = c.graph(model(batch, training=False))
        device = outs[0].device if outs else "cpu"
        if outs and outs[0].is_cuda:
            torch.cuda.synchronize(outs[0].device)  # one synchronisation, then the copies
        return [o.detach().cpu().numpy() for o in outs], str(device)

    return run


def _plain(c: CompiledCall, *, cpu: bool):
    """Any other backend (numpy): a plain call."""
    import keras

    def run(batch):
        outs = c.graph(c.model(batch, training=False))
        return [np.asarray(keras.ops.convert_to_numpy(o)) for o in outs], "CPU:0"

    return run


_BUILDERS = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}
