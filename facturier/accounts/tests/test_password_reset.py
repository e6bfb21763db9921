import re

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from facturier.accounts import services as accounts_services
from facturier.accounts.models import User
from facturier.conftest import PASSWORD
from facturier.tenancy import services as tenancy_services
from facturier.tenancy.access import Actor
from facturier.tenancy.models import ApiToken, AuditEvent, Membership
from facturier.tenancy.services import create_api_token, resolve_api_token

RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "une-toute-nouvelle-phrase-de-passe"


def link_in(message) -> str:
    """The path of the set-password link in an email."""
    match = re.search(
        re.escape(settings.FACTURIER_BASE_URL) + r"(/password-reset/[^/\s]+/[^/\s]+/)", message.body
    )
    assert match, message.body
    return match.group(1)


def without_csrf(html: bytes) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html.decode())


def choose_password(client, link, password=NEW_PASSWORD):
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"], "the link should open the form"
    return form_page, client.post(
        form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )


def test_the_reset_email_link_lets_the_user_choose_a_new_password(client, owner):
    response = client.post(RESET, {"email": "OLIVIA@acme.test"})

    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["olivia@acme.test"]
    assert message.subject == "Choisir un nouveau mot de passe sur Facturier"

    form_page, done = choose_password(client, link_in(message))

    assert "Nouveau mot de passe" in form_page.content.decode()
    assert done.status_code == 302 and done.url == reverse("accounts:password_reset_done")
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    login = client.post(reverse("accounts:login"), {"email": owner.email, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_a_used_link_gets_a_clear_page(client, owner):
    client.post(RESET, {"email": owner.email})
    link = link_in(mail.outbox[0])
    choose_password(client, link)

    response = client.get(link, follow=True)

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "Ce lien n'est pas ou plus valable" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_a_forged_link_gets_a_clear_page(client, owner):
    response = client.get(reverse("accounts:password_reset_confirm", args=["Mg", "abc-123"]))

    assert response.status_code == 200
    assert response.context["validlink"] is False


def test_the_reset_page_does_not_reveal_whether_an_email_has_a_user(client, owner):
    known = client.post(RESET, {"email": owner.email}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.test"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert without_csrf(known.content) == without_csrf(unknown.content)
    assert "Si un compte existe pour cette adresse" in unknown.content.decode()
    assert [m.to for m in mail.outbox] == [["olivia@acme.test"]]


def test_an_inactive_user_gets_no_reset_email(client, owner):
    User.objects.filter(pk=owner.pk).update(is_active=False)

    client.post(RESET, {"email": owner.email})

    assert mail.outbox == []


def test_the_reset_email_is_in_the_users_language(client, owner, monkeypatch):
    User.objects.filter(pk=owner.pk).update(language="en")
    sent = []
    monkeypatch.setattr(
        accounts_services,
        "send_templated_mail",
        lambda template, to, context, language: sent.append(language),
    )

    client.post(RESET, {"email": owner.email})

    assert sent == ["en"]


def test_a_weak_new_password_is_refused(client, owner):
    client.post(RESET, {"email": owner.email})

    _form_page, response = choose_password(client, link_in(mail.outbox[0]), password="123")

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_an_invited_user_chooses_their_password_from_the_invitation_and_logs_in(client, acme, owner):
    actor = Actor(user=owner, membership=Membership.objects.get(account=acme, user=owner))
    tenancy_services.add_member(actor, acme, email="ines@acme.test", role="member")
    invited = User.objects.get(email="ines@acme.test")
    assert not invited.has_usable_password()

    form_page, done = choose_password(client, link_in(mail.outbox[0]))

    assert "Choisissez votre mot de passe" in form_page.content.decode()
    assert done.url == reverse("accounts:password_reset_done")
    login = client.post(reverse("accounts:login"), {"email": "ines@acme.test", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert client.session[SESSION_KEY] == str(invited.pk)
    assert client.get(reverse("accounts:home")).url == reverse("web:dashboard", kwargs={"slug": "acme"})


def test_an_invited_user_who_lost_the_email_can_ask_for_a_new_link(client, acme, owner):
    actor = Actor(user=owner, membership=Membership.objects.get(account=acme, user=owner))
    tenancy_services.add_member(actor, acme, email="ines@acme.test", role="member")

    client.post(RESET, {"email": "ines@acme.test"})

    assert len(mail.outbox) == 2
    _form_page, done = choose_password(client, link_in(mail.outbox[1]))
    assert done.status_code == 302
    assert User.objects.get(email="ines@acme.test").check_password(NEW_PASSWORD)


def reset_with(client, owner, **extra):
    client.post(RESET, {"email": owner.email})
    form_page = client.get(link_in(mail.outbox[-1]), follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **extra},
        follow=True,
    )
    return form_page, done


def test_a_reset_revokes_the_api_tokens_when_left_checked(client, owner, acme):
    token = create_api_token(
        Actor(user=owner, membership=Membership.objects.get(account=acme, user=owner)),
        Membership.objects.get(account=acme, user=owner),
    )[1]

    form_page, done = reset_with(client, owner, revoke_tokens="on")

    assert 'name="revoke_tokens"' in form_page.content.decode()
    assert form_page.context["form"]["revoke_tokens"].initial is True  # checked unless unticked
    assert [str(message) for message in done.context["messages"]] == ["1 jeton d'API révoqué."]
    assert resolve_api_token(token) is None
    assert not ApiToken.objects.filter(membership__user=owner, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(account=acme, action="token.revoked").count() == 1


def test_unticked_the_reset_keeps_the_api_tokens(client, owner, acme):
    membership = Membership.objects.get(account=acme, user=owner)
    token = create_api_token(Actor(user=owner, membership=membership), membership)[1]

    reset_with(client, owner)  # an unticked box sends nothing

    assert resolve_api_token(token) is not None
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


def test_a_user_without_tokens_is_not_offered_the_choice(client, owner):
    form_page, _done = reset_with(client, owner)

    assert "revoke_tokens" not in form_page.content.decode()
