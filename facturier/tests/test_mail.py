"""Plain-text emails say names as they are written: no HTML escaping in a message that is not HTML."""

from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from facturier.accounts.models import User
from facturier.lib.mail import render_text
from facturier.tenancy.models import Account

NAME = "Atelier d'architecture Roux & <Fils>"


def test_an_invitation_writes_the_account_and_inviter_names_as_typed(owner_client, owner, acme):
    Account.objects.filter(pk=acme.pk).update(name=NAME)
    User.objects.filter(pk=owner.pk).update(first_name='Olivia "Liv"', last_name="O'Brien")

    response = owner_client.post(
        reverse("tenancy:user_add", args=["acme"]),
        {"email": "invitee@acme.test", "role": "member", "how": "invite"},
    )

    assert response.status_code == 302
    [message] = mail.outbox
    assert NAME in message.subject
    assert f"« {NAME} »" in message.body
    assert 'Olivia "Liv" O\'Brien' in message.body
    text = f"{message.subject}\n{message.body}"
    assert "&#x27;" not in text and "&amp;" not in text and "&lt;" not in text and "&quot;" not in text


def test_text_rendering_leaves_html_rendering_escaped(acme):
    context = {"account": Account(name=NAME), "firm": Account(name="Cabinet <b>"), "plan": "PRO"}

    text = render_text("emails/firm_client_account_created.txt", context)
    entry = {"name": NAME, "slug": "atelier", "dashboard_url": "/atelier/"}
    page = render_to_string("web/_switcher_results.html", {"switcher_results": [entry]})

    assert f"« {NAME} »" in text and "« Cabinet <b> »" in text
    # HTML keeps Django's escaping, after as before a text rendering.
    assert "Atelier d&#x27;architecture Roux &amp; &lt;Fils&gt;" in page
