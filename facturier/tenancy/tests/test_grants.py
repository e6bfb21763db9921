"""Nobody grants a role or a permission they do not hold, on every path that gives one.

A custom role holding only "Gérer les utilisateurs et les rôles" reaches Paramètres > Utilisateurs and
Rôles: it must not make itself (or anyone) Administrateur, give permissions it lacks, edit a role above
it, or demote and remove the members above it. Only an administrator makes an administrator, and the
owner's role changes for nobody. The firm's paths are in firm/tests/test_grants.py.
"""

import json
import re

import pytest
from django.urls import reverse

from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions, services
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent, Membership, Role
from facturier.tenancy.services import create_api_token


def url(name, *args):
    return reverse(f"tenancy:{name}", args=["acme", *args])


def member_with(account, email, codes, name="Gestion des utilisateurs"):
    """A member whose custom role holds exactly `codes`."""
    role = Role.objects.create(account=account, name=name, permissions=codes)
    user = make_user(email)
    Membership.objects.create(account=account, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    return user


@pytest.fixture
def manager(acme):
    """Holds only "Gérer les utilisateurs et les rôles"."""
    return member_with(acme, "gerard@acme.test", ["users.manage"])


def membership_of(account, user):
    return Membership.objects.select_related("user", "custom_role", "account").get(account=account, user=user)


def actor_of(account, user):
    return Actor(user=user, membership=membership_of(account, user))


def role_changes(account):
    return AuditEvent.objects.filter(account=account, action="member.role_changed").count()


# --- Changing a role (Paramètres > Utilisateurs, "Changer") ---------------------------------------


def test_a_users_manager_cannot_make_themself_administrator(acme, manager):
    mine = membership_of(acme, manager)

    response = logged_in(manager).post(url("user_role", mine.pk), {"role": "admin"}, follow=True)

    assert "Seul un administrateur peut donner le rôle Administrateur" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == permissions.ROLE_CUSTOM
    assert role_changes(acme) == 0


def test_a_users_manager_cannot_raise_their_own_role_to_one_holding_more(acme, manager):
    mine = membership_of(acme, manager)

    with pytest.raises(
        ServiceError, match="Ce rôle donne des permissions que vous n'avez pas vous-même"
    ) as refused:
        services.change_role(actor_of(acme, manager), mine, role=permissions.ROLE_ACCOUNTANT)

    assert "Comptabilité : Voir les rapports" in refused.value.message and refused.value.field == "role"
    mine.refresh_from_db()
    assert mine.role == permissions.ROLE_CUSTOM and role_changes(acme) == 0


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("admin", "Seul un administrateur peut donner le rôle Administrateur"),
        ("accountant", "Ce rôle donne des permissions que vous n&#x27;avez pas vous-même"),
    ],
)
def test_a_users_manager_cannot_raise_a_colleague_either(acme, manager, role, message):
    guest = member_with(acme, "invite@acme.test", [], name="Invité")
    theirs = membership_of(acme, guest)

    response = logged_in(manager).post(url("user_role", theirs.pk), {"role": role}, follow=True)

    assert message in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.custom_role.name == "Invité" and role_changes(acme) == 0


def test_a_role_within_the_granters_own_permissions_can_be_given(acme, collaborator):
    codes = ["users.manage", *permissions.BUILTIN_ROLE_PERMISSIONS[permissions.ROLE_MEMBER]]
    manager = member_with(acme, "gerard@acme.test", codes)
    viewer = Role.objects.create(account=acme, name="Lecture", permissions=["sales.view", "clients.view"])
    theirs = membership_of(acme, collaborator)

    services.change_role(actor_of(acme, manager), theirs, role=permissions.ROLE_CUSTOM, custom_role=viewer)

    theirs.refresh_from_db()
    assert theirs.custom_role == viewer and role_changes(acme) == 1


def test_only_an_administrator_changes_or_removes_an_administrator(acme, owner):
    everything_but_admin = member_with(acme, "presque@acme.test", sorted(permissions.CODES), name="Presque")
    admin = make_user("adele@acme.test")
    admin_membership = Membership.objects.create(account=acme, user=admin, role=permissions.ROLE_ADMIN)
    actor = actor_of(acme, everything_but_admin)

    with pytest.raises(ServiceError, match="Seul un administrateur peut changer le rôle d'un administrateur"):
        services.change_role(actor, admin_membership, role=permissions.ROLE_MEMBER)
    with pytest.raises(ServiceError, match="Seul un administrateur peut changer le rôle d'un administrateur"):
        services.remove_member(actor, admin_membership)

    admin_membership.refresh_from_db()
    assert admin_membership.role == permissions.ROLE_ADMIN
    services.change_role(actor_of(acme, owner), admin_membership, role=permissions.ROLE_MEMBER)
    admin_membership.refresh_from_db()
    assert admin_membership.role == permissions.ROLE_MEMBER


def test_a_member_holding_more_than_the_manager_is_neither_demoted_nor_removed(acme, manager):
    accountant = make_user("anne@acme.test")
    theirs = Membership.objects.create(account=acme, user=accountant, role=permissions.ROLE_ACCOUNTANT)

    page = logged_in(manager)
    response = page.post(url("user_role", theirs.pk), {"role": "member"}, follow=True)
    assert "anne@acme.test a des permissions que vous n&#x27;avez pas" in response.content.decode()
    response = page.post(url("user_remove", theirs.pk), follow=True)
    assert "vous ne pouvez ni changer son rôle ni le retirer du compte" in response.content.decode()

    theirs.refresh_from_db()
    assert theirs.role == permissions.ROLE_ACCOUNTANT
    assert not AuditEvent.objects.filter(account=acme, action="member.removed").exists()


def test_nobody_but_the_owner_changes_the_owners_role(acme, owner):
    admin = make_user("adele@acme.test")
    Membership.objects.create(account=acme, user=admin, role=permissions.ROLE_ADMIN)
    owners = membership_of(acme, owner)

    for role in (permissions.ROLE_ACCOUNTANT, permissions.ROLE_MEMBER):
        with pytest.raises(ServiceError, match="Le propriétaire du compte reste administrateur"):
            services.change_role(actor_of(acme, admin), owners, role=role)

    owners.refresh_from_db()
    assert owners.is_owner and owners.role == permissions.ROLE_ADMIN


# --- Adding a user (Paramètres > Utilisateurs > Ajouter/inviter) ------------------------------------


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("admin", "Seul un administrateur peut donner le rôle Administrateur"),
        ("accountant", "Ce rôle donne des permissions que vous n&#x27;avez pas vous-même"),
    ],
)
def test_a_users_manager_cannot_add_a_user_with_a_role_above_their_own(acme, manager, role, message):
    response = logged_in(manager).post(
        url("user_add"), {"email": "pirate@example.test", "role": role, "how": "invite"}
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["role"]).replace("'", "&#x27;")
    assert not Membership.objects.filter(account=acme, user__email="pirate@example.test").exists()
    assert not AuditEvent.objects.filter(account=acme, action="member.added").exists()


def test_the_api_adds_no_user_with_a_role_above_the_tokens_own(acme, manager):
    token = create_api_token(actor_of(acme, manager), membership_of(acme, manager))[1]

    response = logged_in(manager).post(
        f"/account/add_user.json?api_token={token}",
        json.dumps(
            {"user": {"email": "pirate@example.test", "password": "Tulipe-Orange-Vélo-42", "role": "admin"}}
        ),
        content_type="application/json",
    )

    assert response.status_code == 422, response.content
    assert "Seul un administrateur" in json.dumps(response.json(), ensure_ascii=False)
    assert "user.role" in json.dumps(response.json())
    assert not Membership.objects.filter(account=acme, user__email="pirate@example.test").exists()


# --- Custom roles (Paramètres > Rôles) ---------------------------------------------------------------


def test_a_users_manager_cannot_create_a_role_with_permissions_they_lack(acme, manager):
    response = logged_in(manager).post(
        url("role_new"), {"name": "Tout-puissant", "permissions": ["users.manage", "settings.manage"]}
    )

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["permissions"])
    assert "Vous ne pouvez pas donner des permissions que vous n'avez pas vous-même" in errors
    assert "Administration : Gérer les paramètres du compte" in errors
    assert not Role.objects.filter(account=acme, name="Tout-puissant").exists()


def test_a_users_manager_cannot_add_permissions_to_their_own_role(acme, manager):
    mine = membership_of(acme, manager).custom_role

    response = logged_in(manager).post(
        url("role_edit", mine.pk), {"name": mine.name, "permissions": sorted(permissions.CODES)}
    )

    assert response.status_code == 200
    assert "que vous n'avez pas vous-même" in " ".join(response.context["form"].errors["permissions"])
    mine.refresh_from_db()
    assert mine.permissions == ["users.manage"]
    assert logged_in(manager).get(reverse("tenancy:account", args=["acme"])).status_code == 403


def test_a_users_manager_cannot_edit_a_role_holding_more_than_they_do(acme, manager):
    above = Role.objects.create(
        account=acme, name="Direction", permissions=["users.manage", "settings.manage"]
    )

    with pytest.raises(ServiceError, match="seul un utilisateur qui les a toutes peut le modifier"):
        services.save_role(
            actor_of(acme, manager), acme, name="Direction", codes=["users.manage"], role=above
        )

    above.refresh_from_db()
    assert above.permissions == ["users.manage", "settings.manage"]


def test_a_role_within_the_managers_permissions_can_be_created(acme):
    manager = member_with(acme, "gerard@acme.test", ["users.manage", "sales.view", "clients.view"])

    role = services.save_role(
        actor_of(acme, manager), acme, name="Lecture", codes=["sales.view", "clients.view"]
    )

    assert role.permission_set == {"sales.view", "clients.view"}


def test_a_membership_in_another_account_grants_nothing_here(acme, globex, outsider):
    with pytest.raises(ServiceError, match="Seul un administrateur"):
        services.add_member(
            actor_of(globex, outsider), acme, email="pirate@example.test", role=permissions.ROLE_ADMIN
        )


# --- The role lists offer only what the giver may give --------------------------------------------


def offered_roles(html):
    """The option values of the page's role lists (each select of the page, flattened)."""
    return re.findall(r'<option value="([^"]*)"', html)


def test_the_add_a_user_page_lists_only_the_roles_the_manager_may_give(acme, manager):
    helper = Role.objects.create(account=acme, name="Lecture", permissions=[])
    above = Role.objects.create(account=acme, name="Ventes", permissions=["sales.view", "users.manage"])

    response = logged_in(manager).get(url("user_add"))

    form = response.context["form"]
    role_options = [value for value, _label in form.fields["role"].widget.choices[0][1]]
    own = membership_of(acme, manager).custom_role_id
    assert role_options == [f"custom:{own}", f"custom:{helper.pk}"]
    html = response.content.decode()
    assert 'value="admin"' not in html and 'value="accountant"' not in html
    assert f'value="custom:{above.pk}"' not in html


def test_an_administrator_is_offered_every_role(acme, owner):
    custom = Role.objects.create(account=acme, name="Ventes", permissions=["sales.view"])

    html = logged_in(owner).get(url("user_add")).content.decode()

    for value in ("admin", "accountant", "member", f"custom:{custom.pk}"):
        assert f'value="{value}"' in html


def test_the_users_list_offers_only_grantable_roles_and_no_list_for_members_above(
    acme, manager, collaborator
):
    lower = member_with(acme, "lea@acme.test", [], name="Lecture")
    lower_membership = membership_of(acme, lower)

    response = logged_in(manager).get(url("users"))

    html = response.content.decode()
    assert reverse("tenancy:user_role", args=["acme", lower_membership.pk]) in html
    # Colin is an Utilisateur, whose permissions the manager lacks: no list to change it.
    colin = membership_of(acme, collaborator)
    assert reverse("tenancy:user_role", args=["acme", colin.pk]) not in html
    assert "Ce rôle a des permissions que vous n" in html
    own = membership_of(acme, manager).custom_role_id
    assert set(offered_roles(html)) == {f"custom:{own}", f"custom:{lower_membership.custom_role_id}"}


def test_a_forged_role_still_gets_the_services_refusal_from_the_add_page(acme, manager):
    response = logged_in(manager).post(
        url("user_add"), {"email": "x@acme.test", "role": "admin", "how": "invite"}
    )

    assert "Seul un administrateur peut donner le rôle Administrateur" in " ".join(
        response.context["form"].errors["role"]
    )
    assert not Membership.objects.filter(user__email="x@acme.test").exists()
