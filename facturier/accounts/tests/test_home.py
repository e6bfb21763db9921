import datetime

from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from facturier.conftest import logged_in, make_account, make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership

HOME = reverse("accounts:home")
ACCOUNT_LIST = reverse("accounts:account_list")


def dashboard(slug):
    return reverse("web:dashboard", kwargs={"slug": slug})


def test_an_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(HOME)

    assert response.status_code == 302 and response.url == reverse("accounts:login")


def test_a_user_with_one_account_goes_to_its_dashboard(owner_client):
    response = owner_client.get(HOME)

    assert response.status_code == 302 and response.url == dashboard("acme")


def test_a_user_goes_back_to_the_account_they_used_last(firm_client, firm_accountant):
    Membership.objects.filter(user=firm_accountant, account__slug="acme").update(
        last_used_at=timezone.now() - datetime.timedelta(days=2)
    )
    Membership.objects.filter(user=firm_accountant, account__slug="cabinet-dupont").update(
        last_used_at=timezone.now() - datetime.timedelta(days=1)
    )

    response = firm_client.get(HOME)

    assert response.url == dashboard("cabinet-dupont")


def test_opening_an_account_makes_it_the_one_used_last(firm_client):
    firm_client.get(dashboard("cabinet-dupont"))
    firm_client.get(dashboard("acme"))

    assert firm_client.get(HOME).url == dashboard("acme")


def test_a_user_with_several_accounts_never_opened_gets_the_list(firm_client):
    response = firm_client.get(HOME)

    assert response.status_code == 302 and response.url == ACCOUNT_LIST


def test_a_user_without_account_is_told_so(db):
    client = logged_in(make_user("nobody@example.test"))

    response = client.get(HOME)

    assert response.status_code == 200
    assert "n'a accès à aucun compte" in response.content.decode()
    assert reverse("accounts:logout") in response.content.decode()


def test_the_account_list_shows_each_account_with_role_and_plan(firm_client):
    response = firm_client.get(ACCOUNT_LIST)

    assert response.status_code == 200
    rows = [(m.account.slug, m.role_label, m.is_owner) for m in response.context["memberships"]]
    assert rows == [("acme", "Comptable", False), ("cabinet-dupont", "Administrateur", True)]
    html = response.content.decode()
    assert f'href="{dashboard("acme")}"' in html and "Comptabilité" in html and "PRO" in html


def test_the_account_list_takes_the_same_queries_however_many_accounts(
    owner, acme, django_assert_num_queries
):
    client = logged_in(owner)
    # session, user, the list itself (the top bar's switcher reads its list when opened)
    with django_assert_num_queries(3):
        assert client.get(ACCOUNT_LIST).status_code == 200

    for n in range(6):
        account = make_account(f"client-{n}", f"Client {n}", make_user(f"boss{n}@example.test"))
        Membership.objects.create(account=account, user=owner, role=permissions.ROLE_MEMBER)
    with django_assert_num_queries(3):
        response = client.get(ACCOUNT_LIST)
    assert len(response.context["memberships"]) == 7


def test_the_account_list_needs_a_login(client, db):
    response = client.get(ACCOUNT_LIST)

    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_logout_is_refused_on_get(owner_client):
    response = owner_client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert SESSION_KEY in owner_client.session


def test_logout_ends_the_session_and_says_so(owner_client):
    response = owner_client.post(reverse("accounts:logout"), follow=True)

    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert "Vous êtes déconnecté." in response.content.decode()
    assert SESSION_KEY not in owner_client.session
    assert owner_client.get(dashboard("acme")).status_code == 302
