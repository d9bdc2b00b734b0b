"""Published figures, as data, each with its source: ImageNet accuracies (papers and model zoos),
reference parameter counts, and the papers' ablation tables.

Metadata sits beside the architecture, never inside it: every computed number (params, MACs)
comes from `explorer.cost`; this module holds only what was *published*, with where it was
published. `tests/test_metadata.py` checks every reference count that the code can compute against
`explorer.cost` (as torchvision tests its weights' meta against the built model).

Nothing here imports Keras or Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from explorer.zoo.variants import get_spec

# --------------------------------------------------------------------------- sources
ARXIV = {
    "googlenet": "arXiv:1409.4842",
    "bn_inception": "arXiv:1502.03167",
    "inception_v3": "arXiv:1512.00567",
    "inception_v4": "arXiv:1602.07261",
    "inception_resnet_v1": "arXiv:1602.07261",
    "inception_resnet_v2": "arXiv:1602.07261",
}


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    url: str


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("paper", "Paper (single model, single crop)", "https://arxiv.org/"),
    Source("keras", "keras.applications", "https://keras.io/api/applications/"),
    Source("tf_slim", "TF-slim model zoo",
           "https://github.com/tensorflow/models/tree/master/research/slim#pre-trained-models"),
    Source("torchvision", "torchvision weights meta",
           "https://pytorch.org/vision/stable/models/generated/torchvision.models.googlenet.html"),
    Source("pretrainedmodels", "Cadene pretrainedmodels", "https://github.com/Cadene/pretrained-models.pytorch"),
    Source("timm", "timm", "https://github.com/huggingface/pytorch-image-models"),
    Source("recomputed", "recomputed from the paper's table", "https://arxiv.org/abs/1409.4842"),
)}

EVAL_NOTE = ("The papers measured on the 48,238 'non-blacklisted' ILSVRC-2012 validation images; the "
             "model zoos on all 50,000, so paper and zoo numbers are close but not strictly comparable.")


# --------------------------------------------------------------------------- accuracies
@dataclass(frozen=True)
class Accuracy:
    """One published ImageNet result (single model, single crop), as accuracy in percent.

    top1 / top5: accuracy (%); None where the source gives none. Papers publish errors: `error`
    keeps the published (top-1, top-5) error so the UI can show both.
    choices: the design choices of the configuration the figure belongs to (for `explorer.cost`):
    the preset the source ships, without auxiliary heads (inference)."""

    variant: str
    source: str  # key of SOURCES
    top1: Optional[float]
    top5: Optional[float]
    citation: str
    choices: tuple[tuple[str, object], ...] = ()
    error: Optional[tuple[Optional[float], Optional[float]]] = None

    @property
    def label(self) -> str:
        return SOURCES[self.source].name

    @property
    def url(self) -> str:
        if self.source == "paper":
            return f"https://arxiv.org/abs/{ARXIV[self.variant].split(':')[1]}"
        return SOURCES[self.source].url

    def config(self) -> dict:
        return dict(self.choices)


def _paper(variant: str, top1_err: Optional[float], top5_err: Optional[float], where: str) -> Accuracy:
    return Accuracy(variant, "paper",
                    None if top1_err is None else round(100 - top1_err, 2),
                    None if top5_err is None else round(100 - top5_err, 2),
                    f"{ARXIV[variant]} {where}", (), (top1_err, top5_err))


_GOOGLENET_TV = (("batch_norm", True), ("conv_bias", False), ("bn_scale", True), ("kernel_5x5", 3),
                 ("lrn", False))
_GOOGLENET_SLIM = (("batch_norm", True), ("conv_bias", False), ("bn_scale", False), ("kernel_5x5", 3),
                   ("lrn", False))
_BN_SLIM = (("table", "tf_slim"), ("conv_bias", False), ("bn_scale", False))

ACCURACY: tuple[Accuracy, ...] = (
    _paper("googlenet", None, 10.07, "Table 3 (1 model, 1 crop; the paper gives top-5 error only)"),
    Accuracy("googlenet", "tf_slim", 69.8, 89.6, "TF-slim README, inception_v1", _GOOGLENET_SLIM),
    Accuracy("googlenet", "torchvision", 69.78, 89.53, "torchvision GoogLeNet_Weights.IMAGENET1K_V1.meta",
             _GOOGLENET_TV),
    _paper("bn_inception", 25.2, 7.8, "single crop (as listed in arXiv:1602.07261 Table 2)"),
    Accuracy("bn_inception", "tf_slim", 73.9, 91.8, "TF-slim README, inception_v2", _BN_SLIM),
    _paper("inception_v3", 21.2, 5.6, "Table 3, last row (single crop)"),
    Accuracy("inception_v3", "keras", 77.9, 93.7, "keras.applications table, InceptionV3"),
    Accuracy("inception_v3", "tf_slim", 78.0, 93.9, "TF-slim README, inception_v3"),
    _paper("inception_v4", 20.0, 5.0, "Table 2 (single model, single crop)"),
    Accuracy("inception_v4", "tf_slim", 80.2, 95.2, "TF-slim README, inception_v4"),
    _paper("inception_resnet_v1", 21.3, 5.5, "Table 2 (single model, single crop; no public weights)"),
    _paper("inception_resnet_v2", 19.9, 4.9, "Table 2 (single model, single crop)"),
    Accuracy("inception_resnet_v2", "keras", 80.3, 95.3, "keras.applications table, InceptionResNetV2"),
    Accuracy("inception_resnet_v2", "tf_slim", 80.4, 95.3, "TF-slim README, inception_resnet_v2"),
)


def accuracies(variant: Optional[str] = None) -> list[Accuracy]:
    """Published results, all or for one variant (paper first, then the zoos)."""
    return [a for a in ACCURACY if variant is None or a.variant == variant]


def best_published(variant: str) -> Optional[Accuracy]:
    """The zoo result with the highest top-1 (else the paper's), for the overview table."""
    rows = accuracies(variant)
    zoo = [a for a in rows if a.source != "paper" and a.top1 is not None]
    if zoo:
        return max(zoo, key=lambda a: a.top1)
    return rows[0] if rows else None


# --------------------------------------------------------------------------- parameter counts
@dataclass(frozen=True)
class ParamCount:
    """A published / reference parameter count (1000 classes).

    counting: "keras" = Keras `count_params()` (with BN moving statistics) = `Cost.params`;
    "trainable" = PyTorch's count (no running statistics) = `Cost.trainable_params`;
    "no_top" = Keras count without the classifier (include_top=False) = params - main head.
    choices: the design choices that reproduce it, or None where no combination of choices does
    (then it is shown, but not tested)."""

    variant: str
    description: str
    params: int
    counting: str
    source: str
    choices: Optional[tuple[tuple[str, object], ...]] = ()

    @property
    def computable(self) -> bool:
        return self.choices is not None


PARAM_COUNTS: tuple[ParamCount, ...] = (
    ParamCount("googlenet", "paper (biases, no BN, 5x5 kernels), no aux heads", 6_998_552, "keras",
               "arXiv:1409.4842 Table 1, recomputed"),
    ParamCount("googlenet", "paper, with both aux heads", 13_378_280, "keras",
               "arXiv:1409.4842 Table 1 and sec. 5, recomputed", (("aux_heads", True),)),
    ParamCount("googlenet", "as torchvision ships it (BN, no conv bias, 3x3 in the \"5x5\" branch)",
               6_624_904, "trainable", "torchvision GoogLeNet_Weights.IMAGENET1K_V1.meta (num_params)",
               _GOOGLENET_TV),
    ParamCount("googlenet", "torchvision, with aux heads", 13_004_888, "trainable",
               "torchvision GoogLeNet(aux_logits=True)", _GOOGLENET_TV + (("aux_heads", True),)),
    ParamCount("bn_inception", "TF-slim inception_v2 (separable 7x7 stem with bias)", 11_198_112, "keras",
               "TF-slim inception_v2", _BN_SLIM),
    ParamCount("bn_inception", "TF-slim inception_v2 with a plain 7x7 conv + BN stem", 11_204_936, "keras",
               "TF-slim inception_v2 (use_separable_conv=False)", None),
    ParamCount("bn_inception", "Cadene bninception (paper's per-branch numbers, conv biases)", 11_295_240,
               "trainable", "pretrainedmodels bninception"),
    ParamCount("inception_v3", "keras.applications InceptionV3", 23_851_784, "keras",
               "keras.applications InceptionV3().count_params()"),
    ParamCount("inception_v3", "keras.applications InceptionV3, include_top=False", 21_802_784, "no_top",
               "keras.applications InceptionV3(include_top=False)"),
    ParamCount("inception_v3", "with the aux head (TF-slim / torchvision form)", 27_179_376, "keras",
               "TF-slim inception_v3, torchvision inception_v3", (("aux_heads", True),)),
    ParamCount("inception_v4", "Keras style (conv without bias, BN scale=False), no aux head", 42_711_400,
               "keras", "TF-slim inception_v4 variable total"),
    ParamCount("inception_v4", "timm inception_v4 (BN with gamma)", 42_679_816, "trainable", "timm",
               (("bn_scale", True),)),
    ParamCount("inception_v4", "with TF-slim's aux head", 46_071_760, "keras", "TF-slim inception_v4",
               (("aux_heads", True),)),
    ParamCount("inception_resnet_v2", "keras.applications InceptionResNetV2", 55_873_736, "keras",
               "keras.applications InceptionResNetV2().count_params()"),
    ParamCount("inception_resnet_v2", "keras.applications InceptionResNetV2, include_top=False", 54_336_736,
               "no_top", "keras.applications InceptionResNetV2(include_top=False)"),
    ParamCount("inception_resnet_v2", "with TF-slim's aux head", 59_242_288, "keras",
               "TF-slim inception_resnet_v2", (("aux_heads", True),)),
)


@dataclass(frozen=True)
class MacsReference:
    variant: str
    macs: float  # multiply-accumulates
    input_size: int
    source: str
    note: str = ""


MACS_REFERENCES: tuple[MacsReference, ...] = (
    MacsReference("googlenet", 1.5e9, 224, "arXiv:1409.4842 sec. 5 (\"1.5 billion multiply-adds\")",
                  "torchvision lists 1.50 GFLOPS for its GoogLeNet"),
    MacsReference("inception_v3", 5.73e9, 299, "timm (5.73 GMACs)",
                  "the paper says about 5 billion multiply-adds"),
)


def param_counts(variant: Optional[str] = None) -> list[ParamCount]:
    return [p for p in PARAM_COUNTS if variant is None or p.variant == variant]


# --------------------------------------------------------------------------- ablations
@dataclass(frozen=True)
class V3AblationRow:
    step: str
    top1_error: float
    change: str


V3_TABLE3_SOURCE = "arXiv:1512.00567 Table 3 (single crop, cumulative: each row adds to the one above)"
V3_TABLE3: tuple[V3AblationRow, ...] = (
    V3AblationRow("Inception-v2 (baseline)", 23.4, "the paper's Inception-v2 network (its Table 1)"),
    V3AblationRow("+ RMSProp", 23.1, "RMSProp optimizer instead of SGD with momentum"),
    V3AblationRow("+ Label smoothing", 22.8, "label-smoothing regularisation (epsilon 0.1)"),
    V3AblationRow("+ Factorized 7x7", 21.6, "first 7x7 conv factorised into a stack of 3x3 convs"),
    V3AblationRow("+ BN-auxiliary", 21.2, "batch norm in the auxiliary classifier's FC layer = Inception-v3"),
)


@dataclass(frozen=True)
class GoogLeNetCropsRow:
    models: int
    crops: int
    top5_error: float

    @property
    def cost(self) -> int:
        """Forward passes per image (the paper's "Cost" column): models x crops."""
        return self.models * self.crops


GOOGLENET_TABLE3_SOURCE = ("arXiv:1409.4842 Table 3 (GoogLeNet classification performance break down; "
                           "ILSVRC 2014 validation set, top-5 error)")
GOOGLENET_TABLE3: tuple[GoogLeNetCropsRow, ...] = (
    GoogLeNetCropsRow(1, 1, 10.07),
    GoogLeNetCropsRow(1, 10, 9.15),
    GoogLeNetCropsRow(1, 144, 7.89),
    GoogLeNetCropsRow(7, 1, 8.09),
    GoogLeNetCropsRow(7, 10, 7.62),
    GoogLeNetCropsRow(7, 144, 6.67),
)

AUX_LOSS_WEIGHT = 0.3
AUX_LOSS_SOURCE = ("arXiv:1409.4842 sec. 5: \"during training, their loss gets added to the total loss "
                   "of the network with a discount weight (the losses of the auxiliary classifiers were "
                   "weighted by 0.3)\"")

# --------------------------------------------------------------------------- paper vs shipped
# Notes that are not in the specs' `deviations` (those stay with the specs).
EXTRA_DEVIATIONS: dict[str, tuple[str, ...]] = {
    "googlenet": (
        "TF-slim's inception_v1 checkpoint has 1001 classes (index 0 = background).",
    ),
    "bn_inception": (
        "TF-slim's inception_v2 checkpoint has 1001 classes (index 0 = background).",
    ),
    "inception_v3": (
        "keras.applications names the modules mixed0..mixed10 and auto-names its layers "
        "(conv2d_17...); the explorer uses TF-slim's mixed_5b..mixed_7c and parseable names.",
        "Pretrained auxiliary heads exist only in TF-slim's and torchvision's checkpoints; with "
        "Keras's ImageNet weights an aux head here starts from random weights.",
        "TF-slim's checkpoint has 1001 classes (index 0 = background); keras.applications has 1000.",
    ),
    "inception_v4": (
        "No Keras ImageNet file exists; the explorer converts TF-slim's checkpoint (choose it under "
        "Weights in the sidebar).",
    ),
    "inception_resnet_v2": (
        "Pretrained auxiliary heads exist only in TF-slim's checkpoint.",
    ),
}


def extra_deviations(variant: str) -> tuple[str, ...]:
    return EXTRA_DEVIATIONS.get(variant, ())


def paper_vs_shipped(variant: str) -> tuple[str, ...]:
    """Every note on how `variant`'s paper differs from what is shipped (the spec's deviations, the
    notes above, then the spec's notes), each fact once, in the order the Architecture page lists them."""
    s = get_spec(variant)
    return tuple(s.deviations) + extra_deviations(variant) + tuple(s.notes)


# --------------------------------------------------------------------------- what the papers say per choice
ARXIV_V1_CITE = "Szegedy et al., Going Deeper with Convolutions, arXiv:1409.4842"
ARXIV_V3_CITE = "Szegedy et al., Rethinking the Inception Architecture, arXiv:1512.00567"
ARXIV_BN_CITE = "Ioffe & Szegedy, Batch Normalization, arXiv:1502.03167"

# What the papers say about each choice the shipped sweep toggles.
PUBLISHED = {
    "reduce_1x1": {
        "published": "No accuracy ablation published. The paper's argument is cost: without the 1x1 "
                     "reductions ('naive' module, Fig. 2a) the 5x5 and pooling paths blow up the "
                     "computation from stage to stage.",
        "source": f"{ARXIV_V1_CITE}, sec. 4",
    },
    "aux_heads": {
        "published": "Auxiliary classifiers: a minor effect, about +0.5% top-1 (one head gives the "
                     "same effect). Inception-v3: +0.4% top-1 with a batch-normalised aux head "
                     "(Table 3: 21.6 -> 21.2% error).",
        "delta_top1": 0.5,
        "source": f"{ARXIV_V1_CITE}, sec. 5; {ARXIV_V3_CITE}, Table 3",
    },
    "batch_norm": {
        "published": "Batch normalisation: the same accuracy as Inception in 14 times fewer "
                     "training steps, and a higher final accuracy (BN-Inception).",
        "source": f"{ARXIV_BN_CITE}, abstract and sec. 4.2",
    },
    "factorize_5x5": {
        "published": "Two stacked 3x3 convolutions instead of a 5x5: the same receptive field for 28% "
                     "fewer operations ((9 + 9) / 25) when input, middle and output widths are equal "
                     "(the paper's setting). With widths r -> m -> f the pair has 9 m (r + f) weights "
                     "against 25 r f, so the saving depends on the widths: the paper's m = sqrt(r f) saves "
                     "for 0.18 r < f < 5.5 r, m = f only while f < 1.78 r (the Design costs page computes it "
                     "for each configuration). No accuracy ablation of this change alone is published; it "
                     "is part of the Inception-v2/v3 design (BN-Inception already uses it).",
        "source": f"{ARXIV_V3_CITE}, sec. 3.1",
    },
}

LABELS = {
    "published": "published (ImageNet)",
    "measured": "measured here (synthetic shapes)",
}
