"""A document's email that fails: tried again with back-off, sent once, shown as failed with its reason
and a "Renvoyer" button; a job queued again after a crash finds the work done."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from facturier.billing.models import DeliveryStatus, EmailDelivery, Status
from facturier.billing.services.documents import mark_sent
from facturier.billing.services.payments import pay_in_full
from facturier.billing.services.sending import send_document
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.lib import jobs
from facturier.tenancy.models import AuditEvent
from facturier.tests.jobs import busy, database_backend, failing_smtp, refused, run_worker, unreachable

__all__ = ["database_backend", "failing_smtp"]
pytestmark = pytest.mark.usefixtures("database_backend")

NOW = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def invoice(acme, owner):
    client = make_client(acme, email="compta@dupont.test")
    return make_invoice(actor_for(acme, owner), client, lines=[line("Conseil", "1", "100", "20")])


def send(acme, owner, invoice):
    return send_document(
        actor_for(acme, owner),
        invoice,
        to=["compta@dupont.test"],
        cc=[],
        subject="Votre facture",
        body="Ci-joint.",
    )


def detail(client, invoice):
    return client.get(reverse("billing:document_detail", args=["acme", invoice.pk])).content.decode()


def resend_url(delivery):
    return reverse("billing:delivery_resend", args=["acme", delivery.pk])


def test_a_failed_attempt_waits_then_the_document_is_sent_once(
    clock, acme, owner, invoice, owner_client, failing_smtp
):
    failing_smtp.fail_with(unreachable())
    delivery = send(acme, owner, invoice)

    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at == NOW + datetime.timedelta(minutes=1)
    assert delivery.error == "ConnectionRefusedError: [Errno 111] Connection refused"
    # Paris time: 11:01.
    assert "en attente (nouvel essai à 11:01)" in detail(owner_client, invoice)

    clock.shift(datetime.timedelta(minutes=1))
    run_worker()
    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.SENT, 2, "")
    assert delivery.delivered_at == NOW + datetime.timedelta(minutes=1)
    (message,) = mail.outbox
    assert message.to == ["compta@dupont.test"] and message.attachments[0][0].endswith(".pdf")
    assert "Renvoyer" not in detail(owner_client, invoice)


def test_a_refused_address_fails_at_once_and_the_page_says_why(
    clock, acme, owner, invoice, owner_client, failing_smtp
):
    failing_smtp.fail_with(refused())
    delivery = send(acme, owner, invoice)

    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.error == "compta@dupont.test : 550 5.1.1 User unknown"
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    page = detail(owner_client, invoice)
    assert "envoi en échec" in page and "550 5.1.1 User unknown" in page
    assert resend_url(delivery) in page and "Renvoyer" in page
    assert mail.outbox == []


def test_the_attempts_end_in_failure(clock, acme, owner, invoice, failing_smtp):
    failing_smtp.fail_with(*[busy() for _ in range(jobs.MAX_ATTEMPTS)])
    delivery = send(acme, owner, invoice)

    for wait in [datetime.timedelta(0), *jobs.BACKOFF]:
        clock.shift(wait)
        run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, jobs.MAX_ATTEMPTS)
    assert "451 4.7.1 Try again later" in delivery.error
    assert mail.outbox == []


def test_renvoyer_sends_a_failed_delivery_again_and_is_audited(
    clock, acme, owner, invoice, owner_client, failing_smtp
):
    failing_smtp.fail_with(refused())
    delivery = send(acme, owner, invoice)
    run_worker()

    response = owner_client.post(resend_url(delivery))
    run_worker()

    assert response.status_code == 302
    assert response.url == reverse("billing:document_detail", args=["acme", invoice.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.SENT, 1, "")
    (message,) = mail.outbox
    assert message.subject == "Votre facture" and message.body == "Ci-joint."
    event = AuditEvent.objects.get(action="document.resent")
    assert event.target == invoice.number and event.actor == owner


def test_only_a_failed_delivery_can_be_sent_again(clock, acme, owner, invoice, owner_client):
    delivery = send(acme, owner, invoice)
    run_worker()

    response = owner_client.post(resend_url(delivery), follow=True)

    assert "Cet envoi n&#x27;est pas en échec" in response.content.decode()
    assert len(mail.outbox) == 1
    assert not AuditEvent.objects.filter(action="document.resent").exists()


def test_renvoyer_is_a_post_for_members_who_may_send(
    clock, acme, owner, invoice, owner_client, firm_client, failing_smtp
):
    failing_smtp.fail_with(refused())
    delivery = send(acme, owner, invoice)
    run_worker()

    assert owner_client.get(resend_url(delivery)).status_code == 405
    # The Comptable role does not send sales documents: no button, and a 403.
    assert firm_client.post(resend_url(delivery)).status_code == 403
    assert "Renvoyer" not in detail(firm_client, invoice)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_an_outsider_gets_a_404_on_the_resend_url(clock, acme, owner, invoice, outsider_client, failing_smtp):
    failing_smtp.fail_with(refused())
    delivery = send(acme, owner, invoice)
    run_worker()

    assert outsider_client.post(resend_url(delivery)).status_code == 404
    outsider_own = reverse("billing:delivery_resend", args=["globex", delivery.pk])
    assert outsider_client.post(outsider_own).status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and mail.outbox == []


def test_a_job_run_again_after_a_crash_does_not_send_twice(clock, acme, owner, invoice):
    send(acme, owner, invoice)
    (row,) = DBTaskResult.objects.all()
    call = row.args_kwargs
    run_worker()
    assert len(mail.outbox) == 1

    # The same job again, as a worker that died before recording its end would leave it.
    from facturier.billing.services.sending import deliver_document

    deliver_document.enqueue(*call["args"], **call["kwargs"])
    run_worker()

    assert len(mail.outbox) == 1
    assert EmailDelivery.objects.get().status == DeliveryStatus.SENT


def test_a_worker_killed_while_sending_leaves_the_delivery_failed_not_sent_twice(
    clock, acme, owner, invoice, owner_client
):
    delivery = send(acme, owner, invoice)
    # Killed while talking to the mail server: the row was claimed, the task row stays RUNNING.
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, attempts=1)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=NOW)

    clock.shift(datetime.timedelta(minutes=11))
    run_worker()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error.startswith("Envoi interrompu : il est peut-être parti.")
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    assert mail.outbox == []
    assert "Renvoyer" in detail(owner_client, invoice)


def test_a_worker_killed_before_sending_has_the_job_queued_again(clock, acme, owner, invoice):
    delivery = send(acme, owner, invoice)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=NOW)

    clock.shift(datetime.timedelta(minutes=11))
    run_worker()

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(mail.outbox) == 1
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == [TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL]


def test_the_history_speaks_english_to_an_english_speaking_user(
    clock, acme, owner, invoice, owner_client, failing_smtp
):
    failing_smtp.fail_with(refused(), unreachable())
    send(acme, owner, invoice)
    send_document(
        actor_for(acme, owner),
        invoice,
        to=["compta@dupont.test"],
        cc=[],
        subject="Relance",
        body="Ci-joint.",
        force=True,
    )
    run_worker()
    owner.language = "en"
    owner.save()

    page = detail(owner_client, invoice)

    assert "sending failed" in page and "Send again" in page
    assert "pending (next try at 11:01)" in page


# --- The document's own status follows its emails: "sent" only while one went or is being tried ---------


def status_of(invoice):
    invoice.refresh_from_db()
    return invoice.status, invoice.sent_at is not None


def test_a_document_whose_only_email_failed_for_good_is_no_longer_sent(
    clock, acme, owner, invoice, owner_client, failing_smtp
):
    failing_smtp.fail_with(refused())
    send(acme, owner, invoice)
    assert status_of(invoice) == (Status.SENT, True)  # while the email is being tried

    run_worker()

    assert status_of(invoice) == (Status.ISSUED, False)
    event = AuditEvent.objects.filter(action="document.status_changed").latest("pk")
    assert event.actor is None and event.target == invoice.number
    assert event.changes == {"status": ["sent", "issued"], "sent": [True, False]}
    assert event.summary == "Envoi par email en échec : le document n'est plus marqué envoyé."
    assert "envoi en échec" in detail(owner_client, invoice)


def test_a_document_stays_sent_while_the_email_is_tried_again_and_after_the_last_attempt_fails(
    clock, acme, owner, invoice, failing_smtp
):
    failing_smtp.fail_with(*[busy() for _ in range(jobs.MAX_ATTEMPTS)])
    send(acme, owner, invoice)

    for wait in [datetime.timedelta(0), *jobs.BACKOFF[:-1]]:
        clock.shift(wait)
        run_worker()
        assert status_of(invoice) == (Status.SENT, True)
    clock.shift(jobs.BACKOFF[-1])
    run_worker()

    assert status_of(invoice) == (Status.ISSUED, False)


def test_a_document_marked_sent_by_hand_stays_sent_when_its_email_fails(
    clock, acme, owner, invoice, failing_smtp
):
    mark_sent(actor_for(acme, owner), invoice)
    failing_smtp.fail_with(refused())
    send(acme, owner, invoice)

    run_worker()

    assert status_of(invoice) == (Status.SENT, True)


def test_a_failed_email_leaves_the_document_sent_when_another_one_went(
    clock, acme, owner, invoice, failing_smtp
):
    failing_smtp.fail_with(refused())
    send(acme, owner, invoice)
    send_document(
        actor_for(acme, owner),
        invoice,
        to=["autre@dupont.test"],
        cc=[],
        subject="Facture",
        body="Ci-joint.",
        force=True,
    )

    run_worker()  # the first fails while the second is still queued, then the second goes

    assert sorted(EmailDelivery.objects.values_list("status", flat=True)) == ["failed", "sent"]
    assert status_of(invoice) == (Status.SENT, True)


def test_a_paid_document_keeps_its_status_but_is_no_longer_sent(clock, acme, owner, invoice, failing_smtp):
    failing_smtp.fail_with(refused())
    send(acme, owner, invoice)
    pay_in_full(actor_for(acme, owner), invoice)

    run_worker()

    assert status_of(invoice) == (Status.PAID, False)


def test_renvoyer_marks_the_document_sent_again(clock, acme, owner, invoice, owner_client, failing_smtp):
    failing_smtp.fail_with(refused())
    delivery = send(acme, owner, invoice)
    run_worker()
    assert status_of(invoice) == (Status.ISSUED, False)

    owner_client.post(resend_url(delivery))
    assert status_of(invoice) == (Status.SENT, True)
    run_worker()

    assert status_of(invoice) == (Status.SENT, True)
    assert len(mail.outbox) == 1


def test_an_email_cut_off_by_a_dead_worker_unmarks_the_document(clock, acme, owner, invoice):
    delivery = send(acme, owner, invoice)
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, attempts=1)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=NOW)

    clock.shift(datetime.timedelta(minutes=11))
    run_worker()

    assert status_of(invoice) == (Status.ISSUED, False)
