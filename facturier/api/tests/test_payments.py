"""`/banking/payments.json` and `/banking/payments/{id}.json` (and the singular path), through the
payments service."""

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from facturier.api.tests.conftest import RATE_LIMIT_QUERIES
from facturier.billing.models import Document, Payment, Status
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.tenancy.models import AuditEvent

D = Decimal


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


@pytest.fixture
def first(actor, buyer):
    return make_invoice(actor, buyer, lines=[line("Conseil", "1", "100", "20")])  # 120.00


@pytest.fixture
def second(actor, buyer):
    return make_invoice(actor, buyer, lines=[line("Audit", "1", "125", "20")])  # 150.00


@pytest.fixture
def payment(actor, acme, first):
    return record_payment(
        actor, acme, date=acme.today(), amount=D("50"), documents=[first], reference="VIR 1", notes="Acompte"
    )


def state(document):
    document = Document.objects.get(pk=document.pk)
    return document.paid_total, document.status


# --- Create -----------------------------------------------------------------------------------------


def test_create_applies_the_payment_to_the_invoices_in_order(owner_api, acme, first, second):
    response = owner_api.post(
        "/banking/payments.json",
        {
            "banking_payment": {
                "id": None,
                "name": "VIR 42",
                "price": "200,00",
                "invoice_ids": [first.pk, second.pk],
                "paid_date": "2026-11-20",
                "payment_type": "transfer",
                "kind": "api",
            }
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["price"], data["name"], data["currency"]) == ("200.00", "VIR 42", "EUR")
    assert data["paid_date"] == "2026-11-20T00:00:00+01:00"
    assert (data["invoice_id"], data["invoice_ids"]) == (first.pk, [first.pk, second.pk])
    assert data["client_id"] == first.client_id
    payment = Payment.objects.get(account=acme)
    assert (payment.amount, payment.date) == (D("200.00"), datetime.date(2026, 11, 20))
    assert state(first) == (D("120.00"), Status.PAID)
    assert state(second) == (D("80.00"), Status.PARTIAL)
    assert AuditEvent.objects.filter(account=acme, action="payment.recorded").count() == 1


def test_create_with_one_invoice_id_dated_today_by_default(owner_api, acme, first):
    response = owner_api.post(
        "/banking/payments.json", {"banking_payment": {"price": 120, "invoice_id": first.pk}}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["paid_date"].startswith(acme.today().isoformat())
    assert state(first) == (D("120.00"), Status.PAID)


def test_a_timestamp_paid_date_keeps_its_date_and_ids_may_be_a_comma_text(owner_api, acme, first, second):
    response = owner_api.post(
        "/banking/payments.json",
        {
            "banking_payment": {
                "price": "130",
                "invoice_ids": f"{first.pk},{second.pk}",
                "paid_date": "2026-11-21T10:20:30.000+01:00",
            }
        },
    )
    assert response.status_code == 201, response.json()
    assert Payment.objects.get(account=acme).date == datetime.date(2026, 11, 21)


def test_an_overpayment_is_refused_with_422_on_price(owner_api, acme, first):
    response = owner_api.post(
        "/banking/payments.json", {"banking_payment": {"price": "500", "invoice_id": first.pk}}
    )
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["price"]
    assert not Payment.objects.filter(account=acme).exists()
    assert state(first) == (D("0.00"), Status.ISSUED)


def test_a_payment_needs_an_amount(owner_api, acme, first):
    response = owner_api.post("/banking/payments.json", {"banking_payment": {"invoice_id": first.pk}})
    assert (response.status_code, list(response.json()["message"])) == (422, ["price"])
    assert not Payment.objects.filter(account=acme).exists()


# The README's "Minimal JSON", as written.
README_MINIMAL = {
    "name": "Titre du Paiement",
    "price": 100.00,
    "invoice_id": None,
    "paid": True,
    "kind": "api",
}


def test_the_readmes_minimal_payment_is_recorded_unallocated(owner_api, acme, first):
    response = owner_api.post("/banking/payments.json", {"banking_payment": README_MINIMAL})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["price"], data["name"], data["invoice_id"], data["invoice_ids"]) == (
        "100.00",
        "Titre du Paiement",
        None,
        [],
    )
    assert data["client_id"] is None
    payment = Payment.objects.get(account=acme)
    assert (payment.amount, payment.client_id, payment.allocations.count()) == (D("100.00"), None, 0)
    assert state(first) == (D("0.00"), Status.ISSUED)  # nothing owed changes
    event = AuditEvent.objects.get(account=acme, action="payment.recorded")
    assert "non affecté" in event.summary


def test_an_unallocated_payment_may_name_its_client(owner_api, acme, buyer, globex):
    body = dict(README_MINIMAL, client_id=buyer.pk)
    response = owner_api.post("/banking/payments.json", {"banking_payment": body})
    assert response.status_code == 201, response.json()
    assert Payment.objects.get(account=acme).client_id == buyer.pk
    theirs = make_client(globex)
    response = owner_api.post("/banking/payments.json", {"banking_payment": dict(body, client_id=theirs.pk)})
    assert (response.status_code, list(response.json()["message"])) == (422, ["client_id"])


def test_the_readmes_full_payment_is_refused_for_generate_invoice_only(owner_api, acme):
    full = {
        "city": None, "client_id": None, "comment": None, "country": None, "currency": "EUR",
        "department_id": None, "description": "abonnement mensuel", "email": "email@email.com",
        "first_name": "Paul", "generate_invoice": True, "invoice_city": "Paris", "invoice_comment": "",
        "invoice_country": None, "invoice_id": None, "invoice_name": "Durand Paul",
        "invoice_post_code": "06800", "invoice_street": "75 Rue du Parc", "invoice_tax_no": "FR5252445767",
        "last_name": "Durand", "name": "Titre du Paiement", "oid": "", "paid": True, "paid_date": None,
        "phone": None, "post_code": None, "price": "100.00", "product_id": 1, "promocode": "",
        "provider": "virement", "provider_response": None, "provider_status": None, "provider_title": None,
        "quantity": 1, "street": None, "kind": "api",
    }  # fmt: skip
    response = owner_api.post("/banking/payments.json", {"banking_payment": full})
    assert (response.status_code, list(response.json()["message"])) == (422, ["generate_invoice"])
    assert "POST /invoices.json" in response.json()["message"]["generate_invoice"][0]
    response = owner_api.post(
        "/banking/payments.json", {"banking_payment": dict(full, generate_invoice=False)}
    )
    assert response.status_code == 201, response.json()
    assert Payment.objects.get(account=acme).notes == "abonnement mensuel"


def test_a_payment_not_received_is_refused_by_name(owner_api, acme):
    response = owner_api.post("/banking/payments.json", {"banking_payment": dict(README_MINIMAL, paid=False)})
    assert (response.status_code, list(response.json()["message"])) == (422, ["paid"])
    assert not Payment.objects.exists()


def test_another_accounts_invoice_cannot_be_paid(owner_api, outsider, globex, acme):
    theirs = make_invoice(actor_for(globex, outsider), make_client(globex))
    response = owner_api.post(
        "/banking/payments.json", {"banking_payment": {"price": "10", "invoice_id": theirs.pk}}
    )
    assert response.status_code == 422
    assert list(response.json()["message"]) == ["invoice_ids"]
    assert not Payment.objects.exists()
    assert state(theirs) == (D("0.00"), Status.ISSUED)


def test_a_draft_cannot_be_paid(owner_api, acme, buyer):
    draft = make_invoice(acme, buyer, issue=False)
    response = owner_api.post(
        "/banking/payments.json", {"banking_payment": {"price": "10", "invoice_id": draft.pk}}
    )
    assert response.status_code == 422
    assert "brouillon" in response.json()["message"]["invoice_ids"][0].lower()


def test_a_payment_dated_in_the_locked_period_is_refused(owner_api, acme, first):
    acme.locked_until = acme.today()
    acme.save()
    response = owner_api.post(
        "/banking/payments.json",
        {"banking_payment": {"price": "10", "invoice_id": first.pk, "paid_date": acme.today().isoformat()}},
    )
    assert response.status_code == 422
    assert not Payment.objects.exists()


def test_an_unknown_payment_type_is_recorded_as_other(owner_api, acme, first):
    response = owner_api.post(
        "/banking/payments.json",
        {"banking_payment": {"price": "10", "invoice_id": first.pk, "payment_type": "lcr"}},
    )
    assert response.status_code == 201
    assert response.json()["payment_type"] == "other"


# --- Show and list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/banking/payments/{pk}.json", "/banking/payment/{pk}.json"])
def test_show_at_both_paths(owner_api, payment, first, path):
    response = owner_api.get(path.format(pk=payment.pk))
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == payment.pk
    assert (data["price"], data["name"], data["description"]) == ("50.00", "VIR 1", "Acompte")
    assert data["paid"] is True
    assert data["invoice_ids"] == [first.pk]
    assert "invoices" not in data


def test_include_invoices_adds_the_documents_settled(owner_api, payment, first):
    data = owner_api.get(f"/banking/payments/{payment.pk}.json?include=invoices").json()
    assert data["invoices"] == [{"id": first.pk, "number": first.number, "kind": "vat", "amount": "50.00"}]
    rows = owner_api.get("/banking/payments.json?include=invoices").json()
    assert rows[0]["invoices"][0]["id"] == first.pk


def test_another_accounts_payment_is_a_404(outsider_api, payment):
    for method in ("get", "delete"):
        response = getattr(outsider_api, method)(f"/banking/payments/{payment.pk}.json")
        assert response.status_code == 404
        assert response.json() == {"code": "error", "message": "Not Found"}
    response = outsider_api.put(f"/banking/payments/{payment.pk}.json", {"banking_payment": {"name": "x"}})
    assert response.status_code == 404
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_the_list_filters_by_period_client_and_invoice(owner_api, actor, acme, buyer, first, second):
    old = record_payment(
        actor, acme, date=acme.today().replace(year=2020), amount=D("10"), documents=[second]
    )
    recent = record_payment(actor, acme, date=acme.today(), amount=D("20"), documents=[first])

    def ids(query):
        response = owner_api.get(f"/banking/payments.json?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()]

    assert ids("") == [recent.pk]  # last 12 months by default
    assert ids("period=all") == [old.pk, recent.pk]
    assert ids("date_from=2020-01-01&date_to=2020-12-31") == [old.pk]
    assert ids("period=more&date_from=2020-01-01") == [old.pk, recent.pk]
    assert ids(f"period=all&invoice_id={second.pk}") == [old.pk]
    assert ids(f"period=all&client_id={buyer.pk}") == [old.pk, recent.pk]
    assert ids("period=all&client_id=999999") == []
    assert ids("period=all&order=paid_date.desc") == [recent.pk, old.pk]


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    owner_api, actor, acme, buyer, django_assert_max_num_queries
):
    invoice = make_invoice(actor, buyer, lines=[line("Gros", "1", "1000", "20")])
    for _index in range(30):
        record_payment(actor, acme, date=acme.today(), amount=D("1"), documents=[invoice])
    with django_assert_max_num_queries(6 + RATE_LIMIT_QUERIES):
        rows = owner_api.get("/banking/payments.json?per_page=30&include=invoices").json()
    assert len(rows) == 30
    assert len(owner_api.get("/banking/payments.json").json()) == 25
    assert len(owner_api.get("/banking/payments.json?page=2").json()) == 5
    assert owner_api.get("/banking/payments.json?page=3").json() == []


@pytest.mark.parametrize(
    "query",
    [
        "period=someday",
        "period=more&date_from=2026-13-45",
        "date_to=%00",
        "client_id=abc",
        "invoice_id=-1",
        "invoice_id=99999999999999999999999",
        "page=1e400",
        "order=drop",
        "include=%ff",
    ],
)
def test_no_query_string_yields_a_500(owner_api, payment, query):
    response = owner_api.get(f"/banking/payments.json?{query}")
    assert response.status_code in (200, 422)
    assert isinstance(response.json(), list | dict)


# --- Update and delete ------------------------------------------------------------------------------


def test_sending_back_the_object_read_answers_200_and_changes_nothing(owner_api, payment):
    read = owner_api.get(f"/banking/payments/{payment.pk}.json").json()
    for method in ("put", "patch"):
        send = getattr(owner_api.http, method)
        response = send(
            f"/banking/payment/{payment.pk}.json?api_token={owner_api.token}",
            json.dumps({"banking_payment": read}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.json()
        assert response.json() == read


def test_the_readmes_patch_changes_the_name_and_the_amount_applied(owner_api, acme, payment, first):
    # The README's "Modifier un paiement" body.
    body = {"name": "Nouveau titre du Paiement", "price": 120.00}
    response = owner_api.patch(f"/banking/payments/{payment.pk}.json", {"banking_payment": body})
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["price"]) == ("Nouveau titre du Paiement", "120.00")
    payment.refresh_from_db()
    assert (payment.amount, payment.reference) == (D("120.00"), "Nouveau titre du Paiement")
    assert state(first) == (D("120.00"), Status.PAID)
    event = AuditEvent.objects.get(account=acme, action="payment.changed")
    assert event.changes["amount"] == ["50.00", "120.00"]
    assert event.changes["reference"] == ["VIR 1", "Nouveau titre du Paiement"]


def test_a_change_beyond_what_the_invoice_owes_is_refused_and_changes_nothing(owner_api, payment, first):
    response = owner_api.put(f"/banking/payments/{payment.pk}.json", {"banking_payment": {"price": "500"}})
    assert (response.status_code, list(response.json()["message"])) == (422, ["price"])
    payment.refresh_from_db()
    assert payment.amount == D("50.00")
    assert state(first) == (D("50.00"), Status.PARTIAL)


def test_an_unallocated_payment_is_allocated_by_a_change(owner_api, acme, first, second):
    created = owner_api.post("/banking/payments.json", {"banking_payment": dict(README_MINIMAL, price="200")})
    pk = created.json()["id"]
    response = owner_api.put(
        f"/banking/payments/{pk}.json", {"banking_payment": {"invoice_ids": [first.pk, second.pk]}}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["invoice_ids"] == [first.pk, second.pk]
    assert response.json()["client_id"] == first.client_id
    assert state(first) == (D("120.00"), Status.PAID)
    assert state(second) == (D("80.00"), Status.PARTIAL)
    response = owner_api.put(f"/banking/payments/{pk}.json", {"banking_payment": {"invoice_ids": []}})
    assert response.json()["invoice_ids"] == []
    assert state(first) == (D("0.00"), Status.ISSUED)
    assert state(second) == (D("0.00"), Status.ISSUED)


def test_a_change_of_a_payment_in_the_locked_period_is_refused_with_a_clear_422(owner_api, acme, payment):
    acme.locked_until = acme.today()
    acme.save()
    response = owner_api.patch(f"/banking/payments/{payment.pk}.json", {"banking_payment": {"name": "X"}})
    assert (response.status_code, list(response.json()["message"])) == (422, ["paid_date"])
    assert "sont protégés" in response.json()["message"]["paid_date"][0]
    payment.refresh_from_db()
    assert payment.reference == "VIR 1"
    assert not AuditEvent.objects.filter(account=acme, action="payment.changed").exists()


def test_a_payment_cannot_be_moved_into_the_locked_period(owner_api, acme, payment):
    acme.locked_until = acme.today() - datetime.timedelta(days=10)
    acme.save()
    day = (acme.today() - datetime.timedelta(days=20)).isoformat()
    response = owner_api.patch(
        f"/banking/payments/{payment.pk}.json", {"banking_payment": {"paid_date": day}}
    )
    assert (response.status_code, list(response.json()["message"])) == (422, ["paid_date"])


def test_an_exported_payments_amount_is_protected_when_the_account_protects_exports(owner_api, acme, payment):
    from facturier.exports.models import AccountingSettings

    AccountingSettings.objects.update_or_create(account=acme, defaults={"lock_exported": True})
    Payment.objects.filter(pk=payment.pk).update(exported_at=timezone.now())
    response = owner_api.patch(f"/banking/payments/{payment.pk}.json", {"banking_payment": {"price": "40"}})
    assert response.status_code == 422
    assert "exporté en comptabilité" in str(response.json()["message"])
    assert owner_api.delete(f"/banking/payments/{payment.pk}.json").status_code == 422
    # What the export did not carry may still change.
    response = owner_api.patch(
        f"/banking/payments/{payment.pk}.json", {"banking_payment": {"description": "Reçu par virement"}}
    )
    assert response.status_code == 200, response.json()
    payment.refresh_from_db()
    assert (payment.amount, payment.notes) == (D("50.00"), "Reçu par virement")


def test_delete_answers_ok_and_the_invoice_is_owed_again(owner_api, acme, payment, first):
    response = owner_api.delete(f"/banking/payments/{payment.pk}.json")
    assert response.status_code == 200
    assert response.json() == "ok"
    assert not Payment.objects.filter(pk=payment.pk).exists()
    assert state(first) == (D("0.00"), Status.ISSUED)
    assert AuditEvent.objects.filter(account=acme, action="payment.deleted").count() == 1


def test_a_payment_in_the_locked_period_cannot_be_deleted(owner_api, acme, payment):
    acme.locked_until = acme.today()
    acme.save()
    response = owner_api.delete(f"/banking/payments/{payment.pk}.json")
    assert response.status_code == 422
    assert isinstance(response.json()["message"], str)
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_permissions_are_those_of_the_role(collaborator_api, firm_api, payment, first):
    # Utilisateur: may record payments but not delete them; Comptable: may not delete either.
    for api in (collaborator_api, firm_api):
        response = api.delete(f"/banking/payments/{payment.pk}.json")
        assert response.status_code == 403
        assert response.json()["code"] == "error"
    assert collaborator_api.get(f"/banking/payments/{payment.pk}.json").status_code == 200
    response = collaborator_api.post(
        "/banking/payments.json", {"banking_payment": {"price": "10", "invoice_id": first.pk}}
    )
    assert response.status_code == 201
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_without_a_token_the_answer_is_401(payment):
    response = HttpClient().get("/banking/payments.json")
    assert response.status_code == 401
    assert response.json()["message"] == "You must be logged in to gain access to the site"


BAD_BODIES = [
    "{",
    "[]",
    "null",
    '{"banking_payment": "x"}',
    '{"banking_payment": []}',
    '{"banking_payment": {"price": {"a": 1}, "invoice_id": 1}}',
    '{"banking_payment": {"price": "1e999999", "invoice_id": 1}}',
    '{"banking_payment": {"price": "-5", "invoice_id": 1}}',
    '{"banking_payment": {"price": "0.001", "invoice_id": 1}}',
    '{"banking_payment": {"price": NaN, "invoice_id": 1}}',
    '{"banking_payment": {"price": "1", "invoice_id": "abc"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 99999999999999999999999}}',
    '{"banking_payment": {"price": "1", "invoice_ids": [1, 1]}}',
    '{"banking_payment": {"price": "1", "invoice_ids": [[1]]}}',
    '{"banking_payment": {"price": "1", "invoice_ids": {"a": 1}}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "paid_date": "2026-02-30"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "paid_date": "soon"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "paid_date": 20260101}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "currency": "ZZZ"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "currency": "EURO"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "name": "' + "x" * 500 + '"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "name": "a\\u0000b"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "description": "\\ud800"}}',
    '{"banking_payment": {"price": "1", "invoice_id": 1, "payment_type": ["x"]}}',
    "[" * 100000,
]


@pytest.mark.parametrize("raw", BAD_BODIES)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_no_malformed_body_yields_a_500(owner_token, acme, payment, first, raw, method):
    raw = raw.replace('"invoice_id": 1', f'"invoice_id": {first.pk}')
    path = "/banking/payments.json" if method == "post" else f"/banking/payments/{payment.pk}.json"
    response = getattr(HttpClient(), method)(
        f"{path}?api_token={owner_token}",
        raw.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    assert response.status_code in (400, 422), response.content
    assert response.json()["code"] == "error"
    assert Payment.objects.filter(account=acme).count() == 1
    assert state(first) == (D("50.00"), Status.PARTIAL)


def test_the_list_sorts_by_the_last_change(owner_api, actor, acme, first, second):
    older = record_payment(actor, acme, date=acme.today(), amount=D("10"), documents=[first])
    newer = record_payment(actor, acme, date=acme.today(), amount=D("20"), documents=[second])
    Payment.objects.filter(pk=older.pk).update(updated_at=newer.updated_at + datetime.timedelta(hours=1))
    response = owner_api.get("/banking/payments.json?period=all&order=updated_at.desc")
    assert [row["id"] for row in response.json()] == [older.pk, newer.pk]
