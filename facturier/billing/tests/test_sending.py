"""Sending a document by email: the prefilled form, the PDF attached, the record, the 3-day guard."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from facturier.billing.models import BillingSettings, Document, EmailDelivery, Status
from facturier.billing.services.sending import send_document
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

NOW = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def client(acme):
    return make_client(acme, email="compta@dupont.test", cc_emails="direction@dupont.test")


@pytest.fixture
def invoice(actor, client):
    return make_invoice(actor, client, lines=[line("Conseil", "1", "100", "20")])


def send_url(document):
    return reverse("billing:document_send", kwargs={"slug": document.account.slug, "pk": document.pk})


def form(**overrides):
    data = {
        "to": "compta@dupont.test",
        "cc": "",
        "subject": "Facture F-2026-0001",
        "body": "Bonjour,\nCi-joint.",
    }
    return data | overrides


def send(actor, document, **overrides):
    values = {
        "to": ["compta@dupont.test"],
        "cc": [],
        "subject": "Votre facture",
        "body": "Ci-joint.",
    } | overrides
    return send_document(actor, document, **values)


# --- The form ------------------------------------------------------------------------------------


def test_the_form_is_prefilled_from_the_client_and_the_default_message(owner_client, invoice):
    response = owner_client.get(send_url(invoice))

    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["to"] == "compta@dupont.test"
    assert initial["cc"] == "direction@dupont.test"
    assert initial["subject"] == "ACME SAS : document F-2026-0001"
    assert (
        "F-2026-0001" in initial["body"]
        and "120,00\xa0€" in initial["body"]
        and "4 avril 2026" in initial["body"]
    )


def test_the_account_templates_fill_their_placeholders(owner_client, acme, actor, client):
    BillingSettings.objects.create(
        account=acme,
        email_subject_template="Facture {number} pour {client}",
        email_body_template="{amount} à régler le {due_date}. {account}",
    )
    document = make_invoice(
        actor, client, email_to="factures@dupont.test", lines=[line("Audit", "1", "1000", "20")]
    )

    initial = owner_client.get(send_url(document)).context["form"].initial

    assert initial["to"] == "factures@dupont.test"
    assert initial["subject"] == "Facture F-2026-0001 pour Dupont SARL"
    assert initial["body"] == "1\u202f200,00\xa0€ à régler le 4 avril 2026. ACME SAS"


def test_an_english_document_gets_english_amounts_and_dates(owner_client, acme, actor, client):
    BillingSettings.objects.create(account=acme, email_body_template="{amount} due on {due_date}")
    document = make_invoice(actor, client, language="en", lines=[line("Audit", "1", "1000", "20")])

    initial = owner_client.get(send_url(document)).context["form"].initial

    assert initial["body"] == "€1,200.00 due on April 4, 2026"


def test_a_draft_cannot_be_sent_from_its_page(owner_client, actor, client):
    draft = make_invoice(actor, client, issue=False)

    page = owner_client.get(send_url(draft))
    response = owner_client.post(send_url(draft), form())

    assert "émettez-le avant de l'envoyer" in page.content.decode()
    assert response.status_code == 200
    assert "émettez-le avant de l'envoyer" in response.content.decode()
    assert mail.outbox == [] and not EmailDelivery.objects.exists()


# --- Sending -------------------------------------------------------------------------------------


def test_sending_mails_the_pdf_and_records_it(owner_client, owner, invoice):
    response = owner_client.post(
        send_url(invoice), form(to="compta@dupont.test; boss@dupont.test", cc="direction@dupont.test")
    )

    assert response.status_code == 302
    assert response.url == reverse("billing:document_detail", kwargs={"slug": "acme", "pk": invoice.pk})
    invoice.refresh_from_db()
    assert invoice.status == Status.SENT and invoice.sent_at == timezone.now()
    delivery = EmailDelivery.objects.get(document=invoice)
    assert (delivery.to, delivery.cc, delivery.sent_by) == (
        "compta@dupont.test, boss@dupont.test",
        "direction@dupont.test",
        owner,
    )
    (message,) = mail.outbox
    assert message.to == ["compta@dupont.test", "boss@dupont.test"] and message.cc == [
        "direction@dupont.test"
    ]
    assert message.subject == "Facture F-2026-0001" and message.body == "Bonjour,\nCi-joint."
    assert message.reply_to == [owner.email]
    assert message.from_email.startswith("ACME SAS <")
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == ("F-2026-0001.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="document.sent")
    assert event.target == "F-2026-0001" and "compta@dupont.test" in event.summary


def test_a_document_sent_less_than_3_days_ago_is_not_sent_again(owner_client, invoice):
    owner_client.post(send_url(invoice), form())

    with time_machine.travel(NOW + datetime.timedelta(days=2, hours=23), tick=False):
        response = owner_client.post(send_url(invoice), form())

    assert response.status_code == 200
    errors = response.context["form"].errors["force"]
    assert errors == [
        "Ce document a déjà été envoyé le 5 mars 2026 11:00. Cochez « Envoyer quand même » pour l'envoyer à nouveau."
    ]
    assert len(mail.outbox) == 1 and EmailDelivery.objects.count() == 1


def test_forcing_sends_it_again(owner_client, invoice):
    owner_client.post(send_url(invoice), form())

    response = owner_client.post(send_url(invoice), form(force="on"))

    assert response.status_code == 302
    assert len(mail.outbox) == 2 and EmailDelivery.objects.count() == 2
    assert AuditEvent.objects.filter(action="document.sent").count() == 2


def test_after_3_days_it_can_be_sent_again(actor, invoice):
    send(actor, invoice)

    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        send(actor, invoice)

    assert len(mail.outbox) == 2


def test_a_paid_document_keeps_its_status_when_sent(actor, invoice):
    Document.objects.filter(pk=invoice.pk).update(status=Status.PAID)

    send(actor, invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.PAID and invoice.sent_at is not None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"to": "pas-une-adresse"}, "to", "« pas-une-adresse » n'est pas une adresse email valide."),
        ({"to": " , "}, "to", "Indiquez au moins une adresse email."),
        ({"cc": "a@b.test, oops@"}, "cc", "« oops@ » n'est pas une adresse email valide."),
        ({"subject": ""}, "subject", "Ce champ est obligatoire."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_sent(owner_client, invoice, overrides, field, message):
    response = owner_client.post(send_url(invoice), form(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    invoice.refresh_from_db()
    assert invoice.status == Status.ISSUED and invoice.sent_at is None
    assert mail.outbox == [] and not EmailDelivery.objects.exists()


def test_the_service_checks_addresses_itself(actor, invoice):
    with pytest.raises(ServiceError) as refused:
        send(actor, invoice, to=["compta@dupont.test", "nope"])

    assert refused.value.field == "to"
    assert mail.outbox == []


def test_the_service_refuses_drafts(actor, client):
    draft = make_invoice(actor, client, issue=False)

    with pytest.raises(ServiceError, match="émettez-le avant de l'envoyer"):
        send(actor, draft)

    assert mail.outbox == [] and not EmailDelivery.objects.exists()


def test_a_read_only_account_cannot_send(actor, acme, invoice):
    acme.subscription_ends_on = datetime.date(2026, 1, 1)
    acme.save()

    with pytest.raises(ServiceError):
        send(actor, Document.objects.select_related("account").get(pk=invoice.pk))

    assert mail.outbox == []


# --- Who may send ----------------------------------------------------------------------------------


def test_a_collaborator_can_send(collaborator_client, invoice):
    response = collaborator_client.post(send_url(invoice), form())

    assert response.status_code == 302 and len(mail.outbox) == 1


def test_the_accountant_may_not_send(firm_client, invoice):
    assert firm_client.get(send_url(invoice)).status_code == 403
    assert firm_client.post(send_url(invoice), form()).status_code == 403
    assert mail.outbox == []


def test_another_account_cannot_send(outsider_client, invoice):
    assert outsider_client.get(send_url(invoice)).status_code == 404
    assert outsider_client.post(send_url(invoice), form()).status_code == 404
    assert mail.outbox == []
