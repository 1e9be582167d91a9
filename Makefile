# zwalk — the two commands a new user needs are `make run` and `make test`.
# Both install what is missing (Debian packages, a local Python venv for the test tools), build
# in release mode, then run or test. Nothing here needs a terminal except `make run`.

SHELL      := /bin/bash
SWIFT      ?= swift
# -enable-testing lets the test targets reuse the release build instead of compiling twice.
SWIFTFLAGS := -c release -Xswiftc -enable-testing
BIN        := .build/release/zwalk
VENV       := .venv
PY         := $(VENV)/bin/python
MODEL_VENV := .venv-model
APT_PKGS   := libncursesw5-dev libopenblas-dev libpng-dev libsixel-dev tmux time
# Only for `make test`: libsixel's own decoder (sixel2png) checks our sixel pictures, and a real
# sixel terminal (xterm -ti vt340 on Xvfb, screenshots by xwd) checks what a user sees.
TEST_APT_PKGS := libsixel-bin xvfb xterm x11-apps
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CONFORMANCE_DIR := .build/conformance
BENCH_DIR  := .build/models
ARGS       ?=
# `make install`: the binary to $(PREFIX)/bin, the shipped model and the themes to
# $(PREFIX)/share/zwalk, where the binary looks (../share/zwalk beside its folder). DESTDIR stages.
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR      = $(DESTDIR)$(PREFIX)/bin
SHAREDIR    = $(DESTDIR)$(PREFIX)/share/zwalk
# The shipped models (zwalk --model sprites|faces): decoder and encoder of each.
MODEL_FILES := assets/faces_decoder.onnx assets/faces_encoder.onnx assets/vae_decoder.onnx assets/vae_encoder.onnx
# `make model` retrains these (tools/datasets.py); MODEL_DATASETS=faces retrains one.
MODEL_DATASETS ?= sprites faces
THEMES     := $(wildcard themes/*.theme)

# `make fuzz`: every libFuzzer target (Tests/Fuzz) for FUZZ_SECONDS each; `make test` runs them for
# FUZZ_TEST_SECONDS each after the tests and fails on any crash (the input is kept, see tools/fuzz.sh).
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 30

.PHONY: run test build deps venv conformance conformance-data models-data bench model checkpoint-fixtures install uninstall clean help fuzz

help:
	@echo "make run          build and open the explorer on the shipped model (ARGS='model.onnx' for another)"
	@echo "make test         every test: unit, ONNX conformance, onnxruntime cross-checks, terminal end-to-end"
	@echo "make conformance  only the ONNX backend test cases"
	@echo "make bench        zwalk and onnxruntime side by side on the benchmark models"
	@echo "make fuzz         build the libFuzzer targets and run each for FUZZ_SECONDS (default 60)"
	@echo "make model        retrain and re-export the shipped models (PyTorch; slow, not run by CI;"
	@echo "                  MODEL_DATASETS=faces for one of them)"
	@echo "make checkpoint-fixtures  rewrite Tests/Fixtures/checkpoints with torch.save (PyTorch; not run by CI)"
	@echo "make install      build, then install zwalk to PREFIX/bin and its model and themes to PREFIX/share/zwalk"
	@echo "                  (PREFIX=$(PREFIX); DESTDIR stages; e.g. make install PREFIX=~/.local)"
	@echo "make uninstall    remove what make install put there (same PREFIX and DESTDIR)"

deps:
	@command -v $(SWIFT) >/dev/null || { echo "error: '$(SWIFT)' not found: install the Swift 6 toolchain (swift.org) and put it on PATH"; exit 1; }
	@missing=""; \
	for p in $(APT_PKGS) $(EXTRA_APT_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	python3 -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: tools/requirements-test.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r tools/requirements-test.txt
	touch $@

venv: deps $(VENV)/.installed

build: deps $(BIN)

# Rebuilt only when a source is newer than the binary. `swift test` compiles the zwalk module
# for testing and leaves the binary as it was, so after `make test` a plain `swift build` would
# spend 45 s recompiling that module back into the same program.
BUILD_INPUTS := Package.swift $(shell find Sources -type f 2>/dev/null)
$(BIN): $(BUILD_INPUTS)
	$(SWIFT) build $(SWIFTFLAGS) --product zwalk
	@touch $@

run: build
	$(BIN) $(ARGS)

conformance-data: venv
	$(PY) tools/conformance.py --out $(CONFORMANCE_DIR)

# Models too big for git (dcgan64) are rebuilt, deterministically, from seeds.
models-data: venv
	$(PY) tools/make_models.py --out $(BENCH_DIR) --fixtures $(BENCH_DIR)/fixtures

# Unit tests, conformance, cross-checks and the tmux end-to-end tests, in one swift test run.
test: EXTRA_APT_PKGS := $(TEST_APT_PKGS)
test: build conformance-data models-data
	ZWALK_CONFORMANCE_DIR=$(CURDIR)/$(CONFORMANCE_DIR) ZWALK_MODELS_DIR=$(CURDIR)/$(BENCH_DIR) \
	ZWALK_BIN=$(CURDIR)/$(BIN) ZWALK_PYTHON=$(CURDIR)/$(PY) \
	  $(SWIFT) test $(SWIFTFLAGS)
	tools/fuzz.sh run $(FUZZ_TEST_SECONDS)

fuzz: deps
	tools/fuzz.sh run $(FUZZ_SECONDS)

conformance: build conformance-data
	ZWALK_CONFORMANCE_DIR=$(CURDIR)/$(CONFORMANCE_DIR) \
	  $(SWIFT) test $(SWIFTFLAGS) --filter ConformanceTests

bench: build venv
	$(PY) tools/bench.py --zwalk $(BIN) --out $(BENCH_DIR)

$(MODEL_VENV)/.installed: tools/requirements-model.txt
	python3 -m venv $(MODEL_VENV)
	$(MODEL_VENV)/bin/python -m pip install -q --disable-pip-version-check -r tools/requirements-model.txt
	touch $@

model: deps $(MODEL_VENV)/.installed venv
	set -e; for d in $(MODEL_DATASETS); do \
	  nice $(MODEL_VENV)/bin/python tools/train_vae.py --dataset $$d; \
	  $(MODEL_VENV)/bin/python tools/eval_vae.py --dataset $$d; \
	  $(PY) tools/fixtures_vae.py --dataset $$d; \
	done

# The PyTorch checkpoints the tests bind (torch.save's own files) and onnxruntime's decodes of them.
checkpoint-fixtures: deps $(MODEL_VENV)/.installed
	nice $(MODEL_VENV)/bin/python tools/checkpoint_fixtures.py

# Depends on the binary, not on `build`: `sudo make install` after `make build` then needs
# neither swift on root's PATH nor the apt check, and builds only when a source changed.
install: $(BIN)
	install -d $(BINDIR) $(SHAREDIR)/themes
	install -m 755 $(BIN) $(BINDIR)/zwalk
	install -m 644 $(MODEL_FILES) $(SHAREDIR)/
	install -m 644 assets/README.md $(SHAREDIR)/README.md
	install -m 644 $(THEMES) $(SHAREDIR)/themes/
	@echo "installed $(BINDIR)/zwalk and $(SHAREDIR)"

uninstall:
	rm -f $(BINDIR)/zwalk $(addprefix $(SHAREDIR)/,$(notdir $(MODEL_FILES)) README.md) \
	  $(addprefix $(SHAREDIR)/themes/,$(notdir $(THEMES)))
	@# The folders go only when empty: a user's own files there stay.
	@rmdir $(SHAREDIR)/themes $(SHAREDIR) 2>/dev/null || true

clean:
	rm -rf .build
