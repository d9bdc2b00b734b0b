"""The Explain page in Streamlit's AppTest, on an uploaded generated photo: the per-branch Grad-CAM
shares, the knock-out heatmap and the top-5 with a branch switched off are the library's numbers
for the app's own model; a unit picked on a feature map gets the receptive-field box of
`explorer.explain.receptive_field`; the view round-trips through the URL; feature visualisation
runs when switched on. A small GoogLeNet (width 0.25, 96 px, aux heads) keeps it quick, but it
runs the whole app: `slow`."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import explorer
from explorer.explain import predict_gated, receptive_field
from explorer.figures.explain import knockout_value
from pages.ui import models
from tests.test_app import photo_png

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("explain_app")]

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
SMALL = dict(variant="googlenet", width="0.25", input_size="96", aux_heads="1")


def _page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in {**SMALL, **query}.items():
        at.query_params[k] = str(v)
    return at.switch_page("pages/explain.py").run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _model():
    c = explorer.choices("googlenet", width=0.25, input_size=96, aux_heads=True)
    return models.model_store().get("googlenet", c, "random").model


def _chart(at: AppTest, key: str) -> dict:
    for e in at.get("plotly_chart"):
        if e.proto.id.endswith(f"-{key}"):
            return json.loads(e.proto.spec)
    raise AssertionError(f"no chart {key}")


def _captions(at: AppTest) -> list[str]:
    return [c for im in at.image for c in im.captions] + [c.value for c in at.caption]


def test_gradcam_knockout_and_switches_on_an_upload():
    at = _page(module="inception_4a")
    at.file_uploader(key="upload").set_value(("photo.png", photo_png(seed=4), "image/png")).run()
    _clean(at)
    image = explorer.load_image(photo_png(seed=4))
    assert any("your upload (photo.png)" in c for c in _captions(at))
    model = _model()
    # Grad-CAM: one overlay per branch (and the module), the library's shares
    cam = explorer.branch_gradcam(model, image, "inception_4a", class_index=at.selectbox(key="cls").value)
    shares = {m.group(1): int(m.group(2)) for c in _captions(at)
              if (m := re.match(r"(\w+): (\d+)% of the evidence", c))}
    assert shares == {b.label: round(100 * b.share) for b in cam.branches}
    bars = _chart(at, "cam_shares")["data"][0]
    np.testing.assert_allclose(bars["x"], [b.share for b in cam.branches], rtol=1e-5)
    # the knock-out heatmap: every branch of every module, the library's numbers
    ko = explorer.knockout(model, image, class_index=cam.class_index)
    heat = _chart(at, "ko_heatmap")["data"][0]
    assert heat["y"] == [f"inception_{m}" for m in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")]
    row = next(r for r in ko.table() if (r["module"], r["branch"]) == ("inception_4b", "b3"))
    assert heat["z"][3][2] == pytest.approx(knockout_value(row, ko.p_intact, "relative"), rel=1e-4)
    at.radio(key="ko_kind").set_value("mean").run()
    heat = _chart(at, "ko_heatmap")["data"][0]
    assert heat["z"][3][2] == pytest.approx(knockout_value(row, ko.p_intact, "relative", "mean"), rel=1e-4)
    # switch the 3x3 branch off: the top-5 of every head follow, the Grad-CAM map of b2 goes blank
    at.toggle(key="off__inception_4a__b2").set_value(True).run()
    _clean(at)
    assert at.query_params["off"] == "inception_4a.b2"
    assert any(c.startswith("Switched off: inception_4a/b2") for c in _captions(at))
    assert any(re.match(r"3x3: 0% of the evidence · switched off", c) for c in _captions(at))
    want = predict_gated(model, image, zeroed=[("inception_4a", "b2")])
    tables = [d.value for d in at.dataframe if list(d.value.columns) == ["class", "p", "intact", "change"]]
    assert len(tables) == 3
    for table, head in zip(tables, ("main", "aux_1", "aux_2")):
        assert list(table["class"]) == [name for _, name, _, _ in want[head]]
        np.testing.assert_allclose(table["p"], [100 * p for *_, p, _ in want[head]], rtol=1e-5)
    at.button(key="all_on").click().run()
    _clean(at)
    assert "off" not in at.query_params and at.toggle(key="off__inception_4a__b2").value is False


def test_a_unit_picked_on_the_map_gets_its_receptive_field():
    at = _page(module="inception_3a", branch="b3")
    _clean(at)
    net = explorer.model_info(_model()).net
    field = receptive_field(net, "inception_3a", "b3")
    for row, col in ((0, 0), (5, 2), (11, 11)):
        at.number_input(key="row").set_value(row).run()
        at.number_input(key="col").set_value(col).run()
        _clean(at)
        top, left, bottom, right = field.box(row, col)
        assert any(c.startswith(f"Unit ({row}, {col}) of inception_3a/b3 sees rows {top}–{bottom}, columns "
                                f"{left}–{right}") for c in _captions(at))
        assert at.query_params["row"] == str(row) and at.query_params["col"] == str(col)
    assert any(field.text in m.value for m in at.markdown)
    assert field.text.startswith("1x1 -> 5x5, stride 8")


def test_the_view_round_trips_through_the_url():
    at = _page(module="inception_4a", classifier="aux_1", cls=7, off="inception_3b.b1,inception_4a.b4",
               ko_measure="points", ko_kind="mean", branch="b2", row=1, col=2, resize="stretch", sample="rocket")
    _clean(at)
    assert at.selectbox(key="resize").value == "stretch" and at.selectbox(key="sample").value == "rocket"
    assert at.radio(key="classifier").value == "aux_1" and at.selectbox(key="module").value == "inception_4a"
    assert at.selectbox(key="cls").value == 7
    assert at.toggle(key="off__inception_4a__b4").value is True and at.toggle(key="off__inception_4a__b1").value is False
    assert any(c.startswith("Switched off: inception_3b/b1, inception_4a/b4") for c in _captions(at))
    assert at.radio(key="ko_measure").value == "points" and at.radio(key="ko_kind").value == "mean"
    assert at.radio(key="branch").value == "b2"
    assert (at.number_input(key="row").value, at.number_input(key="col").value) == (1, 2)
    heat = _chart(at, "ko_heatmap")["data"][0]
    assert heat["y"] == ["inception_3a", "inception_3b", "inception_4a"]  # what aux_1 reads
    fresh = _page(**{k: v for k, v in at.query_params.items()})
    _clean(fresh)
    assert fresh.selectbox(key="cls").value == 7 and fresh.radio(key="ko_kind").value == "mean"
    assert fresh.selectbox(key="resize").value == "stretch" and fresh.query_params["off"] == "inception_3b.b1,inception_4a.b4"
    # an aux head cannot explain a module after it: the module falls back to one it reads
    late = _page(module="inception_5b", classifier="aux_1")
    _clean(late)
    assert late.selectbox(key="module").value == "inception_4a"


def test_feature_visualisation_when_switched_on():
    at = _page(module="inception_4a", branch="b2", channel=3, vis=1, steps=64, vis_size=96)
    _clean(at)
    vis = explorer.visualize_channel(_model(), "inception_4a", "b2", 3, steps=64, size=96)  # the page's, cached
    metric = next(m for m in at.metric if m.label == "Channel's mean activation")
    assert metric.value == f"{vis.activation:.4f}" and vis.activation > vis.start_activation
    assert any(c.startswith("64 steps, 96 px") for c in _captions(at))
    assert any("only for **trained** weights" in i.value for i in at.info)
    assert at.query_params["vis"] == "1"


def test_an_upload_made_on_another_page_stays_in_use_until_dropped():
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in SMALL.items():
        at.query_params[k] = v
    at.switch_page("pages/activations.py").run()
    at.file_uploader(key="upload").set_value(("mine.png", photo_png(seed=5), "image/png")).run()
    _clean(at)
    # the same browser session on Explain (AppTest cannot switch to a callable page after a run:
    # a new session with what Activations left in the session state)
    upload = at
    at = AppTest.from_file(APP, default_timeout=300)
    for k, v in upload.query_params.items():  # the session after a page switch: the URL it wrote, already read
        at.query_params[k] = v
    for k in ("_upload_cache", "_upload_name", "_keep", "_url_loaded", "_url_written", "variant", "weights",
              "opt_width", "opt_input_size", "opt_aux_heads"):
        at.session_state[k] = upload.session_state[k]
    at.switch_page("pages/explain.py").run()
    _clean(at)
    assert at.selectbox(key="sample").value == "upload"
    assert any("your upload (mine.png" in c for c in _captions(at))
    assert "sample" not in at.query_params or at.query_params["sample"] != "upload"  # never in the URL
    at.selectbox(key="sample").set_value("chelsea").run()  # back to a sample: the upload stays one click away
    _clean(at)
    assert any("sample: Chelsea the cat" in c for c in _captions(at))
    assert any("mine.png" in o for o in at.selectbox(key="sample").options)


def test_a_large_sweep_waits_for_its_switch(monkeypatch):
    import pages.explain

    monkeypatch.setattr(pages.explain, "AUTO_SWEEP", 20)  # GoogLeNet's 36 branches count as large
    at = _page(module="inception_4a")
    _clean(at)
    assert at.toggle(key="ko").value is False
    assert any("36 branches to knock out" in i.value and "73 images in 10 batched forward passes" in i.value for i in at.info)
    assert not any(e.proto.id.endswith("-ko_heatmap") for e in at.get("plotly_chart"))
    at.toggle(key="ko").set_value(True).run()
    _clean(at)
    assert _chart(at, "ko_heatmap")["data"][0]["type"] == "heatmap" and at.query_params["ko"] == "1"


def test_an_untrained_aux_head_of_trained_weights_is_flagged(monkeypatch):
    import dataclasses

    real = models.get_model

    def trained_trunk(view):  # as if a checkpoint had trained the trunk and main head only
        entry = real(view)
        info = dataclasses.replace(entry.info, weights="keras", heads_trained=(True, False, False))
        return dataclasses.replace(entry, info=info)

    monkeypatch.setattr(models, "get_model", trained_trunk)
    at = _page(module="inception_4a", classifier="aux_1")
    _clean(at)
    assert any("have no trained aux_1" in w.value for w in at.warning)
    at.radio(key="classifier").set_value("main").run()
    _clean(at)
    assert not any("have no trained" in w.value for w in at.warning)
