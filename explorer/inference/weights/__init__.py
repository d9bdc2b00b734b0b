"""Trained weights: where they come from (`sources`), getting them into the Keras cache (`fetch`),
Keras files and weight transfer (`keras_files`), TF-slim checkpoints (`slim`, `slim_names`).

`plan(spec, weights, choices)` turns what `explorer.build(variant, weights=...)` was given into a
`Plan` (which file, which design choices the weights imply, which heads they train); `Plan.load`
fills a built model. `weights` may be None, "imagenet" (the best source: one with trained
auxiliary heads when `aux_heads=True`, one already in the cache first), a source name ("keras",
"tf_slim"), or a local path: a Keras `.h5` / `.weights.h5` / `.keras`, a TF-slim tarball or a
TF-slim checkpoint prefix (`.../inception_v1.ckpt`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from explorer.inference.weights.fetch import (DOWNLOAD_TIMEOUT_S, WeightsError, archive_path, cached,  # noqa: F401
                                              checkpoint_prefix, import_file, keras_home, records)
from explorer.inference.weights.fetch import fetch as fetch_weights
from explorer.inference.weights.keras_files import (copy_weights, heads_trained, is_keras_app_h5,  # noqa: F401
                                                    keep_weights, keras_load_error, load_keras_file)
from explorer.inference.weights.sources import (NO_WEIGHTS, WeightSource, get_source, implied_choices,  # noqa: F401
                                                markdown_table, table_rows,
                                                no_weights_why, weight_sources)

SLIM_SUFFIXES = (".tar.gz", ".tgz", ".tar")


@dataclass(frozen=True)
class Plan:
    """What to load: label (ModelInfo.weights: "keras", "tf_slim" or the path), the source (None
    for a local Keras file), a local path (None: fetched from the source), kind ("keras_app",
    "slim", "keras_file"), the design choices to build with and the preprocessing they expect."""

    label: str
    source: Optional[WeightSource]
    path: Optional[Path]
    kind: str
    choices: dict = field(default_factory=dict)
    normalization: Optional[str] = None

    @property
    def fit(self) -> str:
        """How these weights' published accuracy was measured: TF-slim's evaluation takes the
        central 87.5% of the photo ("central"); Keras's files a centre crop ("crop")."""
        return "central" if self.kind == "slim" else "crop"

    def file(self) -> Path:
        """The file to read, fetched into the cache first when it comes from a source."""
        if self.path is not None:
            return self.path
        return fetch_weights(self.source)

    def load(self, model, path: Path, n_aux: int) -> tuple[bool, ...]:
        """Load into `model`; returns which heads are trained (main first, then each aux head)."""
        if self.kind == "slim":
            from explorer.inference.weights import slim
            from explorer.inference.weights.slim_names import LAYOUTS

            slim.load_checkpoint(model, path)
            return (True,) + tuple(i < len(LAYOUTS[self.source.variant].aux) for i in range(n_aux))
        if self.kind == "keras_app":
            from explorer.inference.weights.keras_files import load_keras_application

            load_keras_application(model, path, self.source.application)
            return (True,) + (False,) * n_aux  # Keras's ImageNet files have no auxiliary heads
        load_keras_file(model, path)
        return (True,) * (1 + n_aux)


def best_source(variant: str, aux_heads: bool) -> WeightSource:
    """What weights="imagenet" means: a source with trained aux heads when they are asked for,
    then one already in the cache, then the first listed."""
    sources = weight_sources(variant)
    if not sources:
        have = sorted({s.variant for s in weight_sources()})
        raise WeightsError(f"{variant} has no published ImageNet weights: {no_weights_why(variant)}. Pretrained "
                           f"weights load here for: {', '.join(have)}. Use weights=None (random) or a local file "
                           f"made for this architecture. Received: weights='imagenet'")
    return sorted(sources, key=lambda s: (aux_heads and not s.aux_trained, not cached(s)))[0]


def plan(spec, weights, given: dict) -> Optional[Plan]:
    """The `Plan` for `build(spec.name, weights=weights, **given)` (None: random weights).
    Raises WeightsError / ValueError before anything is built or downloaded: an unknown source,
    a missing file, choices that contradict the weights."""
    if weights is None:
        return None
    if not isinstance(weights, (str, Path)):
        raise WeightsError(f"weights must be None, 'imagenet', a source name or a file path. Received: {weights!r}")
    text = str(weights)
    if text == "imagenet" or text in {s.name for s in weight_sources()}:
        source = best_source(spec.name, bool(given.get("aux_heads", spec.defaults.aux_heads))) \
            if text == "imagenet" else get_source(spec.name, text)
        kind = "slim" if source.name == "tf_slim" else "keras_app"
        return Plan(source.name, source, None, kind, implied_choices(source, given, spec.defaults),
                    source.normalization)
    return _local_plan(spec, Path(weights), given)


def _slim_source(spec) -> WeightSource:
    try:
        return get_source(spec.name, "tf_slim")
    except ValueError:
        raise WeightsError(f"{spec.name} has no TF-slim network, so a TF-slim checkpoint cannot fit it "
                           f"(TF-slim ships: {', '.join(s.variant for s in weight_sources() if s.name == 'tf_slim')})."
                           ) from None


def _local_plan(spec, path: Path, given: dict) -> Plan:
    name = path.name.lower()
    if name.endswith(SLIM_SUFFIXES):
        if not path.is_file():
            raise WeightsError(f"Weights file not found: {path}. Received: {path}")
        source = _slim_source(spec)
        return Plan(str(path), source, _tarball_checkpoint(path), "slim",
                    implied_choices(source, given, spec.defaults), source.normalization)
    if name.endswith(".index") or name.endswith(".ckpt") or Path(f"{path}.index").is_file():
        prefix = path.with_suffix("") if name.endswith(".index") else path
        if not (prefix.is_file() or Path(f"{prefix}.index").is_file()):
            raise WeightsError(f"No TF checkpoint at {prefix} (neither the file nor {prefix}.index exists). "
                               f"Received: {path}")
        source = _slim_source(spec)
        return Plan(str(path), source, prefix, "slim", implied_choices(source, given, spec.defaults),
                    source.normalization)
    if not path.is_file():
        raise WeightsError(f"Weights file not found: {path}. Pass weights=None, 'imagenet', a source name "
                           f"({', '.join(s.name for s in weight_sources(spec.name)) or 'none for this variant'}) "
                           f"or the path of a .weights.h5, .h5, .keras file, a TF-slim tarball or checkpoint.")
    if not name.endswith((".keras", ".h5", ".hdf5")):
        raise WeightsError(f"Unknown weights file type {path.suffix!r}: use .weights.h5, .h5, .keras, a TF-slim "
                           f".tar.gz or a checkpoint prefix (.ckpt). Received: {path}")
    keras_source = next((s for s in weight_sources(spec.name) if s.name == "keras"), None)
    if keras_source and name.endswith((".h5", ".hdf5")) and not name.endswith(".weights.h5") \
            and is_keras_app_h5(path):  # Keras's ImageNet layout: its configuration, no aux heads
        return Plan(str(path), keras_source, path, "keras_app", implied_choices(keras_source, given, spec.defaults),
                    keras_source.normalization)
    return Plan(str(path), keras_source, path, "keras_file", dict(given), spec.normalization)


def _tarball_checkpoint(path: Path) -> Path:
    """A TF-slim tarball given as a path: imported into the cache when it is a published one
    (recorded, checked), else extracted beside the cache's others. Returns the checkpoint prefix."""
    from explorer.inference.weights.fetch import extract_tarball, find_checkpoint, models_dir

    known = [s for s in weight_sources() if s.file == path.name]
    if known:
        return checkpoint_prefix(import_file(path)) if not cached(known[0]) else fetch_weights(known[0])
    dest = models_dir() / "tf_slim" / path.name.split(".")[0]
    extract_tarball(path, dest)
    return find_checkpoint(dest)
