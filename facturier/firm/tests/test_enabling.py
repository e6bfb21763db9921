import html

import pytest
from django.urls import reverse

from facturier.conftest import logged_in, make_account, make_user
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership


def text(response) -> str:
    return html.unescape(response.content.decode())


def settings_url(slug: str) -> str:
    return reverse("tenancy:account", kwargs={"slug": slug})


def dashboard_url(slug: str) -> str:
    return reverse("web:dashboard", kwargs={"slug": slug})


ENABLE = {"section": "firm_module", "firm_module_enabled": "on"}
DISABLE = {"section": "firm_module"}
BUTTONS = ("Ajouter une nouvelle compagnie", "Comptes clients")


@pytest.fixture
def partner_client(firm):
    return logged_in(Membership.objects.get(account=firm, is_owner=True).user)


@pytest.fixture
def new_firm(db) -> Account:
    """An account on the accounting plan that has not turned the module on yet."""
    return make_account(
        "cabinet-neuf", "Cabinet Neuf", make_user("nina@cabinet-neuf.test"), plan=plans.ACCOUNTING
    )


@pytest.fixture
def new_firm_client(new_firm):
    return logged_in(Membership.objects.get(account=new_firm).user)


# --- The option in "Votre compte" ---------------------------------------------------------------


def test_an_accounting_plan_account_sees_the_option_it_can_turn_on(new_firm_client):
    response = new_firm_client.get(settings_url("cabinet-neuf"))

    assert response.status_code == 200
    page = text(response)
    assert "Comptabilité et Exports" in page and "Module dédié aux cabinets comptables" in page
    assert '<input type="checkbox" name="firm_module_enabled" id="id_firm_module_enabled"' in page
    assert "Disponible avec la formule Comptabilité" not in page


def test_another_plan_sees_the_option_disabled_with_how_to_get_it(owner_client):
    response = owner_client.get(settings_url("acme"))

    assert response.status_code == 200
    page = text(response)
    assert "Module dédié aux cabinets comptables" in page
    assert (
        "Disponible avec la formule Comptabilité (votre formule : PRO). Pour en changer, contactez le support."
        in page
    )
    form = page[page.index('name="section" value="firm_module"') :]
    assert form.index("<fieldset disabled>") < form.index('name="firm_module_enabled"')


def test_turning_the_option_on_saves_it_audits_it_and_shows_the_dashboard_buttons(new_firm, new_firm_client):
    assert not any(label in new_firm_client.get(dashboard_url("cabinet-neuf")).text for label in BUTTONS)

    response = new_firm_client.post(settings_url("cabinet-neuf"), ENABLE, follow=True)

    assert response.redirect_chain == [(settings_url("cabinet-neuf"), 302)]
    assert "Le module dédié aux cabinets comptables est activé" in text(response)
    assert 'id="id_firm_module_enabled" aria-describedby="firm_module_help" checked' in text(response)
    new_firm.refresh_from_db()
    assert new_firm.firm_module_enabled and new_firm.is_firm
    assert AuditEvent.objects.filter(account=new_firm, action="firm.module_changed").count() == 1
    dashboard = text(new_firm_client.get(dashboard_url("cabinet-neuf")))
    assert (
        f'href="{reverse("firm:account_new", kwargs={"slug": "cabinet-neuf"})}">Ajouter une nouvelle compagnie'
        in dashboard
    )
    assert (
        f'href="{reverse("firm:account_list", kwargs={"slug": "cabinet-neuf"})}">Comptes clients' in dashboard
    )


def test_the_option_is_refused_off_the_accounting_plan_and_nothing_changes(owner_client, acme):
    response = owner_client.post(settings_url("acme"), ENABLE, follow=True)

    assert response.status_code == 200
    assert "disponible avec la formule Comptabilité" in text(response)
    acme.refresh_from_db()
    assert not acme.firm_module_enabled
    assert not AuditEvent.objects.filter(action="firm.module_changed").exists()


def test_turning_the_option_off_hides_the_firm_pages_but_keeps_the_client_accounts(
    firm, partner_client, owner
):
    client_account = make_account("boulangerie", "Boulangerie", owner, managed_by=firm)

    response = partner_client.post(settings_url("cabinet-dupont"), DISABLE)

    assert response.status_code == 302
    firm.refresh_from_db()
    assert not firm.firm_module_enabled
    client_account.refresh_from_db()
    assert client_account.managed_by == firm
    assert not any(label in partner_client.get(dashboard_url("cabinet-dupont")).text for label in BUTTONS)
    closed = partner_client.get(reverse("firm:account_new", kwargs={"slug": "cabinet-dupont"}), follow=True)
    assert closed.redirect_chain == [(settings_url("cabinet-dupont"), 302)]
    assert "activez-le dans Paramètres" in text(closed)


def test_the_identity_form_still_saves_without_touching_the_option(firm, partner_client):
    data = {"name": "Cabinet Dupont & Associés", "country": "FR"}

    response = partner_client.post(settings_url("cabinet-dupont"), data)

    assert response.status_code == 302
    firm.refresh_from_db()
    assert firm.name == "Cabinet Dupont & Associés" and firm.firm_module_enabled


def test_a_member_without_settings_manage_cannot_turn_the_option_on(new_firm):
    member = make_user("marc@cabinet-neuf.test")
    Membership.objects.create(account=new_firm, user=member, role=permissions.ROLE_ACCOUNTANT)

    response = logged_in(member).post(settings_url("cabinet-neuf"), ENABLE)

    assert response.status_code == 403
    new_firm.refresh_from_db()
    assert not new_firm.firm_module_enabled


def test_an_outsider_cannot_turn_the_option_on(new_firm, outsider_client):
    response = outsider_client.post(settings_url("cabinet-neuf"), ENABLE)

    assert response.status_code == 404
    new_firm.refresh_from_db()
    assert not new_firm.firm_module_enabled


# --- The dashboard buttons ------------------------------------------------------------------------


def test_a_firm_collaborator_without_firm_manage_does_not_get_the_buttons(firm):
    member = make_user("julien@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=member, role=permissions.ROLE_ACCOUNTANT)

    page = logged_in(member).get(dashboard_url("cabinet-dupont")).text

    assert not any(label in page for label in BUTTONS)


def test_an_account_that_is_not_a_firm_has_no_buttons(owner_client):
    page = owner_client.get(dashboard_url("acme")).text

    assert not any(label in page for label in BUTTONS)
