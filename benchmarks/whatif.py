"""The fixes recommended in docs/performance.md, applied as temporary patches so `make bench` can
measure each one beside what ships. None of them edits explorer/ or pages/; once a fix lands
there, its what-if becomes a no-op and measures the same thing twice (the JSON records which
fixes were already in: `fixes_in_explorer`).

- `probe_weakref()`: explorer.probe's cache keeps every probed model alive (memory).
- `zero_copy_run(probe)`: Probe.run without TensorFlow's `Tensor.numpy()` copies (probe / forward).
- `batched_transfer_runs(model, probe)`: JAX: all probe outputs fetched in one `jax.device_get`.
- `shared_validation_walk()`: one cached graph walk for `choices()` validation and `cost()` (sweep).
- `keep_keras_state()`: no `keras.backend.clear_session()` after every Streamlit rerun (app).
"""
from __future__ import annotations

import contextlib
import functools
import sys
import weakref

import numpy as np


def probe_weakref() -> None:
    """explorer.probe keeps probes in a WeakKeyDictionary {model: Probe}, but each Probe holds its
    model strongly (`self.model`), so no entry ever dies and no model is ever freed. The fix: the
    Probe holds a weak reference. Process-wide (the memory section runs it in its own process)."""
    from explorer.inference import probe as probe_mod

    if fixed_probe_cache():
        return  # explorer has the fix (3415d29): nothing to patch
    probe_mod.Probe.model = property(lambda self: self._model_ref(),
                                     lambda self, m: setattr(self, "_model_ref", weakref.ref(m)))


def fixed_probe_cache() -> bool:
    """Whether explorer's Probe already holds its model weakly (the fix landed in 3415d29)."""
    from explorer.inference import probe as probe_mod

    return isinstance(getattr(probe_mod.Probe, "model", None), property)


def fixed_cost_walk() -> bool:
    """Whether explorer.cost already shares one cached walk (the fix landed in 3415d29)."""
    return hasattr(sys.modules["explorer.arch.cost"], "walk_cached")


def zero_copy_run(probe):
    """TensorFlow only (else None): `predict_on_batch` converts each output with `Tensor.numpy()`,
    which copies (documented: Tensors are immutable); `np.asarray(tensor)` shares TensorFlow's
    buffer (read-only). Public APIs only: one `tf.function` over the probe model, as
    `explorer.device` could provide it (the recommended fix)."""
    import keras

    if keras.config.backend() != "tensorflow":
        return None
    import tensorflow as tf

    f = tf.function(lambda x: probe.probe(x, training=False), autograph=False, reduce_retracing=True)
    n = len(probe.entries)

    def run(batch):
        outs = [np.asarray(t) for t in keras.tree.flatten(f(tf.convert_to_tensor(batch)))]
        return outs[:n], outs[n:]

    return run


def batched_transfer_runs(model, probe):
    """JAX only (else None): on a GPU, `predict_on_batch` brings the outputs back one at a time
    (`np.array` per output, each a synchronous device-to-host copy), so the probe pays one transfer
    latency per branch. Returns {"probe_batched", "probe_sequential", "model"}: the probe and the model
    under `jax.jit(stateless_call)`, with all outputs fetched by one `jax.device_get` (every copy in
    flight at once) or one `np.asarray` after another, to separate latency from bandwidth."""
    import keras

    if keras.config.backend() != "jax":
        return None
    import jax
    import jax.numpy as jnp

    def jitted(m):
        tv = [jnp.array(v.value, copy=True) for v in m.trainable_variables]
        ntv = [jnp.array(v.value, copy=True) for v in m.non_trainable_variables]
        f = jax.jit(lambda tv, ntv, x: m.stateless_call(tv, ntv, x, training=False)[0])
        return lambda x: f(tv, ntv, x)

    fp, fm = jitted(probe.probe), jitted(model)
    return {"probe_batched": lambda x: jax.device_get(fp(x)),
            "probe_sequential": lambda x: [np.asarray(o) for o in keras.tree.flatten(fp(x))],
            "model": lambda x: jax.device_get(fm(x))}


@contextlib.contextmanager
def shared_validation_walk():
    """`explorer.cost()` validates its choices with `choices()` -> `check_input_size()`, which walks
    the whole graph on every call (not cached), then walks it again for the cost (cached). The fix:
    one lru-cached walk per (spec, choices) used by both."""
    cost_mod = sys.modules["explorer.arch.cost"]
    if fixed_cost_walk():  # explorer has the fix: the what-if is what ships
        yield cost_mod.walk_cached.cache_clear
        return
    from explorer.graph import resolve
    from explorer.variants import get_spec

    original_check, original_cached = cost_mod.check_input_size, cost_mod._cost_cached

    @functools.lru_cache(maxsize=4096)
    def walk_cached(spec, c):
        return cost_mod.walk(resolve(spec, c))

    def check_input_size(spec, c):
        try:
            walk_cached(spec, c)
            return
        except cost_mod.ShapeError:
            original_check(spec, c)  # builds the error message

    @functools.lru_cache(maxsize=4096)
    def cost_cached(variant, c):
        return walk_cached(get_spec(variant), c)

    cost_mod.check_input_size, cost_mod._cost_cached = check_input_size, cost_cached
    try:
        yield walk_cached.cache_clear
    finally:
        cost_mod.check_input_size, cost_mod._cost_cached = original_check, original_cached


@contextlib.contextmanager
def keep_keras_state():
    """Streamlit's script runner calls `keras.backend.clear_session()` after every rerun
    (streamlit/runtime/scriptrunner/script_runner.py, `_clean_problem_modules`). Under TensorFlow
    that clears the eager kernel cache, so the first prediction after each rerun re-creates every
    kernel. Switched off inside this context (the app evicts models itself). Yields False when
    Streamlit has no such hook (nothing to measure)."""
    try:
        from streamlit.runtime.scriptrunner import script_runner as sr
    except ImportError:
        yield False
        return
    original = getattr(sr, "_clean_problem_modules", None)
    if original is None:
        yield False
        return
    sr._clean_problem_modules = lambda: None
    try:
        yield True
    finally:
        sr._clean_problem_modules = original
