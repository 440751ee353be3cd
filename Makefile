# helpdesk: `make run` sets up and serves the site; `make test` sets up and runs the suite;
# `make test-fast` runs the unit tests alone, in seconds.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT := $(or $(HELPDESK_PORT),5000)

.PHONY: run test test-fast lint check setup migrate clean translations-extract translations-update translations-compile

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "helpdesk needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# created readable by its owner only from the start (umask 077), never written then chmod-ed
instance/secret_key:
	mkdir -p instance
	rm -f $@.new; umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_hex(32))' > $@.new && mv $@.new $@

migrate: setup instance/secret_key
	$(FLASK) db upgrade

run: migrate
	$(FLASK) demo load
	@# localhost, not 127.0.0.1: passkeys (WebAuthn) refuse an IP address; both are this machine
	@echo "Serving on http://localhost:$(PORT)  (Ctrl-C stops)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: lint
	$(FLASK) content check
	@# the whole suite on SQLite: a HELPDESK_TEST_POSTGRES_URL in the environment is for the next run
	HELPDESK_TEST_POSTGRES_URL= $(BIN)/python -m pytest -n 2 --dist loadgroup
	@if [ -n "$$HELPDESK_TEST_POSTGRES_URL" ]; then \
		echo "== the integration tests again, and the PostgreSQL-only ones, on PostgreSQL =="; \
		$(BIN)/python -m pytest -n 2 tests/integration && \
		$(BIN)/python -m pytest -n 2 -m postgres tests/unit; \
	elif [ -n "$$CI" ]; then \
		echo "CI must run the PostgreSQL tests: set HELPDESK_TEST_POSTGRES_URL (.ci/run does)"; exit 1; \
	else \
		echo "PostgreSQL tests not run: set HELPDESK_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@host/db"; \
	fi

test-fast: setup
	$(BIN)/python -m pytest -n 2 -m "not slow and not browser" tests/unit

# The layers and the types (docs/architecture.md): ruff (with its banned request API),
# import-linter's contracts, mypy over helpdesk/. `make test` runs them first.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

check: setup
	$(FLASK) content check

# The pages' and mails' words (README, "Translating the pages"): extract the marked strings into the
# template catalog, merge it into each language's catalog, compile the catalogs the app reads.
# The .mo files are committed (a fresh clone, a wheel and the tests serve them as they are);
# tests/unit/test_catalogs.py fails when any of the three would change a committed file.
CATALOGS := helpdesk/translations
TRANSLATED := es ar
translations-extract: setup
	$(BIN)/pybabel extract --mapping-file=babel.cfg --keywords=lazy_gettext --keywords=_l --keywords=lazy_ngettext:1,2 \
		--add-comments=Translators: --no-location --sort-output --no-wrap \
		--project=helpdesk --copyright-holder="helpdesk's authors" --msgid-bugs-address= \
		--output-file=$(CATALOGS)/messages.pot .

translations-update: translations-extract
	for lang in $(TRANSLATED); do \
		$(BIN)/pybabel update --input-file=$(CATALOGS)/messages.pot --output-dir=$(CATALOGS) \
			--locale=$$lang --no-wrap --ignore-obsolete --init-missing || exit 1; \
	done

translations-compile: setup
	$(BIN)/pybabel compile --directory=$(CATALOGS) --statistics

clean:
	rm -rf $(VENV) .pytest_cache
