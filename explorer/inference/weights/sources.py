"""Where trained weights come from, as data (like torchvision's `Weights` meta): `weight_sources`.

One `WeightSource` per published file: the Keras ImageNet files of Inception-v3 and
Inception-ResNet-v2 (no auxiliary heads) and the TF-slim model zoo's checkpoints of GoogLeNet,
BN-Inception, Inception-v3, Inception-v4 and Inception-ResNet-v2 (v3, v4 and IRv2 with trained
auxiliary heads). The app's Weights selector, the Overview, the README table and
`python -m explorer weights list` are generated from it. Published accuracies come from
`explorer.zoo.published` (one copy of every published figure). No Keras, no network here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from explorer.zoo import published
from explorer.zoo.choices import Choices
from explorer.zoo.variants import get_spec, list_variants

KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
SLIM_URL = "http://download.tensorflow.org/models/"
SLIM_README = "https://github.com/tensorflow/models/tree/master/research/slim#pre-trained-models"
RECORDED = "recorded on first download"
# Choices the weights leave free: the input size (every head pools globally or shrinks its kernel)
# and whether the auxiliary heads are built (their weights load when the file has them).
FREE_CHOICES = ("input_size", "aux_heads")


@dataclass(frozen=True)
class WeightSource:
    """One published weight file.

    name: "keras" or "tf_slim" (what `build(variant, weights=name)` takes). file: its name in the
    Keras cache ($KERAS_HOME/models). size_mb: the published size (None where none is published:
    the size is recorded on first download). md5: the published hash Keras pins (None for TF-slim:
    its SHA-256 is recorded on first download and checked on every later load). classes: classes
    in the file (1001 = TF-slim's background class first, dropped on load). aux_trained: the file
    has trained auxiliary heads. preset: the variant's preset whose design choices the weights
    imply (aux heads aside). checkpoint / scope: the checkpoint inside a TF-slim tarball and its
    variable scope."""

    variant: str
    name: str
    title: str
    file: str
    url: str
    licence: str
    classes: int
    aux_trained: bool
    preset: str
    preprocessing: str
    size_mb: Optional[int] = None
    size_source: str = ""
    md5: Optional[str] = None
    application: str = ""  # keras.applications class that reads a Keras file's layout
    checkpoint: str = ""
    scope: str = ""
    normalization: str = "tf"

    @property
    def choices(self) -> dict:
        """The design choices the weights imply (changes from the variant's defaults)."""
        return {k: v for k, v in get_spec(self.variant).preset(self.preset).items() if k not in FREE_CHOICES}

    @property
    def heads(self) -> str:
        """What is trained, in words."""
        return "main + auxiliary heads" if self.aux_trained else "main head only"

    @property
    def label(self) -> str:
        """How the app's selector shows the source."""
        return f"{self.heads} trained, {self.title}"

    @property
    def size_text(self) -> str:
        return f"{self.size_mb} MB ({self.size_source})" if self.size_mb else RECORDED

    @property
    def hash_text(self) -> str:
        return f"md5 {self.md5} (published by Keras)" if self.md5 else f"SHA-256 {RECORDED}"

    @property
    def accuracy(self) -> Optional[published.Accuracy]:
        """The published top-1 / top-5 of these weights, with its source."""
        for a in published.accuracies(self.variant):
            if a.source == self.name:
                return a
        return None


_SLIM_PRE = "pixels to [-1, 1], central crop of 87.5%, bilinear resize (TF-slim inception_preprocessing)"
_KERAS_PRE = "pixels to [-1, 1] (keras.applications preprocess_input, mode 'tf')"
_APACHE = "Apache-2.0 (tensorflow/models)"


def _keras(variant: str, application: str, stem: str, md5: str, size_mb: int) -> WeightSource:
    fname = f"{stem}_weights_tf_dim_ordering_tf_kernels.h5"
    return WeightSource(variant, "keras", f"keras.applications {application}", fname, f"{KERAS_URL}{stem}/{fname}",
                        "Apache-2.0 (keras-team)", 1000, False, "keras", _KERAS_PRE, size_mb, "keras.io table",
                        md5=md5, application=application)


def _slim(variant: str, net: str, date: str, aux: bool, preset: str, scope: str, ckpt: str = "") -> WeightSource:
    fname = f"{net}_{date}.tar.gz"
    return WeightSource(variant, "tf_slim", f"TF-slim {net}", fname, SLIM_URL + fname, _APACHE, 1001, aux, preset,
                        _SLIM_PRE, checkpoint=ckpt or f"{net}.ckpt", scope=scope)


SOURCES: tuple[WeightSource, ...] = (
    _slim("googlenet", "inception_v1", "2016_08_28", False, "tf_slim", "InceptionV1"),
    _slim("bn_inception", "inception_v2", "2016_08_28", False, "tf_slim", "InceptionV2"),
    _keras("inception_v3", "InceptionV3", "inception_v3", "9a0d58056eeedaa3f26cb7ebd46da564", 92),
    _slim("inception_v3", "inception_v3", "2016_08_28", True, "tf_slim_aux", "InceptionV3"),
    _slim("inception_v4", "inception_v4", "2016_09_09", True, "tf_slim", "InceptionV4"),
    _keras("inception_resnet_v2", "InceptionResNetV2", "inception_resnet_v2", "e693bd0210a403b3192acc6073ad2e96",
           215),
    _slim("inception_resnet_v2", "inception_resnet_v2", "2016_08_30", True, "tf_slim_aux", "InceptionResnetV2",
          "inception_resnet_v2_2016_08_30.ckpt"),
)

NO_WEIGHTS = {
    "inception_resnet_v1": "no public ImageNet checkpoint of Inception-ResNet-v1 exists (neither "
                           "keras.applications nor the TF-slim model zoo ships one; they ship Inception-ResNet-v2)",
}


def weight_sources(variant: Optional[str] = None) -> list[WeightSource]:
    """Every published weight source of `variant` (all variants when None), Keras first."""
    if variant is not None:
        get_spec(variant)  # ValueError naming the valid variants
    return [s for s in SOURCES if variant is None or s.variant == variant]


def get_source(variant: str, name: str) -> WeightSource:
    """The source `name` ("keras" / "tf_slim") of `variant`; ValueError saying which exist."""
    for s in weight_sources(variant):
        if s.name == name:
            return s
    have = [s.name for s in weight_sources(variant)]
    why = f"its sources: {', '.join(have)}" if have else NO_WEIGHTS.get(variant, "it has no published weights")
    raise ValueError(f"{variant} has no {name!r} weights ({why}). Pass weights=None (random), 'imagenet', a "
                     f"source name or a local file. Received: weights={name!r}")


def no_weights_why(variant: str) -> str:
    """Why `variant` has no published weights ('' when it has some)."""
    return "" if weight_sources(variant) else NO_WEIGHTS.get(variant, "no published ImageNet weights")


def implied_choices(source: WeightSource, given: dict, defaults: Choices) -> dict:
    """The choices to build `source`'s weights with: the ones the weights imply, then the user's
    (`given`). ValueError naming every given choice that contradicts the weights."""
    implied = source.choices
    conflicts = []
    for name, value in given.items():
        if name in FREE_CHOICES:
            continue
        want = implied.get(name, getattr(defaults, name, value))
        if name == "conv_bias" and {value, want} <= {None, False}:
            continue  # auto and off build the same network under batch norm (the weights' case)
        if value != want:
            conflicts.append(f"{name}={value!r} (the weights need {name}={want!r})")
    if conflicts:
        raise ValueError(f"These design choices contradict the {source.title} weights of {source.variant}: "
                         f"{'; '.join(conflicts)}. The weights imply their architecture: leave these choices "
                         f"out, or use weights=None (random). Received: {', '.join(f'{k}={v!r}' for k, v in given.items())}")
    return {**implied, **given}


def table_rows() -> list[dict]:
    """One row per variant and source (variants without weights say why): what the Overview and
    the README's "Pretrained weights" table show."""
    rows = []
    for variant in list_variants():
        title = get_spec(variant).title
        for s in weight_sources(variant):
            a = s.accuracy
            rows.append({"variant": title, "source": s.title, "heads trained": s.heads,
                         "top-1 / top-5 %": "—" if a is None else f"{a.top1:.1f} / {a.top5:.1f}",
                         "accuracy source": "" if a is None else a.citation, "size": s.size_text,
                         "file": s.file, "url": s.url})
        if not weight_sources(variant):
            rows.append({"variant": title, "source": "none", "heads trained": "—", "top-1 / top-5 %": "—",
                         "accuracy source": "", "size": "—", "file": "", "url": no_weights_why(variant)})
    return rows


def markdown_table() -> str:
    """The README's "Pretrained weights" table (tests/test_weights.py checks the README holds it)."""
    lines = ["| variant | source | heads trained | top-1 / top-5 % | size | file |", "|---|---|---|---|---|---|"]
    for r in table_rows():
        file = f"[`{r['file']}`]({r['url']})" if r["file"] else r["url"]
        lines.append(f"| {r['variant']} | {r['source']} | {r['heads trained']} | {r['top-1 / top-5 %']} | "
                     f"{r['size']} | {file} |")
    return "\n".join(lines)
