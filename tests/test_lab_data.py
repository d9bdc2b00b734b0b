"""The lab's image sources: class-per-folder directories (train/ and val/, or split), the
variant's preprocessing, the validation split, Imagenette through the Keras cache (from an archive
the test makes, never the network), and a clear message offline."""
from __future__ import annotations

import tarfile

import numpy as np
import pytest
from PIL import Image

from explorer import lab
from explorer.cli import ablate as cli
from explorer.inference.images import normalize_array
from explorer.lab import datasets
from explorer.lab.train import TrainConfig

pytestmark = pytest.mark.xdist_group("lab")

COLOURS = {"n01440764": (200, 30, 30), "n02102040": (30, 30, 200)}  # two Imagenette class ids


def make_folder(root, per_class: int = 10, split: bool = True, size: int = 40):
    """Plain-colour PNGs (a small gradient so they differ), one folder per class."""
    for part in (("train", "val") if split else ("",)):
        for k, (name, rgb) in enumerate(COLOURS.items()):
            d = root / part / name
            d.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                img = np.zeros((size, size, 3), np.uint8) + np.array(rgb, np.uint8)
                img[:, : i + 1] = 255 * k
                Image.fromarray(img).save(d / f"{i}.png")
    return root


@pytest.fixture(autouse=True)
def fresh_cache():
    datasets._CACHE.clear()
    yield
    datasets._CACHE.clear()


def test_folder_with_train_and_val(tmp_path):
    root = make_folder(tmp_path / "photos")
    cfg = TrainConfig(images=str(root), n_train=16, n_tune=4, n_val=100, image_size=32, batch_size=4)
    assert cfg.classes == 2 and cfg.choice_kwargs()["classes"] == 2
    d = lab.dataset(cfg)
    assert d["x_fit"].shape == (12, 32, 32, 3) and d["x_tune"].shape == (4, 32, 32, 3)
    assert d["x_heldout"].shape == (20, 32, 32, 3)  # all of val/ (fewer than n_val)
    assert d["class_names"] == ["tench", "English springer"]  # WordNet ids named
    assert sorted(set(d["y_heldout"].tolist())) == [0, 1]
    # GoogLeNet's preprocessing ("torch": ImageNet mean / std): a red pixel of class 0's last column
    red = normalize_array(np.array([[[[200, 30, 30]]]], np.uint8), "torch")[0, 0, 0]
    pixels = d["x_heldout"][d["y_heldout"] == 0][:, :, -1]
    assert np.allclose(pixels.reshape(-1, 3), red, atol=1e-4)
    assert "20 held-out images, 2 classes" in d["source"]


def test_folder_without_split_holds_out_a_fifth(tmp_path):
    root = make_folder(tmp_path / "flat", per_class=10, split=False)
    cfg = TrainConfig(variant="inception_v3", images=str(root), n_train=100, n_val=100, image_size=32, batch_size=4)
    d = lab.dataset(cfg)
    assert len(d["y_fit"]) == 16 and len(d["y_heldout"]) == 4 and len(d["y_tune"]) == 0
    assert d["x_fit"].min() >= -1.0 and d["x_fit"].max() <= 1.0  # Inception-v3: "tf", [-1, 1]


def test_missing_folder_says_what_is_expected(tmp_path):
    with pytest.raises(ValueError, match="one sub-folder per class"):
        TrainConfig(images=str(tmp_path / "nope")).classes


def test_imagenette_offline_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    with pytest.raises(lab.DataError) as e:
        datasets.imagenette_dir()
    text = str(e.value)
    assert "Could not download Imagenette" in text and "--data" in text and datasets.IMAGENETTE_URL in text
    assert not (tmp_path / "keras" / "datasets" / datasets.IMAGENETTE_FILE).exists()


def test_imagenette_from_the_keras_cache(tmp_path, monkeypatch):
    """An archive laid out like fast.ai's, already in the Keras cache: get_file extracts it (no
    download) and the lab reads its train/ and val/ folders."""
    src = make_folder(tmp_path / "src" / "imagenette2-160", per_class=6)
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    with tarfile.open(cache / datasets.IMAGENETTE_FILE, "w:gz") as tar:
        tar.add(src, arcname="imagenette2-160")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    root = datasets.imagenette_dir()
    assert (root / "train" / "n01440764").is_dir() and (root / "val").is_dir()
    cfg = TrainConfig(images="imagenette", n_train=12, n_tune=2, n_val=12, image_size=32, batch_size=4)
    assert cfg.classes == 10  # Imagenette's, known before any download
    d = lab.dataset(cfg)
    assert len(d["y_fit"]) == 10 and len(d["y_heldout"]) == 12 and d["class_names"][0] == "tench"
    assert datasets.imagenette_dir() == root  # second call: found in the cache


def test_cli_dataset_offline_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    rc = cli.main(["--dataset", "imagenette", "--image-size", "48", "--seeds", "1", "--out",
                   str(tmp_path / "x.jsonl"), "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "Could not download Imagenette" in err and "Traceback" not in err
    assert not (tmp_path / "x.jsonl").exists()


def test_cli_data_dir_plans_runs_on_the_folder(tmp_path, capsys):
    root = make_folder(tmp_path / "photos")
    out = tmp_path / "x.jsonl"
    assert cli.main(["--data", str(root), "--toggle", "batch_norm", "--seeds", "1", "--image-size", "48",
                     "--out", str(out), "--dry-run"]) == 0
    assert "2 runs" in capsys.readouterr().out
    args = cli.build_parser().parse_args(["--data", str(root)])
    assert cli._data_args(args) == {"images": str(root.resolve()), "augment": True}
    assert cli.main(["--data", str(tmp_path / "missing"), "--dry-run"]) == 2
    assert "folder of class sub-folders" in capsys.readouterr().err


@pytest.mark.slow
def test_training_on_a_folder_with_augmentation(tmp_path):
    root = make_folder(tmp_path / "photos", per_class=12)
    cfg = TrainConfig(images=str(root), augment=True, choices={"width": 0.25}, n_train=24, n_tune=4, n_val=24,
                      image_size=48, epochs=1, batch_size=8, learning_rate=1e-3)
    result = lab.train(cfg)
    assert result["chance"] == 0.5 and 0.0 <= result["accuracy"] <= 1.0
    assert result["params"] == __import__("explorer").cost("googlenet", **cfg.choice_kwargs()).params
    assert len(result["curves"]["heldout_accuracy"]) == 1 and result["tune_accuracy"] is not None
    assert "photos" in result["data_source"]
