import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from facturier.accounts import services
from facturier.accounts.models import User
from facturier.conftest import PASSWORD, make_account
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership

SIGNUP = reverse("accounts:signup")


def form_data(**overrides):
    return {
        "company_name": "Boulangerie Gâteau & Fils",
        "slug": "boulangerie-gateau",
        "email": "Paul@Gateau.test",
        **overrides,
    }


def without_csrf(html: bytes) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html.decode())


def confirm_link(message) -> str:
    match = re.search(re.escape(settings.FACTURIER_BASE_URL) + r"(/signup/confirm/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def sign_up(client, password=PASSWORD, **overrides):
    """Both steps: the form, then the emailed link with the password. The answer of the second."""
    assert client.post(SIGNUP, form_data(**overrides)).status_code == 302
    link = confirm_link(mail.outbox[-1])
    page = client.get(link)
    assert page.status_code == 200
    return client.post(link, {"slug": page.context["form"]["slug"].value(), "password": password})


def test_the_first_step_emails_a_link_and_creates_nothing_yet(client, db):
    response = client.post(SIGNUP, form_data())

    assert response.status_code == 302 and response.url == reverse("accounts:signup_sent")
    assert not User.objects.exists() and not Account.objects.exists()
    [message] = mail.outbox
    assert message.to == ["paul@gateau.test"]
    assert message.subject == "Terminer la création de votre compte Facturier"
    assert "Boulangerie Gâteau" in message.body
    assert "Vérifiez votre messagerie" in client.get(response.url).content.decode()


def test_the_link_creates_the_user_and_a_free_account_they_own_and_logs_them_in(client, db):
    client.post(SIGNUP, form_data())
    link = confirm_link(mail.outbox[0])
    page = client.get(link)
    assert "paul@gateau.test" in page.content.decode()

    response = client.post(
        link, {"slug": "boulangerie-gateau", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 302
    assert response.url == reverse("web:dashboard", kwargs={"slug": "boulangerie-gateau"})
    user = User.objects.get(email="paul@gateau.test")
    assert user.check_password(PASSWORD)
    account = Account.objects.get(slug="boulangerie-gateau")
    assert account.name == "Boulangerie Gâteau & Fils"
    assert account.plan == plans.FREE
    membership = Membership.objects.get(account=account)
    assert membership.user == user and membership.is_owner and membership.role == permissions.ROLE_ADMIN
    event = AuditEvent.objects.get(account=account)
    assert event.action == "account.created" and event.actor == user and event.ip == "203.0.113.9"
    # Logged in: the dashboard opens.
    assert client.get(response.url).status_code == 200


def test_a_known_email_gets_the_same_answer_and_an_email_saying_so(client, owner):
    unknown = client.post(SIGNUP, form_data(email="new@acme.test"))
    known = client.post(SIGNUP, form_data(email=" OLIVIA@acme.test "))

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert without_csrf(client.get(known.url).content) == without_csrf(client.get(unknown.url).content)
    message = mail.outbox[1]
    assert message.to == ["olivia@acme.test"]
    assert message.subject == "Vous avez déjà un identifiant Facturier"
    assert settings.FACTURIER_BASE_URL + reverse("accounts:login") in message.body
    assert settings.FACTURIER_BASE_URL + reverse("accounts:password_reset") in message.body
    assert "/signup/confirm/" not in message.body
    assert User.objects.filter(email="olivia@acme.test").count() == 1
    assert not Account.objects.filter(slug="boulangerie-gateau").exists()


def test_a_used_link_says_the_account_exists(client, db):
    sign_up(client)
    link = confirm_link(mail.outbox[0])
    client.logout()

    response = client.get(link)

    assert response.context["done"] is True
    assert "Ce lien a déjà servi" in response.content.decode()
    assert client.post(link, {"slug": "autre", "password": PASSWORD}).context["done"] is True
    assert User.objects.count() == 1 and Account.objects.count() == 1


def test_a_forged_or_expired_link_gets_a_clear_page(client, db):
    client.post(SIGNUP, form_data())
    link = confirm_link(mail.outbox[0])

    forged = client.get(reverse("accounts:signup_confirm", args=["abc:def"]))
    with time_machine.travel(datetime.timedelta(days=3, minutes=1)):
        expired = client.get(link)

    for response in (forged, expired):
        assert response.status_code == 200
        assert response.context["validlink"] is False
        assert "Ce lien n'est pas ou plus valable" in response.content.decode()


def test_the_new_user_keeps_the_language_they_signed_up_in(client, db):
    client.post(SIGNUP, form_data(), HTTP_ACCEPT_LANGUAGE="en")
    assert mail.outbox[0].subject == "Finish creating your Facturier account"
    link = confirm_link(mail.outbox[0])
    client.post(link, {"slug": "boulangerie-gateau", "password": PASSWORD})

    assert User.objects.get(email="paul@gateau.test").language == "en"


def test_an_empty_slug_is_proposed_from_the_company_name(client, db):
    response = sign_up(client, slug="")

    assert response.status_code == 302
    assert Account.objects.filter(slug="boulangerie-gateau-fils").exists()


def test_an_address_taken_between_the_two_steps_is_asked_again(client, owner):
    client.post(SIGNUP, form_data())
    link = confirm_link(mail.outbox[0])
    make_account("boulangerie-gateau", "Une autre", owner)

    refused = client.post(link, {"slug": "boulangerie-gateau", "password": PASSWORD})
    accepted = client.post(link, {"slug": "boulangerie-gateau-2", "password": PASSWORD})

    assert refused.context["form"].errors["slug"] == ["L'adresse « boulangerie-gateau » est déjà prise."]
    assert accepted.status_code == 302
    assert Account.objects.get(slug="boulangerie-gateau-2").name == "Boulangerie Gâteau & Fils"


@pytest.mark.parametrize(
    ("slug", "messages"),
    [
        (
            "a-",
            [
                "L'adresse doit contenir au moins 3 caractères.",
                "L'adresse ne peut ni commencer ni finir par un tiret.",
            ],
        ),
        ("x" * 41, ["L'adresse doit contenir au plus 40 caractères."]),
        (
            "Café",
            [
                "L'adresse ne peut contenir que des lettres minuscules sans accent, des chiffres et des tirets.",
            ],
        ),
        ("admin", ["« admin » est un mot réservé, choisissez une autre adresse."]),
        ("acme", ["L'adresse « acme » est déjà prise."]),
    ],
)
def test_it_gives_each_broken_slug_rule_its_own_message(client, acme, slug, messages):
    response = client.post(SIGNUP, form_data(slug=slug))

    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == messages
    assert not User.objects.filter(email="paul@gateau.test").exists()
    assert Account.objects.count() == 1


def test_it_refuses_a_weak_password(client, db):
    client.post(SIGNUP, form_data())
    link = confirm_link(mail.outbox[0])

    response = client.post(link, {"slug": "boulangerie-gateau", "password": "paul@gateau.test"})

    assert response.status_code == 200
    errors = response.context["form"].errors["password"]
    assert any("trop semblable" in error for error in errors)
    assert not User.objects.exists()


def test_a_taken_slug_leaves_no_user_behind(owner, acme):
    # The form checks the slug first; the service is the last line when two sign-ups race.
    with pytest.raises(ValidationError, match="déjà prise"):
        services.sign_up(email="paul@gateau.test", password=PASSWORD, company_name="Acme", slug="acme")

    assert not User.objects.filter(email="paul@gateau.test").exists()


def test_the_live_check_proposes_the_slug_from_the_name(client, db):
    response = client.get(SIGNUP, {"company_name": "Boulangerie Gâteau & Fils"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.templates[0].name == "accounts/_slug_field.html"
    assert 'value="boulangerie-gateau-fils"' in response.content.decode()
    assert response.context["slug_available"] is True


def test_the_live_check_keeps_a_slug_the_user_wrote_and_lists_its_problems(client, acme):
    response = client.get(
        SIGNUP,
        {"company_name": "Acme Bis", "slug": "acme", "proposed_slug": "acme-bis"},
        HTTP_HX_REQUEST="true",
    )

    assert response.context["slug_value"] == "acme"
    assert response.context["slug_errors"] == ["L'adresse « acme » est déjà prise."]
    assert Account.objects.count() == 1


def test_a_logged_in_user_is_sent_home_from_the_signup_page(owner_client):
    response = owner_client.get(SIGNUP)

    assert response.status_code == 302 and response.url == reverse("accounts:home")
