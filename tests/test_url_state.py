"""The whole view is in the URL: for each page, set every control (the page's own and a set of
sidebar ones), then open the URL it wrote in a fresh session (a reload, a shared link, a lecture
slide) and compare every control's value and the URL itself. The check is generic: a page that
grows a control the URL does not carry fails here. Plus what a lecturer meets around it: an upload
and a sample never disagree about the photo shown, and a channel picked for one photo, module or
branch gives way to the strongest channel when any of them changes. Whole-app runs: `slow`."""
from __future__ import annotations

import pytest

from tests.test_app import assert_clean, make_app, photo_png, texts

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("app")]

# Widgets whose value is a view (radios, selects, toggles, sliders, inputs), by AppTest type.
STATEFUL = ("radio", "selectbox", "toggle", "slider", "select_slider", "number_input", "text_input",
            "checkbox", "multiselect")
# One-shot inputs of an action, not views: a preset (sets the choices, which are in the URL, and
# resets itself); where to start a lecture and the title of the one being built (session only).
# The Ablation lab's live-run settings are the inputs of a training run, not a view.
NOT_VIEW = {"preset", "lecture_from", "my_title_en", "my_title_zh", "lab_variant", "lab_toggles", "lab_n_train",
            "lab_epochs", "lab_size", "lab_width", "lab_seeds", "lab_quick", "lab_lr"}
# Controls whose only other values stay in the browser session (an uploaded file, this session's runs).
SESSION_ONLY_OTHERWISE = {"lab_source"}

# (sidebar or main, widget type, key, value): set in this order. The language goes last: AppTest
# formats the options of every widget in the test's thread, in English.
SIDEBAR = [("sidebar", "selectbox", "variant", "googlenet"),
           ("sidebar", "toggle", "opt_batch_norm", True), ("sidebar", "toggle", "opt_lrn", False),
           ("sidebar", "toggle", "opt_aux_heads", True), ("sidebar", "toggle", "opt_factorize_5x5", True),
           ("sidebar", "radio", "opt_factorize_mid", "out"), ("sidebar", "radio", "opt_head", "fc"),
           ("sidebar", "toggle", "opt_bn_scale", True), ("sidebar", "radio", "opt_conv_bias", "on"),
           ("sidebar", "select_slider", "opt_width", 0.5), ("sidebar", "number_input", "opt_input_size", 256),
           ("sidebar", "number_input", "opt_classes", 10), ("sidebar", "toggle", "opt_factorize_nxn", True),
           ("sidebar", "toggle", "lecture", True)]
LANGUAGE = [("sidebar", "radio", "lang", "zh")]
PAGES = {
    "overview": SIDEBAR + LANGUAGE,
    "architecture": SIDEBAR + [("main", "selectbox", "module", "inception_4e")] + LANGUAGE,
    "design_costs": [("sidebar", "selectbox", "variant", "googlenet"), ("sidebar", "toggle", "opt_reduce_1x1", False),
                     ("sidebar", "radio", "opt_kernel_5x5", 3),
                     ("main", "radio", "cost_metric", "macs"), ("main", "selectbox", "color_by", "batch_norm")] + LANGUAGE,
    "accuracy": [("sidebar", "selectbox", "variant", "inception_v3"), ("sidebar", "selectbox", "weights", "keras"),
                 ("main", "radio", "acc_metric", "top-5"), ("main", "radio", "acc_x", "macs")] + LANGUAGE,
    "activations": [("sidebar", "toggle", "opt_aux_heads", True),
                    ("main", "selectbox", "sample", "astronaut"), ("main", "selectbox", "resize", "stretch"),
                    ("main", "selectbox", "module", "inception_4b"), ("main", "radio", "branch", "b3"),
                    ("main", "selectbox", "channel", "4th"), ("main", "slider", "overlay_alpha", 0.3),
                    ("main", "radio", "response_metric", "mean")] + LANGUAGE,
    "lecture": [("sidebar", "toggle", "lecture", True), ("main", "selectbox", "talk_pick", "inception_survey")]
    + LANGUAGE,
    "ablation": [("main", "radio", "lab_source", "shipped"), ("main", "radio", "lab_x", "macs"),
                 ("main", "radio", "lab_curve_metric", "train_loss")] + LANGUAGE,
    "explain": [("main", "selectbox", "sample", "rocket"), ("main", "selectbox", "resize", "stretch"),
                ("main", "radio", "classifier", "aux_1"), ("main", "selectbox", "module", "inception_3b"),
                ("main", "selectbox", "cls", "2nd"), ("main", "toggle", "off__inception_3b__b2", True),
                ("main", "radio", "ko_measure", "points"), ("main", "radio", "ko_kind", "mean"),
                ("main", "toggle", "ko", False), ("main", "radio", "branch", "b3"), ("main", "selectbox", "channel", "4th"),
                ("main", "number_input", "row", 0), ("main", "number_input", "col", 2),
                ("main", "selectbox", "steps", 64), ("main", "selectbox", "vis_size", 96),
                ("main", "toggle", "vis", True)] + LANGUAGE,
}
# GoogLeNet keeps the model small; on Explain at a quarter width, 96 px, with its aux heads (a second head)
START = {"activations": {"variant": "googlenet"},
         "explain": {"variant": "googlenet", "width": "0.25", "input_size": "96", "aux_heads": "1"}}


def view_widgets(at) -> dict:
    """{key: value} of every view widget on the page (sidebar included)."""
    out = {}
    for kind in STATEFUL:
        for w in at.get(kind):
            if w.key and w.key not in NOT_VIEW:
                out[w.key] = w.value
    return out


def _set(at, where: str, kind: str, key: str, value) -> None:
    root = at.sidebar if where == "sidebar" else at.main
    widget = getattr(root, kind)(key=key)
    if value == "4th":  # the 4th strongest channel: a real pick, not the default
        value = int(widget.options[3].split()[0].lstrip("#"))
    if value == "2nd":  # the head's second class (Explain): a real pick, not its top-1 ("name (p%)")
        from explorer.inference.probe import class_name

        value = {class_name(i, 1000): i for i in range(1000)}[widget.options[1].rsplit(" (", 1)[0]]
    widget.set_value(value).run()
    assert_clean(at)
    assert getattr(root, kind)(key=key).value == value, f"{key} did not take {value!r}"


@pytest.mark.parametrize("page", list(PAGES))
def test_every_control_round_trips_through_the_url(page):
    at = make_app(page, **START.get(page, {}))
    assert_clean(at)
    before = view_widgets(at)
    for where, kind, key, value in PAGES[page]:
        _set(at, where, kind, key, value)
    after = view_widgets(at)
    # every control of the page itself (not the sidebar's) was set to something else than its default
    own = {w.key for kind in STATEFUL for w in at.main.get(kind) if w.key and w.key not in NOT_VIEW}
    changed = {key for _, _, key, _ in PAGES[page]}
    switches = {k for k in own if k.startswith("off__")}  # Explain's branch switches: together one view key, `off`
    if switches & changed:
        own -= switches - changed
    assert own <= changed, f"controls this test does not set (add them here and to the URL): {sorted(own - changed)}"
    kept_default = sorted(k for k in own - SESSION_ONLY_OTHERWISE if k in before and after[k] == before[k])
    assert not kept_default, f"controls of the page kept their default: {kept_default}"

    url = dict(at.query_params)
    fresh = make_app(page, **url)
    assert_clean(fresh)
    assert view_widgets(fresh) == after
    assert dict(fresh.query_params) == url


def test_a_url_without_page_keys_opens_the_defaults_not_the_last_view():
    at = make_app("design_costs", variant="googlenet", cost_metric="macs", color_by="batch_norm")
    assert at.radio(key="cost_metric").value == "macs" and at.selectbox(key="color_by").value == "batch_norm"
    fresh = make_app("design_costs", variant="googlenet")
    assert fresh.radio(key="cost_metric").value == "params" and fresh.selectbox(key="color_by").value == "reduce_1x1"


def test_a_number_out_of_the_sidebars_range_in_a_link_is_ignored_with_a_warning():
    """Streamlit puts a number widget whose value is out of range at its minimum without a word: a
    link's input_size=20000 became 8 (and 'input_size=8 is too small' was the only message)."""
    at = make_app("architecture", variant="googlenet", input_size=20000, classes=0, width="2.5x")
    assert at.sidebar.number_input(key="opt_input_size").value == 224
    assert at.sidebar.number_input(key="opt_classes").value == 1000
    assert not at.error
    assert [w.value for w in at.warning] == [  # in the sidebar's order
        "Link: width='2.5x' ignored: width needs a number. Received: width='2.5x'",
        "Link: input_size='20000' is outside 8-1024: ignored.",
        "Link: classes='0' is outside 1-100000: ignored."]
    assert {"input_size", "classes", "width"}.isdisjoint(at.query_params)
    at = make_app("architecture", variant="googlenet", input_size="300.5", classes=100_000)
    assert at.sidebar.number_input(key="opt_classes").value == 100_000
    assert [w.value for w in at.warning] == [
        "Link: input_size='300.5' ignored: input_size needs a whole number. Received: input_size='300.5'"]


def test_a_page_value_a_widget_cannot_take_is_said_once_and_the_default_shown():
    """overlay_alpha=5 raised StreamlitValueAboveMaxError from the slider (the page showed 'Something
    went wrong'); off= with a branch the network does not have was dropped without a word."""
    at = make_app("activations", variant="googlenet", overlay_alpha=5)
    assert_clean(at)
    assert at.slider(key="overlay_alpha").value == 0.55 and at.query_params["overlay_alpha"] == "0.55"
    assert [t.value for t in at.toast] == ["Link: overlay_alpha=5.0 is not available here; showing 0.55."]
    at = make_app("explain", variant="googlenet", module="inception_4a", off="inception_4a.b2,inception_4a.b9,foo")
    assert_clean(at)
    assert [t.value for t in at.toast] == ["Link: off names no branch inception_4a.b9, foo here; ignored."]
    assert at.query_params["off"] == "inception_4a.b2" and at.toggle(key="off__inception_4a__b2").value
    at.toggle(key="off__inception_4a__b3").set_value(True).run()
    assert not at.toast and at.query_params["off"] == "inception_4a.b2,inception_4a.b3"  # said once


def test_an_upload_and_a_sample_never_disagree_about_the_photo():
    at = make_app("activations", variant="googlenet", sample="coffee")
    assert "sample: Coffee cup" in texts(at)
    at.file_uploader(key="upload").set_value(("mine.png", photo_png(), "image/png")).run()
    assert_clean(at)
    assert at.selectbox(key="sample").value == "upload" and "your upload (mine.png)" in texts(at)
    assert at.query_params["sample"] == "coffee"  # the upload cannot travel; the last sample does
    at.selectbox(key="sample").set_value("astronaut").run()  # a sample picked while the upload is there
    assert_clean(at)
    assert "sample: Astronaut" in texts(at) and "mine.png" not in " ".join(im.captions[0] for im in at.image[:1])
    assert at.query_params["sample"] == "astronaut"
    at.selectbox(key="sample").set_value("upload").run()  # the upload is one click away
    assert "your upload (mine.png)" in texts(at)


def test_the_channel_goes_back_to_the_strongest_when_the_photo_module_or_branch_changes():
    at = make_app("activations", variant="googlenet")
    strongest = at.selectbox(key="channel").value
    pick = int(at.selectbox(key="channel").options[5].split()[0].lstrip("#"))
    at.selectbox(key="channel").set_value(pick).run()
    assert at.selectbox(key="channel").value == pick and at.query_params["channel"] == str(pick)
    at.slider(key="overlay_alpha").set_value(0.8).run()  # anything else keeps the pick
    assert at.selectbox(key="channel").value == pick
    for change in (lambda: at.selectbox(key="sample").set_value("rocket"),
                   lambda: at.radio(key="branch").set_value("b2"),
                   lambda: at.selectbox(key="module").set_value("inception_4c"),
                   lambda: at.selectbox(key="resize").set_value("stretch"),
                   lambda: at.sidebar.toggle(key="opt_batch_norm").set_value(True)):
        at.selectbox(key="channel").set_value(int(at.selectbox(key="channel").options[5].split()[0].lstrip("#"))).run()
        change().run()
        assert_clean(at)
        channel = at.selectbox(key="channel")
        assert channel.value == int(channel.options[0].split()[0].lstrip("#")), "not reset to the strongest"
    assert strongest is not None


# --------------------------------------------------------------------------- the rest of the lecturer's list
def test_a_tiny_photo_says_it_was_upscaled_and_maps_and_overlay_download_as_png():
    import io

    from PIL import Image

    at = make_app("activations", variant="googlenet")
    assert not [w for w in at.warning if "upscaled" in w.value]  # the sample photos are large enough
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buf, format="PNG")
    at.file_uploader(key="upload").set_value(("tiny.png", buf.getvalue(), "image/png")).run()
    assert_clean(at)
    warning = next(w.value for w in at.warning if "upscaled" in w.value)
    assert "40×30 px" in warning and "224 px" in warning and "about 7×" in warning
    keys = {b.key for b in at.get("download_button")}
    assert {"dl_tiles_b1", "dl_tiles_b2", "dl_tiles_b3", "dl_tiles_b4", "dl_overlay"} <= keys


def test_the_default_configuration_shows_a_neutral_delta():
    at = make_app("design_costs", variant="googlenet")
    params = next(m for m in at.metric if m.label == "Parameters")
    assert params.delta == "±0" and params.proto.color == params.proto.MetricColor.GRAY
    at.sidebar.toggle(key="opt_batch_norm").set_value(True).run()  # costs parameters: red
    params = next(m for m in at.metric if m.label == "Parameters")
    assert params.delta.startswith("+") and params.proto.color == params.proto.MetricColor.RED
    at.sidebar.toggle(key="opt_batch_norm").set_value(False).run()
    at.sidebar.toggle(key="opt_factorize_5x5").set_value(True).run()  # saves parameters: green, down
    params = next(m for m in at.metric if m.label == "Parameters")
    assert params.delta.startswith("-") and params.proto.color == params.proto.MetricColor.GREEN
    assert params.proto.direction == params.proto.MetricDirection.DOWN


def test_pages_the_sidebar_does_not_change_say_so():
    for page, folded in (("overview", True), ("accuracy", True), ("lecture", True), ("architecture", False),
                         ("design_costs", False)):
        at = make_app(page, variant="googlenet")
        labels = [e.label for e in at.sidebar.expander]
        assert ("Variant and design choices (they do not change this page)" in labels) is folded, page
        assert at.sidebar.selectbox(key="variant").value == "googlenet"  # still there, still in the URL
