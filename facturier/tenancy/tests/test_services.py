import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from facturier.tenancy import permissions, services
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import LockedPeriodError, PlanLimitError, ServiceError
from facturier.tenancy.locking import ensure_unlocked
from facturier.tenancy.models import AuditEvent, Membership


def actor_in(account, user):
    return Actor(user=user, membership=Membership.objects.get(account=account, user=user), ip="203.0.113.7")


def test_it_adds_an_existing_user_without_duplicating_them(acme, owner, outsider):
    membership = services.add_member(
        actor_in(acme, owner), acme, email=" OSCAR@globex.test ", role="accountant"
    )

    assert membership.user == outsider
    assert membership.role_label == "Comptable"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["oscar@globex.test"]
    event = AuditEvent.objects.get(account=acme, action="member.added")
    assert event.actor_email == owner.email and event.ip == "203.0.113.7"


def test_it_refuses_a_user_beyond_the_plan_limit(acme, owner):
    actor = actor_in(acme, owner)
    for n in range(4):
        services.add_member(actor, acme, email=f"user{n}@acme.test", role="member")

    with pytest.raises(PlanLimitError, match="PRO permet 5"):
        services.add_member(actor, acme, email="sixth@acme.test", role="member")
    assert Membership.objects.filter(account=acme).count() == 5


def test_firm_staff_do_not_count_against_the_plan_limit(acme, owner, firm, firm_accountant):
    actor = actor_in(acme, owner)
    for n in range(4):
        services.add_member(actor, acme, email=f"user{n}@acme.test", role="member")

    assert services.counted_members(acme) == 5
    assert Membership.objects.filter(account=acme).count() == 6


def test_a_member_without_users_manage_cannot_add_users(acme, collaborator):
    with pytest.raises(PermissionDenied):
        services.add_member(actor_in(acme, collaborator), acme, email="x@acme.test", role="member")


def test_ownership_moves_and_the_former_owner_stays_administrator(acme, owner, collaborator):
    target = Membership.objects.get(account=acme, user=collaborator)

    services.transfer_ownership(actor_in(acme, owner), target)

    rows = {m.user: m for m in Membership.objects.filter(account=acme)}
    assert rows[collaborator].is_owner and rows[collaborator].role == permissions.ROLE_ADMIN
    assert not rows[owner].is_owner and rows[owner].role == permissions.ROLE_ADMIN
    assert Membership.objects.filter(account=acme, is_owner=True).count() == 1


def test_only_the_owner_can_transfer_ownership(acme, owner, collaborator, firm_accountant):
    target = Membership.objects.get(account=acme, user=collaborator)
    with pytest.raises(ServiceError):
        services.transfer_ownership(actor_in(acme, firm_accountant), target)
    assert Membership.objects.get(account=acme, is_owner=True).user == owner


def test_moving_the_lock_date_backwards_needs_a_reason(acme, owner):
    actor = actor_in(acme, owner)
    services.set_lock_date(actor, acme, datetime.date(2026, 6, 30))

    with pytest.raises(ServiceError, match="raison"):
        services.set_lock_date(actor, acme, datetime.date(2026, 3, 31))
    services.set_lock_date(actor, acme, datetime.date(2026, 3, 31), reason="Erreur de saisie")

    acme.refresh_from_db()
    assert acme.locked_until == datetime.date(2026, 3, 31)
    events = AuditEvent.objects.filter(account=acme, action="account.lock_date_changed").order_by("pk")
    assert [e.changes["locked_until"] for e in events] == [[None, "2026-06-30"], ["2026-06-30", "2026-03-31"]]


def test_documents_on_or_before_the_lock_date_are_protected(acme):
    acme.locked_until = datetime.date(2026, 6, 30)
    with pytest.raises(LockedPeriodError):
        ensure_unlocked(acme, datetime.date(2026, 6, 30))
    ensure_unlocked(acme, datetime.date(2026, 7, 1), None)


def test_a_slug_breaking_several_rules_gets_each_message(db):
    with pytest.raises(ValidationError) as error:
        services.validate_new_slug("A_")
    assert len(error.value.messages) == 2


def test_audit_events_cannot_be_changed_or_deleted(acme, owner):
    services.set_lock_date(actor_in(acme, owner), acme, datetime.date(2026, 1, 31))
    event = AuditEvent.objects.get(account=acme)
    event.summary = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(account=acme).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(account=acme).update(summary="x")


def test_an_api_token_is_stored_hashed_and_resolves_with_its_slug(acme, owner):
    token, plain = services.create_api_token(
        actor_in(acme, owner), Membership.objects.get(account=acme, user=owner)
    )

    secret = plain.split("/")[0]
    assert plain.endswith("/acme") and secret not in token.secret_hash
    assert services.resolve_api_token(plain) == token
    assert services.resolve_api_token(secret) == token
    assert services.resolve_api_token(secret + "/globex") is None
    services.revoke_api_token(actor_in(acme, owner), token)
    assert services.resolve_api_token(plain) is None
