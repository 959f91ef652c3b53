# Transformers by Hand: two commands for everyone, a few more for maintainers.
#   make lab    set everything up, then open JupyterLab on the first lesson
#   make test   set everything up, then run every test (unit, property, reference, notebooks)
# Set-up is idempotent: a second run reinstalls nothing unless pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Extra JupyterLab options, e.g. `make lab LAB_ARGS="--no-browser --port 8899"`.
LAB_ARGS ?=
FIRST_LESSON := notebooks/01-transformer-by-hand.ipynb
# torch is a test-time reference only (tests/test_*reference*.py). Leave it out with `make test NO_TORCH=1`.
TORCH_SPEC := torch==2.13.0
# JupyterLab refuses to run as root unless told it may.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
LAB_FLAGS := $(ROOT_FLAG) --ServerApp.root_dir=. \
    --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

NOTEBOOK_DIRS := notebooks solutions exercises
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg

.PHONY: lab test setup test-setup exercises notebooks bench worksheets clean help

help:
	@echo "make lab        set up and open JupyterLab on the first lesson"
	@echo "make test       set up and run every test"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make notebooks  re-execute every notebook in place (before committing)"
	@echo "make worksheets a class set of printable worksheets and their key, in build/"
	@echo "make bench      time the widgets' callbacks"
	@echo "make clean      remove the virtual environment and caches"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The stamp file records a finished install; it is remade only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@# jsonschema[format-nongpl] (via jupyter-events) pulls in rfc3987-syntax, whose import
	@# costs ~1.3 s in every Jupyter and pytest process. jsonschema treats it as optional
	@# (it only validates the "iri" format, which no Jupyter schema uses), so we drop it.
	$(PY) -m pip uninstall --quiet --yes rfc3987-syntax lark
	@# nbgrader is a test-time tool here (tests/test_authoring.py). Keep its server extensions
	@# (formgrader alone costs ~3 s at every JupyterLab start) and its lab UI out of the lessons.
	$(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.formgrader \
	    nbgrader.server_extensions.validate_assignment nbgrader.server_extensions.assignment_list \
	    nbgrader.server_extensions.course_list >/dev/null 2>&1
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@# No "would you like Jupyter news?" popup and no update check.
	@printf '%s\n' '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
	    > $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $@

$(VENV)/.torch: | $(VENV)/.installed
	$(PY) -m pip install --quiet '$(TORCH_SPEC)'
	@touch $@

setup: $(VENV)/.installed

test-setup: setup $(if $(NO_TORCH),,$(VENV)/.torch)

lab: setup
	$(BIN)/jupyter lab $(LAB_FLAGS) $(LAB_ARGS) $(FIRST_LESSON)

test: test-setup
	$(PY) -m pytest $(NBVAL) tests $(NOTEBOOK_DIRS)

exercises: setup
	$(PY) -m helpers.authoring

# Execute every notebook top to bottom in a fresh kernel, without timing metadata.
notebooks: setup
	$(PY) tools/run_notebooks.py notebooks/*.ipynb solutions/*.ipynb exercises/*.ipynb

# A class set of 30 lesson-01 worksheets and its answer key (see README).
worksheets: setup
	$(BIN)/byhand worksheet --kind block --count 30 --seed 7 --out build/worksheet.pdf

bench: setup
	$(PY) benchmarks/widgets.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
