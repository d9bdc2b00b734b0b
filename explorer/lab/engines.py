"""Where a sweep's trials run: one after another in this process (`LocalEngine`), or as Ray tasks
on a local Ray instance or an existing cluster (`RayEngine`), one trial per GPU or per CPU slot.

An engine's `run(configs, fn, progress)` yields (index, result) as trials finish, in any order;
the sweep writes each result to its JSON-lines file as it arrives, so both engines resume the
same way. Ray is optional (`pip install -r requirements-ray.txt`); it is imported only here and
only when a RayEngine starts.
"""
from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

Progress = Callable[[float, str], None]
ENGINES = ("local", "ray")


class LocalEngine:
    """Trials one after another in this process (the default)."""

    name = "local"
    parallel = False

    def run(self, configs: Sequence, fn: Callable, progress: Optional[Progress] = None,
            labels: Sequence[str] = ()) -> Iterator[tuple[int, dict]]:
        report = progress or (lambda f, m: None)
        n = len(configs)
        for k, cfg in enumerate(configs):
            name = f"run {k + 1}/{n}" + (f": {labels[k]}" if k < len(labels) else "")

            def inner(f, msg, _k=k, _name=name):
                report((_k + min(max(f, 0.0), 1.0)) / n, f"{_name}: {msg}")

            gc.collect()  # the last run's model; never clear_session(): the app's models live on
            yield k, fn(cfg, progress=inner)


def _ray_task(fn, cfg):
    return fn(cfg)


class RayEngine:
    """Each trial a Ray task: one per GPU when the cluster has GPUs, else one per CPU slot.

    address: None starts (or joins) a local Ray instance; "auto" or "ray://host:10001" joins an
    existing cluster. The explorer package travels with the tasks (`runtime_env` py_modules), the
    workers need the requirements installed. `num_cpus` caps a local instance's CPUs."""

    name = "ray"
    parallel = True

    def __init__(self, address: Optional[str] = None, num_cpus: Optional[int] = None):
        self.address, self.num_cpus = address, num_cpus

    def _init(self):
        try:
            import ray
        except ImportError:
            raise ValueError("--engine ray needs Ray: pip install -r requirements-ray.txt. "
                             "Received: engine='ray' without the ray package") from None
        if not ray.is_initialized():
            import explorer

            env = {"py_modules": [str(Path(explorer.__file__).parent)],
                   "env_vars": {k: os.environ[k] for k in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL")
                                if k in os.environ}}
            kw = {"num_cpus": self.num_cpus} if self.address is None and self.num_cpus else {}
            ray.init(address=self.address, runtime_env=env, include_dashboard=False,
                     log_to_driver=False, **kw)
        return ray

    def resources(self) -> dict:
        """{'gpus': n, 'cpus': n} of the cluster (after starting Ray)."""
        ray = self._init()
        r = ray.cluster_resources()
        return {"gpus": int(r.get("GPU", 0)), "cpus": int(r.get("CPU", 0))}

    def run(self, configs: Sequence, fn: Callable, progress: Optional[Progress] = None,
            labels: Sequence[str] = ()) -> Iterator[tuple[int, dict]]:
        ray = self._init()
        report = progress or (lambda f, m: None)
        res = self.resources()
        opts = {"num_gpus": 1, "num_cpus": 1} if res["gpus"] else {"num_cpus": 1}
        task = ray.remote(**opts, max_retries=0)(_ray_task)
        pending = {task.remote(fn, cfg): k for k, cfg in enumerate(configs)}
        n, done = len(configs), 0
        slots = res["gpus"] or res["cpus"]
        report(0.0, f"{n} trial(s) on Ray: {slots} {'GPU' if res['gpus'] else 'CPU'} slot(s)")
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            k = pending.pop(ready[0])
            result = ray.get(ready[0])
            done += 1
            report(done / n, f"{done}/{n} trial(s) finished" + (f" (last: {labels[k]})" if k < len(labels) else ""))
            yield k, result


def make_engine(name: str = "local", address: Optional[str] = None, num_cpus: Optional[int] = None):
    if name == "local":
        if address:
            raise ValueError(f"--address needs --engine ray. Received: engine='local', address={address!r}")
        return LocalEngine()
    if name == "ray":
        return RayEngine(address, num_cpus)
    raise ValueError(f"engine must be one of {ENGINES}. Received: engine={name!r}")
