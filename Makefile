# PyTorch Primer. Two commands matter (see README.md): `make serve` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# mkdocs-material prints a banner about MkDocs 2 on every build; it says nothing about this site
export NO_MKDOCS_2_WARNING := 1
STAMP := $(VENV)/.installed

.PHONY: help install browser test serve docs render bench lock clean distclean

help:
	@echo "make serve   build and serve the site at http://127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make test    every page snippet, unit test, example smoke run, browser test and the strict site build"
	@echo "make browser install Chromium for the browser tests (as root with apt-get), or say how"
	@echo "make docs    build the site into site/"
	@echo "make render  execute examples into docs/examples/*.ipynb (EXAMPLE=name for one)"
	@echo "make bench   time the suite: pytest --durations and the strict build"
	@echo "make clean   remove build outputs; make distclean also removes $(VENV)"

# The environment: one venv, every package pinned by requirements.lock.
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; PyTorch Primer needs Python 3.11 (PYTHON=/path/to/python3.11)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "make: $(PYTHON) is not Python 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e .
	@touch $(STAMP)

install: $(STAMP)

# The browser tests (tests/test_browser.py) drive Debian's Chromium through Playwright, whose
# Python package comes from requirements.lock. Playwright's own browser download is never used:
# the tests must run on an offline machine. As root with apt-get, install Chromium; otherwise
# say how, and the browser tests skip with the same reason.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make: installing Chromium for the browser tests (apt-get install chromium)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	    || { echo "make: apt-get install chromium failed; the browser tests need $(CHROMIUM)"; exit 1; }; \
	else \
	  echo "make: browser tests need Chromium at $(CHROMIUM) and will be skipped; install it with: sudo apt-get install chromium"; \
	fi

test: install browser
	$(BIN)/python -m pytest

serve: install
	@$(BIN)/python -c 'import socket, sys; s = socket.socket(); s.bind(("127.0.0.1", $(PORT)))' 2>/dev/null \
	  || { echo "make serve: port $(PORT) is already in use; free it or run: make serve PORT=8001"; exit 1; }
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(PORT)

docs: install
	$(BIN)/mkdocs build --strict --site-dir site

render: install
	$(BIN)/python -m torchprimer.render $(if $(EXAMPLE),$(EXAMPLE),--all)

bench: install
	$(BIN)/python -m pytest --durations=15 -q
	@time $(BIN)/mkdocs build --strict --site-dir site --quiet

lock: install
	@{ sed -n '1,4p' requirements.lock; $(BIN)/python -m pip freeze --exclude-editable | sort -f; } > requirements.lock.new
	@mv requirements.lock.new requirements.lock && echo "requirements.lock rewritten from $(VENV)"

clean:
	rm -rf site .pytest_cache artifacts
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
