"""The global search of the top bar: the account's documents, clients, products and expenses, grouped,
never another account's, each group only for members who may see it."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.billing.models import Client
from facturier.billing.tests.factories import actor_for, make_client, make_invoice, make_product
from facturier.conftest import logged_in, make_user
from facturier.purchases.tests.conftest import make_expense
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def search_url(slug="acme"):
    return reverse("web:search", args=[slug])


@pytest.fixture
def data(acme, owner, globex, outsider):
    """The word "lumière" in each kind of row of ACME, and in Globex's rows too."""
    buyer = make_client(acme, name="Atelier Lumière", city="Lyon")
    make_client(acme, name="Boulangerie Martin")
    invoice = make_invoice(actor_for(acme, owner), buyer, issue_date=datetime.date(2026, 1, 10))
    make_product(acme, name="Lampe Lumière", code="LAMP")
    supplier = Client.objects.create(account=acme, kind=Client.Kind.SUPPLIER, name="Lumière Électricité")
    make_expense(acme, owner, supplier, supplier_number="LUM-7")
    theirs = make_client(globex, name="Lumière Globex")
    make_invoice(actor_for(globex, outsider), theirs)
    make_product(globex, name="Lumière secrète")
    return invoice


def groups_of(html):
    return [title for title in ("Documents", "Clients", "Produits", "Dépenses") if f">{title}</h3>" in html]


def test_the_search_finds_each_kind_of_row_of_the_account_grouped(owner_client, data):
    html = owner_client.get(search_url(), {"q": "lumière"}, **HTMX).text

    assert groups_of(html) == ["Documents", "Clients", "Produits", "Dépenses"]
    assert f"Facture {data.number}" in html and f'href="/acme/documents/{data.pk}/"' in html
    assert "Atelier Lumière" in html and "Lampe Lumière" in html and "Lumière Électricité LUM-7" in html
    assert "Boulangerie" not in html
    assert "Globex" not in html and "secrète" not in html  # another account's rows, never


def test_a_document_is_found_by_its_number(owner_client, data):
    html = owner_client.get(search_url(), {"q": data.number}, **HTMX).text

    assert groups_of(html) == ["Documents"]
    assert "120,00\xa0€" in html  # its total, written the French way


def test_without_htmx_the_search_is_a_page_and_says_when_nothing_matches(owner_client, data):
    page = owner_client.get(search_url(), {"q": "introuvable"}).text

    assert "<h1>Recherche</h1>" in page and 'value="introuvable"' in page
    assert "Aucun résultat pour « introuvable »." in page


def test_a_member_sees_only_the_groups_of_their_permissions(acme, data):
    role = Role.objects.create(account=acme, name="Achats", permissions=["purchases.view"])
    user = make_user("achats@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)

    html = logged_in(user).get(search_url(), {"q": "lumière"}, **HTMX).text

    assert groups_of(html) == ["Dépenses"]


def test_an_outsider_gets_404_and_a_visitor_the_login_page(outsider_client, client, data):
    response = outsider_client.get(search_url(), {"q": "lumière"})

    assert response.status_code == 404 and "Atelier" not in response.text
    assert client.get(search_url(), {"q": "lumière"}).status_code == 302


def test_the_search_runs_a_bounded_number_of_queries(owner_client, acme, owner, data):
    def count():
        owner_client.get(search_url(), {"q": "lumière"}, **HTMX)  # the session's own writes, once
        with CaptureQueriesContext(connection) as captured:
            owner_client.get(search_url(), {"q": "lumière"}, **HTMX)
        return len(captured)

    few = count()
    buyer = Client.objects.get(account=acme, name="Atelier Lumière")
    for n in range(8):
        make_client(acme, name=f"Lumière {n}")
        make_product(acme, name=f"Lumière {n}")
        make_invoice(actor_for(acme, owner), buyer)

    assert count() == few


def test_the_top_bar_holds_the_search_box(owner_client, acme):
    page = owner_client.get(reverse("web:dashboard", args=["acme"])).text

    assert 'id="global-search-input"' in page and 'hx-get="/acme/search/"' in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_search_is_reached_and_used_with_the_keyboard(page_as, live_server, owner, data):
    expect = pytest.importorskip("playwright.sync_api").expect
    page = page_as(owner)
    page.goto(f"{live_server.url}/acme/")

    page.keyboard.press("/")
    expect(page.locator("#global-search-input")).to_be_focused()
    page.keyboard.type("atelier")
    expect(page.locator("#global-search-results [data-search-hit]").first).to_be_visible()
    # Down through the invoice of that client, its group's "Tout voir", then the client.
    for _step in range(3):
        page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == f"/acme/clients/{Client.objects.get(name='Atelier Lumière').pk}/"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/acme/documents/?q=atelier"
    page.keyboard.press("Escape")
    expect(page.locator("#global-search-input")).to_be_focused()
    expect(page.locator("#global-search-results [data-search-hit]")).to_have_count(0)
