"""Emails: rendered at once in the recipient's language, delivered by the job worker.

Queuing through django-tasks keeps a slow or failing SMTP server out of the request; with the database
backend the job row is written in the caller's transaction, so a rolled-back change sends nothing.
"""

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task


@task()
def deliver_mail(to: list[str], subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def send_templated_mail(template: str, to: str, context: dict[str, Any], language: str = "fr") -> None:
    """Render templates/emails/<template>_subject.txt and <template>.txt, and queue the message."""
    context = {"base_url": settings.FACTURIER_BASE_URL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/{template}.txt", context)
    deliver_mail.enqueue(to=[to], subject=subject, body=body)
