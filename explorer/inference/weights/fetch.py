"""Weight files in the Keras cache: download once (`keras.utils.get_file`), import a file
downloaded elsewhere, check its hash on every load, and fail fast and clearly when offline.

Layout under $KERAS_HOME/models (default ~/.keras/models):
- Keras's `.h5` files, as keras.applications keeps them (checked against Keras's published md5);
- TF-slim tarballs (`inception_v3_2016_08_28.tar.gz`) and their checkpoints extracted under
  `tf_slim/<tarball name>/`;
- `explorer_weights.json`: the SHA-256 and size of every file, recorded on first download or
  import, and checked on every later load (TF-slim publishes no hashes).
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import socket
import tarfile
from pathlib import Path
from typing import Optional

from explorer.inference.weights.sources import WeightSource, weight_sources

DOWNLOAD_TIMEOUT_S = 10
RECORD = "explorer_weights.json"


class WeightsError(ValueError):
    """A weights file that cannot be used for this model (message says why and what to do)."""


def keras_home() -> Path:
    """$KERAS_HOME, else ~/.keras (read at call time, so tests and users can point it elsewhere)."""
    return Path(os.path.expanduser(os.environ.get("KERAS_HOME") or "~/.keras"))


def models_dir() -> Path:
    return keras_home() / "models"


def archive_path(source: WeightSource) -> Path:
    """Where the downloaded file lives: the Keras file itself, or the TF-slim tarball."""
    return models_dir() / source.file


def extracted_dir(source: WeightSource) -> Path:
    return models_dir() / "tf_slim" / source.file.removesuffix(".tar.gz")


def checkpoint_prefix(source: WeightSource) -> Path:
    """The TF-slim checkpoint inside the extracted tarball (a V1 file or a V2 prefix), at the
    top of the tarball or in a folder of it."""
    folder = extracted_dir(source)
    for prefix in [folder / source.checkpoint] + sorted(folder.rglob(source.checkpoint)):
        if prefix.is_file() or Path(f"{prefix}.index").is_file():
            return prefix
    return folder / source.checkpoint


def find_checkpoint(folder: Path) -> Path:
    """The checkpoint prefix inside an extracted tarball: a V2 `.index` file's prefix, else a V1
    `.ckpt` file. WeightsError when there is none."""
    index = sorted(folder.rglob("*.index"))
    if index:
        return index[0].with_suffix("")
    ckpt = sorted(p for p in folder.rglob("*.ckpt") if p.is_file())
    if ckpt:
        return ckpt[0]
    raise WeightsError(f"{folder} holds no TF checkpoint (no .ckpt file, no .index file).")


def cached(source: WeightSource) -> bool:
    """Is the source ready to load without a download?"""
    if source.name != "tf_slim":
        return archive_path(source).is_file()
    prefix = checkpoint_prefix(source)
    return prefix.is_file() or Path(f"{prefix}.index").is_file()


def sha256(path: Path) -> str:
    return _digest(path, hashlib.sha256())


def md5(path: Path) -> str:
    return _digest(path, hashlib.md5())


def _digest(path: Path, h) -> str:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- the hash record
def records() -> dict:
    """{file name: {"sha256", "bytes", "recorded", "how", "files": {extracted file: sha256}}}."""
    path = models_dir() / RECORD
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def _record(name: str, entry: dict) -> None:
    data = records()
    data[name] = entry
    models_dir().mkdir(parents=True, exist_ok=True)
    tmp = models_dir() / f".{RECORD}.tmp"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(models_dir() / RECORD)


def _new_record(path: Path, how: str, files: Optional[dict] = None) -> dict:
    return {"sha256": sha256(path), "bytes": path.stat().st_size, "how": how, "files": files or {},
            "recorded": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def verify(source: WeightSource) -> None:
    """Check the cached files of `source` against their published hash (Keras) or the SHA-256
    recorded when they were first downloaded or imported. WeightsError on a mismatch."""
    path = archive_path(source)
    if source.md5 and path.is_file() and md5(path) != source.md5:
        raise WeightsError(f"The cached file {path} does not match its published hash (md5 {source.md5}): it is "
                           f"incomplete or not the official file. Delete it and download it again from {source.url}.")
    entry = records().get(source.file)
    if entry is None:
        return
    for rel, digest in entry.get("files", {}).items():
        f = extracted_dir(source) / rel
        if f.is_file() and sha256(f) != digest:
            raise WeightsError(f"{f} has changed since it was extracted from {source.file} (SHA-256 recorded "
                               f"{entry['recorded']}: {digest}). Delete {extracted_dir(source)} and "
                               f"{path}, then fetch or import the tarball again.")


# --------------------------------------------------------------------------- download / import
def fetch(source: WeightSource) -> Path:
    """The file to load for `source` (Keras `.h5`, or the TF-slim checkpoint prefix): from the
    cache, else downloaded once with `keras.utils.get_file`. Offline: WeightsError within ~10 s
    naming the file, its URL and where to put it."""
    if not cached(source):
        _download(source)
    verify(source)
    return archive_path(source) if source.name != "tf_slim" else checkpoint_prefix(source)


def _download(source: WeightSource) -> None:
    import keras

    target = archive_path(source)
    try:
        if not target.is_file():
            _reachable(source.url)
        path = Path(keras.utils.get_file(source.file, source.url, cache_subdir="models", file_hash=source.md5,
                                         cache_dir=str(keras_home())))
    except Exception as e:  # noqa: BLE001 - urllib/socket/hash errors all mean the same to a user
        if "hash" in str(e).lower() or "corrupt" in str(e).lower():
            raise WeightsError(f"The downloaded file {source.file} does not match its published hash "
                               f"({source.hash_text}): the download was incomplete or altered. Delete {target} "
                               f"and try again.") from None
        raise WeightsError(offline_message(source, e)) from None
    _store(source, path, "download")


def offline_message(source: WeightSource, error: Exception) -> str:
    return (f"Could not download the {source.title} weights for {source.variant} (no network?): {error}. To work "
            f"offline, download {source.url} on a machine with internet and run `python -m explorer weights "
            f"import {source.file}` here (or put the file at {archive_path(source)}, the Keras cache); "
            f"{source.hash_text}.")


def _reachable(url: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> None:
    """Open (and close) a connection to `url`'s host within `timeout` seconds, so that an offline
    machine fails fast: keras.utils.get_file itself has no timeout. OSError when unreachable."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname, port), timeout=timeout):
        pass


def _store(source: WeightSource, path: Path, how: str) -> None:
    """Record the file's SHA-256 (checking an earlier record) and extract a TF-slim tarball."""
    old = records().get(source.file)
    entry = _new_record(path, how)
    if old and old.get("sha256") != entry["sha256"]:
        raise WeightsError(f"{path} (SHA-256 {entry['sha256']}) is not the file recorded on "
                           f"{old.get('recorded')} (SHA-256 {old.get('sha256')}). Delete it and fetch it again, "
                           f"or remove its entry from {models_dir() / RECORD} if the new file is the right one.")
    if source.name == "tf_slim":
        entry["files"] = extract_tarball(path, extracted_dir(source))
        if not cached(source):
            raise WeightsError(f"{path} holds no {source.checkpoint} checkpoint (files: "
                               f"{', '.join(sorted(entry['files'])) or 'none'}): it is not the {source.title} "
                               f"tarball from {source.url}.")
    _record(source.file, entry)


def extract_tarball(archive: Path, dest: Path) -> dict:
    """Extract a tarball safely (no absolute paths, links or devices) and hash what came out."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError) as e:
        shutil.rmtree(dest, ignore_errors=True)
        raise WeightsError(f"{archive} is not a readable tarball ({e}): the download was cut short or the file "
                           f"is something else. Delete it and fetch it again.") from None
    return {str(p.relative_to(dest)): sha256(p) for p in sorted(dest.rglob("*")) if p.is_file()}


def import_file(path) -> WeightSource:
    """Put a weight file downloaded elsewhere (a TF-slim tarball or a Keras `.h5`, under its
    published name) into the Keras cache: checked, recorded, extracted. Returns its source."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"No such file: {path}. Received: {path}")
    matches = [s for s in weight_sources() if s.file == path.name]
    if not matches:
        names = ", ".join(sorted({s.file for s in weight_sources()}))
        raise WeightsError(f"{path.name} is not a published weight file explorer knows. Known files: {names}. "
                           f"Received: {path}")
    source = matches[0]
    if source.md5 and md5(path) != source.md5:
        raise WeightsError(f"{path} does not match its published hash (md5 {source.md5}): the download was "
                           f"incomplete or altered. Received: {path}")
    target = archive_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.resolve() != target.resolve():
        shutil.copyfile(path, target)
    _store(source, target, "import")
    return source
