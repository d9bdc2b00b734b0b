"""The Ablation lab page: renders stored results (shipped and uploaded), labels published vs
measured, shows how to reproduce, and a live run drives the progress bar. The page runs inside the
whole app (router, sidebar), opened as a fresh session would open /ablation: `slow`."""
from __future__ import annotations

import dataclasses
import gc
import json
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import explorer
from explorer import lab
from explorer.lab import findings, summary, sweep
from explorer.zoo.published import LABELS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("lab")]

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 120


def _page() -> AppTest:
    """A fresh session on the Ablation lab (not yet run)."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT).switch_page("pages/ablation.py")


def _fixture_records() -> list[dict]:
    """A small stored results file: baseline and two changes x 2 seeds (metrics made up)."""
    base = dataclasses.replace(lab.SHIPPED.base, epochs=1)
    recs = []
    for seed in (0, 1):
        for change, acc in (({}, 0.5), ({"batch_norm": True}, 0.6), ({"aux_heads": True}, 0.55)):
            cfg = dataclasses.replace(base, choices={**dict(base.choices), **change}, seed=seed)
            c = explorer.cost(cfg.variant, **cfg.choice_kwargs())
            result = {"accuracy": acc + 0.02 * seed, "aux_accuracy": [acc - 0.05] * (2 if "aux_heads" in change else 0),
                      "loss": 1.2, "aux_loss": [], "train_loss": [1.5], "chance": 1 / 6, "params": c.params,
                      "trainable_params": c.trainable_params, "macs": c.macs, "loss_weights": [1.0],
                      "wall_s": 100.0, "train_s": 90.0, "data_s": 1.0, "backend": "tensorflow",
                      "device": "CPU (fixture)", "strategy": "default", "mixed_precision": False,
                      "notes": [], "resolved_choices": {}, "versions": {"python": "3"}}
            recs.append(sweep._record(change, cfg, result))
    return recs


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [e.value for e in at.subheader] + [e.value for e in at.title]
    return "\n".join(str(p) for p in parts)


def _table(at: AppTest, column: str):
    """The first dataframe (as pandas) that has `column`."""
    for df in list(at.dataframe) + list(at.table):
        value = df.value.reset_index() if df.value.index.name else df.value
        if column in value.columns:
            return value
    raise AssertionError(f"no table with a {column!r} column")


def _no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_page_renders_the_shipped_results():
    if not lab.SHIPPED.path.exists():
        pytest.skip("shipped results not generated yet")
    at = _page().run()
    _no_errors(at)
    assert at.radio(key="lab_source").value == "shipped"
    charts = at.get("plotly_chart")
    # accuracy vs params (or MACs: a radio in the URL), learning curves, learning-rate search, v3 Table 3, deltas
    assert len(charts) >= 5
    assert "parameters" in json.loads(charts[0].proto.spec)["layout"]["xaxis"]["title"]["text"]
    table = _table(at, "configuration")
    assert "baseline" in list(table["configuration"]) and len(table) >= 1
    assert {"learning rate", "steps to baseline's accuracy", "BN moving-average accuracy %"} <= set(table.columns)
    rows = lab.summarize(lab.load_results(lab.SHIPPED.path))
    assert list(table["learning rate"]) == [summary.lr_text(r) for r in rows]  # "(chosen)" or "so far"
    assert table["learning rate"][0].endswith("(chosen)")  # the baseline's search is complete
    text = _texts(at)
    assert LABELS["published"] in text and LABELS["measured"] in text
    assert "re-estimated on training images" in text and "validation split" in text  # the recipe
    assert findings.status_line(lab.load_results(lab.SHIPPED.path), lab.SHIPPED) in text  # how far the sweep is
    assert "What these results say" in text and "Batch norm ends" in text
    assert "the sidebar's variant is Inception-v3" in text  # the lab says its results are its own
    assert any(lab.SHIPPED.command in c.value for c in at.code)  # how to reproduce
    spec = json.loads(charts[1].proto.spec)  # learning curves: every configuration, a dashed baseline line
    assert {"baseline", "batch_norm=True"} <= {t.get("name") for t in spec["data"]}
    curve_note = [c.value for c in at.caption if c.value.startswith("Thin lines: each seed")]
    assert len(curve_note) == 1 and "crosses the dashed line" in curve_note[0]
    at.radio(key="lab_curve_metric").set_value("train_loss").run()
    _no_errors(at)
    # the training curves have no dashed line: the caption says what they are instead
    curve_note = [c.value for c in at.caption if c.value.startswith("Thin lines: each seed")]
    assert len(curve_note) == 1 and "Training loss: the main head's" in curve_note[0], curve_note
    assert "dashed" not in curve_note[0] and "training mode" in curve_note[0]
    at.radio(key="lab_x").set_value("macs").run()
    assert "MACs" in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["xaxis"]["title"]["text"]
    assert at.query_params["lab_x"] == "macs" and at.query_params["lab_curve_metric"] == "train_loss"
    assert at.query_params["lab_source"] == "shipped"


def test_page_renders_an_uploaded_results_file():
    data = "".join(json.dumps(r) + "\n" for r in _fixture_records()).encode()
    at = _page().run()
    at.radio(key="lab_source").set_value("upload").run()
    at.file_uploader(key="lab_upload").set_value(("fixture.jsonl", data, "application/json")).run()
    _no_errors(at)
    table = _table(at, "configuration")
    assert list(table["configuration"]) == ["baseline", "batch_norm=True", "aux_heads=True"]
    assert list(table["seeds"]) == [2, 2, 2]
    assert table["accuracy % (mean)"].tolist() == pytest.approx([51.0, 61.0, 56.0])
    assert list(table["vs baseline (points)"]) == ["baseline", "+10.0", "+5.0"]
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # accuracy (a radio picks params or MACs), v3 Table 3, deltas
    spec = json.loads(charts[0].proto.spec)
    names = {t.get("name") for t in spec["data"]}
    assert {"baseline", "batch_norm=True", "aux_heads=True"} <= names
    compare = _table(at, "design choice")
    assert LABELS["published"] in compare.columns and LABELS["measured"] in compare.columns
    measured = dict(zip(compare["design choice"], compare[LABELS["measured"]]))
    assert "+10.0" in measured["batch norm"] and measured["1x1 reductions"] == "not in these results"
    assert any("no per-epoch curves" in c.value for c in at.caption)  # older records: said, not hidden


def test_an_upload_is_read_in_memory_and_a_binary_file_is_refused(tmp_path, monkeypatch):
    """No copy of the upload on disk (the page reruns at every widget change); a file that is not
    text gets a message, not a traceback."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = "".join(json.dumps(r) + "\n" for r in _fixture_records()).encode()
    at = _page().run()
    at.radio(key="lab_source").set_value("upload").run()
    at.file_uploader(key="lab_upload").set_value(("fixture.jsonl", data, "application/json")).run()
    at.radio(key="lab_x").set_value("macs").run()
    _no_errors(at)
    assert list(_table(at, "configuration")["configuration"]) == ["baseline", "batch_norm=True", "aux_heads=True"]
    assert [p.name.startswith("ablation_live_") for p in tmp_path.iterdir()] == [True]  # the live runs' folder only
    at.file_uploader(key="lab_upload").set_value(("photo.jsonl", b"\xff\xd8\xff\xe0 JFIF", "image/jpeg")).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["photo.jsonl is not a text file. Upload the JSON-lines file that "
                                           "`python -m explorer ablate ... --out FILE` wrote."]


def test_live_run_follows_the_sidebar_variant():
    at = _page().run()
    assert "Inception-v3" in " ".join(h.value for h in at.subheader if h.value.startswith("Run live"))
    assert at.selectbox(key="lab_size").value >= 75  # Inception-v3 needs 75 px: the smaller sizes are not offered
    at.sidebar.selectbox(key="variant").set_value("googlenet").run()
    _no_errors(at)
    assert any(h.value.startswith("Run live: GoogLeNet") for h in at.subheader)
    assert at.selectbox(key="lab_size").value == 48


def test_live_run_updates_the_progress_bar():
    at = _page().run()
    at.sidebar.selectbox(key="variant").set_value("googlenet").run()
    at.multiselect(key="lab_toggles").set_value([]).run()  # the baseline alone
    at.number_input(key="lab_n_train").set_value(60).run()
    at.number_input(key="lab_epochs").set_value(1).run()
    assert at.selectbox(key="lab_size").value == 48
    at.button(key="lab_run").click().run()
    _no_errors(at)
    bars = at.get("progress")
    assert len(bars) == 1
    assert bars[0].proto.value == 100 and bars[0].proto.text.startswith("done: 1 run(s) trained")
    assert at.success and "baseline" in at.success[0].value
    # the live results are now selectable and plotted, with their learning curve
    at.radio(key="lab_source").set_value("live").run()
    _no_errors(at)
    table = _table(at, "configuration")
    assert list(table["configuration"]) == ["baseline"] and list(table["seeds"]) == [1]
    assert list(table["learning rate"]) == ["0.0003"]
    assert len(at.get("plotly_chart")) >= 4
    # the session's folder goes with the session
    folder = Path(at.session_state["lab_live_dir"].name)
    assert (folder / "live.jsonl").exists()
    del at, bars  # an element keeps its app (and so the session) alive
    gc.collect()
    assert not folder.exists()


def test_page_in_chinese_shows_the_findings_in_chinese():
    """?lang=zh: the findings, the recipe and the learning-rate column come from the library in
    Chinese (the page passes its `_` as `tr`), with the numbers of the English texts."""
    if not lab.SHIPPED.path.exists():
        pytest.skip("shipped results not generated yet")
    from pages.ui.i18n import translate

    at = _page()
    at.query_params["lang"] = "zh"
    at.run()
    _no_errors(at)
    records = lab.load_results(lab.SHIPPED.path)
    text = _texts(at)
    for line in findings.findings(records, tr=lambda t: translate(t, "zh")):
        assert line in text
    assert "**批归一化与论文对照**" in text and "Batch norm ends" not in text
    assert "**批归一化统计量**" in text and "re-estimated on training images" not in text
    table = _table(at, "configuration")  # column ids stay English, the labels are translated
    assert table["learning rate"][0].endswith("（选中）")
