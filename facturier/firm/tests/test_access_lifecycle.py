"""Firm staff lose a client account at once when the firm lets them go or lets the account go.

Two paths: a collaborator removed from the firm (the firm's Paramètres > Utilisateurs), and a client
account disconnected from the firm ("Déconnecter"). Either way the person gets a 404 on every page of
the client account from the session they are already logged in with, a 401 from its API with the
token they had, and their pending exports there are cancelled; everything in one transaction, audited
in each account. The account's owner stays, as the seed says, until ownership is handed over.
"""

import datetime

import pytest
from django.urls import get_resolver, reverse

from facturier.accounts.models import User
from facturier.api.tests.conftest import Api, token_of
from facturier.conftest import logged_in, make_account, make_user
from facturier.exports.base import ExportRequest
from facturier.exports.jobs import create_job
from facturier.exports.models import ExportFormat, ExportJob, ExportStatus
from facturier.firm import services
from facturier.tenancy import audit, permissions
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, ApiToken, AuditEvent, Membership
from facturier.tenancy.services import remove_member
from facturier.tenancy.tests.test_access import account_routes, acme_objects, url_for, walk  # noqa: F401

BULK = reverse("firm:bulk_action", args=["cabinet-dupont"])
# API paths that take no token (login) or are not the account's (the schema, its page, the JSON 404).
API_WITHOUT_ACCOUNT = {"login", "schema", "docs"}


@pytest.fixture
def partner(firm) -> User:
    return User.objects.get(email="claire@cabinet-dupont.test")


@pytest.fixture
def managed_acme(acme, firm) -> Account:
    Account.objects.filter(pk=acme.pk).update(managed_by=firm)
    acme.refresh_from_db()
    return acme


@pytest.fixture
def sam(firm, partner, managed_acme) -> User:
    """A collaborator of the firm, given Administrateur in acme by the firm's partner."""
    user = make_user("sam@cabinet-dupont.test", "Sam", "Roux")
    Membership.objects.create(account=firm, user=user, role=permissions.ROLE_MEMBER)
    services.grant_staff(actor_in(firm, partner), firm, [managed_acme], user, permissions.ROLE_ADMIN)
    return user


def actor_in(account: Account, user: User) -> Actor:
    return Actor(user=user, membership=Membership.objects.get(account=account, user=user))


def pending_export(account: Account, user: User) -> ExportJob:
    request = ExportRequest(account=account, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31))
    return create_job(account, ExportFormat.PAYMENTS_CSV, request, user, total=10_000)


def api_urls() -> list[str]:
    """Every API path of an account, a `<pk>` filled with 1."""
    return [
        "/" + route.replace("<int:pk>", "1")
        for route, name, _pattern in walk(get_resolver().url_patterns)
        if name.startswith("api:") and name.removeprefix("api:") not in API_WITHOUT_ACCOUNT
    ]


def signed_in_everywhere(user: User, account: Account):
    """What someone working in `account` holds: a live session, an API token, a pending export."""
    session = logged_in(user)
    assert session.get(reverse("web:dashboard", args=[account.slug])).status_code == 200
    api = Api(token_of(user, account))
    assert api.get("/clients.json").status_code == 200
    return session, api, pending_export(account, user)


# The API's one path a token does not open: the upload of an attachment (api/attachments.py).
SIGNED_UPLOADS = {"/invoices/1/upload_attachment.json"}


def assert_locked_out(session, api: Api, job: ExportJob, objects: dict[str, int]) -> None:
    """404 on every page of acme from the same session (GET and POST), 401 on every API path with the
    same token, the pending export cancelled."""
    routes = account_routes()
    assert len(routes) >= 50
    for name, pattern in routes:
        url = url_for(name, pattern, objects)
        assert session.get(url).status_code == 404, url
        assert session.post(url, {"email": "x@example.test"}).status_code == 404, url
    paths = api_urls()
    assert "/clients.json" in paths and "/invoices/1.json" in paths and "/account.json" in paths
    for path in paths:
        if path in SIGNED_UPLOADS:
            # Authorised by the upload policy it was given, not by the token: the policy's membership is
            # read again on upload, so a policy handed out before the lock-out is refused too.
            assert api.get(path).status_code == 405, path
            assert api.post(path, {}).status_code in (400, 403), path  # nothing to upload, no policy
            continue
        assert api.get(path).status_code == 401, path
        assert api.post(path, {}).status_code == 401, path
    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED


# --- Removing a collaborator from the firm --------------------------------------------------------


def test_a_collaborator_removed_from_the_firm_is_locked_out_of_its_client_accounts_at_once(
    firm,
    partner,
    managed_acme,
    sam,
    acme_objects,  # noqa: F811
):
    session, api, job = signed_in_everywhere(sam, managed_acme)
    firm_batch = pending_export(firm, sam)
    in_firm = Membership.objects.get(account=firm, user=sam)

    response = logged_in(partner).post(
        reverse("tenancy:user_remove", args=["cabinet-dupont", in_firm.pk]), follow=True
    )

    assert (
        "sam@cabinet-dupont.test a été retiré du cabinet et de 1 compte client." in response.content.decode()
    )
    assert_locked_out(session, api, job, acme_objects)
    assert not Membership.objects.filter(user=sam).exists()
    assert not ApiToken.objects.filter(membership__user=sam).exists()
    firm_batch.refresh_from_db()
    assert firm_batch.status == ExportStatus.CANCELLED
    [on_client] = AuditEvent.objects.filter(account=managed_acme, action="firm.staff_revoked")
    assert (on_client.actor, on_client.via_firm, on_client.target) == (partner, firm, sam.email)
    [on_firm] = AuditEvent.objects.filter(account=firm, action="member.removed")
    assert on_firm.target == sam.email and on_firm.changes == {"client_accounts": [["acme"], None]}


def test_the_removal_is_one_transaction(firm, partner, managed_acme, sam, monkeypatch):
    job = pending_export(managed_acme, sam)
    token = token_of(sam, managed_acme)
    real_record = audit.record

    def failing_record(actor, account, action, **kwargs):
        if action == "firm.staff_revoked":
            raise RuntimeError("the audit trail is unavailable")
        return real_record(actor, account, action, **kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        remove_member(actor_in(firm, partner), Membership.objects.get(account=firm, user=sam))

    assert Membership.objects.filter(user=sam).count() == 2
    assert Api(token).get("/clients.json").status_code == 200
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED
    assert not AuditEvent.objects.filter(action="member.removed").exists()


def test_client_accounts_the_collaborator_owned_pass_to_the_firms_owner(firm, partner, sam):
    created = services.create_client_account(
        actor_in(firm, partner), firm, name="Atelier Roux", slug="atelier"
    )
    Membership.objects.filter(account=created).update(user=sam)  # as if sam had created it
    session = logged_in(sam)

    remove_member(actor_in(firm, partner), Membership.objects.get(account=firm, user=sam))

    owner = Membership.objects.get(account=created, is_owner=True)
    assert (owner.user, owner.role, owner.firm) == (partner, permissions.ROLE_ADMIN, firm)
    assert not Membership.objects.filter(account=created, user=sam).exists()
    assert session.get(reverse("web:dashboard", args=["atelier"])).status_code == 404
    assert logged_in(partner).get(reverse("tenancy:users", args=["atelier"])).status_code == 200
    [handed] = AuditEvent.objects.filter(account=created, action="member.owner_transferred")
    assert handed.changes == {"owner": [sam.email, partner.email]} and handed.via_firm == firm


def test_what_the_firm_did_not_give_stays(firm, partner, sam, other_client_of_sam):
    given_by_client, owned_after_disconnect = other_client_of_sam

    remove_member(actor_in(firm, partner), Membership.objects.get(account=firm, user=sam))

    assert Membership.objects.filter(account=given_by_client, user=sam, firm=None).exists()
    assert Membership.objects.filter(account=owned_after_disconnect, user=sam, is_owner=True).exists()


@pytest.fixture
def other_client_of_sam(firm, sam):
    """A client account of the firm where the client itself made sam a user, and an account the firm
    disconnected while sam owned it."""
    given_by_client = make_account(
        "plomberie", "Plomberie", make_user("pierre@plomberie.test"), managed_by=firm
    )
    Membership.objects.create(account=given_by_client, user=sam, role=permissions.ROLE_MEMBER)
    owned = make_account("ancien-client", "Ancien client", sam)
    Membership.objects.filter(account=owned, user=sam).update(firm=firm)
    return given_by_client, owned


def test_an_expired_firm_can_still_let_a_collaborator_go(firm, partner, managed_acme, sam):
    Account.objects.filter(pk=firm.pk).update(subscription_ends_on=datetime.date(2020, 1, 31))
    firm.refresh_from_db()
    assert firm.is_read_only

    remove_member(actor_in(firm, partner), Membership.objects.get(account=firm, user=sam))

    assert not Membership.objects.filter(user=sam).exists()


def test_retirer_lacces_lists_someone_who_left_the_firm_but_kept_a_client_access(
    firm, partner, managed_acme, sam
):
    # An access that outlived its holder's place in the firm (left before the firm's removal took
    # client accounts along).
    Membership.objects.filter(account=firm, user=sam).delete()
    client = logged_in(partner)

    page = client.post(BULK, {"action": "revoke", "ids": [managed_acme.pk]})
    assert "sam@cabinet-dupont.test" in page.content.decode()
    client.post(BULK, {"action": "revoke", "ids": [managed_acme.pk], "confirm": "1", "user": sam.pk})

    assert not Membership.objects.filter(account=managed_acme, user=sam).exists()


def test_a_colleague_the_firm_adds_to_a_client_account_leaves_it_with_the_firm(firm, partner, managed_acme):
    colleague = make_user("paul@cabinet-dupont.test")
    Membership.objects.create(account=firm, user=colleague, role=permissions.ROLE_MEMBER)
    Membership.objects.filter(account=managed_acme, user=partner).delete()
    Membership.objects.create(account=managed_acme, user=partner, role=permissions.ROLE_ADMIN, firm=firm)

    added = services.add_client_user(
        actor_in(firm, partner), firm, managed_acme, email="Paul@Cabinet-Dupont.test", role="accountant"
    )
    assert added.firm == firm  # acting for the firm, like staff given access in bulk
    remove_member(actor_in(firm, partner), Membership.objects.get(account=firm, user=colleague))

    assert not Membership.objects.filter(user=colleague).exists()


# --- "Déconnecter" --------------------------------------------------------------------------------


def test_a_disconnected_firms_staff_are_locked_out_at_once_and_the_clients_own_users_stay(
    firm,
    partner,
    managed_acme,
    sam,
    owner,
    firm_accountant,
    acme_objects,  # noqa: F811
):
    session, api, job = signed_in_everywhere(sam, managed_acme)
    owner_api = Api(token_of(owner, managed_acme))
    owner_job = pending_export(managed_acme, owner)

    response = logged_in(partner).post(
        BULK, {"action": "disconnect", "ids": [managed_acme.pk], "confirm": "1"}
    )

    assert response.status_code == 302
    managed_acme.refresh_from_db()
    assert managed_acme.managed_by is None
    assert_locked_out(session, api, job, acme_objects)
    assert set(Membership.objects.filter(account=managed_acme).values_list("user__email", flat=True)) == {
        owner.email,
        "colin@acme.test",  # the collaborator of acme_objects
    }
    assert logged_in(owner).get(reverse("web:dashboard", args=["acme"])).status_code == 200
    assert owner_api.get("/clients.json").status_code == 200
    owner_job.refresh_from_db()
    assert owner_job.status == ExportStatus.QUEUED
    revoked = AuditEvent.objects.filter(account=managed_acme, action="firm.staff_revoked", via_firm=firm)
    assert sorted(revoked.values_list("target", flat=True)) == [partner.email, sam.email]


def test_disconnecting_leaves_the_firm_user_who_owns_the_account_in_place(firm, partner, sam):
    created = services.create_client_account(
        actor_in(firm, partner), firm, name="Atelier Roux", slug="atelier"
    )
    services.grant_staff(actor_in(firm, partner), firm, [created], sam, permissions.ROLE_ACCOUNTANT)
    partner_api = Api(token_of(partner, created))

    services.disconnect_client_accounts(actor_in(firm, partner), firm, [created])

    assert list(Membership.objects.filter(account=created).values_list("user", "is_owner")) == [
        (partner.pk, True)
    ]
    assert logged_in(partner).get(reverse("tenancy:users", args=["atelier"])).status_code == 200
    assert partner_api.get("/clients.json").status_code == 200
