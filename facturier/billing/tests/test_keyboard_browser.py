"""An invoice created and issued with the keyboard only: Tab, typing, Enter and the arrow keys, no
mouse, no filling of fields by the test."""

import datetime
import re
from decimal import Decimal

import pytest

from facturier.billing.models import Document, Status
from facturier.billing.tests.factories import make_client
from facturier.billing.tests.test_document_pages import url
from facturier.conftest import make_account, make_user


def tab_to(page, selector, limit=120):
    """Press Tab until the focused element matches `selector` (fails past `limit` presses)."""
    for _press in range(limit):
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never took the focus")


def type_line(page, index, name, quantity, price):
    """From the line's product select: its designation, quantity and unit price, as typed."""
    tab_to(page, f"#id_lines-{index}-name")
    page.keyboard.type(name)
    page.keyboard.press("Tab")  # the quantity
    page.keyboard.press("Control+A")
    page.keyboard.type(quantity)
    page.keyboard.press("Tab")  # the unit
    page.keyboard.press("Tab")  # the unit price
    page.keyboard.type(price)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_invoice_is_created_and_issued_with_the_keyboard_only(page_as, live_server):
    expect = pytest.importorskip("playwright.sync_api").expect
    owner = make_user("olivia@acme.test")
    acme = make_account(
        "acme", "ACME SAS", owner, subscription_ends_on=datetime.date(2099, 12, 31), siren="732829320",
        vat_number="FR44732829320", street="1 avenue des Champs-Élysées", post_code="75008", city="Paris",
        iban="FR7630006000011234567890189",
    )  # fmt: skip
    buyer = make_client(acme, name="Boulangerie Martin")
    make_client(acme, name="Zinc SA")
    page = page_as(owner)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + url("document_new"))

    # The client: found by typing, chosen with Enter.
    tab_to(page, "#client-search")
    page.keyboard.type("boul")
    expect(page.locator("#id_client option")).to_have_count(2)
    page.keyboard.press("Enter")
    expect(page.locator("#id_client")).to_be_focused()
    expect(page.locator("#id_client")).to_have_value(str(buyer.pk))

    # Three lines, the second and third added with the keyboard.
    type_line(page, 0, "Conseil", "3", "350")
    for index, (name, quantity, price) in enumerate(
        [("Formation", "1", "1200"), ("Déplacement", "2", "45,50")], 1
    ):
        tab_to(page, "[data-add-line]")
        page.keyboard.press("Enter")
        expect(page.locator(f"#id_lines-{index}-product")).to_be_focused()
        type_line(page, index, name, quantity, price)
    page.keyboard.press("Tab")
    expect(page.locator('#document-totals [data-total="gross"]')).to_have_text("2\xa0809,20\xa0€")
    expect(page.locator("#line-total-lines-2")).to_have_text("91,00\xa0€")
    expect(page.locator("#document-totals")).not_to_contain_text("incomplète")
    expect(page.locator("#document-totals")).not_to_contain_text("incomplète")
    # The three lines and the totals fit in one laptop screen.
    button = page.locator("button[value=issue]").bounding_box()
    assert button is not None
    assert button["y"] + page.evaluate("window.scrollY") + button["height"] <= 900

    # Issued with Enter on "Enregistrer et émettre", the confirmation accepted.
    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, "button[value=issue]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/acme/documents/\d+/$"))
    document = Document.objects.get()
    number = f"F-{acme.today().year}-0001"
    assert (document.number, document.status, document.gross_total) == (
        number,
        Status.ISSUED,
        Decimal("2809.20"),
    )
    assert [line.name for line in document.lines.order_by("position")] == [
        "Conseil",
        "Formation",
        "Déplacement",
    ]
