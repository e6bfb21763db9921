"""Gapless numbering and a single chain under concurrency: 8 connections issue 200 invoices at once.

PostgreSQL only: SQLite serialises every write transaction on its file lock, so parallel issues there
prove nothing. Run with DATABASE_URL=postgres://... (CI does).
"""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from facturier.billing import chain
from facturier.billing.models import BillingSettings, Document
from facturier.billing.services import documents as services
from facturier.billing.tests.factories import actor_for, make_client, make_invoice

THREADS = 8
INVOICES = 200
DAY = datetime.date(2026, 3, 10)

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL (row locks between real connections); SQLite serialises all writes",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_parallel_issues_get_numbers_1_to_200_and_one_unbroken_chain(acme, owner):
    buyer = make_client(acme)
    drafts = [make_invoice(acme, buyer, issue=False, issue_date=DAY) for _ in range(INVOICES)]
    actor = actor_for(acme, owner)
    # No BillingSettings row yet: the first issues also race to create it.
    assert not BillingSettings.objects.filter(account=acme).exists()
    start = threading.Barrier(THREADS)

    def issue_all(batch: list[Document]) -> list[str]:
        try:
            start.wait()
            return [services.issue(actor, draft).number for draft in batch]
        finally:
            connection.close()  # each thread has its own connection: close it, or the test DB stays busy

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        numbers = [
            n for batch in pool.map(issue_all, [drafts[i::THREADS] for i in range(THREADS)]) for n in batch
        ]

    expected = [f"F-2026-{n:04d}" for n in range(1, INVOICES + 1)]
    assert sorted(numbers) == expected
    issued = list(Document.objects.filter(account=acme).order_by("chain_index"))
    assert [d.chain_index for d in issued] == list(range(1, INVOICES + 1))
    # Numbers follow the chain: whoever got the lock first got both the next number and the next link.
    assert [d.number for d in issued] == expected
    assert [d.sequence for d in issued] == list(range(1, INVOICES + 1))
    assert BillingSettings.objects.get(account=acme).chain_length == INVOICES
    assert chain.verify(acme) is None
