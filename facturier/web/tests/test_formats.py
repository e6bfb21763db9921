"""One writing of numbers, amounts and statuses for every page (lib.money, billing.models.status_label)."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from facturier.billing.charts import month_label
from facturier.billing.models import Kind, Status, status_label
from facturier.lib.money import money_text, quantity_text

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "currency", "french", "english"),
    [
        (Decimal("1234.56"), "EUR", f"1{NBSP}234,56{NBSP}€", "€1,234.56"),
        (Decimal("-332.1"), "EUR", f"-332,10{NBSP}€", "-€332.10"),
        (Decimal("99999999999999.99"), "EUR", f"99{NBSP}999{NBSP}999{NBSP}999{NBSP}999,99{NBSP}€", None),
        (Decimal("12"), "CHF", f"12,00{NBSP}CHF", f"12.00{NBSP}CHF"),
        (Decimal("1234.4"), "JPY", f"1{NBSP}234{NBSP}JPY", f"1,234{NBSP}JPY"),
    ],
)
def test_amounts_are_written_once_per_language_and_never_break(value, currency, french, english):
    with translation.override("fr"):
        assert money_text(value, currency) == french
        assert " " not in money_text(value, currency)
    if english:
        with translation.override("en"):
            assert money_text(value, currency) == english


@pytest.mark.parametrize(
    ("value", "french"),
    [
        (Decimal("18.5000"), "18,5"),
        (Decimal("85.50"), "85,5"),
        (Decimal("2.000"), "2"),
        (Decimal("1000"), f"1{NBSP}000"),
        (Decimal("0.125"), "0,125"),
        (Decimal("-1"), "-1"),
    ],
)
def test_quantities_and_rates_lose_their_trailing_zeros(value, french):
    with translation.override("fr"):
        assert quantity_text(value) == french


def test_templates_have_the_filters_without_loading_them():
    template = Template("{{ amount|money:currency }} · {{ rate|quantity }} · {{ empty|money }}")
    with translation.override("fr"):
        text = template.render(
            Context({"amount": Decimal("1234.5"), "currency": "EUR", "rate": Decimal("5.50")})
        )
    assert text == f"1{NBSP}234,50{NBSP}€ · 5,5 · "


@pytest.mark.parametrize(
    ("kind", "status", "label"),
    [
        (Kind.INVOICE, Status.ISSUED, "Émise"),
        (Kind.INVOICE, Status.PARTIAL, "Payée partiellement"),
        (Kind.ADVANCE, Status.PAID, "Payée"),
        (Kind.PROFORMA, Status.SENT, "Envoyée"),
        (Kind.INVOICE, Status.CANCELLED, "Annulée par avoir"),
        (Kind.CREDIT_NOTE, Status.ISSUED, "Émis"),
        (Kind.ESTIMATE, Status.ACCEPTED, "Accepté"),
        (Kind.ESTIMATE, Status.REJECTED, "Refusé"),
        (Kind.RECEIPT, Status.PAID, "Payé"),
        (Kind.INVOICE, Status.DRAFT, "Brouillon"),
    ],
)
def test_a_status_agrees_with_the_kind_of_document(kind, status, label):
    with translation.override("fr"):
        assert status_label(kind, status) == label


def test_status_labels_are_translated_in_english():
    with translation.override("en"):
        assert status_label(Kind.INVOICE, Status.PARTIAL) == "Partly paid"
        assert status_label(Kind.CREDIT_NOTE, Status.ISSUED) == "Issued"


def test_chart_months_are_never_ambiguous_in_french():
    with translation.override("fr"):
        labels = [month_label(datetime.date(2026, month, 1)) for month in (1, 6, 7)]
    assert labels == ["Jan. 2026", "Juin", "Juil."]
