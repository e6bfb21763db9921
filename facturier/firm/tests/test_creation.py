import datetime
import html

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facturier.conftest import logged_in, make_account, make_user
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership

NEW_URL = reverse("firm:account_new", kwargs={"slug": "cabinet-dupont"})
CHECK_URL = reverse("firm:slug_check", kwargs={"slug": "cabinet-dupont"})
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def partner(firm):
    return Membership.objects.get(account=firm, is_owner=True).user


@pytest.fixture
def partner_client(partner):
    return logged_in(partner)


@pytest.fixture
def junior_client(firm):
    """A collaborator of the firm whose role (Comptable) does not include firm.manage."""
    user = make_user("julien@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_ACCOUNTANT)
    return logged_in(user)


# --- The form -------------------------------------------------------------------------------------


def test_the_form_proposes_the_firms_address_followed_by_the_next_number(
    partner_client, firm, owner, settings
):
    settings.FACTURIER_BASE_URL = "https://factures.example"
    make_account("cabinet-dupont-2", "Premier client", owner, managed_by=firm)

    response = partner_client.get(NEW_URL)

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Ajouter une nouvelle compagnie</h1>" in page
    assert 'name="slug" id="id_slug" value="cabinet-dupont-3"' in page
    assert 'name="proposed_slug" value="cabinet-dupont-3"' in page
    assert "Adresse disponible : https://factures.example/cabinet-dupont-3/" in page
    assert f'hx-get="{CHECK_URL}"' in page
    assert '<button type="submit" class="primary">Créer</button>' in page


def test_the_pages_are_a_404_for_an_outsider(firm, outsider_client):
    assert outsider_client.get(NEW_URL).status_code == 404
    assert outsider_client.post(NEW_URL, {"name": "X", "slug": "x-client"}).status_code == 404
    assert outsider_client.get(CHECK_URL, {"slug": "x-client"}, **HTMX).status_code == 404
    assert not Account.objects.filter(slug="x-client").exists()


def test_the_pages_are_a_403_for_a_collaborator_without_firm_manage(junior_client):
    assert junior_client.get(NEW_URL).status_code == 403
    assert junior_client.post(NEW_URL, {"name": "X", "slug": "x-client"}).status_code == 403
    assert junior_client.get(CHECK_URL, {"slug": "x-client"}, **HTMX).status_code == 403
    assert not Account.objects.filter(slug="x-client").exists()


def test_an_account_that_is_not_a_firm_is_sent_to_its_settings_with_the_reason(owner_client, acme):
    url = reverse("firm:account_new", kwargs={"slug": "acme"})

    response = owner_client.post(url, {"name": "X", "slug": "x-client"}, follow=True)

    assert response.redirect_chain == [(reverse("tenancy:account", kwargs={"slug": "acme"}), 302)]
    assert "disponible avec la formule Comptabilité" in text(response)
    assert not Account.objects.filter(slug="x-client").exists()


# --- The live address check -------------------------------------------------------------------------


def test_the_address_follows_the_company_name_as_it_is_typed(partner_client):
    params = {
        "name": "Boulangerie Gâteau & Fils",
        "slug": "cabinet-dupont-2",
        "proposed_slug": "cabinet-dupont-2",
    }

    response = partner_client.get(CHECK_URL, params, **HTMX)

    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page
    assert 'value="boulangerie-gateau-fils"' in page
    assert 'name="proposed_slug" value="boulangerie-gateau-fils"' in page
    assert "Adresse disponible" in page


def test_without_a_name_the_address_goes_back_to_the_numbered_proposal(partner_client):
    params = {"name": "", "slug": "boulangerie", "proposed_slug": "boulangerie"}

    page = text(partner_client.get(CHECK_URL, params, **HTMX))

    assert 'value="cabinet-dupont-2"' in page


def test_an_address_the_user_wrote_is_kept_and_checked(partner_client, acme):
    params = {"name": "Boulangerie", "slug": "acme", "proposed_slug": "boulangerie"}

    page = text(partner_client.get(CHECK_URL, params, **HTMX))

    assert 'value="acme"' in page
    assert "L'adresse « acme » est déjà prise." in page
    assert "Adresse disponible" not in page


def test_the_check_lists_every_problem_of_the_address(partner_client):
    page = text(partner_client.get(CHECK_URL, {"slug": "É-", "proposed_slug": "x"}, **HTMX))

    for message in [
        "au moins 3 caractères",
        "lettres minuscules sans accent",
        "ni commencer ni finir par un tiret",
    ]:
        assert message in page
    assert "« login » est un mot réservé" in text(
        partner_client.get(CHECK_URL, {"slug": "login", "proposed_slug": "x"}, **HTMX)
    )


def test_the_check_writes_nothing(partner_client):
    partner_client.get(NEW_URL)  # the first visit records the firm as the current account

    with CaptureQueriesContext(connection) as queries:
        response = partner_client.get(CHECK_URL, {"name": "Boulangerie"}, **HTMX)

    assert response.status_code == 200
    assert not [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]


# --- Creating ---------------------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2025, 3, 10, 12, tzinfo=datetime.UTC), tick=False)
def test_creating_opens_the_new_accounts_users_page_inviting_to_add_the_client(partner_client, partner, firm):
    response = partner_client.post(
        NEW_URL,
        {"name": "Boulangerie Martin", "slug": "boulangerie-martin", "proposed_slug": "x"},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("tenancy:users", kwargs={"slug": "boulangerie-martin"}), 302)]
    page = text(response)
    assert "Le compte « Boulangerie Martin » a été créé" in page and "Ajouter/inviter un utilisateur" in page
    assert partner.email in page and "Propriétaire" in page
    account = Account.objects.get(slug="boulangerie-martin")
    assert (account.name, account.plan, account.managed_by) == ("Boulangerie Martin", plans.PRO, firm)
    assert account.subscription_ends_on == datetime.date(2026, 3, 10)
    owner = Membership.objects.get(account=account)
    assert owner.user == partner and owner.is_owner and owner.firm == firm
    assert AuditEvent.objects.filter(account=firm, action="firm.client_account_created").count() == 1
    assert AuditEvent.objects.filter(account=account, action="account.created", via_firm=firm).count() == 1
    assert [m.to for m in mail.outbox] == [[partner.email]]


def test_an_empty_address_is_taken_from_the_company_name(partner_client):
    response = partner_client.post(NEW_URL, {"name": "Garage Leroy", "slug": ""})

    assert response.status_code == 302
    assert Account.objects.filter(slug="garage-leroy", name="Garage Leroy").exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [("acme", "L'adresse « acme » est déjà prise."), ("login", "« login » est un mot réservé")],
)
def test_a_taken_or_reserved_address_is_refused_beside_the_field(partner_client, acme, slug, message):
    before = Account.objects.count()

    response = partner_client.post(
        NEW_URL, {"name": "Boulangerie", "slug": slug, "proposed_slug": "boulangerie"}
    )

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert f'name="slug" id="id_slug" value="{slug}"' in page and 'aria-invalid="true"' in page
    assert Account.objects.count() == before
    assert not mail.outbox


def test_a_missing_name_is_refused(partner_client):
    response = partner_client.post(NEW_URL, {"name": " ", "slug": "sans-nom"})

    assert response.status_code == 200
    assert "Indiquez le nom de l'entreprise." in text(response)
    assert not Account.objects.filter(slug="sans-nom").exists()


def test_a_read_only_firm_cannot_create_client_accounts(partner_client, firm):
    Account.objects.filter(pk=firm.pk).update(subscription_ends_on=datetime.date(2000, 1, 31))

    response = partner_client.post(NEW_URL, {"name": "Boulangerie", "slug": "boulangerie"})

    assert response.status_code == 200
    assert "lecture seule" in text(response)
    assert not Account.objects.filter(slug="boulangerie").exists()
