# The few commands a developer runs. `make demo` on a fresh machine sets everything up and starts the demo.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= sqlite:///$(CURDIR)/var/demo.sqlite3
DEMO_STUDENTS ?= 3000
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/runxin

.PHONY: demo test install lint browser-deps messages bench clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## First command: set up, migrate the embedded SQLite database, generate a demo city, start the server.
demo: $(STAMP)
	RUNXIN_DEMO=1 DATABASE_URL=$(DEMO_DB) $(BIN)/runxin migrate --no-input -v0
	RUNXIN_DEMO=1 DATABASE_URL=$(DEMO_DB) $(BIN)/runxin demo_city --students $(DEMO_STUDENTS) --if-empty
	RUNXIN_DEMO=1 DATABASE_URL=$(DEMO_DB) $(BIN)/runxin demo_logins
	@# The embedded default's scheduler (escalation timers, notification delivery, daily reports) runs beside
	@# the web server and stops with it.
	RUNXIN_DEMO=1 DATABASE_URL=$(DEMO_DB) $(BIN)/runxin run_scheduler > var/scheduler.log 2>&1 & \
	  SCHEDULER=$$!; trap "kill $$SCHEDULER 2>/dev/null" EXIT INT TERM; \
	  RUNXIN_DEMO=1 DEBUG=1 DATABASE_URL=$(DEMO_DB) $(BIN)/runxin runserver 127.0.0.1:$(PORT)

## Second command: the whole test suite, against PostgreSQL (127.0.0.1:5432 unless TEST_DATABASE_URL says otherwise).
test: $(STAMP)
	$(BIN)/ruff check runxin bench conftest.py
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=runxin.settings_test DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/runxin makemigrations --check --dry-run -v0
	@# `make demo` runs on the embedded default (SQLite), which the suite does not: build a small demo city there.
	@d=$$(mktemp -d) && export RUNXIN_DEMO=1 DATABASE_URL=sqlite:///$$d/demo.sqlite3 && \
	  $(BIN)/runxin migrate --no-input -v0 && $(BIN)/runxin demo_city --students 300 --files $$d/files > $$d/demo.log 2>&1 && \
	  $(BIN)/runxin run_scheduler --once > $$d/scheduler.log 2>&1 && echo "demo city on SQLite: built" && rm -rf $$d \
	  || (tail -40 $$d/*.log 2>/dev/null; echo "demo city on SQLite: FAILED"; exit 1)
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -n 2 --dist loadgroup --create-db -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check runxin bench conftest.py

## Debian's chromium and a CJK font for the browser tests (root; .ci/run calls this).
browser-deps:
	command -v chromium >/dev/null 2>&1 && fc-list | grep -qi wqy || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

messages: $(STAMP)
	cd runxin && DJANGO_SETTINGS_MODULE=runxin.settings_test ../$(BIN)/runxin makemessages -l zh_Hans --no-obsolete && DJANGO_SETTINGS_MODULE=runxin.settings_test ../$(BIN)/runxin compilemessages -l zh_Hans

clean-demo:
	rm -f var/demo.sqlite3*
