# apiprobe — the two commands: `make demo` and `make test`. No root needed.
# Both create .venv on first use and reuse it afterwards.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REPORT ?= reports/demo
# Extra `jupyter lab` options, e.g. make lab LAB_ARGS="--no-browser --ServerApp.port=8899"
LAB_ARGS ?=

.PHONY: demo test lab lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency pins or the project metadata change.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (apiprobe)" >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/apiprobe demo --out data/demo
	$(BIN)/apiprobe report --demo --data data/demo --out $(REPORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_probe.py
	$(BIN)/python benchmarks/bench_pprof.py
	$(BIN)/python benchmarks/bench_logs.py
	$(BIN)/python benchmarks/bench_metrics.py
	$(BIN)/python benchmarks/bench_triage.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_explorers.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_gotrace.py

clean:
	rm -rf reports .pytest_cache .mypy_cache .ruff_cache
