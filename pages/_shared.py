"""What every page shares: the view state (sidebar widgets, URL sync), the model cache, the
activations cache, number formatting and the page wrapper that keeps tracebacks off the page.

State model
- Every widget has a `key`. Sidebar widgets (variant, weights, design choices `opt_<name>`) are
  rendered on every run. Page widgets (module, branch, channel, sample, ...) are rendered only on
  their page, so their last value is also kept in `st.session_state["_keep"]` and re-seeded when the
  page comes back.
- The URL (`st.query_params`) mirrors the view: variant, weights (when not the default), every
  design choice that differs from the variant's default, and the current page's own keys. It is
  read on a session's first run (and whenever it changes from outside, e.g. browser history), and
  written at the end of every page run. So a slide can link to an exact view, and a reload
  restores it.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import gc
import logging
import threading
import uuid
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import streamlit as st

import explorer
from pages._charts import fmt_macs, fmt_params, human, plotly_config, signed  # noqa: F401 (re-exported)

log = logging.getLogger("inception_explorer")
_RUN = threading.local()  # per script thread: is streamlit_app.py running a page, did it sync the URL

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "assets" / "samples"
SAMPLES = {"chelsea": "Chelsea the cat", "coffee": "Coffee cup", "astronaut": "Astronaut",
           "rocket": "Rocket launch"}
DEFAULT_SAMPLE = "chelsea"
DEFAULT_VARIANT = "inception_v3"
MODEL_CACHE_SIZE = 3

# Page files and their URL paths. Each URL path equals the name Streamlit's legacy pages/ folder
# detection derives from the file name ("3_activations.py" -> "activations"): see `page_main`.
PAGE_FILES = {
    "overview": "pages/1_overview.py",
    "architecture": "pages/2_architecture.py",
    "activations": "pages/3_activations.py",
    "design_costs": "pages/4_design_costs.py",
    "accuracy": "pages/5_accuracy.py",
    "ablation": "pages/6_ablation_lab.py",
}

# Design-choice widgets: the main toggles, then the rest in "More choices".
MAIN_CHOICES = ("reduce_1x1", "batch_norm", "factorize_5x5", "factorize_nxn", "kernel_5x5", "lrn",
                "aux_heads", "residual", "head")
MORE_CHOICES = ("bn_scale", "conv_bias", "residual_scale", "width", "input_size", "table", "classes")
ALL_CHOICES = MAIN_CHOICES + MORE_CHOICES
CHOICE_LABELS = {
    "reduce_1x1": "1x1 reductions", "batch_norm": "Batch norm", "factorize_5x5": "5x5 as two 3x3",
    "factorize_nxn": "nxn as 1xn + nx1", "kernel_5x5": "\"5x5\" branch kernel", "lrn": "LRN in the stem",
    "aux_heads": "Auxiliary heads", "residual": "Residual shortcuts", "head": "Classifier head",
    "bn_scale": "BN scale (gamma)", "conv_bias": "Conv bias", "residual_scale": "Residual scales (A, B, C)",
    "width": "Width multiplier", "input_size": "Input size (px)", "table": "Table", "classes": "Classes",
}
WIDTHS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
PRESET_PROMPT = "(choose…)"
PAGE_KEYS = ("module", "branch", "channel", "sample", "color_by")


# --------------------------------------------------------------------------- small helpers
def spec(variant: str):
    return explorer.get_spec(variant)


def title(variant: str) -> str:
    return explorer.get_spec(variant).title


def choice_kwargs(variant: str, c) -> dict:
    """The choices of `c` that differ from the variant's defaults (what build / cost need)."""
    d = explorer.get_spec(variant).defaults
    out = {}
    for f in dataclasses.fields(c):
        v = getattr(c, f.name)
        if v != getattr(d, f.name):
            out[f.name] = v
    return out


def _keep() -> dict:
    return st.session_state.setdefault("_keep", {})


def seed(key: str, default, valid=None) -> None:
    """Before a page widget renders: make sure its key holds a valid value (its current value,
    else the one kept from an earlier visit or the URL, else `default`)."""
    keep = _keep()
    value = st.session_state[key] if key in st.session_state else keep.get(key, default)
    if valid is not None and value not in valid:
        value = default
    st.session_state[key] = value


def remember(*keys: str) -> None:
    keep = _keep()
    for key in keys:
        if key in st.session_state:
            keep[key] = st.session_state[key]


# --------------------------------------------------------------------------- weights / device
def available_weights(variant: str) -> list[str]:
    try:
        from explorer.weights import available_weights as aw

        return list(aw(variant))
    except (ImportError, AttributeError):  # pragma: no cover - older library
        return []


def imagenet_cached(variant: str) -> bool:
    try:
        from explorer.weights import imagenet_cached as ic

        return bool(ic(variant))
    except (ImportError, AttributeError):  # pragma: no cover
        return False


def weights_path(variant: str) -> Optional[str]:
    try:
        from explorer.weights import cache_path

        return str(cache_path(variant))
    except Exception:  # noqa: BLE001 - only for a message
        return None


def no_weights_why(variant: str) -> str:
    try:
        from explorer.weights import OTHER_WEIGHTS

        return OTHER_WEIGHTS.get(variant, "")
    except ImportError:  # pragma: no cover
        return ""


def default_weights(variant: str) -> str:
    """ImageNet where the file is already in the Keras cache, else random."""
    return "imagenet" if "imagenet" in available_weights(variant) and imagenet_cached(variant) else "random"


@st.cache_resource(show_spinner=False)
def device_info() -> dict:
    try:
        from explorer.device import setup_devices

        return setup_devices()
    except Exception as e:  # noqa: BLE001
        return {"backend": "?", "device": "?", "gpus": [], "summary": f"unknown ({e})"}


# --------------------------------------------------------------------------- choice widgets
def _to_widget(name: str, value):
    if name == "conv_bias":
        return {None: "auto", True: "on", False: "off"}[value]
    if name == "residual_scale":
        return "" if value is None else ", ".join(f"{v:g}" for v in value)
    return value


def _from_widget(name: str, value):
    if name == "conv_bias":
        return {"auto": None, "on": True, "off": False}[value]
    if name == "residual_scale":
        text = str(value).strip()
        if not text:
            return None
        try:
            nums = tuple(float(t) for t in text.replace(";", ",").split(",") if t.strip())
        except ValueError:
            raise ValueError(f"Residual scales must be numbers such as '0.17, 0.10, 0.20'. "
                             f"Received: {text!r}") from None
        return nums[0] if len(nums) == 1 else nums
    return value


def _reset_choice_keys() -> None:
    for name in ALL_CHOICES:
        st.session_state.pop(f"opt_{name}", None)


def on_variant_change() -> None:
    """A new variant starts from its own defaults (and its default weights)."""
    _reset_choice_keys()
    v = st.session_state.get("variant", DEFAULT_VARIANT)
    st.session_state["weights"] = default_weights(v)


def set_variant(variant: str) -> None:
    """Button callback: switch the shared variant (before the sidebar renders)."""
    st.session_state["variant"] = variant
    on_variant_change()


def apply_preset(variant: str, name: str) -> None:
    s = explorer.get_spec(variant)
    values = dataclasses.asdict(s.defaults)
    values.update(s.preset(name))
    for choice in ALL_CHOICES:
        st.session_state[f"opt_{choice}"] = _to_widget(choice, values[choice])


def _preset_picked() -> None:
    name = st.session_state.get("preset")
    if name and name != PRESET_PROMPT:
        apply_preset(st.session_state.get("variant", DEFAULT_VARIANT), name)
    st.session_state["preset"] = PRESET_PROMPT


def reset_choices() -> None:
    _reset_choice_keys()


def matching_preset(variant: str, c) -> Optional[str]:
    s = explorer.get_spec(variant)
    for name, _ in s.presets:
        try:
            if explorer.choices(variant, **s.preset(name)) == c:
                return name
        except ValueError:
            continue
    return None


def _choice_widget(container, variant: str, name: str) -> None:
    s = explorer.get_spec(variant)
    key = f"opt_{name}"
    default = getattr(s.defaults, name)
    if key not in st.session_state:
        st.session_state[key] = _to_widget(name, default)
    help_ = explorer.CHOICE_HELP.get(name, "")
    label = CHOICE_LABELS.get(name, name)
    if name in ("reduce_1x1", "batch_norm", "factorize_5x5", "factorize_nxn", "lrn", "aux_heads",
                "residual", "bn_scale"):
        container.toggle(label, key=key, help=help_)
    elif name == "kernel_5x5":
        container.radio(label, [5, 3], key=key, help=help_, horizontal=True,
                        format_func=lambda k: "5x5 (paper)" if k == 5 else "3x3 (shipped)")
    elif name == "head":
        container.radio(label, ["gap", "fc"], key=key, help=help_, horizontal=True,
                        format_func=lambda h: "global avg pool" if h == "gap" else "flatten + FC")
    elif name == "conv_bias":
        container.radio(label, ["auto", "on", "off"], key=key, help=help_, horizontal=True)
    elif name == "residual_scale":
        container.text_input(label, key=key, help=help_ + " (e.g. 0.17, 0.10, 0.20)",
                             disabled=not st.session_state.get("opt_residual", True))
    elif name == "width":
        opts = sorted(set(WIDTHS) | {float(st.session_state[key])})
        container.select_slider(label, options=opts, key=key, help=help_)
    elif name == "input_size":
        container.number_input(label, min_value=8, max_value=1024, step=1, key=key, help=help_)
    elif name == "classes":
        container.number_input(label, min_value=1, max_value=100_000, step=1, key=key, help=help_)
    elif name == "table":
        container.selectbox(label, [t for t, _ in s.tables], key=key, help=help_)


def current_choice_values(variant: str) -> dict:
    """Design choices as the widgets hold them (applicable ones only), converted to choice values;
    raises ValueError for unparseable text."""
    s = explorer.get_spec(variant)
    values = {}
    for name in ALL_CHOICES:
        key = f"opt_{name}"
        if name in s.applicable and key in st.session_state:
            values[name] = _from_widget(name, st.session_state[key])
    if not values.get("residual", getattr(s.defaults, "residual")):
        values.pop("residual_scale", None)
    return values


# --------------------------------------------------------------------------- URL <-> state
def _parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected 1/0 or true/false, got {text!r}")


def _parse_choice(name: str, text: str):
    d = explorer.Choices()
    default = getattr(d, name)
    if name == "conv_bias":
        t = text.strip().lower()
        return None if t in ("auto", "none", "") else _parse_bool(t)
    if name == "residual_scale":
        return _from_widget(name, text)
    if isinstance(default, bool):
        return _parse_bool(text)
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def _url_value(name: str, value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if name == "conv_bias":
        return {None: "auto", True: "1", False: "0"}[value]
    if name == "residual_scale":
        return "" if value is None else ",".join(f"{v:g}" for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def apply_url(qp: dict) -> list[str]:
    """Put a URL's view into the session state; returns warnings for values that were ignored."""
    warnings = []
    variants = explorer.list_variants()
    v = qp.get("variant", DEFAULT_VARIANT)
    if v not in variants:
        warnings.append(f"variant={v!r} is not one of {', '.join(variants)}; showing {DEFAULT_VARIANT}.")
        v = DEFAULT_VARIANT
    st.session_state["variant"] = v
    _reset_choice_keys()
    s = explorer.get_spec(v)
    for name in ALL_CHOICES:
        if name not in qp:
            continue
        if name not in s.applicable:
            warnings.append(f"{name} does not apply to {v}: ignored.")
            continue
        try:
            value = _parse_choice(name, qp[name])
            if name == "width":
                value = float(value)
            st.session_state[f"opt_{name}"] = _to_widget(name, value)
        except (ValueError, KeyError) as e:
            warnings.append(f"{name}={qp[name]!r} ignored: {e}")
    w = qp.get("weights")
    if w is not None and w not in ["random"] + available_weights(v):
        warnings.append(f"weights={w!r} is not available for {v}.")
        w = None
    st.session_state["weights"] = w or default_weights(v)
    keep = _keep()
    for key in PAGE_KEYS:
        if key in qp:
            value = qp[key]
            if key == "channel":
                try:
                    value = int(value)
                except ValueError:
                    warnings.append(f"channel={value!r} is not a number: ignored.")
                    continue
            keep[key] = value
            st.session_state.pop(key, None)
    return warnings


def sync_from_url() -> None:
    """On a session's first run, or when the URL changed from outside (history, a pasted link in
    the same session), load the view from it. An empty query string after a page switch is not a
    request to reset: it is simply rewritten."""
    qp = st.query_params.to_dict()
    first = "_url_loaded" not in st.session_state
    changed = bool(qp) and qp != st.session_state.get("_url_written")
    if first or changed:
        st.session_state["_url_loaded"] = True
        st.session_state["_url_warnings"] = apply_url(qp) if (qp or first) else []
        st.session_state["_url_written"] = qp


def view_params(page_keys: tuple[str, ...] = ()) -> dict:
    """The URL for the current view."""
    v = st.session_state.get("variant", DEFAULT_VARIANT)
    out = {"variant": v}
    w = st.session_state.get("weights")
    if w and w != default_weights(v):
        out["weights"] = w
    s = explorer.get_spec(v)
    for name in ALL_CHOICES:
        key = f"opt_{name}"
        if name not in s.applicable or key not in st.session_state:
            continue
        try:
            value = _from_widget(name, st.session_state[key])
        except ValueError:
            continue
        if name == "residual_scale" and isinstance(value, float):
            value = (value, value, value)
        if value != getattr(s.defaults, name):
            out[name] = _url_value(name, value)
    keep = _keep()
    for key in page_keys:
        value = st.session_state.get(key, keep.get(key))
        if value is not None:
            out[key] = str(value)
    return out


def sync_to_url(page_keys: tuple[str, ...] = (), *, merge: bool = False) -> None:
    """Write the view to the URL. merge=True (a page that is not ours): keep the query keys that
    are not ours, so that page can keep its own."""
    params = view_params(page_keys)
    if merge:
        ours = {"variant", "weights", *ALL_CHOICES, *PAGE_KEYS}
        params = {**{k: v for k, v in st.query_params.to_dict().items() if k not in ours}, **params}
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    st.session_state["_url_written"] = params
    _RUN.synced = True


# --------------------------------------------------------------------------- sidebar
@dataclasses.dataclass
class View:
    variant: str
    choices: Optional[object]  # explorer Choices, or None when invalid
    error: Optional[str]
    weights: str


def render_sidebar() -> View:
    sb = st.sidebar
    variants = explorer.list_variants()
    if st.session_state.get("variant") not in variants:
        st.session_state["variant"] = DEFAULT_VARIANT
    sb.selectbox("Variant", variants, key="variant", format_func=title, on_change=on_variant_change,
                 help="Every page follows this variant.")
    v = st.session_state["variant"]
    s = explorer.get_spec(v)

    options = ["random"] + available_weights(v)
    if st.session_state.get("weights") not in options:
        st.session_state["weights"] = default_weights(v)
    sb.selectbox("Weights", options, key="weights",
                 format_func=lambda w: "ImageNet (pretrained)" if w == "imagenet" else "random (untrained)",
                 help="Pretrained weights make the predictions meaningful. Keras publishes ImageNet "
                      "weights for Inception-v3 and Inception-ResNet-v2.")
    if options == ["random"]:
        sb.caption(f"No Keras ImageNet weights for {s.title}: {no_weights_why(v)}.")
    elif st.session_state["weights"] == "imagenet" and not imagenet_cached(v):
        sb.caption("Not in the Keras cache yet: downloaded once when a page needs the model "
                   "(needs internet).")

    sb.markdown("**Design choices**")
    presets = [name for name, _ in s.presets]
    if presets:
        if st.session_state.get("preset") not in [PRESET_PROMPT] + presets:
            st.session_state["preset"] = PRESET_PROMPT
        sb.selectbox("Start from a shipped configuration", [PRESET_PROMPT] + presets, key="preset",
                     on_change=_preset_picked,
                     help="Sets every design choice to what that reference ships; then toggle freely.")
    for name in MAIN_CHOICES:
        if name in s.applicable:
            _choice_widget(sb, v, name)
    with sb.expander("More choices"):
        for name in MORE_CHOICES:
            if name in s.applicable:
                _choice_widget(st, v, name)
    sb.button("Reset to the variant's defaults", key="reset_choices", on_click=reset_choices,
              width="stretch")

    error, c = None, None
    try:
        c = explorer.choices(v, **current_choice_values(v))
    except ValueError as e:
        error = str(e)
    if c is not None:
        preset = matching_preset(v, c)
        sb.caption(f"Matches the **{preset}** configuration." if preset else
                   "Custom configuration (differs from every preset).")
    else:
        sb.error(error)
    info = device_info()
    sb.caption(f"Device: {info.get('summary', info.get('device', '?'))}")
    return View(v, c, error, st.session_state["weights"])


def current_view() -> View:
    view = st.session_state.get("_view")
    if view is None:  # a page run without the app script (should not happen)
        view = render_sidebar()
    return view


def require_choices(view: View) -> bool:
    """Show the choices error (if any) on the page; True when the page can go on."""
    if view.error:
        st.error(f"These design choices cannot be built: {view.error}")
        st.info("Change the choices in the sidebar, or press *Reset to the variant's defaults*.")
        return False
    return True


# --------------------------------------------------------------------------- page wrapper
@contextlib.contextmanager
def app_run():
    """streamlit_app.py runs the current page inside this (so a page knows the app script ran)."""
    _RUN.active, _RUN.synced = True, False
    try:
        yield
        if not _RUN.synced:  # a page that does not use page_main (the ablation lab)
            sync_to_url(merge=True)
    finally:
        _RUN.active = False


def page_main(body: Callable[["View"], None], page_keys: tuple[str, ...] = ()) -> None:
    """A page file's entry point.

    Because a `pages/` folder exists next to streamlit_app.py, Streamlit starts every new server
    process (and every AppTest run) in its legacy multipage mode, which may run a page file
    directly, without streamlit_app.py (no navigation, no sidebar). A page run that way runs the
    app script instead, which sets up navigation and the sidebar and then runs this page again
    through `st.navigation`. Deep links (/activations?variant=...) therefore work on a fresh server,
    with no "Page not found" dialog."""
    if getattr(_RUN, "active", False):
        run_page(body, page_keys)
    else:
        import runpy

        runpy.run_path(str(ROOT / "streamlit_app.py"), run_name="__main__")


def run_page(body: Callable[[View], None], page_keys: tuple[str, ...] = ()) -> None:
    """Run a page body: any exception becomes a short st.error (the traceback goes to the server
    log, never to the page); the URL is written whatever happens."""
    for w in st.session_state.pop("_url_warnings", []) or []:
        st.warning(f"Link: {w}")
    view = current_view()
    try:
        body(view)
    except explorer.ImageError as e:
        st.error(str(e))
    except ValueError as e:
        st.error(str(e))
    except Exception as e:  # noqa: BLE001 - keep the page alive, log for developers
        log.exception("page failed")
        st.error(f"Something went wrong while drawing this page ({type(e).__name__}: {e}). The other "
                  f"pages still work; change a setting or reload to try again.")
    finally:
        sync_to_url(page_keys)


def plot(fig, name: str, key: Optional[str] = None, **kw):
    """st.plotly_chart with a PNG download button (modebar) named after the chart."""
    return st.plotly_chart(fig, key=key or f"chart_{name}", config=plotly_config(name), theme=None, **kw)


# --------------------------------------------------------------------------- models
@dataclasses.dataclass
class LoadedModel:
    model: object
    token: str  # changes whenever a model is (re)built: part of the activations cache key
    weights: str  # what was loaded: "imagenet" or "random"
    requested: str
    fallback: Optional[str]  # why the requested weights could not be used


class ModelStore:
    """A small LRU of built models shared by all sessions (at most `max_entries`); evicting one
    clears Keras's global state so memory does not grow with every configuration tried."""

    def __init__(self, max_entries: int = MODEL_CACHE_SIZE):
        self.max_entries = max_entries
        self.models: "collections.OrderedDict[tuple, LoadedModel]" = collections.OrderedDict()
        self.failures: dict[tuple, str] = {}
        self.lock = threading.RLock()
        self.builds = 0
        self.evictions = 0

    def get(self, variant: str, c, weights: str, on_build: Optional[Callable[[str], None]] = None) -> LoadedModel:
        key = (variant, c, weights)
        with self.lock:
            if key in self.models:
                self.models.move_to_end(key)
                return self.models[key]
            kw = choice_kwargs(variant, c)
            fallback = None
            model = None
            if weights == "imagenet":
                fallback = self.failures.get((variant, c))
                if fallback is None:
                    if on_build:
                        on_build("imagenet")
                    try:
                        model = explorer.build(variant, weights="imagenet", **kw)
                    except ValueError as e:  # WeightsError: offline, bad file, other choices
                        fallback = str(e)
                        self.failures[(variant, c)] = fallback
            if model is None:
                random_key = (variant, c, "random")
                if random_key in self.models:
                    entry = self.models[random_key]
                    model = entry.model
                    token = entry.token
                else:
                    if on_build:
                        on_build("random")
                    model = explorer.build(variant, **kw)
                    token = uuid.uuid4().hex
            else:
                token = uuid.uuid4().hex
            self.builds += 1
            info = getattr(model, "explorer_info", None)
            loaded = "imagenet" if info is not None and getattr(info, "pretrained", False) else "random"
            entry = LoadedModel(model, token, loaded, weights, fallback)
            self.models[key] = entry
            self._evict()
            return entry

    def forget_failure(self, variant: str) -> None:
        with self.lock:
            for k in [k for k in self.failures if k[0] == variant]:
                del self.failures[k]
            for k in [k for k in self.models if k[0] == variant and k[2] == "imagenet"
                      and self.models[k].fallback]:
                del self.models[k]

    def _evict(self) -> None:
        evicted = False
        while len(self.models) > self.max_entries:
            self.models.popitem(last=False)
            self.evictions += 1
            evicted = True
        if evicted:
            import keras  # only to release the evicted graph's global state

            keras.backend.clear_session()
            gc.collect()


def keep_keras_state_between_reruns() -> None:
    """Streamlit calls `keras.backend.clear_session()` after every rerun
    (`script_runner._clean_problem_modules`). Under TensorFlow that throws away the kernel cache,
    so the first prediction after each rerun pays again: upload -> feature maps took 2.2 s instead
    of 0.5 s for Inception-ResNet-v2 (`make bench`, app section). The app frees Keras state itself
    when it evicts a model (`ModelStore._evict`), so the per-rerun clear is switched off."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # another Streamlit layout: keep its behaviour
        return
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = lambda: None


keep_keras_state_between_reruns()


@st.cache_resource(show_spinner=False, max_entries=1)
def model_store() -> ModelStore:
    return ModelStore(MODEL_CACHE_SIZE)


def get_model(view: View) -> LoadedModel:
    """The model for the view, built (with a spinner saying what is happening) on first use."""
    store = model_store()
    key = (view.variant, view.choices, view.weights)
    if key in store.models:
        return store.get(*key)
    c = explorer.cost(view.variant, **choice_kwargs(view.variant, view.choices))
    what = f"{title(view.variant)} ({fmt_params(c.params)}, input {view.choices.input_size} px)"
    message = {"imagenet": f"Building {what} and loading its ImageNet weights "
                           f"(downloaded once if not cached)…",
               "random": f"Building {what} with random weights…"}
    holder = st.empty()

    def on_build(kind: str) -> None:
        holder.info(message[kind])

    with st.spinner(message["imagenet" if view.weights == "imagenet" else "random"]):
        entry = store.get(*key, on_build=on_build)
    holder.empty()
    return entry


def random_weights_banner(entry: LoadedModel, variant: str) -> None:
    """Say plainly when predictions mean nothing, and how to get pretrained weights."""
    if entry.weights != "random":
        return
    avail = available_weights(variant)
    if entry.fallback:
        how = (f"The ImageNet weights could not be loaded: {entry.fallback}")
    elif avail:
        path = weights_path(variant)
        how = (f"Choose **ImageNet (pretrained)** under *Weights* in the sidebar: the file is downloaded "
               f"once (needs internet) and cached" + (f" at `{path}`" if path else "") + ". Offline, put "
               "the file there yourself.")
    else:
        how = (f"Keras publishes no ImageNet weights for {title(variant)} ({no_weights_why(variant)}). "
               f"Switch to **Inception-v3** or **Inception-ResNet-v2** with ImageNet weights, on a "
               f"machine with internet or with the file already in the Keras cache (~/.keras/models).")
    st.warning("**Random weights: the predictions below mean nothing.** The feature maps still show "
               "how the architecture transforms the image, but no channel has learned anything. " + how,
               icon=":material/warning:")


# --------------------------------------------------------------------------- images / activations
@st.cache_data(show_spinner=False, max_entries=16)
def sample_bytes(name: str) -> bytes:
    return (SAMPLES_DIR / f"{name}.jpg").read_bytes()


def sample_image(name: str):
    return explorer.load_image(sample_bytes(name))


@st.cache_data(show_spinner=False, max_entries=6)
def activations(_model, token: str, digest: str, resize: str, _image) -> dict:
    """One forward pass of the probe for (model, image): every branch's maps (float16), the crop,
    the summary and every head's top-5. Keyed by the model's token and the image digest only, so
    picking a module, branch or channel never reruns it."""
    from explorer.probe import branch_activations, predict

    acts = branch_activations(_model, _image, resize=resize)
    preds = predict(_model, _image, top=5, activations=acts)
    maps = {m: {k: np.asarray(a, dtype=np.float16) for k, a in parts.items()} for m, parts in acts.items()}
    return {"maps": maps, "crop": np.asarray(acts.crop), "labels": {m: dict(v) for m, v in acts.labels.items()},
            "summary": [dict(r) for r in acts.summary], "predictions": preds,
            "head_names": list(acts.head_names)}


def first_inception_module(names_kinds: list[tuple[str, str]]) -> Optional[str]:
    for name, kind in names_kinds:
        if kind in ("inception", "residual"):
            return name
    return names_kinds[0][0] if names_kinds else None
