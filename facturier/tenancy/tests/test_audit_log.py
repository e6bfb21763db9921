import datetime
import html

import pytest
from django.urls import reverse

from facturier.tenancy.models import AuditEvent

AUDIT_URL = reverse("tenancy:audit", kwargs={"slug": "acme"})
UTC = datetime.UTC


def text(response) -> str:
    return html.unescape(response.content.decode())


def event(account, when, action="account.settings_changed", **fields):
    return AuditEvent.objects.create(account=account, action=action, created_at=when, **fields)


@pytest.fixture
def events(acme, globex, firm):
    """A few days of acme's trail, and one event of another account that must never show."""
    return {
        "created": event(
            acme,
            datetime.datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
            "account.created",
            actor_email="olivia@acme.test",
            target="acme",
            summary="Compte « ACME SAS » créé.",
        ),
        # 23:30 UTC on the 9th is 00:30 on the 10th in Paris: the account's day decides.
        "late": event(
            acme,
            datetime.datetime(2025, 3, 9, 23, 30, tzinfo=UTC),
            actor_email="olivia@acme.test",
            changes={"vat_number": ["", "FR40303265045"], "city": [None, "Lyon"]},
            ip="198.51.100.4",
        ),
        "locked": event(
            acme,
            datetime.datetime(2025, 3, 12, 14, 0, tzinfo=UTC),
            "account.lock_date_changed",
            actor_email="claire@cabinet-dupont.test",
            via_firm=firm,
            summary="Date de protection : aucune → 28/02/2025.",
            changes={"locked_until": [None, "2025-02-28"]},
        ),
        "elsewhere": event(
            globex,
            datetime.datetime(2025, 3, 5, 10, 0, tzinfo=UTC),
            "member.added",
            actor_email="oscar@globex.test",
            target="secret@globex.test",
        ),
    }


def shown_ids(response) -> list[int]:
    return [e.pk for e in response.context["events"]]


def test_the_owner_sees_the_trail_most_recent_first(owner_client, events):
    response = owner_client.get(AUDIT_URL)

    assert response.status_code == 200
    assert shown_ids(response) == [events["locked"].pk, events["late"].pk, events["created"].pk]
    page = text(response)
    assert "secret@globex.test" not in page
    assert "10/03/2025 00:30" in page  # in the account's time zone
    assert "claire@cabinet-dupont.test" in page and "via Cabinet Dupont" in page
    assert "Date de protection des documents modifiée" in page  # the action's label
    assert "Numéro de TVA intracommunautaire :</span> — → FR40303265045" in page
    assert "Ville :</span> — → Lyon" in page
    assert "Date de protection des documents :</span> — → 28/02/2025" in page
    assert "198.51.100.4" in page
    assert f'href="{AUDIT_URL}" aria-current="page"' in page


def test_the_trail_filters_by_action(owner_client, events):
    response = owner_client.get(AUDIT_URL, {"action": "account.lock_date_changed"})

    assert shown_ids(response) == [events["locked"].pk]


def test_the_trail_filters_by_part_of_the_actor_email(owner_client, events):
    response = owner_client.get(AUDIT_URL, {"actor": "CABINET-dupont"})

    assert shown_ids(response) == [events["locked"].pk]


def test_the_trail_filters_by_days_of_the_account_time_zone(owner_client, events):
    from_the_10th = owner_client.get(AUDIT_URL, {"date_from": "2025-03-10"})
    up_to_the_9th = owner_client.get(AUDIT_URL, {"date_to": "2025-03-09"})
    the_10th_only = owner_client.get(AUDIT_URL, {"date_from": "2025-03-10", "date_to": "2025-03-10"})

    assert shown_ids(from_the_10th) == [events["locked"].pk, events["late"].pk]
    assert shown_ids(up_to_the_9th) == [events["created"].pk]
    assert shown_ids(the_10th_only) == [events["late"].pk]


def test_the_trail_filters_by_text_in_the_target_or_summary(owner_client, events):
    by_target = owner_client.get(AUDIT_URL, {"q": "ACME"})
    by_summary = owner_client.get(AUDIT_URL, {"q": "28/02/2025"})

    assert shown_ids(by_target) == [events["created"].pk]
    assert shown_ids(by_summary) == [events["locked"].pk]


def test_a_malformed_date_gets_a_message_not_an_error(owner_client, events):
    response = owner_client.get(AUDIT_URL, {"date_from": "2025-13-45"})

    assert response.status_code == 200
    assert response.context["form"].errors["date_from"] == ["Date invalide : utilisez le format AAAA-MM-JJ."]
    assert "Date invalide : utilisez le format AAAA-MM-JJ." in text(response)
    assert response.context["events"] == []


def test_an_end_before_the_start_gets_a_message(owner_client, events):
    response = owner_client.get(AUDIT_URL, {"date_from": "2025-03-10", "date_to": "2025-03-01"})

    assert response.status_code == 200
    assert response.context["form"].errors["date_to"] == ["La date de fin doit suivre la date de début."]


def test_an_unknown_action_gets_a_message(owner_client, events):
    response = owner_client.get(AUDIT_URL, {"action": "invoice.deleted"})

    assert response.status_code == 200
    assert "action" in response.context["form"].errors


def test_the_trail_is_paginated_by_fifty_and_keeps_the_filters(owner_client, acme):
    start = datetime.datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(60):
        event(acme, start + datetime.timedelta(hours=n), actor_email="olivia@acme.test", target=f"t{n}")

    first = owner_client.get(AUDIT_URL, {"actor": "olivia"})
    second = owner_client.get(AUDIT_URL, {"actor": "olivia", "page": "2"})

    assert len(first.context["events"]) == 50 and first.context["events"][0].target == "t59"
    assert "?actor=olivia&page=2" in text(first)
    assert [e.target for e in second.context["events"]] == [f"t{n}" for n in range(9, -1, -1)]
    assert "Page 2 sur 2" in text(second)


@pytest.mark.parametrize("count", [5, 60])
def test_the_number_of_queries_does_not_grow_with_the_events(
    owner_client, acme, firm, django_assert_num_queries, count
):
    start = datetime.datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(count):
        event(
            acme, start + datetime.timedelta(hours=n), actor_email="claire@cabinet-dupont.test", via_firm=firm
        )
    owner_client.get(AUDIT_URL)  # the first visit of the account writes to the session

    # session, user, membership, count, page of events
    with django_assert_num_queries(5):
        response = owner_client.get(AUDIT_URL, {"actor": "claire"})

    assert len(response.context["events"]) == min(count, 50)


def test_the_firm_accountant_may_read_the_trail(firm_client, events):
    response = firm_client.get(AUDIT_URL)

    assert response.status_code == 200
    assert len(response.context["events"]) == 3


def test_nothing_on_the_trail_can_be_posted(owner_client, events):
    assert owner_client.post(AUDIT_URL).status_code == 405
    assert AuditEvent.objects.filter(account__slug="acme").count() == 3


def test_a_member_without_audit_view_is_refused(collaborator_client, events):
    assert collaborator_client.get(AUDIT_URL).status_code == 403
    assert collaborator_client.post(AUDIT_URL).status_code == 403


def test_the_trail_is_a_404_for_an_outsider(outsider_client, events):
    assert outsider_client.get(AUDIT_URL).status_code == 404
    assert outsider_client.post(AUDIT_URL).status_code == 404
