"""How the app is put together: the router's page table and the page files agree (so Streamlit's
pages/-folder mode finds a file for every deep link on a fresh server), page files render only when
called, and the one private Streamlit API is still what we think it is (the size limits of pages/
are in tests/test_layout.py).

The quick tests read files and call plain functions; the `slow` ones run the whole app in AppTest.
"""
from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer.zoo.choices import CHOICE_NAMES, Choices
from explorer.zoo.variants import VARIANTS
from pages.ui import keras_state, router, sidebar, state

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))
APP_FILES = sorted((ROOT / "pages").rglob("*.py")) + [ROOT / "streamlit_app.py"]
TITLES = {"overview": "Inception Explorer", "architecture": "Architecture: ", "activations": "Activations: ",
          "design_costs": "Design costs: ", "accuracy": "Accuracy: ", "ablation": "Ablation lab: ",
          "lecture": "Lecture: ", "explain": "Explain: "}


# --------------------------------------------------------------------------- the page table
def test_every_page_file_is_routed_under_its_own_name():
    """pages/<name>.py is served at /<name>: Streamlit's pages/-folder mode (a fresh server's first
    run) runs that file for a deep link to /<name>; a route without a file would flash "Page not
    found", a file without a route would be a page st.navigation does not know."""
    assert {p.stem for p in PAGE_FILES} == {d.url_path for d in router.PAGES} == set(TITLES)
    assert router.HOME not in TITLES


def _is_main_guard(node) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"
            and isinstance(node.test.comparators[0], ast.Constant) and node.test.comparators[0].value == "__main__")


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.stem)
def test_page_files_draw_nothing_on_import_and_start_the_router_when_run(path):
    tree = ast.parse(path.read_text())
    body = tree.body
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)
    for node in body[1:-1]:  # the docstring, ..., the __main__ guard
        assert isinstance(node, allowed), f"{path.name}:{node.lineno}: top-level code that runs on import"
    assert any(isinstance(n, ast.FunctionDef) and n.name == "render" for n in body), f"{path.name}: no render()"
    guard = body[-1]
    assert _is_main_guard(guard), f"{path.name} must end with the `if __name__ == \"__main__\":` guard"
    assert ast.unparse(guard.body[0]) == "router.main()" and len(guard.body) == 1


def test_page_modules_register_their_render_functions():
    import importlib

    for d in router.PAGES:
        module = importlib.import_module(f"pages.{d.url_path}")
        assert callable(module.render) and module.render.__module__ == f"pages.{d.url_path}"


def test_importing_every_page_leaves_keras_and_tensorflow_unloaded():
    """The router imports every page to register it, on every first load: no page may import Keras
    (and so TensorFlow, about 3 s) at import time; a page imports it where it builds or runs a model.
    In a fresh interpreter, with both made unimportable."""
    import subprocess

    code = ("import sys; sys.modules['keras'] = sys.modules['tensorflow'] = None\n"
            "import importlib\nfrom pages.ui import router\n"
            "for d in router.PAGES: importlib.import_module('pages.' + d.url_path)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'jax', 'torch')"
            " and sys.modules[m] is not None))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]"


def test_no_file_reruns_the_app_or_touches_streamlit_internals():
    for path in APP_FILES:
        text = path.read_text()
        for word in ("runpy", "run_path", "sys.path"):
            assert word not in text, f"{path.relative_to(ROOT)} uses {word}"
        if path.name != "keras_state.py":
            assert "_clean_problem_modules" not in text and "streamlit.runtime" not in text, path.name


# --------------------------------------------------------------------------- design choices
def test_every_design_choice_has_one_widget():
    assert sorted(state.ALL_CHOICES) == sorted(CHOICE_NAMES) == sorted(sidebar.WIDGETS)
    assert len(set(state.ALL_CHOICES)) == len(state.ALL_CHOICES)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_widget_values_round_trip_for_every_default(variant):
    defaults = VARIANTS[variant].defaults
    for name in CHOICE_NAMES:
        value = getattr(defaults, name)
        assert state.from_widget(name, state.to_widget(name, value)) == value, name
    assert state.from_widget("residual_scale", "0.17, 0.10, 0.20") == (0.17, 0.1, 0.2)
    assert state.from_widget("conv_bias", "off") is False and state.from_widget("conv_bias", "auto") is None
    assert state.to_widget("factorize_mid", Choices().factorize_mid) == "sqrt"


def test_the_sidebar_says_where_the_model_ran(monkeypatch):
    from explorer.nn.compiled import OOM_MESSAGE, Run
    from pages.ui import i18n, models

    gpu = {"summary": "1 GPU (NVIDIA H200) with jax", "device": "GPU: NVIDIA H200", "gpus": ["NVIDIA H200"],
           "backend": "jax"}
    cpu = {"summary": "CPU (no GPU found), tensorflow backend", "device": "CPU (2 cores, x86_64)", "gpus": [],
           "backend": "tensorflow"}
    monkeypatch.setattr(models, "device_info", lambda: gpu)
    monkeypatch.setattr(models, "last_run", lambda: None)
    assert models.device_line() == "Device: 1 GPU(s) (NVIDIA H200) with jax."  # nothing ran yet: what was found
    monkeypatch.setattr(models, "last_run", lambda: Run("GPU:0", "jax"))
    assert models.device_line() == "Device: the last forward pass ran on **GPU: NVIDIA H200** (jax)."
    monkeypatch.setattr(models, "last_run", lambda: Run("CPU:0", "jax", OOM_MESSAGE))
    assert models.device_line() == ("Device: the last forward pass ran on **CPU** (jax), because the GPU ran "
                                    "out of memory.")
    monkeypatch.setattr(models, "device_info", lambda: cpu)
    monkeypatch.setattr(models, "last_run", lambda: Run("CPU:0", "tensorflow"))
    assert models.device_line() == ("Device: the last forward pass ran on **CPU (2 cores, x86_64)** "
                                    "(tensorflow); no GPU found.")
    monkeypatch.setattr(models, "_", lambda text: i18n.translate(text, "zh"))  # in Chinese, full stop included
    assert models.device_line() == "设备：上一次前向计算在 **CPU (2 cores, x86_64)** 上运行（tensorflow）；未找到 GPU。"
    monkeypatch.setattr(models, "last_run", lambda: None)
    assert models.device_line().startswith("设备：CPU (2 cores, x86_64)，未找到 GPU（tensorflow 后端）。")


# --------------------------------------------------------------------------- the one private Streamlit API
def test_streamlit_still_clears_keras_after_every_run_and_the_app_switches_it_off(monkeypatch):
    """Fails when Streamlit renames its per-rerun clean-up or stops clearing the Keras session there:
    then pages/ui/keras_state.py should go (or follow)."""
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    cleared = []
    fake = types.SimpleNamespace(backend=types.SimpleNamespace(clear_session=lambda: cleared.append(1)))
    monkeypatch.setitem(sys.modules, "keras", fake)
    assert keras_state.keep_keras_state_between_reruns() is True
    assert keras_state.keep_keras_state_between_reruns() is True  # idempotent
    streamlit_own = keras_state.streamlit_hook
    assert streamlit_own is not None and streamlit_own.__module__ == script_runner.__name__
    streamlit_own()
    assert cleared == [1], "Streamlit's _clean_problem_modules no longer calls keras.backend.clear_session()"
    script_runner._clean_problem_modules()  # what Streamlit calls now
    assert cleared == [1], "the app's replacement still clears the Keras session"


# --------------------------------------------------------------------------- the whole app (slow)
@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_the_root_url_is_the_overview():
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and not at.error
    assert at.title[0].value == TITLES["overview"]
    listed = "\n".join(m.value for m in at.markdown)
    for d in router.PAGES[1:]:
        assert f"**{d.title}**" in listed, f"the Overview does not name the {d.title} page"


@pytest.mark.slow
@pytest.mark.xdist_group("app")
@pytest.mark.parametrize("name", list(TITLES))
def test_a_fresh_session_opens_every_page_by_its_file(name):
    """AppTest.switch_page before the first run identifies the page by its file name, as a deep
    link identifies it by its URL path; both reach the st.navigation page of that url_path."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["variant"] = "googlenet"
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value.startswith(TITLES[name])
    assert at.query_params["variant"] == "googlenet"
    at.run()  # a rerun stays on the page
    assert at.title[0].value.startswith(TITLES[name])
