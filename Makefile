# The README's commands. Everything installs into .venv from the package registries; nothing by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install install-test model index run chat test test-fast lint eval bench browser postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed model

install-test: $(VENV)/.installed-test model

model: $(VENV)/.installed
	$(BIN)/notice-qa model

index: install
	$(BIN)/notice-qa index

run: install
	$(BIN)/notice-qa index
	$(BIN)/notice-qa serve

chat: install
	$(BIN)/notice-qa chat

# Debian's Chromium and a CJK font for the real-browser test (as root; apt only, no browser download).
browser:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	  || echo "browser: apt-get could not install chromium"; \
	else echo "browser: not root; install chromium and fonts-wqy-microhei with apt to run the browser test"; fi

# Debian's PostgreSQL for the review store's tests (as root; apt only). The tests start a throwaway
# cluster on loopback as the postgres user in a temp dir; nothing is left running.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	  || echo "postgres: apt-get could not install postgresql"; \
	else echo "postgres: not root; install postgresql with apt to run the PostgreSQL store test"; fi

# The eval's minimum only ever rises: raise it when accuracy rises, never lower it to make a change pass.
EVAL_MIN_ACCURACY := 0.99
BLIND2_MIN_ACCURACY := 0.98
BLIND3_MIN_ACCURACY := 0.94
# Written blind and run once on 2026-11-29 (first runs 71.7% and 62.1%); looked at since, so tuned.
BLIND4_MIN_ACCURACY := 0.99
CONTENT4_MIN_ACCURACY := 0.94
# Written blind at the same time and sealed until the redesign was done (first runs 93.2% and 84.7%); tuned since.
BLIND5_MIN_ACCURACY := 0.99
CONTENT5_MIN_ACCURACY := 0.95
# Written blind after all of the above and run once (first run 94.0%); tuned since.
BLIND6_MIN_ACCURACY := 0.99
# Written blind in session 3 (content, clause, header, refusal in everyday words), sealed while issue 9's second
# round was built, run once (first run 88.2%); looked at since, so tuned.
CONTENT6_MIN_ACCURACY := 0.97
# Written blind after content6's fixes and run once (first run 92.0%, refusal P/R 0.97/0.89); tuned since.
CONTENT7_MIN_ACCURACY := 0.98
# Mixed as real use, written blind at the end of session 3 and run once (first run 96.0%); tuned since.
BLIND7_MIN_ACCURACY := 0.97

test: install-test browser postgres
	$(BIN)/notice-qa eval --min-accuracy $(EVAL_MIN_ACCURACY) --report reports/eval.json
	$(BIN)/notice-qa eval --set eval/data/holdout.jsonl --min-accuracy $(EVAL_MIN_ACCURACY) --report reports/holdout.json
	$(BIN)/notice-qa eval --set eval/data/blind2.jsonl --min-accuracy $(BLIND2_MIN_ACCURACY) --report reports/blind2.json
	$(BIN)/notice-qa eval --set eval/data/blind3.jsonl --min-accuracy $(BLIND3_MIN_ACCURACY) --report reports/blind3.json
	$(BIN)/notice-qa eval --set eval/data/blind4.jsonl --min-accuracy $(BLIND4_MIN_ACCURACY) --report reports/blind4.json
	$(BIN)/notice-qa eval --set eval/data/content4.jsonl --min-accuracy $(CONTENT4_MIN_ACCURACY) --report reports/content4.json
	$(BIN)/notice-qa eval --set eval/data/blind5.jsonl --min-accuracy $(BLIND5_MIN_ACCURACY) --report reports/blind5.json
	$(BIN)/notice-qa eval --set eval/data/content5.jsonl --min-accuracy $(CONTENT5_MIN_ACCURACY) --report reports/content5.json
	$(BIN)/notice-qa eval --set eval/data/blind6.jsonl --min-accuracy $(BLIND6_MIN_ACCURACY) --report reports/blind6.json
	$(BIN)/notice-qa eval --set eval/data/content6.jsonl --min-accuracy $(CONTENT6_MIN_ACCURACY) --report reports/content6.json
	$(BIN)/notice-qa eval --set eval/data/content7.jsonl --min-accuracy $(CONTENT7_MIN_ACCURACY) --report reports/content7.json
	$(BIN)/notice-qa eval --set eval/data/blind7.jsonl --min-accuracy $(BLIND7_MIN_ACCURACY) --report reports/blind7.json
	$(BIN)/python -m pytest

test-fast: install-test
	$(BIN)/python -m pytest -m "not slow"

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

eval: install
	$(BIN)/notice-qa eval --peer

bench: install
	$(BIN)/notice-qa bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
