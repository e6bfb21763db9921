"""The firm's ways of giving roles in client accounts hand out no more than the giver holds.

"Donner accès à un collaborateur" is bounded by the giver's role in the firm (only a firm administrator
makes administrators of client accounts); "Ajouter un utilisateur" acts as the giver's membership in
the client account, whose rules apply (tenancy/tests/test_grants.py).
"""

import pytest
from django.urls import reverse

from facturier.accounts.models import User
from facturier.conftest import logged_in, make_account, make_user
from facturier.firm import services
from facturier.tenancy import permissions
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account, AuditEvent, Membership, Role

BULK = reverse("firm:bulk_action", args=["cabinet-dupont"])


@pytest.fixture
def partner(firm) -> User:
    return User.objects.get(email="claire@cabinet-dupont.test")


@pytest.fixture
def client_accounts(firm, partner) -> list[Account]:
    accounts = [
        make_account("boulangerie-martin", "Boulangerie Martin", partner, managed_by=firm),
        make_account("garage-leroy", "Garage Leroy", partner, managed_by=firm),
    ]
    Membership.objects.filter(account__in=accounts, user=partner).update(firm=firm)
    return accounts


def firm_member_with(firm, email, codes) -> User:
    """A collaborator of the firm whose custom role there holds exactly `codes`."""
    role = Role.objects.create(account=firm, name=f"Rôle de {email}", permissions=codes)
    user = make_user(email)
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    return user


def actor_in(account, user) -> Actor:
    return Actor(
        user=user, membership=Membership.objects.select_related("custom_role").get(account=account, user=user)
    )


def staff_in(accounts, user):
    return Membership.objects.filter(account__in=accounts, user=user)


def test_a_client_manager_cannot_make_themself_administrator_of_the_client_accounts(firm, client_accounts):
    manager = firm_member_with(firm, "marc@cabinet-dupont.test", ["firm.manage"])

    response = logged_in(manager).post(
        BULK,
        {
            "action": "grant",
            "ids": [a.pk for a in client_accounts],
            "confirm": "1",
            "user": manager.pk,
            "role": "admin",
        },
    )

    assert response.status_code == 200
    assert "Seul un administrateur peut donner le rôle Administrateur" in " ".join(
        response.context["form"].errors["role"]
    )
    assert not staff_in(client_accounts, manager).exists()
    assert not AuditEvent.objects.filter(action="firm.staff_granted").exists()


def test_a_client_manager_gives_no_role_holding_permissions_they_lack_in_the_firm(firm, client_accounts):
    manager = firm_member_with(firm, "marc@cabinet-dupont.test", ["firm.manage", "sales.view"])
    colleague = firm_member_with(firm, "paul@cabinet-dupont.test", [])

    with pytest.raises(ServiceError, match="Ce rôle donne des permissions que vous n'avez pas vous-même"):
        services.grant_staff(
            actor_in(firm, manager), firm, client_accounts, colleague, permissions.ROLE_ACCOUNTANT
        )

    assert not staff_in(client_accounts, colleague).exists()


def test_a_client_manager_holding_the_roles_permissions_gives_it_but_demotes_no_one_above(
    firm, client_accounts
):
    codes = ["firm.manage", *permissions.BUILTIN_ROLE_PERMISSIONS[permissions.ROLE_ACCOUNTANT]]
    manager = firm_member_with(firm, "marc@cabinet-dupont.test", codes)
    colleague = firm_member_with(firm, "paul@cabinet-dupont.test", [])
    first, second = client_accounts
    # The client made the colleague an administrator of its second account itself.
    Membership.objects.create(account=second, user=colleague, role=permissions.ROLE_ADMIN)
    actor = actor_in(firm, manager)

    services.grant_staff(actor, firm, [first], colleague, permissions.ROLE_ACCOUNTANT)
    with pytest.raises(ServiceError, match="Garage Leroy : Seul un administrateur peut changer le rôle"):
        services.grant_staff(actor, firm, client_accounts, colleague, permissions.ROLE_ACCOUNTANT)

    assert Membership.objects.get(account=first, user=colleague).role == permissions.ROLE_ACCOUNTANT
    assert Membership.objects.get(account=second, user=colleague).role == permissions.ROLE_ADMIN


def test_the_firms_add_a_user_page_gives_no_role_above_the_givers_own_in_the_client_account(
    firm, client_accounts
):
    account = client_accounts[0]
    manager = firm_member_with(firm, "marc@cabinet-dupont.test", ["firm.manage"])
    users_only = Role.objects.create(account=account, name="Utilisateurs", permissions=["users.manage"])
    Membership.objects.create(
        account=account, user=manager, role=permissions.ROLE_CUSTOM, custom_role=users_only, firm=firm
    )

    response = logged_in(manager).post(
        reverse("firm:account_add_user", args=["cabinet-dupont", account.pk]),
        {"email": "pirate@example.test", "role": "admin", "how": "invite"},
    )

    assert response.status_code == 200
    assert "Seul un administrateur peut donner le rôle Administrateur" in " ".join(
        response.context["form"].errors["role"]
    )
    assert not Membership.objects.filter(user__email="pirate@example.test").exists()


def test_the_grant_page_lists_only_the_roles_the_firm_user_may_give(firm, client_accounts):
    codes = ["firm.manage", *permissions.BUILTIN_ROLE_PERMISSIONS[permissions.ROLE_ACCOUNTANT]]
    manager = firm_member_with(firm, "marc@cabinet-dupont.test", codes)

    response = logged_in(manager).post(BULK, {"action": "grant", "ids": [a.pk for a in client_accounts]})

    role = response.context["form"].fields["role"]
    assert [value for value, _label in role.widget.choices] == [permissions.ROLE_ACCOUNTANT]
    assert 'value="admin"' not in response.content.decode()


def test_the_add_a_user_page_lists_only_the_roles_the_firm_user_may_give_in_the_client_account(
    firm, client_accounts
):
    account = client_accounts[0]
    manager = firm_member_with(firm, "marc@cabinet-dupont.test", ["firm.manage"])
    codes = ["users.manage", *permissions.BUILTIN_ROLE_PERMISSIONS[permissions.ROLE_MEMBER]]
    role = Role.objects.create(account=account, name="Utilisateurs", permissions=codes)
    Membership.objects.create(
        account=account, user=manager, role=permissions.ROLE_CUSTOM, custom_role=role, firm=firm
    )

    response = logged_in(manager).get(reverse("firm:account_add_user", args=["cabinet-dupont", account.pk]))

    role_field = response.context["form"].fields["role"]
    assert [value for value, _label in role_field.widget.choices] == [permissions.ROLE_MEMBER]
    html = response.content.decode()
    assert 'value="admin"' not in html and 'value="accountant"' not in html
