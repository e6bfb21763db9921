import datetime
import html

from django.urls import reverse

from facturier.tenancy.models import Account, AuditEvent

LOCK_URL = reverse("tenancy:lock_date", kwargs={"slug": "acme"})
REASON_NEEDED = (
    "Reculer ou retirer la date de protection rend des documents modifiables : indiquez la raison."
)


def text(response) -> str:
    return html.unescape(response.content.decode())


def lock_events(account):
    return AuditEvent.objects.filter(account=account, action="account.lock_date_changed").order_by("pk")


def test_the_owner_sees_the_current_lock_date_and_what_it_does(owner_client, acme):
    page = text(owner_client.get(LOCK_URL))

    assert "Date de protection actuelle" in page and "aucune" in page
    assert "ne peuvent plus être ni créés, ni modifiés, ni annulés, ni supprimés" in page
    assert f'href="{LOCK_URL}" aria-current="page"' in page
    assert "jamais été changée" in page


def test_the_owner_sets_the_lock_date(owner_client, owner, acme):
    response = owner_client.post(LOCK_URL, {"locked_until": "2024-12-31", "reason": ""})

    assert response.status_code == 302 and response.url == LOCK_URL
    acme.refresh_from_db()
    assert acme.locked_until == datetime.date(2024, 12, 31)
    event = lock_events(acme).get()
    assert event.actor == owner and event.via_firm is None
    assert event.changes["locked_until"] == [None, "2024-12-31"]
    page = text(owner_client.get(LOCK_URL))
    assert "La date de protection a été enregistrée." in page
    assert "Date de protection : aucune → 31/12/2024." in page


def test_moving_the_date_back_needs_a_reason_and_the_history_shows_both_changes(owner_client, acme):
    owner_client.post(LOCK_URL, {"locked_until": "2024-12-31"})

    refused = owner_client.post(LOCK_URL, {"locked_until": "2024-06-30", "reason": "  "})

    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == [REASON_NEEDED]
    assert REASON_NEEDED in text(refused)
    acme.refresh_from_db()
    assert acme.locked_until == datetime.date(2024, 12, 31)
    assert lock_events(acme).count() == 1

    accepted = owner_client.post(
        LOCK_URL, {"locked_until": "2024-06-30", "reason": "Avoir oublié en juillet"}
    )

    assert accepted.status_code == 302
    acme.refresh_from_db()
    assert acme.locked_until == datetime.date(2024, 6, 30)
    assert lock_events(acme).last().changes["reason"] == [None, "Avoir oublié en juillet"]
    page = text(owner_client.get(LOCK_URL))
    newest = page.index("31/12/2024 → 30/06/2024. Raison : Avoir oublié en juillet")
    oldest = page.index("aucune → 31/12/2024.")
    assert newest < oldest  # most recent first


def test_removing_the_date_needs_a_reason(owner_client, acme):
    Account.objects.filter(pk=acme.pk).update(locked_until=datetime.date(2024, 12, 31))

    refused = owner_client.post(LOCK_URL, {"locked_until": "", "reason": ""})

    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == [REASON_NEEDED]
    acme.refresh_from_db()
    assert acme.locked_until == datetime.date(2024, 12, 31)

    accepted = owner_client.post(LOCK_URL, {"locked_until": "", "reason": "Fin de l'exercice rouverte"})

    assert accepted.status_code == 302
    acme.refresh_from_db()
    assert acme.locked_until is None
    assert lock_events(acme).get().changes["locked_until"] == ["2024-12-31", None]


def test_a_malformed_date_gets_a_message(owner_client, acme):
    response = owner_client.post(LOCK_URL, {"locked_until": "31/02/2024x", "reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["locked_until"]
    acme.refresh_from_db()
    assert acme.locked_until is None
    assert not lock_events(acme).exists()


def test_the_firm_accountant_sets_the_date_and_the_event_names_the_firm(
    firm_client, firm_accountant, firm, acme
):
    response = firm_client.post(LOCK_URL, {"locked_until": "2025-03-31"})

    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.locked_until == datetime.date(2025, 3, 31)
    event = lock_events(acme).get()
    assert event.actor == firm_accountant and event.via_firm == firm
    page = text(firm_client.get(LOCK_URL))
    assert "via Cabinet Dupont" in page
    # The settings menu offers the Comptable only the pages their role opens.
    assert reverse("tenancy:audit", kwargs={"slug": "acme"}) in page
    assert reverse("tenancy:account", kwargs={"slug": "acme"}) not in page
    assert reverse("tenancy:users", kwargs={"slug": "acme"}) not in page


def test_a_member_without_lockdate_change_is_refused(collaborator_client, acme):
    assert collaborator_client.get(LOCK_URL).status_code == 403
    assert collaborator_client.post(LOCK_URL, {"locked_until": "2024-12-31"}).status_code == 403

    acme.refresh_from_db()
    assert acme.locked_until is None
    assert not lock_events(acme).exists()


def test_the_lock_date_page_is_a_404_for_an_outsider(acme, outsider_client):
    assert outsider_client.get(LOCK_URL).status_code == 404
    assert outsider_client.post(LOCK_URL, {"locked_until": "2024-12-31"}).status_code == 404

    acme.refresh_from_db()
    assert acme.locked_until is None
    assert not lock_events(acme).exists()


def test_a_read_only_account_keeps_its_lock_date(owner_client, acme):
    Account.objects.filter(pk=acme.pk).update(subscription_ends_on=datetime.date(2020, 1, 31))

    assert 'name="locked_until"' not in text(owner_client.get(LOCK_URL))
    response = owner_client.post(LOCK_URL, {"locked_until": "2024-12-31"})

    assert response.status_code == 200
    assert "lecture seule" in " ".join(response.context["form"].non_field_errors())
    acme.refresh_from_db()
    assert acme.locked_until is None
    assert not lock_events(acme).exists()
