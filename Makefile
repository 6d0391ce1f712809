# Logward. `make demo` and `make test` set up everything they need on a fresh machine:
# a virtualenv with the package and its dependencies, and (for tests) the Elasticsearch
# test node built by Maven from Maven Central and Debian's headless Chromium.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE := tests/cluster/target/classpath.txt

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench fixtures node browser deploy plan clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m compileall -q plugin >/dev/null
	touch $@

$(NODE): tests/cluster/pom.xml $(wildcard tests/cluster/src/main/java/logward/cluster/*.java)
	cd tests/cluster && mvn -B -q compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt

node: $(NODE)

# The HTML report test opens the report in a real browser.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the HTML report test"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

demo: $(INSTALLED)
	$(BIN)/logward replay --reference-time 2025-01-01T00:00:00Z demo/attack-auth.log

lint: $(INSTALLED)
	$(BIN)/ruff check plugin tests bench

test: $(INSTALLED) $(NODE) browser lint
	$(BIN)/python -m pytest

# Install or update Logward in your stack: ES_URL, KIBANA_URL and credentials from the
# environment (see README); `make plan` shows what would change first.
deploy: $(INSTALLED)
	$(BIN)/logward deploy $(ARGS)

plan: $(INSTALLED)
	$(BIN)/logward plan $(ARGS)

# Bytecode is compiled first, as an installed package has it (this machine's environment
# may turn off writing it), so start-up is measured as users see it.
bench: $(INSTALLED)
	$(BIN)/python -m compileall -q plugin bench >/dev/null
	$(BIN)/python -m bench.replay_speed

# Rewrite pipelines/*/test-*.log-expected.json from the real node; review the diff.
fixtures: $(INSTALLED) $(NODE)
	$(BIN)/python -m tests.pipeline_fixtures --regenerate

clean:
	rm -rf $(VENV) build tests/cluster/target .pytest_cache .ruff_cache
