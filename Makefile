# Handover (交付通): `make run` for a demo, `make test` for the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HANDOVER_DATA ?= $(CURDIR)/instance
# `make run PORT=8080` (or PORT=8080 make run): where gunicorn listens; HANDOVER_BIND wins when set.
PORT ?= 5000
export HANDOVER_BIND ?= 127.0.0.1:$(PORT)
DEB_PACKAGES := chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils postgresql-client iproute2 libreoffice-calc-nogui libreoffice-impress-nogui libreoffice-draw-nogui python3-uno fonts-wqy-zenhei tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng postgresql-15-rum

.PHONY: run serve test venv system-deps fonts init demo bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# Debian packages the browser and document tests, backups (pg_dump), the two-server test
# (ip netns) and PostgreSQL search ranked from the index (the rum extension, on the server that
# runs PostgreSQL 15; migration 0012 uses it when present) use (installed once, as root).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	[ -e /usr/lib/libreoffice/program/scalc ] || missing="$$missing libreoffice-calc-nogui"; \
	[ -e /usr/lib/libreoffice/program/simpress ] || missing="$$missing libreoffice-impress-nogui"; \
	[ -e /usr/lib/libreoffice/program/sdraw ] || missing="$$missing libreoffice-draw-nogui"; \
	/usr/bin/python3 -c "import uno" 2>/dev/null || missing="$$missing python3-uno"; \
	[ -d /usr/share/fonts/truetype/wqy ] || missing="$$missing fonts-wqy-zenhei"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v tesseract >/dev/null || missing="$$missing tesseract-ocr"; \
	[ -e /usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata ] || missing="$$missing tesseract-ocr-chi-sim"; \
	[ -e /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ] || missing="$$missing tesseract-ocr-eng"; \
	[ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	command -v pg_dump >/dev/null || missing="$$missing postgresql-client"; \
	[ -e /usr/share/postgresql/15/extension/rum.control ] || missing="$$missing postgresql-15-rum"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	  else \
	    echo "warning: missing$$missing; run 'sudo apt-get install $(DEB_PACKAGES)' for the browser and PDF tests"; \
	  fi; \
	fi
	@if [ "$$(id -u)" = "0" ]; then $(MAKE) --no-print-directory fonts; fi

# fontconfig aliases 宋体/仿宋/楷体 -> Noto Serif CJK SC, 黑体/微软雅黑 -> Noto Sans CJK SC for the
# whole host (the rendition worker's LibreOffice reads deploy/fonts/handover-fonts.conf anyway,
# through FONTCONFIG_FILE). The conf.d copy drops the line that includes the system configuration.
fonts:
	sed '/<include /d' deploy/fonts/handover-fonts.conf > /etc/fonts/conf.d/65-handover-cjk.conf
	fc-cache -f >/dev/null
	@fc-match 宋体 | grep -q "Noto Serif CJK SC" && echo "fonts: 宋体 -> Noto Serif CJK SC"

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
	@echo "serving http://$(HANDOVER_BIND) (gunicorn) with one background worker; Ctrl-C stops both"
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
	$(BIN)/python bench/small_uploads.py
	$(BIN)/python bench/portfolio.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/ocr.py

clean:
	rm -rf $(VENV) instance .pytest_cache
