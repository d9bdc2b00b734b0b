"""`explorer.ModelStore`, the bounded, thread-safe store of built models the app shares between
sessions: LRU eviction at `max_entries`, hits without rebuilds, weights that cannot be loaded fall
back to random ones (remembered until `forget_failure`), one build per key under concurrency, and
never a `keras.backend.clear_session()`. A fake `build` keeps these quick; one slow test uses real
models."""
from __future__ import annotations

import sys
import threading
import time
import types

import pytest

import explorer
from explorer.inference.store import ModelStore
from explorer.inference.weights import WeightsError
from explorer.nn.info import ModelInfo, set_info


class FakeModel:
    """Weak-referenceable, like a keras.Model (model_info keeps a weak map)."""

    def __init__(self, name: str):
        self.name = name


class FakeBuild:
    """Stands in for `explorer.build`: records its calls; "imagenet" fails while `offline`."""

    def __init__(self, offline: bool = False, delay: float = 0.0):
        self.calls: list[tuple] = []
        self.offline = offline
        self.delay = delay

    def __call__(self, variant, *, weights=None, seed=0, **choices):
        self.calls.append((variant, weights, seed, tuple(sorted(choices.items()))))
        time.sleep(self.delay)
        if weights == "imagenet" and self.offline:
            raise WeightsError(f"Could not download the ImageNet weights for {variant} (no network?).")
        model = FakeModel(variant)
        c = explorer.choices(variant, **choices)
        label = weights or "random"
        set_info(model, ModelInfo(variant, c, label, (label != "random",), seed))
        return model


def configs(n: int):
    return [explorer.choices("googlenet", input_size=64, width=w) for w in (0.25, 0.5, 0.75, 1.0)[:n]]


def test_the_store_is_bounded_least_recently_used_first():
    build = FakeBuild()
    store = ModelStore(max_entries=2, build=build)
    a, b, c = configs(3)
    first = store.get("googlenet", a)
    store.get("googlenet", b)
    assert store.get("googlenet", a) is first  # a hit: no rebuild, and `a` is now the most recent
    store.get("googlenet", c)  # evicts `b`, the least recently used
    assert len(store) == 2 and store.evictions == 1 and store.builds == 3 and len(build.calls) == 3
    assert ("googlenet", a, "random", 0) in store and ("googlenet", b, "random", 0) not in store
    assert [e.info.choices for e in store.models()] == [a, c]
    rebuilt = store.get("googlenet", b)
    assert rebuilt.token != first.token and len(build.calls) == 4
    with pytest.raises(ValueError, match="max_entries"):
        ModelStore(max_entries=0)


def test_entries_carry_their_info_and_a_token_per_build():
    store = ModelStore(max_entries=3, build=FakeBuild())
    (a,) = configs(1)
    entry = store.get("googlenet", a, seed=1)
    assert entry.info.variant == "googlenet" and entry.info.choices == a and entry.info.seed == 1
    assert entry.requested == "random" and entry.fallback is None and not entry.pretrained
    assert store.get("googlenet", a, seed=2).token != entry.token  # another seed, another model


def test_weights_that_cannot_be_loaded_fall_back_to_random_until_forgotten():
    build = FakeBuild(offline=True)
    store = ModelStore(max_entries=3, build=build)
    c = explorer.choices("inception_v3", input_size=96)
    random = store.get("inception_v3", c, "random")
    entry = store.get("inception_v3", c, "imagenet")
    assert entry.requested == "imagenet" and not entry.pretrained
    assert "no network" in entry.fallback
    assert entry.model is random.model  # the random model already held is reused, not rebuilt
    assert [w for _, w, _, _ in build.calls] == [None, "imagenet"]
    build.offline = False
    assert store.get("inception_v3", c, "imagenet").fallback  # the failure is remembered
    store.forget_failure("inception_v3")
    entry = store.get("inception_v3", c, "imagenet")
    assert entry.fallback is None and entry.pretrained and len(build.calls) == 3


def test_one_build_per_key_when_sessions_ask_at_once():
    build = FakeBuild(delay=0.05)
    store = ModelStore(max_entries=3, build=build)
    (a,) = configs(1)
    got = []
    threads = [threading.Thread(target=lambda: got.append(store.get("googlenet", a))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(build.calls) == 1 and len({id(e) for e in got}) == 1


def test_eviction_never_clears_the_keras_session(monkeypatch):
    cleared = []
    fake = types.SimpleNamespace(backend=types.SimpleNamespace(clear_session=lambda *a, **k: cleared.append(1)))
    monkeypatch.setitem(sys.modules, "keras", fake)
    store = ModelStore(max_entries=1, build=FakeBuild())
    for c in configs(3):
        store.get("googlenet", c)
    assert store.evictions == 2 and cleared == []


@pytest.mark.slow
def test_real_models_survive_the_eviction_of_others():
    import numpy as np
    from PIL import Image

    store = ModelStore(max_entries=2)
    a, b, c = configs(3)
    entries = [store.get("googlenet", x) for x in (a, b, c)]
    assert len(store) == 2 and store.evictions == 1
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 96, 3), dtype=np.uint8))
    acts = explorer.branch_activations(entries[-1].model, image)
    want = explorer.cost("googlenet", input_size=64, width=0.75).module("inception_3a").branches[0].out_shape[-1]
    assert acts.maps["inception_3a"]["b1"].shape[-1] == want
    assert store.get("googlenet", c) is entries[-1]
