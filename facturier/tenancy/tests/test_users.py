"""Paramètres > Utilisateurs: the members list, adding and inviting, roles, removal and ownership."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import resolve, reverse
from django.utils.http import urlsafe_base64_decode

from facturier.accounts.models import User
from facturier.conftest import PASSWORD, logged_in, make_user
from facturier.tenancy import audit, permissions
from facturier.tenancy.models import AuditEvent, Membership, Role

STRONG_PASSWORD = "Tulipe-Orange-Vélo-42"


def url(name, *args, slug="acme"):
    return reverse(f"tenancy:{name}", args=[slug, *args])


def add_member(account, email, role=permissions.ROLE_MEMBER, custom_role=None):
    user = make_user(email)
    Membership.objects.create(account=account, user=user, role=role, custom_role=custom_role)
    return user


def page_text(response):
    return response.content.decode()


def assert_audited(account, action, target):
    assert action in audit.ACTIONS
    assert AuditEvent.objects.filter(account=account, action=action, target=target).count() == 1


# --- Who may open the pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(permissions.ROLE_ADMIN, 200), (permissions.ROLE_ACCOUNTANT, 403), (permissions.ROLE_MEMBER, 403)],
)
def test_each_builtin_role_gets_the_users_page_only_with_users_manage(acme, role, status):
    user = add_member(acme, f"{role}@acme.test", role=role)

    response = logged_in(user).get(url("users"))

    assert response.status_code == status
    assert ("users.manage" in permissions.BUILTIN_ROLE_PERMISSIONS[role]) == (status == 200)


@pytest.mark.parametrize(("codes", "status"), [(["users.manage"], 200), (["sales.view", "audit.view"], 403)])
def test_a_custom_role_opens_the_users_pages_only_with_users_manage_ticked(acme, codes, status):
    role = Role.objects.create(account=acme, name="Sur mesure", permissions=codes)
    user = add_member(acme, "custom@acme.test", role=permissions.ROLE_CUSTOM, custom_role=role)
    client = logged_in(user)

    assert client.get(url("users")).status_code == status
    assert client.get(url("user_add")).status_code == status
    assert client.get(url("roles")).status_code == status


def test_every_users_url_is_a_404_for_an_outsider(outsider_client, acme, owner, collaborator):
    pk = Membership.objects.get(account=acme, user=collaborator).pk
    owner_pk = Membership.objects.get(account=acme, user=owner).pk
    for name, args in [
        ("users", []),
        ("user_add", []),
        ("user_role", [pk]),
        ("user_remove", [pk]),
        ("user_make_owner", [pk]),
        ("user_make_owner", [owner_pk]),
    ]:
        assert outsider_client.get(url(name, *args)).status_code == 404, name
        data = {"email": "x@globex.test", "role": "admin", "how": "invite"}
        assert outsider_client.post(url(name, *args), data).status_code == 404, name
    assert Membership.objects.filter(account=acme).count() == 2
    assert not AuditEvent.objects.filter(account=acme).exists()


def test_every_users_url_is_a_403_for_a_member_without_users_manage(collaborator_client, acme, owner):
    pk = Membership.objects.get(account=acme, user=owner).pk
    for name, args in [
        ("users", []),
        ("user_add", []),
        ("user_role", [pk]),
        ("user_remove", [pk]),
        ("user_make_owner", [pk]),
    ]:
        assert collaborator_client.get(url(name, *args)).status_code == 403, name
        data = {"email": "x@acme.test", "role": "admin", "how": "invite"}
        assert collaborator_client.post(url(name, *args), data).status_code == 403, name
    assert Membership.objects.get(account=acme, is_owner=True).user == owner
    assert not AuditEvent.objects.filter(account=acme).exists()


def test_a_membership_of_another_account_is_a_404(owner_client, acme, globex, outsider, collaborator):
    theirs = Membership.objects.get(account=globex, user=outsider)

    for name in ["user_role", "user_remove", "user_make_owner"]:
        assert owner_client.post(url(name, theirs.pk), {"role": "member"}).status_code == 404, name

    theirs.refresh_from_db()
    assert theirs.is_owner and theirs.role == permissions.ROLE_ADMIN
    # And the other way round: acme's membership under globex's address.
    ours = Membership.objects.get(account=acme, user=collaborator)
    response = logged_in(outsider).post(url("user_remove", ours.pk, slug="globex"))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=ours.pk).exists()


def test_the_role_change_and_removal_buttons_only_take_post(owner_client, acme, collaborator):
    pk = Membership.objects.get(account=acme, user=collaborator).pk
    for name in ["user_role", "user_remove", "user_make_owner"]:
        assert owner_client.get(url(name, pk)).status_code == 405
    assert Membership.objects.filter(pk=pk, role=permissions.ROLE_MEMBER, is_owner=False).exists()


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_members_roles_the_owner_the_firm_and_the_plan_usage(
    owner_client, acme, owner, collaborator, firm_accountant
):
    response = owner_client.get(url("users"))

    assert response.status_code == 200
    text = page_text(response)
    for email in [owner.email, collaborator.email, firm_accountant.email]:
        assert email in text
    assert text.count("Propriétaire</span>") == 1
    assert "via Cabinet Dupont" in text
    # Firm staff are not counted: 3 members, 2 of the 5 users of the PRO plan.
    assert "2 / 5 utilisateurs (formule PRO)" in text
    assert "ne sont pas comptés" in text
    assert url("user_add") in text
    assert '<option value="accountant" selected>Comptable</option>' in text


def test_the_list_offers_the_accounts_custom_roles_and_no_other(owner_client, acme, globex, collaborator):
    ours = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"])
    theirs = Role.objects.create(account=globex, name="Secret de Globex", permissions=[])

    text = page_text(owner_client.get(url("users")))

    assert f'value="custom:{ours.pk}"' in text and "Commercial" in text
    assert "Secret de Globex" not in text and f'value="custom:{theirs.pk}"' not in text


@pytest.mark.parametrize("members", [3, 12])
def test_the_list_runs_the_same_number_of_queries_whatever_the_members(
    owner_client, acme, firm, members, django_assert_num_queries
):
    Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"])
    for n in range(members - 1):
        add_member(acme, f"member{n}@acme.test")
    owner_client.get(url("users"))  # the first visit also remembers the current account

    # session, user, the gate's membership, members, custom roles, counted members
    with django_assert_num_queries(6):
        response = owner_client.get(url("users"))

    assert response.status_code == 200
    assert page_text(response).count('name="role"') == members - 1  # every row but the owner's


# --- Adding a user ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(permissions.BUILTIN_ROLE_LABELS))
def test_it_adds_a_user_with_each_builtin_role(owner_client, acme, role):
    response = owner_client.post(
        url("user_add"), {"email": "New@Acme.test ", "role": role, "how": "invite"}, follow=True
    )

    assert response.redirect_chain == [(url("users"), 302)]
    assert "new@acme.test a été ajouté" in page_text(response)
    membership = Membership.objects.get(account=acme, user__email="new@acme.test")
    assert membership.role == role and membership.custom_role is None and not membership.is_owner
    assert_audited(acme, "member.added", "new@acme.test")


def test_it_adds_a_user_with_a_custom_role(owner_client, acme):
    role = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view", "sales.create"])

    response = owner_client.post(
        url("user_add"), {"email": "sales@acme.test", "role": f"custom:{role.pk}", "how": "invite"}
    )

    assert response.status_code == 302
    membership = Membership.objects.get(account=acme, user__email="sales@acme.test")
    assert membership.role == permissions.ROLE_CUSTOM and membership.custom_role == role
    assert membership.has_perm("sales.create") and not membership.has_perm("sales.delete")


def test_it_refuses_a_custom_role_of_another_account(owner_client, acme, globex):
    theirs = Role.objects.create(account=globex, name="Globex", permissions=list(permissions.CODES))

    response = owner_client.post(
        url("user_add"), {"email": "sneaky@acme.test", "role": f"custom:{theirs.pk}", "how": "invite"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(email="sneaky@acme.test").exists()


def test_an_invitation_emails_a_link_to_choose_the_password(owner_client, acme):
    response = owner_client.post(
        url("user_add"), {"email": "invitee@acme.test", "role": "member", "how": "invite"}
    )

    assert response.status_code == 302
    user = User.objects.get(email="invitee@acme.test")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["invitee@acme.test"]
    assert "Invitation à rejoindre ACME SAS" in message.subject
    link = re.search(re.escape(settings.FACTURIER_BASE_URL) + r"(/\S+)", str(message.body))
    assert link
    match = resolve(link.group(1))
    assert match.view_name == "accounts:password_reset_confirm"
    assert urlsafe_base64_decode(match.kwargs["uidb64"]).decode() == str(user.pk)
    assert default_token_generator.check_token(user, match.kwargs["token"])


def test_a_password_chosen_by_the_inviter_is_set_and_the_user_is_told_they_were_added(owner_client, acme):
    response = owner_client.post(
        url("user_add"),
        {"email": "direct@acme.test", "role": "member", "how": "chosen", "password": STRONG_PASSWORD},
        follow=True,
    )

    assert "Communiquez-lui le mot de passe" in page_text(response)
    user = User.objects.get(email="direct@acme.test")
    assert user.check_password(STRONG_PASSWORD)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["direct@acme.test"]
    assert "Vous avez accès au compte ACME SAS" in message.subject
    assert "le mot de passe vous sera communiqué" in message.body
    assert "/password-reset/" not in message.body


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Choisissez un mot de passe"),
        ("azerty", "trop court"),
        ("1234567890123", "entièrement numérique"),
    ],
)
def test_it_refuses_a_missing_or_weak_password(owner_client, acme, password, message):
    response = owner_client.post(
        url("user_add"),
        {"email": "weak@acme.test", "role": "member", "how": "chosen", "password": password},
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["password"])
    assert 'aria-invalid="true"' in page_text(response)
    assert not User.objects.filter(email="weak@acme.test").exists()
    assert mail.outbox == []


def test_it_shows_the_plan_limit_on_the_form_and_stores_nothing(
    owner_client, acme, collaborator, firm_accountant
):
    for n in range(3):
        add_member(acme, f"member{n}@acme.test")  # with the owner and the collaborator: 5 of PRO's 5
    users_before = User.objects.count()

    response = owner_client.post(
        url("user_add"), {"email": "sixth@acme.test", "role": "member", "how": "invite"}
    )

    assert response.status_code == 200
    assert "La formule PRO permet 5 utilisateur(s)" in " ".join(response.context["form"].errors["email"])
    assert "La formule PRO permet 5 utilisateur(s)" in page_text(response)
    assert User.objects.count() == users_before
    assert Membership.objects.filter(account=acme).count() == 6  # 5 counted, plus the firm's accountant
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(account=acme, action="member.added").exists()


def test_an_existing_email_attaches_that_user_and_ignores_the_password(owner_client, acme, outsider):
    users_before = User.objects.count()

    response = owner_client.post(
        url("user_add"),
        {"email": "OSCAR@globex.test", "role": "accountant", "how": "chosen", "password": "weak"},
    )

    assert response.status_code == 302
    assert User.objects.count() == users_before
    membership = Membership.objects.get(account=acme, user=outsider)
    assert membership.role == permissions.ROLE_ACCOUNTANT
    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD)
    assert [m.to for m in mail.outbox] == [["oscar@globex.test"]]
    assert "Vous avez accès au compte ACME SAS" in mail.outbox[0].subject


def test_it_refuses_someone_already_member(owner_client, acme, collaborator):
    response = owner_client.post(
        url("user_add"), {"email": collaborator.email, "role": "admin", "how": "invite"}
    )

    assert response.status_code == 200
    assert "déjà utilisateur de ce compte" in " ".join(response.context["form"].errors["email"])
    assert Membership.objects.get(account=acme, user=collaborator).role == permissions.ROLE_MEMBER
    assert mail.outbox == []


def test_it_refuses_an_invalid_email(owner_client, acme):
    response = owner_client.post(
        url("user_add"), {"email": "not-an-email", "role": "member", "how": "invite"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert Membership.objects.filter(account=acme).count() == 1


# --- Changing roles, removing, ownership ----------------------------------------------------------


def test_it_changes_a_members_role_to_a_builtin_then_a_custom_role(owner_client, acme, collaborator):
    membership = Membership.objects.get(account=acme, user=collaborator)
    role = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"])

    response = owner_client.post(url("user_role", membership.pk), {"role": "accountant"}, follow=True)

    assert response.redirect_chain == [(url("users"), 302)]
    assert "a maintenant le rôle Comptable" in page_text(response)
    membership.refresh_from_db()
    assert membership.role == permissions.ROLE_ACCOUNTANT
    owner_client.post(url("user_role", membership.pk), {"role": f"custom:{role.pk}"})
    membership.refresh_from_db()
    assert membership.custom_role == role
    events = AuditEvent.objects.filter(account=acme, action="member.role_changed").order_by("pk")
    assert [e.changes["role"] for e in events] == [["Utilisateur", "Comptable"], ["Comptable", "Commercial"]]


def test_it_refuses_an_unknown_role(owner_client, acme, collaborator):
    membership = Membership.objects.get(account=acme, user=collaborator)

    response = owner_client.post(url("user_role", membership.pk), {"role": "superuser"}, follow=True)

    assert "Choisissez un rôle dans la liste" in page_text(response)
    membership.refresh_from_db()
    assert membership.role == permissions.ROLE_MEMBER


def test_the_owner_cannot_be_demoted(acme, owner):
    admin = add_member(acme, "admin@acme.test", role=permissions.ROLE_ADMIN)
    owner_membership = Membership.objects.get(account=acme, user=owner)

    response = logged_in(admin).post(url("user_role", owner_membership.pk), {"role": "member"}, follow=True)

    assert response.status_code == 200
    assert "Le propriétaire du compte reste administrateur" in page_text(response)
    owner_membership.refresh_from_db()
    assert owner_membership.role == permissions.ROLE_ADMIN and owner_membership.is_owner
    assert not AuditEvent.objects.filter(account=acme, action="member.role_changed").exists()


def test_it_removes_a_member(owner_client, acme, collaborator):
    membership = Membership.objects.get(account=acme, user=collaborator)

    response = owner_client.post(url("user_remove", membership.pk), follow=True)

    assert "colin@acme.test a été retiré du compte" in page_text(response)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=collaborator.pk).exists()  # the person keeps their other accounts
    assert_audited(acme, "member.removed", collaborator.email)
    assert logged_in(collaborator).get(reverse("web:dashboard", args=["acme"])).status_code == 404


def test_an_administrator_can_leave_the_account(acme):
    admin = add_member(acme, "admin@acme.test", role=permissions.ROLE_ADMIN)
    membership = Membership.objects.get(account=acme, user=admin)

    response = logged_in(admin).post(url("user_remove", membership.pk))

    assert response.status_code == 302 and response["Location"] == reverse("accounts:home")
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert_audited(acme, "member.removed", admin.email)


def test_the_remove_button_asks_for_confirmation(owner_client, acme, collaborator):
    pk = Membership.objects.get(account=acme, user=collaborator).pk

    text = page_text(owner_client.get(url("users")))

    form = re.search(rf'<form[^>]*action="{url("user_remove", pk)}"[^>]*>', text)
    assert form and "data-confirm=" in form.group(0)


def test_the_owner_cannot_be_removed(acme, owner):
    admin = add_member(acme, "admin@acme.test", role=permissions.ROLE_ADMIN)
    owner_membership = Membership.objects.get(account=acme, user=owner)

    response = logged_in(admin).post(url("user_remove", owner_membership.pk), follow=True)

    assert "Le propriétaire du compte ne peut pas être retiré" in page_text(response)
    assert Membership.objects.filter(pk=owner_membership.pk, is_owner=True).exists()
    assert not AuditEvent.objects.filter(account=acme, action="member.removed").exists()


def test_only_the_owner_sees_the_make_owner_button_and_only_on_other_rows(
    owner_client, acme, owner, collaborator
):
    admin = add_member(acme, "admin@acme.test", role=permissions.ROLE_ADMIN)
    pks = {m.user_id: m.pk for m in Membership.objects.filter(account=acme)}

    as_owner = page_text(owner_client.get(url("users")))
    as_admin = page_text(logged_in(admin).get(url("users")))

    assert url("user_make_owner", pks[collaborator.pk]) in as_owner
    assert url("user_make_owner", pks[admin.pk]) in as_owner
    assert url("user_make_owner", pks[owner.pk]) not in as_owner
    assert "restez administrateur" in as_owner  # the confirmation explains what the owner keeps
    assert "Désigner comme propriétaire du compte" not in as_admin


def test_the_owner_hands_over_ownership_and_stays_administrator(owner_client, acme, owner, collaborator):
    target = Membership.objects.get(account=acme, user=collaborator)

    response = owner_client.post(url("user_make_owner", target.pk), follow=True)

    assert "est désormais propriétaire du compte" in page_text(response)
    owners = Membership.objects.filter(account=acme, is_owner=True)
    assert [m.user for m in owners] == [collaborator]
    assert owners[0].role == permissions.ROLE_ADMIN
    former = Membership.objects.get(account=acme, user=owner)
    assert former.role == permissions.ROLE_ADMIN and not former.is_owner
    event = AuditEvent.objects.get(account=acme, action="member.owner_transferred")
    assert event.changes["owner"] == [owner.email, collaborator.email]


def test_an_administrator_who_is_not_the_owner_cannot_hand_over_ownership(acme, owner, collaborator):
    admin = add_member(acme, "admin@acme.test", role=permissions.ROLE_ADMIN)
    target = Membership.objects.get(account=acme, user=admin)

    response = logged_in(admin).post(url("user_make_owner", target.pk), follow=True)

    assert "Seul le propriétaire du compte" in page_text(response)
    assert [m.user for m in Membership.objects.filter(account=acme, is_owner=True)] == [owner]
    assert not AuditEvent.objects.filter(account=acme, action="member.owner_transferred").exists()
