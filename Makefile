# PyTorch Primer. Two commands matter (see README.md): `make serve` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# mkdocs-material prints a banner about MkDocs 2 on every build; it says nothing about this site
export NO_MKDOCS_2_WARNING := 1
STAMP := $(VENV)/.installed

.PHONY: help install test serve docs render bench lock clean distclean

help:
	@echo "make serve   build and serve the site at http://127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make test    every page snippet, unit test, example smoke run and the strict site build"
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

test: install
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
