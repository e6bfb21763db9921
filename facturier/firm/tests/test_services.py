import datetime
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facturier.accounts.models import User
from facturier.conftest import make_account, make_user
from facturier.firm import services
from facturier.tenancy import permissions, plans
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import PlanLimitError, ServiceError
from facturier.tenancy.models import Account, AuditEvent, Membership, Role
from facturier.tenancy.services import counted_members

TODAY = datetime.datetime(2025, 3, 10, 12, tzinfo=datetime.UTC)


def partner_of(firm: Account) -> User:
    return Membership.objects.get(account=firm, is_owner=True).user


def actor_in(account: Account, user: User) -> Actor:
    return Actor(user=user, membership=Membership.objects.get(account=account, user=user))


def make_client_account(firm: Account, slug: str, owner: User | None = None, **fields: Any) -> Account:
    """A client account of `firm`, owned by the firm's partner acting for the firm (as creation does)."""
    owner = owner or partner_of(firm)
    account = make_account(slug, slug.replace("-", " ").title(), owner, managed_by=firm, **fields)
    Membership.objects.filter(account=account, user=owner).update(firm=firm)
    return account


def events(account: Account, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(account=account, action=action).order_by("pk"))


@pytest.fixture
def partner(firm) -> User:
    return partner_of(firm)


@pytest.fixture
def firm_actor(firm, partner) -> Actor:
    return actor_in(firm, partner)


@pytest.fixture
def clients(firm) -> list[Account]:
    return [make_client_account(firm, "boulangerie-martin"), make_client_account(firm, "garage-leroy")]


@pytest.fixture
def junior(firm) -> User:
    """A collaborator of the firm with the role Utilisateur there (no firm.manage)."""
    user = make_user("julien@cabinet-dupont.test", "Julien", "Petit")
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_MEMBER)
    return user


@pytest.fixture
def other_firm(db) -> Account:
    return make_account(
        "cabinet-martin", "Cabinet Martin", make_user("marc@cabinet-martin.test"), plan=plans.ACCOUNTING,
        firm_module_enabled=True,
    )  # fmt: skip


# --- set_firm_module ---------------------------------------------------------------------------


def test_the_module_can_be_turned_on_by_an_accounting_plan_account_and_is_audited(db):
    user = make_user("paul@cabinet.test")
    account = make_account("cabinet", "Cabinet", user, plan=plans.ACCOUNTING)

    result = services.set_firm_module(actor_in(account, user), account, True)

    assert result.is_firm
    account.refresh_from_db()
    assert account.firm_module_enabled and account.is_firm
    [event] = events(account, "firm.module_changed")
    assert event.changes == {"firm_module_enabled": [False, True]} and event.actor == user


def test_the_module_is_refused_off_the_accounting_plan(owner, acme):
    with pytest.raises(ServiceError, match="disponible avec la formule Comptabilité"):
        services.set_firm_module(actor_in(acme, owner), acme, True)

    acme.refresh_from_db()
    assert not acme.firm_module_enabled
    assert not events(acme, "firm.module_changed")


def test_turning_the_module_on_needs_settings_manage(firm, junior):
    Account.objects.filter(pk=firm.pk).update(firm_module_enabled=False)
    firm.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.set_firm_module(actor_in(firm, junior), firm, True)

    firm.refresh_from_db()
    assert not firm.firm_module_enabled


def test_turning_the_module_off_keeps_the_client_accounts_linked(firm, firm_actor, clients):
    services.set_firm_module(firm_actor, firm, False)

    firm.refresh_from_db()
    assert not firm.is_firm
    assert set(Account.objects.filter(managed_by=firm)) == set(clients)
    [event] = events(firm, "firm.module_changed")
    assert event.changes == {"firm_module_enabled": [True, False]}


def test_saving_the_same_value_records_nothing(firm, firm_actor):
    services.set_firm_module(firm_actor, firm, True)

    assert not events(firm, "firm.module_changed")


# --- next_free_slug ------------------------------------------------------------------------------


def test_the_first_proposed_address_is_the_firm_slug_and_2(firm):
    assert services.next_free_slug(firm) == "cabinet-dupont-2"


def test_the_proposed_address_follows_the_highest_number_in_one_query(firm, django_assert_num_queries):
    for slug in ["cabinet-dupont-2", "cabinet-dupont-7", "cabinet-dupont-paris", "cabinet-dupontel-9"]:
        make_client_account(firm, slug)

    with django_assert_num_queries(1):
        assert services.next_free_slug(firm) == "cabinet-dupont-8"


def test_a_long_firm_slug_is_shortened_so_the_proposal_is_a_valid_address(db):
    user = make_user("long@cabinet.test")
    firm = make_account("c" * 40, "Long", user, plan=plans.ACCOUNTING, firm_module_enabled=True)

    slug = services.next_free_slug(firm)

    assert slug == "c" * 33 + "-2"
    from facturier.tenancy.slugs import slug_problems

    assert slug_problems(slug) == []


# --- create_client_account ---------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_creating_a_client_account_makes_a_blank_pro_account_owned_by_the_firm_user(
    firm, partner, firm_actor, settings
):
    settings.FACTURIER_BASE_URL = "https://factures.example"

    account = services.create_client_account(
        firm_actor, firm, name=" Boulangerie Martin ", slug="boulangerie-martin"
    )

    account.refresh_from_db()
    assert (account.slug, account.name) == ("boulangerie-martin", "Boulangerie Martin")
    assert account.plan == plans.PRO and account.subscription_ends_on == datetime.date(2026, 3, 10)
    assert account.managed_by == firm
    membership = Membership.objects.get(account=account)
    assert membership.user == partner and membership.is_owner and membership.role == permissions.ROLE_ADMIN
    assert membership.firm == firm
    assert counted_members(account) == 0  # firm staff leave the PRO plan's 5 users to the client
    [on_firm] = events(firm, "firm.client_account_created")
    assert on_firm.target == "boulangerie-martin" and on_firm.actor == partner
    [on_client] = events(account, "account.created")
    assert on_client.actor == partner and on_client.via_firm == firm
    [message] = mail.outbox
    assert message.to == [partner.email]
    assert "Boulangerie Martin" in message.subject
    assert "https://factures.example/boulangerie-martin/settings/users/" in message.body
    assert "PRO" in message.body and "10/03/2026" in message.body


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("acme", "L'adresse « acme » est déjà prise."),
        ("login", "« login » est un mot réservé"),
        ("Ma Boîte", "lettres minuscules sans accent"),
    ],
)
def test_creating_a_client_account_refuses_a_bad_address_and_stores_nothing(
    firm, firm_actor, acme, slug, message
):
    before = Account.objects.count()

    with pytest.raises(ServiceError, match=message) as refused:
        services.create_client_account(firm_actor, firm, name="Ma Boîte", slug=slug)

    assert refused.value.field == "slug"
    assert Account.objects.count() == before
    assert not events(firm, "firm.client_account_created")
    assert not mail.outbox


def test_creating_a_client_account_needs_a_name(firm, firm_actor):
    with pytest.raises(ServiceError, match="nom de l'entreprise") as refused:
        services.create_client_account(firm_actor, firm, name="  ", slug="sans-nom")

    assert refused.value.field == "name"
    assert not Account.objects.filter(slug="sans-nom").exists()


def test_an_account_that_is_not_a_firm_cannot_create_client_accounts(owner, acme):
    with pytest.raises(ServiceError, match="formule Comptabilité"):
        services.create_client_account(actor_in(acme, owner), acme, name="X", slug="x-client")

    assert not Account.objects.filter(slug="x-client").exists()


def test_a_firm_with_the_module_off_cannot_create_client_accounts(firm, firm_actor):
    Account.objects.filter(pk=firm.pk).update(firm_module_enabled=False)
    firm.refresh_from_db()

    with pytest.raises(ServiceError, match="n'est pas activé"):
        services.create_client_account(firm_actor, firm, name="X", slug="x-client")

    assert not Account.objects.filter(slug="x-client").exists()


def test_a_firm_collaborator_without_firm_manage_cannot_create_client_accounts(firm, junior):
    with pytest.raises(PermissionDenied):
        services.create_client_account(actor_in(firm, junior), firm, name="X", slug="x-client")

    assert not Account.objects.filter(slug="x-client").exists()


def test_a_membership_in_another_account_gives_no_right_on_the_firm(firm, owner, acme):
    with pytest.raises(PermissionDenied):
        services.create_client_account(actor_in(acme, owner), firm, name="X", slug="x-client")

    assert not Account.objects.filter(slug="x-client").exists()


# --- disconnect_client_accounts ----------------------------------------------------------------


def test_disconnecting_unlinks_the_accounts_keeps_plan_and_owner_and_removes_the_staff(
    firm, partner, firm_actor, clients, settings
):
    settings.FACTURIER_BASE_URL = "https://factures.example"
    first, second = clients
    Account.objects.filter(pk=first.pk).update(
        plan=plans.MAX, subscription_ends_on=datetime.date(2099, 6, 30)
    )
    staff = make_user("sam@cabinet-dupont.test")
    Membership.objects.create(account=first, user=staff, role=permissions.ROLE_ACCOUNTANT, firm=firm)

    result = services.disconnect_client_accounts(firm_actor, firm, [first, second])

    assert [a.pk for a in result] == [first.pk, second.pk] and all(a.managed_by is None for a in result)
    first.refresh_from_db()
    assert first.managed_by is None
    assert (first.plan, first.subscription_ends_on) == (plans.MAX, datetime.date(2099, 6, 30))
    assert not Account.objects.filter(managed_by=firm).exists()
    assert Membership.objects.get(account=first, is_owner=True).user == partner
    assert not Membership.objects.filter(account=first, user=staff).exists()
    [revoked] = events(first, "firm.staff_revoked")
    assert revoked.target == staff.email and revoked.via_firm == firm
    assert [e.target for e in events(firm, "firm.client_account_disconnected")] == [first.slug, second.slug]
    [on_client] = events(first, "firm.client_account_disconnected")
    assert on_client.actor == partner and on_client.via_firm == firm
    assert len(events(second, "firm.client_account_disconnected")) == 1
    assert [m.to for m in mail.outbox] == [[partner.email], [partner.email]]
    message = mail.outbox[0]
    assert "n'est plus rattaché" in message.subject
    assert "30/06/2099" in message.body and "Désigner comme propriétaire du compte" in message.body
    assert f"https://factures.example/{first.slug}/settings/users/" in message.body


def test_disconnecting_emails_the_client_who_already_owns_the_account(firm, firm_actor, clients):
    client_owner = make_user("marie@boulangerie.test")
    first = clients[0]
    Membership.objects.filter(account=first).update(is_owner=False)
    Membership.objects.create(account=first, user=client_owner, role=permissions.ROLE_ADMIN, is_owner=True)

    services.disconnect_client_accounts(firm_actor, firm, [first])

    [message] = mail.outbox
    assert message.to == ["marie@boulangerie.test"]
    assert "n'ont plus accès au compte" in message.body


@pytest.mark.parametrize("which", ["independent", "other_firm"])
def test_disconnecting_an_account_this_firm_does_not_manage_changes_nothing(
    firm, firm_actor, clients, acme, other_firm, which
):
    foreign = acme if which == "independent" else make_client_account(other_firm, "client-martin")

    with pytest.raises(
        ServiceError, match=f"Le compte « {foreign.name} » n'est pas un compte client de ce cabinet"
    ):
        services.disconnect_client_accounts(firm_actor, firm, [clients[0], foreign])

    assert Account.objects.filter(managed_by=firm).count() == 2
    foreign.refresh_from_db()
    assert foreign.managed_by_id == (None if which == "independent" else other_firm.pk)
    assert not AuditEvent.objects.filter(action="firm.client_account_disconnected").exists()
    assert not mail.outbox


def test_disconnecting_nothing_is_refused(firm, firm_actor):
    with pytest.raises(ServiceError, match="Sélectionnez au moins un compte client"):
        services.disconnect_client_accounts(firm_actor, firm, [])


def test_disconnecting_needs_firm_manage(firm, junior, clients):
    with pytest.raises(PermissionDenied):
        services.disconnect_client_accounts(actor_in(firm, junior), firm, clients)

    assert Account.objects.filter(managed_by=firm).count() == 2


# --- set_lock_dates ------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_lock_date_of_several_accounts_changes_at_once_audited_in_each(
    firm, partner, firm_actor, clients
):
    services.set_lock_dates(firm_actor, firm, clients, datetime.date(2024, 12, 31))

    for account in clients:
        account.refresh_from_db()
        assert account.locked_until == datetime.date(2024, 12, 31)
        [event] = events(account, "account.lock_date_changed")
        assert event.actor == partner and event.via_firm == firm
        assert event.changes["locked_until"] == [None, "2024-12-31"]


@time_machine.travel(TODAY, tick=False)
def test_an_account_where_the_user_is_not_a_member_stops_the_whole_change(firm, partner, firm_actor, clients):
    second = clients[1]
    Membership.objects.filter(account=second, user=partner).update(is_owner=False)
    Membership.objects.filter(account=second, user=partner).delete()

    with pytest.raises(ServiceError, match="Vous n'êtes pas utilisateur du compte « Garage Leroy »"):
        services.set_lock_dates(firm_actor, firm, clients, datetime.date(2024, 12, 31))

    assert not Account.objects.filter(locked_until__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="account.lock_date_changed").exists()


@time_machine.travel(TODAY, tick=False)
def test_an_account_where_the_users_role_lacks_the_permission_stops_the_whole_change(firm, clients):
    staff = make_user("sam@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=staff, role=permissions.ROLE_ADMIN)
    Membership.objects.create(account=clients[0], user=staff, role=permissions.ROLE_ACCOUNTANT, firm=firm)
    Membership.objects.create(account=clients[1], user=staff, role=permissions.ROLE_MEMBER, firm=firm)

    with pytest.raises(ServiceError, match="« Garage Leroy » ne donne pas la permission"):
        services.set_lock_dates(actor_in(firm, staff), firm, clients, datetime.date(2024, 12, 31))

    assert not Account.objects.filter(locked_until__isnull=False).exists()


@time_machine.travel(TODAY, tick=False)
def test_a_rule_refusing_one_account_names_it_and_changes_none(firm, firm_actor, clients):
    # Moving the second account's date back needs a reason: the first account must stay unchanged too.
    Account.objects.filter(pk=clients[1].pk).update(locked_until=datetime.date(2025, 1, 31))

    with pytest.raises(ServiceError, match=r"^Garage Leroy : Reculer ou retirer"):
        services.set_lock_dates(firm_actor, firm, clients, datetime.date(2024, 12, 31))

    clients[0].refresh_from_db()
    assert clients[0].locked_until is None
    assert not AuditEvent.objects.filter(action="account.lock_date_changed").exists()


def test_the_lock_dates_of_an_account_this_firm_does_not_manage_are_refused(
    firm, firm_actor, acme, firm_accountant
):
    with pytest.raises(ServiceError, match="n'est pas un compte client de ce cabinet"):
        services.set_lock_dates(firm_actor, firm, [acme], datetime.date(2024, 12, 31))

    acme.refresh_from_db()
    assert acme.locked_until is None


# --- grant_staff / revoke_staff --------------------------------------------------------------------


@pytest.fixture
def sam(firm) -> User:
    """A collaborator of the firm, to be given access to client accounts."""
    user = make_user("sam@cabinet-dupont.test", "Sam", "Roux")
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_MEMBER)
    return user


def test_granting_staff_gives_access_to_every_selected_account_outside_the_plan_count(
    firm, partner, firm_actor, clients, sam
):
    result = services.grant_staff(firm_actor, firm, clients, sam, permissions.ROLE_ACCOUNTANT)

    assert len(result) == 2
    for account in clients:
        membership = Membership.objects.get(account=account, user=sam)
        assert (membership.role, membership.firm, membership.is_owner) == (
            permissions.ROLE_ACCOUNTANT,
            firm,
            False,
        )
        assert counted_members(account) == 0
        [event] = events(account, "firm.staff_granted")
        assert event.target == sam.email and event.actor == partner and event.via_firm == firm
    [on_firm] = events(firm, "firm.staff_granted")
    assert on_firm.changes == {"accounts": [None, ["boulangerie-martin", "garage-leroy"]]}


def test_granting_staff_updates_an_existing_role_and_leaves_an_owner_as_is(
    firm, partner, firm_actor, clients, sam
):
    Membership.objects.create(account=clients[0], user=sam, role=permissions.ROLE_MEMBER)

    services.grant_staff(firm_actor, firm, clients, partner, permissions.ROLE_ACCOUNTANT)
    services.grant_staff(firm_actor, firm, clients, sam, permissions.ROLE_ADMIN)

    # The partner owns both accounts: nothing to change there.
    assert Membership.objects.filter(user=partner, is_owner=True, role=permissions.ROLE_ADMIN).count() == 3
    changed = Membership.objects.get(account=clients[0], user=sam)
    assert (changed.role, changed.firm) == (permissions.ROLE_ADMIN, firm)
    [event] = events(clients[0], "firm.staff_granted")
    assert event.changes == {"role": ["Utilisateur", "Administrateur"]}


def test_granting_staff_refuses_someone_outside_the_firm(firm, firm_actor, clients, owner):
    with pytest.raises(ServiceError, match="n'est pas collaborateur du cabinet"):
        services.grant_staff(firm_actor, firm, clients, owner, permissions.ROLE_ACCOUNTANT)

    assert not Membership.objects.filter(user=owner, account__in=clients).exists()


def test_granting_a_custom_role_works_only_in_its_own_account(firm, firm_actor, clients, sam):
    role = Role.objects.create(account=clients[0], name="Saisie", permissions=["sales.view"])

    services.grant_staff(firm_actor, firm, clients[:1], sam, permissions.ROLE_CUSTOM, role)
    assert Membership.objects.get(account=clients[0], user=sam).custom_role == role

    with pytest.raises(ServiceError, match="« Garage Leroy » n'a pas ce rôle personnalisé"):
        services.grant_staff(firm_actor, firm, clients, sam, permissions.ROLE_CUSTOM, role)
    assert not Membership.objects.filter(account=clients[1], user=sam).exists()


def test_granting_staff_in_an_account_of_another_firm_changes_nothing(
    firm, firm_actor, clients, sam, other_firm
):
    foreign = make_client_account(other_firm, "client-martin")

    with pytest.raises(ServiceError, match="n'est pas un compte client de ce cabinet"):
        services.grant_staff(firm_actor, firm, [*clients, foreign], sam, permissions.ROLE_ACCOUNTANT)

    assert not Membership.objects.filter(user=sam).exclude(account=firm).exists()


def test_granting_staff_needs_firm_manage(firm, junior, clients, sam):
    with pytest.raises(PermissionDenied):
        services.grant_staff(actor_in(firm, junior), firm, clients, sam, permissions.ROLE_ACCOUNTANT)

    assert not Membership.objects.filter(user=sam).exclude(account=firm).exists()


def test_revoking_staff_removes_the_firm_access_and_keeps_the_clients_own(
    firm, partner, firm_actor, clients, sam
):
    services.grant_staff(firm_actor, firm, clients, sam, permissions.ROLE_ACCOUNTANT)
    third = make_client_account(firm, "plomberie-roux")
    Membership.objects.create(account=third, user=sam, role=permissions.ROLE_MEMBER)  # given by the client

    removed = services.revoke_staff(firm_actor, firm, [*clients, third], sam)

    assert removed == 2
    assert list(
        Membership.objects.filter(user=sam).values_list("account__slug", flat=True).order_by("pk")
    ) == [
        "cabinet-dupont",
        "plomberie-roux",
    ]
    [event] = events(clients[0], "firm.staff_revoked")
    assert event.actor == partner and event.via_firm == firm and event.target == sam.email
    [on_firm] = events(firm, "firm.staff_revoked")
    assert "2 compte(s)" in on_firm.summary


def test_revoking_never_removes_an_owner(firm, partner, firm_actor, clients, sam):
    services.grant_staff(firm_actor, firm, clients, sam, permissions.ROLE_ACCOUNTANT)

    with pytest.raises(ServiceError, match="est propriétaire du compte « Boulangerie Martin »"):
        services.revoke_staff(firm_actor, firm, clients, partner)

    assert Membership.objects.filter(user=partner, account__in=clients).count() == 2
    assert not AuditEvent.objects.filter(action="firm.staff_revoked").exists()


# --- add_client_user -------------------------------------------------------------------------------


def test_adding_the_client_as_administrator_from_the_firm(firm, partner, firm_actor, clients):
    account = clients[0]

    membership = services.add_client_user(
        firm_actor,
        firm,
        account,
        email="Marie@Boulangerie.test",
        role=permissions.ROLE_ADMIN,
        password="s3cret-choisi",
    )

    assert membership.account == account and membership.role == permissions.ROLE_ADMIN
    assert membership.firm is None and not membership.is_owner
    assert membership.user.email == "marie@boulangerie.test" and membership.user.check_password(
        "s3cret-choisi"
    )
    assert counted_members(account) == 1
    [event] = events(account, "member.added")
    assert event.actor == partner and event.via_firm == firm
    [message] = mail.outbox
    assert message.to == ["marie@boulangerie.test"]


def test_adding_a_client_user_without_a_password_sends_an_invitation(firm, firm_actor, clients):
    services.add_client_user(
        firm_actor, firm, clients[0], email="marie@boulangerie.test", role=permissions.ROLE_ADMIN
    )

    [message] = mail.outbox
    assert "Choisissez votre mot de passe" in message.body


def test_adding_a_client_user_respects_the_pro_limit(firm, firm_actor, clients):
    account = clients[0]
    for n in range(5):
        Membership.objects.create(account=account, user=make_user(f"u{n}@boulangerie.test"))

    with pytest.raises(PlanLimitError):
        services.add_client_user(
            firm_actor, firm, account, email="sixth@boulangerie.test", role=permissions.ROLE_MEMBER
        )

    assert not User.objects.filter(email="sixth@boulangerie.test").exists()


def test_adding_a_client_user_needs_users_manage_in_that_account(firm, clients):
    staff = make_user("sam@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=staff, role=permissions.ROLE_ADMIN)
    Membership.objects.create(account=clients[0], user=staff, role=permissions.ROLE_ACCOUNTANT, firm=firm)

    with pytest.raises(
        ServiceError, match="ne donne pas la permission « Gérer les utilisateurs et les rôles »"
    ):
        services.add_client_user(
            actor_in(firm, staff),
            firm,
            clients[0],
            email="marie@boulangerie.test",
            role=permissions.ROLE_ADMIN,
        )

    assert not User.objects.filter(email="marie@boulangerie.test").exists()


def test_adding_a_user_to_an_account_this_firm_does_not_manage_is_refused(
    firm, firm_actor, acme, firm_accountant
):
    with pytest.raises(ServiceError, match="n'est pas un compte client de ce cabinet"):
        services.add_client_user(firm_actor, firm, acme, email="x@acme.test", role=permissions.ROLE_ADMIN)

    assert not User.objects.filter(email="x@acme.test").exists()


def test_bulk_changes_take_a_fixed_number_of_queries_per_account(firm, firm_actor, sam):
    def grant_queries(count: int) -> int:
        accounts = [make_client_account(firm, f"client-{count}-{n}") for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            services.grant_staff(firm_actor, firm, accounts, sam, permissions.ROLE_ACCOUNTANT)
        return len(queries)

    few, many = grant_queries(2), grant_queries(12)

    # Lookups and writes of memberships are batched; only the audit trail writes one row per account.
    assert many - few == 10
