"""`/clients.json` and `/clients/{id}.json`: list, show, create, update, delete, through the clients
service and its permissions; bad input gets a 422 (or 400) in JSON, never a 500."""

import json
import re

import pytest
from django.test import Client as HttpClient

from facturier.api.tests.conftest import RATE_LIMIT_QUERIES
from facturier.billing.models import Client
from facturier.billing.tests.factories import actor_for, make_client, make_invoice
from facturier.purchases.tests.conftest import make_expense
from facturier.tenancy.models import AuditEvent

ISO_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


@pytest.fixture
def dupont(acme):
    return make_client(acme, name="Dupont SARL", email="compta@dupont.test", city="Paris")


def test_show_gives_the_client_with_the_public_apis_field_names(owner_api, dupont):
    response = owner_api.get(f"/clients/{dupont.pk}.json")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == dupont.pk
    assert data["name"] == "Dupont SARL"
    assert data["company"] is True
    assert data["kind"] == "buyer"
    assert data["tax_no"] == "FR96552100554"
    assert data["city"] == "Paris"
    assert data["payment_to_kind"] == 30
    assert ISO_TIMESTAMP.match(data["created_at"])
    assert ISO_TIMESTAMP.match(data["updated_at"])


def test_create_answers_201_with_the_stored_client(owner_api, acme):
    response = owner_api.post(
        "/clients.json",
        {
            "client": {
                "id": None,
                "name": "Martin SAS",
                "tax_no": "FR 96 552 100 554",
                "kind": "seller",
                "email": "a@martin.test",
                "payment_to_kind": "15",
                "note": "Client fidèle",
                "company": "yes",
                "balance": "12.00",
                "panel_url": "https://x",
                "created_at": "2020-01-01",
            }
        },
    )
    assert response.status_code == 201
    client = Client.objects.get(account=acme)
    assert response.json()["id"] == client.pk
    assert client.name == "Martin SAS"
    assert client.vat_number == "FR96552100554"
    assert client.kind == Client.Kind.SUPPLIER
    assert client.payment_terms_days == 15
    assert client.notes == "Client fidèle"
    assert AuditEvent.objects.filter(account=acme, action="client.created").count() == 1


def test_a_person_sent_by_first_and_last_name_is_created_as_a_person(owner_api, acme):
    response = owner_api.post("/clients.json", {"client": {"first_name": "Jean", "last_name": "Dupond"}})
    assert response.status_code == 201
    assert response.json()["company"] is False
    assert response.json()["name"] == "Jean Dupond"


@pytest.mark.parametrize(
    ("tax_no", "field"), [("552100554", "siren"), ("55210055400013", "siret"), ("DE136695976", "vat_number")]
)
def test_tax_no_fills_the_siren_the_siret_or_the_vat_number_by_its_shape(owner_api, acme, tax_no, field):
    response = owner_api.post("/clients.json", {"client": {"name": "X", "tax_no": tax_no}})
    assert response.status_code == 201, response.json()
    assert getattr(Client.objects.get(account=acme), field) == tax_no


def test_a_refused_value_gets_422_naming_the_api_field(owner_api, acme):
    response = owner_api.post("/clients.json", {"client": {"name": "X", "tax_no": "123456789"}})
    assert response.status_code == 422
    assert response.json()["code"] == "error"
    assert list(response.json()["message"]) == ["tax_no"]
    assert not Client.objects.filter(account=acme).exists()


def test_a_client_needs_a_name(owner_api, acme):
    response = owner_api.post("/clients.json", {"client": {}})
    assert response.status_code == 422
    assert "name" in response.json()["message"]


def test_update_answers_200_with_the_full_object(owner_api, dupont):
    response = owner_api.put(f"/clients/{dupont.pk}.json", {"client": {"city": "Lyon", "company": 1}})
    assert response.status_code == 200
    assert response.json()["id"] == dupont.pk
    assert response.json()["city"] == "Lyon"
    assert response.json()["name"] == "Dupont SARL"
    dupont.refresh_from_db()
    assert dupont.city == "Lyon"


def test_sending_back_the_object_read_changes_nothing(owner_api, dupont, acme):
    read = owner_api.get(f"/clients/{dupont.pk}.json").json()
    response = owner_api.put(f"/clients/{dupont.pk}.json", {"client": read})
    assert response.status_code == 200
    assert response.json() | {"updated_at": None} == read | {"updated_at": None}
    assert not AuditEvent.objects.filter(account=acme, action="client.changed").exists()


def test_delete_answers_a_json_ok(owner_api, dupont, acme):
    response = owner_api.delete(f"/clients/{dupont.pk}.json")
    assert response.status_code == 200
    assert response.json() == "ok"
    assert not Client.objects.filter(pk=dupont.pk).exists()


def test_a_client_on_a_document_cannot_be_deleted(owner_api, owner, dupont, acme):
    make_invoice(actor_for(acme, owner), dupont)
    response = owner_api.delete(f"/clients/{dupont.pk}.json")
    assert response.status_code == 422
    assert "Archivez-le" in response.json()["message"]
    assert Client.objects.filter(pk=dupont.pk).exists()


def test_an_unknown_or_absurd_id_is_a_404(owner_api, dupont):
    for pk in [dupont.pk + 1000, 2**63, 10**30]:
        response = owner_api.get(f"/clients/{pk}.json")
        assert response.status_code == 404
        assert response.json() == {"code": "error", "message": "Not Found"}


# --- Permissions: the same catalogue as the pages ---------------------------------------------------


def test_a_member_without_the_delete_permission_gets_403(collaborator_api, dupont):
    response = collaborator_api.delete(f"/clients/{dupont.pk}.json")
    assert response.status_code == 403
    assert response.json()["code"] == "error"
    assert Client.objects.filter(pk=dupont.pk).exists()


def test_the_firm_accountant_reads_and_adds_clients_but_cannot_change_them(firm_api, dupont, acme):
    # Comptable may add a client (the supplier of a purchase it records), not change one.
    assert firm_api.get("/clients.json").status_code == 200
    assert firm_api.get(f"/clients/{dupont.pk}.json").status_code == 200
    assert firm_api.put(f"/clients/{dupont.pk}.json", {"client": {"name": "Y"}}).status_code == 403
    assert firm_api.delete(f"/clients/{dupont.pk}.json").status_code == 403
    assert firm_api.post("/clients.json", {"client": {"name": "Papeterie Y"}}).status_code == 201
    assert sorted(Client.objects.filter(account=acme).values_list("name", flat=True)) == [
        "Dupont SARL",
        "Papeterie Y",
    ]


def test_a_read_only_account_refuses_writes_with_a_422(owner_api, dupont, acme):
    acme.subscription_ends_on = acme.today().replace(year=2000)
    acme.save()
    response = owner_api.put(f"/clients/{dupont.pk}.json", {"client": {"name": "Y"}})
    assert response.status_code == 422
    assert "lecture seule" in response.json()["message"]
    assert owner_api.get(f"/clients/{dupont.pk}.json").status_code == 200


# --- Lists: pagination and filters ------------------------------------------------------------------


def test_the_list_is_paginated_25_by_default_100_at_most(owner_api, acme):
    for index in range(105):
        make_client(acme, name=f"Client {index:03}", siren="", vat_number="")
    assert len(owner_api.get("/clients.json").json()) == 25
    assert len(owner_api.get("/clients.json?per_page=1000").json()) == 100
    second = owner_api.get("/clients.json?page=2&per_page=100").json()
    assert [row["name"] for row in second] == [
        "Client 100",
        "Client 101",
        "Client 102",
        "Client 103",
        "Client 104",
    ]
    assert owner_api.get("/clients.json?page=3&per_page=100").json() == []
    assert owner_api.get(f"/clients.json?page={10**15}").json() == []
    assert owner_api.get(f"/clients.json?page={10**30}").status_code == 422
    assert len(owner_api.get("/clients.json?page=0&per_page=0").json()) == 25


def test_pages_do_not_overlap(owner_api, acme):
    for index in range(5):
        make_client(acme, name="Même nom", siren="", vat_number="", email=f"c{index}@x.test")
    pages = [owner_api.get(f"/clients.json?per_page=2&page={page}").json() for page in (1, 2, 3)]
    ids = [row["id"] for page in pages for row in page]
    assert len(ids) == len(set(ids)) == 5


def test_a_page_that_is_not_a_number_gets_422(owner_api, acme):
    response = owner_api.get("/clients.json?page=abc")
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["page"]


def test_the_list_filters_by_name_email_and_tax_no(owner_api, dupont, acme):
    make_client(acme, name="Martin SAS", siren="", vat_number="", email="a@martin.test")
    assert [c["name"] for c in owner_api.get("/clients.json?name=dupont").json()] == ["Dupont SARL"]
    assert [c["name"] for c in owner_api.get("/clients.json?email=martin").json()] == ["Martin SAS"]
    assert [c["name"] for c in owner_api.get("/clients.json?tax_no=552100554").json()] == ["Dupont SARL"]
    assert owner_api.get("/clients.json?external_id=42").json() == []


def test_the_list_orders_by_updated_at(owner_api, dupont, acme):
    martin = make_client(acme, name="Martin SAS", siren="", vat_number="")
    dupont.save()  # touched last
    rows = owner_api.get("/clients.json?order=updated_at.desc").json()
    assert [row["id"] for row in rows] == [dupont.pk, martin.pk]


def test_the_list_runs_a_fixed_number_of_queries(owner_api, acme, django_assert_max_num_queries):
    for index in range(30):
        make_client(acme, name=f"C{index}", siren="", vat_number="")
    with django_assert_max_num_queries(4 + RATE_LIMIT_QUERIES):
        assert len(owner_api.get("/clients.json?per_page=30").json()) == 30


# --- No input yields a 500 --------------------------------------------------------------------------

BAD_BODIES = [
    "{",
    "[]",
    '"client"',
    "null",
    "123",
    '{"client": "x"}',
    '{"client": []}',
    '{"client": {"name": {"a": 1}}}',
    '{"client": {"name": ["a"]}}',
    '{"client": {"name": "a\\u0000b"}}',
    '{"client": {"name": "\\ud800"}}',
    '{"client": {"name": "' + "x" * 5000 + '"}}',
    '{"client": {"name": "A", "payment_to_kind": "1e999999"}}',
    '{"client": {"name": "A", "payment_to_kind": 99999999999999999999999999}}',
    '{"client": {"name": "A", "payment_to_kind": -1}}',
    '{"client": {"name": "A", "payment_to_kind": "soon"}}',
    '{"client": {"name": "A", "company": "maybe"}}',
    '{"client": {"name": "A", "country": "ZZ"}}',
    '{"client": {"name": "A", "email": "not-an-email"}}',
    '{"client": {"name": "A", "kind": "friend"}}',
    '{"client": {"name": "A", "tax_no": 12}}',
    '{"client": {"name": NaN}}',
    "[" * 100000,
    '{"client": {"name": "A"}',
]


@pytest.mark.parametrize("raw", BAD_BODIES)
@pytest.mark.parametrize("method", ["post", "put"])
def test_no_malformed_body_yields_a_500(owner_token, dupont, acme, raw, method):
    path = "/clients.json" if method == "post" else f"/clients/{dupont.pk}.json"
    http = HttpClient()
    send = getattr(http, method)
    response = send(
        f"{path}?api_token={owner_token}",
        raw.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["code"] == "error"
    assert Client.objects.filter(account=acme).count() == 1


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "per_page=abc",
        "page=1e400",
        "name=%00",
        "order=drop",
        "tax_no=%00",
        "email=%ff%fe",
        "order=.desc",
    ],
)
def test_no_query_string_yields_a_500(owner_api, dupont, query):
    response = owner_api.get(f"/clients.json?{query}")
    assert response.status_code in (200, 422)
    assert isinstance(response.json(), list | dict)


def test_a_body_in_latin_1_is_refused_cleanly(owner_token, acme):
    raw = json.dumps({"client": {"name": "Café"}}, ensure_ascii=False).encode("latin-1")
    response = HttpClient().post(
        f"/clients.json?api_token={owner_token}", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "error"


def test_disabled_archives_and_restores_a_client(owner_api, dupont):
    assert owner_api.put(f"/clients/{dupont.pk}.json", {"client": {"disabled": "1"}}).json()["disabled"]
    dupont.refresh_from_db()
    assert dupont.is_archived
    assert not owner_api.put(f"/clients/{dupont.pk}.json", {"client": {"disabled": False}}).json()["disabled"]


def test_a_body_over_the_size_limit_gets_a_json_413(owner_token, acme, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = json.dumps({"client": {"name": "A", "note": "x" * 2000}})
    response = HttpClient().post(
        f"/clients.json?api_token={owner_token}", raw, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "error"
    assert not Client.objects.filter(name="A").exists()


def test_an_unexpected_failure_is_still_answered_in_json(owner_api, dupont, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("facturier.billing.services.clients.update_client", broken)
    response = owner_api.put(f"/clients/{dupont.pk}.json", {"client": {"name": "B"}})
    assert response.status_code == 500
    assert response.json()["code"] == "error"


# --- The official README's client fields ------------------------------------------------------------

# The README's "Créer un contact" body, as written ("country": "" included).
README_CLIENT = {
    "name": "Client1",
    "tax_no": "FR5252445333",
    "bank": "banque1",
    "bank_account": "IBAN1",
    "city": "Nice",
    "street": "13 Rue des Fleurs",
    "country": "",
    "email": "client@email.fr",
    "post_code": "06000",
    "phone": "0400000000",
    "mobile_phone": "0600000000",
}


def test_the_readmes_bank_and_mobile_phone_are_stored_and_returned(owner_api, acme):
    body = dict(README_CLIENT, tax_no="FR96552100554")  # a VAT number that checks out
    response = owner_api.post("/clients.json", {"client": body})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["bank"], data["bank_account"], data["mobile_phone"]) == ("banque1", "IBAN1", "0600000000")
    client = Client.objects.get(account=acme)
    assert (client.bank, client.bank_account, client.mobile_phone) == ("banque1", "IBAN1", "0600000000")
    assert owner_api.get(f"/clients/{client.pk}.json").json()["bank_account"] == "IBAN1"


def test_external_id_is_stored_and_finds_the_client_exactly(owner_api, acme):
    for code, name in [(100, "Client1"), ("1000", "Client2")]:
        response = owner_api.post("/clients.json", {"client": {"name": name, "external_id": code}})
        assert response.status_code == 201, response.json()
    assert response.json()["external_id"] == "1000"
    assert Client.objects.get(account=acme, name="Client1").external_id == "100"
    found = owner_api.get("/clients.json?external_id=100").json()
    assert [c["name"] for c in found] == ["Client1"]
    assert owner_api.get("/clients.json?external_id=10").json() == []


def test_another_accounts_external_id_is_not_found(owner_api, globex):
    make_client(globex, name="Theirs", external_id="100")
    assert owner_api.get("/clients.json?external_id=100").json() == []


def test_shortcut_and_www_are_stored_and_shortcut_is_searched(owner_api, acme):
    body = {"name": "Entreprise ABC", "shortcut": "ABC", "www": "https://abc.test"}
    response = owner_api.post("/clients.json", {"client": body})
    assert response.status_code == 201, response.json()
    assert (response.json()["shortcut"], response.json()["www"]) == ("ABC", "https://abc.test")
    make_client(acme, name="ABC Autre", siren="", vat_number="")
    found = owner_api.get("/clients.json?shortcut=ABC").json()
    assert [c["name"] for c in found] == ["Entreprise ABC"]


def test_a_persons_own_name_is_kept_beside_the_last_name(owner_api, acme):
    # The README's person: a name and a last name, company false.
    body = dict(README_CLIENT, last_name="Nom de famille", company=False)
    del body["tax_no"]
    response = owner_api.post("/clients.json", {"client": body})
    assert response.status_code == 201, response.json()
    assert (response.json()["name"], response.json()["last_name"]) == ("Client1", "Nom de famille")
    client = Client.objects.get(account=acme)
    assert (client.name, client.is_company, client.country) == ("Client1", False, "FR")
    response = owner_api.put(f"/clients/{client.pk}.json", {"client": {"first_name": "Paul"}})
    assert response.json()["name"] == "Client1"


def test_a_persons_name_built_from_the_parts_follows_them(owner_api, acme):
    response = owner_api.post("/clients.json", {"client": {"first_name": "Jean", "last_name": "Dupond"}})
    pk = response.json()["id"]
    response = owner_api.put(f"/clients/{pk}.json", {"client": {"last_name": "Durand"}})
    assert response.json()["name"] == "Jean Durand"
    response = owner_api.put(f"/clients/{pk}.json", {"client": {"name": "M. Durand", "first_name": "Paul"}})
    assert response.json()["name"] == "M. Durand"


def test_a_too_long_external_id_gets_422_naming_it(owner_api, acme):
    response = owner_api.post("/clients.json", {"client": {"name": "X", "external_id": "9" * 101}})
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["external_id"]


# --- Merge ------------------------------------------------------------------------------------------


def test_the_readmes_merge_moves_the_documents_and_deletes_the_duplicates(owner_api, owner, acme):
    kept = make_client(acme, name="Dupont SARL")
    second = make_client(acme, name="Dupont S.A.R.L.")
    third = make_client(acme, name="DUPONT")
    invoice = make_invoice(actor_for(acme, owner), second)
    response = owner_api.post(f"/clients/{kept.pk}/merge.json", {"merge_ids": [second.pk, third.pk]})
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == kept.pk
    assert list(Client.objects.filter(account=acme).values_list("pk", flat=True)) == [kept.pk]
    invoice.refresh_from_db()
    assert (invoice.client_id, invoice.buyer_name) == (kept.pk, "Dupont S.A.R.L.")  # as issued
    event = AuditEvent.objects.get(account=acme, action="client.merged")
    assert "Dupont S.A.R.L., DUPONT" in event.summary


def test_a_merge_with_another_accounts_client_or_itself_is_refused(owner_api, acme, globex):
    kept = make_client(acme)
    theirs = make_client(globex)
    response = owner_api.post(f"/clients/{kept.pk}/merge.json", {"merge_ids": [theirs.pk]})
    assert (response.status_code, list(response.json()["message"])) == (422, ["merge_ids"])
    response = owner_api.post(f"/clients/{kept.pk}/merge.json", {"merge_ids": [kept.pk]})
    assert (response.status_code, list(response.json()["message"])) == (422, ["merge_ids"])
    assert Client.objects.filter(pk=theirs.pk).exists()


def test_a_merge_that_would_move_a_locked_document_is_refused(owner_api, owner, acme):
    kept, duplicate = make_client(acme), make_client(acme, name="Doublon")
    invoice = make_invoice(actor_for(acme, owner), duplicate)
    acme.locked_until = invoice.issue_date
    acme.save()
    response = owner_api.post(f"/clients/{kept.pk}/merge.json", {"merge_ids": [duplicate.pk]})
    assert (response.status_code, list(response.json()["message"])) == (422, ["merge_ids"])
    assert "période protégée" in response.json()["message"]["merge_ids"][0]
    assert Client.objects.filter(pk=duplicate.pk).exists()


def test_a_merge_needs_the_right_to_delete_clients(collaborator_api, acme):
    kept, duplicate = make_client(acme), make_client(acme, name="Doublon")
    response = collaborator_api.post(f"/clients/{kept.pk}/merge.json", {"merge_ids": [duplicate.pk]})
    assert response.status_code == 403
    assert Client.objects.filter(pk=duplicate.pk).exists()


def test_a_merge_of_suppliers_with_the_same_invoice_number_is_refused_with_a_clear_422(
    owner_api, owner, acme
):
    kept = make_client(acme, name="Bureau Vallée", kind=Client.Kind.SUPPLIER)
    duplicate = make_client(acme, name="BUREAU VALLEE", kind=Client.Kind.SUPPLIER)
    make_expense(acme, owner, kept, supplier_number="FA-1")
    make_expense(acme, owner, duplicate, supplier_number="FA-1")
    response = owner_api.post(f"/clients/{kept.pk}/merge.json", {"merge_ids": [duplicate.pk]})
    assert (response.status_code, list(response.json()["message"])) == (422, ["merge_ids"])
    assert "FA-1" in response.json()["message"]["merge_ids"][0], response.json()
    assert Client.objects.filter(pk=duplicate.pk).exists()
    assert not AuditEvent.objects.filter(
        account=acme, action__in=["client.merged", "client.deleted"]
    ).exists()


def test_a_merge_records_the_deletion_of_each_duplicate(owner_api, acme):
    kept, second, third = (make_client(acme, name=name) for name in ("Dupont", "Dupont SA", "DUPONT"))
    response = owner_api.post(f"/clients/{kept.pk}/merge.json", {"merge_ids": [second.pk, third.pk]})
    assert response.status_code == 200, response.json()
    deleted = AuditEvent.objects.filter(account=acme, action="client.deleted").order_by("pk")
    assert [event.target for event in deleted] == ["Dupont SA", "DUPONT"]


@pytest.mark.parametrize(
    "query", ["merge_ids={a},{b}", "merge_ids[0]={a}&merge_ids[1]={b}", "merge_ids={a}&merge_ids={b}"]
)
def test_the_merge_takes_its_ids_in_every_list_form(owner_api, acme, query):
    kept, second, third = (make_client(acme, name=name) for name in ("Dupont", "Dupont SA", "DUPONT"))
    url = f"/clients/{kept.pk}/merge.json?" + query.format(a=second.pk, b=third.pk)
    response = owner_api.post(url, {})
    assert response.status_code == 200, response.json()
    assert list(Client.objects.filter(account=acme).values_list("pk", flat=True)) == [kept.pk]
