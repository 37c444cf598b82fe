# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: demo test bench setup clean

# The environment: a virtualenv with the package (editable) and its test tools.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# Migrate the bundled sample archive (served from loopback) into output/, then lint it.
demo: setup
	$(PY) samples/run_demo.py

# The test suite (real loopback servers; no packet leaves the machine).
test: setup
	$(PY) -m pytest -q

# The benchmark's own dependency (html2text, for the reference scraper it measures the tool against).
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

# CPU, memory and wall time of every process, beside a reference scraper and against the network
# floor; the figures are written into docs/benchmarks.md.
bench: $(VENV)/.bench-installed
	$(PY) bench/run.py
	$(PY) bench/faults.py
	$(PY) bench/deep.py
	PYTHONPATH=. $(PY) bench/progress_bar.py --issues 1000 --repeat 3

clean:
	rm -rf $(VENV) .pytest_cache output/content output/static output/.migrate .bench
