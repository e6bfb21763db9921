import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from facturier.accounts import services
from facturier.accounts.models import User
from facturier.conftest import PASSWORD
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership

SIGNUP = reverse("accounts:signup")


def form_data(**overrides):
    return {
        "company_name": "Boulangerie Gâteau & Fils",
        "slug": "boulangerie-gateau",
        "email": "Paul@Gateau.test",
        "password": PASSWORD,
        **overrides,
    }


def test_it_creates_the_user_and_a_free_account_they_own_and_logs_them_in(client, db):
    response = client.post(SIGNUP, form_data(), REMOTE_ADDR="203.0.113.9")

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


def test_the_new_user_keeps_the_language_they_signed_up_in(client, db):
    client.post(SIGNUP, form_data(), HTTP_ACCEPT_LANGUAGE="en")

    assert User.objects.get(email="paul@gateau.test").language == "en"


def test_an_empty_slug_is_proposed_from_the_company_name(client, db):
    response = client.post(SIGNUP, form_data(slug=""))

    assert response.status_code == 302
    assert Account.objects.filter(slug="boulangerie-gateau-fils").exists()


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


def test_it_invites_a_known_email_to_log_in_instead_of_creating_a_second_user(client, owner):
    response = client.post(SIGNUP, form_data(email=" OLIVIA@acme.test "))

    assert response.status_code == 200
    assert (
        "Un utilisateur existe déjà avec cette adresse email" in response.context["form"].errors["email"][0]
    )
    assert reverse("accounts:login") in response.content.decode()
    assert User.objects.filter(email="olivia@acme.test").count() == 1
    assert not Account.objects.filter(slug="boulangerie-gateau").exists()


def test_it_refuses_a_weak_password(client, db):
    response = client.post(SIGNUP, form_data(password="paul@gateau.test"))

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
