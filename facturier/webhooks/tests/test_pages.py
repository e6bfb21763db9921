"""Paramètres > Webhooks: list, add, edit, delete, test, log and retry; who may open it."""

import pytest
from django.urls import reverse

from facturier.tenancy.models import AuditEvent
from facturier.webhooks.models import DeliveryState, Webhook, WebhookDelivery
from facturier.webhooks.tests.conftest import make_webhook


def url(name: str, *args: int) -> str:
    return reverse(f"webhooks:{name}", args=["acme", *args])


def test_the_owner_adds_a_webhook_from_the_settings(owner_client, acme, receiver):
    page = owner_client.get(url("webhooks"))
    assert page.status_code == 200
    assert "Ajouter un webhook" in page.content.decode()
    assert reverse("webhooks:webhooks", args=["acme"]) in page.content.decode()  # in the settings menu

    response = owner_client.post(
        url("webhook_new"), {"kind": "invoice:create", "url": receiver.url, "active": "on"}
    )
    webhook = Webhook.objects.get(account=acme)
    assert response.status_code == 302 and response["Location"] == url("webhook_edit", webhook.pk)
    assert (webhook.kind, webhook.url, webhook.active) == ("invoice:create", receiver.url, True)
    assert webhook.api_token and len(webhook.secret) == 64
    assert AuditEvent.objects.filter(account=acme, action="webhook.created").count() == 1
    assert "invoice:create" in owner_client.get(url("webhooks")).content.decode()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("http://example.com/x", "https://"),
        ("https://10.0.0.1/x", "réseau privé"),
        ("pas une adresse", "espace"),
    ],
)
def test_a_refused_address_is_a_form_error(owner_client, acme, address, message):
    response = owner_client.post(url("webhook_new"), {"kind": "client:create", "url": address})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Webhook.objects.exists()


def test_the_owner_edits_and_deletes_a_webhook(owner_client, acme, receiver):
    webhook = make_webhook(acme, "client:create", receiver.url)
    response = owner_client.post(
        url("webhook_edit", webhook.pk), {"kind": "client:update", "url": receiver.url, "api_token": ""}
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.kind, webhook.active, webhook.api_token) == ("client:update", False, "tok-123")
    changed = AuditEvent.objects.get(action="webhook.changed")
    assert changed.changes["kind"] == ["client:create", "client:update"]

    response = owner_client.post(url("webhook_delete", webhook.pk))
    assert response.status_code == 302 and response["Location"] == url("webhooks")
    assert not Webhook.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.deleted").count() == 1


def test_send_a_test_shows_its_outcome_and_logs_it(owner_client, acme, receiver):
    webhook = make_webhook(acme, "product:create", receiver.url)
    response = owner_client.post(url("webhook_test", webhook.pk), follow=True)
    assert "Test livré (réponse 200)" in response.content.decode()
    [request] = receiver.requests
    assert request.json == {"kind": "product:create", "product": None, "test": True, "api_token": "tok-123"}
    log = owner_client.get(url("webhook_edit", webhook.pk)).content.decode()
    assert "Livré" in log and "test" in log

    receiver.answers = [500]
    response = owner_client.post(url("webhook_test", webhook.pk), follow=True)
    assert "réponse 500" in response.content.decode()
    failed = WebhookDelivery.objects.filter(state=DeliveryState.FAILED).get()
    assert failed.attempts == 1 and failed.next_attempt_at is None  # a test is not retried


def test_a_failed_delivery_can_be_tried_again(
    owner_client, acme, receiver, django_capture_on_commit_callbacks
):
    webhook = make_webhook(acme, "client:create", receiver.url)
    failed = WebhookDelivery.objects.create(
        account=acme,
        webhook=webhook,
        kind="client:create",
        object_id=1,
        payload={"kind": "client:create"},
        state=DeliveryState.FAILED,
        attempts=6,
        status_code=500,
    )
    log = owner_client.get(url("webhook_edit", webhook.pk)).content.decode()
    assert "Réessayer" in log
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url("webhook_retry", failed.pk))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.status_code) == (DeliveryState.DELIVERED, 7, 200)
    assert receiver.requests[0].json["kind"] == "client:create"
    # Only a failed delivery can be tried again.
    response = owner_client.post(url("webhook_retry", failed.pk), follow=True)
    assert "Seul un envoi en échec" in response.content.decode()


def test_a_collaborator_gets_a_403_and_an_outsider_a_404(collaborator_client, outsider_client, acme):
    webhook = make_webhook(acme, "client:create", "https://93.184.215.14/hook")
    delivery = WebhookDelivery.objects.create(account=acme, webhook=webhook, kind="client:create", payload={})
    for address in [
        url("webhooks"),
        url("webhook_new"),
        url("webhook_edit", webhook.pk),
        url("webhook_delete", webhook.pk),
        url("webhook_test", webhook.pk),
        url("webhook_retry", delivery.pk),
    ]:
        assert collaborator_client.get(address).status_code == 403, address
        assert collaborator_client.post(address).status_code == 403, address
        assert outsider_client.get(address).status_code == 404, address
        assert outsider_client.post(address).status_code == 404, address
    assert Webhook.objects.filter(pk=webhook.pk).exists()


def test_another_accounts_webhook_is_a_404_for_the_owner(owner_client, acme, globex):
    theirs = make_webhook(globex, "client:create", "https://93.184.215.14/hook")
    assert owner_client.get(url("webhook_edit", theirs.pk)).status_code == 404
    assert owner_client.post(url("webhook_delete", theirs.pk)).status_code == 404
    assert Webhook.objects.filter(pk=theirs.pk).exists()


def test_the_log_page_has_a_fixed_number_of_queries(owner_client, acme, django_assert_max_num_queries):
    webhook = make_webhook(acme, "client:create", "https://93.184.215.14/hook")
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(account=acme, webhook=webhook, kind="client:create", payload={}) for _ in range(60)
    )
    owner_client.get(url("webhook_edit", webhook.pk))  # the first visit notes the account in the session
    with django_assert_max_num_queries(12):
        page = owner_client.get(url("webhook_edit", webhook.pk))
    assert page.content.decode().count("<code>client:create</code>") == 50
