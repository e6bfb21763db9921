"""The Exports tab in a real browser: a small FEC downloads at once and passes the checker; a large
export goes to the worker and its page offers the file."""

import datetime

import pytest

from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, make_client, make_invoice
from facturier.conftest import make_account, make_user
from facturier.exports import jobs
from facturier.exports.fec_check import check_fec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect = pytest.importorskip(
    "playwright.sync_api", reason="Browser tests need the playwright package."
).expect


def test_a_user_exports_last_years_fec_then_a_large_payments_export(
    page_as, live_server, monkeypatch, tmp_path
):
    owner = make_user("olivia@acme.test", "Olivia", "Martin")
    acme = make_account(
        "acme",
        "ACME SAS",
        owner,
        siren="732829320",
        vat_number="FR44732829320",
        street="1 avenue des Champs-Élysées",
        post_code="75008",
        city="Paris",
        subscription_ends_on=datetime.date(2099, 12, 31),
    )
    last_year = acme.today().year - 1
    actor = actor_for(acme, owner)
    invoice = make_invoice(
        actor, make_client(acme, name="Boulangerie Martin"), issue_date=datetime.date(last_year, 5, 2)
    )
    record_payment(
        actor, acme, date=datetime.date(last_year, 6, 1), amount=invoice.gross_total, documents=[invoice]
    )

    page = page_as(owner)
    page.goto(f"{live_server.url}/acme/")
    page.get_by_role("navigation", name="Navigation du compte").get_by_role("link", name="Exports").click()
    expect(page.locator("h1")).to_have_text("Exports")
    expect(page.get_by_label("FEC (fichier des écritures comptables)")).to_be_checked()
    expect(page.get_by_label("Période")).to_have_value("last_year")
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter").click()
    fec = tmp_path / download.value.suggested_filename
    download.value.save_as(fec)
    assert fec.name == f"732829320FEC{last_year}1231.txt"
    assert check_fec(fec, file_name=fec.name) == []
    # The page stays: its progress bar stops once the file has started.
    expect(page.locator("body")).not_to_have_class("busy")

    # Past its format's limit, the export runs on the worker (at once in tests) and its page offers it.
    spec = jobs.FORMATS["payments-xlsx"]
    monkeypatch.setitem(
        jobs.FORMATS, "payments-xlsx", jobs.FormatSpec(**{**spec.__dict__, "inline_limit": 0})
    )
    page.goto(f"{live_server.url}/acme/exports/")
    page.get_by_label("Paiements (Excel)").check()
    page.get_by_role("button", name="Exporter").click()
    expect(page.locator("h1")).to_have_text("Paiements (Excel)")
    expect(page.locator("#job-status")).to_contain_text("Le fichier est prêt.")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger").click()
    assert download.value.suggested_filename == f"acme-payments-{last_year}-01-01-{last_year}-12-31.xlsx"

    page.get_by_role("link", name="← Exports").click()
    recent = page.locator("table.export-jobs tbody tr")
    expect(recent).to_have_count(2)
