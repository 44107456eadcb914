# The two commands of the README: `make run` (the product) and `make test` (everything CI checks).
# Both create the virtual environment and install what they need on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The development secret and loopback webhook targets are refused in production mode (the default of
# every process): `make run` and `make test` are development, unless WORKFLOWS_ENV says otherwise.
WORKFLOWS_ENV ?= development
export WORKFLOWS_ENV

.PHONY: install browser run test lint services-up services-down bench

# Playwright drives the system's chromium (tests/ui): it never downloads a browser of its own.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian's chromium for the browser tests; nothing to do when it is there already.
browser:
	@command -v chromium > /dev/null || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

install: $(STAMP) browser

run: install
	$(BIN)/workflows run

services-up: install
	$(BIN)/workflows services up

services-down: install
	$(BIN)/workflows services down

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install lint services-up
	$(BIN)/pytest -v

bench: install services-up
	$(BIN)/python bench/engine_bench.py
