"""Document numbers: patterns, series per kind and year, gapless allocation, chronological order."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from facturier.billing import chain, numbering
from facturier.billing.models import BillingSettings, Document, NumberingSeries, Status
from facturier.billing.services import documents as services
from facturier.billing.tests.factories import actor_for, make_client, make_invoice
from facturier.tenancy.errors import ServiceError

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("F-{YYYY}-{NNNN}", "F-2026-0042"),
        ("{YY}{MM}/{NN}", "2603/42"),
        ("FAC+{YYYY}_{N}", "FAC+2026_42"),
        ("F{YYYY}-{NNNNNN}", "F2026-000042"),
    ],
)
def test_format_number_fills_the_tokens(pattern, expected):
    assert numbering.format_number(pattern, 2026, 3, 42) == expected


def test_the_counter_grows_past_its_padding():
    assert numbering.format_number("F-{YYYY}-{NN}", 2026, 3, 1234) == "F-2026-1234"


def test_every_default_pattern_is_valid():
    assert set(numbering.DEFAULT_PATTERNS) == {
        "vat",
        "correction",
        "estimate",
        "proforma",
        "advance",
        "final",
        "receipt",
    }
    for pattern in numbering.DEFAULT_PATTERNS.values():
        numbering.validate_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "code"),
    [
        ("F-{YYYY}-{XX}", "unknown_token"),
        ("F-{YYYY}", "counter"),
        ("F-{YYYY}-{NN}-{NNN}", "counter"),
        ("F-{NNNN}", "year"),
        ("F {YYYY}-{NNNN}", "characters"),
        ("Facturé-{YYYY}-{NNNN}", "characters"),
        ("F-{YYYY}-{NNNN}}", "characters"),
        ("FACTURE-DE-LA-SOCIETE-ACME-{YYYY}-{NNNN}", "too_long"),
    ],
)
def test_validate_pattern_refuses_what_could_give_a_bad_number(pattern, code):
    with pytest.raises(ValidationError) as error:
        numbering.validate_pattern(pattern)

    assert error.value.code == code


def test_each_kind_has_its_own_series(actor, buyer):
    numbers = [
        make_invoice(actor, buyer, kind=kind, issue_date=DAY).number
        for kind in ("vat", "vat", "estimate", "proforma", "receipt")
    ]

    assert numbers == ["F-2026-0001", "F-2026-0002", "D-2026-0001", "PF-2026-0001", "R-2026-0001"]


def test_the_series_restarts_each_year(actor, buyer):
    last_of_2025 = make_invoice(actor, buyer, issue_date=datetime.date(2025, 12, 31))
    first_of_2026 = make_invoice(actor, buyer, issue_date=datetime.date(2026, 1, 2))
    second_of_2026 = make_invoice(actor, buyer, issue_date=datetime.date(2026, 1, 2))

    assert [last_of_2025.number, first_of_2026.number, second_of_2026.number] == [
        "F-2025-0001",
        "F-2026-0001",
        "F-2026-0002",
    ]
    assert NumberingSeries.objects.get(kind="vat", year=2026).last_number == 2


def test_it_numbers_with_the_accounts_own_pattern(actor, acme, buyer):
    BillingSettings.objects.create(account=acme, number_patterns={"vat": "FAC{YY}{MM}-{NNN}"})

    invoice = make_invoice(actor, buyer, issue_date=DAY)

    assert invoice.number == "FAC2603-001"


def test_a_failed_issue_consumes_no_number(actor, acme, buyer, monkeypatch):
    draft = make_invoice(actor, buyer, issue=False, issue_date=DAY)

    def broken_hash(document, previous_hash):
        assert document.number == "F-2026-0001"  # the number was allocated when the failure happened
        raise RuntimeError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(chain, "document_hash", broken_hash)
        with pytest.raises(RuntimeError):
            services.issue(actor, draft)

    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.chain_index) == (Status.DRAFT, "", None)
    assert not NumberingSeries.objects.filter(last_number__gt=0).exists()
    assert services.issue(actor, draft).number == "F-2026-0001"


def test_it_refuses_an_invoice_dated_before_the_last_issued_one(actor, buyer):
    make_invoice(actor, buyer, issue_date=DAY)
    earlier = make_invoice(actor, buyer, issue=False, issue_date=DAY - datetime.timedelta(days=1))

    with pytest.raises(ServiceError, match="ordre chronologique") as error:
        services.issue(actor, earlier)

    assert error.value.field == "issue_date"
    assert "F-2026-0001" in error.value.message
    earlier.refresh_from_db()
    assert earlier.status == Status.DRAFT
    # The same day is fine.
    assert make_invoice(actor, buyer, issue_date=DAY).number == "F-2026-0002"


def test_get_settings_creates_the_row_once(acme):
    first = numbering.get_settings(acme)
    second = numbering.get_settings(acme, lock=True)

    assert first.pk == second.pk
    assert BillingSettings.objects.filter(account=acme).count() == 1


def test_numbers_are_per_account(actor, buyer, globex):
    ours = make_invoice(actor, buyer, issue_date=DAY)
    theirs = make_invoice(globex, make_client(globex), issue_date=DAY)

    assert ours.number == theirs.number == "F-2026-0001"
    assert Document.objects.filter(number="F-2026-0001").count() == 2
