# The two commands of the README:
#   make demo   set up a virtual environment and run kiemchung on the bundled sample (SQLite)
#   make test   set up a virtual environment and run the test suite
# Both install the versions pinned in constraints.txt (`make constraints` refreshes it).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DB ?= demo-data/kiemchung.db

EXTRAS := test,web,semantic,reports
PIP_INSTALL := $(BIN)/pip install -q -c constraints.txt

.PHONY: demo test bench install install-test clean constraints audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# setup.py and the C source: the optional compiled story scorer, rebuilt by the install when changed
$(VENV)/.installed: pyproject.toml constraints.txt setup.py kiemchung/stories/_fastscore.c | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt setup.py kiemchung/stories/_fastscore.c | $(BIN)/python
	$(PIP_INSTALL) -e '.[$(EXTRAS)]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: $(VENV)/.installed
	$(BIN)/kiemchung --db $(DEMO_DB) demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A fresh environment with every extra and no constraints: the newest versions pyproject.toml allows.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install -q --upgrade pip
	.venv-constraints/bin/pip install -q -e '.[$(EXTRAS)]'
	{ sed -n '/^#/p' constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-constraints

# Known vulnerabilities of the installed (pinned) dependency set: pip-audit from its own environment.
# A vulnerability fails; a vulnerability service (or registry) that cannot be reached is a warning.
AUDIT_VENV ?= .venv-audit
PIP_AUDIT  ?= pip-audit==2.10.1
audit: $(VENV)/.installed-test
	@test -x $(AUDIT_VENV)/bin/pip-audit || { $(PYTHON) -m venv $(AUDIT_VENV) && \
	  $(AUDIT_VENV)/bin/pip install -q "$(PIP_AUDIT)"; } || \
	  { echo "CẢNH BÁO (warning): không cài được pip-audit (could not install pip-audit); audit skipped"; exit 0; }; \
	$(BIN)/python scripts/audit_dependencies.py --python $(BIN)/python --pip-audit $(AUDIT_VENV)/bin/pip-audit

clean:
	rm -rf $(VENV) $(AUDIT_VENV) demo-data .pytest_cache
