"""The API's rate limit under parallel requests: 16 threads, each on its own connection, send 1,600
requests with one token whose limit is 1,000 in the window. Exactly 1,000 get through.

Runs on both databases (on SQLite, a file copy of the test database: tests/parallel.py).
"""

import datetime

import pytest
import time_machine

from facturier.accounts import counters
from facturier.accounts.models import RateCounter
from facturier.api.tests.conftest import Api
from facturier.tenancy.services import resolve_api_token
from facturier.tests.parallel import in_parallel, shared_database

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
REQUESTS_PER_THREAD = 100
LIMIT = 1000
# 100 seconds into a window of an hour: the burst stays inside one window.
START = datetime.datetime(2026, 3, 2, 10, 1, 40, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _threads_share_the_database(transactional_db, tmp_path):
    yield from shared_database(tmp_path)


def test_1600_parallel_requests_let_exactly_the_limit_through(owner_token, settings):
    settings.FACTURIER_API_RATE_LIMIT = LIMIT
    settings.FACTURIER_API_RATE_WINDOW = 3600

    def burst(_thread: int) -> list[int]:
        api = Api(owner_token)
        return [api.get("/account.json").status_code for _ in range(REQUESTS_PER_THREAD)]

    with time_machine.travel(START, tick=False):
        statuses = [status for batch in in_parallel(THREADS, burst) for status in batch]

    assert len(statuses) == THREADS * REQUESTS_PER_THREAD
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == THREADS * REQUESTS_PER_THREAD - LIMIT
    token = resolve_api_token(owner_token)
    assert token is not None
    counted = RateCounter.objects.get(key=counters.key("api-rate", f"token:{token.pk}")).count
    assert counted == THREADS * REQUESTS_PER_THREAD
