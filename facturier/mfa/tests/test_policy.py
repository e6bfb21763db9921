"""Who must use a second factor: "2FA obligatoire" set by an account's administrator, and by a firm for
its staff and for every user of its client accounts. Those without one are sent to enrol at their next
login and reach no page of the account before they have."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from facturier.api.tests.conftest import Api, token_of
from facturier.conftest import logged_in, make_user
from facturier.mfa.tests.conftest import SECURITY, add_app, code_of, log_in, verified
from facturier.tenancy import permissions
from facturier.tenancy.models import Account, AuditEvent, Membership


def policy_url(slug):
    return reverse("mfa_settings:account_policy", args=[slug])


def dashboard(slug):
    return reverse("web:dashboard", args=[slug])


def verified_client(user):
    device, _codes = add_app(user)
    return verified(logged_in(user), device)


def enrol_through_the_page(client, frozen):
    """What a user sent to the Sécurité page does: add an app and type its code."""
    frozen.shift(datetime.timedelta(minutes=1))
    client.post(reverse("mfa:app_add"))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(confirmed=False).latest("pk")
    response = client.post(reverse("mfa:app_setup", args=[device.pk]), {"code": code_of(device), "name": ""})
    assert response.status_code == 302, response.context["form"].errors
    return response


def assert_sent_to_enrol(client, *urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url == SECURITY, url


# --- An account's administrator ------------------------------------------------------------------


def test_an_administrator_secures_themselves_before_requiring_it(owner_client, owner, acme):
    response = owner_client.post(policy_url("acme"), {"second_factor_required": "on"})

    assert response.status_code == 200
    assert (
        "Activez d'abord la double authentification pour vous-même"
        in response.context["form"].non_field_errors()[0]
    )
    acme.refresh_from_db()
    assert acme.second_factor_required is False
    assert not AuditEvent.objects.filter(action="account.second_factor_changed").exists()


def test_an_administrator_requires_it_and_members_enrol_at_next_login(owner, acme, collaborator, frozen):
    admin = verified_client(owner)

    response = admin.post(policy_url("acme"), {"second_factor_required": "on"})

    assert response.status_code == 302 and response.url == policy_url("acme")
    acme.refresh_from_db()
    assert acme.second_factor_required is True
    event = AuditEvent.objects.get(account=acme, action="account.second_factor_changed")
    assert event.actor == owner and event.changes == {"second_factor_required": [False, True]}
    assert admin.get(dashboard("acme")).status_code == 200  # the administrator has one

    browser = Client()
    log_in(browser, collaborator)
    assert_sent_to_enrol(
        browser, reverse("accounts:home"), dashboard("acme"), reverse("accounts:profile"), "/acme/settings/"
    )
    page = browser.get(SECURITY)
    assert page.context["must_enrol"] is True and "ACME SAS" in page.content.decode()
    assert "La double authentification est obligatoire pour continuer." in page.content.decode()

    enrol_through_the_page(browser, frozen)

    assert browser.get(dashboard("acme")).status_code == 200
    assert len(browser.get(SECURITY).context["new_codes"]) == 10


def test_sessions_opened_before_the_requirement_stop_at_the_account_pages(owner, acme, collaborator, frozen):
    colin = logged_in(collaborator)
    assert colin.get(dashboard("acme")).status_code == 200

    verified_client(owner).post(policy_url("acme"), {"second_factor_required": "on"})

    assert_sent_to_enrol(colin, dashboard("acme"), reverse("billing:document_list", args=["acme"]))
    assert colin.post(reverse("billing:client_new", args=["acme"]), {"name": "X"})["Location"] == SECURITY


def test_an_outsider_still_gets_a_404_not_the_enrolment_page(outsider_client, owner, acme, frozen):
    Account.objects.filter(pk=acme.pk).update(second_factor_required=True)

    assert outsider_client.get(dashboard("acme")).status_code == 404


def test_turning_the_requirement_off_frees_members_at_their_security_page(owner, acme, collaborator, frozen):
    admin = verified_client(owner)
    admin.post(policy_url("acme"), {"second_factor_required": "on"})
    colin = Client()
    log_in(colin, collaborator)
    assert_sent_to_enrol(colin, dashboard("acme"))

    response = admin.post(policy_url("acme"), {})

    assert response.status_code == 302, response.context["form"].errors
    assert colin.get(SECURITY).context["must_enrol"] is False
    assert colin.get(dashboard("acme")).status_code == 200
    assert AuditEvent.objects.filter(action="account.second_factor_changed").count() == 2


def test_the_settings_page_lists_members_without_a_second_factor(owner, acme, collaborator, frozen):
    page = verified_client(owner).get(policy_url("acme"))

    assert [m.user for m in page.context["members_without"]] == [collaborator]
    assert page.context["is_firm"] is False
    assert "second_factor_required_in_client_accounts" not in page.content.decode()


def test_only_administrators_open_the_page(collaborator_client, acme):
    assert collaborator_client.get(policy_url("acme")).status_code == 403
    assert collaborator_client.post(policy_url("acme"), {"second_factor_required": "on"}).status_code == 403
    acme.refresh_from_db()
    assert acme.second_factor_required is False


def test_only_a_firm_requires_it_in_client_accounts(owner, acme, frozen):
    verified_client(owner).post(
        policy_url("acme"),
        {"second_factor_required": "on", "second_factor_required_in_client_accounts": "on"},
    )

    acme.refresh_from_db()
    assert acme.second_factor_required is True and acme.second_factor_required_in_client_accounts is False


def test_api_tokens_keep_working_for_members_who_have_not_enrolled(owner, acme, collaborator, frozen):
    api = Api(token_of(collaborator, acme))
    Account.objects.filter(pk=acme.pk).update(second_factor_required=True)

    assert api.get("/account.json").status_code == 200


# --- A firm ----------------------------------------------------------------------------------------


@pytest.fixture
def client_account(acme, firm, firm_accountant, collaborator):
    """acme as a client account of the firm: its owner and collaborator, and the firm's partner as staff."""
    Account.objects.filter(pk=acme.pk).update(managed_by=firm)
    return acme


def test_a_firm_requires_it_and_every_user_of_its_client_accounts_is_asked_to_enrol(
    client_account, firm, firm_accountant, owner, collaborator, outsider, frozen
):
    """The issue's "Done when": a firm turns on "2FA obligatoire" and every user of its client accounts is
    asked to enrol at next login."""
    partner = verified_client(firm_accountant)
    other_client = Account.objects.create(slug="boulangerie", name="Boulangerie Roux", managed_by=firm)
    baker = make_user("rose@boulangerie.test")
    Membership.objects.create(account=other_client, user=baker, role=permissions.ROLE_ADMIN, is_owner=True)

    response = partner.post(policy_url("cabinet-dupont"), {"second_factor_required_in_client_accounts": "on"})

    assert response.status_code == 302
    firm.refresh_from_db()
    assert firm.second_factor_required_in_client_accounts and not firm.second_factor_required
    for user, slug in ((owner, "acme"), (collaborator, "acme"), (baker, "boulangerie")):
        browser = Client()
        log_in(browser, user)
        assert_sent_to_enrol(browser, reverse("accounts:home"), dashboard(slug))
        assert browser.get(SECURITY).context["requiring"] == [Account.objects.get(slug=slug)]
    # Users of other accounts are not concerned.
    outsider_browser = Client()
    log_in(outsider_browser, outsider)
    assert outsider_browser.get(dashboard("globex")).status_code == 200
    # The client account's own settings say who asks for it.
    enrolled_owner = verified_client(owner)
    assert (
        "Votre cabinet comptable, Cabinet Dupont, exige"
        in enrolled_owner.get(policy_url("acme")).content.decode()
    )


def test_a_firm_requiring_it_of_its_staff_stops_them_in_client_accounts_too(
    client_account, firm, owner, frozen
):
    partner = verified_client(owner_of(firm))
    staff = make_user("bruno@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=staff, role=permissions.ROLE_ACCOUNTANT)
    Membership.objects.create(account=client_account, user=staff, role=permissions.ROLE_ACCOUNTANT, firm=firm)
    bruno = logged_in(staff)

    partner.post(policy_url("cabinet-dupont"), {"second_factor_required": "on"})

    assert_sent_to_enrol(bruno, dashboard("cabinet-dupont"), dashboard("acme"))
    # The client company's own users are not the firm's staff: the firm's first switch leaves them be.
    assert logged_in(owner).get(dashboard("acme")).status_code == 200


def owner_of(account):
    return Membership.objects.get(account=account, is_owner=True).user
