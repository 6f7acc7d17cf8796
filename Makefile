# worldsim: `make demo` and `make test` set everything up on first use (.venv, CPU torch, the package).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MUJOCO_GL ?= egl

.PHONY: demo test bench clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: on these machines 2.13.0 is a CPU build on local disk; a bare `torch` pulls CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# make demo: the whole main job at small scale (13.2 min measured on 2 CPU cores); make demo DEMO_ARGS=--pretrained: 2.5 min
DEMO_ARGS ?=
demo: $(STAMP)
	$(BIN)/worldsim demo --out runs/demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/env_speed.py --out benchmarks/results/env_speed.json

clean-venv:
	rm -rf $(VENV)
