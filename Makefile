# Pasar Oleh-Oleh Kaltara. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi:app

.DEFAULT_GOAL := help
.PHONY: help system-packages setup node-tools run test lint format translations extract-messages check-migrations bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/activate: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/activate

translations: $(BIN)/activate ## Compile the message catalogues
	$(BIN)/pybabel compile -d translations --statistics
	$(BIN)/pybabel compile -D wtforms -d translations --statistics

system-packages: ## Install the machine packages (Chromium, Pango, fonts, redis-server, nginx) with apt as root; otherwise print the command
	@sh deploy/system-packages.sh

setup: system-packages $(BIN)/activate translations ## Machine packages, .venv, install, compile translations

NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

node-tools: $(NODE_STAMP) ## Install the pinned npm tools of package-lock.json (Lighthouse, axe-core) into node_modules/

run: setup ## Migrate, load the demo data when empty, serve on 127.0.0.1:$(PORT)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: setup node-tools ## Run the whole suite (TEST_DATABASE_URL switches to PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff check and format check, and the import-linter layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

extract-messages: setup ## Extract strings and update the catalogues
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --no-fuzzy-matching

check-migrations: setup ## Fail when the models and the migrations disagree
	$(BIN)/flask db upgrade
	$(BIN)/flask db check

bench: setup node-tools ## Run the benchmarks (ONLY="pages queries" runs some)
	$(BIN)/python -m bench $(ONLY)

clean: ## Remove the virtualenv and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
