# Xiaowu: `make run` (the demo on an embedded SQLite store) and `make test` (the whole suite).
# Each does its own set-up on a fresh machine: virtual environment, Python packages,
# and the Debian packages it needs when they are missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
APT_PACKAGES ?= postgresql coturn nginx chromium fonts-noto-cjk xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-cursor0 libgl1 libegl1 libxkbcommon0 libfontconfig1 sane-utils alsa-utils
DATA_DIR ?= var
PORT ?= 8080

.PHONY: setup apt run test lint typecheck unit bench docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip "setuptools<81" wheel
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	$(PY) -m pip install -q --disable-pip-version-check --no-deps face-recognition==1.3.0
	@rm -f $(VENV)/.installed-*
	@touch $@

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  systemctl disable --now coturn >/dev/null 2>&1 || true; \
	  systemctl disable --now nginx >/dev/null 2>&1 || true; \
	fi

run: setup apt
	$(VENV)/bin/xiaowu-demo --data-dir "$(DATA_DIR)" --port "$(PORT)"

lint: setup
	$(VENV)/bin/ruff check signaling cloud_seat booth_client scanner_drivers tests bench

typecheck: setup
	$(VENV)/bin/mypy

docs: setup
	$(PY) -m signaling.protocol_docs

test: setup apt lint typecheck
	$(PY) -m signaling.protocol_docs --check
	PYTHONASYNCIODEBUG=$${PYTHONASYNCIODEBUG:-1} $(VENV)/bin/pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/signaling.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
