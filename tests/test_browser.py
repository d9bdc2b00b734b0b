"""End to end in a real browser: `streamlit run` as a subprocess, headless Chromium driven by
Playwright. Opens the app, goes to Activations, uploads a generated photo through the file input,
waits for the feature maps, then visits every page checking that no error or traceback is shown,
and saves a full-page screenshot of each page to artifacts/screenshots/<page>.png.

Then a fresh deep link to every page, each on a fresh server process (whose first run is
Streamlit's pages/-folder mode): the page's title renders and Streamlit's "Page not found" dialog
never appears, not even for a moment (a MutationObserver installed before the app loads watches
for it, and the test polls it while the page loads)."""
from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "artifacts" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
ERROR_WORDS = re.compile(r"\b[A-Z]\w*Error\b|\bError\b(?!\s+bars)")
PAGES = [  # (nav label, screenshot name, heading text that proves the page rendered)
    ("Overview", "overview", "The six variants"),
    ("Architecture", "architecture", "Module table"),
    ("Explain", "explain", "Receptive field"),
    ("Design costs", "design_costs", "Every combination of the toggles"),
    ("Accuracy", "accuracy", "Published ablations"),
    ("Ablation lab", "ablation", "Reproduce the shipped results"),
]
DEEP_LINKS = {  # URL path -> the page's title (h1)
    "": "Inception Explorer", "overview": "Inception Explorer", "architecture": "Architecture: GoogLeNet",
    "activations": "Activations: what each branch sees", "design_costs": "Design costs: what each choice costs",
    "accuracy": "Accuracy: what the papers and model zoos report",
    "ablation": "Ablation lab: what each design choice does to accuracy", "lecture": "Lecture: views as slides",
    "explain": "Explain: what each branch contributes",
}
NOT_FOUND = re.compile(r"Page not found|does not seem to exist|no corresponding file")
# Runs before the app's own scripts: records every moment the "Page not found" dialog is in the DOM.
WATCH_NOT_FOUND = """
window.__notFound = [];
const seen = () => {
  const text = document.documentElement ? document.documentElement.textContent : "";
  const m = text.match(/%s/);
  if (m) window.__notFound.push(text.slice(m.index, m.index + 160));
};
new MutationObserver(seen).observe(document, {childList: true, subtree: true, characterData: true});
""" % NOT_FOUND.pattern


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _photo_png() -> bytes:
    y, x = np.mgrid[0:300, 0:400].astype(np.float32)
    img = np.stack([128 + 90 * np.sin(x / 29), 110 + 70 * np.cos(y / 19), 100 + 60 * np.sin((x - y) / 41)], -1)
    disc = ((x - 200) ** 2 + (y - 150) ** 2) < 70 ** 2
    img[disc] = (230, 180, 40)
    buf = io.BytesIO()
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM}: install Debian's chromium "
                    f"(`make browser` or `apt-get install -y chromium`)")
    pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    with _serve(tmp_path_factory.mktemp("streamlit") / "server.log") as url:
        yield url


@contextlib.contextmanager
def _serve(log: Path):
    """A fresh `streamlit run streamlit_app.py` process; yields its URL, ends it afterwards."""
    port = _free_port()
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _settle(page, timeout: float = 180) -> None:
    """Wait until the script run is over: no 'running' status widget, no spinner."""
    deadline = time.time() + timeout
    time.sleep(0.8)
    while time.time() < deadline:
        busy = page.locator("[data-testid='stStatusWidget']").count() + page.locator("[data-testid='stSpinner']").count()
        if not busy:
            time.sleep(0.8)
            if not (page.locator("[data-testid='stStatusWidget']").count()
                    + page.locator("[data-testid='stSpinner']").count()):
                return
        time.sleep(0.4)
    raise AssertionError("the page kept running")


def _assert_no_errors(page, name: str) -> None:
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "Traceback" not in text, f"{name}: a traceback reached the page"
    # exception names (ValueError, ImageError...) or a bare "Error" ("Error bars" is a legend)
    found = ERROR_WORDS.search(text)
    assert found is None, f"{name}: an error is shown: ...{text[max(0, found.start() - 200):found.end() + 200]}..."
    assert page.locator("[data-testid='stException']").count() == 0, f"{name}: st.exception block"
    assert page.locator("[data-testid='stAlertContentError']").count() == 0, f"{name}: st.error block"


def _screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }")
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(int(height) + 40, 8000)})
    time.sleep(1.5)  # let Plotly re-layout
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})
    return path


def test_end_to_end_in_chromium(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
            # GoogLeNet (the lecture's network) keeps the model small; aux heads on: three top-5 tables
            page.goto(f"{server}/?variant=googlenet&aux_heads=1", wait_until="domcontentloaded")
            page.get_by_text("The six variants").first.wait_for(timeout=120_000)
            _settle(page)

            # Activations via the sidebar navigation, then upload a photo through the file input
            page.locator("[data-testid='stSidebarNav']").get_by_text("Activations", exact=True).click()
            page.get_by_text("Feature maps, branch by branch").first.wait_for(timeout=180_000)
            _settle(page)
            page.locator("input[type='file']").set_input_files(
                files=[{"name": "photo.png", "mimeType": "image/png", "buffer": _photo_png()}])
            page.get_by_text("your upload (photo.png)").first.wait_for(timeout=180_000)
            _settle(page)
            assert page.get_by_text("Aux 2 (after inception_4d)").count() >= 1
            maps = page.locator("[data-testid='stImage']")
            assert maps.count() >= 7, "the branch feature maps are missing"
            assert "variant=googlenet" in page.url and "aux_heads=1" in page.url
            _assert_no_errors(page, "activations")
            _screenshot(page, "activations")
            # the PNG downloads are made when clicked (not on every rerun): one really arrives
            button = page.locator("[data-testid='stDownloadButton'] button").first
            button.scroll_into_view_if_needed()
            with page.expect_download(timeout=60_000) as download:
                button.click()
            png = Path(download.value.path()).read_bytes()
            assert download.value.suggested_filename == "inception_3a_1x1_strongest.png"
            assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000

            for label, name, heading in PAGES:
                page.locator("[data-testid='stSidebarNav']").get_by_text(label, exact=True).click()
                page.get_by_text(heading).first.wait_for(timeout=180_000)
                _settle(page)
                _assert_no_errors(page, name)
                assert "variant=googlenet" in page.url, f"{name}: the view left the URL ({page.url})"
                _screenshot(page, name)

            # a deep link into a fresh session restores the exact view
            page.goto(f"{server}/architecture?variant=inception_v4&module=reduction_b", wait_until="domcontentloaded")
            page.get_by_text("Module table").first.wait_for(timeout=120_000)
            _settle(page)
            _assert_no_errors(page, "deep link")
            assert page.locator("h4", has_text="reduction_b").count() >= 1
        finally:
            browser.close()
    for _, name, _ in PAGES:
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000


def _open_watching(browser, url: str, title: str, timeout: float = 180) -> tuple:
    """Open `url` in a new page that records any "Page not found" dialog; wait until the page's
    title (h1) is there and the run is over, polling the record meanwhile. (page, sightings)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.add_init_script(WATCH_NOT_FOUND)
    page.goto(url, wait_until="commit")
    heading = page.locator("[data-testid='stMain'] h1", has_text=title)
    seen: list = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        seen += page.evaluate("() => window.__notFound.splice(0)") or []
        if heading.count():
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"{url}: no heading {title!r} after {timeout} s")
    _settle(page)
    seen += page.evaluate("() => window.__notFound.splice(0)") or []
    return page, seen


@pytest.mark.parametrize("path", list(DEEP_LINKS), ids=lambda p: p or "root")
def test_a_fresh_deep_link_renders_its_page_without_page_not_found(path, tmp_path):
    """One fresh server per page: its first run is Streamlit's pages/-folder mode."""
    from playwright.sync_api import sync_playwright

    _need_browser()
    with _serve(tmp_path / "server.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page, seen = _open_watching(browser, f"{url}/{path}?variant=googlenet", DEEP_LINKS[path])
            assert not seen, f"/{path}: Streamlit showed 'Page not found': {seen[0]!r}"
            assert NOT_FOUND.search(page.locator("body").inner_text()) is None
            _assert_no_errors(page, f"/{path}")
            assert "variant=googlenet" in page.url and page.url.split("?")[0].rstrip("/").endswith(f"/{path}".rstrip("/"))
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"deep_link_{path or 'root'}.png"))
            if path == "":  # the watch itself: a wrong link on the same server does show the dialog
                page.goto(f"{url}/no_such_page", wait_until="commit")
                deadline = time.time() + 60
                while time.time() < deadline and not page.evaluate("() => window.__notFound.length"):
                    time.sleep(0.1)
                assert page.evaluate("() => window.__notFound.length"), "the watch missed a real 'Page not found'"
        finally:
            browser.close()


def _caption_with(page, prefix: str) -> str:
    return page.locator("[data-testid='stImageCaption'], [data-testid='stCaptionContainer']").filter(
        has_text=prefix).first.inner_text()


def test_explain_in_chromium(server):
    """The Explain page on GoogLeNet with its aux heads: per-branch Grad-CAM, a branch switched off
    (the top-5 follow), a unit clicked on the feature map (its receptive field is drawn), the
    knock-out heatmap. Screenshots: explain.png (whole page), explain_gradcam.png,
    explain_knockout.png and explain_rf.png (the parts)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{server}/explain?variant=googlenet&aux_heads=1&module=inception_4a&sample=astronaut",
                      wait_until="domcontentloaded")
            page.get_by_text("Knock-out: every branch switched off in turn").first.wait_for(timeout=240_000)
            _settle(page, timeout=300)
            _assert_no_errors(page, "explain")
            assert page.get_by_text("of the evidence").count() >= 4, "the per-branch Grad-CAM maps are missing"
            assert page.locator(".st-key-ko_heatmap .js-plotly-plot").count() == 1, "no knock-out heatmap"
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.locator("[data-testid='stHorizontalBlock']").filter(has_text="of the evidence").first.screenshot(
                path=str(SHOTS / "explain_gradcam.png"))
            page.locator(".st-key-ko_heatmap").screenshot(path=str(SHOTS / "explain_knockout.png"))

            # switch the 3x3 branch off: the top-5 tables say what changed
            page.get_by_text("3x3 off", exact=True).click()
            page.get_by_text("Switched off: inception_4a/b2").first.wait_for(timeout=120_000)
            _settle(page)
            assert "off=inception_4a.b2" in page.url

            # click a unit near the top-left corner of the feature map: its receptive field is drawn
            before = _caption_with(page, "Unit (")
            drag = page.locator(".st-key-rf_map .nsewdrag").first
            drag.scroll_into_view_if_needed()
            time.sleep(0.5)
            box = drag.bounding_box()
            side = 14  # inception_4a's map at 224 px: click the centre of unit (1, 1)
            page.mouse.click(box["x"] + 1.5 / side * box["width"], box["y"] + 1.5 / side * box["height"])
            deadline = time.time() + 60
            while time.time() < deadline and _caption_with(page, "Unit (") == before:
                time.sleep(0.3)
            _settle(page)
            after = _caption_with(page, "Unit (")
            row, col = (int(v) for v in re.match(r"Unit \((\d+), (\d+)\)", after).groups())
            assert after != before and row <= 2 and col <= 2, (before, after)
            assert f"row={row}" in page.url and f"col={col}" in page.url
            page.get_by_text("Kernel path").first.scroll_into_view_if_needed()
            page.locator("[data-testid='stHorizontalBlock']").filter(has_text="Kernel path").first.screenshot(
                path=str(SHOTS / "explain_rf.png"))
            _assert_no_errors(page, "explain after clicks")
            _screenshot(page, "explain")
        finally:
            browser.close()
    for name in ("explain", "explain_gradcam", "explain_knockout", "explain_rf"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
