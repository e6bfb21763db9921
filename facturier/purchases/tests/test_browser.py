"""Recording an expense with a scanned receipt in a real browser (Playwright driving Debian's Chromium)."""

import datetime
from decimal import Decimal as D
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from facturier.billing.models import Client
from facturier.conftest import CHROMIUM, logged_in, make_account, make_user
from facturier.purchases.models import Expense

from .conftest import image_bytes

if TYPE_CHECKING:
    from playwright.sync_api import Page


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium).",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Browser tests need the playwright package.")


def logged_in_page(browser, live_server, user) -> "Page":
    session = logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="fr-FR")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session,
                "domain": urlsplit(live_server.url).hostname,
                "path": "/",
            }
        ]
    )
    return context.new_page()


def test_an_expense_is_recorded_with_a_scanned_receipt_and_previewed(
    browser, live_server, transactional_db, tmp_path
):
    user = make_user("olivia@acme.test", "Olivia", "Martin")
    account = make_account("acme", "ACME SAS", user, subscription_ends_on=datetime.date(2099, 12, 31))
    Client.objects.create(account=account, kind=Client.Kind.SUPPLIER, name="Station Total")
    receipt = tmp_path / "ticket.jpg"
    receipt.write_bytes(image_bytes("JPEG"))
    page = logged_in_page(browser, live_server, user)

    page.goto(f"{live_server.url}/acme/expenses/new/")
    page.get_by_label("Fournisseur", exact=True).select_option(label="Station Total")
    page.get_by_label("Numéro de la facture du fournisseur").fill("T-0042")
    page.get_by_label("Date de la facture", exact=True).fill("2025-05-06")
    page.get_by_label("Catégorie", exact=True).select_option(label="Déplacements (6251)")
    page.get_by_label("Prix saisis TTC").check()
    page.get_by_label("Désignation, ligne 1").fill("Gazole")
    page.get_by_label("Quantité, ligne 1").fill("40")
    page.get_by_label("Prix unitaire, ligne 1").fill("1.789")
    page.get_by_label("Justificatifs", exact=True).set_input_files(str(receipt))
    page.get_by_role("button", name="Enregistrer la dépense").click()

    sync_api.expect(page.locator(".messages")).to_contain_text("La dépense a été enregistrée.")
    sync_api.expect(page.locator("h1")).to_contain_text("Station Total — T-0042")
    # 40 × 1.789 = 71.56 TTC at 20 %: 59.63 HT + 11.93 VAT.
    sync_api.expect(page.locator("main")).to_contain_text("71,56\xa0€")
    preview = page.get_by_role("img", name="Aperçu de ticket.jpg")
    sync_api.expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") == 8
    expense = Expense.objects.get(account=account)
    assert (expense.net_total, expense.vat_total, expense.gross_total) == (D("59.63"), D("11.93"), D("71.56"))
    assert expense.attachments.get().content_type == "image/jpeg"
