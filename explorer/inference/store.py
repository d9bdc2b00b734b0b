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

Weights that stay put: random weights are seeded per (variant, seed, layer name), so a rebuild
with other design choices keeps every layer whose name and shape did not change. Trained weights
belong to one configuration (the source's); for other choices the store builds that configuration
with the weights, then the requested one at random, and copies every layer whose name and weight
shapes are unchanged (`explorer.keep_weights`). Either way `info.new_layers` lists the layers that
could not keep their weights, and `info.heads_trained` says which heads still have trained layers
all the way back to the input.

No Streamlit here: the app wraps one store in `st.cache_resource`.
"""
from __future__ import annotations

import collections
import gc
import threading
import uuid
from dataclasses import dataclass, replace
from typing import Callable, Optional

from explorer.arch.cost import walk_cached
from explorer.arch.validate import choices as make_choices
from explorer.nn.info import ModelInfo, model_info, set_info
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

    @property
    def partly_trained(self) -> bool:
        """Trained weights kept in every layer a design change left alone, the others new."""
        return self.fallback is None and self.requested != "random" and bool(self.info.new_layers)


def weights_configuration(variant: str, choices: Choices, weights: str) -> Optional[Choices]:
    """The configuration `weights` belong to, at `choices`' input size and aux-head setting: the
    variant's defaults for "random", the design choices a published source implies otherwise
    (None where there is none: unknown weights, or a variant without them)."""
    from explorer.inference.weights import plan

    spec = get_spec(variant)
    free = {"input_size": choices.input_size, "aux_heads": choices.aux_heads}
    try:
        p = plan(spec, None if weights == "random" else weights, free)
        if p is not None and p.kind == "keras_file":
            return None
        return make_choices(spec, **(p.choices if p is not None else free))
    except ValueError:
        return None


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
        or a name `explorer.build` takes ("imagenet", "keras", "tf_slim"). When those weights
        cannot be loaded (offline, a bad file), the model has random weights and `fallback` says
        why; the failure is remembered until `forget_failure`. When `choices` differ from the
        configuration the weights belong to (a toggle on a pretrained model), the model keeps
        every layer whose name and shape the change left alone and `info.new_layers` lists the
        others (see the module docstring). on_build(kind) is called before a build."""
        key = (variant, choices, weights, seed)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            base = weights_configuration(variant, choices, weights)
            if weights != "random" and base is not None and base != choices:
                entry = self._rebuilt(variant, choices, base, weights, seed, on_build)
            else:
                entry = self._built(variant, choices, weights, seed, on_build, base)
            self.builds += 1
            self._models[key] = entry
            self._evict()
            return entry

    def _built(self, variant, choices, weights, seed, on_build, base) -> LoadedModel:
        """Build with `weights`, else (they cannot be loaded) the random model of this configuration."""
        key = (variant, choices, weights, seed)
        kw = changed(get_spec(variant).defaults, choices)
        model, fallback = None, None
        if weights != "random":
            fallback = self._failures.get(key)
            if fallback is None:
                if on_build:
                    on_build(weights)
                try:
                    model = self._builder()(variant, weights=weights, seed=seed, **kw)
                except ValueError as e:  # WeightsError: offline, bad file
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
                base = base if weights == "random" else weights_configuration(variant, choices, "random")
                self._note_new_layers(model, base)
                # the fallback is also the random model of this configuration: one build serves both
                self._models[random_key] = LoadedModel(model, model_info(model), token, "random")
        return LoadedModel(model, model_info(model), token, weights, fallback)

    def _rebuilt(self, variant, choices, base, weights, seed, on_build) -> LoadedModel:
        """The weights' own configuration `base` with `weights`, then a random build of `choices`
        that keeps every unchanged layer of it (the random model, with the reason, when the
        weights cannot be loaded at all)."""
        from explorer.inference.weights import heads_trained, keep_weights

        reference = self.get(variant, base, weights, seed=seed, on_build=on_build)
        if reference.fallback is not None:  # the weights cannot be had at all: random, saying why
            random = self.get(variant, choices, "random", seed=seed, on_build=on_build)
            return LoadedModel(random.model, random.info, random.token, weights, reference.fallback)
        if on_build:
            on_build("keep")
        model = self._builder()(variant, seed=seed, **changed(get_spec(variant).defaults, choices))
        new = keep_weights(reference.model, model)
        info = replace(model_info(model), weights=reference.info.weights, new_layers=new,
                       heads_trained=heads_trained(model, reference.info.heads_trained, new),
                       normalization=reference.info.normalization, fit=reference.info.fit)
        set_info(model, info)
        return LoadedModel(model, info, uuid.uuid4().hex, weights)

    @staticmethod
    def _note_new_layers(model, base: Optional[Choices]) -> None:
        """Random weights are seeded per layer name: a layer keeps its weights under a toggle when
        its name and shape are unchanged. Record the units that change against `base` (the
        variant's defaults at this input size and aux setting), from the cost model's per-layer
        parameters and output shapes (no second build)."""
        info = model_info(model)
        if base is None or base == info.choices:
            return
        spec = get_spec(info.variant)
        before = {lc.name: (lc.params, lc.out_shape) for lc in walk_cached(spec, base).layers if lc.params}
        new = tuple(lc.name for lc in walk_cached(spec, info.choices).layers
                    if lc.params and before.get(lc.name) != (lc.params, lc.out_shape))
        set_info(model, replace(info, new_layers=new))

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
