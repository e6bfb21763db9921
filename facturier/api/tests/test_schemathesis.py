"""Every operation of the OpenAPI document (/api/schema/), fed inputs generated from that document by
schemathesis (issue 7, section 8): no answer is a server error, and every answer has a status code the
document lists and a body that matches its schema for that code.

The WSGI application runs in-process with a token of acme's owner (all permissions); acme holds one
row of each resource, so the generated ids sometimes meet a real one. The number of examples per
operation is bounded: 6 generated examples each, after schemathesis's coverage cases (the boundary and
invalid values of each parameter and body field, most of the run's time). The 50 operations take 72 to
80 s on SQLite and 90 to 100 s on PostgreSQL on a shared 2-vCPU machine (load average 3); loading the
document when the module is collected takes about 3 s more:

    DEBUG=true .venv/bin/pytest facturier/api/tests/test_schemathesis.py -q -p no:cacheprovider

It runs on SQLite only: CI's PostgreSQL run skips it, to keep CI under its 30 minutes.
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from facturier.api.tests.conftest import token_of
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import line, make_client, make_invoice, make_product
from facturier.purchases.services import ensure_default_categories
from facturier.tenancy.access import Actor

EXAMPLES_PER_OPERATION = 6


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    # Hundreds of calls with one token: the rate limit is not what this run looks at.
    settings.FACTURIER_API_RATE_LIMIT = 0
    settings.FACTURIER_API_RATE_LIMIT_ANONYMOUS = 0


@pytest.fixture
def seeded_token(owner: Any, acme: Any) -> Iterator[str]:
    """A token of acme's owner, and one row of each resource in acme (made by the services, as the
    system: faster than through the API, which this runs 50 times)."""
    dupont = make_client(acme)
    make_product(acme)
    ensure_default_categories(acme)  # the expense categories, "Autres" among them
    invoice = make_invoice(acme, dupont, lines=[line("Conseil", "2", "100")])
    make_invoice(acme, dupont, issue=False)
    record_payment(Actor.system(), acme, date=acme.today(), amount=Decimal("50"), documents=[invoice])
    # Django closes the database connection around each request it serves through WSGI when it is in a
    # transaction: in a test, the test's own. Like Django's test Client (which connects them back after
    # each request it makes), disconnect those handlers while schemathesis calls the WSGI app.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield token_of(owner, acme)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Loaded when the module is collected (the document needs no database); schemathesis's lazy loading from
# a fixture relies on a pytest internal that pytest 9 removed.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


# One run in CI is the issue's ask: it runs on SQLite, and the PostgreSQL run of CI skips it (it took
# 90-100 s there, and CI must stay under 30 minutes); the contract tests cover both databases.
ON_POSTGRESQL = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.skipif(
    ON_POSTGRESQL, reason="schemathesis runs once in CI, on SQLite (see the module's docstring)"
)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
def test_no_input_gets_a_server_error_or_an_answer_outside_the_schema(case: Any, seeded_token: str) -> None:
    # The token in the query: it wins over an `api_token` the generator may put in the body.
    case.query = {**(case.query or {}), "api_token": seeded_token}
    case.call_and_validate(
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
