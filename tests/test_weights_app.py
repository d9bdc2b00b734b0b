"""The app with trained weights (AppTest, no browser, no network): the Weights selector lists every
source of the variant with what it trains, defaults to one already in the Keras cache and sets the
design choices the weights imply; predictions mark each head trained or untrained; a design change
on trained weights keeps the untouched layers and lists the others; the Overview says which
variants can be pretrained. The cache holds a TF-slim inception_v1 tarball written by the test."""
from __future__ import annotations

import pytest

import explorer
from explorer.inference import weights as W
from explorer.inference.weights import slim
from pages.ui import models
from tests.test_app import make_app, texts, top5_tables
from tests.test_weights import V1, perturbed, tarball

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app")]


@pytest.fixture()
def slim_cache(tmp_path, monkeypatch):
    """A Keras cache holding (only) a TF-slim inception_v1 tarball, imported as a user would."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    model = perturbed(explorer.build("googlenet", input_size=64, **V1))
    prefix = slim.export_checkpoint(model, tmp_path / "ckpt" / "inception_v1.ckpt")
    W.import_file(tarball(prefix, tmp_path, W.get_source("googlenet", "tf_slim").file))
    models.model_store().forget_failure("googlenet")
    return tmp_path


def test_the_selector_lists_sources_defaults_to_the_cached_one_and_marks_heads(slim_cache):
    at = make_app("activations", variant="googlenet", input_size=96, aux_heads=1)
    assert not at.exception, [e.value for e in at.exception]
    weights = at.sidebar.selectbox(key="weights")
    assert weights.value == "tf_slim" and weights.options == ["random (untrained)",
                                                              "TF-slim inception_v1: main head only trained (cached)"]
    assert at.sidebar.toggle(key="opt_batch_norm").value is True  # the weights imply TF-slim's configuration
    assert at.sidebar.radio(key="opt_kernel_5x5").value == 3
    assert at.sidebar.selectbox(key="opt_table").value == "tf_slim"
    assert at.query_params["weights"] == "tf_slim" and "batch_norm" not in at.query_params
    assert at.selectbox(key="resize").value == "central"  # TF-slim's own evaluation fit, by default
    heads = [m.value for m in at.markdown if "head" in m.value or "Aux" in m.value]
    assert any("Main head" in h and "green-badge[trained]" in h for h in heads), heads
    assert sum("orange-badge[untrained]" in h for h in heads) == 2, heads  # inception_v1 has no aux heads
    assert len(top5_tables(at)) == 3
    status = texts(at)
    assert "TF-slim inception_v1: main head only trained" in status and "predictions below mean nothing" not in status
    assert "have no trained auxiliary heads" in status


def test_a_design_change_keeps_the_untouched_layers_and_lists_the_others(slim_cache):
    at = make_app("activations", variant="googlenet", input_size=96)
    assert at.sidebar.selectbox(key="weights").value == "tf_slim"
    at.sidebar.toggle(key="opt_reduce_1x1").set_value(False).run()
    assert not at.exception, [e.value for e in at.exception]
    status = texts(at)
    assert "Partly trained" in status and "Differs from the configuration these weights were trained with" in status
    expander = [e for e in at.expander if "could not keep their weights" in e.label]
    assert expander and "inception_3a__b2_3x3__conv" in expander[0].code[0].value
    assert any("Main head" in m.value and "untrained" in m.value for m in at.markdown)
    assert at.query_params["reduce_1x1"] == "0"


def test_switching_weights_sets_the_choices_and_the_overview_says_who_has_weights(slim_cache):
    at = make_app("architecture", variant="googlenet")
    assert at.sidebar.selectbox(key="weights").value == "tf_slim"
    at.sidebar.selectbox(key="weights").set_value("random").run()
    assert at.sidebar.toggle(key="opt_batch_norm").value is True  # random keeps the architecture it had
    at.sidebar.selectbox(key="variant").set_value("inception_resnet_v1").run()
    assert at.sidebar.selectbox(key="weights").options == ["random (untrained)"]
    assert any("no public ImageNet checkpoint" in c.value for c in at.sidebar.caption)
    overview = make_app("overview")
    assert not overview.exception
    table = next(d.value for d in overview.dataframe if "heads trained" in d.value.columns)
    assert len(table) == 8 and set(table["source"]) >= {"TF-slim inception_v4", "keras.applications InceptionV3"}
    assert "main + auxiliary heads" in set(table["heads trained"])
    aux = dict(zip(table["source"], table["aux"]))  # the column shown (the main head is always trained)
    assert aux["TF-slim inception_v4"] == "✓" and aux["keras.applications InceptionV3"] == "✗" and aux["none"] == "—"
    assert "Inception-ResNet-v1: no public ImageNet checkpoint" in texts(overview)
    assert "TF-slim inception_v1 in the Keras cache" in texts(overview)
