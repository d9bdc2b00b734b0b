"""Image loading and preprocessing for the explorer (numpy + Pillow only).

`load_image` turns whatever a student uploads into a decoded 8-bit RGB `PIL.Image.Image`, or
raises `ImageError` with a message that says what is wrong and what to do. `preprocess` turns
that image into the exact uint8 crop shown in the UI and the float32 batch fed to a network.
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["ImageError", "MAX_PIXELS", "MAX_BYTES", "load_image", "image_digest", "preprocess",
           "describe_image"]

MAX_PIXELS = 40_000_000           # width * height, checked from the header before decoding
MAX_BYTES = 50 * 1024 * 1024      # largest encoded input read (bytes, file or upload)

# Pillow plugins tried (JPEG also yields MPO). EPS is left out: Pillow decodes it with Ghostscript.
_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "DIB", "GIF", "TIFF", "ICO", "PPM", "AVIF")
_ASK = "Please upload a photo (JPEG, PNG, WebP, BMP, GIF or TIFF)."
# Errors Pillow's decoders raise on damaged data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError,
                  ZeroDivisionError, MemoryError)
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
NORMALIZATIONS = ("tf", "torch", "caffe", "none", "unit")
RESIZE_MODES = ("crop", "stretch", "central")
SLIM_CENTRAL_FRACTION = 0.875  # TF-slim inception_preprocessing (evaluation): tf.image.central_crop
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_TORCH_STD = np.array([0.229, 0.224, 0.225], np.float32)
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], np.float32)


class ImageError(ValueError):
    """Raised for any input that is not a usable image. Message is for a student: says what is
    wrong and what to do."""


# --------------------------------------------------------------------------- loading
def load_image(source, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode `source` into a fully loaded 8-bit 'RGB' PIL image with EXIF orientation applied.

    source: bytes / bytearray / memoryview; a path (str or pathlib.Path); a binary file-like
    object with `.read` (e.g. Streamlit's UploadedFile; rewound first when seekable); or a PIL
    image (loaded if lazy, never closed or changed). Encoded inputs over `MAX_BYTES` are
    refused. Accepted formats: JPEG (and MPO), PNG, WebP, BMP, GIF (first frame), TIFF (first
    page), ICO, PPM, AVIF.

    The size in the header is checked against `max_pixels` before any pixel is decoded (Pillow's
    own `Image.MAX_IMAGE_PIXELS` bomb guard also applies). Truncated or corrupt data raises
    `ImageError`; `ImageFile.LOAD_TRUNCATED_IMAGES` is never changed. Colour conversion: alpha
    (RGBA, LA, PA, palette/tRNS transparency) is composited on white; 16-bit modes are scaled
    (65535 -> 255); 'I' and 'F' are scaled by their value range (see `_scale_to_8bit`); CMYK,
    YCbCr, LAB, HSV, L and 1 use Pillow's conversion.

    The returned image's `info` holds only 'explorer_source_mode' and 'explorer_source_format'
    (strings; the format is '' when unknown), e.g. 'CMYK' and 'JPEG'. Raises TypeError for a
    source of an unsupported type.
    """
    if isinstance(source, Image.Image):
        return _finish(source, source.info.get("explorer_source_format", source.format or ""),
                       max_pixels, source.info.get("explorer_source_mode"))
    data, name = _read_source(source)
    if not data:
        raise ImageError(f"The file is empty (0 bytes). {_ASK}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.init()  # registers the plugins (once); unknown names would raise KeyError
            img = Image.open(io.BytesIO(data), formats=[f for f in _FORMATS if f in Image.OPEN])
    except UnidentifiedImageError:
        raise ImageError(_not_an_image_message(data, name)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(_bomb_message(str(exc), max_pixels)) from None
    except _DECODE_ERRORS as exc:  # a header Pillow recognised but could not parse
        raise _corrupt(exc) from None
    with img:
        return _finish(img, img.format or "", max_pixels, None)


def _read_source(source) -> tuple[bytes, str]:
    """Return (encoded bytes, a display name) for a bytes, path or file-like source."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), ""
    elif isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        name = str(source)
        try:
            if path.is_dir():
                raise ImageError(f"'{name}' is a folder, not an image file. Choose a single "
                                 f"image file inside it.")
            _check_bytes(path.stat().st_size)
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except FileNotFoundError:
            hint = " (this looks like SVG/HTML text, not a path)" if "<" in name else ""
            raise ImageError(f"No file found at '{name[:200]}'{hint}. Check the path and try "
                             f"again.") from None
        except OSError as exc:  # permission denied, name too long, ...
            raise ImageError(f"Cannot read '{name[:200]}': {exc.strerror or exc}.") from None
    elif callable(getattr(source, "read", None)):
        name = str(getattr(source, "name", "") or "")
        seekable = getattr(source, "seekable", None)
        if callable(seekable) and seekable():
            source.seek(0)
        data = source.read(MAX_BYTES + 1)
        if isinstance(data, str):
            raise TypeError("load_image needs a binary file object: open the file with 'rb' "
                            "(it returned text).")
        data = bytes(data or b"")
    else:
        raise TypeError(f"load_image cannot read a {type(source).__name__}: pass bytes, a path "
                        f"(str or pathlib.Path), a binary file object or a PIL image.")
    _check_bytes(len(data))
    return data, name


def _check_bytes(n: int) -> None:
    if n > MAX_BYTES:
        raise ImageError(f"The file is {n / 2**20:.1f} MB, more than the "
                         f"{MAX_BYTES / 2**20:g} MB limit. Please upload a smaller image.")


def _finish(img: Image.Image, fmt: str, max_pixels: int, mode_in: str | None) -> Image.Image:
    """Size-check (from the header), decode, orient and convert `img` to a new RGB image."""
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError(f"The image is {width} x {height} = {_mp(width * height)} megapixels, "
                         f"more than the {_mp(max_pixels, limit=True)} megapixel limit; please "
                         f"resize it first.")
    mode_in = mode_in or img.mode
    try:
        img.load()
    except _DECODE_ERRORS as exc:
        raise _corrupt(exc) from None
    try:
        img = ImageOps.exif_transpose(img)  # always a new image (in_place=False)
    except _DECODE_ERRORS:  # a damaged EXIF block: keep the pixels, skip the rotation
        img = img.copy()
    rgb = _to_rgb(img)
    rgb.info = {"explorer_source_mode": str(mode_in), "explorer_source_format": str(fmt or "")}
    return rgb


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert a decoded image of any Pillow mode to 'RGB' (alpha composited on white).

    `img` must already be a private copy (it is returned as is when it is 'RGB')."""
    mode = img.mode
    if mode.startswith("I") or mode == "F":
        return _scale_to_8bit(img).convert("RGB")
    if mode in _ALPHA_MODES or "transparency" in img.info:
        if mode == "La":
            img = img.convert("LA")
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    try:
        return img if mode == "RGB" else img.convert("RGB")
    except ValueError:
        raise ImageError(f"Unsupported colour mode '{mode}'. Please save the image as an "
                         f"8-bit RGB JPEG or PNG and try again.") from None


def _scale_to_8bit(img: Image.Image) -> Image.Image:
    """Map a 16-bit ('I;16*'), 32-bit integer ('I') or float ('F') image to 8-bit 'L'.

    'I;16*': value * 255 / 65535. 'I' and 'F': values already in 0..255 are kept (for 'F', a
    0..1 image is multiplied by 255); 0..65535 is scaled as 16-bit; anything else is stretched
    from its minimum to its maximum. NaN/inf become 0. Rounds to nearest.
    """
    arr = np.asarray(img).astype(np.float64)
    if img.mode.startswith("I;16"):
        arr = arr * (255.0 / 65535.0)
    else:
        arr = np.where(np.isfinite(arr), arr, 0.0)
        lo, hi = float(arr.min(initial=0.0)), float(arr.max(initial=0.0))
        if img.mode == "F" and lo >= 0 and hi <= 1:
            arr = arr * 255.0
        elif lo >= 0 and hi <= 255:
            pass
        elif lo >= 0 and hi <= 65535:
            arr = arr * (255.0 / 65535.0)
        else:
            arr = (arr - lo) * (255.0 / (hi - lo))
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))


def _corrupt(exc: BaseException) -> ImageError:
    return ImageError(f"The image is truncated or corrupt: {exc}. Please re-download or "
                      f"re-export it and try again.")


def _mp(pixels: float, *, limit: bool = False) -> str:
    """Megapixels for a message: an image's as 400.0, a limit's as 40 or 89.5 (or 0.00005)."""
    mp = pixels / 1e6
    if mp >= 0.1 and not limit:
        return f"{mp:.1f}"
    return f"{mp:.{1 if mp >= 1 else 6}f}".rstrip("0").rstrip(".") or "0"


def _bomb_message(text: str, max_pixels: int) -> str:
    """Message for Pillow's DecompressionBombError/Warning (size is only in its text)."""
    found = re.search(r"\((\d+) pixels\)", text)
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    size = f"{_mp(int(found.group(1)))} megapixels" if found else "too large"
    return (f"The image is {size}, more than the {_mp(limit, limit=True)} megapixel limit; "
            f"please resize it first.")


def _not_an_image_message(data: bytes, name: str) -> str:
    """Why Pillow could not identify `data`, sniffed from its first bytes, and what to do."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    low = head.lower()
    hint = ""
    if head.startswith(b"%PDF"):
        kind, hint = "a PDF document", " Export the page as PNG or take a screenshot."
    elif b"<svg" in low:
        kind, hint = "an SVG vector drawing", " Export it as PNG first."
    elif low.startswith((b"<!doctype html", b"<html")) or b"<head" in low or b"<body" in low:
        kind, hint = "an HTML web page", (" You probably saved the web page: right-click the "
                                          "picture and choose 'Save image as'.")
    elif head.startswith(b"<?xml"):
        kind = "an XML document"
    elif head.startswith(b"PK\x03\x04"):
        kind = "a ZIP archive (or an Office document)"
    elif data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1"):
            kind, hint = "a HEIC/HEIF photo", " Convert it to JPEG first."
        else:
            kind = "a video or other media file"
    elif head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM", b"II*\x00",
                          b"MM\x00*")):
        kind, hint = "a damaged image", " Re-download or re-export it."
    elif _looks_like_text(data[:2048]):
        kind = "plain text"
    else:
        kind = "data in an unknown format"
    suffix = Path(name).suffix if name and "\n" not in name else ""
    if suffix and kind in ("plain text", "an HTML web page", "an XML document", "a PDF document",
                           "an SVG vector drawing", "data in an unknown format"):
        hint += f" Its name ends in '{suffix}', but renaming a file does not convert it."
    return f"This file is not an image Pillow can read (it looks like {kind}).{hint} {_ASK}"


def _looks_like_text(chunk: bytes) -> bool:
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        try:  # a multi-byte character cut at the end of the chunk
            text = chunk[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\t\r\n\f" for c in text)


# --------------------------------------------------------------------------- helpers for the UI
def image_digest(image: Image.Image) -> str:
    """sha256 hex digest of the image's size and RGB pixel bytes (a cache key)."""
    if not isinstance(image, Image.Image):
        raise TypeError(f"image_digest needs a PIL image, not a {type(image).__name__}.")
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    digest = hashlib.sha256(f"{rgb.width}x{rgb.height}:".encode())
    digest.update(rgb.tobytes())
    return digest.hexdigest()


def describe_image(image) -> dict:
    """{"width", "height", "mode_in", "format_in"} for a PIL image or an HxW(xC) array.

    mode_in / format_in are the original mode and format recorded by `load_image` (falling back to
    the image's own mode and format; None when unknown, e.g. for arrays).
    """
    if isinstance(image, np.ndarray):
        return {"width": int(image.shape[1]), "height": int(image.shape[0]),
                "mode_in": None, "format_in": None}
    if not isinstance(image, Image.Image):
        raise TypeError(f"describe_image needs a PIL image or an array, not a "
                        f"{type(image).__name__}.")
    return {"width": image.width, "height": image.height,
            "mode_in": image.info.get("explorer_source_mode", image.mode),
            "format_in": image.info.get("explorer_source_format", image.format) or None}


# --------------------------------------------------------------------------- preprocessing
def preprocess(image, size: int | tuple[int, int], *, resize: str = "crop",
               normalization: str = "tf") -> tuple[np.ndarray, np.ndarray]:
    """Resize and normalise an image for a network.

    image: a PIL image (converted with `load_image` unless already 'RGB') or an HxWx3 uint8
    array. size: an int (square) or (height, width), like Keras' `target_size`.
    resize: "crop" scales (bicubic) so the image covers the target (for a square target: the
    shorter side equals `size`), then centre-crops; "stretch" resizes the whole image to the
    target, ignoring the aspect ratio; "central" is TF-slim's evaluation preprocessing (the
    central 87.5% of each side, then a bilinear resize to the target, ignoring the aspect ratio),
    what the TF-slim checkpoints' published accuracies were measured with.
    normalization: "tf" x/127.5 - 1 (range [-1, 1]); "torch" (x/255 - mean)/std with ImageNet
    mean/std; "caffe" BGR order minus the ImageNet BGR mean (103.939, 116.779, 123.68);
    "none" or "unit" x/255.
    Returns (crop, batch): crop is the uint8 HxWx3 RGB array fed to the network; batch is the
    float32 (1, H, W, 3) normalised array. Raises ValueError for an unknown option.
    """
    if resize not in RESIZE_MODES:
        raise ValueError(f"resize must be one of {', '.join(map(repr, RESIZE_MODES))}. "
                         f"Received: {resize!r}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of "
                         f"{', '.join(map(repr, NORMALIZATIONS))}. Received: {normalization!r}")
    height, width = _target_size(size)
    img = _as_rgb_image(image)
    if resize == "central":
        img = _central_crop(img, SLIM_CENTRAL_FRACTION)
    if img.size == (width, height):  # already the input size: no resampling, no copy
        out = img
    elif resize == "central":
        out = img.resize((width, height), Image.Resampling.BILINEAR)
    elif resize == "stretch":
        out = img.resize((width, height), Image.Resampling.BICUBIC)
    else:
        scale = max(width / img.width, height / img.height)
        new_w = max(width, round(img.width * scale))
        new_h = max(height, round(img.height * scale))
        scaled = img.resize((new_w, new_h), Image.Resampling.BICUBIC)
        left, top = (new_w - width) // 2, (new_h - height) // 2
        out = scaled.crop((left, top, left + width, top + height))
    crop = np.ascontiguousarray(np.asarray(out, dtype=np.uint8))
    return crop, normalize_array(crop[np.newaxis], normalization)


def _central_crop(img: Image.Image, fraction: float) -> Image.Image:
    """The central `fraction` of each side, with tf.image.central_crop's rounding."""
    top = int((img.height - img.height * fraction) / 2)
    left = int((img.width - img.width * fraction) / 2)
    return img.crop((left, top, img.width - left, img.height - top))


def normalize_array(images: np.ndarray, normalization: str = "tf") -> np.ndarray:
    """uint8 RGB images (..., H, W, 3) -> float32 normalised as `preprocess` does."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of "
                         f"{', '.join(map(repr, NORMALIZATIONS))}. Received: {normalization!r}")
    images = np.asarray(images)
    if normalization == "caffe":
        images = images[..., ::-1]  # BGR
    x = np.array(images, dtype=np.float32, order="C")  # always a copy, normalised in place
    if normalization == "tf":
        x /= np.float32(127.5)
        x -= np.float32(1.0)
    elif normalization in ("torch", "caffe"):
        # pixels as rows of W*3 values and the per-channel constants tiled to one such row: a long
        # inner loop, not one of 3 (0.80 -> 0.19 ms at 224x224), the same arithmetic element by element
        width = x.shape[-2] if x.ndim >= 2 else 1
        rows = x.reshape(-1, width * 3)
        if normalization == "torch":
            rows /= np.float32(255.0)
            rows -= np.tile(_TORCH_MEAN, width)
            rows /= np.tile(_TORCH_STD, width)
        else:
            rows -= np.tile(_CAFFE_MEAN_BGR, width)
    else:
        x /= np.float32(255.0)
    return x


def _target_size(size) -> tuple[int, int]:
    """int -> (size, size); (h, w) -> (h, w); both must be positive ints."""
    try:
        pair = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                 and v > 0 for v in pair):
        raise ValueError(f"size must be a positive int or a (height, width) pair of positive "
                         f"ints. Received: {size!r}")
    return int(pair[0]), int(pair[1])


def _as_rgb_image(image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else load_image(image)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"preprocess needs an HxWx3 uint8 RGB array. Received: "
                             f"shape {image.shape}, dtype {image.dtype}")
        return Image.fromarray(np.ascontiguousarray(image))
    raise TypeError(f"preprocess needs a PIL image or an HxWx3 uint8 array, not a "
                    f"{type(image).__name__}.")
