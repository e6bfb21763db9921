from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from facturier.conftest import PASSWORD
from facturier.tenancy.models import ApiToken, AuditEvent, Membership
from facturier.tenancy.services import resolve_api_token

PROFILE = reverse("accounts:profile")
# API tokens are listed, created and revoked on the Sécurité page of the profile.
SECURITY = reverse("mfa:security")
TOKEN_CREATE = reverse("accounts:token_create")


def revoke_url(token):
    return reverse("accounts:token_revoke", kwargs={"pk": token.pk})


def test_the_profile_needs_a_login(client, db):
    response = client.get(PROFILE)

    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_it_saves_names_and_language_and_the_ui_follows_the_language(owner_client, owner):
    response = owner_client.post(
        PROFILE, {"form": "profile", "first_name": "Liv", "last_name": "Martin-Roy", "language": "en"}
    )

    assert response.status_code == 302 and response.url == PROFILE
    owner.refresh_from_db()
    assert (owner.first_name, owner.last_name, owner.language) == ("Liv", "Martin-Roy", "en")
    assert '<html lang="en"' in owner_client.get(PROFILE).content.decode()


def test_it_refuses_an_unknown_language(owner_client, owner):
    response = owner_client.post(
        PROFILE, {"form": "profile", "first_name": "", "last_name": "", "language": "xx"}
    )

    assert response.status_code == 200
    assert response.context["profile_form"].errors["language"]
    owner.refresh_from_db()
    assert owner.language == "fr"


def test_it_changes_the_password_and_keeps_the_user_logged_in(owner_client, owner):
    new = "une-toute-nouvelle-phrase-de-passe"

    response = owner_client.post(
        PROFILE, {"form": "password", "old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(new)
    assert owner_client.session[SESSION_KEY] == str(owner.pk)
    assert owner_client.get(PROFILE).status_code == 200


def test_it_refuses_a_password_change_without_the_old_password(owner_client, owner):
    new = "une-toute-nouvelle-phrase-de-passe"

    response = owner_client.post(
        PROFILE, {"form": "password", "old_password": "wrong", "new_password1": new, "new_password2": new}
    )

    assert response.status_code == 200
    assert response.context["password_form"].errors["old_password"]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_a_new_token_is_shown_once_and_works(owner_client, owner, acme):
    membership = Membership.objects.get(account=acme, user=owner)

    response = owner_client.post(TOKEN_CREATE, {"membership": membership.pk})

    assert response.status_code == 302 and response.url == SECURITY + "#tokens"
    first = owner_client.get(SECURITY)
    plain = first.context["new_token"]["token"]
    assert plain.endswith("/acme")
    assert plain in first.content.decode()
    assert "il ne sera plus jamais affiché" in first.content.decode()
    second = owner_client.get(SECURITY)
    assert second.context["new_token"] is None
    assert plain not in second.content.decode()
    token = ApiToken.objects.get(membership=membership)
    assert token.prefix in second.content.decode()
    assert resolve_api_token(plain) == token
    assert AuditEvent.objects.filter(account=acme, action="token.created", actor=owner).count() == 1


def test_it_revokes_a_token(owner_client, owner, acme):
    membership = Membership.objects.get(account=acme, user=owner)
    owner_client.post(TOKEN_CREATE, {"membership": membership.pk})
    plain = owner_client.get(SECURITY).context["new_token"]["token"]
    token = ApiToken.objects.get(membership=membership)

    response = owner_client.post(revoke_url(token))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert resolve_api_token(plain) is None
    assert AuditEvent.objects.filter(account=acme, action="token.revoked").count() == 1
    assert "révoqué le" in owner_client.get(SECURITY).content.decode()


def test_another_users_membership_or_token_is_a_404(owner_client, outsider_client, outsider, globex):
    their_membership = Membership.objects.get(account=globex, user=outsider)
    outsider_client.post(TOKEN_CREATE, {"membership": their_membership.pk})
    their_token = ApiToken.objects.get()

    assert owner_client.post(TOKEN_CREATE, {"membership": their_membership.pk}).status_code == 404
    assert owner_client.post(revoke_url(their_token)).status_code == 404
    assert owner_client.post(TOKEN_CREATE, {"membership": "nonsense"}).status_code == 404
    assert ApiToken.objects.count() == 1
    their_token.refresh_from_db()
    assert their_token.revoked_at is None


def test_token_pages_take_post_only(owner_client):
    assert owner_client.get(TOKEN_CREATE).status_code == 405


def test_the_security_page_lists_tokens_of_every_account_of_the_user(
    firm_client, firm_accountant, django_assert_num_queries
):
    for membership in Membership.objects.filter(user=firm_accountant):
        firm_client.post(TOKEN_CREATE, {"membership": membership.pk})
        firm_client.post(TOKEN_CREATE, {"membership": membership.pk})
    firm_client.get(SECURITY)  # the page that shows the last new token once

    # session, user, the accounts requiring a second factor, apps, passkeys, recovery codes, memberships,
    # tokens: whatever the number of accounts and tokens
    with django_assert_num_queries(8):
        response = firm_client.get(SECURITY)

    assert [t.account.slug for t in response.context["tokens"]] == [
        "acme",
        "acme",
        "cabinet-dupont",
        "cabinet-dupont",
    ]
    page = response.content.decode()
    assert all(token.prefix in page for token in ApiToken.objects.filter(membership__user=firm_accountant))
