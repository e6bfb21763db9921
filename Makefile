# Two commands for a fresh clone: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DEBUG ?= true
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails, the printed login address and the account's address use the address served here.
export FACTURIER_BASE_URL ?= http://$(HOST):$(PORT)
export ALLOWED_HOSTS ?= 127.0.0.1,localhost,$(HOST)

# Our translations only (facturier/locale): compilemessages compiles every locale folder below the current
# one, so it runs from the package, never over the .po files of the packages in .venv.
COMPILEMESSAGES := cd facturier && ../$(BIN)/python ../manage.py compilemessages

.PHONY: run test install setup lint typecheck pytest pytest-s3 proptest messages clean

$(BIN)/activate: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

# Installs the project and compiles the translations; `setup` also migrates the development database.
install: $(BIN)/activate
	mkdir -p var/mail
	$(COMPILEMESSAGES) -v 0

setup: install
	$(BIN)/python manage.py migrate --noinput

run: setup
	$(BIN)/python manage.py seed_demo
	@echo "Outbox (emails written as files in development): $(CURDIR)/var/mail/"
	@echo "Web: http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the job worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py run_worker & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The test runner creates its own database (SQLite in memory, or test_<name> on PostgreSQL).
test: install lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy facturier

# One pytest worker per core, at most 4 (pytest-xdist; each worker has its own test database).
# `make pytest PYTEST_WORKERS=0` runs the tests in one process.
PYTEST_WORKERS ?= auto
pytest:
	$(BIN)/pytest -n $(PYTEST_WORKERS) --maxprocesses 4

# The tests that write and read files, again with the files in an S3-compatible object store (a local moto
# server each test process starts: facturier/conftest.py, object_store) instead of the local disk.
STORAGE_TESTS := facturier/purchases facturier/billing/tests/test_chain.py facturier/billing/tests/test_pdf.py \
	facturier/einvoice/tests/test_importing.py facturier/exports/tests/test_documents.py \
	facturier/exports/tests/test_pages.py facturier/tenancy/tests/test_account_settings.py \
	facturier/tenancy/tests/test_logo_upload.py facturier/tenancy/tests/test_data_export.py facturier/ops
pytest-s3:
	FACTURIER_TEST_STORAGE=s3 $(BIN)/pytest -n $(PYTEST_WORKERS) --maxprocesses 4 $(STORAGE_TESTS)

# The consistency property test with its long profile (500 random examples instead of the 25 fixed
# ones `make test` runs): every output of generated sales against each other, to the cent.
proptest: install
	HYPOTHESIS_PROFILE=long $(BIN)/pytest facturier/tests/test_consistency.py

messages:
	cd facturier && ../$(BIN)/python ../manage.py makemessages -l fr -l en
	$(COMPILEMESSAGES)

clean:
	rm -rf $(VENV) var
