"""Emails: rendered at once in the recipient's language, delivered by the job worker.

Queuing through django-tasks keeps a slow or failing SMTP server out of the request; with the database
backend the job row is written in the caller's transaction, so a rolled-back change sends nothing.

Messages are plain text, so their templates are rendered without HTML escaping: « Atelier d'architecture
Roux » must not reach the reader as « Atelier d&#x27;architecture Roux ». Plain text cannot carry markup,
so nothing is lost. An HTML part, if one is ever added, is rendered with render_to_string, which escapes.

Delivery failures (lib/jobs.py): a transient one (the SMTP server unreachable, a 4xx answer) queues the
message again after a back-off; a permanent one (a 5xx refusal of the recipient or of the message) and
the last attempt fail the task at once, logged at ERROR: platform staff find those task rows in the
admin (Task results, state Failed). These messages (password reset, invitations) keep no other record,
so a worker killed while sending one marks it failed rather than risk sending it twice.
"""

import datetime
import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context, engines
from django.template.backends.django import DjangoTemplates
from django.utils import translation
from django_tasks import task

from facturier.lib import jobs

logger = logging.getLogger(__name__)


def permanent_failure(error: BaseException) -> bool:
    """An SMTP refusal that no retry can change: every recipient, or the message, refused with 5xx."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def failure_reason(error: BaseException) -> str:
    """The reason shown for a failed delivery: the server's answer, or the error's kind and text."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [
            f"{address} : {code} {_decode(message)}" for address, (code, message) in error.recipients.items()
        ]
        return "; ".join(answers)[:500]
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_decode(error.smtp_error)}"[:500]
    return (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)[:500]


def _decode(message: bytes | str) -> str:
    return message.decode("utf-8", errors="replace") if isinstance(message, bytes) else message


def retry_after_failure(error: BaseException, attempt: int) -> datetime.datetime | None:
    """When a delivery that failed with `error` at its `attempt`-th try is tried again (None: never)."""
    if permanent_failure(error) or not jobs.is_transient(error):
        return None
    return jobs.retry_at(attempt)


@task()
def deliver_mail(to: list[str], subject: str, body: str, attempt: int = 1) -> str:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception as error:
        when = retry_after_failure(error, attempt)
        if when is None or not jobs.can_defer(deliver_mail):
            logger.error(
                "Email %r to %s failed for good after %d attempt(s): %s",
                subject,
                ", ".join(to),
                attempt,
                failure_reason(error),
            )
            raise
        jobs.enqueue_at(deliver_mail, when, to=to, subject=subject, body=body, attempt=attempt + 1)
        logger.warning("Email %r to %s failed, tried again at %s: %s", subject, ", ".join(to), when, error)
        # The task itself ends well (its retry is queued); its result says what happened.
        return f"retry at {when.isoformat()}: {failure_reason(error)}"
    return "sent"


@jobs.on_interrupted(deliver_mail, time_limit=datetime.timedelta(minutes=10))
def _mail_interrupted(to: list[str], subject: str, body: str, attempt: int = 1) -> bool:
    # Nothing records whether the server took the message before the worker died: not sent again.
    logger.error(
        "Email %r to %s interrupted with its worker: it may not have been sent", subject, ", ".join(to)
    )
    return False


def render_text(template_name: str, context: dict[str, Any]) -> str:
    """A plain-text template rendered with autoescaping off (its {{ values }} written as they are)."""
    backend = engines["django"]
    assert isinstance(backend, DjangoTemplates)
    template = backend.engine.get_template(template_name)
    return template.render(Context(context, autoescape=False))


def send_templated_mail(template: str, to: str, context: dict[str, Any], language: str = "fr") -> None:
    """Render templates/emails/<template>_subject.txt and <template>.txt, and queue the message."""
    context = {"base_url": settings.FACTURIER_BASE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_text(f"emails/{template}_subject.txt", context).split())
        body = render_text(f"emails/{template}.txt", context)
    deliver_mail.enqueue(to=[to], subject=subject, body=body)
