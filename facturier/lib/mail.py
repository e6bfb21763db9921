"""Emails: rendered at once in the recipient's language, delivered by the job worker.

Queuing through django-tasks keeps a slow or failing SMTP server out of the request; with the database
backend the job row is written in the caller's transaction, so a rolled-back change sends nothing.

Messages are plain text, so their templates are rendered without HTML escaping: « Atelier d'architecture
Roux » must not reach the reader as « Atelier d&#x27;architecture Roux ». Plain text cannot carry markup,
so nothing is lost. An HTML part, if one is ever added, is rendered with render_to_string, which escapes.
"""

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context, engines
from django.template.backends.django import DjangoTemplates
from django.utils import translation
from django_tasks import task


@task()
def deliver_mail(to: list[str], subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


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
