"""Delivery: retries with back-off, final failure, the catch-up command, the log's purge, the SSRF guard."""

import datetime
import socket

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks import default_task_backend

from facturier.billing.tests.factories import make_client
from facturier.webhooks import delivery
from facturier.webhooks.addresses import AddressError, check_url, target_for
from facturier.webhooks.models import RESPONSE_EXCERPT_BYTES, DeliveryState, WebhookDelivery
from facturier.webhooks.tests.conftest import make_webhook

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def test_a_failing_delivery_is_retried_with_back_off_then_marked_failed(
    acme, receiver, django_capture_on_commit_callbacks
):
    make_webhook(acme, "client:create", receiver.url)
    receiver.answers = [500] * 6
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            make_client(acme)
        sent = WebhookDelivery.objects.get()
        assert (sent.state, sent.attempts, sent.status_code) == (DeliveryState.PENDING, 1, 500)
        assert len(sent.response_excerpt) == RESPONSE_EXCERPT_BYTES
        expected = START
        for waited in delivery.BACKOFF:
            expected += waited
            sent.refresh_from_db()
            assert sent.next_attempt_at == expected
            assert delivery.deliver_due() == 0  # not due yet
            traveller.move_to(expected)
            assert delivery.deliver_due() == 1
    sent.refresh_from_db()
    assert (sent.state, sent.attempts, sent.next_attempt_at) == (DeliveryState.FAILED, 6, None)
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS == 6
    assert delivery.deliver_due() == 0


def test_a_retry_that_succeeds_marks_the_delivery_delivered(
    acme, receiver, django_capture_on_commit_callbacks
):
    make_webhook(acme, "client:create", receiver.url)
    receiver.answers = [503]
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            make_client(acme)
        traveller.shift(datetime.timedelta(minutes=1))
        call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sent = WebhookDelivery.objects.get()
    assert (sent.state, sent.attempts, sent.status_code) == (DeliveryState.DELIVERED, 2, 200)
    assert receiver.requests[0].body == receiver.requests[1].body


def test_a_redirect_is_not_followed(acme, receiver, django_capture_on_commit_callbacks):
    make_webhook(acme, "client:create", receiver.url)
    receiver.answers = [302]
    with django_capture_on_commit_callbacks(execute=True):
        make_client(acme)
    sent = WebhookDelivery.objects.get()
    assert (sent.state, sent.status_code) == (DeliveryState.PENDING, 302)


def test_a_receiver_that_is_down_is_logged_and_retried(acme, django_capture_on_commit_callbacks):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    make_webhook(acme, "client:create", f"http://127.0.0.1:{port}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        make_client(acme)
    sent = WebhookDelivery.objects.get()
    assert sent.state == DeliveryState.PENDING
    assert sent.status_code is None
    assert "ConnectionRefusedError" in sent.error


def test_retries_are_queued_for_later_when_the_backend_can_defer(acme, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    webhook = make_webhook(acme, "client:create", "http://127.0.0.1:9/never")
    when = timezone.now() + datetime.timedelta(minutes=5)
    row = WebhookDelivery.objects.create(
        account=acme, webhook=webhook, kind="client:create", payload={}, next_attempt_at=when
    )
    delivery.schedule(row.pk, when)
    [queued] = default_task_backend.results  # type: ignore[attr-defined]
    assert queued.task.run_after == when
    assert queued.args == [row.pk]


def test_the_log_is_purged_after_30_days(acme):
    webhook = make_webhook(acme, "client:create", "https://93.184.215.14/hook")
    old = WebhookDelivery.objects.create(account=acme, webhook=webhook, kind="client:create", payload={})
    recent = WebhookDelivery.objects.create(account=acme, webhook=webhook, kind="client:create", payload={})
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    call_command("purge_webhook_deliveries", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [recent.pk]


# --- The SSRF guard -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://example.com/x",
        "example.com/hook",
        "http://example.com/hook",  # http only for the allowed hosts
        "https://user:secret@example.com/hook",
        "https://127.0.0.1/hook",
        "https://localhost./hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10:8443/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://example.com:99999/hook",
        "https://exa mple.com/hook",
    ],
)
def test_private_loopback_and_malformed_addresses_are_refused(settings, url):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(AddressError):
        check_url(url)


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b:1::a00:1",  # local-use NAT64: never on the Internet
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "2001:0:a00:1:8000:63bf:3fff:fdd2",  # Teredo, relay 10.0.0.1
    ],
)
def test_ipv6_forms_carrying_a_private_ipv4_address_are_refused_like_it(settings, monkeypatch, address):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(AddressError):
        check_url(f"https://[{address}]/hook")
    # The same address behind a name, at save and at each delivery.
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))],
    )
    with pytest.raises(AddressError):
        check_url("https://hooks.example.com/x")
    with pytest.raises(AddressError):
        target_for("https://hooks.example.com/x")


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d70e", "::ffff:93.184.215.14", "2606:4700::1111"])
def test_ipv6_forms_carrying_a_public_ipv4_address_are_accepted_like_it(settings, address):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = []
    assert check_url(f"https://[{address}]/hook") == f"https://[{address}]/hook"


def test_a_public_https_address_is_accepted(settings):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = []
    assert check_url(" https://93.184.215.14/hook?x=1 ") == "https://93.184.215.14/hook?x=1"


def test_a_name_that_resolves_to_a_private_address_is_refused_at_save_and_at_delivery(settings, monkeypatch):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = []

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(AddressError):
        check_url("https://hooks.example.com/x")
    with pytest.raises(AddressError):
        target_for("https://hooks.example.com/x")


def test_delivery_connects_to_the_address_it_checked(settings, monkeypatch):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))],
    )
    target = target_for("https://hooks.example.com/in?a=1")
    assert (target.host, target.ip, target.port, target.path) == (
        "hooks.example.com",
        "93.184.215.14",
        443,
        "/in?a=1",
    )


def test_a_webhook_saved_before_the_guard_is_not_sent_to_a_private_address(
    acme, settings, django_capture_on_commit_callbacks
):
    settings.FACTURIER_WEBHOOK_ALLOWED_HOSTS = []
    make_webhook(acme, "client:create", "http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=True):
        make_client(acme)
    sent = WebhookDelivery.objects.get()
    assert sent.status_code is None
    assert "https" in sent.error


def test_a_webhook_switched_off_drops_what_it_still_had_to_send(
    acme, receiver, django_capture_on_commit_callbacks
):
    webhook = make_webhook(acme, "client:create", receiver.url)
    receiver.answers = [500]
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            make_client(acme)
        webhook.active = False
        webhook.save()
        traveller.shift(datetime.timedelta(minutes=1))
        assert delivery.deliver_due() == 1
    sent = WebhookDelivery.objects.get()
    assert (sent.state, sent.attempts) == (DeliveryState.FAILED, 1)
    assert "désactivé" in sent.error
    assert len(receiver.requests) == 1
