"""The shared sidebar: variant, weights, design choices (presets, toggles, "More choices"), device.
Every page follows what it says (`state.View`)."""
from __future__ import annotations

import logging
import re
from typing import Optional

import streamlit as st

import explorer
from explorer.inference.weights import cached, no_weights_why, weight_sources
from explorer.zoo.choices import BOOL_CHOICES, CHOICE_HELP, CHOICE_LABELS, FACTORIZE_MID, NUMBER_RANGES
from pages.ui import i18n, lectures, models, session, state
from pages.ui.i18n import N_, _

log = logging.getLogger("inception_explorer")

WIDTHS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
PRESET_PROMPT = "(choose…)"  # the preset picker's "nothing picked" (shown as _(PRESET_LABEL))
PRESET_LABEL = N_("(choose…)")
RANDOM_LABEL = N_("random (untrained)")
FACTORIZE_MID_LABELS = {"sqrt": N_("√(r·f): even steps (paper)"), "out": N_("f at once"), "in": N_("f last")}
HEAD_LABELS = {"gap": N_("global avg pool"), "fc": N_("flatten + FC")}
KERNEL_LABELS = {5: N_("5x5 (paper)"), 3: N_("3x3 (shipped)")}
BIAS_LABELS = {"auto": N_("auto"), "on": N_("on"), "off": N_("off")}


def label(name: str) -> str:
    """A choice's short label (`explorer.CHOICE_LABELS`), capitalised for a widget unless it starts
    with a kernel shape ("nxn as 1xn + nx1")."""
    text = _(CHOICE_LABELS.get(name, name))
    return text if re.match(r"[a-z0-9]x[a-z0-9]", text) else text[:1].upper() + text[1:]


def _radio(options, format_func=None):
    def draw(container, key: str, name: str, spec) -> None:
        container.radio(label(name), options, key=key, help=_(CHOICE_HELP.get(name, "")), horizontal=True,
                        format_func=format_func or str)
    return draw


def _residual_scale(container, key: str, name: str, spec) -> None:
    container.text_input(label(name), key=key, help=_(CHOICE_HELP[name]) + " " + _("(e.g. 0.17, 0.10, 0.20)"),
                         disabled=not st.session_state.get(state.widget_key("residual"), True))


def _width(container, key: str, name: str, spec) -> None:
    options = sorted(set(WIDTHS) | {float(st.session_state[key])})
    container.select_slider(label(name), options=options, key=key, help=_(CHOICE_HELP[name]))


def _number(low: int, high: int):
    def draw(container, key: str, name: str, spec) -> None:
        container.number_input(label(name), min_value=low, max_value=high, step=1, key=key,
                               help=_(CHOICE_HELP[name]))
    return draw


def _table(container, key: str, name: str, spec) -> None:
    container.selectbox(label(name), [t for t, _t in spec.tables], key=key, help=_(CHOICE_HELP[name]))


def _toggle(container, key: str, name: str, spec) -> None:
    container.toggle(label(name), key=key, help=_(CHOICE_HELP[name]))


# One widget per design choice (tests/test_routing.py checks that every choice has one).
WIDGETS = {
    **{name: _toggle for name in BOOL_CHOICES},
    "kernel_5x5": _radio([5, 3], lambda k: _(KERNEL_LABELS[k])),
    "head": _radio(["gap", "fc"], lambda h: _(HEAD_LABELS[h])),
    "factorize_mid": _radio(list(FACTORIZE_MID), lambda m: _(FACTORIZE_MID_LABELS[m])),
    "conv_bias": _radio(["auto", "on", "off"], lambda b: _(BIAS_LABELS[b])),
    "residual_scale": _residual_scale,
    "width": _width,
    "input_size": _number(*NUMBER_RANGES["input_size"]),
    "classes": _number(*NUMBER_RANGES["classes"]),
    "table": _table,
}


def _choice_widget(container, spec, name: str) -> None:
    key = state.widget_key(name)
    if key not in st.session_state:
        st.session_state[key] = state.to_widget(name, getattr(spec.defaults, name))
    WIDGETS[name](container, key, name, spec)


def _preset_picked() -> None:
    name = st.session_state.get("preset")
    if name and name != PRESET_PROMPT:
        state.apply_preset(st.session_state.get("variant", state.DEFAULT_VARIANT), name)
    st.session_state["preset"] = PRESET_PROMPT


def matching_preset(variant: str, c) -> Optional[str]:
    s = explorer.get_spec(variant)
    for name, _changes in s.presets:
        try:
            if explorer.choices(variant, **s.preset(name)) == c:
                return name
        except ValueError:
            continue
    return None


def weights_label(variant: str, name: str) -> str:
    """A weights option as the selector shows it: what is trained, where from, whether cached."""
    if name == "random":
        return _(RANDOM_LABEL)
    source = next(s for s in weight_sources(variant) if s.name == name)
    where = _("cached") if cached(source) else _("download once")
    return _("{title}: {heads} trained ({where})").format(heads=_(source.heads), title=source.title, where=where)


def _variant_and_weights(sb) -> str:
    variants = explorer.list_variants()
    if st.session_state.get("variant") not in variants:
        st.session_state["variant"] = state.DEFAULT_VARIANT
    sb.selectbox(_("Variant"), variants, key="variant", format_func=lambda v: explorer.get_spec(v).title,
                 on_change=state.on_variant_change, help=_("Every page follows this variant."))
    v = st.session_state["variant"]
    options = state.weights_options(v)
    if st.session_state.get("weights") not in options:
        st.session_state["weights"] = state.default_weights(v)
    sb.selectbox(_("Weights"), options, key="weights", format_func=lambda w: weights_label(v, w),
                 on_change=state.on_weights_change,
                 help=_("Trained weights make the predictions and feature maps meaningful. Choosing a source "
                        "sets the design choices it was trained with; TF-slim's checkpoints of Inception-v3, "
                        "v4 and Inception-ResNet-v2 also train the auxiliary heads."))
    st.session_state["_weights_slot"] = sb.empty()  # a page that loads the model says what it got
    w = st.session_state["weights"]
    if options == ["random"]:
        sb.caption(_("No published ImageNet weights for {title}: {why}.").format(
            title=explorer.get_spec(v).title, why=_(no_weights_why(v))))
    elif w != "random" and not cached(next(s for s in weight_sources(v) if s.name == w)):
        sb.caption(_("Not in the Keras cache yet: downloaded once when a page needs the model (needs "
                     "internet). Offline: `python -m explorer weights import FILE`."))
    return v


def _design_choices(sb, v: str, nested: bool = False) -> None:
    s = explorer.get_spec(v)
    sb.markdown("**" + _("Design choices") + "**")
    presets = [name for name, _c in s.presets]
    if presets:
        if st.session_state.get("preset") not in [PRESET_PROMPT] + presets:
            st.session_state["preset"] = PRESET_PROMPT
        sb.selectbox(_("Start from a shipped configuration"), [PRESET_PROMPT] + presets, key="preset",
                     on_change=_preset_picked, format_func=lambda n: _(PRESET_LABEL) if n == PRESET_PROMPT else n,
                     help=_("Sets every design choice to what that reference ships; then toggle freely."))
    for name in state.MAIN_CHOICES:
        if name in s.applicable:
            _choice_widget(sb, s, name)
    with (sb.container() if nested else sb.expander(_("More choices"))):  # expanders do not nest
        for name in state.MORE_CHOICES:
            if name in s.applicable:
                _choice_widget(st, s, name)
    sb.button(_("Reset to the variant's defaults"), key="reset_choices", on_click=state.reset_choices,
              width="stretch")


def _validated(sb, v: str) -> state.View:
    error, c = None, None
    try:
        c = explorer.choices(v, **state.choice_values(v))
    except ValueError as e:
        error = str(e)
    if c is not None:
        preset = matching_preset(v, c)
        sb.caption(_("Matches the **{preset}** configuration.").format(preset=preset) if preset else
                   _("Custom configuration (differs from every preset)."))
    else:
        sb.error(error)
    w = st.session_state["weights"]
    if c is not None and w != "random":
        differs = [name for name, value in state.baseline(v, w).items()
                   if name not in ("input_size", "aux_heads") and getattr(c, name) != value]
        if differs:
            sb.caption(_("Differs from the configuration these weights were trained with ({names}): the "
                         "layers the change touches start from random weights, the others keep theirs.").format(
                names=", ".join(label(n) for n in differs)))
    return state.View(v, c, error, w)


def render_device() -> None:
    """The device line, drawn after the page ran, so it says where this run's model actually ran."""
    try:
        st.sidebar.caption(models.device_line())
    except Exception:  # noqa: BLE001 - a device query must never break the page
        log.exception("device line failed")


def _language(sb) -> None:
    """English / 中文 (labelled in both, so either reader finds it)."""
    if st.session_state.get(i18n.KEY) not in i18n.LANGUAGES:
        st.session_state[i18n.KEY] = i18n.SOURCE
    sb.radio("Language · 语言", list(i18n.LANGUAGES), key=i18n.KEY, format_func=i18n.LANGUAGES.get,
             horizontal=True, label_visibility="collapsed")


def _lecture(sb) -> None:
    """Lecture mode (projector) and "Add this view" (the Lecture page turns the views into slides)."""
    sb.toggle(_("Lecture mode (projector)"), key=session.LECTURE,
              help=_("Larger type, high-contrast charts, the sidebar folded away; the arrow keys step "
                     "through a lecture's views."))
    sb.button(_("Add this view to my lecture"), key="add_view", icon=":material/playlist_add:",
              on_click=lectures.add_this_view, width="stretch",
              help=_("This page as it is now (everything in its URL) becomes a slide of your lecture; "
                     "the Lecture page lets you title it, add a speaker note and download the file."))
    n = len(st.session_state.get("_my_views") or [])
    if n and sb.button(_("Open my lecture ({n} views)").format(n=n), key="open_my_lecture",
                       icon=":material/co_present:", width="stretch"):
        st.session_state[session.TALK] = lectures.MINE
        st.session_state.pop("talk_pick", None)
        state.switch_to(lectures.router_page("lecture"))


def render_sidebar(page=None) -> state.View:
    """Draw the sidebar; the view every page follows (`page`: the router's PageDef of the page shown;
    on a page that the variant and the design choices do not change, they are folded away under a
    heading that says so). Never raises: a failure shows a short message in the sidebar and the defaults."""
    sb = st.sidebar
    sb.markdown("### :material/hub: " + _("Inception Explorer"))
    try:
        _language(sb)
        _lecture(sb)
        if page is not None and not page.uses_view:
            sb = sb.expander(_("Variant and design choices (they do not change this page)"),
                             icon=":material/tune:")
        v = _variant_and_weights(sb)
        _design_choices(sb, v, nested=sb is not st.sidebar)
        return _validated(sb, v)
    except Exception as e:  # noqa: BLE001 - never a traceback on the page
        log.exception("sidebar failed")
        sb.error(_("The sidebar could not be drawn ({error}); showing the defaults.").format(
            error=f"{type(e).__name__}: {e}"))
        return state.View(state.DEFAULT_VARIANT, None, str(e), "random")
