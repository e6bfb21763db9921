"""Issue 8's "done when": an invoice issued by one account, as Factur-X or UBL, is imported by its buyer's
account as an expense with the right supplier, lines and totals."""

import datetime
from decimal import Decimal as D

import pytest

from facturier.billing.tests.factories import line, make_invoice
from facturier.einvoice import importing
from facturier.einvoice.facturx import facturx_pdf
from facturier.einvoice.ubl import ubl_xml
from facturier.tenancy.access import Actor


@pytest.fixture
def dupont(globex):
    """The buyer's own account: globex, given the SIREN of the seller's client "Dupont SARL"."""
    globex.siren = "552100554"
    globex.save()
    return globex


@pytest.fixture
def invoice(seller, french_buyer):
    return make_invoice(
        seller,
        french_buyer,
        [
            line("Conseil", "3", "450", "20", unit="jour"),
            line("Livre technique", "2", "35.50", "5.5", unit="pièce", supply_kind="goods"),
            line("Abonnement presse", "1", "9.90", "2.1"),
        ],
        issue_date=datetime.date(2026, 11, 2),
    )


@pytest.mark.parametrize("syntax", ["facturx", "ubl"])
def test_an_invoice_we_issue_is_imported_by_its_buyer(invoice, dupont, syntax):
    content = facturx_pdf(invoice) if syntax == "facturx" else ubl_xml(invoice)

    expense = importing.import_einvoice(Actor.system(), dupont, f"{invoice.number}.{syntax}", content)

    supplier = expense.supplier
    assert (supplier.name, supplier.siren, supplier.vat_number, supplier.kind) == (
        "ACME SAS", "732829320", "FR44732829320", "supplier"
    )  # fmt: skip
    assert (expense.supplier_number, expense.issue_date) == (invoice.number, invoice.issue_date)
    assert [(row.name, row.quantity, row.unit_price, row.vat_rate) for row in expense.lines.all()] == [
        ("Conseil", D(3), D(450), D(20)),
        ("Livre technique", D(2), D("35.50"), D("5.5")),
        ("Abonnement presse", D(1), D("9.90"), D("2.1")),
    ]
    assert (expense.net_total, expense.vat_total, expense.gross_total) == (
        invoice.net_total, invoice.vat_total, invoice.gross_total
    )  # fmt: skip
    assert expense.due_date == invoice.due_date
