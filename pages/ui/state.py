"""The view state: the one place where the URL and the session state meet.

- Every widget has a `key`. Sidebar widgets (variant, weights, design choices `opt_<name>`) are
  rendered on every run. Page widgets (module, branch, channel, sample, ...) are rendered only on
  their page: `pages/ui/page_state.py` keeps their values (`seed` / `remember`, re-exported here).
- The session's language, lecture mode and lecture given are in `pages/ui/session.py`.
- The URL (`st.query_params`) mirrors the view: variant, weights (unless random is both chosen
  and the default), every design choice that differs from the configuration the weights imply
  (the variant's defaults for random weights; written and read by
  `explorer.zoo.choices.format_choice` / `parse_choice`), and the current page's own keys. It is
  read on a session's first run (and whenever it changes from outside, e.g. browser history), and
  written at the end of every page run. So a slide can link to an exact view, and a reload
  restores it.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import streamlit as st

import explorer
from explorer.inference.weights import best_source, cached, weight_sources
from explorer.zoo.choices import NUMBER_RANGES, changed, format_choice, parse_choice
from pages.ui import session
from pages.ui.i18n import _
from pages.ui.page_state import (PAGE_KEYS, Between, UrlKey, forget, forget_when_changed, keep, kept,  # noqa: F401
                                 from_link, local_values, open_with, remember, seed, set_kept)

DEFAULT_VARIANT = "inception_v3"
# Design-choice widgets: the main toggles in the sidebar, the rest under "More choices".
MAIN_CHOICES = ("reduce_1x1", "batch_norm", "factorize_5x5", "factorize_nxn", "kernel_5x5", "lrn",
                "aux_heads", "residual", "head")
MORE_CHOICES = ("factorize_mid", "bn_scale", "conv_bias", "residual_scale", "width", "input_size",
                "table", "classes")
ALL_CHOICES = MAIN_CHOICES + MORE_CHOICES


@dataclasses.dataclass(frozen=True)
class View:
    """What the sidebar says: the variant, its validated choices (None when they cannot be built,
    then `error` says why) and the weights asked for."""

    variant: str
    choices: Optional[explorer.Choices]
    error: Optional[str]
    weights: str

    @property
    def kwargs(self) -> dict:
        """The choices that differ from the variant's defaults (what `explorer.cost` / `build` take)."""
        return changed(explorer.get_spec(self.variant).defaults, self.choices)


def current_view() -> View:
    """The view the sidebar drew in this run (the router draws it before the page)."""
    view = st.session_state.get("_view")
    return view if view is not None else View(DEFAULT_VARIANT, explorer.choices(DEFAULT_VARIANT), None, "random")


# --------------------------------------------------------------------------- design choices
def widget_key(name: str) -> str:
    return f"opt_{name}"


def to_widget(name: str, value):
    """A choice value as its widget holds it (conv_bias: auto/on/off; residual scales: text)."""
    if name == "conv_bias":
        return {None: "auto", True: "on", False: "off"}[value]
    if name == "residual_scale":
        return format_choice(name, value).replace(",", ", ")
    return value


from_widget = parse_choice  # the inverse of `to_widget` (the one parser of choice text; ValueError for bad text)


def weights_options(variant: str) -> list[str]:
    """What the Weights selector offers: random, then every published source of the variant."""
    return ["random"] + [s.name for s in weight_sources(variant)]


def default_weights(variant: str) -> str:
    """A published source already in the Keras cache (the best one), else random."""
    if not any(cached(s) for s in weight_sources(variant)):
        return "random"
    return best_source(variant, aux_heads=False).name


def weights_choices(variant: str, weights: str) -> dict:
    """The design choices the weights imply (changes from the variant's defaults; {} for random)."""
    return next((s.choices for s in weight_sources(variant) if s.name == weights), {})


def baseline(variant: str, weights: str) -> dict:
    """Every design choice of the configuration `weights` belong to (what the URL is relative to)."""
    return {**dataclasses.asdict(explorer.get_spec(variant).defaults), **weights_choices(variant, weights)}


def reset_choices() -> None:
    for name in ALL_CHOICES:
        st.session_state.pop(widget_key(name), None)


def apply_weights_choices(variant: str, weights: str) -> None:
    """Set the sidebar to the configuration the weights were trained with (weights imply their
    architecture: TF-slim's GoogLeNet has batch norm, a 3x3 "5x5" branch, ...)."""
    for name, value in weights_choices(variant, weights).items():
        if name in ALL_CHOICES:
            set_choice(name, value)


def on_weights_change() -> None:
    v = st.session_state.get("variant", DEFAULT_VARIANT)
    apply_weights_choices(v, st.session_state.get("weights", "random"))


def on_variant_change() -> None:
    """A new variant starts from its own defaults, its default weights and what they imply."""
    reset_choices()
    v = st.session_state.get("variant", DEFAULT_VARIANT)
    st.session_state["weights"] = default_weights(v)
    apply_weights_choices(v, st.session_state["weights"])


def set_variant(variant: str) -> None:
    """Button callback: switch the shared variant (before the sidebar renders)."""
    st.session_state["variant"] = variant
    on_variant_change()


def set_choice(name: str, value) -> None:
    """Callback: set a sidebar design choice from a page (the sidebar widgets hold the choices)."""
    st.session_state[widget_key(name)] = to_widget(name, value)


def apply_preset(variant: str, name: str) -> None:
    s = explorer.get_spec(variant)
    values = {**dataclasses.asdict(s.defaults), **s.preset(name)}
    for choice in ALL_CHOICES:
        set_choice(choice, values[choice])


def choice_value(variant: str, name: str):
    """A design choice as the sidebar holds it now (the variant's default before it is drawn)."""
    key = widget_key(name)
    if key in st.session_state:
        return from_widget(name, st.session_state[key])
    return getattr(explorer.get_spec(variant).defaults, name)


def choice_values(variant: str) -> dict:
    """Design choices as the widgets hold them (applicable ones only), converted to choice values;
    raises ValueError for unparseable text."""
    s = explorer.get_spec(variant)
    values = {name: from_widget(name, st.session_state[widget_key(name)]) for name in ALL_CHOICES
              if name in s.applicable and widget_key(name) in st.session_state}
    if not values.get("residual", s.defaults.residual):
        values.pop("residual_scale", None)
    return values


# --------------------------------------------------------------------------- URL -> state
def _apply_choices(qp: dict, variant: str, warnings: list) -> None:
    s = explorer.get_spec(variant)
    for name in ALL_CHOICES:
        if name not in qp:
            continue
        if name not in s.applicable:
            warnings.append(_("{name} does not apply to {variant}: ignored.").format(name=name, variant=variant))
            continue
        try:
            value = parse_choice(name, qp[name])
        except (ValueError, KeyError) as e:
            warnings.append(_("{name}={value} ignored: {error}").format(name=name, value=repr(qp[name]), error=e))
            continue
        low, high = NUMBER_RANGES.get(name, (None, None))
        if low is not None and not low <= value <= high:
            warnings.append(_("{name}={value} is outside {low}-{high}: ignored.").format(
                name=name, value=repr(qp[name]), low=low, high=high))
            continue
        set_choice(name, value)


def _apply_page_keys(qp: dict, warnings: list) -> None:
    """The URL is the view: a page key it names takes that value, one it leaves out goes back to
    the page's default (and the channel picked for another photo or module no longer applies)."""
    st.session_state.pop("_channel_context", None)
    for key, url_key in PAGE_KEYS.items():
        forget(key)
        if key not in qp:
            continue
        try:
            set_kept(key, url_key.kind(qp[key]))
            st.session_state.setdefault("_from_url", set()).add(key)
        except ValueError:
            warnings.append(_("{key}={value} is not a {kind}: ignored.").format(key=key, value=repr(qp[key]),
                                                                             kind=url_key.kind.__name__))


def apply_url(qp: dict) -> list[str]:
    """Put a URL's view into the session state; returns warnings for values that were ignored."""
    warnings: list[str] = []
    session.apply(qp, warnings)
    variants = explorer.list_variants()
    v = qp.get("variant", DEFAULT_VARIANT)
    if v not in variants:
        warnings.append(_("variant={value} is not one of {options}; showing {default}.").format(
            value=repr(v), options=", ".join(variants), default=DEFAULT_VARIANT))
        v = DEFAULT_VARIANT
    st.session_state["variant"] = v
    reset_choices()
    w = qp.get("weights")
    if w == "imagenet" and weight_sources(v):  # older links: the best published source
        w = best_source(v, aux_heads=qp.get("aux_heads") in ("1", "true")).name
    if w is not None and w not in weights_options(v):
        warnings.append(_("weights={value} is not available for {variant} (available: {options}).").format(
            value=repr(w), variant=v, options=", ".join(weights_options(v))))
        w = None
    st.session_state["weights"] = w or default_weights(v)
    apply_weights_choices(v, st.session_state["weights"])
    _apply_choices(qp, v, warnings)
    _apply_page_keys(qp, warnings)
    return warnings


def pin_sidebar() -> None:
    """At the start of every run: re-state the sidebar widgets' values as session state, so that a
    page switch (which drops the widget state the browser sends) cannot reset them."""
    for key in (session.LECTURE, "lang", "variant", "weights", *map(widget_key, ALL_CHOICES)):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def sync_from_url() -> None:
    """On a session's first run, or when the URL changed from outside (history, a pasted link in
    the same session), load the view from it. An empty query string after a page switch is not a
    request to reset: it is simply rewritten."""
    qp = st.query_params.to_dict()
    first = "_url_loaded" not in st.session_state
    changed = bool(qp) and qp != st.session_state.get("_url_written")
    if first or changed:
        st.session_state["_url_loaded"] = True
        st.session_state["_url_warnings"] = apply_url(qp)
        st.session_state["_url_written"] = qp


def url_warnings() -> list[str]:
    """Warnings about the URL just read (each shown once)."""
    return st.session_state.pop("_url_warnings", None) or []


# --------------------------------------------------------------------------- state -> URL
def view_params(page_keys: tuple[str, ...] = ()) -> dict:
    """The URL query for the current view."""
    v = st.session_state.get("variant", DEFAULT_VARIANT)
    out = {**session.params(on_lecture_page="talk" in page_keys), "variant": v}
    w = st.session_state.get("weights") or "random"
    if w != "random" or w != default_weights(v):  # explicit: the choices below are relative to it
        out["weights"] = w
    s = explorer.get_spec(v)
    base = baseline(v, w)
    for name in ALL_CHOICES:
        if name not in s.applicable or widget_key(name) not in st.session_state:
            continue
        try:
            value = from_widget(name, st.session_state[widget_key(name)])
        except ValueError:
            continue
        if name == "residual_scale" and isinstance(value, float):
            value = (value, value, value)
        if value != base[name]:
            out[name] = format_choice(name, value)
    kept_values = keep()
    for key in page_keys:
        if key == "talk":  # the Lecture page shows the lecture picked (a session key)
            continue
        value = st.session_state.get(key, kept_values.get(key))
        if value in local_values(key):
            value = kept(key)
        if value is not None:
            out[key] = str(int(value)) if isinstance(value, bool) else str(value)
    return out


def switch_to(page) -> None:
    """st.switch_page to `page` (an st.Page) with the view in its URL (a switch starts from an empty
    query string; the page then adds its own keys)."""
    params = view_params()
    st.session_state["_url_written"] = params
    st.switch_page(page, query_params=params)


def sync_to_url(page_keys: tuple[str, ...] = ()) -> None:
    """Write the view (and the page's own keys) to the URL."""
    params = view_params(page_keys)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    st.session_state["_url_written"] = params
