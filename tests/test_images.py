"""Tests for explorer.images. Every image is generated here with Pillow/numpy: no files outside
tmp_path, no network."""
from __future__ import annotations

import io
import os
import struct
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # allow `pytest tests/test_images.py` without an install
    sys.path.insert(0, str(_ROOT))

from explorer.inference import images  # noqa: E402
from explorer.inference.images import (MAX_BYTES, MAX_PIXELS, ImageError, describe_image,  # noqa: E402
                             image_digest, load_image, preprocess)

RED = (255, 0, 0)


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def close_to(pixel, expected, tol):
    return all(abs(int(a) - int(b)) <= tol for a, b in zip(pixel, expected))


def png_with_size(width: int, height: int) -> bytes:
    """A valid 10x10 PNG whose IHDR is patched to claim width x height (CRC fixed)."""
    data = bytearray(encode(Image.new("RGB", (10, 10), RED), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


# --------------------------------------------------------------------------- formats and sources
@pytest.mark.parametrize("fmt, tol", [("JPEG", 6), ("PNG", 0), ("WEBP", 6), ("BMP", 0),
                                      ("GIF", 0), ("TIFF", 0)])
def test_each_format_loads_as_rgb(fmt, tol):
    out = load_image(encode(Image.new("RGB", (32, 24), RED), fmt))
    assert out.mode == "RGB" and out.size == (32, 24)
    assert close_to(out.getpixel((16, 12)), RED, tol)
    assert out.info["explorer_source_format"] == fmt
    assert isinstance(out.info["explorer_source_mode"], str)


def test_sources_bytes_file_like_path_and_pil(tmp_path):
    src = Image.new("RGB", (9, 7), (10, 200, 30))
    data = encode(src, "PNG")
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    used = io.BytesIO(data)
    used.read()  # a Streamlit upload that was already read once is rewound
    for source in (data, bytearray(data), memoryview(data), io.BytesIO(data), used, path,
                   str(path), src):
        out = load_image(source)
        assert out.mode == "RGB" and out.size == (9, 7), type(source)
        assert out.getpixel((4, 3)) == (10, 200, 30)
    assert load_image(src) is not src and src.size == (9, 7)  # the caller's image is untouched
    assert load_image(path).info == {"explorer_source_mode": "RGB",
                                     "explorer_source_format": "PNG"}
    assert load_image(src).info["explorer_source_format"] == ""


def test_result_is_decoded_and_independent_of_the_source(tmp_path):
    path = tmp_path / "a.jpg"
    Image.new("RGB", (8, 8), RED).save(path)
    out = load_image(path)
    path.unlink()  # nothing left to read lazily
    assert np.asarray(out).shape == (8, 8, 3)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_file_handles_leak(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (8, 8), RED).save(path)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(encode(Image.new("RGB", (64, 64), RED), "JPEG")[:200])
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        load_image(path)
        with pytest.raises(ImageError):
            load_image(bad)
    assert len(os.listdir("/proc/self/fd")) == before


# --------------------------------------------------------------------------- colour modes
@pytest.mark.parametrize("cmyk, rgb", [((255, 0, 0, 0), (0, 255, 255)),
                                       ((0, 255, 0, 0), (255, 0, 255)),
                                       ((0, 0, 0, 255), (0, 0, 0)),
                                       ((0, 0, 0, 0), (255, 255, 255))])
def test_cmyk_jpeg(cmyk, rgb):
    data = encode(Image.new("CMYK", (16, 16), cmyk), "JPEG", quality=95)
    assert b"Adobe" in data[:64]  # Pillow writes Adobe (inverted) CMYK
    out = load_image(data)
    assert out.mode == "RGB" and close_to(out.getpixel((8, 8)), rgb, 4)
    assert describe_image(out) == {"width": 16, "height": 16, "mode_in": "CMYK",
                                   "format_in": "JPEG"}
    assert load_image(out).info["explorer_source_mode"] == "CMYK"  # reloading keeps the origin


def test_16bit_grayscale_png_is_scaled_not_clipped():
    arr = np.array([[65535, 32768], [0, 257]], dtype=np.uint16)
    src = Image.fromarray(arr)
    assert src.mode == "I;16"
    out = load_image(encode(src, "PNG"))
    assert out.info["explorer_source_mode"] == "I;16"
    got = np.asarray(out)
    assert got.shape == (2, 2, 3)
    assert (got[..., 0] == got[..., 1]).all() and (got[..., 0] == got[..., 2]).all()
    assert got[..., 0].tolist() == [[255, 128], [0, 1]]


def test_16bit_big_endian_int32_and_float_images():
    big = Image.fromarray(np.array([[65535, 0]], dtype=">u2"))
    assert big.mode == "I;16B"
    assert np.asarray(load_image(big))[0, :, 0].tolist() == [255, 0]
    as_16bit = Image.fromarray(np.array([[0, 65535, 32768]], dtype=np.int32))
    assert as_16bit.mode == "I"
    assert np.asarray(load_image(as_16bit))[0, :, 0].tolist() == [0, 255, 128]
    as_8bit = Image.fromarray(np.array([[0, 77, 255]], dtype=np.int32))
    assert np.asarray(load_image(as_8bit))[0, :, 0].tolist() == [0, 77, 255]
    unit = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    assert unit.mode == "F"
    assert np.asarray(load_image(unit))[0, :, 0].tolist() == [0, 128, 255]
    wide = Image.fromarray(np.array([[-1.0, 0.0, 1.0]], dtype=np.float32))
    assert np.asarray(load_image(wide))[0, :, 0].tolist() == [0, 128, 255]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_alpha_is_composited_on_white(fmt):
    arr = np.zeros((4, 6, 4), np.uint8)
    arr[..., 0] = 255                      # red everywhere ...
    arr[:, :2, 3] = 0                      # ... transparent on the left,
    arr[:, 2:4, 3] = 128                   # half transparent in the middle,
    arr[:, 4:, 3] = 255                    # opaque on the right
    options = {"lossless": True} if fmt == "WEBP" else {}
    out = load_image(encode(Image.fromarray(arr), fmt, **options))
    assert out.mode == "RGB" and out.info["explorer_source_mode"] == "RGBA"
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert close_to(out.getpixel((2, 0)), (255, 127, 127), 1)
    assert out.getpixel((5, 0)) == RED


def test_la_with_alpha_zero_is_white():
    src = Image.new("LA", (3, 3), (0, 0))
    out = load_image(encode(src, "PNG"))
    assert out.getpixel((1, 1)) == (255, 255, 255)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_palette_with_transparency(fmt):
    src = Image.new("P", (4, 2), 0)
    src.putpalette([255, 0, 0, 0, 255, 0] + [0, 0, 0] * 254)
    for x in range(2, 4):
        for y in range(2):
            src.putpixel((x, y), 1)
    out = load_image(encode(src, fmt, transparency=1))
    assert out.info["explorer_source_mode"] == "P"
    assert out.getpixel((0, 0)) == RED
    assert out.getpixel((3, 1)) == (255, 255, 255)  # transparent green -> white


def test_palette_without_transparency():
    src = Image.new("RGB", (4, 4), (0, 0, 255)).convert("P")
    assert load_image(encode(src, "PNG")).getpixel((1, 1)) == (0, 0, 255)


def test_grayscale_gives_three_equal_channels():
    out = load_image(encode(Image.new("L", (5, 5), 77), "PNG"))
    assert out.mode == "RGB" and out.getpixel((2, 2)) == (77, 77, 77)
    assert out.info["explorer_source_mode"] == "L"


def test_one_bit_image():
    arr = np.zeros((4, 4), bool)
    arr[::2, ::2] = True
    src = Image.fromarray(arr)
    assert src.mode == "1"
    out = np.asarray(load_image(encode(src, "PNG")))
    assert out[0, 0].tolist() == [255, 255, 255] and out[0, 1].tolist() == [0, 0, 0]


def test_ycbcr_lab_hsv_pil_images():
    ycc = Image.new("RGB", (2, 2), (200, 10, 10)).convert("YCbCr")
    assert close_to(load_image(ycc).getpixel((0, 0)), (200, 10, 10), 4)
    assert load_image(Image.new("HSV", (2, 2), (0, 255, 255))).getpixel((0, 0)) == RED
    lab_white = load_image(Image.new("LAB", (2, 2), (255, 128, 128)))
    assert close_to(lab_white.getpixel((0, 0)), (255, 255, 255), 2)
    assert lab_white.info["explorer_source_mode"] == "LAB"


# --------------------------------------------------------------------------- orientation, frames
@pytest.mark.parametrize("orientation, size, red_at, white_at", [
    (1, (40, 20), (2, 2), (37, 17)),
    (6, (20, 40), (17, 2), (2, 2)),    # rotate 90 CW: top-left -> top-right
    (3, (40, 20), (37, 17), (2, 2)),   # rotate 180: top-left -> bottom-right
    (8, (20, 40), (2, 37), (2, 2)),    # rotate 90 CCW: top-left -> bottom-left
])
def test_exif_orientation_is_applied(orientation, size, red_at, white_at):
    src = Image.new("RGB", (40, 20), (255, 255, 255))
    src.paste(RED, (0, 0, 6, 6))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = load_image(encode(src, "JPEG", quality=95, exif=exif))
    assert out.size == size
    assert close_to(out.getpixel(red_at), RED, 40)
    assert close_to(out.getpixel(white_at), (255, 255, 255), 10)


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in (RED, (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(buf.getvalue())).n_frames == 3
    out = load_image(buf.getvalue())
    assert out.mode == "RGB" and out.getpixel((4, 4)) == RED


def test_multipage_tiff_gives_first_page():
    pages = [Image.new("RGB", (8, 8), c) for c in ((0, 0, 255), RED)]
    out = load_image(encode(pages[0], "TIFF", save_all=True, append_images=pages[1:]))
    assert out.getpixel((4, 4)) == (0, 0, 255)


# --------------------------------------------------------------------------- refusals
def jpeg_bytes() -> bytes:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    return encode(Image.fromarray(noise), "JPEG", quality=90)


@pytest.mark.parametrize("data, needles", [
    (b"", ["empty (0 bytes)", "JPEG, PNG, WebP"]),
    (b"hello world", ["not an image Pillow can read", "plain text"]),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", ["PDF document"]),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
     b'<rect width="10" height="10"/></svg>', ["SVG", "PNG"]),
    (b"<!DOCTYPE html><html><head><title>cat</title></head><body></body></html>",
     ["HTML web page", "Save image as"]),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", ["HEIC"]),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, ["damaged"]),
    (bytes(range(256)) * 4, ["unknown format"]),
])
def test_non_images_are_refused_with_a_specific_message(data, needles):
    with pytest.raises(ImageError) as info:
        load_image(data)
    for needle in needles:
        assert needle in str(info.value)


def test_empty_file_like_and_empty_path(tmp_path):
    with pytest.raises(ImageError, match=r"empty \(0 bytes\)"):
        load_image(io.BytesIO(b""))
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty \(0 bytes\)"):
        load_image(tmp_path / "empty.png")


def test_truncated_jpeg_is_refused():
    data = jpeg_bytes()
    assert load_image(data).size == (64, 64)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_png_is_refused():
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "PNG")
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])


def test_bad_paths(tmp_path):
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)
    with pytest.raises(ImageError, match="No file found"):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(ImageError, match="No file found"):
        load_image(str(tmp_path / "missing.jpg"))
    with pytest.raises(ImageError, match="SVG/HTML text, not a path"):
        load_image('<svg xmlns="http://www.w3.org/2000/svg"></svg>')  # text passed as a str
    renamed = tmp_path / "notes.jpg"
    renamed.write_text("shopping list: eggs, milk\n")
    with pytest.raises(ImageError) as info:
        load_image(renamed)
    assert "plain text" in str(info.value) and "'.jpg'" in str(info.value)


def test_too_many_bytes(monkeypatch):
    data = encode(Image.new("RGB", (64, 64), RED), "BMP")
    monkeypatch.setattr(images, "MAX_BYTES", 1000)
    for source in (data, io.BytesIO(data)):
        with pytest.raises(ImageError, match="MB limit"):
            load_image(source)
    assert MAX_BYTES == 50 * 1024 * 1024


def test_unsupported_source_types(tmp_path):
    for bad in (42, None, [1, 2, 3], 3.5):
        with pytest.raises(TypeError, match="cannot read"):
            load_image(bad)
    path = tmp_path / "a.png"
    path.write_bytes(encode(Image.new("RGB", (4, 4)), "PNG"))
    with open(path, encoding="latin-1") as text_mode, pytest.raises(TypeError, match="binary"):
        load_image(text_mode)


def test_pixel_limit_is_checked_before_decoding(monkeypatch):
    data = encode(Image.new("RGB", (10, 10), RED), "PNG")
    calls = []

    def no_decoding(self, *args, **kwargs):
        calls.append(self)
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(ImageError) as info:
        load_image(data, max_pixels=50)
    assert "10 x 10" in str(info.value) and "megapixels" in str(info.value)
    assert "0.00005 megapixel limit" in str(info.value)
    assert calls == []


def test_header_declaring_huge_dimensions():
    assert MAX_PIXELS == 40_000_000
    filters = list(warnings.filters)
    with pytest.raises(ImageError, match=r"8000 x 8000 = 64\.0 megapixels, more than the 40 "
                                         r"megapixel limit; please resize it first"):
        load_image(png_with_size(8000, 8000))
    # above Pillow's own bomb limits (its warning and its error) the message is the same kind
    for side, mp in ((10000, "100.0"), (30000, "900.0")):
        with pytest.raises(ImageError, match=rf"{mp} megapixels, more than the \S+ megapixel"):
            load_image(png_with_size(side, side))
    assert warnings.filters == filters  # no global warnings-as-errors left behind


# --------------------------------------------------------------------------- digest, describe
def test_image_digest_stable_and_sensitive():
    arr = np.random.default_rng(2).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    a = load_image(encode(Image.fromarray(arr), "PNG"))
    b = load_image(Image.fromarray(arr.copy()))
    assert image_digest(a) == image_digest(b) == image_digest(a)
    assert len(image_digest(a)) == 64 and int(image_digest(a), 16) >= 0
    changed = arr.copy()
    changed[5, 5, 1] ^= 1
    assert image_digest(Image.fromarray(changed)) != image_digest(a)
    flat = np.zeros((2, 8, 3), np.uint8)
    tall = Image.fromarray(flat.reshape(8, 2, 3))  # same bytes, other size
    assert image_digest(Image.fromarray(flat)) != image_digest(tall)


def test_describe_image():
    out = load_image(encode(Image.new("L", (30, 20), 5), "PNG"))
    assert describe_image(out) == {"width": 30, "height": 20, "mode_in": "L", "format_in": "PNG"}
    assert describe_image(np.zeros((4, 7, 3), np.uint8))["width"] == 7


# --------------------------------------------------------------------------- preprocess
def bands() -> Image.Image:
    """200 wide x 100 high: black | white | black, split at x = 50 and x = 150."""
    arr = np.zeros((100, 200, 3), np.uint8)
    arr[:, 50:150] = 255
    return Image.fromarray(arr)


def test_preprocess_crop_keeps_the_centre():
    crop, batch = preprocess(bands(), 50, resize="crop")
    assert crop.shape == (50, 50, 3) and crop.dtype == np.uint8 and crop.flags.c_contiguous
    assert batch.shape == (1, 50, 50, 3) and batch.dtype == np.float32
    assert (crop[:, 3:47] == 255).all()          # only the white centre survives
    assert crop.mean() > 250


def test_preprocess_stretch_keeps_both_sides():
    crop, batch = preprocess(bands(), 50, resize="stretch")
    assert crop.shape == (50, 50, 3) and batch.shape == (1, 50, 50, 3)
    assert (crop[:, :10] == 0).all() and (crop[:, 40:] == 0).all()
    assert (crop[:, 15:35] == 255).all()


def test_preprocess_portrait_and_rectangular_target():
    tall = Image.fromarray(np.full((300, 100, 3), 90, np.uint8))
    crop, batch = preprocess(tall, 64)
    assert crop.shape == (64, 64, 3) and (crop == 90).all()
    crop, batch = preprocess(tall, (30, 60))  # (height, width)
    assert crop.shape == (30, 60, 3) and batch.shape == (1, 30, 60, 3)
    crop, _ = preprocess(tall, (30, 60), resize="stretch")
    assert crop.shape == (30, 60, 3) and (crop == 90).all()


def test_tf_normalisation_is_exactly_minus_one_to_one():
    arr = np.zeros((20, 20, 3), np.uint8)
    arr[:, 10:] = 255
    crop, batch = preprocess(arr, 20, resize="stretch", normalization="tf")
    assert (crop == arr).all()
    assert batch.min() == -1.0 and batch.max() == 1.0
    assert batch[0, 0, 0].tolist() == [-1.0, -1.0, -1.0]
    assert batch[0, 0, 19].tolist() == [1.0, 1.0, 1.0]


def test_torch_caffe_and_unit_normalisation_values():
    arr = np.zeros((8, 8, 3), np.uint8)
    arr[:] = (255, 0, 128)
    _, torch = preprocess(arr, 8, normalization="torch")
    expected = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (128 / 255 - 0.406) / 0.225]
    np.testing.assert_allclose(torch[0, 4, 4], expected, rtol=1e-5)
    arr[:] = (10, 20, 30)
    _, caffe = preprocess(arr, 8, normalization="caffe")
    np.testing.assert_allclose(caffe[0, 4, 4], [30 - 103.939, 20 - 116.779, 10 - 123.68],
                               rtol=1e-6)
    for name in ("none", "unit"):
        crop, unit = preprocess(arr, 8, normalization=name)
        np.testing.assert_allclose(unit[0, 4, 4], [10 / 255, 20 / 255, 30 / 255], rtol=1e-6)
        assert unit.dtype == np.float32


@pytest.mark.parametrize("shape", [(1, 224, 224, 3), (2, 5, 7, 3), (7, 3), (3,)])
def test_normalisation_equals_the_per_pixel_formula_exactly(shape):
    """normalize_array works on rows of W*3 values (a long inner loop); element by element it is
    the same float32 arithmetic as broadcasting the three per-channel constants over every pixel."""
    from explorer.inference.images import _CAFFE_MEAN_BGR, _TORCH_MEAN, _TORCH_STD, normalize_array

    images = np.random.default_rng(len(shape)).integers(0, 256, shape, dtype=np.uint8)
    x = images.astype(np.float32)
    expected = {"tf": x / np.float32(127.5) - np.float32(1.0),
                "torch": (x / np.float32(255.0) - _TORCH_MEAN) / _TORCH_STD,
                "caffe": x[..., ::-1] - _CAFFE_MEAN_BGR,
                "unit": x / np.float32(255.0)}
    for name, want in expected.items():
        got = normalize_array(images, name)
        assert got.dtype == np.float32 and got.flags.c_contiguous and got.shape == shape
        assert np.array_equal(got, want), name
    floats = images.astype(np.float32)
    normalize_array(floats, "torch")
    assert np.array_equal(floats, images.astype(np.float32))  # the caller's array is left as it was


def test_preprocess_converts_non_rgb_images():
    rgba = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    crop, _ = preprocess(rgba, 8)
    assert (crop == 255).all()
    crop, _ = preprocess(Image.new("L", (16, 16), 40), 8)
    assert (crop == 40).all()


def test_preprocess_bad_options():
    img = Image.new("RGB", (10, 10))
    with pytest.raises(ValueError) as info:
        preprocess(img, 5, resize="squash")
    assert "'crop'" in str(info.value) and "'stretch'" in str(info.value)
    assert "Received: 'squash'" in str(info.value)
    with pytest.raises(ValueError) as info:
        preprocess(img, 5, normalization="imagenet")
    for name in ("'tf'", "'torch'", "'caffe'", "'none'", "Received: 'imagenet'"):
        assert name in str(info.value)
    for size in (0, -3, (1, 2, 3), "299", 2.5, True):
        with pytest.raises(ValueError, match="size must be"):
            preprocess(img, size)
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        preprocess(np.zeros((10, 10, 3), np.float32), 5)
    with pytest.raises(TypeError):
        preprocess(b"not decoded", 5)


def test_preprocess_central_is_tf_slims_evaluation_crop():
    """TF-slim's evaluation: tf.image.central_crop(0.875) (its rounding), then a bilinear resize."""
    arr = np.zeros((80, 160, 3), np.uint8)
    arr[:, :10] = 255  # a 10-px white band on the left: 160 * 0.0625 = 10 px are cut each side
    arr[:5] = 255  # a 5-px band on top: 80 * 0.0625 = 5 px are cut
    crop, _ = preprocess(arr, (70, 140), resize="central")
    assert crop.shape == (70, 140, 3)
    assert crop.max() == 0  # both bands fall outside the central 87.5%
    same, _ = preprocess(np.full((64, 64, 3), 7, np.uint8), 64, resize="central")
    assert same.shape == (64, 64, 3) and (same == 7).all()  # cut to 56 px and resized back
    odd = Image.fromarray(np.zeros((75, 75, 3), np.uint8))
    assert images._central_crop(odd, 0.875).size == (67, 67)  # int((75 - 65.625) / 2) = 4 px each side
