# streamcheck — make help lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed-run
WHEEL_DIR  ?= .cache/dist
WHEEL_VENV ?= .cache/wheel-venv
DEMO_DIR ?= demo-recordings
DEMO_OUT ?= demo-report

FUZZ_COUNT ?= 1000

.PHONY: help demo screenshots test package lint format docs fuzz bench floors profile mutate clean eval

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:  # the venv's own pip (23.2 or later) installs everything here: no upgrade, no wait
	$(PYTHON) -m venv $(VENV)

# make demo installs what running needs, nothing more; make test adds the dev and dask extras
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	@touch $(STAMP) $(RUN_STAMP)

demo: $(RUN_STAMP) ## Set up (runtime dependencies only), generate sample recordings with known defects, scan them
	$(BIN)/python -m streamcheck.testmedia $(DEMO_DIR) demo
	@echo
	@echo '$$ streamcheck scan $(DEMO_DIR) --out $(DEMO_OUT) --html'
	@$(BIN)/streamcheck scan $(DEMO_DIR) --out $(DEMO_OUT) --html; code=$$?; \
	  echo; echo "exit code $$code (1 = findings at or above --fail-on, as expected here)"; \
	  echo "open $(DEMO_OUT)/report.html in a browser for timelines, plots and thumbnails"; \
	  test $$code -le 1

screenshots: demo ## Regenerate the README's screenshots from the demo scan (needs chromium)
	$(BIN)/python docs/screenshots.py $(DEMO_OUT) docs/img

test: $(STAMP) ## Set up, lint, type-check, check the layers, run the test suite, check the package
	$(BIN)/ruff check streamcheck tests bench docs
	$(BIN)/ruff format --check streamcheck tests bench docs
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory package

package: $(STAMP) ## Build sdist and wheel, twine check, install the wheel in a clean venv, run it
	rm -rf $(WHEEL_DIR) $(WHEEL_VENV)
	$(BIN)/python -m build --sdist --wheel --outdir $(WHEEL_DIR) . > /dev/null
	$(BIN)/twine check --strict $(WHEEL_DIR)/*
	$(BIN)/uv venv --quiet --python $(PYTHON) $(WHEEL_VENV)
	$(BIN)/uv pip install --quiet --python $(WHEEL_VENV)/bin/python $(WHEEL_DIR)/*.whl
	cd $(WHEEL_VENV) && bin/streamcheck --version
	cd $(WHEEL_VENV) && bin/python -c "from streamcheck.testmedia import Defect, Spec, generate; \
	  generate(Spec('smoke', 'mp4', 'libx264', 'aac', duration_s=3, width=160, height=120, \
	  defects=(Defect('black', 0.5, 2.5),)), 'media')"
	cd $(WHEEL_VENV) && bin/streamcheck scan media --out report -q; test $$? -eq 1  # the black
	cd $(WHEEL_VENV) && bin/python -c "import streamcheck; \
	  assert streamcheck.read_report('report').defects['detector'].to_pylist() == ['black']"
	@echo "package ok: $$(ls $(WHEEL_DIR))"

lint: $(STAMP) ## ruff check and format check, mypy, import contracts
	$(BIN)/ruff check streamcheck tests bench docs
	$(BIN)/ruff format --check streamcheck tests bench docs
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix streamcheck tests bench docs
	$(BIN)/ruff format streamcheck tests bench docs

docs: $(STAMP) ## Regenerate docs/detectors.md from the detectors' declarations
	$(BIN)/python -m streamcheck.report.catalogue > docs/detectors.md

bench: $(STAMP) ## Benchmarks: ratios measured side by side (inputs generated into .cache/bench)
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/costs.py

floors: $(STAMP) ## Floors under our cost: loudness meters compared, reading each picture back
	$(BIN)/python bench/floors.py

EVAL_ARGS ?=
eval: $(STAMP) ## Accuracy on the eval corpus (built into .cache/eval): EVAL_ARGS="--subset quick"
	$(BIN)/python -m eval $(EVAL_ARGS)

profile: $(STAMP) ## Where one file's CPU goes, consumer by consumer: make profile FILE=path
	$(BIN)/python bench/consumers.py "$(FILE)"

fuzz: $(STAMP) ## Scan $(FUZZ_COUNT) broken, hostile and oddly named variants of every container and codec; print the verdicts
	rm -rf .cache/fuzz
	$(BIN)/python -m streamcheck.testmedia.fuzz .cache/fuzz $(FUZZ_COUNT)
	$(BIN)/python bench/fuzz_run.py .cache/fuzz/variants .cache/fuzz/report

mutate: $(STAMP) ## Mutation testing of the detectors (mutmut); prints the kill ratio
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,mutate]'
	rm -rf mutants
	-$(BIN)/mutmut run >/dev/null 2>&1
	$(BIN)/python bench/mutation_report.py

clean: ## Remove the venv, caches and demo output
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .cache mutants $(DEMO_DIR) $(DEMO_OUT) streamcheck-report dist
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
