"""Which changes fire which webhooks, once, after commit, with the API's JSON of the object.

Every change here runs inside django_capture_on_commit_callbacks(execute=True), as in a transaction that
commits: the test's own transaction never does, so a change made outside one would open a batch of
events that is never sent (and that later changes of the test would join).
"""

import hashlib
import hmac
from decimal import Decimal

import pytest
from django.db import transaction

from facturier.api.tests.conftest import Api, token_of
from facturier.billing.services import clients as client_service
from facturier.billing.services import documents as document_service
from facturier.billing.services import products as product_service
from facturier.billing.services.payments import delete_payment, record_payment
from facturier.billing.tests.factories import actor_for, make_client, make_invoice, make_product
from facturier.webhooks.models import DeliveryState, WebhookDelivery
from facturier.webhooks.tests.conftest import make_webhook


class Boom(Exception):
    pass


@pytest.fixture
def api(owner, acme) -> Api:
    return Api(token_of(owner, acme))


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


def committed(capture, receiver, make, *args, **kwargs):
    """make(*args, **kwargs) in a transaction that commits, its own webhook calls forgotten."""
    with capture(execute=True):
        made = make(*args, **kwargs)
    receiver.requests.clear()
    return made


def kinds(receiver) -> list[str]:
    return [request.headers["X-Facturier-Event"] for request in receiver.requests]


def test_client_changes_fire_create_update_and_destroy_with_the_api_json(
    all_hooks, receiver, api, actor, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client = make_client(acme, name="Durand SA")
    [created] = receiver.requests
    assert created.headers["X-Facturier-Event"] == "client:create"
    assert created.json["kind"] == "client:create"
    assert created.json["api_token"] == "tok-123"
    assert created.json["client"] == api.get(f"/clients/{client.pk}.json").json()

    with django_capture_on_commit_callbacks(execute=True):
        client_service.update_client(actor, client, city="Lyon")
    with django_capture_on_commit_callbacks(execute=True):
        client_service.archive_client(actor, client)
    assert kinds(receiver) == ["client:create", "client:update", "client:update"]
    assert receiver.requests[1].json["client"]["city"] == "Lyon"
    assert receiver.requests[2].json["client"]["disabled"] is True

    shown = api.get(f"/clients/{client.pk}.json").json()
    with django_capture_on_commit_callbacks(execute=True):
        client_service.delete_client(actor, client)
    assert kinds(receiver)[-1] == "client:destroy"
    assert receiver.requests[-1].json["client"] == shown
    assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == 4


def test_product_changes_fire_create_update_and_destroy(
    all_hooks, receiver, api, actor, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        product = make_product(acme, name="Audit")
    product_id = product.pk
    assert receiver.requests[0].json["product"] == api.get(f"/products/{product.pk}.json").json()
    with django_capture_on_commit_callbacks(execute=True):
        product_service.update_product(actor, product, unit_price=Decimal("120"))
    with django_capture_on_commit_callbacks(execute=True):
        product_service.delete_product(actor, product)
    assert kinds(receiver) == ["product:create", "product:update", "product:destroy"]
    assert receiver.requests[1].json["product"]["price_net"] == "120.00"
    assert receiver.requests[2].json["product"]["id"] == product_id


def test_an_unchanged_save_fires_nothing(
    all_hooks, receiver, actor, acme, django_capture_on_commit_callbacks
):
    client = committed(django_capture_on_commit_callbacks, receiver, make_client, acme)
    with django_capture_on_commit_callbacks(execute=True):
        client_service.update_client(actor, client, city=client.city)
    assert receiver.requests == []


def test_an_invoice_created_and_issued_in_one_call_is_one_create_equal_to_the_api_json(
    all_hooks, receiver, api, acme, django_capture_on_commit_callbacks
):
    client = committed(django_capture_on_commit_callbacks, receiver, make_client, acme)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/invoices.json",
            {
                "invoice": {
                    "client_id": client.pk,
                    "positions": [{"name": "Conseil", "quantity": 1, "total_price_gross": "120", "tax": 20}],
                }
            },
        )
    assert response.status_code == 201, response.content
    assert kinds(receiver) == ["invoice:create"]
    sent = receiver.requests[0].json["invoice"]
    assert sent == api.get(f"/invoices/{sent['id']}.json").json()
    assert sent["number"]


def test_invoice_updates_payments_and_draft_deletion(
    all_hooks, receiver, actor, acme, django_capture_on_commit_callbacks
):
    client = committed(django_capture_on_commit_callbacks, receiver, make_client, acme)
    invoice = committed(django_capture_on_commit_callbacks, receiver, make_invoice, actor, client)
    with django_capture_on_commit_callbacks(execute=True):
        document_service.update_issued(actor, invoice, internal_note="Merci")
    with django_capture_on_commit_callbacks(execute=True):
        payment = record_payment(
            actor, acme, date=invoice.issue_date, amount=invoice.gross_total, documents=[invoice]
        )
    with django_capture_on_commit_callbacks(execute=True):
        delete_payment(actor, payment)
    assert kinds(receiver) == ["invoice:update"] * 3
    assert receiver.requests[0].json["invoice"]["internal_note"] == "Merci"
    assert receiver.requests[1].json["invoice"]["status"] == "paid"
    assert receiver.requests[2].json["invoice"]["status"] != "paid"

    draft = committed(django_capture_on_commit_callbacks, receiver, make_invoice, actor, client, issue=False)
    with django_capture_on_commit_callbacks(execute=True):
        document_service.delete_draft(actor, draft)
    destroyed = receiver.requests[-1].json
    assert destroyed["kind"] == "invoice:destroy"
    assert destroyed["invoice"]["id"] == draft.pk
    assert "number" in destroyed["invoice"]


def test_nothing_fires_for_a_rolled_back_change(
    all_hooks, receiver, actor, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        make_client(acme, name="Fantôme")
        raise Boom
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0
    # The next transaction starts a new batch: its change is sent.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        make_client(acme, name="Réel")
    assert len(callbacks) == 1
    assert [request.json["client"]["name"] for request in receiver.requests] == ["Réel"]


def test_a_deletion_rolled_back_in_a_savepoint_is_not_sent(
    all_hooks, receiver, actor, acme, django_capture_on_commit_callbacks
):
    product = committed(django_capture_on_commit_callbacks, receiver, make_product, acme)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        make_client(acme, name="Gardé")
        with pytest.raises(Boom), transaction.atomic():
            product_service.delete_product(actor, product)
            raise Boom
    assert kinds(receiver) == ["client:create"]


def test_created_then_deleted_in_one_transaction_sends_nothing(
    all_hooks, receiver, actor, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        product = make_product(acme)
        product_service.update_product(actor, product, name="Autre")
        product_service.delete_product(actor, product)
    assert receiver.requests == []


def test_only_active_webhooks_of_the_account_and_kind_are_called(
    acme, globex, receiver, django_capture_on_commit_callbacks
):
    make_webhook(acme, "client:create", receiver.url + "?on")
    make_webhook(acme, "client:create", receiver.url + "?off", active=False)
    make_webhook(acme, "product:create", receiver.url + "?product")
    make_webhook(globex, "client:create", receiver.url + "?globex")
    with django_capture_on_commit_callbacks(execute=True):
        make_client(acme)
    assert [request.path for request in receiver.requests] == ["/hook?on"]


def test_the_signature_is_verifiable_with_the_webhook_secret(
    acme, receiver, django_capture_on_commit_callbacks
):
    webhook = make_webhook(acme, "client:create", receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        make_client(acme)
    [request] = receiver.requests
    signed = request.headers["X-Facturier-Timestamp"].encode() + b"." + request.body
    expected = hmac.new(webhook.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert request.headers["X-Facturier-Signature"] == f"sha256={expected}"
    assert request.headers["Content-Type"] == "application/json"


def test_no_webhook_costs_one_query_per_transaction(acme, actor, django_assert_max_num_queries):
    client = make_client(acme)
    with django_assert_max_num_queries(8):
        client_service.update_client(actor, client, city="Nantes")


def test_issuing_a_credit_note_creates_it_and_updates_the_invoice_it_corrects(
    all_hooks, receiver, actor, acme, django_capture_on_commit_callbacks
):
    client = committed(django_capture_on_commit_callbacks, receiver, make_client, acme)
    invoice = committed(django_capture_on_commit_callbacks, receiver, make_invoice, actor, client)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        credit_note = document_service.create_credit_note(actor, invoice, reason="Commande annulée")
        document_service.issue(actor, credit_note)
    sent = {(request.json["kind"], request.json["invoice"]["id"]) for request in receiver.requests}
    assert sent == {("invoice:create", credit_note.pk), ("invoice:update", invoice.pk)}
    assert len(receiver.requests) == 2
