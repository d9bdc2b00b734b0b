# Two set-up commands (see README): `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
RAY_STAMP := $(VENV)/.installed-ray-$(shell cksum requirements-ray.txt | cut -d' ' -f1)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export KERAS_BACKEND ?= tensorflow

# `make run` on Linux with an NVIDIA driver (nvidia-smi on PATH) installs TensorFlow's CUDA build
# (tensorflow[and-cuda], same version range) and runs on the GPU; `make run CPU=1` keeps the CPU.
# `make test` always uses the CPU build, as CI does.
TF_RANGE := $(shell sed -n 's/^tensorflow\([<>=!~].*\)/\1/p' requirements.txt)
GPU := $(if $(CPU),,$(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo 1))
CUDA_STAMP := $(VENV)/.cuda-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test bench install ray browser i18n clean

# A new .venv takes 3.0 GB (TensorFlow most of it): say so before pip fails half-way with
# "No space left on device".
MIN_FREE_GB ?= 3.5

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -c 'import os, shutil, sys; d = os.path.dirname(os.path.abspath("$(VENV)")); \
	  free, need = shutil.disk_usage(d).free / 1e9, float("$(MIN_FREE_GB)"); \
	  sys.exit(0 if free >= need else "Not enough free disk for the set-up: $(VENV) needs about %.1f GB in %s, " \
	           "and only %.1f GB are free. Free some space and run make again." % (need, d, free))'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

$(CUDA_STAMP): $(STAMP)
	@echo "NVIDIA GPU found (nvidia-smi): installing tensorflow[and-cuda] (make run CPU=1 skips this)"
	$(BIN)/python -m pip install --quiet "tensorflow[and-cuda]$(TF_RANGE)"
	@rm -f $(VENV)/.cuda-*
	@touch $(CUDA_STAMP)

# The optional Ray engine of the ablation lab: `make test` installs it so its test runs in CI.
$(RAY_STAMP): requirements-ray.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-ray.txt
	@rm -f $(VENV)/.installed-ray-*
	@touch $(RAY_STAMP)

ray: $(RAY_STAMP)

# Headless Chromium for the end-to-end browser test (Debian package; Playwright's own download
# does not work offline), and a CJK font for its screenshot of the app in Chinese.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser test..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  echo "Installing Debian's fonts-noto-cjk for the Chinese screenshot..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null; }

# Extract the UI's strings and merge them into locale/{en,zh} (then translate the new zh entries).
i18n: install
	$(BIN)/python -m tools.i18n update

run: install $(if $(GPU),$(CUDA_STAMP))
	$(if $(CPU),CUDA_VISIBLE_DEVICES=) $(BIN)/streamlit run streamlit_app.py

# Three workers on two cores: the browser, server and training tests leave a core idle while they
# wait (whole suite on 2 cores: 995 s with two workers, 876 s with three).
test: install ray browser
	$(BIN)/python -m pytest -n 3 --dist loadgroup -q

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) artifacts
