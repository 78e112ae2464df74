# The README's two commands: `make run` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

# `make run` keeps one test PKI in $(KEYS) (git-ignored): created on the first run, checked and
# reused after that, so a 3DS SDK under test trusts $(KEYS)/root-ca.crt once. --ds: the Directory
# Server front a 3DS Server talks to (PReq, AReq, RReq relay under /ds/) runs beside the ACS.
KEYS ?= $(or $(ACS_KEYS),.acs/keys)

run: $(STAMP)
	$(BIN)/acs keys init $(KEYS)
	$(BIN)/acs serve --keys $(KEYS) --ds

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check acs tests benchmarks
	$(BIN)/ruff format --check acs tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts .bench
