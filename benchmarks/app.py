"""The app: time from an upload to rendered feature maps on the Activations page, with a warm model
(the model was built and traced by an earlier upload), through Streamlit's AppTest (the whole page
script reruns as it does for a browser; the browser's own transfer and drawing are not included).

The app is written by another engineer; this finds its pieces without knowing their keys:
the Activations page (pages/*activation*.py), the selectbox or radio whose options name the
variant, and the page's file uploader. When any of them is missing the section is skipped with a
note that says what was missing.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np

from benchmarks import machine
from benchmarks.config import Config

MAP_ELEMENTS = ("imgs", "plotly_chart", "pyplot", "image")  # how feature maps can be drawn


def _skip(note: str) -> dict:
    return {"status": "skipped", "note": note, "rows": []}


def find_page(root: Path) -> Path | None:
    pages = sorted((root / "pages").glob("*activation*.py"))
    return pages[0] if pages else None


def _images(n: int) -> list[bytes]:
    """`n` distinct JPEG uploads (sample photos, each re-encoded with one pixel changed, so no cache
    keyed on the bytes or the pixels can answer for a previous one)."""
    from PIL import Image

    paths = sorted((machine.ROOT / "assets" / "samples").glob("*.jpg"))
    rng = np.random.default_rng(3)
    out = []
    for i in range(n):
        if paths:
            img = Image.open(paths[i % len(paths)]).convert("RGB")
        else:
            img = Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
        arr = np.array(img)
        arr[0, 0] = (i * 37 % 256, i * 91 % 256, i * 13 % 256)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format="JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def _variant_widget(at, variant: str):
    """(widget, value to set) of the selectbox / radio that offers `variant`: its options are the
    variant names, possibly shown through a format_func (titles), or display strings naming it."""
    import explorer

    names = {variant.lower(), explorer.get_spec(variant).title.lower()}
    for kind in ("selectbox", "radio"):
        for w in getattr(at, kind):
            try:
                if str(w.format_func(variant)) in w.options:
                    return w, variant  # options are variant names shown via format_func
            except Exception:  # noqa: BLE001 - format_func of another widget's values
                pass
            options = [str(o).lower() for o in w.options]
            exact = [i for i, o in enumerate(options) if o in names]
            loose = [i for i, o in enumerate(options) if any(n in o for n in names)]
            if exact or loose:
                return w, w.options[(exact or loose)[0]]
    return None, None


def _maps_rendered(at) -> int:
    n = 0
    for kind in MAP_ELEMENTS:
        try:
            n += len(at.get(kind))
        except Exception:  # noqa: BLE001
            pass
    return n


AS_SHIPPED = "as shipped"
WHATIF = "what-if: Streamlit clears Keras after each rerun"


def _measure(AppTest, app_file: Path, rel: str, variant: str, uploads: list[bytes], mode: str) -> dict:
    at = AppTest.from_file(str(app_file), default_timeout=600)
    t0 = time.perf_counter()
    at.switch_page(rel)  # AppTest finds a callable page by its file only before the first run
    at.run()
    page_s = time.perf_counter() - t0
    widget, value = _variant_widget(at, variant)
    if widget is None:
        return {"variant": variant, "mode": mode, "status": "skipped",
                "note": f"no selectbox or radio on {rel} offers {variant}"}
    widget.set_value(value)
    at.run()
    if not at.file_uploader:
        return {"variant": variant, "mode": mode, "status": "skipped", "note": f"no file uploader on {rel}"}
    uploader = at.file_uploader[0]
    times, elements, errors, first_s = [], 0, [], None
    for j, data in enumerate(uploads):  # the page built the model and ran the sample photo already
        uploader.set_value((f"upload_{j}.jpg", data, "image/jpeg"))
        t = time.perf_counter()
        at.run()
        dt = time.perf_counter() - t
        if at.exception:
            errors.append(str(at.exception[0].message)[:200])
            break
        elements = _maps_rendered(at)
        if j == 0:
            first_s = dt
        else:
            times.append(dt)
        uploader = at.file_uploader[0]
    if errors or not times:
        return {"variant": variant, "mode": mode, "status": "error", "note": "; ".join(errors) or "no timed upload"}
    return {"variant": variant, "mode": mode, "status": "ok", "page_s": page_s, "first_upload_s": first_s,
            "upload_to_maps_s": float(np.median(times)), "uploads_timed": len(times), "map_elements": elements,
            "note": "" if elements else "no image/chart element found after the upload"}


def run(cfg: Config, *, whatif: bool = True) -> dict:
    root = Path(cfg.app_root or machine.ROOT)
    app_file = root / "streamlit_app.py"
    if not app_file.is_file():
        return _skip(f"{app_file.name} is not there yet (the app is being written)")
    page = find_page(root)
    if page is None:
        return _skip("no Activations page (pages/*activation*.py) yet")
    try:
        from streamlit.testing.v1 import AppTest
    except ImportError:
        return _skip("streamlit is not installed")
    rel = page.relative_to(root).as_posix()
    uploads = _images(1 + cfg.app_repeats)
    rows = [_measure(AppTest, app_file, rel, v, uploads, AS_SHIPPED) for v in cfg.app_variants]
    if whatif and cfg.app_whatif:
        from benchmarks.whatif import streamlit_clears_keras

        with streamlit_clears_keras() as patched:
            if patched:
                rows += [_measure(AppTest, app_file, rel, v, uploads, WHATIF) for v in cfg.app_variants]
    ok = [r for r in rows if r["status"] == "ok"]
    return {"status": "ok" if ok else "skipped", "page": rel, "driver": "streamlit AppTest", "rows": rows,
            "note": "" if ok else "; ".join(r.get("note", "") for r in rows)}
