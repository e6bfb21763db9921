# ruff: noqa: F811  (fixtures imported from the lifecycle tests are redefined as arguments)
"""Firm staff left in accounts disconnected before "Déconnecter" ended their access lose it now.

Before, "Déconnecter" only took the account out of the firm's list: its staff kept their memberships,
sessions, API tokens and pending exports there. The firm app's migration runs
`manage.py revoke_disconnected_staff`, which ends them as Déconnecter does today.
"""

import importlib
from io import StringIO

from django.apps import apps
from django.core.management import call_command

from facturier.conftest import make_account, make_user
from facturier.exports.models import ExportStatus
from facturier.firm import services
from facturier.firm.tests.test_access_lifecycle import (  # noqa: F401
    actor_in,
    assert_locked_out,
    managed_acme,
    partner,
    sam,
    signed_in_everywhere,
)
from facturier.tenancy import permissions
from facturier.tenancy.models import Account, ApiToken, AuditEvent, Membership
from facturier.tenancy.tests.test_access import acme_objects  # noqa: F401

migration = importlib.import_module("facturier.firm.migrations.0001_revoke_disconnected_staff")


def disconnect_as_before(account: Account) -> None:
    """What "Déconnecter" did before: the account leaves the firm's list, its staff stay."""
    Account.objects.filter(pk=account.pk).update(managed_by=None)


def test_the_migration_ends_the_access_staff_kept_in_an_account_disconnected_before(
    firm,
    partner,
    managed_acme,
    sam,
    owner,
    acme_objects,
):
    session, api, job = signed_in_everywhere(sam, managed_acme)
    still_managed = make_account("garage", "Garage Leroy", partner, managed_by=firm)
    services.grant_staff(actor_in(firm, partner), firm, [still_managed], sam, permissions.ROLE_ACCOUNTANT)
    disconnect_as_before(managed_acme)

    migration.revoke(apps, None)

    assert_locked_out(session, api, job, acme_objects)
    assert set(Membership.objects.filter(account=managed_acme).values_list("user__email", flat=True)) == {
        owner.email,
        "colin@acme.test",  # the client's own collaborator (acme_objects)
    }
    assert not ApiToken.objects.filter(membership__account=managed_acme, membership__user=sam).exists()
    # The firm still manages the garage: its staff stay there.
    assert Membership.objects.filter(account=still_managed, user=sam, firm=firm).exists()
    revoked = AuditEvent.objects.filter(account=managed_acme, action="firm.staff_revoked")
    assert list(revoked.values_list("target", flat=True)) == [sam.email]
    assert {(event.actor_id, event.via_firm_id) for event in revoked} == {(None, None)}
    assert "cabinet" in revoked[0].summary


def test_staff_of_a_firm_left_in_an_account_another_firm_now_manages_go_too(firm, partner, managed_acme, sam):
    other_firm = make_account(
        "cabinet-martin", "Cabinet Martin", make_user("m@martin.test"), plan="accounting"
    )
    Account.objects.filter(pk=managed_acme.pk).update(managed_by=other_firm)

    call_command("revoke_disconnected_staff", stdout=StringIO())

    assert not Membership.objects.filter(account=managed_acme, firm=firm).exists()


def test_the_owner_stays_and_a_second_run_finds_nothing(firm, partner, sam):
    created = services.create_client_account(
        actor_in(firm, partner), firm, name="Atelier Roux", slug="atelier"
    )
    services.grant_staff(actor_in(firm, partner), firm, [created], sam, permissions.ROLE_ACCOUNTANT)
    job = signed_in_everywhere(sam, created)[2]
    disconnect_as_before(created)

    first, second = StringIO(), StringIO()
    call_command("revoke_disconnected_staff", stdout=first)
    call_command("revoke_disconnected_staff", stdout=second)

    assert list(Membership.objects.filter(account=created).values_list("user", "is_owner")) == [
        (partner.pk, True)
    ]
    assert "atelier: sam@cabinet-dupont.test removed" in first.getvalue()
    assert "1 access(es)" in first.getvalue()
    assert "0 access(es)" in second.getvalue()
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED
    assert AuditEvent.objects.filter(account=created, action="firm.staff_revoked").count() == 1


def test_staff_of_a_firm_that_disconnects_today_leave_nothing_for_the_command(
    firm, partner, managed_acme, sam
):
    services.disconnect_client_accounts(actor_in(firm, partner), firm, [managed_acme])

    assert services.revoke_staff_left_in_disconnected_accounts() == []
