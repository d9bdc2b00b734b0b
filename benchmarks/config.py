"""What one run measures and how hard (the command line fills this in)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

SECTIONS = ("peak", "models", "reference", "cost", "memory", "app", "gpu")
ALL_VARIANTS = ("googlenet", "bn_inception", "inception_v3", "inception_v4", "inception_resnet_v1",
                "inception_resnet_v2")
QUICK_VARIANTS = ("googlenet", "inception_v3")
REFERENCE = {"inception_v3": "InceptionV3", "inception_resnet_v2": "InceptionResNetV2"}
# Targets (measured by `make bench`, never asserted by the tests): probe / forward and
# branch_activations / predict_on_batch on the CPU; explorer / keras.applications, compiled, as
# built and with batch norm folded; memory over model switches; warm upload -> maps in the app.
GOALS = {"reference_ratio": 1.00, "reference_folded_ratio": 0.95, "probe_ratio": 1.02, "activations_ratio": 1.10,
         "switch_growth": 0.10, "app_upload_s": {"inception_resnet_v2": 0.5}}
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


@dataclass
class Config:
    variants: tuple[str, ...] = ALL_VARIANTS
    sections: tuple[str, ...] = SECTIONS
    model_variants: tuple[str, ...] | None = None  # the per-variant build/forward/probe section (None: variants)
    quick: bool = False
    jit: bool = False  # also time an XLA-compiled function (tf.function(jit_compile=True) / torch.compile)
    batch: int = 32  # throughput batch
    input_size: int | None = None  # None: each variant's default (224 or 299)
    min_repeats: int = 5  # timed calls per latency figure (at least)
    max_repeats: int = 30
    budget_s: float = 3.0  # keep repeating a latency figure while under this many seconds
    throughput_repeats: int = 3
    compare_pairs: int = 10  # interleaved pairs for each ratio (at least)
    compare_budget_s: float = 6.0
    cost_builds: int = 3  # Keras builds timed per variant in the toggle sweep (the rest extrapolated)
    switches: int = 20
    switch_baseline: int | None = None  # None: after each variant was loaded once
    lru: int = 3  # models the app keeps (st.cache_resource max_entries)
    peak_n: int | None = None  # matrix side for the peak; None: 2048 on a CPU, 8192 on a GPU
    app_variants: tuple[str, ...] = ("googlenet", "inception_resnet_v2")
    app_repeats: int = 3
    app_root: Path | None = None  # None: the repository root
    fresh_process: bool = True  # cold start of each variant in its own interpreter (benchmarks.cold)
    max_minutes: float | None = None  # stop starting new sections / variants after this long
    app_whatif: bool = True  # the app section again with Streamlit clearing Keras after every rerun
    out: Path = field(default=DEFAULT_OUT)

    @classmethod
    def quick_config(cls, **kw) -> "Config":
        base = dict(variants=QUICK_VARIANTS, quick=True, min_repeats=2, max_repeats=3, budget_s=0.5,
                    throughput_repeats=1, batch=4, compare_pairs=3, compare_budget_s=0.5, cost_builds=1,
                    switches=5, lru=1, app_repeats=1)
        base.update(kw)
        return cls(**base)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["out"] = str(self.out)
        d["app_root"] = None if self.app_root is None else str(self.app_root)
        return d
