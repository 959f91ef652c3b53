# Transformers by Hand: two commands for everyone, a few more for maintainers.
#   make lab    set everything up, then open JupyterLab on the first lesson
#   make test   set everything up, then run every test (unit, property, reference, notebooks, browser)
# Set-up is idempotent: a second run reinstalls nothing unless pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# Extra JupyterLab options, e.g. `make lab LAB_ARGS="--no-browser --port 8899"`.
LAB_ARGS ?=
FIRST_LESSON := notebooks/00-start-here.ipynb
# The browser test drives this Chromium (Debian's `chromium` package), never a downloaded one.
CHROMIUM ?= /usr/bin/chromium
# pytest workers: both cores of a small machine. `make test JOBS=1` runs in one process.
JOBS ?= 2
# Notebook kernels are forked from a process that has done their imports (tools/warm_kernels.py);
# `make test WARM_KERNELS=0` starts each one cold, as Jupyter does.
WARM_KERNELS ?= 1
# JupyterLab refuses to run as root unless told it may.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
LAB_FLAGS := $(ROOT_FLAG) --ServerApp.root_dir=. \
    --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

NOTEBOOK_DIRS := notebooks solutions exercises
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg
# Each notebook (and each test module) stays on one worker: nbval runs a notebook's cells in order.
XDIST := $(if $(filter-out 1,$(JOBS)),-n $(JOBS) --dist loadscope --no-loadscope-reorder,)

# Keep compiled bytecode between runs (some shells set PYTHONDONTWRITEBYTECODE): without it
# every test process recompiles the tests and pytest's rewritten asserts, ~3 s each time.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: lab test lint setup test-setup system-test-deps hub-system-deps exercises notebooks bench bench-hub test-hub \
    worksheets clean help

help:
	@echo "make lab        set up and open JupyterLab on lesson 00"
	@echo "make test       set up and run every test"
	@echo "make lint       let ruff fix import order and blank lines, then list what is left"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make notebooks  re-execute every notebook in place (before committing)"
	@echo "make worksheets a class set of printable worksheets and their key, in build/"
	@echo "make bench      time the widgets, the attention kernels against PyTorch, and training lesson 12's translator"
	@echo "make bench-hub  a class at once on a real JupyterHub (LEARNERS=20): start-up, run and memory"
	@echo "make test-hub   only the two-learner JupyterHub smoke test (make test runs it too)"
	@echo "make clean      remove the virtual environment and caches"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# After every install, whatever it brought: settings for the learner's JupyterLab.
# - nbgrader (a teacher's and test-time tool) must never load in a learner's JupyterLab: its
#   formgrader alone costs ~3 s at every start, and its lab UI is for teachers. Installing
#   nbgrader (again) rewrites its own config file enabling itself; ours sorts after it and wins.
# - jsonschema[format-nongpl] (via jupyter-events) pulls in rfc3987-syntax, whose import costs
#   ~1.3 s in every Jupyter and pytest process; jsonschema treats it as optional (it validates
#   only the "iri" format, which no Jupyter schema uses), so it goes.
# - no "would you like Jupyter news?" popup and no update check.
define after_install
	$(PY) -m pip uninstall --quiet --yes rfc3987-syntax lark
	@mkdir -p $(VENV)/etc/jupyter/jupyter_server_config.d $(VENV)/etc/jupyter/labconfig \
	    $(VENV)/share/jupyter/lab/settings
	@printf '%s\n' '{"ServerApp": {"jpserver_extensions": {' \
	    '  "nbgrader.server_extensions.formgrader": false,' \
	    '  "nbgrader.server_extensions.validate_assignment": false,' \
	    '  "nbgrader.server_extensions.assignment_list": false,' \
	    '  "nbgrader.server_extensions.course_list": false}}}' \
	    > $(VENV)/etc/jupyter/jupyter_server_config.d/zz-transformers-by-hand.json
	@printf '%s\n' '{"disabledExtensions": {"@jupyter/nbgrader": true}}' \
	    > $(VENV)/etc/jupyter/labconfig/page_config.json
	@printf '%s\n' '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
	    > $(VENV)/share/jupyter/lab/settings/overrides.json
endef

# A learner's environment: the package and its six dependencies, nothing else.
# Each stamp file records a finished install; it is remade only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	$(after_install)
	@touch $@

# What the tests add: the `test` extra (pytest-xdist, hypothesis, nbgrader, playwright, pypdfium2,
# and the CPU build of torch as a reference).
$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	$(after_install)
	@touch $@

# What only the system can give: Debian's Chromium for the browser test. As root, install it;
# otherwise stop at once with one line saying what to install.
system-test-deps:
ifeq ($(wildcard $(CHROMIUM)),)
ifeq ($(shell id -u),0)
	@echo "apt-get install chromium (for the browser test)"
	@apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	@[ -x "$(CHROMIUM)" ] || { echo "make test: chromium is installed, but $(CHROMIUM) is still missing" >&2; exit 1; }
else
	$(error make test needs Chromium at $(CHROMIUM) for the browser test: run  sudo apt-get install chromium  (or make test CHROMIUM=/path/to/chromium))
endif
endif

# What the JupyterHub test's proxy (configurable-http-proxy, from npm) needs: Node.js and npm.
# This machine's Node when there is one (CHP 5 on Node >= 20, CHP 4.6 on Node 10 to 19); without
# it, as root, Debian's nodejs and npm; otherwise stop at once with one line saying what to install.
hub-system-deps:
ifeq ($(and $(shell command -v node),$(shell command -v npm)),)
ifeq ($(shell id -u),0)
	@echo "apt-get install nodejs npm (for the JupyterHub test's proxy)"
	@apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
else
	$(error the JupyterHub test needs Node.js and npm: run  sudo apt-get install nodejs npm)
endif
endif

# The classroom's JupyterHub (tests/test_hub.py, make bench-hub), all under .venv/hub/, each part
# keyed by what it is made from (see tools/hub_setup.py): jupyterhub in a venv of its own,
# configurable-http-proxy from npm, and the learners' environment as a user image holds it (the
# suite's wheel, jupyterhub-singleuser, nbgitpuller). When helpers/ changes, the test itself
# rebuilds the wheel and reinstalls it alone.
$(VENV)/.installed-hub: tools/hub_setup.py pyproject.toml | hub-system-deps $(VENV)/.installed-test
	$(PY) tools/hub_setup.py
	@touch $@

setup: $(VENV)/.installed

test-setup: system-test-deps $(VENV)/.installed-test $(VENV)/.installed-hub

lab: setup
	$(BIN)/jupyter lab $(LAB_FLAGS) $(LAB_ARGS) $(FIRST_LESSON)

# The set-up runs first (its time is reported apart, from when make started), then ruff
# (lint and import order, configured in pyproject.toml), then pytest.
MAKE_START := $(shell date +%s.%N)
LINTED := helpers tests tools benchmarks
test: test-setup
	$(BIN)/ruff check --quiet $(LINTED)
	BYHAND_TEST_START=$(MAKE_START) BYHAND_CHROMIUM=$(CHROMIUM) BYHAND_WARM_KERNELS=$(WARM_KERNELS) \
	    $(PY) -m pytest $(XDIST) $(NBVAL) tests $(NOTEBOOK_DIRS)

# Fix what ruff can fix by itself (import order, blank lines), then show what is left.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix $(LINTED)

exercises: setup
	$(PY) -m helpers.authoring

# Execute every notebook top to bottom in a fresh kernel, without timing metadata.
notebooks: setup
	$(PY) tools/run_notebooks.py notebooks/*.ipynb solutions/*.ipynb exercises/*.ipynb

# A class set of 30 lesson-01 worksheets and its answer key (see README).
worksheets: setup
	$(BIN)/byhand worksheet --kind block --count 30 --out build/worksheet.pdf --force

# Benchmarks print figures; they assert nothing (the machines are shared and noisy).
bench: $(VENV)/.installed-test
	$(PY) benchmarks/widgets.py
	$(PY) benchmarks/attention.py
	$(PY) benchmarks/training.py

# A class at once on a real JupyterHub on this machine (see benchmarks/hub.py); its last line
# reads `learners: 20, failures: 0, first output: median … s, p95 … s; lesson run: …`.
LEARNERS ?= 20
bench-hub: $(VENV)/.installed-hub
	$(PY) benchmarks/hub.py --learners $(LEARNERS)

# Only the two-learner JupyterHub smoke test (tests/test_hub.py), which `make test` runs with the rest.
test-hub: $(VENV)/.installed-hub
	$(PY) -m pytest tests/test_hub.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
