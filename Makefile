# Handover (交付通): `make run` for a demo, `make test` for the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HANDOVER_DATA ?= $(CURDIR)/instance
DEB_PACKAGES := chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils postgresql-client iproute2

.PHONY: run serve test venv system-deps init demo bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# Debian packages the browser and document tests, backups (pg_dump) and the two-server test
# (ip netns) use (installed once, as root).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	command -v pg_dump >/dev/null || missing="$$missing postgresql-client"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
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

# The production server (gunicorn, see gunicorn.conf.py) with one background worker beside it;
# Ctrl-C stops both.
define SERVE
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' INT TERM EXIT; \
	$(BIN)/flask --app app worker & worker=$$!; \
	$(BIN)/gunicorn --config gunicorn.conf.py 'app:create_app()'
endef

run: demo
	@echo "serving http://127.0.0.1:5000 (gunicorn) with one background worker; Ctrl-C stops both"
	$(SERVE)

# A real server: no demo data; settings from the environment (README: Deployment).
serve: init
	$(SERVE)

test: venv system-deps
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/render_docx.py
	$(BIN)/python bench/search.py --docs 2000

clean:
	rm -rf $(VENV) instance .pytest_cache
