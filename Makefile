# PyTorch Primer. Two commands matter (see README.md): `make serve` and `make test`.
SHELL := /bin/bash
# The Pythons requirements.lock resolves for (every pinned package has wheels for them).
SUPPORTED := 3.14 3.13 3.12 3.11
# PYTHON=... picks one; otherwise the newest supported python3.X on the PATH that runs
# (a version manager's shim may be on the PATH for a version it cannot start).
PYTHON ?= $(shell for v in $(SUPPORTED); do p=$$(command -v python$$v) && $$p -c '' 2>/dev/null && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# pytest-xdist workers for `make test`. Three on a 2-core machine: some tests wait on
# subprocesses, a browser or a server, and a third worker fills that time (measured on
# 2 cores without the CIFAR-10 checks: 238 s with 3 workers, 244 s with 2, 304 s with 4)
JOBS ?= 3
# The CIFAR-10 JPEG archive, if this machine has it: `make test` then also runs the blocks
# and checks that need it (extracted once into .data/cifar10, which git ignores).
CIFAR10_ARCHIVE ?= ../shared/data/cifar10-jpeg.tar.xz
CIFAR10_DIR := .data/cifar10
# Idle OpenMP threads sleep instead of spinning: the same results, and tests running side by
# side on few cores do not slow each other down tenfold.
export OMP_WAIT_POLICY ?= passive
# mkdocs-material prints a banner about MkDocs 2 on every build; it says nothing about this site
export NO_MKDOCS_2_WARNING := 1
STAMP := $(VENV)/.installed

.PHONY: help install browser test check lint format serve docs render weights bench lock clean distclean cifar10 gpu-prepare gpu-session gpu-bring

help:
	@echo "make serve   build and serve the site at http://127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make test    lint, every page (both checks), unit test, example smoke run, browser test and the strict build"
	@echo "make check PAGE=docs/x.md   both verdicts on one page (one run), for authors"
	@echo "make lint    ruff lint and format check;  make format rewrites the code"
	@echo "make docs    build the site into site/"
	@echo "make render  execute examples into docs/examples/*.ipynb (EXAMPLE=name for one)"
	@echo "make weights publish the trained weights hubconf.py serves (see CONTRIBUTING.md)"
	@echo "make gpu-prepare / gpu-session / gpu-bring   the GPU session (CONTRIBUTING.md); gpu-session DRY_RUN=1 rehearses it here"
	@echo "make bench   time the suite: the ten slowest tests and the total"
	@echo "make browser install Chromium for the browser tests (as root with apt-get), or say how"
	@echo "make clean   remove build outputs; make distclean also removes $(VENV)"

# The environment: one venv, every package pinned by requirements.lock (used as constraints).
$(STAMP): requirements.lock pyproject.toml tools/pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: no python3.11 to python3.14 on the PATH; PyTorch Primer needs one (PYTHON=/path/to/python3.X)"; exit 1; }
	@$(PYTHON) -c '' 2>/dev/null || { echo "make: $(PYTHON) does not run here (PYTHON=/path/to/python3.X)"; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(not (3, 11) <= v <= (3, 14))' \
	  || { echo "make: $(PYTHON) is not Python 3.11 to 3.14"; exit 1; }
	@echo "make: using $(PYTHON) ($$($(PYTHON) --version))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs the same pinned versions several times faster than pip. It reads no pip
	@# configuration, so it is handed the package indexes pip is configured with.
	@# --compile-bytecode: uv does not write .pyc files by default, and the page runs may not
	@# write them (see primersite.check.sandbox), so without it every fresh process compiles torch's
	@# sources again: 14 s instead of 6 s to import torch, torchvision and scikit-learn.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock uv
	UV_EXTRA_INDEX_URL="$$($(BIN)/python -m pip config get global.extra-index-url 2>/dev/null)" \
	UV_FIND_LINKS="$$($(BIN)/python -m pip config get global.find-links 2>/dev/null)" \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --index-strategy unsafe-best-match \
	  --compile-bytecode -c requirements.lock -e ".[examples,site]" -e tools
	@touch $(STAMP)

install: $(STAMP)

# The browser tests drive Chromium's headless shell (Debian's chromium-headless-shell: the
# browser's own engine without its windowing, what Playwright itself runs headless; a page's
# checks take about a quarter less CPU than in full Chromium), or Debian's full Chromium
# where only that is installed. Playwright's own browser download is never used: the tests
# must run on an offline machine. As root with apt-get, install the shell; otherwise say how,
# and the browser tests skip with the same reason.
HEADLESS_SHELL := /usr/bin/chromium-headless-shell
browser:
	@if [ -x $(HEADLESS_SHELL) ] || [ -n "$$CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make: installing Chromium's headless shell for the browser tests (apt-get install chromium-headless-shell)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null \
	    || { echo "make: apt-get install chromium-headless-shell failed; the browser tests need it"; exit 1; }; \
	elif [ -x /usr/bin/chromium ]; then :; \
	else \
	  echo "make: browser tests need Chromium and will be skipped; install it with: sudo apt-get install chromium-headless-shell"; \
	fi

# The CIFAR-10 archive, extracted once, when this machine has it.
cifar10:
	@if [ -f "$(CIFAR10_DIR)/.extracted" ]; then :; \
	elif [ -f "$(CIFAR10_ARCHIVE)" ]; then \
	  echo "make: extracting $(CIFAR10_ARCHIVE) into $(CIFAR10_DIR)"; \
	  rm -rf $(CIFAR10_DIR).tmp && mkdir -p $(CIFAR10_DIR).tmp && tar xJf $(CIFAR10_ARCHIVE) -C $(CIFAR10_DIR).tmp \
	    && rm -rf $(CIFAR10_DIR) && mv $(CIFAR10_DIR).tmp $(CIFAR10_DIR) && touch $(CIFAR10_DIR)/.extracted; \
	else \
	  echo "make: no CIFAR-10 archive at $(CIFAR10_ARCHIVE); the checks that need it are skipped"; \
	fi

# pytest as `make test` runs it (expanded when used, after `cifar10` has run)
PYTEST = $(if $(wildcard $(CIFAR10_DIR)/.extracted),CIFAR10_ROOT=$(CURDIR)/$(CIFAR10_DIR)) \
  $(BIN)/python -m pytest -n $(JOBS)

test: install browser cifar10 lint
	@rm -f artifacts/pytest-summary.json
	$(PYTEST)
	@$(BIN)/python -m primersite.run_summary artifacts/pytest-summary.json

check: install
	@test -n "$(PAGE)" || { echo "make check: name a page, e.g. make check PAGE=docs/tensors/first-steps.md"; exit 2; }
	$(BIN)/python -m primersite check $(PAGE)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve: install
	@$(BIN)/python -m primersite.build.serve_port "$(PORT)"
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(PORT)

docs: install
	$(BIN)/mkdocs build --strict --site-dir site

render: install cifar10
	$(BIN)/python -m primersite.render $(if $(EXAMPLE),$(EXAMPLE),--all)

weights: install
	$(BIN)/python -m primersite.render.weights

# The GPU session (CONTRIBUTING.md, "Rendering on a GPU"): gpu-prepare gathers in .gpu/ what
# the GPU machine lacks; gpu-session runs there with that machine's own python3 (no venv),
# or here on the CPU at smoke size with DRY_RUN=1; gpu-bring puts its results in the checkout.
GPU_PYTHON ?= python3
GPU_OUT ?= runs/gpu-session-out
AIRBENCH_REPO ?=
gpu-prepare: install
	$(BIN)/python -m primersite.render.gpu_session prepare --archive $(CIFAR10_ARCHIVE) \
	  $(if $(AIRBENCH_REPO),--airbench-repo $(AIRBENCH_REPO))

gpu-session: $(if $(DRY_RUN),install)
	PYTHONPATH=tools $(if $(DRY_RUN),$(BIN)/python,$(GPU_PYTHON)) -m primersite.render.gpu_session run \
	  --out $(GPU_OUT) $(if $(DRY_RUN),--dry-run)

gpu-bring: install
	@test -n "$(RESULTS)" || { echo "make gpu-bring: name the results folder, e.g. RESULTS=/work/.device/..."; exit 2; }
	$(BIN)/python -m primersite.render.gpu_session bring $(RESULTS)

bench: install browser cifar10
	@rm -f artifacts/pytest-summary.json
	$(PYTEST) -q --durations=10
	@$(BIN)/python -m primersite.run_summary artifacts/pytest-summary.json

lock: install
	@{ sed -n '1,5p' requirements.lock; $(BIN)/python -m pip freeze --all --exclude-editable --exclude pip | sort -f; } > requirements.lock.new
	@mv requirements.lock.new requirements.lock && echo "requirements.lock rewritten from $(VENV)"

clean:
	rm -rf site build .pytest_cache artifacts
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
