# Logward. `make demo` and `make test` set up everything they need on a fresh machine:
# a virtualenv with the package and its dependencies, and (for tests) the Elasticsearch
# test node built by Maven from Maven Central and Debian's headless Chromium.

# The first Python 3.11 or newer of these that can make a virtualenv. The distribution's
# own build comes first: Debian's is compiled with profile-guided optimisation, which
# interpreters built from source (pyenv's, by default) are not, and replays about a fifth
# faster on it. Set PYTHON to choose another.
PYTHON ?= $(firstword $(foreach p,/usr/bin/python3 python3,$(shell $(p) -c 'import sys, ensurepip; \
	print("$(p)" if sys.version_info >= (3, 11) else "")' 2>/dev/null)))
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE := tests/cluster/target/classpath.txt

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench fixtures node browser deploy plan clean

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Logward needs Python 3.11 or newer with venv: set PYTHON=/path/to/python3"; exit 1; }
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
