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

.PHONY: install browser web run test lint services-up services-down bench api-types check-api-types

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

# The builder (web/): `npm ci` when node_modules is missing or older than the lock file, `npm run build` when
# dist is missing or older than a source. The API serves web/dist at / (WORKFLOWS_WEB_DIST).
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/src web/index.html web/package-lock.json \
	$(wildcard web/vite.config.ts web/tsconfig.json)

web/node_modules: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist: $(WEB_SOURCES) | web/node_modules
	cd web && npm run build
	touch $@

web: web/dist

install: $(STAMP) browser web

# The product needs no browser: only the test command installs chromium.
run: $(STAMP) web
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
	cd web && npm run typecheck
	cd web && npm run lint

test: install lint services-up check-api-types
	cd web && npm test
	$(BIN)/pytest -v

# The builder's API types are made from the API's own OpenAPI document: regenerate both after an API change.
api-types: install
	$(BIN)/workflows openapi --out web/openapi.json
	cd web && npm run gen:api

# CI: the committed web/openapi.json and web/src/api/schema.d.ts are what the API describes today.
check-api-types: $(STAMP) web/node_modules
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/workflows openapi --out "$$tmp/openapi.json" && \
	(cd web && npx --no-install openapi-typescript "$$tmp/openapi.json" -o "$$tmp/schema.d.ts" > /dev/null) && \
	if cmp -s "$$tmp/openapi.json" web/openapi.json && cmp -s "$$tmp/schema.d.ts" web/src/api/schema.d.ts; then \
		echo "API types are current"; \
	else \
		diff -u web/src/api/schema.d.ts "$$tmp/schema.d.ts" | head -40; \
		echo "web/openapi.json or web/src/api/schema.d.ts is out of date with the API; regenerate with: make api-types"; \
		exit 1; \
	fi

bench: install services-up
	$(BIN)/python bench/engine_bench.py
