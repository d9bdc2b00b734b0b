"""The projector and the phone, in a real browser (headless Chromium, `streamlit run`).

At 1280x720 (a projector) every page, with GoogLeNet's aux heads on (three top-5 tables), must
show no table, metric, button label or chart title cut off: the check compares each one's
`scrollWidth` with its `clientWidth` (tables, metrics; a button label's text with its box) and each
chart title's and axis title's box with its chart's box (Plotly draws them in SVG, which never
scrolls). No chart's title, x-axis title and legend may overlap, there and on a phone. The first
screen of Activations shows the photo, the top-5 and the first feature maps. On a 390x844 phone
the sidebar starts folded and the charts keep their ticks apart. The app in Chinese and in lecture
mode is screenshotted for the README, and lecture mode steps through a lecture with the arrow keys."""
from __future__ import annotations

import time

import pytest

from tests.test_browser import LAUNCH_ARGS, SHOTS, _assert_no_errors, _need_browser, _serve, _settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

QUERY = "variant=googlenet&aux_heads=1"
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
LANGS = ("en", "zh")
PAGES = [(name, QUERY, LANGS) for name in ("", "architecture", "activations", "explain", "design_costs", "accuracy",
                                            "ablation", "lecture")]
PAGES.append(("architecture", "variant=inception_resnet_v2", LANGS))  # the longest metric: 13.16 GMACs
# the longest button label ("Switch to GoogLeNet (2014)" in Chinese) and 1001-class names in the top-5
PAGES.append(("activations", "variant=inception_resnet_v2", ("zh",)))
# A chart's title, x-axis title and legend drawn over one another, as ["chart overlap: a / b", the
# chart's title, overlap in px]: a wrapped title ran into the legend above the per-module bars, and a
# wrapped x-axis title into the legend under the accuracy chart (explorer.figures.style.legend_room).
OVERLAP_JS = """
() => {
  const out = [];
  for (const p of document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')) {
    const parts = [];
    for (const [kind, sel] of [["title", ".gtitle"], ["x title", ".g-xtitle text"], ["legend", ".legend"]]) {
      for (const el of p.querySelectorAll(sel)) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) parts.push([kind, r]);
      }
    }
    for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
      const a = parts[i][1], b = parts[j][1];
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      const title = (p.querySelector('.gtitle') || {}).textContent || "";
      if (w > 1 && h > 1) out.push(["chart overlap: " + parts[i][0] + " / " + parts[j][0], title.slice(0, 60), Math.round(h)]);
    }
  }
  return out;
}
"""
# Everything that can be cut off or drawn over, as [what, text, px]; [] when all fits.
OVERFLOW_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const cut = (kind, el, text) => {
    const over = el.scrollWidth - el.clientWidth;
    if (over > 1) out.push([kind, (text || el.textContent || "").slice(0, 60), over]);
  };
  for (const s of main.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')) {
    const grid = s.closest('[data-testid="stDataFrame"]');
    cut("table", s, grid.getAttribute("data-key") || grid.textContent.slice(0, 40));
  }
  for (const t of main.querySelectorAll('[data-testid="stTable"]')) cut("table", t);
  for (const m of main.querySelectorAll('[data-testid="stMetricValue"] > div, [data-testid="stMetricLabel"] p, [data-testid="stMetricDelta"] > div')) cut("metric", m);
  // a button's label is ended with "..." when it does not fit (its text is wider than its box)
  for (const d of main.querySelectorAll('button .stMarkdownEllipsis')) {
    const text = d.firstElementChild;
    const over = text ? text.getBoundingClientRect().width - d.clientWidth : 0;
    if (over > 0.5) out.push(["button", d.textContent.slice(0, 60), Math.ceil(over)]);
  }
  for (const p of main.querySelectorAll('.js-plotly-plot')) {
    const box = p.getBoundingClientRect();
    for (const t of p.querySelectorAll('.gtitle, .g-gtitle text, .g-xtitle text, .g-ytitle text, .legendtext')) {
      const r = t.getBoundingClientRect();
      const over = Math.max(box.left - r.left, r.right - box.right, box.top - r.top, r.bottom - box.bottom);
      if (r.width > 0 && over > 1) out.push(["chart text", t.textContent.slice(0, 60), Math.round(over)]);
    }
  }
  return out.concat((""" + OVERLAP_JS + """)());
}
"""


def _open(page, url: str, heading: str = "h1") -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.locator(f"[data-testid='stMain'] {heading}").first.wait_for(timeout=180_000)
    _settle(page)
    time.sleep(1.5)  # Plotly lays out after the run


def _browser(p):
    return p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=LAUNCH_ARGS)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    with _serve(tmp_path_factory.mktemp("streamlit") / "server.log") as url:
        yield url


def test_nothing_is_cut_off_on_a_projector(server):
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport=PROJECTOR)
            for name, query, langs in PAGES:
                for lang in langs:
                    _open(page, f"{server}/{name}?{query}&lang={lang}")
                    _assert_no_errors(page, name or "overview")
                    cut = page.evaluate(OVERFLOW_JS)
                    if cut:
                        found[f"{name or 'overview'}?{query} ({lang})"] = cut
                    if lang == "en":
                        SHOTS.mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=str(SHOTS / f"projector_{name or 'overview'}.png"))
        finally:
            browser.close()
    assert not found, "cut off at 1280x720:\n" + "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_first_screen_of_activations_shows_the_photo_the_top5_and_the_maps(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport=PROJECTOR)
            _open(page, f"{server}/activations?{QUERY}")
            fold = PROJECTOR["height"]
            crop = page.locator("[data-testid='stImage']").first.bounding_box()
            top5 = page.locator("[data-testid='stDataFrame']").first.bounding_box()
            maps = page.locator("[data-testid='stImage']").nth(1).bounding_box()
            assert crop["y"] + crop["height"] <= fold, f"the photo ends below the fold ({crop})"
            assert top5["y"] + top5["height"] <= fold, f"the top-5 ends below the fold ({top5})"
            assert maps["y"] + 0.5 * maps["height"] <= fold, f"the feature maps are not on the first screen ({maps})"
            page.screenshot(path=str(SHOTS / "projector_activations_first_screen.png"))
        finally:
            browser.close()


def test_a_phone_gets_the_sidebar_folded_and_readable_charts(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
            _open(page, f"{server}/design_costs?variant=googlenet")
            sidebar = page.locator("[data-testid='stSidebar']")
            assert sidebar.get_attribute("data-collapsed") == "true", "the sidebar covers the phone's screen"
            _assert_no_errors(page, "design costs on a phone")
            page.locator(".st-key-combos_chart .xtick text").first.wait_for(timeout=60_000)  # Plotly draws late
            # the combinations scatter's log-axis ticks do not run into each other
            overlaps = page.evaluate("""() => {
              const out = [];
              // the log-log scatter of every combination (rotated category labels, elsewhere, overlap by design)
              for (const axis of document.querySelectorAll('.st-key-combos_chart .xaxislayer-above, .st-key-combos_chart .yaxislayer-above')) {
                const boxes = [...axis.querySelectorAll('.xtick text, .ytick text')].map(t => t.getBoundingClientRect())
                  .filter(r => r.width > 0);
                for (let i = 1; i < boxes.length; i++) {
                  const a = boxes[i - 1], b = boxes[i];
                  if (a.right > b.left + 1 && a.left < b.right - 1 && a.bottom > b.top + 1 && a.top < b.bottom - 1) out.push(i);
                }
              }
              return out;
            }""")
            assert page.locator(".st-key-combos_chart .xtick text").count() >= 3, "no ticks found to check"
            assert not overlaps, f"chart ticks overlap on a phone: {overlaps}"
            page.screenshot(path=str(SHOTS / "phone_design_costs.png"), full_page=False)
            # where a legend takes one row per entry: titles and legends stay apart (lecture links open
            # in lecture mode: larger fonts)
            drawn_over = {}
            for url in ("design_costs?variant=googlenet", "design_costs?variant=googlenet&lang=zh&lecture=1",
                        "accuracy?lang=zh&lecture=1"):
                if "lecture" in url:
                    _open(page, f"{server}/{url}")
                page.locator("[data-testid='stMain'] .legend").first.wait_for(timeout=60_000)
                time.sleep(1)
                drawn_over[url] = page.evaluate(OVERLAP_JS)
                assert page.locator("[data-testid='stMain'] .legend").count() >= 1
            assert not any(drawn_over.values()), f"chart parts drawn over one another on a phone: {drawn_over}"
        finally:
            browser.close()


def test_chinese_and_lecture_mode_screenshots_and_the_arrow_keys(server):
    """The README's screenshots (copied from artifacts/screenshots/ to docs/screenshots/ after a
    look), Streamlit's uploader text in Chinese, and a lecture given with the keyboard."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport=PROJECTOR)
            _open(page, f"{server}/design_costs?lang=zh&variant=googlenet&reduce_1x1=0")
            assert page.locator("[data-testid='stMain'] h1").first.inner_text().startswith("设计代价")
            _assert_no_errors(page, "design costs in Chinese")
            page.screenshot(path=str(SHOTS / "chinese_design_costs.png"))

            _open(page, f"{server}/lecture?lang=zh&talk=inception_survey")
            # Streamlit's own uploader text, drawn translated over it (pages/ui/uploads.py)
            upload = ".st-key-lecture_upload [data-testid='stFileUploaderDropzone']"
            limit = page.locator(f"{upload} [data-testid='stFileUploaderDropzoneInstructions'] span").first
            assert limit.evaluate("e => getComputedStyle(e, '::after').content") == '"每个文件最大 20 MB • TOML"'
            assert limit.evaluate("e => getComputedStyle(e).fontSize") == "0px"  # "20MB per file • TOML" hidden
            button = page.locator(f"{upload} button p").first
            assert button.evaluate("e => getComputedStyle(e, '::after').content") == '"上传"'
            page.locator(".st-key-lecture_start button").first.click()
            page.get_by_text("1 / 14").first.wait_for(timeout=180_000)
            _settle(page)
            assert "lecture=1" in page.url and "slide=1" in page.url
            assert page.locator("[data-testid='stSidebar']").get_attribute("data-collapsed") == "true"
            for n in (2, 3):
                page.keyboard.press("ArrowRight")
                page.get_by_text(f"{n} / 14").first.wait_for(timeout=180_000)
                _settle(page)
                assert f"slide={n}" in page.url
            _assert_no_errors(page, "lecture slide 3")
            time.sleep(1.5)
            page.screenshot(path=str(SHOTS / "lecture_mode.png"))
            page.keyboard.press("PageUp")  # a presenter's "back" key
            page.get_by_text("2 / 14").first.wait_for(timeout=180_000)
            assert "slide=2" in page.url
        finally:
            browser.close()
