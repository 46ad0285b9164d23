# Civic Kiosk: `make run` starts the demo kiosk, `make test` runs the whole suite.
# Both install whatever is missing first (apt packages on Debian, then .venv).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make-stamps
DOMAIN := civickiosk
LOCALES := kiosk/locale
PO_FILES := $(wildcard $(LOCALES)/*/LC_MESSAGES/$(DOMAIN).po)
MO_FILES := $(PO_FILES:.po=.mo)
# Runtime: GL for Kivy's SDL2 wheel, espeak-ng for speech, mtdev for touch screens.
# Build: libpcsclite-dev, swig, gcc and python3-dev compile pyscard (no Linux wheel).
# Tests: pcscd with vpcd, the virtual reader our virtual card plugs into (never on a
# production kiosk: vpcd listens on the network).
# Receipts: fonts for the lines printed as pictures (drivers/printer/raster.py) and
# FriBiDi, which Pillow's wheels load for right-to-left layout.
# Payments: socat makes the serial pty pair the ZVT tests talk over.
APT_PACKAGES := libgl1 libegl1 libmtdev1 espeak-ng libpcsclite-dev swig gcc python3-dev \
	pcscd vsmartcard-vpcd fonts-dejavu-core fonts-noto-ui-core fonts-wqy-microhei libfribidi0 \
	socat

.PHONY: all run test lint format deps apt venv mo messages api-doc tour bench clean

all: deps

run: deps
	$(PY) main.py --demo

# Two workers fill CI's two cores; each test file stays whole on one worker, and the
# card tests share one (tests/conftest.py). TEST_WORKERS=0 runs it all in one process.
TEST_WORKERS ?= 2
test: deps
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

deps: apt venv mo

apt: $(STAMPS)/apt
$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@bash tools/install-apt.sh $(APT_PACKAGES)
	@touch $@

venv: $(STAMPS)/venv
$(STAMPS)/venv: setup.cfg pyproject.toml | $(STAMPS)/apt
	@mkdir -p $(STAMPS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

mo: $(MO_FILES)
%.mo: %.po $(STAMPS)/venv
	$(VENV)/bin/pybabel compile --use-fuzzy -D $(DOMAIN) -i $< -o $@ -l $$(basename $$(dirname $$(dirname $<))) --statistics

# Developers: refresh the catalogues after adding or changing user-facing text.
messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output \
		--omit-header -o $(LOCALES)/$(DOMAIN).pot .
	$(VENV)/bin/pybabel update -D $(DOMAIN) -i $(LOCALES)/$(DOMAIN).pot -d $(LOCALES) --no-fuzzy-matching

api-doc: venv
	$(PY) -m portal.openapi > docs/portal-api.json

tour: deps
	$(PY) main.py --tour tour

bench: deps
	$(PY) bench/startup.py
	$(PY) bench/queue_bench.py
	$(PY) bench/crash_bench.py
	$(PY) bench/card_bench.py
	$(PY) bench/receipt_bench.py

clean:
	rm -rf $(STAMPS) $(MO_FILES) .pytest_cache
