"""The document form's client picker (search, "Nouveau client") and its lines' totals."""

import json

import pytest
from django.urls import reverse

from facturier.billing.models import Client
from facturier.billing.tests.factories import make_client, make_product
from facturier.billing.tests.test_document_pages import HTMX, add_member, form_data, url
from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import AuditEvent, Membership, Role

QUICK = {
    "new_client-is_company": "True",
    "new_client-name": "Atelier Lumière SARL",
    "new_client-country": "FR",
    "new_client-siren": "732 829 320",
    "new_client-street": "3 rue des Lilas",
    "new_client-post_code": "69003",
    "new_client-city": "Lyon",
}


@pytest.fixture
def buyer(acme):
    return make_client(acme)


@pytest.fixture
def clients(acme, globex):
    make_client(acme, name="Boulangerie Martin", city="Lyon")
    make_client(acme, name="Martin Fournitures", kind=Client.Kind.SUPPLIER)
    make_client(acme, name="Zinc SA", kind=Client.Kind.BOTH)
    make_client(globex, name="Martin Globex")


def test_the_client_search_offers_the_matching_buyers_of_the_account_only(owner_client, clients):
    page = owner_client.get(url("document_clients"), {"q": "martin"}, **HTMX).text

    assert "Boulangerie Martin" in page
    assert "Martin Fournitures" not in page  # a supplier only
    assert "Martin Globex" not in page  # another account's
    assert "Zinc SA" not in page


def test_the_client_search_keeps_the_chosen_client_and_says_when_nothing_matches(owner_client, acme, clients):
    zinc = Client.objects.get(name="Zinc SA")

    kept = owner_client.get(url("document_clients"), {"q": "boulangerie", "client": zinc.pk}).text
    empty = owner_client.get(url("document_clients"), {"q": "personne"}).text

    assert f'value="{zinc.pk}" data-country="FR" selected' in kept and "Boulangerie Martin" in kept
    assert "Aucun client ne correspond" in empty


def test_the_client_search_never_keeps_another_accounts_client(owner_client, clients):
    theirs = Client.objects.get(name="Martin Globex")

    page = owner_client.get(url("document_clients"), {"q": "zinc", "client": theirs.pk}).text

    assert "Martin Globex" not in page and f'value="{theirs.pk}"' not in page


def test_the_client_picker_endpoints_answer_404_to_an_outsider_and_send_visitors_to_log_in(
    outsider_client, client, acme
):
    assert outsider_client.get(url("document_clients"), {"q": "a"}).status_code == 404
    assert outsider_client.post(url("client_quick"), QUICK).status_code == 404
    assert client.get(url("document_clients")).status_code == 302
    assert client.post(url("client_quick"), QUICK).status_code == 302
    assert not Client.objects.filter(name="Atelier Lumière SARL").exists()


def test_new_client_from_the_form_is_made_by_the_service_and_announced_to_the_page(owner_client, acme):
    response = owner_client.post(url("client_quick"), QUICK, **HTMX)

    assert response.status_code == 200
    client = Client.objects.get(account=acme, name="Atelier Lumière SARL")
    assert (client.siren, client.city, client.kind) == ("732829320", "Lyon", Client.Kind.BUYER)
    event = json.loads(response["HX-Trigger"])["client-created"]
    assert event == {"id": client.pk, "name": "Atelier Lumière SARL", "country": "FR"}
    assert AuditEvent.objects.filter(account=acme, action="client.created").count() == 1
    # The dialog is blank again for the next one.
    assert 'value="Atelier Lumière SARL"' not in response.text


def test_new_client_errors_come_back_in_french_in_the_dialog_and_nothing_is_made(owner_client, acme):
    response = owner_client.post(
        url("client_quick"), {**QUICK, "new_client-name": "", "new_client-siren": "123"}, **HTMX
    )

    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "Indiquez le nom de l&#x27;entreprise." in response.text
    assert not Client.objects.filter(account=acme).exists()


def test_new_client_without_htmx_opens_the_new_document_with_the_client_chosen(owner_client, acme):
    response = owner_client.post(url("client_quick"), QUICK)

    client = Client.objects.get(account=acme)
    assert response.status_code == 302
    assert response.url == reverse("billing:document_new", args=["acme"]) + f"?client={client.pk}"


def test_a_member_who_may_not_create_clients_gets_403_and_no_button(owner_client, acme):
    member = add_member(acme, "sales@acme.test", codes=["sales.view", "sales.create", "sales.edit"])

    assert member.post(url("client_quick"), QUICK).status_code == 403
    assert "new-client-dialog" not in member.get(url("document_new")).text
    page = owner_client.get(url("document_new")).text
    assert "new-client-dialog" in page and 'id="id_new_client-name"' in page


def test_each_line_shows_its_total_and_the_live_totals_update_it_out_of_band(owner_client, acme, buyer):
    lines = [{"quantity": "2", "unit_price": "350"}, {"name": "", "unit_price": ""}]

    page = owner_client.post(url("document_new"), {**form_data(buyer, lines), "action": "add_line"}).text
    live = owner_client.post(url("document_totals"), form_data(buyer, lines), **HTMX).text

    assert 'id="line-total-lines-0"' in page and "700,00\xa0€</output>" in page
    assert 'id="line-total-lines-0" hx-swap-oob="true"' in live and "700,00\xa0€</output>" in live
    # The incomplete line's total is emptied, not left as it was.
    assert 'id="line-total-lines-1" hx-swap-oob="true" aria-label="Total de la ligne 2"></output>' in live


def test_the_form_shows_one_row_per_line_with_the_secondary_fields_folded(owner_client, acme, buyer):
    make_product(acme, name="Conseil")
    page = owner_client.get(url("document_new")).text

    assert page.count('class="line-row"') == 2  # the first line and the template of new lines
    assert '<details class="line-more">' in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_client_is_found_by_search_or_made_in_the_dialog(page_as, live_server, owner, acme):
    expect = pytest.importorskip("playwright.sync_api").expect
    make_client(acme, name="Boulangerie Martin")
    make_client(acme, name="Zinc SA")
    page = page_as(owner)
    page.goto(live_server.url + url("document_new"))

    # Typing narrows the select; Enter chooses the only match and moves to it.
    page.fill("#client-search", "boulang")
    expect(page.locator("#id_client option")).to_have_count(2)
    page.locator("#client-search").press("Enter")
    expect(page.locator("#id_client")).to_be_focused()
    expect(page.locator("#id_client option:checked")).to_have_text("Boulangerie Martin")

    # "Nouveau client": the dialog posts to the client service, the new client is chosen.
    page.get_by_role("link", name="Nouveau client").click()
    expect(page.locator("#new-client-dialog")).to_be_visible()
    page.fill("#id_new_client-name", "Atelier Lumière SARL")
    page.fill("#id_new_client-siren", "732829320")
    page.fill("#id_new_client-street", "3 rue des Lilas")
    page.fill("#id_new_client-post_code", "69003")
    page.fill("#id_new_client-city", "Lyon")
    page.get_by_role("button", name="Créer le client").click()
    expect(page.locator("#new-client-dialog")).to_be_hidden()
    expect(page.locator("#id_client option:checked")).to_have_text("Atelier Lumière SARL")
    assert Client.objects.get(account=acme, name="Atelier Lumière SARL").siren == "732829320"


def test_with_gross_prices_a_line_shows_its_gross_total(owner_client, acme, buyer):
    data = {**form_data(buyer, [{"quantity": "2", "unit_price": "420"}]), "prices_are_gross": "on"}

    live = owner_client.post(url("document_totals"), data, **HTMX).text

    assert (
        'id="line-total-lines-0" hx-swap-oob="true" aria-label="Total de la ligne 1">840,00\xa0€</output>'
        in live
    )


def test_the_live_totals_ignore_the_add_line_button_that_htmx_posts_along(owner_client, acme, buyer):
    # htmx sends the last focused submit button with the form: "Ajouter une ligne" must not add a
    # blank line to the totals ("1 ligne incomplète").
    data = {**form_data(buyer, [{"quantity": "2"}]), "action": "add_line"}

    live = owner_client.post(url("document_totals"), data, **HTMX).text

    assert "incomplète" not in live and 'id="line-total-lines-1"' not in live


def test_a_member_who_only_reads_sales_cannot_search_the_clients_through_the_form(acme):
    role = Role.objects.create(account=acme, name="Lecture des ventes", permissions=["sales.view"])
    user = make_user("lecteur@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    make_client(acme, name="Martin SARL", email="compta@martin.test")

    answer = logged_in(user).get(url("document_clients"), {"q": "compta@martin"})

    assert answer.status_code == 403 and "Martin SARL" not in answer.text
