"""`make run` picks TensorFlow's CUDA build where an NVIDIA driver is present, and only there
(`make -n`: the commands make would run; nothing is installed); a new .venv without the disk it
needs is refused with a message before anything is installed."""
import itertools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_dirs = itertools.count()


def make_n(tmp_path, *args, gpu: bool) -> str:
    """`make -n <args>` with a PATH holding only the tools the Makefile uses, plus a fake
    `nvidia-smi` that lists one GPU when `gpu`."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    bin_dir = tmp_path / f"bin{next(_dirs)}"
    bin_dir.mkdir()
    for tool in ("sh", "sed", "cksum", "cut"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    if gpu:
        fake = bin_dir / "nvidia-smi"
        fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-0)'\n")
        fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CPU"}
    env["PATH"] = str(bin_dir)
    out = subprocess.run([shutil.which("make"), "-n", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_make_run_installs_the_cuda_build_only_with_a_gpu(tmp_path):
    with_gpu = make_n(tmp_path, "run", gpu=True)
    assert 'pip install --quiet "tensorflow[and-cuda]>=2.' in with_gpu
    assert "streamlit run streamlit_app.py" in with_gpu and "CUDA_VISIBLE_DEVICES=" not in with_gpu
    without = make_n(tmp_path, "run", gpu=False)
    assert "and-cuda" not in without and "streamlit run streamlit_app.py" in without
    cpu = make_n(tmp_path, "run", "CPU=1", gpu=True)  # forced: no CUDA build, the GPU hidden
    assert "and-cuda" not in cpu and "CUDA_VISIBLE_DEVICES= " in cpu
    tests = make_n(tmp_path, "test", gpu=True)  # the tests stay on the CPU build, as in CI
    assert "and-cuda" not in tests and "pytest" in tests


def test_a_new_venv_without_enough_disk_is_refused_before_installing(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / ".venv"
    out = subprocess.run([shutil.which("make"), "install", f"VENV={venv}", "MIN_FREE_GB=1e9"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and not venv.exists()  # refused before `python -m venv`
    first = out.stderr.splitlines()[0]
    assert first.startswith(f"Not enough free disk for the set-up: {venv} needs about 1000000000.0 GB in "
                            f"{tmp_path}, and only ")
    assert first.endswith(" GB are free. Free some space and run make again.")
    ok = subprocess.run([shutil.which("make"), "-n", "install", f"VENV={venv}"], cwd=ROOT, capture_output=True,
                        text=True, timeout=60)
    assert ok.returncode == 0 and 'float("3.5")' in ok.stdout  # the default need: about 3.5 GB (README)


@pytest.mark.xdist_group("setup")
def test_xdist_groups_take_effect(request):
    """`make test` runs `-n 3 --dist loadgroup`: the tests of one xdist_group share one worker (and
    its session fixtures: the benchmark run, the browser's server) only where pytest-xdist could add
    the group to the test's id. With pytest 9.2 it silently could not (requirements.txt keeps pytest below 9.2)."""
    if not request.config.getvalue("loadgroup"):
        pytest.skip("not run under pytest-xdist's --dist loadgroup")
    assert request.node.nodeid.endswith("@setup"), request.node.nodeid
