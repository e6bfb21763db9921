import datetime

import pytest
from django.urls import reverse

from facturier.accounts.models import User
from facturier.conftest import PASSWORD, logged_in_with_second_factor
from facturier.tenancy import plans, services
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, AuditEvent, Membership


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("staff@facturier.test", PASSWORD)


@pytest.fixture
def staff_client(staff):
    return logged_in_with_second_factor(staff)


def change_form(account: Account, **overrides):
    """The POST of the account change page: the two editable fields and the read-only inline's
    management form."""
    members = Membership.objects.filter(account=account).count()
    return {
        "plan": account.plan,
        "subscription_ends_on": account.subscription_ends_on.isoformat()
        if account.subscription_ends_on
        else "",
        "memberships-TOTAL_FORMS": str(members),
        "memberships-INITIAL_FORMS": str(members),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    } | overrides


def test_staff_list_and_search_the_accounts(staff_client, acme, globex, firm):
    url = reverse("admin:tenancy_account_changelist")

    response = staff_client.get(url)
    searched = staff_client.get(url, {"q": "globex"})

    assert response.status_code == 200
    assert {a.slug for a in response.context["cl"].result_list} == {"acme", "globex", "cabinet-dupont"}
    assert [a.slug for a in searched.context["cl"].result_list] == ["globex"]


def test_staff_extend_a_subscription_and_the_account_trail_says_so(staff_client, staff, acme):
    url = reverse("admin:tenancy_account_change", args=[acme.pk])
    assert staff_client.get(url).status_code == 200

    response = staff_client.post(
        url, change_form(acme, plan=plans.MAX, subscription_ends_on="2100-06-30", name="Renamed")
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.plan == plans.MAX
    assert acme.subscription_ends_on == datetime.date(2100, 6, 30)
    assert acme.name == "ACME SAS"  # read-only in the admin
    event = AuditEvent.objects.get(account=acme, action="account.subscription_changed")
    assert event.actor == staff and event.via_firm is None
    assert event.changes == {
        "plan": [plans.PRO, plans.MAX],
        "subscription_ends_on": ["2099-12-31", "2100-06-30"],
    }


def test_staff_cannot_add_or_delete_accounts_from_the_admin(staff_client, acme):
    assert staff_client.get(reverse("admin:tenancy_account_add")).status_code == 403
    assert staff_client.post(reverse("admin:tenancy_account_delete", args=[acme.pk])).status_code == 403
    assert Account.objects.filter(pk=acme.pk).exists()


def test_the_audit_trail_is_read_only_in_the_admin(staff_client, acme, owner):
    event = AuditEvent.objects.create(account=acme, action="account.created", actor_email=owner.email)
    AuditEvent.objects.create(account=acme, action="member.added", actor_email=owner.email)
    change_url = reverse("admin:tenancy_auditevent_change", args=[event.pk])

    changelist = staff_client.get(
        reverse("admin:tenancy_auditevent_changelist"), {"action": "account.created"}
    )
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [event]
    assert staff_client.get(change_url).status_code == 200  # viewing is allowed
    assert staff_client.post(change_url, {"action": "member.removed"}).status_code == 403
    assert staff_client.post(reverse("admin:tenancy_auditevent_delete", args=[event.pk])).status_code == 403
    assert staff_client.get(reverse("admin:tenancy_auditevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.action == "account.created"


def test_the_token_admin_never_shows_the_secret(staff_client, acme, owner):
    membership = Membership.objects.get(account=acme, user=owner)
    token, plain = services.create_api_token(Actor(user=owner, membership=membership), membership)

    response = staff_client.get(reverse("admin:tenancy_apitoken_change", args=[token.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert token.prefix in page
    assert token.secret_hash not in page and plain.split("/")[0] not in page


def test_a_member_who_is_not_staff_cannot_open_the_admin(owner_client, acme):
    response = owner_client.get(reverse("admin:tenancy_account_changelist"))

    assert response.status_code == 302 and "/admin/login/" in response.url
