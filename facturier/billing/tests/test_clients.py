"""Clients: the services, the list (search, sort, pages), a client's page, the form, archive and delete."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from facturier.billing.models import Client, Document, Payment
from facturier.billing.services import clients as services
from facturier.billing.tests.factories import actor_for, make_client, make_invoice
from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ReadOnlyAccountError, ServiceError
from facturier.tenancy.models import AuditEvent, Membership, Role


def url(name, *args, slug="acme"):
    return reverse(f"billing:{name}", args=[slug, *args])


def text(response):
    return response.content.decode()


def company_form(**fields):
    """What the form posts for a French company; override any field."""
    data = {
        "kind": "buyer",
        "is_company": "True",
        "name": "Dupont SARL",
        "first_name": "",
        "last_name": "",
        "siren": "552 100 554",
        "siret": "552 100 554 00005",
        "vat_number": "FR 96 552100554",
        "street": "12 rue de la Paix",
        "post_code": "75002",
        "city": "Paris",
        "country": "FR",
        "email": "compta@dupont.test",
        "cc_emails": "",
        "phone": "",
        "payment_terms_days": "30",
        "notes": "",
        "accounting_code": "",
    }
    data.update(fields)
    return data


def events(account, action):
    return list(AuditEvent.objects.filter(account=account, action=action))


# --- Who may open the pages ---------------------------------------------------------------------

# (URL name, takes a client's pk, the methods it answers)
PAGES = [
    ("client_list", False, ["get"]),
    ("client_new", False, ["get", "post"]),
    ("client_detail", True, ["get"]),
    ("client_edit", True, ["get", "post"]),
    ("client_archive", True, ["post"]),
    ("client_delete", True, ["post"]),
]


def test_every_client_url_is_a_404_for_an_outsider(outsider_client, acme):
    client = make_client(acme)
    for name, with_pk, _methods in PAGES:
        args = [client.pk] if with_pk else []
        assert outsider_client.get(url(name, *args)).status_code == 404, name
        assert outsider_client.post(url(name, *args), company_form(name="Piraté")).status_code == 404, name
    client.refresh_from_db()
    assert client.name == "Dupont SARL" and client.archived_at is None
    assert Client.objects.filter(account=acme).count() == 1


def test_a_client_of_another_account_is_a_404(owner_client, acme, globex):
    theirs = make_client(globex, name="Client de Globex")
    for name, with_pk, methods in PAGES:
        if with_pk:
            for method in methods:
                response = getattr(owner_client, method)(url(name, theirs.pk), company_form(name="Volé"))
                assert response.status_code == 404, (name, method)
    assert Client.objects.get(pk=theirs.pk).name == "Client de Globex"
    assert "Client de Globex" not in text(owner_client.get(url("client_list")))


def test_a_member_may_view_create_and_edit_clients_but_not_delete_them(collaborator_client, acme):
    client = make_client(acme)

    assert collaborator_client.get(url("client_list")).status_code == 200
    assert collaborator_client.get(url("client_detail", client.pk)).status_code == 200
    assert collaborator_client.get(url("client_edit", client.pk)).status_code == 200
    assert collaborator_client.post(url("client_new"), company_form(name="Martin SA")).status_code == 302
    assert collaborator_client.post(url("client_delete", client.pk)).status_code == 403

    assert Client.objects.filter(pk=client.pk).exists()
    assert Client.objects.filter(account=acme, name="Martin SA").exists()
    assert not events(acme, "client.deleted")
    # The page does not offer what the role cannot do.
    assert url("client_delete", client.pk) not in text(
        collaborator_client.get(url("client_detail", client.pk))
    )


def test_a_role_without_clients_rights_gets_a_403_everywhere(acme):
    role = Role.objects.create(account=acme, name="Ventes seules", permissions=["sales.view"])
    user = make_user("vendeur@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    browser = logged_in(user)
    client = make_client(acme)
    for name, with_pk, _methods in PAGES:
        args = [client.pk] if with_pk else []
        assert browser.get(url(name, *args)).status_code == 403, name
        assert browser.post(url(name, *args), company_form(name="Changé")).status_code == 403, name
    assert Client.objects.get(pk=client.pk).name == "Dupont SARL"
    assert not AuditEvent.objects.filter(account=acme, actor=user).exists()


def test_archive_and_delete_only_take_post(owner_client, acme):
    client = make_client(acme)

    assert owner_client.get(url("client_archive", client.pk)).status_code == 405
    assert owner_client.get(url("client_delete", client.pk)).status_code == 405

    client.refresh_from_db()
    assert client.archived_at is None


# --- Creating and changing ----------------------------------------------------------------------


def test_creating_a_company_stores_compact_identifiers_and_records_it(owner_client, acme, owner):
    response = owner_client.post(url("client_new"), company_form(cc_emails="a@dupont.test ; b@dupont.test"))

    client = Client.objects.get(account=acme)
    assert response.status_code == 302
    assert response["Location"] == url("client_detail", client.pk)
    assert (client.siren, client.siret, client.vat_number) == ("552100554", "55210055400005", "FR96552100554")
    assert client.cc_emails == "a@dupont.test, b@dupont.test"
    assert client.is_company and client.kind == "buyer"
    [event] = events(acme, "client.created")
    assert event.target == "Dupont SARL" and event.actor == owner


def test_a_private_person_is_named_from_first_and_last_name(owner_client, acme):
    data = company_form(
        is_company="False",
        name="ignoré",
        first_name="Jeanne",
        last_name="Moreau",
        siren="",
        siret="",
        vat_number="",
    )
    response = owner_client.post(url("client_new"), data)

    assert response.status_code == 302
    client = Client.objects.get(account=acme)
    assert (client.name, client.first_name, client.last_name, client.is_company) == (
        "Jeanne Moreau",
        "Jeanne",
        "Moreau",
        False,
    )


def test_a_siret_alone_gives_the_siren(owner_client, acme):
    owner_client.post(url("client_new"), company_form(siren="", siret="55210055400005"))

    assert Client.objects.get(account=acme).siren == "552100554"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"siren": "552 100 555"}, "siren", "Le SIREN est invalide (la clé de contrôle ne correspond pas)."),
        ({"siren": "12345"}, "siren", "Le SIREN n&#x27;a pas la bonne longueur."),
        ({"vat_number": "FR 41 552100554"}, "vat_number", "Le numéro de TVA est invalide"),
        ({"vat_number": "FR44732829320"}, "vat_number", "Ce numéro de TVA n&#x27;est pas celui du SIREN 552100554."),
        ({"siret": "73282932000074"}, "siret", "Le SIRET doit commencer par le SIREN de l&#x27;entreprise (552100554)."),
        ({"email": "compta@"}, "email", "Saisissez une adresse e-mail valide."),
        ({"cc_emails": "a@dupont.test, pas-un-email"}, "cc_emails", "« pas-un-email » n&#x27;est pas une adresse email valide."),
        ({"name": ""}, "name", "Indiquez le nom de l&#x27;entreprise."),
        ({"is_company": "False", "last_name": ""}, "last_name", "Indiquez le nom de famille de la personne."),
        ({"country": "XX"}, "country", "Sélectionnez un choix valide."),
        ({"payment_terms_days": "-1"}, "payment_terms_days", "supérieure ou égale à 0"),
    ],
)  # fmt: skip
def test_the_form_explains_each_bad_value_next_to_its_field(owner_client, acme, fields, field, message):
    response = owner_client.post(url("client_new"), company_form(**fields))

    assert response.status_code == 200
    page = text(response)
    assert message in page
    # The message sits right after the field's input, before the next field.
    assert f'id="id_{field}"' in page
    assert page.index(message) > page.index(f'name="{field}"')
    assert not Client.objects.filter(account=acme).exists()
    assert not events(acme, "client.created")


def test_editing_a_client_records_what_changed_before_and_after(owner_client, acme):
    client = make_client(acme, city="Paris", payment_terms_days=30)

    response = owner_client.post(
        url("client_edit", client.pk), company_form(city="Lyon", post_code="69001", payment_terms_days="45")
    )

    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.city, client.post_code, client.payment_terms_days) == ("Lyon", "69001", 45)
    [event] = events(acme, "client.changed")
    assert event.changes["city"] == ["Paris", "Lyon"]
    assert event.changes["post_code"] == ["75002", "69001"]
    assert event.changes["payment_terms_days"] == [30, 45]
    assert "name" not in event.changes


def test_saving_a_client_unchanged_records_nothing(owner_client, acme):
    client = make_client(acme, siret="55210055400005", vat_number="FR96552100554")

    owner_client.post(url("client_edit", client.pk), company_form())

    assert not events(acme, "client.changed")


def test_the_edit_form_shows_the_stored_values(owner_client, acme):
    client = make_client(
        acme, is_company=False, name="Jeanne Moreau", first_name="Jeanne", last_name="Moreau"
    )

    page = text(owner_client.get(url("client_edit", client.pk)))

    assert 'value="Moreau"' in page
    assert re.search(r'name="is_company" value="False"[^>]* checked>', page)
    assert not re.search(r'name="is_company" value="True"[^>]* checked>', page)


def test_the_form_stores_and_shows_the_contact_bank_and_reference_fields(owner_client, acme):
    fields = {
        "shortcut": "Dupont",
        "external_id": "CRM-100",
        "mobile_phone": "06 00 00 00 00",
        "www": "https://dupont.test",
        "bank": "Banque Populaire",
        "bank_account": "FR76 3000 6000 0112 3456 7890 189",
    }
    response = owner_client.post(url("client_new"), company_form(**fields))

    assert response.status_code == 302
    client = Client.objects.get(account=acme)
    assert {field: getattr(client, field) for field in fields} == fields
    page = text(owner_client.get(url("client_detail", client.pk)))
    for value in ("CRM-100", "06 00 00 00 00", "https://dupont.test", "Banque Populaire", "Dupont"):
        assert value in page
    edit = text(owner_client.get(url("client_edit", client.pk)))
    assert 'value="CRM-100"' in edit


def test_a_persons_own_name_is_kept_by_the_form_and_shown_when_editing(owner_client, acme):
    data = company_form(
        is_company="False", first_name="Jeanne", last_name="Moreau", display_name="Mme Moreau (atelier)"
    )
    owner_client.post(url("client_new"), data | {"siren": "", "siret": "", "vat_number": ""})
    client = Client.objects.get(account=acme)
    assert client.name == "Mme Moreau (atelier)"
    assert 'value="Mme Moreau (atelier)"' in text(owner_client.get(url("client_edit", client.pk)))


def test_a_person_named_from_the_parts_leaves_the_displayed_name_empty(owner_client, acme):
    client = make_client(
        acme, is_company=False, name="Jeanne Moreau", first_name="Jeanne", last_name="Moreau"
    )
    page = text(owner_client.get(url("client_edit", client.pk)))
    assert re.search(r'name="display_name"(?![^>]*value=)[^>]*>', page)


# --- Services -----------------------------------------------------------------------------------


def test_the_service_checks_identifiers_whoever_calls_it(acme, owner):
    actor = actor_for(acme, owner)

    with pytest.raises(ServiceError) as refused:
        services.create_client(actor, acme, name="Dupont", vat_number="FR41552100554")
    assert refused.value.field == "vat_number"
    with pytest.raises(ServiceError) as refused:
        services.create_client(actor, acme, name="Dupont", siren="552100554", siret="73282932000074")
    assert refused.value.field == "siret"
    with pytest.raises(ServiceError) as refused:
        services.create_client(actor, acme, name="Dupont", cc_emails="ok@x.test, faux")
    assert refused.value.field == "cc_emails"
    with pytest.raises(ServiceError) as refused:
        services.create_client(actor, acme, name="x" * 201)
    assert refused.value.field == "name"
    assert not Client.objects.filter(account=acme).exists()


def test_the_service_checks_the_actors_permission(acme, collaborator):
    client = make_client(acme)

    with pytest.raises(PermissionDenied):
        services.delete_client(actor_for(acme, collaborator), client)

    assert Client.objects.filter(pk=client.pk).exists()


def test_a_read_only_account_refuses_new_clients(acme, owner, owner_client):
    acme.subscription_ends_on = acme.today().replace(year=2020)
    acme.save()

    with pytest.raises(ReadOnlyAccountError):
        services.create_client(actor_for(acme, owner), acme, name="Dupont")
    response = owner_client.post(url("client_new"), company_form())

    assert response.status_code == 200
    assert "lecture seule" in text(response)
    assert not Client.objects.filter(account=acme).exists()


# --- Archive, restore, delete -------------------------------------------------------------------


def test_archiving_hides_a_client_from_the_list_and_restoring_brings_it_back(owner_client, acme):
    client = make_client(acme, name="Ancien client")

    response = owner_client.post(url("client_archive", client.pk), {"action": "archive"})

    assert response.status_code == 302
    client.refresh_from_db()
    assert client.archived_at is not None
    assert names_in(owner_client.get(url("client_list"))) == []
    assert names_in(owner_client.get(url("client_list"), {"archived": "archived"})) == ["Ancien client"]

    # A second "archive" (a double click) changes nothing; only an explicit restore restores.
    owner_client.post(url("client_archive", client.pk), {"action": "archive"})
    client.refresh_from_db()
    assert client.archived_at is not None
    owner_client.post(url("client_archive", client.pk), {"action": "restore"})
    client.refresh_from_db()
    assert client.archived_at is None
    assert len(events(acme, "client.archived")) == 1
    assert len(events(acme, "client.restored")) == 1


def test_a_client_without_documents_can_be_deleted(owner_client, acme):
    client = make_client(acme)

    response = owner_client.post(url("client_delete", client.pk))

    assert response.status_code == 302
    assert response["Location"] == url("client_list")
    assert not Client.objects.filter(pk=client.pk).exists()
    [event] = events(acme, "client.deleted")
    assert event.target == "Dupont SARL"


def test_a_client_with_documents_cannot_be_deleted_but_can_be_archived(owner_client, acme):
    client = make_client(acme)
    make_invoice(acme, client)

    response = owner_client.post(url("client_delete", client.pk), follow=True)

    assert response.status_code == 200
    assert "Archivez-le plutôt" in text(response)
    assert Client.objects.filter(pk=client.pk).exists()
    assert not events(acme, "client.deleted")


def test_a_client_with_payments_cannot_be_deleted(acme, owner):
    client = make_client(acme)
    Payment.objects.create(account=acme, client=client, date=acme.today(), amount=Decimal("10.00"))

    with pytest.raises(ServiceError, match="Archivez-le plutôt"):
        services.delete_client(actor_for(acme, owner), client)

    assert Client.objects.filter(pk=client.pk).exists()


# --- The list -----------------------------------------------------------------------------------


def names_in(response):
    return [client.name for client in response.context["clients"]]


def test_the_list_searches_name_email_identifiers_and_city(owner_client, acme):
    make_client(acme, name="Dupont SARL", email="compta@dupont.test", city="Paris")
    make_client(
        acme,
        name="Martin SA",
        email="factures@martin.test",
        city="Lyon",
        siren="732829320",
        vat_number="FR44732829320",
    )

    def search(q):
        return names_in(owner_client.get(url("client_list"), {"q": q}))

    assert search("dupont") == ["Dupont SARL"]
    assert search("factures@") == ["Martin SA"]
    assert search("732 829 320") == ["Martin SA"]
    assert search("FR44") == ["Martin SA"]
    assert search("lyon") == ["Martin SA"]
    assert search("introuvable") == []


def test_the_list_filters_on_kind(owner_client, acme):
    make_client(acme, name="Acheteur", kind="buyer")
    make_client(acme, name="Fournisseur", kind="supplier")
    make_client(acme, name="Les deux", kind="both")

    assert names_in(owner_client.get(url("client_list"), {"kind": "supplier"})) == ["Fournisseur", "Les deux"]
    assert names_in(owner_client.get(url("client_list"), {"kind": "buyer"})) == ["Acheteur", "Les deux"]
    assert len(names_in(owner_client.get(url("client_list"), {"kind": "n'importe quoi"}))) == 3


def test_the_list_sorts_on_whitelisted_columns_only(owner_client, acme):
    make_client(acme, name="bernard", city="Nantes", country="FR")
    make_client(acme, name="Alpha", city="Bruxelles", country="BE")
    make_client(acme, name="Zeta", city="Angers", country="FR")

    def order(sort):
        return names_in(owner_client.get(url("client_list"), {"sort": sort}))

    assert order("name") == ["Alpha", "bernard", "Zeta"]
    assert order("-name") == ["Zeta", "bernard", "Alpha"]
    assert order("city") == ["Zeta", "Alpha", "bernard"]
    assert order("country") == ["Alpha", "bernard", "Zeta"]
    assert order("-created") == ["Zeta", "Alpha", "bernard"]
    assert order("account__slug") == ["Alpha", "bernard", "Zeta"]


def test_the_list_is_paginated_by_25(owner_client, acme):
    for n in range(30):
        make_client(acme, name=f"Client {n:02d}")

    first = owner_client.get(url("client_list"))
    second = owner_client.get(url("client_list"), {"page": 2})

    assert names_in(first) == [f"Client {n:02d}" for n in range(25)]
    assert names_in(second) == [f"Client {n:02d}" for n in range(25, 30)]
    assert "Page 2 sur 2" in text(second)


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_whatever_the_number_of_clients(
    owner_client, acme, count, django_assert_num_queries
):
    for n in range(count):
        make_client(acme, name=f"Client {n}")
    owner_client.get(url("client_list"))

    # session, user, the gate's membership, count, the page's rows
    with django_assert_num_queries(5):
        response = owner_client.get(url("client_list"), {"q": "client", "sort": "-city", "page": 1})
    assert len(response.context["clients"]) == min(count, 25)


# --- A client's page ----------------------------------------------------------------------------


def test_the_client_page_shows_its_documents_and_what_it_still_owes(owner_client, acme):
    client = make_client(acme)
    paid_in_part = make_invoice(acme, client)
    Document.objects.filter(pk=paid_in_part.pk).update(paid_total=Decimal("20.00"))
    make_invoice(acme, client)
    draft = make_invoice(acme, client, issue=False)
    quote = make_invoice(acme, client, kind="estimate")
    in_dollars = make_invoice(acme, client, currency="USD", exchange_rate=Decimal("0.9"))
    other = make_invoice(acme, make_client(acme, name="Autre"))

    response = owner_client.get(url("client_detail", client.pk))

    assert response.status_code == 200
    page = text(response)
    for document in [paid_in_part, quote, in_dollars]:
        assert url("document_detail", document.pk) in page
        assert document.number in page
    assert url("document_detail", draft.pk) in page
    assert url("document_detail", other.pk) not in page
    # 100 + 120 owed in euros (the draft and the quote owe nothing), 120 in dollars apart.
    assert response.context["unpaid"] == [("EUR", Decimal("220.00")), ("USD", Decimal("120.00"))]
    assert "220,00\xa0€" in page and "120,00\xa0$" in page
    assert f"{url('document_list')}?client={client.pk}" in page
    assert f"{url('document_new')}?client={client.pk}" in page


def test_the_client_page_hides_documents_from_a_role_without_sales(acme):
    role = Role.objects.create(account=acme, name="Carnet d'adresses", permissions=["clients.view"])
    user = make_user("carnet@acme.test")
    Membership.objects.create(account=acme, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    client = make_client(acme)
    invoice = make_invoice(acme, client)

    response = logged_in(user).get(url("client_detail", client.pk))

    assert response.status_code == 200
    assert invoice.number not in text(response)
    assert "Reste à payer" not in text(response)


@pytest.mark.parametrize("documents", [1, 12])
def test_the_client_page_runs_the_same_queries_whatever_its_documents(
    owner_client, acme, documents, django_assert_num_queries
):
    client = make_client(acme)
    for _n in range(documents):
        make_invoice(acme, client)
    owner_client.get(url("client_detail", client.pk))

    # session, user, membership, the client, its documents, the unpaid sums
    with django_assert_num_queries(6):
        owner_client.get(url("client_detail", client.pk))


def test_a_command_acting_as_the_system_creates_and_deletes_clients(acme):
    client = services.create_client(Actor.system(), acme, name="Importé", country="be")

    assert client.country == "BE"
    services.delete_client(Actor.system(), client)
    assert not Client.objects.filter(pk=client.pk).exists()


def test_the_service_names_a_person_from_the_parts_or_takes_the_name_given(acme):
    named = services.create_client(
        Actor.system(), acme, is_company=False, first_name="Jean", last_name="Petit"
    )
    imported = services.create_client(Actor.system(), acme, is_company=False, name="Privatkunde")

    assert named.name == "Jean Petit"
    assert imported.name == "Privatkunde"
    with pytest.raises(ServiceError) as refused:
        services.create_client(Actor.system(), acme, is_company=False)
    assert refused.value.field == "last_name"
