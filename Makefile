# Handover (交付通): `make run` for a demo, `make test` for the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HANDOVER_DATA ?= $(CURDIR)/instance
DEB_PACKAGES := chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils

.PHONY: run test venv system-deps init demo bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# Debian packages the browser and document tests use (installed once, as root).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	  else \
	    echo "warning: missing$$missing; run 'sudo apt-get install $(DEB_PACKAGES)' for the browser and PDF tests"; \
	  fi; \
	fi

init: venv
	$(BIN)/flask --app app init

demo: init
	$(BIN)/flask --app app demo

run: demo
	$(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: venv system-deps
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/render_docx.py
	$(BIN)/python bench/search.py --docs 2000

clean:
	rm -rf $(VENV) instance .pytest_cache
