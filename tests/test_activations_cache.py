"""The app's activations cache (pages/ui/models.py): one forward pass per (model, photo, fit),
shared read-only by every session, bounded in entries and in bytes, newest kept."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import explorer
from explorer.inference.probe import get_probe
from pages.ui import models


@pytest.fixture()
def store(monkeypatch):
    models._activations_store()["entries"].clear()
    yield models._activations_store()["entries"]
    models._activations_store()["entries"].clear()


def _photo(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (80, 96, 3), dtype=np.uint8))


def _nbytes(acts) -> int:
    return sum(a.nbytes for parts in acts.maps.values() for a in parts.values())


def test_one_forward_pass_per_photo_shared_read_only_and_bounded(store, monkeypatch):
    model = explorer.build("googlenet", input_size=64, width=0.25)
    probe = get_probe(model)
    acts, preds = models.activations(model, "tok", "photo0", "crop", _photo(0))
    passes = probe.forward_passes
    again, _ = models.activations(model, "tok", "photo0", "crop", _photo(0))
    assert again is acts and probe.forward_passes == passes  # the same object, no second pass
    assert set(preds) == {"main"} and len(preds["main"]) == 5
    maps = [a for parts in acts.maps.values() for a in parts.values()]
    assert maps and all(a.dtype == np.float32 and not a.flags.writeable for a in maps)  # float32, shared read-only
    with pytest.raises(ValueError):
        maps[0][...] = 0  # no session can change what another one sees
    one = _nbytes(acts)

    monkeypatch.setattr(models, "ACTIVATIONS_KEPT", 2)
    models.activations(model, "tok", "photo1", "crop", _photo(1))
    models.activations(model, "tok", "photo2", "crop", _photo(2))
    assert [k[1] for k in store] == ["photo1", "photo2"]  # at most 2, the oldest went first
    models.activations(model, "tok", "photo1", "crop", _photo(1))  # a hit moves it to the end
    assert [k[1] for k in store] == ["photo2", "photo1"]

    monkeypatch.setattr(models, "ACTIVATIONS_KEPT", 6)
    monkeypatch.setattr(models, "ACTIVATIONS_BYTES", int(one * 1.5))
    models.activations(model, "tok", "photo3", "crop", _photo(3))
    assert [k[1] for k in store] == ["photo3"]  # over the byte bound: only the newest stays
    monkeypatch.setattr(models, "ACTIVATIONS_BYTES", one // 2)
    models.activations(model, "tok", "photo4", "crop", _photo(4))
    assert [k[1] for k in store] == ["photo4"]  # the newest always stays, even when alone over the bound
    before = probe.forward_passes
    models.activations(model, "tok", "photo0", "crop", _photo(0))  # evicted earlier: computed again
    assert probe.forward_passes == before + 1
