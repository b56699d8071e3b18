# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv runs everything in the locked environment. It never downloads a Python: it uses a 3.13
# (or 3.12) interpreter found on this machine (pyenv's first, then PATH).
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13)),$(shell command -v python3.13 || command -v python3.12 || command -v python3))
# uv from the PATH, or else the pinned uv fetched once from PyPI (with the machine's python3 and
# pip) into the project-local, git-ignored .tools/uv: `make run` and `make test` need only python3.
UV_VERSION := 0.13.8
TOOLS := $(CURDIR)/.tools
UV_WHEELS ?= $(TOOLS)/wheels
LOCAL_UV := $(TOOLS)/uv/bin/uv
UV ?= $(or $(shell command -v uv 2>/dev/null),$(LOCAL_UV))
RUN := $(UV) run --frozen
PORT ?= 3000
DB ?= moto

.PHONY: help install run test lint typecheck cfn-lint sam-validate build build-host pytest sdk-deps requirements clean bench load cost cost-figures \
	uv-wheel dynamodb-local test-dynamodb-local dynamodb-local-leg ops-template smoke invoke operator deploy destroy

# Targets with a "## " comment are listed, in the order they appear here.
help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 22

# Whatever a target prints on stdout is its answer (make invoke ... | jq): installing uv and the
# environment reports on stderr only.
$(LOCAL_UV):
	@echo "uv is not on the PATH: installing uv $(UV_VERSION) into $(TOOLS)/uv" >&2
	@python3 -m pip --version >/dev/null 2>&1 || { echo "python3 -m pip is needed to fetch uv (Debian: apt-get install python3-pip)" >&2; exit 1; }
	@python3 -m pip install --quiet --disable-pip-version-check $(if $(wildcard $(UV_WHEELS)),--find-links $(UV_WHEELS)) --target $(TOOLS)/uv uv==$(UV_VERSION) >&2

install: $(filter $(LOCAL_UV),$(UV))  ## create .venv from uv.lock
	@$(UV) sync --frozen >&2

run: install $(if $(filter dynamodb-local,$(DB)),dynamodb-local)  ## serve every route of template.yaml on 127.0.0.1, port PORT (3000); DB=moto (embedded, in memory) or DB=dynamodb-local (kept in .local-data)
	PORT=$(PORT) $(RUN) python -m tools.local_api --db $(DB)

dynamodb-local: install  ## fetch AWS's DynamoDB Local (npm package amplify-dynamodb-simulator, pinned) into .tools
	$(RUN) python -m tools.dynamodb_local install

test: lint typecheck cfn-lint sam-validate build build-host pytest dynamodb-local-leg  ## the whole suite: ruff, mypy, cfn-lint, sam validate, sam build, pytest, then the integration and e2e suites on DynamoDB Local

lint: install  ## ruff, ruff format --check, and the layer's requirements.txt against uv.lock
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports --no-logo
	@$(UV) export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt --no-header \
		| diff -q - <(grep -v '^#' layers/shared/requirements.txt) >/dev/null \
		|| { echo "layers/shared/requirements.txt drifted from uv.lock: run make requirements"; exit 1; }

typecheck: install  ## mypy --strict on the layer, the functions and the tools
	$(RUN) mypy

cfn-lint: install  ## cfn-lint on template.yaml
	$(RUN) cfn-lint template.yaml

SAM_CLI := aws-sam-cli==1.170.0
sam-validate: install  ## SAM's own validation and lint (SAM CLI in uv's tool cache, telemetry off)
	SAM_CLI_TELEMETRY=0 $(UV) tool run --from $(SAM_CLI) sam validate --lint --region us-east-1

SAM := PATH="$(dir $(UV_PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(UV) tool run --from $(SAM_CLI) sam
# Lambda's code directories are read-only, so a build without bytecode compiles every module at
# every cold start (seconds); unchecked-hash .pyc files are valid whatever the files' mtimes.
PRECOMPILE = $(UV_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash
build: install  ## sam build (no container): functions and the arm64 layer into .aws-sam/build, precompiled
	$(SAM) build
	$(PRECOMPILE) .aws-sam/build

build-host: install  ## the same build for this machine's architecture, which the built-function test imports
	$(SAM) build --template-file $$($(RUN) python -m tools.host_template) --build-dir .aws-sam/build-host
	$(PRECOMPILE) .aws-sam/build-host

pytest: install sdk-deps  ## the pytest suite on moto (unit, integration, e2e, infrastructure), two workers
	$(RUN) pytest -n 2

# The integration and e2e suites again, on AWS's own emulator instead of moto (each xdist worker
# starts one on a free port and stops it). The built-function and load tests are left out: they
# test the build and the load tool, whose DynamoDB is moto's either way.
JAVA ?= java
DYNAMODB_LOCAL_SUITES := tests/integration tests/e2e --ignore=tests/e2e/test_built_functions.py --ignore=tests/e2e/test_load_smoke.py
test-dynamodb-local: dynamodb-local sdk-deps  ## the integration and e2e suites on DynamoDB Local (needs java)
	TEST_DYNAMODB=dynamodb-local $(RUN) pytest -n 2 $(DYNAMODB_LOCAL_SUITES)

dynamodb-local-leg: install  ## test-dynamodb-local where java (and npm, or an installed emulator) is present; says so when skipped
	@if ! command -v $(JAVA) >/dev/null; then \
		echo "SKIPPED the DynamoDB Local leg: no java on the PATH (apt-get install openjdk-17-jre-headless)"; \
	elif ! command -v npm >/dev/null && [ ! -f $${DYNAMODB_LOCAL_HOME:-$(TOOLS)/dynamodb-local}/DynamoDBLocal.jar ]; then \
		echo "SKIPPED the DynamoDB Local leg: DynamoDB Local is not installed and npm, which fetches it, is missing"; \
	else $(MAKE) --no-print-directory test-dynamodb-local; fi

sdk-deps: tests/sdk/node_modules/.package-lock.json  ## Kibo's own JavaScript SDK, for the conformance test (skipped without node/npm)

# npm ci wipes node_modules and installs again, so it runs only when the lock file changed (npm
# writes node_modules/.package-lock.json as it finishes): make test asks for it twice.
tests/sdk/node_modules/.package-lock.json: tests/sdk/package-lock.json
	@if command -v npm >/dev/null; then cd tests/sdk && npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the Kibo SDK test will be skipped"; fi

bench: install  ## round trips, request units, warm and cold ratios, hashing, imports, sign-in over HTTP, embedded backend vs budgets (~6 min)
	$(RUN) python -m tools.bench --json bench-results.json

MAU ?= 100000
COST_OPTIONS = $(if $(SIGN_INS),--sign-ins $(SIGN_INS)) $(if $(REFRESHES),--refreshes $(REFRESHES)) \
	$(if $(ACCOUNT_READS),--account-reads $(ACCOUNT_READS)) $(if $(TWO_FACTOR_CODES),--two-factor-codes $(TWO_FACTOR_CODES)) \
	$(if $(RESETS),--resets $(RESETS)) $(if $(BENCH),--bench $(BENCH))
cost: install  ## a month's AWS bill beside Cognito's, offline: MAU=100000 [SIGN_INS=4 REFRESHES=10 ACCOUNT_READS=10 TWO_FACTOR_CODES=0.2 RESETS=0.05 BENCH=bench-results.json]
	$(RUN) python -m tools.cost --mau $(MAU) $(COST_OPTIONS)

cost-figures: install  ## after a full make bench: refresh tools/cost/bench-figures.json (make cost's snapshot) from bench-results.json
	$(RUN) python -m tools.cost --refresh-figures bench-results.json

load: install  ## 50 shoppers for 30 s against the local server (locust): errors, throughput, latency, sessions (~1 min)
	$(RUN) python -m tools.load --json load-results.json

.PHONY: openapi fuzz
openapi: install  ## regenerate functions/api_docs/openapi.json (the whole API's OpenAPI document) and the catch-all's functions/not_found/routes.json from the code and template.yaml
	$(RUN) python -m tools.openapi
	$(RUN) python -m tools.route_table

FUZZ_EXAMPLES ?= 1000
fuzz: install  ## schemathesis against the OpenAPI document: FUZZ_EXAMPLES requests per operation (CI runs 100)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(RUN) pytest tests/fuzz -q

# make deploy / make destroy: before anything else runs, AWS credentials must be there; without
# them make stops on the one line that says what to set (checked while the Makefile is read, so
# nothing else is printed first). Needs the environment (make install) to look.
ENV ?= dev
DEPLOY_TOOL = .venv/bin/python -m tools.deploy
ifneq ($(filter deploy destroy,$(MAKECMDGOALS)),)
ifneq ($(wildcard .venv/bin/python),)
DEPLOY_PROBLEM := $(shell $(DEPLOY_TOOL) check --env $(ENV) --goal $(firstword $(filter deploy destroy,$(MAKECMDGOALS))))
$(if $(DEPLOY_PROBLEM),$(error $(DEPLOY_PROBLEM)))
endif
endif

deploy: install  ## build and deploy the stack: ENV=dev (default) or ENV=prod; asks once for the region and the mail sender (REGION=, MAIL_FROM=) and keeps them in samconfig.toml
	@$(DEPLOY_TOOL) check --env $(ENV) >&2 || exit 2
	@$(DEPLOY_TOOL) configure --env $(ENV) $(if $(REGION),--set REGION=$(REGION)) $(if $(MAIL_FROM),--set MAIL_FROM=$(MAIL_FROM)) >&2 || exit 2
	@$(MAKE) --no-print-directory build
	$(SAM) deploy --config-env $(ENV)

destroy: install  ## delete the ENV=dev (or prod) stack (sam delete, which asks first); the table and the signing keys are kept (docs/operations.md)
	@$(DEPLOY_TOOL) check --env $(ENV) --goal destroy >&2 || exit 2
	$(SAM) delete --config-env $(ENV)

smoke:  ## the post-deploy check: API=https://... CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... (Kibo's SDK through a session, the JWT against the JWKS, then clean up)
	@for name in API CLIENT_ID CLIENT_SECRET TENANT SITE; do \
		[ -n "$${!name}" ] || { echo "make smoke needs $$name=... (API, CLIENT_ID, CLIENT_SECRET, TENANT and SITE)"; exit 2; }; done
	@# npm ci only when the SDK is missing: it empties node_modules, which other runs may be using.
	@[ -d tests/sdk/node_modules/@kibocommerce/rest-sdk ] || $(MAKE) --no-print-directory sdk-deps
	@cd tests/sdk && node smoke.js

invoke: install  ## what sam local invoke does, without Docker: EVENT=events/<name>.json [FUNCTION=<LogicalId>] on make run's backend, a fresh app token filled in
	@[ -n "$(EVENT)" ] || { echo "make invoke needs EVENT=events/<name>.json (and FUNCTION=<LogicalId>, checked against it, if you like)" >&2; exit 2; }
	@$(RUN) python -m tools.local_api.invoke --event $(EVENT) $(if $(FUNCTION),--function $(FUNCTION))

# The checkout's own interpreter, so the tool runs in a shell without uv; install only when the
# environment is missing.
operator: $(if $(wildcard .venv/bin/python),,install)  ## the operator tool (tenants, sites, app clients) on make run's server, or on AWS: ARGS="tenant show --id 1000"
	@.venv/bin/python -m tools.operator $(ARGS)

ops-template: install  ## rewrite each function's log group and alarms in template.yaml (after adding a function)
	$(RUN) python -m tools.operations_template

uv-wheel:  ## keep the pinned uv's wheel in .tools/wheels (the bare-machine test installs uv from it, offline)
	python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d $(UV_WHEELS) uv==$(UV_VERSION)

requirements: install  ## re-export the layer's requirements.txt from uv.lock
	$(UV) export --frozen --no-dev --no-hashes --no-emit-project --format requirements-txt --no-header \
		-o layers/shared/requirements.txt

clean:  ## remove what make made: .venv, .aws-sam, caches, the SDK's node_modules, .tools
	rm -rf .venv .aws-sam .pytest_cache .mypy_cache .ruff_cache tests/sdk/node_modules .tools
