"""Published metadata against the code: every reference parameter count that some combination of
design choices reproduces must equal `explorer.cost` exactly (as torchvision checks its weights'
meta against the built model), and every published figure carries a source."""
import pytest

import explorer
from explorer.zoo import published as metadata

COMPUTABLE = [p for p in metadata.PARAM_COUNTS if p.computable]


def _count(p: metadata.ParamCount) -> int:
    c = explorer.cost(p.variant, **dict(p.choices))
    if p.counting == "keras":
        return c.params
    if p.counting == "trainable":
        return c.trainable_params
    if p.counting == "no_top":
        return c.params - c.heads[0].params
    raise AssertionError(f"unknown counting {p.counting!r}")


@pytest.mark.parametrize("ref", COMPUTABLE, ids=lambda p: f"{p.variant}-{p.params}")
def test_reference_param_counts_equal_cost(ref):
    assert _count(ref) == ref.params, f"{ref.variant}: {ref.description} ({ref.source})"


@pytest.mark.parametrize("variant,params", [
    ("googlenet", 6_998_552), ("inception_v3", 23_851_784), ("inception_resnet_v2", 55_873_736),
    ("inception_v4", 42_711_400)])
def test_headline_counts(variant, params):
    assert explorer.cost(variant).params == params


def test_every_variant_has_a_published_accuracy_with_a_source():
    for v in explorer.list_variants():
        rows = metadata.accuracies(v)
        assert rows, v
        assert rows[0].source == "paper"
        for a in rows:
            assert a.source in metadata.SOURCES
            assert a.citation and a.url.startswith("https://")
            assert a.top1 is not None or a.top5 is not None
            for value in (a.top1, a.top5):
                assert value is None or 60 < value < 100
            explorer.choices(v, **a.config())  # the configuration is valid for the variant


def test_paper_errors_are_converted():
    v3 = [a for a in metadata.accuracies("inception_v3") if a.source == "paper"][0]
    assert v3.error == (21.2, 5.6) and v3.top1 == 78.8 and v3.top5 == 94.4
    g = metadata.accuracies("googlenet")[0]
    assert g.top1 is None and g.top5 == 89.93


def test_ablation_tables():
    assert [r.top1_error for r in metadata.V3_TABLE3] == [23.4, 23.1, 22.8, 21.6, 21.2]
    assert [(r.models, r.crops, r.cost, r.top5_error) for r in metadata.GOOGLENET_TABLE3] == [
        (1, 1, 1, 10.07), (1, 10, 10, 9.15), (1, 144, 144, 7.89), (7, 1, 7, 8.09), (7, 10, 70, 7.62),
        (7, 144, 1008, 6.67)]


def test_macs_references_are_close_to_the_cost_model():
    for ref in metadata.MACS_REFERENCES:
        macs = explorer.cost(ref.variant, input_size=ref.input_size).macs
        assert abs(macs - ref.macs) / ref.macs < 0.06, (ref.variant, macs)


def test_metadata_imports_no_keras_or_streamlit():
    import subprocess
    import sys
    code = ("import sys, explorer.zoo.published; "
            "assert 'keras' not in sys.modules and 'streamlit' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)



def test_paper_vs_shipped_says_each_fact_once():
    """The Architecture page's "Paper vs shipped" list (spec deviations and notes, plus the published
    module's extra notes) said three facts twice: Inception-v3's module names, Inception-ResNet-v1's
    missing weights, Inception-ResNet-v2's stem."""
    def saying(v, *words):
        return [n for n in metadata.paper_vs_shipped(v) if all(w in n for w in words)]

    for v in explorer.list_variants():
        notes = metadata.paper_vs_shipped(v)
        spec = explorer.get_spec(v)
        assert set(spec.deviations) | set(spec.notes) | set(metadata.extra_deviations(v)) == set(notes)
        assert len(set(notes)) == len(notes), v
    assert len(saying("inception_v3", "mixed0..mixed10")) == 1
    assert len(saying("inception_resnet_v1", "ImageNet weights")) == 1
    assert len(saying("inception_resnet_v2", "stem")) == 1
    assert [len(metadata.paper_vs_shipped(v)) for v in explorer.list_variants()] == [5, 3, 5, 2, 1, 4]
    assert len(saying("inception_v4", "converts TF-slim's checkpoint")) == 1
