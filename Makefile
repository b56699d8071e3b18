# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv runs everything in the locked environment. It never downloads a Python: it uses a 3.13
# (or 3.12) interpreter found on this machine (pyenv's first, then PATH).
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13)),$(shell command -v python3.13 || command -v python3.12))
UV ?= uv
RUN := $(UV) run --frozen
PORT ?= 3000

.PHONY: help install run test lint typecheck cfn-lint sam-validate build build-host pytest sdk-deps requirements clean bench load

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install:  ## create .venv from uv.lock
	$(UV) sync --frozen

run: install  ## serve every route of template.yaml on 127.0.0.1:$(PORT) with an embedded DynamoDB
	PORT=$(PORT) $(RUN) python -m tools.local_api

test: lint typecheck cfn-lint sam-validate build build-host pytest  ## the whole suite: ruff, mypy, cfn-lint, sam validate, sam build, pytest

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	@$(UV) export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt --no-header \
		| diff -q - <(grep -v '^#' layers/shared/requirements.txt) >/dev/null \
		|| { echo "layers/shared/requirements.txt drifted from uv.lock: run make requirements"; exit 1; }

typecheck: install
	$(RUN) mypy

cfn-lint: install
	$(RUN) cfn-lint template.yaml

SAM_CLI := aws-sam-cli==1.170.0
sam-validate:  ## SAM's own validation and lint (SAM CLI in uv's tool cache, telemetry off)
	SAM_CLI_TELEMETRY=0 $(UV) tool run --from $(SAM_CLI) sam validate --lint --region us-east-1

SAM := PATH="$(dir $(UV_PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(UV) tool run --from $(SAM_CLI) sam
# Lambda's code directories are read-only, so a build without bytecode compiles every module at
# every cold start (seconds); unchecked-hash .pyc files are valid whatever the files' mtimes.
PRECOMPILE = $(UV_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash
build:  ## sam build (no container): functions and the arm64 layer into .aws-sam/build, precompiled
	$(SAM) build
	$(PRECOMPILE) .aws-sam/build

build-host: install  ## the same build for this machine's architecture, which the built-function test imports
	$(SAM) build --template-file $$($(RUN) python -m tools.host_template) --build-dir .aws-sam/build-host
	$(PRECOMPILE) .aws-sam/build-host

pytest: install sdk-deps
	$(RUN) pytest -n 2

sdk-deps:  ## Kibo's own JavaScript SDK, for the conformance test (skipped without node/npm)
	@if command -v npm >/dev/null; then cd tests/sdk && npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the Kibo SDK test will be skipped"; fi

bench: install  ## round trips, warm overhead, cold starts, hashing, embedded backend vs budgets (~4 min)
	$(RUN) python -m tools.bench --json bench-results.json

load: install  ## 50 shoppers for 30 s against the local server (locust): errors, throughput, latency, sessions (~1 min)
	$(RUN) python -m tools.load --json load-results.json

.PHONY: openapi fuzz
openapi: install  ## regenerate functions/api_docs/openapi.json, the whole API's OpenAPI document, from the code
	$(RUN) python -m tools.openapi

FUZZ_EXAMPLES ?= 1000
fuzz: install  ## schemathesis against the OpenAPI document: FUZZ_EXAMPLES requests per operation (CI runs 100)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(RUN) pytest tests/fuzz -q

requirements: install  ## re-export the layer's requirements.txt from uv.lock
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt --no-header \
		-o layers/shared/requirements.txt

clean:
	rm -rf .venv .aws-sam .pytest_cache .mypy_cache .ruff_cache tests/sdk/node_modules
