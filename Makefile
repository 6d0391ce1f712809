# Logward. `make demo` and `make test` set up everything they need on a fresh machine:
# a virtualenv with the package and its dependencies, and (for tests) the Elasticsearch
# test node built by Maven from Maven Central.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE := tests/cluster/target/classpath.txt

.PHONY: demo test lint bench fixtures node clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(NODE): tests/cluster/pom.xml $(wildcard tests/cluster/src/main/java/logward/cluster/*.java)
	cd tests/cluster && mvn -B -q compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt

node: $(NODE)

demo: $(INSTALLED)
	$(BIN)/logward replay --reference-time 2025-01-01T00:00:00Z demo/attack-auth.log

lint: $(INSTALLED)
	$(BIN)/ruff check plugin tests bench

test: $(INSTALLED) $(NODE) lint
	$(BIN)/python -m pytest

bench: $(INSTALLED)
	$(BIN)/python bench/replay_speed.py

# Rewrite pipelines/*/test-*.log-expected.json from the real node; review the diff.
fixtures: $(INSTALLED) $(NODE)
	$(BIN)/python -m tests.pipeline_fixtures --regenerate

clean:
	rm -rf $(VENV) build tests/cluster/target .pytest_cache .ruff_cache
