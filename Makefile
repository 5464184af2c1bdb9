# EduPlus — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= small

.PHONY: help uv install browser demo serve worker seed test test-sqlite test-postgres lint check bench vendor messages clean

help:
	@echo "make demo   install from uv.lock, migrate, seed the demo province, serve http://$(HOST):$(PORT)"
	@echo "make test   install and run the whole suite (SQLite; PostgreSQL too if EDUPLUS_TEST_DATABASE_URL is set)"

uv:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || $(PY) -m pip install --user --quiet uv

install: uv
	$(UV) sync --frozen

# Headless Chromium and a CJK font from Debian, for browser tests and screenshots.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	  else echo "browser tests need /usr/bin/chromium and a Chinese font: sudo apt-get install chromium fonts-wqy-zenhei"; exit 1; fi; \
	fi

demo: install
	$(RUN) eduplus migrate --no-input
	$(RUN) eduplus seed --scale $(SCALE) --if-empty
	$(RUN) eduplus collectstatic --no-input -v 0
	$(RUN) eduplus demo_logins --url http://$(HOST):$(PORT)
	@echo "Serving EduPlus on http://$(HOST):$(PORT)  (Ctrl-C to stop); background jobs: eduplus db_worker"
	@$(RUN) eduplus data recover
	@$(RUN) eduplus db_worker --no-reload -v 0 & WORKER=$$!; trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	  $(RUN) gunicorn eduplus.wsgi:application --bind $(HOST):$(PORT) --workers 3 --threads 4 --access-logfile - --log-level warning

serve: install
	@$(RUN) eduplus data recover
	@$(RUN) eduplus db_worker --no-reload -v 0 & WORKER=$$!; trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	  $(RUN) gunicorn eduplus.wsgi:application --bind $(HOST):$(PORT) --workers 3 --threads 4

worker: install
	$(RUN) eduplus data recover
	$(RUN) eduplus db_worker --no-reload

lint: install
	$(RUN) ruff check src tests bench scripts
	$(RUN) ruff format --check src tests bench scripts
	$(RUN) mypy src

check: install
	$(RUN) eduplus check --database default --fail-level WARNING
	$(RUN) eduplus makemigrations --check --dry-run

test-sqlite: install browser
	env -u EDUPLUS_TEST_DATABASE_URL -u DATABASE_URL $(RUN) --group spark pytest --create-db -q

test-postgres: install browser
	$(RUN) python -m eduplus.core.dbcheck "$$EDUPLUS_TEST_DATABASE_URL"
	$(RUN) pytest --create-db -q -m "not browser"

test: install browser lint check test-sqlite
	@if [ -n "$$EDUPLUS_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "EDUPLUS_TEST_DATABASE_URL not set: PostgreSQL run skipped (CI sets it)"; fi

bench: install
	$(RUN) python bench/seed.py

vendor:
	cd /tmp && npm pack htmx.org@2 echarts@5 >/dev/null && \
	  tar xzf htmx.org-*.tgz package/dist/htmx.min.js -O > $(CURDIR)/src/eduplus/static/vendor/htmx.min.js && \
	  tar xzf echarts-*.tgz package/dist/echarts.min.js -O > $(CURDIR)/src/eduplus/static/vendor/echarts.min.js

messages:
	cd src/eduplus && $(RUN) django-admin makemessages -l en --no-obsolete && $(RUN) django-admin compilemessages -l en

clean:
	rm -rf var .venv
