"""The Streamlit app, page by page, with streamlit.testing's AppTest (no browser).

Every page renders without an exception; the numbers shown follow `explorer.cost` when the variant
or a design choice changes; an uploaded photo gives branch feature maps and the top-5 of every head
(without rerunning the forward pass when the module, branch or channel changes); files the
inference layer refuses show their message and the page keeps working; the view round-trips
through the URL. GoogLeNet at 224 px keeps the models small. Every test runs the whole app: `slow`.

A session opens a page with `switch_page` before its first run (AppTest then identifies the page
by its file name, as a browser's deep link does by its URL path); after a run, AppTest's
switch_page only finds file-based pages, and the app's pages are callables, so a test that needs
another page starts another session (tests/test_routing.py).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import explorer
from explorer.figures.fmt import fmt_macs, human
from pages.ui import models

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app")]

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
PAGES = ("overview", "architecture", "activations", "design_costs", "accuracy", "ablation")
TIMEOUT = 180


def make_app(page: str | None = None, **query) -> AppTest:
    """A fresh session on `page` (None: the root URL) with `query` in the URL, after its first run."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = str(v)
    if page:
        at.switch_page(f"pages/{page}.py")
    return at.run()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [cap for im in at.image for cap in im.captions]
    parts += [e.value for e in at.info] + [e.value for e in at.warning] + [e.value for e in at.success]
    return "\n".join(str(p) for p in parts)


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert "Traceback" not in texts(at)
    # a download never reruns the page: a rerun costs a whole page, and it raced the PNGs made on
    # click (a rerun replaces the button's file before the browser asks for it)
    rerunning = [b.key for b in at.get("download_button") if not b.proto.ignore_rerun]
    assert not rerunning, f"download buttons that rerun the page: {rerunning}"


def photo_png(width: int = 320, height: int = 240, seed: int = 0) -> bytes:
    """A photo-like picture: smooth colour gradients, a few soft blobs, some sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([120 + 80 * np.sin(x / 37.0), 100 + 60 * np.cos(y / 23.0), 90 + 50 * np.sin((x + y) / 51.0)], -1)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(20, 70)
        mask = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None]
        img = img * (1 - mask) + rng.uniform(0, 255, 3) * mask
    img += rng.normal(0, 6, img.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def top5_tables(at: AppTest) -> list:
    out = []
    for d in at.dataframe:
        df = d.value
        if list(df.columns) == ["class", "p"]:
            out.append(df)
    return out


# --------------------------------------------------------------------------- every page
@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders(name):
    at = make_app(name, variant="googlenet")
    assert_clean(at)
    assert at.sidebar.selectbox(key="variant").value == "googlenet"


def test_overview_table_and_sample_button():
    at = make_app()
    assert_clean(at)
    table = at.dataframe[0].value
    for v in explorer.list_variants():
        c = explorer.cost(v)
        row = table[table["variant"] == explorer.get_spec(v).title].iloc[0]
        assert row["params (exact)"] == c.params and row["MACs (exact)"] == c.macs
        assert row["params"] == human(c.params)
    assert "- Device: " in texts(at)  # the same line as the sidebar's (where the last forward pass ran)
    at.button(key="open_sample").click().run()  # a sample photo one click away
    assert_clean(at)
    assert at.selectbox(key="sample").value == "chelsea"
    assert at.title[0].value.startswith("Activations")
    assert len(top5_tables(at)) >= 1 and len(at.image) >= 4


def test_overview_opens_googlenets_architecture():
    at = make_app()
    at.button(key="open_googlenet").click().run()
    assert_clean(at)
    assert at.title[0].value == f"Architecture: {explorer.get_spec('googlenet').title}"
    assert at.sidebar.selectbox(key="variant").value == "googlenet"
    assert at.query_params["variant"] == "googlenet" and "module" in at.query_params


def test_activations_default_is_inception_v3_with_weights_status():
    at = make_app("activations")
    assert not at.exception
    assert at.sidebar.selectbox(key="variant").value == "inception_v3"
    status = texts(at)
    if at.sidebar.selectbox(key="weights").value == "random":
        assert "Random weights: the top-5 means nothing." in status
    else:
        assert "ImageNet weights" in status
    assert at.button(key="to_googlenet")  # GoogLeNet one click away
    at.button(key="to_googlenet").click().run()
    assert at.sidebar.selectbox(key="variant").value == "googlenet"
    assert_clean(at)


# --------------------------------------------------------------------------- numbers follow the cost model
def test_architecture_numbers_follow_variant_and_choices():
    at = make_app("architecture", variant="googlenet")
    c = explorer.cost("googlenet")
    assert metric(at, "Parameters") == human(c.params)
    assert metric(at, "MACs per image") == fmt_macs(c.macs)
    assert f"{c.params:,}" in texts(at) and f"{c.macs:,}" in texts(at)

    at.sidebar.selectbox(key="variant").set_value("inception_v4").run()
    assert_clean(at)
    c = explorer.cost("inception_v4")
    assert metric(at, "Parameters") == human(c.params) and f"{c.params:,}" in texts(at)
    modules = next(d.value for d in at.dataframe if "kind" in d.value.columns and "branches" in d.value.columns)
    assert list(modules["params"]) == [r["params"] for r in c.rows()]

    at.sidebar.toggle(key="opt_batch_norm").set_value(False).run()
    assert_clean(at)
    c = explorer.cost("inception_v4", batch_norm=False)
    assert metric(at, "Parameters") == human(c.params)
    assert f"{c.params:,}" in texts(at) and f"{c.macs:,}" in texts(at)

    at.selectbox(key="module").set_value("reduction_a").run()
    assert_clean(at)
    branches = next(d.value for d in at.dataframe if "ops" in d.value.columns)
    m = c.module("reduction_a")
    assert list(branches["params"]) == [p.params for p in m.branches]
    assert list(branches["channels"]) == [p.out_shape[-1] for p in m.branches]


def test_design_costs_follow_toggles():
    at = make_app("design_costs", variant="googlenet")
    assert_clean(at)
    at.sidebar.toggle(key="opt_reduce_1x1").set_value(False).run()
    assert_clean(at)
    d, c = explorer.cost("googlenet"), explorer.cost("googlenet", reduce_1x1=False)
    assert metric(at, "Parameters") == human(c.params)
    assert metric(at, "MACs per image") == fmt_macs(c.macs)
    assert f"{c.params:,}" in texts(at) and f"{d.params:,}" in texts(at)
    single = next(d_.value for d_ in at.dataframe if "toggle" in d_.value.columns)
    row = single[single["toggle"] == "1x1 reductions"].iloc[0]
    assert row["params"] == c.params and row["MACs"] == c.macs

    at.button(key="flip_aux_heads").click().run()  # flip a toggle from the page itself
    assert_clean(at)
    assert at.sidebar.toggle(key="opt_aux_heads").value is True
    c = explorer.cost("googlenet", reduce_1x1=False, aux_heads=True)
    assert metric(at, "Parameters") == human(c.params)
    assert any("0.3" in lx.value and "aux" in lx.value for lx in at.latex)  # the aux-loss formula


def test_preset_applies_choices():
    at = make_app("architecture", variant="googlenet")
    at.sidebar.selectbox(key="preset").set_value("torchvision").run()
    assert_clean(at)
    tv = explorer.get_spec("googlenet").preset("torchvision")
    c = explorer.cost("googlenet", **tv)
    assert at.sidebar.radio(key="opt_kernel_5x5").value == 3
    assert f"{c.params:,}" in texts(at)
    assert "torchvision" in texts(at)


def test_bad_choices_show_the_message_and_the_page_recovers():
    at = make_app("architecture", variant="googlenet", kernel_5x5=3)
    assert not at.error
    at.sidebar.toggle(key="opt_factorize_5x5").set_value(True).run()
    assert not at.exception
    assert at.error and any("cannot be combined" in e.value for e in at.error)
    at.sidebar.button(key="reset_choices").click().run()
    assert_clean(at)
    assert f"{explorer.cost('googlenet').params:,}" in texts(at)


# --------------------------------------------------------------------------- activations
def test_upload_renders_feature_maps_and_every_head():
    from explorer.inference.probe import get_probe

    at = make_app("activations", variant="googlenet", aux_heads=1)
    at.file_uploader(key="upload").set_value(("photo.png", photo_png(), "image/png")).run()
    assert_clean(at)
    assert "your upload (photo.png)" in texts(at)
    # four branches side by side (1x1 | 3x3 | 5x5 | pool), the crop, the overlay, the single map
    assert len(at.image) >= 7
    for label in ("1x1", "3x3", "5x5", "pool"):
        assert f"**{label}**" in texts(at)
    tables = top5_tables(at)
    assert len(tables) == 3 and all(len(t) == 5 for t in tables)  # main, aux_1, aux_2
    # the probability first, both columns in fixed widths (a long class name is cut in its cell,
    # never the probabilities; test_browser_layout checks that these widths fit at 1280x720)
    for d in (d for d in at.dataframe if list(d.value.columns) == ["class", "p"]):
        columns = json.loads(d.proto.columns)
        assert list(d.proto.column_order) == ["p", "class"]
        assert (columns["p"]["width"], columns["class"]["width"]) == (60, 170)
    assert "Main head" in texts(at) and "Aux 1" in texts(at) and "Aux 2" in texts(at)
    assert "Random weights: the top-5 means nothing." in texts(at)  # random weights: say so
    assert "Device: the last forward pass ran on **" in texts(at)  # where it ran, not only what was found

    store = models.model_store()
    c = explorer.choices("googlenet", aux_heads=True)
    assert ("googlenet", c, "random", 0) in store
    entry = store.get("googlenet", c, "random")
    passes, builds = get_probe(entry.model).forward_passes, store.builds
    at.selectbox(key="module").set_value("inception_4b").run()
    at.radio(key="branch").set_value("b3").run()
    ch = at.selectbox(key="channel").options[3]
    at.selectbox(key="channel").set_value(int(ch.split()[0].lstrip("#"))).run()
    assert_clean(at)
    assert at.query_params["module"] == "inception_4b" and at.query_params["branch"] == "b3"
    assert get_probe(entry.model).forward_passes == passes, "picking a module/branch/channel reran the network"
    assert store.builds == builds, "picking a module/branch/channel rebuilt the model"
    # the response chart's caption says what its measure is (and what random weights make of it)
    for measure, what, untrained in (("mean", "Mean = the branch's average activation", "how the weights were"),
                                     ("active_fraction", "Fraction active = the share of the branch's units",
                                      "about half of the units are above 0"),
                                     ("share", "Share = channels × mean activation", "channel counts")):
        at.radio(key="response_metric").set_value(measure).run()
        notes = [c.value for c in at.caption if c.value.startswith(("Share =", "Mean =", "Fraction active ="))]
        assert len(notes) == 1 and notes[0].startswith(what) and untrained in notes[0], (measure, notes)
    assert get_probe(entry.model).forward_passes == passes, "changing the chart's measure reran the network"


def test_gpu_out_of_memory_shows_a_message_and_runs_on_the_cpu(monkeypatch):
    """A GPU out-of-memory error (faked: the backend's own error type from the compiled call)
    reruns the request on the CPU; the page says so and the sidebar says where it ran."""
    import keras

    from explorer.nn import compiled

    backend = keras.config.backend()
    real = compiled._BUILDERS[backend]

    def out_of_memory_on_the_device(call, *, cpu):
        run = real(call, cpu=cpu)
        if cpu:
            return run

        def fail(batch):
            raise RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 96.00MiB")
        return fail

    monkeypatch.setitem(compiled._BUILDERS, backend, out_of_memory_on_the_device)
    at = make_app("activations", variant="googlenet", input_size=160)  # a model no other test has probed
    assert_clean(at)
    assert any("ran out of memory" in w.value and "on the CPU" in w.value for w in at.warning)
    assert "ran on **" in texts(at) and "because the GPU ran out of memory" in texts(at)
    assert len(at.image) >= 4  # the feature maps are there all the same


@pytest.mark.parametrize("name,data,expect", [
    ("notes.txt", b"not an image", "not an image"),
    ("cut.png", photo_png()[:300], "truncated or corrupt"),
    ("empty.jpg", b"", "empty"),
])
def test_bad_files_show_an_error_and_the_page_still_works(name, data, expect):
    at = make_app("activations", variant="googlenet")
    at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    assert at.error and any(expect in e.value for e in at.error), [e.value for e in at.error]
    assert len(at.image) >= 4 and top5_tables(at)  # falls back to the sample photo
    at.selectbox(key="sample").set_value("coffee").run()  # still usable
    assert not at.exception
    at.file_uploader(key="upload").set_value(("ok.png", photo_png(seed=1), "image/png")).run()
    assert_clean(at)


def test_a_bad_file_is_named_in_the_ui_language():
    """What happened is said in the UI's language in front of the library's (English) reason."""
    from pages.ui import i18n

    at = make_app("activations", variant="googlenet")
    at.file_uploader(key="upload").set_value(("notes.txt", b"not an image", "text/plain")).run()
    assert not at.exception
    assert at.error[0].value.startswith("**notes.txt** could not be opened as a photo: This file is not an image")
    assert len(at.image) >= 4  # the sample photo instead
    lead = i18n.translate("**{name}** could not be opened as a photo: {error}", "zh")
    assert lead.format(name="notes.txt", error="...") == "**notes.txt** 无法作为照片打开：..."


def test_imagenet_weights_unavailable_fall_back_with_a_banner(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty cache, and no network in tests
    models.model_store().forget_failure("inception_v3")
    at = make_app("activations", variant="inception_v3", weights="imagenet", input_size=96)
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="weights").value == "keras"  # an old link's "imagenet": the best source
    status = texts(at)
    assert "No trained weights (offline?)" in status  # one line; what happened is folded under it
    assert "could not be loaded" in status and "no network" in status
    assert "the trained weights could not be loaded" in "\n".join(c.value for c in at.sidebar.caption)  # what is loaded
    assert len(at.image) >= 4


# --------------------------------------------------------------------------- URL state
def test_url_state_restores_the_view():
    at = make_app("activations", variant="googlenet", batch_norm=1, module="inception_4a", branch="b2",
                  channel=5, sample="rocket")
    assert_clean(at)
    assert at.sidebar.selectbox(key="variant").value == "googlenet"
    assert at.sidebar.toggle(key="opt_batch_norm").value is True
    assert at.selectbox(key="module").value == "inception_4a"
    assert at.radio(key="branch").value == "b2"
    assert at.selectbox(key="channel").value == 5
    assert any("Channel #5 of inception_4a" in h.value for h in at.subheader)
    assert at.selectbox(key="sample").value == "rocket"
    assert "sample: Rocket launch" in texts(at)


def test_sessions_do_not_see_each_others_uploads():
    mine = make_app("activations", variant="googlenet")
    mine.file_uploader(key="upload").set_value(("secret.png", photo_png(seed=7), "image/png")).run()
    assert "your upload (secret.png)" in texts(mine)
    other = make_app("activations", variant="googlenet")
    assert_clean(other)
    assert "secret.png" not in texts(other) and "sample: Chelsea the cat" in texts(other)


def test_widgets_write_the_url():
    at = make_app("architecture", variant="googlenet")
    assert at.query_params["variant"] == "googlenet"
    at.sidebar.toggle(key="opt_aux_heads").set_value(True).run()
    assert at.query_params["aux_heads"] == "1"
    at.selectbox(key="module").set_value("inception_4e").run()
    assert at.query_params["module"] == "inception_4e"
    at.sidebar.selectbox(key="variant").set_value("inception_resnet_v2").run()
    assert at.query_params["variant"] == "inception_resnet_v2"
    assert "aux_heads" not in at.query_params  # a new variant starts from its defaults
    # and the URL reproduces the view in a fresh session (a reload)
    at.sidebar.toggle(key="opt_residual").set_value(False).run()
    fresh = make_app("architecture", **dict(at.query_params))
    c = explorer.cost("inception_resnet_v2", residual=False)
    assert fresh.sidebar.toggle(key="opt_residual").value is False
    assert f"{c.params:,}" in texts(fresh)


def test_factorisation_width_round_trips_through_the_url():
    at = make_app("architecture", variant="googlenet", factorize_5x5=1, factorize_mid="out")
    assert_clean(at)
    assert at.sidebar.radio(key="opt_factorize_mid").value == "out"
    c = explorer.cost("googlenet", factorize_5x5=True, factorize_mid="out")
    assert f"{c.params:,}" in texts(at)
    assert at.query_params["factorize_mid"] == "out"
    at.sidebar.radio(key="opt_factorize_mid").set_value("in").run()
    assert_clean(at)
    c = explorer.cost("googlenet", factorize_5x5=True, factorize_mid="in")
    assert f"{c.params:,}" in texts(at) and at.query_params["factorize_mid"] == "in"
    fresh = make_app("architecture", **dict(at.query_params))
    assert fresh.sidebar.radio(key="opt_factorize_mid").value == "in" and f"{c.params:,}" in texts(fresh)


def test_bad_url_values_are_ignored_with_a_warning():
    at = make_app(variant="resnet50", channel="x")
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="variant").value == "inception_v3"
    assert any("resnet50" in w.value for w in at.warning)


def test_ablation_lab_is_a_page_like_the_others():
    at = make_app("ablation", variant="googlenet")
    assert_clean(at)
    assert at.title[0].value.startswith("Ablation lab")
    assert at.radio(key="lab_source").value == "shipped"
    assert at.sidebar.selectbox(key="variant").value == "googlenet"  # the shared sidebar is there
    assert at.query_params["variant"] == "googlenet"  # and the view stays in the URL


@pytest.mark.parametrize("variant", explorer.list_variants())
def test_architecture_and_costs_for_every_variant(variant):
    at = make_app("architecture", variant=variant)
    assert_clean(at)
    c = explorer.cost(variant)
    assert f"{c.params:,}" in texts(at)
    # every module of the variant can be opened (the diagram's click does the same as this list)
    names = [o for o in at.selectbox(key="module").options]
    assert len(names) == len(c.modules) + len(c.heads)
    last = c.modules[-1].name
    at.selectbox(key="module").set_value(last).run()
    assert_clean(at)
    costs = make_app("design_costs", variant=variant)
    assert_clean(costs)
    assert metric(costs, "Parameters") == human(c.params)
