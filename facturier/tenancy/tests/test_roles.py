"""Paramètres > Rôles: the role × permission matrix and the account's custom roles."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from facturier.conftest import logged_in, make_user
from facturier.tenancy import permissions
from facturier.tenancy.models import AuditEvent, Membership, Role


def url(name, *args, slug="acme"):
    return reverse(f"tenancy:{name}", args=[slug, *args])


def page_text(response):
    return response.content.decode()


def give_role(account, role, email="holder@acme.test"):
    user = make_user(email)
    Membership.objects.create(account=account, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    return user


# --- Who may open the pages ---------------------------------------------------------------------


def test_every_roles_url_is_a_404_for_an_outsider(outsider_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"])
    for name, args in [("roles", []), ("role_new", []), ("role_edit", [role.pk]), ("role_delete", [role.pk])]:
        assert outsider_client.get(url(name, *args)).status_code == 404, name
        data = {"name": "Piraté", "permissions": ["users.manage"]}
        assert outsider_client.post(url(name, *args), data).status_code == 404, name
    role.refresh_from_db()
    assert role.name == "Commercial" and role.permissions == ["sales.view"]
    assert list(Role.objects.filter(account=acme)) == [role]


def test_every_roles_url_is_a_403_for_a_member_without_users_manage(collaborator_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"])
    for name, args in [("roles", []), ("role_new", []), ("role_edit", [role.pk]), ("role_delete", [role.pk])]:
        assert collaborator_client.get(url(name, *args)).status_code == 403, name
        data = {"name": "Tout", "permissions": ["users.manage"]}
        assert collaborator_client.post(url(name, *args), data).status_code == 403, name
    role.refresh_from_db()
    assert role.permissions == ["sales.view"]
    assert not AuditEvent.objects.filter(account=acme).exists()


def test_a_role_of_another_account_is_a_404(owner_client, acme, globex):
    theirs = Role.objects.create(account=globex, name="Globex", permissions=["sales.view"])

    assert owner_client.get(url("role_edit", theirs.pk)).status_code == 404
    assert owner_client.post(url("role_edit", theirs.pk), {"name": "Volé"}).status_code == 404
    assert owner_client.post(url("role_delete", theirs.pk)).status_code == 404

    theirs.refresh_from_db()
    assert theirs.name == "Globex"


def test_deleting_a_role_only_takes_post(owner_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=[])

    assert owner_client.get(url("role_delete", role.pk)).status_code == 405
    assert Role.objects.filter(pk=role.pk).exists()


# --- The matrix ---------------------------------------------------------------------------------


def test_the_matrix_shows_every_permission_for_builtin_and_custom_roles(owner_client, acme, globex):
    role = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view", "sales.create"])
    Role.objects.create(account=globex, name="Secret de Globex", permissions=[])

    response = owner_client.get(url("roles"))

    assert response.status_code == 200
    text = page_text(response)
    for label in ["Administrateur", "Comptable", "Utilisateur", "Commercial"]:
        assert f"{label}\n" in text
    assert "Secret de Globex" not in text
    for group, perms in permissions.grouped_catalogue():
        assert f">{group}</th>" in text
        for p in perms:
            assert f'<th scope="row">{escape(p.label)}</th>' in text
    # One ✓ per permission a column grants: administrator all 26, and 2 for the custom role.
    granted = sum(len(codes) for codes in permissions.BUILTIN_ROLE_PERMISSIONS.values()) + 2
    assert text.count(">✓</span>") == granted
    assert text.count(">—</span>") == 4 * len(permissions.CATALOGUE) - granted
    assert (
        url("role_new") in text and url("role_edit", role.pk) in text and url("role_delete", role.pk) in text
    )


def test_the_matrix_marks_the_right_cells(owner_client, acme):
    Role.objects.create(account=acme, name="Lecteur", permissions=["users.manage"])

    text = page_text(owner_client.get(url("roles")))

    row = text[text.index('<th scope="row">Gérer les utilisateurs et les rôles</th>') :].split("</tr>")[0]
    # Administrateur, Comptable, Utilisateur, Lecteur
    assert [cell.split('class="')[1][:2] for cell in row.split("<td")[1:]] == ["ye", "no", "no", "ye"]


@pytest.mark.parametrize("custom_roles", [1, 8])
def test_the_roles_page_runs_the_same_number_of_queries_whatever_the_roles(
    owner_client, acme, custom_roles, django_assert_num_queries
):
    for n in range(custom_roles):
        give_role(
            acme,
            Role.objects.create(account=acme, name=f"Rôle {n}", permissions=["sales.view"]),
            f"u{n}@a.test",
        )
    owner_client.get(url("roles"))

    # session, user, the gate's membership, custom roles with their member counts
    with django_assert_num_queries(4):
        response = owner_client.get(url("roles"))

    assert page_text(response).count("1 utilisateur</span>") == custom_roles


# --- Creating, changing, deleting ---------------------------------------------------------------


def test_it_creates_a_custom_role(owner_client, acme):
    response = owner_client.post(
        url("role_new"),
        {"name": " Commercial ", "permissions": ["sales.view", "clients.view", "sales.create"]},
        follow=True,
    )

    assert response.redirect_chain == [(url("roles"), 302)]
    assert "Rôle « Commercial » créé" in page_text(response)
    role = Role.objects.get(account=acme)
    assert role.name == "Commercial"
    assert role.permissions == ["clients.view", "sales.create", "sales.view"]
    event = AuditEvent.objects.get(account=acme, action="role.created")
    assert event.target == "Commercial"


def test_the_role_form_groups_the_permissions_in_fieldsets(owner_client, acme):
    text = page_text(owner_client.get(url("role_new")))

    assert text.count("<fieldset>") == len(permissions.grouped_catalogue())
    assert text.count('type="checkbox" name="permissions"') == len(permissions.CATALOGUE)
    for group, _perms in permissions.grouped_catalogue():
        assert f"<legend>{group}</legend>" in text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "commercial", "permissions": ["sales.view"]}, "name", "Un rôle porte déjà ce nom"),
        ({"name": "", "permissions": ["sales.view"]}, "name", "obligatoire"),
        ({"name": "Pirate", "permissions": ["root.everything"]}, "permissions", "root.everything"),
    ],
)
def test_it_refuses_a_bad_role_on_the_form_and_stores_nothing(owner_client, acme, data, field, message):
    Role.objects.create(account=acme, name="Commercial", permissions=[])

    response = owner_client.post(url("role_new"), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert list(Role.objects.filter(account=acme).values_list("name", flat=True)) == ["Commercial"]
    assert not AuditEvent.objects.filter(account=acme).exists()


def test_it_changes_a_custom_role_and_its_holders_permissions(owner_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"])
    holder = give_role(acme, role)
    assert logged_in(holder).get(url("users")).status_code == 403

    form_page = page_text(owner_client.get(url("role_edit", role.pk)))
    assert 'value="Commercial"' in form_page
    assert form_page.count("checked") == 1
    response = owner_client.post(
        url("role_edit", role.pk), {"name": "Responsable", "permissions": ["users.manage"]}
    )

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.name == "Responsable" and role.permissions == ["users.manage"]
    assert logged_in(holder).get(url("users")).status_code == 200
    event = AuditEvent.objects.get(account=acme, action="role.changed")
    assert event.changes["name"] == ["Commercial", "Responsable"]
    assert "users.manage" in event.changes["permissions"][1]


def test_it_deletes_a_custom_role_nobody_holds(owner_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=[])

    response = owner_client.post(url("role_delete", role.pk), follow=True)

    assert "Rôle « Commercial » supprimé" in page_text(response)
    assert not Role.objects.filter(pk=role.pk).exists()
    assert AuditEvent.objects.get(account=acme, action="role.deleted").target == "Commercial"


def test_it_refuses_to_delete_a_role_members_hold(owner_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=[])
    give_role(acme, role)

    response = owner_client.post(url("role_delete", role.pk), follow=True)

    assert "Ce rôle est attribué à des utilisateurs" in page_text(response)
    assert Role.objects.filter(pk=role.pk).exists()
    assert not AuditEvent.objects.filter(account=acme, action="role.deleted").exists()


def test_the_delete_button_asks_for_confirmation(owner_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=[])

    text = page_text(owner_client.get(url("roles")))

    start = text.index(f'action="{url("role_delete", role.pk)}"')
    assert "data-confirm=" in text[start : text.index(">", start)]
