"""Bulk actions of the "Comptes clients" list: the selection (one, several, every matching account), and
disconnecting, changing the lock date, giving and taking away a collaborator's access."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from facturier.accounts.models import User
from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions, plans
from facturier.tenancy.models import Account, AuditEvent, Membership

LIST = reverse("firm:account_list", args=["cabinet-dupont"])
BULK = reverse("firm:bulk_action", args=["cabinet-dupont"])
END = datetime.date(2099, 6, 30)


def client_account(firm, owner, slug, name, **fields):
    """A client account of `firm`, owned by `owner` as firm staff (as the creation service leaves it)."""
    fields.setdefault("plan", plans.PRO)
    fields.setdefault("subscription_ends_on", END)
    account = Account.objects.create(slug=slug, name=name, managed_by=firm, **fields)
    Membership.objects.create(
        account=account, user=owner, role=permissions.ROLE_ADMIN, is_owner=True, firm=firm
    )
    return account


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def main_of(response):
    """The page without the top bar (whose account switcher names every account of the user)."""
    return response.content.decode().split('<main id="main"')[1]


def audit_count():
    return AuditEvent.objects.count()


@pytest.fixture
def partner(firm) -> User:
    return User.objects.get(email="claire@cabinet-dupont.test")


@pytest.fixture
def partner_client(partner):
    return logged_in(partner)


@pytest.fixture
def alpha(firm, partner):
    return client_account(firm, partner, "alpha-conseil", "Alpha Conseil", plan=plans.MAX)


@pytest.fixture
def beta(firm, partner):
    return client_account(firm, partner, "beta-sarl", "Beta SARL", locked_until=datetime.date(2024, 6, 30))


@pytest.fixture
def gamma(firm, partner):
    return client_account(firm, partner, "gamma-bat", "Gamma Bâtiment")


@pytest.fixture
def stranger(outsider):
    """A client account of another firm."""
    other_firm = Account.objects.create(
        slug="cabinet-martin", name="Cabinet Martin", plan=plans.ACCOUNTING, firm_module_enabled=True
    )
    return client_account(other_firm, outsider, "delta-ailleurs", "Delta ailleurs")


@pytest.fixture
def many(firm, partner):
    """60 client accounts named "Série 00".."Série 59": more than one page."""
    return [client_account(firm, partner, f"serie-{n:02}", f"Série {n:02}") for n in range(60)]


@pytest.fixture
def colleague(firm):
    """A collaborator of the firm (member of the firm account), with no access to client accounts yet."""
    user = make_user("paul@cabinet-dupont.test", "Paul", "Petit")
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_ACCOUNTANT)
    return user


# --- The selection --------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["disconnect", "lock_date", "export", "grant", "revoke"])
def test_an_action_with_nothing_selected_says_so_and_does_nothing(partner_client, alpha, action):
    before = audit_count()

    response = partner_client.post(BULK, {"action": action, "format": "csv"}, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert messages_of(response) == [
        "Aucun compte client sélectionné : cochez au moins un compte dans la liste."
    ]
    assert Account.objects.get(pk=alpha.pk).managed_by_id is not None
    assert audit_count() == before


def test_an_unknown_action_says_so(partner_client, alpha):
    response = partner_client.post(BULK, {"action": "delete_everything", "ids": [alpha.pk]}, follow=True)

    assert messages_of(response) == ["Choisissez une action dans la liste."]
    assert Account.objects.filter(pk=alpha.pk, managed_by__isnull=False).exists()


@pytest.mark.parametrize("action", ["disconnect", "lock_date", "export", "grant"])
def test_a_selection_naming_an_account_of_another_firm_is_refused_as_a_whole(
    partner_client, alpha, stranger, acme, action
):
    before = audit_count()

    for intruder in (stranger, acme):
        response = partner_client.post(
            BULK,
            {"action": action, "ids": [alpha.pk, intruder.pk], "confirm": "1", "new_date": "2024-12-31"},
            follow=True,
        )

        assert response.redirect_chain == [(LIST, 302)]
        assert "rien n'a été fait" in messages_of(response)[0]
        assert intruder.name not in response.content.decode()
    assert Account.objects.get(pk=stranger.pk).managed_by_id == stranger.managed_by_id
    assert Account.objects.get(pk=alpha.pk).locked_until is None
    assert audit_count() == before


def test_malformed_ids_are_refused(partner_client, alpha):
    response = partner_client.post(BULK, {"action": "disconnect", "ids": ["1 OR 1=1"]}, follow=True)

    assert "rien n'a été fait" in messages_of(response)[0]


def test_the_bulk_url_only_takes_post(partner_client, alpha):
    assert partner_client.get(BULK, {"action": "disconnect", "ids": alpha.pk}).status_code == 405


def test_bulk_actions_are_a_404_for_an_outsider_and_a_403_for_a_collaborator(
    outsider_client, colleague, alpha
):
    data = {"action": "disconnect", "ids": [alpha.pk], "confirm": "1"}

    assert outsider_client.post(BULK, data).status_code == 404
    assert logged_in(colleague).post(BULK, data).status_code == 403
    assert Account.objects.get(pk=alpha.pk).managed_by_id is not None


# --- Déconnecter -----------------------------------------------------------------------------------


def test_disconnect_first_shows_the_accounts_and_what_happens(partner_client, alpha, beta, gamma):
    response = partner_client.post(BULK, {"action": "disconnect", "ids": [alpha.pk, beta.pk]})

    page = main_of(response)
    assert response.status_code == 200
    assert "2 comptes clients sélectionnés" in page
    assert "Alpha Conseil" in page
    assert "Beta SARL" in page
    assert "Gamma Bâtiment" not in page
    assert "reste valide jusqu'à sa date de fin" in page
    assert "prévenu par email" in page
    assert Account.objects.filter(managed_by__slug="cabinet-dupont").count() == 3
    assert mail.outbox == []


def test_disconnect_confirmed_unlinks_the_accounts_and_keeps_plan_end_date_and_owner(
    partner_client, firm, partner, alpha, beta, gamma
):
    response = partner_client.post(
        BULK, {"action": "disconnect", "ids": [alpha.pk, beta.pk], "confirm": "1"}, follow=True
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert messages_of(response)[0].startswith(
        "2 comptes clients ont été déconnectés : Alpha Conseil, Beta SARL."
    )
    assert "Alpha Conseil" not in main_of(response).split('id="account-results"')[1]
    alpha.refresh_from_db()
    beta.refresh_from_db()
    assert (alpha.managed_by, alpha.plan, alpha.subscription_ends_on) == (None, plans.MAX, END)
    assert (beta.managed_by, beta.plan, beta.subscription_ends_on) == (None, plans.PRO, END)
    assert Membership.objects.get(account=alpha, is_owner=True).user == partner
    assert Account.objects.get(pk=gamma.pk).managed_by == firm
    assert sorted(message.to[0] for message in mail.outbox) == [partner.email, partner.email]
    for account in (alpha, beta):
        assert AuditEvent.objects.filter(
            account=firm, action="firm.client_account_disconnected", target=account.slug
        ).exists()
        event = AuditEvent.objects.get(account=account, action="firm.client_account_disconnected")
        assert event.via_firm == firm
        assert event.actor_email == partner.email


def test_disconnect_one_account(partner_client, firm, alpha, beta):
    response = partner_client.post(
        BULK, {"action": "disconnect", "ids": [beta.pk], "confirm": "1"}, follow=True
    )

    assert messages_of(response)[0].startswith("1 compte client a été déconnecté : Beta SARL.")
    assert list(Account.objects.filter(managed_by=firm)) == [alpha]
    assert len(mail.outbox) == 1


def test_disconnect_every_account_matching_the_search_beyond_the_page(partner_client, firm, many, alpha):
    page = partner_client.get(LIST, {"q": "Série"})
    assert "Sélectionner les 60 comptes correspondant à la recherche" in page.content.decode()

    confirmation = partner_client.post(
        BULK, {"action": "disconnect", "select_all_matching": "1", "q": "Série", "ids": [many[0].pk]}
    )
    assert "60 comptes clients sélectionnés" in confirmation.content.decode()
    key = confirmation.context["selection_key"]
    response = partner_client.post(
        BULK,
        {
            "action": "disconnect",
            "select_all_matching": "1",
            "q": "Série",
            "confirm": "1",
            "selection_key": key,
        },
        follow=True,
    )

    assert response.redirect_chain == [(f"{LIST}?q=S%C3%A9rie", 302)]
    assert not Account.objects.filter(managed_by=firm, slug__startswith="serie-").exists()
    assert Account.objects.get(pk=alpha.pk).managed_by == firm
    assert len(mail.outbox) == 60


def test_a_search_whose_results_changed_since_the_confirmation_page_is_shown_again(
    partner_client, firm, partner, many
):
    confirmation = partner_client.post(
        BULK, {"action": "disconnect", "select_all_matching": "1", "q": "Série"}
    )
    client_account(firm, partner, "serie-99", "Série 99")  # created meanwhile by a colleague

    response = partner_client.post(
        BULK,
        {
            "action": "disconnect",
            "select_all_matching": "1",
            "q": "Série",
            "confirm": "1",
            "selection_key": confirmation.context["selection_key"],
        },
    )

    assert response.status_code == 200
    assert "61 comptes clients sélectionnés" in response.content.decode()
    assert "ont changé depuis votre sélection" in messages_of(response)[0]
    assert Account.objects.filter(managed_by=firm).count() == 61
    assert mail.outbox == []


# --- Changer la date de restriction de modification ------------------------------------------------


def test_lock_date_asks_for_one_date_showing_the_current_ones(partner_client, alpha, beta):
    response = partner_client.post(BULK, {"action": "lock_date", "ids": [alpha.pk, beta.pk]})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="new_date"' in page
    assert "date de protection actuelle : 30/06/2024" in page
    assert "date de protection actuelle : aucune" in page
    assert "errorlist" not in page


@pytest.mark.parametrize("typed", ["2024-12-31", "31/12/2024"])
def test_lock_date_changes_each_selected_account_with_an_audit_event_each(
    partner_client, firm, partner, alpha, beta, gamma, typed
):
    response = partner_client.post(
        BULK,
        {"action": "lock_date", "ids": [alpha.pk, beta.pk], "confirm": "1", "new_date": typed},
        follow=True,
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert messages_of(response) == [
        "Date de protection des documents changée pour 2 comptes clients : Alpha Conseil, Beta SARL."
    ]
    for account in (alpha, beta):
        account.refresh_from_db()
        assert account.locked_until == datetime.date(2024, 12, 31)
        event = AuditEvent.objects.get(account=account, action="account.lock_date_changed")
        assert event.via_firm == firm
        assert event.actor_email == partner.email
        assert event.changes["locked_until"][1] == "2024-12-31"
    assert Account.objects.get(pk=gamma.pk).locked_until is None
    assert not AuditEvent.objects.filter(account=gamma, action="account.lock_date_changed").exists()


def test_lock_date_of_one_account(partner_client, alpha):
    partner_client.post(
        BULK, {"action": "lock_date", "ids": [alpha.pk], "confirm": "1", "new_date": "2024-03-31"}
    )

    assert Account.objects.get(pk=alpha.pk).locked_until == datetime.date(2024, 3, 31)


def test_lock_date_of_every_matching_account(partner_client, many, alpha):
    confirmation = partner_client.post(
        BULK, {"action": "lock_date", "select_all_matching": "1", "q": "série"}
    )

    partner_client.post(
        BULK,
        {
            "action": "lock_date",
            "select_all_matching": "1",
            "q": "série",
            "confirm": "1",
            "new_date": "2024-12-31",
            "selection_key": confirmation.context["selection_key"],
        },
    )

    assert set(Account.objects.filter(slug__startswith="serie-").values_list("locked_until", flat=True)) == {
        datetime.date(2024, 12, 31)
    }
    assert AuditEvent.objects.filter(action="account.lock_date_changed").count() == 60
    assert Account.objects.get(pk=alpha.pk).locked_until is None


@pytest.mark.parametrize("typed", ["31/13/2024", "demain", "2024-02-30", ""])
def test_a_malformed_or_missing_date_gets_a_clear_message_and_changes_nothing(
    partner_client, alpha, beta, typed
):
    before = audit_count()

    response = partner_client.post(
        BULK, {"action": "lock_date", "ids": [alpha.pk, beta.pk], "confirm": "1", "new_date": typed}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Date invalide : saisissez-la sous la forme jj/mm/aaaa." in page
        or "Indiquez la nouvelle date" in page
    )
    assert Account.objects.get(pk=alpha.pk).locked_until is None
    assert Account.objects.get(pk=beta.pk).locked_until == datetime.date(2024, 6, 30)
    assert audit_count() == before


def test_moving_a_lock_date_back_needs_a_reason_and_changes_nothing_without_one(partner_client, alpha, beta):
    data = {"action": "lock_date", "ids": [alpha.pk, beta.pk], "confirm": "1", "new_date": "2024-01-31"}

    refused = partner_client.post(BULK, data)

    assert refused.status_code == 200
    assert "indiquez la raison" in refused.content.decode()
    assert Account.objects.get(pk=alpha.pk).locked_until is None  # checked first, yet not changed
    assert Account.objects.get(pk=beta.pk).locked_until == datetime.date(2024, 6, 30)

    partner_client.post(BULK, data | {"reason": "Correction d'une facture de janvier"})

    assert Account.objects.get(pk=beta.pk).locked_until == datetime.date(2024, 1, 31)


def test_a_lock_date_in_the_future_is_refused(partner_client, alpha):
    response = partner_client.post(
        BULK, {"action": "lock_date", "ids": [alpha.pk], "confirm": "1", "new_date": "2099-01-01"}
    )

    assert "ne peut pas être dans le futur" in response.content.decode()
    assert Account.objects.get(pk=alpha.pk).locked_until is None


def test_lock_date_of_an_account_the_user_cannot_open_is_refused_naming_it(partner_client, alpha, beta):
    Membership.objects.filter(account=beta).delete()

    response = partner_client.post(
        BULK, {"action": "lock_date", "ids": [alpha.pk, beta.pk], "confirm": "1", "new_date": "2024-12-31"}
    )

    assert "Vous n&#x27;êtes pas utilisateur du compte « Beta SARL »" in response.content.decode()
    assert Account.objects.get(pk=alpha.pk).locked_until is None


# --- Donner accès / Retirer l'accès ---------------------------------------------------------------


def test_grant_offers_the_firms_members_and_the_builtin_roles(partner_client, colleague, alpha, outsider):
    response = partner_client.post(BULK, {"action": "grant", "ids": [alpha.pk]})

    page = response.content.decode()
    assert "Paul Petit &lt;paul@cabinet-dupont.test&gt;" in page
    assert "claire@cabinet-dupont.test" in page
    assert "oscar@globex.test" not in page
    assert '<option value="accountant" selected>Comptable</option>' in page


def test_grant_gives_a_collaborator_access_to_several_accounts_with_a_role(
    partner_client, firm, colleague, alpha, beta, gamma
):
    response = partner_client.post(
        BULK,
        {
            "action": "grant",
            "ids": [alpha.pk, beta.pk],
            "confirm": "1",
            "user": colleague.pk,
            "role": "accountant",
        },
        follow=True,
    )

    assert messages_of(response) == ["paul@cabinet-dupont.test a maintenant accès à 2 comptes clients."]
    granted = Membership.objects.filter(user=colleague).exclude(account=firm)
    assert sorted(m.account.slug for m in granted) == ["alpha-conseil", "beta-sarl"]
    assert {(m.role, m.firm_id) for m in granted} == {(permissions.ROLE_ACCOUNTANT, firm.pk)}
    assert (
        AuditEvent.objects.filter(action="firm.staff_granted", via_firm=firm, target=colleague.email).count()
        == 2
    )
    # The firm's row in the list now counts them, and the colleague can open the account.
    assert (
        logged_in(colleague).get(reverse("billing:document_list", args=["alpha-conseil"])).status_code == 200
    )


def test_grant_every_matching_account(partner_client, firm, colleague, many):
    confirmation = partner_client.post(BULK, {"action": "grant", "select_all_matching": "1"})
    assert "60 comptes clients sélectionnés" in confirmation.content.decode()

    partner_client.post(
        BULK,
        {
            "action": "grant",
            "select_all_matching": "1",
            "confirm": "1",
            "user": colleague.pk,
            "role": "member",
            "selection_key": confirmation.context["selection_key"],
        },
    )

    assert Membership.objects.filter(user=colleague, firm=firm, role=permissions.ROLE_MEMBER).count() == 60


def test_grant_refuses_a_user_who_is_not_a_member_of_the_firm(partner_client, alpha, outsider):
    response = partner_client.post(
        BULK, {"action": "grant", "ids": [alpha.pk], "confirm": "1", "user": outsider.pk, "role": "admin"}
    )

    assert response.status_code == 200
    assert "Choisissez un collaborateur du cabinet dans la liste." in response.content.decode()
    assert not Membership.objects.filter(account=alpha, user=outsider).exists()


def test_a_user_without_access_can_give_it_to_themself(partner_client, partner, alpha):
    Membership.objects.filter(account=alpha).delete()
    listed = partner_client.get(LIST)
    assert "sans accès" in listed.content.decode()

    partner_client.post(
        BULK, {"action": "grant", "ids": [alpha.pk], "confirm": "1", "user": partner.pk, "role": "admin"}
    )

    assert Membership.objects.get(account=alpha, user=partner).role == permissions.ROLE_ADMIN
    assert (
        reverse("billing:document_list", args=["alpha-conseil"]) in partner_client.get(LIST).content.decode()
    )


def test_revoke_takes_a_collaborators_access_away(partner_client, firm, colleague, alpha, beta):
    for account in (alpha, beta):
        Membership.objects.create(
            account=account, user=colleague, role=permissions.ROLE_ACCOUNTANT, firm=firm
        )
    page = partner_client.post(BULK, {"action": "revoke", "ids": [alpha.pk, beta.pk]})
    assert 'name="role"' not in page.content.decode()

    response = partner_client.post(
        BULK,
        {"action": "revoke", "ids": [alpha.pk, beta.pk], "confirm": "1", "user": colleague.pk},
        follow=True,
    )

    assert messages_of(response) == ["L'accès de paul@cabinet-dupont.test a été retiré de 2 comptes clients."]
    assert not Membership.objects.filter(user=colleague).exclude(account=firm).exists()
    assert AuditEvent.objects.filter(account=alpha, action="firm.staff_revoked", via_firm=firm).exists()


def test_revoke_refuses_to_remove_the_owner_and_changes_nothing(
    partner_client, firm, partner, colleague, alpha
):
    Membership.objects.create(account=alpha, user=colleague, role=permissions.ROLE_ACCOUNTANT, firm=firm)

    response = partner_client.post(
        BULK, {"action": "revoke", "ids": [alpha.pk], "confirm": "1", "user": partner.pk}
    )

    assert response.status_code == 200
    assert "est propriétaire du compte « Alpha Conseil »" in response.content.decode()
    assert Membership.objects.filter(account=alpha).count() == 2


def test_grant_then_revoke_one_account(partner_client, firm, colleague, alpha, beta):
    grant = {"action": "grant", "ids": [beta.pk], "confirm": "1", "user": colleague.pk, "role": "admin"}
    revoke = {"action": "revoke", "ids": [beta.pk], "confirm": "1", "user": colleague.pk}

    granted = partner_client.post(BULK, grant, follow=True)
    assert messages_of(granted) == ["paul@cabinet-dupont.test a maintenant accès à 1 compte client."]
    assert Membership.objects.get(account=beta, user=colleague).role == permissions.ROLE_ADMIN
    assert not Membership.objects.filter(account=alpha, user=colleague).exists()

    revoked = partner_client.post(BULK, revoke, follow=True)
    assert messages_of(revoked) == ["L'accès de paul@cabinet-dupont.test a été retiré de 1 compte client."]
    assert not Membership.objects.filter(account=beta, user=colleague).exists()


def test_revoke_every_matching_account(partner_client, firm, colleague, many, alpha):
    Membership.objects.bulk_create(
        Membership(account=account, user=colleague, role=permissions.ROLE_ACCOUNTANT, firm=firm)
        for account in [*many, alpha]
    )
    confirmation = partner_client.post(BULK, {"action": "revoke", "select_all_matching": "1", "q": "série"})

    partner_client.post(
        BULK,
        {
            "action": "revoke",
            "select_all_matching": "1",
            "q": "série",
            "confirm": "1",
            "user": colleague.pk,
            "selection_key": confirmation.context["selection_key"],
        },
    )

    assert list(Membership.objects.filter(user=colleague).exclude(account=firm)) == [
        Membership.objects.get(account=alpha, user=colleague)
    ]


def test_revoking_a_collaborator_who_had_no_access_says_so(partner_client, colleague, alpha):
    response = partner_client.post(
        BULK, {"action": "revoke", "ids": [alpha.pk], "confirm": "1", "user": colleague.pk}, follow=True
    )

    assert messages_of(response) == [
        "paul@cabinet-dupont.test n'avait accès à aucun de ces comptes pour le cabinet : rien à retirer."
    ]
