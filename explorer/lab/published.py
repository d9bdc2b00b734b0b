"""Published ImageNet ablations, to show beside the lab's measurements (metadata beside, not inside,
the code: every figure carries its source)."""
from __future__ import annotations

import dataclasses

from explorer import metadata

ARXIV_V1 = "Szegedy et al., Going Deeper with Convolutions, arXiv:1409.4842"
ARXIV_V3 = "Szegedy et al., Rethinking the Inception Architecture, arXiv:1512.00567"
ARXIV_BN = "Ioffe & Szegedy, Batch Normalization, arXiv:1502.03167"

# Inception-v3 paper, Table 3 (cumulative single-crop top-1 error): one copy, in explorer.metadata.
V3_TABLE3 = tuple(dataclasses.asdict(row) for row in metadata.V3_TABLE3)
V3_TABLE3_SOURCE = metadata.V3_TABLE3_SOURCE

# What the papers say about each choice the shipped sweep toggles.
PUBLISHED = {
    "reduce_1x1": {
        "published": "No accuracy ablation published. The paper's argument is cost: without the 1x1 "
                     "reductions ('naive' module, Fig. 2a) the 5x5 and pooling paths blow up the "
                     "computation from stage to stage.",
        "source": f"{ARXIV_V1}, sec. 4",
    },
    "aux_heads": {
        "published": "Auxiliary classifiers: a minor effect, about +0.5% top-1 (one head gives the "
                     "same effect). Inception-v3: +0.4% top-1 with a batch-normalised aux head "
                     "(Table 3: 21.6 -> 21.2% error).",
        "delta_top1": 0.5,
        "source": f"{ARXIV_V1}, sec. 5; {ARXIV_V3}, Table 3",
    },
    "batch_norm": {
        "published": "Batch normalisation: the same accuracy as Inception in 14 times fewer "
                     "training steps, and a higher final accuracy (BN-Inception).",
        "source": f"{ARXIV_BN}, abstract and sec. 4.2",
    },
    "factorize_5x5": {
        "published": "Two stacked 3x3 convolutions instead of a 5x5: the same receptive field for 28% "
                     "fewer operations ((9 + 9) / 25). No accuracy ablation of this change alone is "
                     "published; it is part of the Inception-v2/v3 design (BN-Inception already uses it).",
        "source": f"{ARXIV_V3}, sec. 3.1",
    },
}

LABELS = {
    "published": "published (ImageNet)",
    "measured": "measured here (synthetic shapes)",
}
