"""A bounded, thread-safe store of built models, shared by every session of the app (or any other
long-running process that switches between variants and design choices).

Memory bound: the store holds at most `max_entries` models (default 3). Each held model keeps its
weights, its compiled functions and its activation probe; for a network with batch norm the probe
runs a folded copy of the convolutions (`explorer.nn.fold`: about one more set of weights, bought
for a faster forward pass), otherwise it shares the model's layers. Building a fourth evicts the least recently used one:
the store drops its references and runs `gc.collect()`, so the model, its probe and its compiled
functions are freed. It never calls `keras.backend.clear_session()`, which would reset Keras's
global state under models that other sessions are still using. `make bench` measures resident
memory over 20 switches (the memory section): it stays flat.

No Streamlit here: the app wraps one store in `st.cache_resource`.
"""
from __future__ import annotations

import collections
import gc
import threading
import uuid
from dataclasses import dataclass
from typing import Callable, Optional

from explorer.nn.info import ModelInfo, model_info
from explorer.zoo.choices import Choices, changed
from explorer.zoo.variants import get_spec

DEFAULT_MAX_ENTRIES = 3


@dataclass(frozen=True)
class LoadedModel:
    """A model from the store. token: changes whenever a model is (re)built (a cache key for
    anything computed from the model); requested: the weights asked for; fallback: why they
    could not be used (the model then has random weights), None when they were."""

    model: object
    info: ModelInfo
    token: str
    requested: str
    fallback: Optional[str] = None

    @property
    def pretrained(self) -> bool:
        return self.info.pretrained


class ModelStore:
    """LRU of built models keyed by (variant, choices, weights, seed); see the module docstring."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES,
                 build: Optional[Callable] = None):
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1. Received: {max_entries!r}")
        self.max_entries = max_entries
        self._build = build
        self._models: "collections.OrderedDict[tuple, LoadedModel]" = collections.OrderedDict()
        self._failures: dict[tuple, str] = {}
        self._lock = threading.RLock()
        self.builds = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, key: tuple) -> bool:
        return key in self._models

    def _builder(self):
        if self._build is None:
            from explorer.inference.models import build

            return build
        return self._build

    def get(self, variant: str, choices: Choices, weights: str = "random", *, seed: int = 0,
            on_build: Optional[Callable[[str], None]] = None) -> LoadedModel:
        """The model for (variant, choices, weights, seed), built on first use. weights: "random"
        or a name `explorer.build` takes ("imagenet"). When those weights cannot be loaded
        (offline, another configuration), the model has random weights and `fallback` says why;
        the failure is remembered until `forget_failure`. on_build(kind) is called before a build."""
        key = (variant, choices, weights, seed)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            kw = changed(get_spec(variant).defaults, choices)
            model, fallback = None, None
            if weights != "random":
                fallback = self._failures.get(key)
                if fallback is None:
                    if on_build:
                        on_build(weights)
                    try:
                        model = self._builder()(variant, weights=weights, seed=seed, **kw)
                    except ValueError as e:  # WeightsError: offline, bad file, other choices
                        fallback = str(e)
                        self._failures[key] = fallback
            token = uuid.uuid4().hex
            if model is None:
                random_key = (variant, choices, "random", seed)
                random = self._models.get(random_key)
                if random is not None:
                    model, token = random.model, random.token
                else:
                    if on_build:
                        on_build("random")
                    model = self._builder()(variant, seed=seed, **kw)
                    # the fallback is also the random model of this configuration: one build serves both
                    self._models[random_key] = LoadedModel(model, model_info(model), token, "random")
            self.builds += 1
            entry = LoadedModel(model, model_info(model), token, weights, fallback)
            self._models[key] = entry
            self._evict()
            return entry

    def forget_failure(self, variant: str) -> None:
        """Try the weights of `variant` again on the next `get` (e.g. after a file was put in the cache)."""
        with self._lock:
            for k in [k for k in self._failures if k[0] == variant]:
                del self._failures[k]
            for k in [k for k, e in self._models.items() if k[0] == variant and e.fallback]:
                del self._models[k]

    def models(self) -> list[LoadedModel]:
        with self._lock:
            return list(self._models.values())

    def _evict(self) -> None:
        evicted = False
        while len(self._models) > self.max_entries:
            self._models.popitem(last=False)
            self.evictions += 1
            evicted = True
        if evicted:
            gc.collect()
