"""Sending a sales document by email, with its PDF attached.

The PDF is rendered in the request and handed to the job as base64 text (django-tasks arguments are
JSON), rather than rebuilt by the job from the document id. That way the file recorded as sent is the
one the sender could preview at that moment; a rendering failure reaches the sender instead of a worker
log after the sending was recorded; and the job reads nothing from the database, so it behaves the same
on the database and Redis backends, like lib/mail.deliver_mail. The price is the PDF in the job row
(about 50 KB of base64 for a one-page invoice), dropped once the job has run.

With the database job backend the job row is written in the service's transaction: a refused or
rolled-back sending sends nothing.

The job keeps the EmailDelivery row current (lib/jobs.py has the rules): it claims the row (pending →
sending) before talking to the mail server and records the outcome right after, so a retry, or a job
queued again after a worker died, finds the row sent and sends nothing. A transient failure puts the row
back to pending with the time of the next attempt; a permanent one, or the last attempt, marks it failed
with the server's answer, and the document page offers to send it again (resend_delivery).
"""

import base64
import datetime
import logging
import zoneinfo
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from facturier.billing import events, issued, pdf
from facturier.billing.models import DeliveryStatus, Document, EmailDelivery
from facturier.billing.services import documents
from facturier.billing.services.billing_settings import (
    default_email_templates,
    render_email_template,
    settings_for,
)
from facturier.billing.services.clients import check_email
from facturier.lib import jobs, mail
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable

# The same document is not sent again within this delay unless the sender insists (force).
RESEND_DELAY = datetime.timedelta(days=3)
MAX_ADDRESSES_LENGTH = EmailDelivery._meta.get_field("to").max_length or 500
MAX_SUBJECT_LENGTH = EmailDelivery._meta.get_field("subject").max_length or 300


logger = logging.getLogger(__name__)


@task()
def deliver_document(
    from_email: str,
    to: list[str],
    cc: list[str],
    reply_to: list[str],
    subject: str,
    body: str,
    filename: str,
    pdf_base64: str,
    delivery_id: int | None = None,
    attempt: int = 1,
) -> str:
    """The job: one attempt at sending one document (see the module's docstring). `delivery_id` is None
    only for jobs queued before deliveries kept their state: those are sent once, as before."""
    # No row (an old job without delivery_id): the updates below change nothing.
    deliveries = EmailDelivery.objects.filter(pk=delivery_id or 0)
    if delivery_id is not None and not deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, attempts=attempt, next_attempt_at=None
    ):
        return "nothing to do"  # sent, given up or deleted since: never sent twice
    message = EmailMessage(subject, body, from_email, to, cc=cc, reply_to=reply_to)
    message.attach(filename, base64.b64decode(pdf_base64), "application/pdf")
    try:
        message.send()
    except Exception as error:
        reason = mail.failure_reason(error)
        when = mail.retry_after_failure(error, attempt)
        if when is not None and delivery_id is not None and jobs.can_defer(deliver_document):
            deliveries.update(status=DeliveryStatus.PENDING, next_attempt_at=when, error=reason)
            jobs.enqueue_at(
                deliver_document,
                when,
                from_email=from_email,
                to=to,
                cc=cc,
                reply_to=reply_to,
                subject=subject,
                body=body,
                filename=filename,
                pdf_base64=pdf_base64,
                delivery_id=delivery_id,
                attempt=attempt + 1,
            )
            logger.warning("Email delivery %s failed, tried again at %s: %s", delivery_id, when, reason)
            return f"retry at {when.isoformat()}: {reason}"
        deliveries.update(status=DeliveryStatus.FAILED, error=reason)
        logger.error("Email delivery %s failed after %d attempt(s): %s", delivery_id, attempt, reason)
        if delivery_id is not None:
            documents.unmark_sent_after_failed_email(delivery_id)
        raise
    deliveries.update(status=DeliveryStatus.SENT, delivered_at=timezone.now(), error="")
    return "sent"


@jobs.on_interrupted(deliver_document, time_limit=datetime.timedelta(minutes=10))
def _document_interrupted(*, delivery_id: int | None = None, **call: object) -> bool:
    """A worker died while running the job: queued again if it had not started sending; failed if it
    was talking to the mail server (whether the message left is unknown: the sender decides)."""
    deliveries = EmailDelivery.objects.filter(pk=delivery_id or 0)
    if deliveries.filter(status=DeliveryStatus.PENDING).exists():
        return True
    failed = deliveries.filter(status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.FAILED,
        error=_(
            "Envoi interrompu : il est peut-être parti. Vérifiez auprès du destinataire avant de renvoyer."
        ),
    )
    if failed and delivery_id is not None:
        documents.unmark_sent_after_failed_email(delivery_id)
    return False


def check_addresses(addresses: list[str], field: str, *, required: bool) -> list[str]:
    """The addresses, each checked, or a ServiceError naming the first bad one."""
    if required and not addresses:
        raise ServiceError(_("Indiquez au moins une adresse email."), field=field)
    for address in addresses:
        try:
            check_email(address)
        except ValidationError as error:
            raise ServiceError(error.messages[0], field=field) from None
    if len(", ".join(addresses)) > MAX_ADDRESSES_LENGTH:
        raise ServiceError(_("Trop d'adresses : envoyez en plusieurs fois."), field=field)
    return addresses


def default_recipients(document: Document) -> tuple[str, str]:
    """To: the document's own addresses, else the client's email; cc: the client's copy addresses."""
    return document.email_to or document.client.email, document.client.cc_emails


def default_message(document: Document) -> tuple[str, str]:
    """Subject and body from the account's templates (Paramètres > Facturation), or the default wording,
    in the document's language, with {number}, {client}, {amount}, {due_date}, {account} filled in."""
    billing = settings_for(document.account)
    fmt = pdf.Formatter(document.language, document.currency)
    values = {
        "number": document.number,
        "client": document.buyer_name or document.client.name,
        "amount": fmt.money(document.amount_due),
        "due_date": fmt.date(document.due_date),
        "account": pdf.seller_identity(document, billing)["name"],
    }
    with translation.override(document.language):
        default_subject, default_body = default_email_templates()
    subject = render_email_template(billing.email_subject_template or default_subject, values)
    body = render_email_template(billing.email_body_template or default_body, values)
    return subject, body


def _sender(document: Document) -> str:
    # The platform's address (the one SPF and DKIM cover), under the seller's name.
    name = pdf.seller_identity(document, settings_for(document.account))["name"]
    return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def _when(document: Document, moment: datetime.datetime) -> str:
    local = timezone.localtime(moment, zoneinfo.ZoneInfo(document.account.time_zone))
    return formats.date_format(local, "DATETIME_FORMAT")


def recently_emailed(document: Document) -> datetime.datetime | None:
    """When the document was last emailed, if that was less than RESEND_DELAY ago. Its emails count, not
    `sent_at`: a document only marked "sent" (handed over by other means) has had none, and its first
    email needs no insisting."""
    last = (
        EmailDelivery.objects.filter(document_id=document.pk)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return last if last is not None and timezone.now() - last < RESEND_DELAY else None


@transaction.atomic
def send_document(
    actor: Actor,
    document: Document,
    *,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    force: bool = False,
) -> EmailDelivery:
    """Email an issued document with its PDF attached; record the delivery, mark the document sent.

    Refuses drafts (issue them first), and a document sent less than 3 days ago unless `force`, so a
    double click or a forgotten earlier sending does not reach the client twice.
    """
    actor.require("sales.edit")
    ensure_writable(document.account)
    # Locked so two sendings at the same moment see each other's delivery.
    locked = (
        Document.objects.select_for_update()
        .only("id", "status", "sent_at", "test", "language")
        .get(pk=document.pk)
    )
    if locked.is_draft:
        raise ServiceError(_("Ce document est un brouillon : émettez-le avant de l'envoyer."))
    last_email = recently_emailed(document)
    if not force and last_email:
        raise ServiceError(
            _(
                "Ce document a déjà été envoyé le %(when)s. Cochez « Envoyer quand même » pour l'envoyer "
                "à nouveau."
            )
            % {"when": _when(document, last_email)},
            field="force",
        )
    to = check_addresses(to, "to", required=True)
    cc = check_addresses(cc, "cc", required=False)
    subject = " ".join(subject.split())  # a header holds one line
    if not subject:
        raise ServiceError(_("Indiquez l'objet du message."), field="subject")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise ServiceError(
            _("L'objet est trop long (%(max)d caractères au plus).") % {"max": MAX_SUBJECT_LENGTH},
            field="subject",
        )
    if not body.strip():
        raise ServiceError(_("Écrivez le message."), field="body")
    if locked.test:
        subject, body = _marked_as_test(subject, body, locked.language)

    delivery = EmailDelivery.objects.create(
        account=document.account,
        document=document,
        to=", ".join(to),
        cc=", ".join(cc),
        subject=subject,
        body=body,
        sent_by=actor.user,
        # A document never sent before is sent only as long as this email goes or is being tried.
        marked_document_sent=locked.sent_at is None,
    )
    documents.mark_sent(actor, document, by_email=True)
    audit.record(
        actor,
        document.account,
        "document.sent",
        target=document.number,
        summary=", ".join(to + cc),
        changes={"to": to, "cc": cc, "subject": subject, "forced": bool(force and last_email)},
    )
    _queue(actor, document, delivery)
    return delivery


def _marked_as_test(subject: str, body: str, language: str) -> tuple[str, str]:
    """A test document's e-mail says what it is in its subject and first line, whatever was written: it
    must never reach anyone as a real invoice (its PDF carries the same mark)."""
    with translation.override(language):
        mark = _("Document de test – sans valeur légale")
    if mark not in subject:
        subject = f"[{mark}] {subject}"[:MAX_SUBJECT_LENGTH]
    if not body.startswith(mark):
        body = f"{mark}\n\n{body}"
    return subject, body


def _attachment(document: Document) -> bytes:
    """The kept PDF, or the file an app answers with instead (einvoice: the Factur-X, when attached)."""
    answers = events.email_attachment.send(sender=Document, document=document)
    for _receiver, answer in answers:
        if isinstance(answer, bytes):
            return answer
    return issued.issued_pdf(document)


def _queue(actor: Actor, document: Document, delivery: EmailDelivery) -> None:
    deliver_document.enqueue(
        from_email=_sender(document),
        to=_addresses(delivery.to),
        cc=_addresses(delivery.cc),
        reply_to=[actor.user.email] if actor.user else [],
        subject=delivery.subject,
        body=delivery.body or default_message(document)[1],
        filename=pdf.pdf_filename(document),
        pdf_base64=base64.b64encode(_attachment(document)).decode("ascii"),
        delivery_id=delivery.pk,
    )


def _addresses(joined: str) -> list[str]:
    return [address.strip() for address in joined.split(",") if address.strip()]


@transaction.atomic
def resend_delivery(actor: Actor, delivery: EmailDelivery) -> EmailDelivery:
    """Send a failed delivery again, as it was written, to the same addresses (the "Renvoyer" button).

    Only a failed delivery can be sent again this way (a pending one is still being tried); the attempts
    start afresh.
    """
    actor.require("sales.edit")
    ensure_writable(delivery.account)
    # The document first, as sending and a failing job lock it before its emails.
    never_sent = (
        Document.objects.select_for_update().values_list("sent_at", flat=True).get(pk=delivery.document_id)
        is None
    )
    locked = EmailDelivery.objects.select_for_update().select_related("document").get(pk=delivery.pk)
    if locked.status != DeliveryStatus.FAILED:
        raise ServiceError(_("Cet envoi n'est pas en échec : il n'y a rien à renvoyer."))
    document = locked.document
    locked.status, locked.attempts, locked.next_attempt_at, locked.error = DeliveryStatus.PENDING, 0, None, ""
    locked.marked_document_sent = never_sent
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "error", "marked_document_sent"])
    if never_sent:
        documents.mark_sent(actor, document, by_email=True)
    audit.record(
        actor,
        document.account,
        "document.resent",
        target=document.number,
        summary=", ".join(filter(None, [locked.to, locked.cc])),
        changes={"delivery": locked.pk, "to": locked.to, "cc": locked.cc, "subject": locked.subject},
    )
    _queue(actor, document, locked)
    return locked
