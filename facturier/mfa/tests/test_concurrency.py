"""One code, many parallel tries: exactly one succeeds (django-otp locks the device row while it checks).

PostgreSQL only: SQLite serialises every write transaction on its file lock, so parallel tries there
prove nothing. Run with DATABASE_URL=postgres://... (CI does).
"""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django_otp.plugins.otp_static.models import StaticToken

from facturier.mfa import verification
from facturier.mfa.tests.conftest import add_app, code_of

THREADS = 8

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL (row locks between real connections); SQLite serialises all writes",
    ),
    pytest.mark.django_db(transaction=True),
]


def parallel_tries(user, code) -> list[str]:
    start = threading.Barrier(THREADS)

    def attempt(_index: int) -> str:
        try:
            start.wait()
            verification.verify_code(user, code)
            return "accepted"
        except ValidationError as error:
            return str(error.code)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(attempt, range(THREADS)))


def test_a_recovery_code_tried_eight_times_at_once_is_accepted_once(owner, frozen):
    _device, codes = add_app(owner)

    outcomes = parallel_tries(owner, codes[0])

    assert outcomes.count("accepted") == 1
    assert not StaticToken.objects.filter(token=codes[0]).exists()


def test_an_app_code_tried_eight_times_at_once_is_accepted_once(owner, frozen):
    device, _codes = add_app(owner)
    frozen.shift(datetime.timedelta(minutes=1))

    outcomes = parallel_tries(owner, code_of(device))

    assert outcomes.count("accepted") == 1
