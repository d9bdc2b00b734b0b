"""Explorer against TF-slim's own networks: `tf_slim.nets.inception` builds inception_v1, v2 and
v3 (with its aux head) in graph mode in a subprocess (tests/slim_reference.py), with random
weights and non-trivial batch-norm statistics, saves a checkpoint and its logits for two photos;
`explorer.build(variant, weights=<that checkpoint>)` must give softmax(logits[1:]) (background
dropped) within 1e-5 on the same inputs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer.inference.weights import slim

ROOT = Path(__file__).resolve().parent.parent
CASES = [("googlenet", "inception_v1", 224, False), ("bn_inception", "inception_v2", 224, False),
         ("inception_v3", "inception_v3", 299, True)]


def log_softmax_without_background(logits: np.ndarray) -> np.ndarray:
    z = logits[:, 1:].astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def reference(net: str, size: int, tmp_path: Path) -> tuple[np.ndarray, dict]:
    """(input batch, TF-slim outputs) for two sample photos, the checkpoint at tmp_path/model.ckpt."""
    x = np.stack([explorer.preprocess(explorer.load_image(ROOT / "assets" / "samples" / f"{n}.jpg"), size,
                                      normalization="tf")[1][0] for n in ("chelsea", "rocket")])
    np.save(tmp_path / "input.npy", x)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "slim_reference.py"), net, str(tmp_path / "input.npy"),
                        str(tmp_path)], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return x, dict(np.load(tmp_path / "outputs.npz"))


@pytest.mark.slow
@pytest.mark.parametrize("variant, net, size, aux", CASES, ids=[c[1] for c in CASES])
def test_same_outputs_as_tf_slim(variant, net, size, aux, tmp_path):
    x, ref = reference(net, size, tmp_path)
    model = explorer.build(variant, weights=str(tmp_path / "model.ckpt"), aux_heads=aux)
    info = explorer.model_info(model)
    assert info.choices.input_size == size and info.weights.endswith("model.ckpt")
    assert info.heads_trained == ((True, True) if aux else (True,)) and info.normalization == "tf"
    outs = model.predict_on_batch(x)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    for out, key in zip(outs, ["logits", "aux_logits"] if aux else ["logits"]):
        want = log_softmax_without_background(ref[key])
        got = np.asarray(out, np.float64)
        assert got.shape == (2, 1000)
        assert np.abs(got - np.exp(want)).max() <= 1e-5, key
        assert np.abs(np.log(got) - want).max() <= 1e-4, key  # every class, not only the likely ones
        assert 0.05 < got.max() < 0.99  # the logits spread: a wrong layer could not hide in a flat softmax
    assert not np.allclose(outs[0][0], outs[0][1], atol=1e-3)  # the two photos give different outputs
    if variant == "googlenet":  # the test can fail: Table 1's 3x3/2 pool before 5a instead of TF-slim's 2x2/2
        paper = explorer.build("googlenet", **{**info.choices.to_dict(), "table": "paper"})
        slim.load_checkpoint(paper, tmp_path / "model.ckpt")
        assert np.abs(np.asarray(paper.predict_on_batch(x)) - outs[0]).max() > 1e-3
