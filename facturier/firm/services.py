"""Writes of the accounting-firm module ("Module dédié aux cabinets comptables").

A firm is an account on the accounting plan with the module enabled (`Account.is_firm`); its client
accounts are the accounts whose `managed_by` is the firm. The firm's administrators act through their
membership in the firm (permission firm.manage). Where a change needs a permission inside a client
account (its lock date, its users), the service acts as the user's own membership in that account, so
that account's rules apply and its audit trail says "via <firm>".

Bulk services lock the accounts, check every one of them before changing any, and name the first one
the rules refuse: a refused bulk action changes nothing. Each runs in one transaction.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from facturier.accounts.models import User, normalize_email
from facturier.lib.mail import send_templated_mail
from facturier.tenancy import audit, permissions, plans
from facturier.tenancy import services as tenancy_services
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable
from facturier.tenancy.models import Account, Membership, Role
from facturier.tenancy.plans import subscription_end
from facturier.tenancy.slugs import MAX_LENGTH as SLUG_MAX_LENGTH

# Digits kept for the number of a proposed address ("cabinet-dupont-12"): the firm's slug is shortened
# when needed so that the proposal always fits in an address.
SLUG_NUMBER_DIGITS = 6


# --- The firm itself -------------------------------------------------------------------------------


def not_a_firm_message(account: Account) -> str:
    """Why the account's firm pages are closed, and what to do about it."""
    if not account.plan_info.allows_firm_module:
        return _(
            "Le module dédié aux cabinets comptables est disponible avec la formule Comptabilité. "
            "Pour changer de formule, contactez le support."
        )
    return _(
        "Le module dédié aux cabinets comptables n'est pas activé : activez-le dans Paramètres > "
        "Votre compte, section « Comptabilité et Exports »."
    )


def ensure_firm(account: Account) -> None:
    """Refuse (with the way to get it) unless the account is a firm."""
    if not account.is_firm:
        raise ServiceError(not_a_firm_message(account))


def _require_firm_manager(actor: Actor, firm: Account) -> None:
    ensure_firm(firm)
    # The permission must come from a membership in the firm itself, not from some other account.
    if not actor.is_system and (actor.membership is None or actor.membership.account_id != firm.pk):
        raise PermissionDenied(_("Votre rôle ne vous permet pas de faire cela."))
    actor.require("firm.manage")


@transaction.atomic
def set_firm_module(actor: Actor, account: Account, enabled: bool) -> Account:
    """Turn the "Module dédié aux cabinets comptables" on or off (Paramètres > Votre compte).

    Needs settings.manage; turning it on needs a plan that allows it (the accounting plan, which
    platform staff set in the admin). Turning it off is allowed while the firm still manages client
    accounts: the links stay (each client account keeps its firm, its plan and the firm's staff), only
    the firm's pages and dashboard buttons disappear, and turning it back on shows the same list again.
    Cutting the link is a separate, explicit act: `disconnect_client_accounts`.
    """
    actor.require("settings.manage")
    ensure_writable(account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    if enabled and not account.plan_info.allows_firm_module:
        raise ServiceError(not_a_firm_message(account), field="firm_module_enabled")
    if account.firm_module_enabled == enabled:
        return account
    account.firm_module_enabled = enabled
    account.save(update_fields=["firm_module_enabled"])
    audit.record(
        actor,
        account,
        "firm.module_changed",
        summary=_("Module dédié aux cabinets comptables activé.")
        if enabled
        else _("Module dédié aux cabinets comptables désactivé."),
        changes={"firm_module_enabled": [not enabled, enabled]},
    )
    return account


# --- Creating client accounts ----------------------------------------------------------------------


def next_free_slug(firm: Account) -> str:
    """The address proposed for a new client account: the firm's slug and the next number
    ("cabinet-dupont-2", then "-3"...), one past the highest number in use, read in one query."""
    prefix = firm.slug[: SLUG_MAX_LENGTH - 1 - SLUG_NUMBER_DIGITS].rstrip("-") + "-"
    used = Account.objects.filter(slug__startswith=prefix).values_list("slug", flat=True)
    numbers = [
        int(rest)
        for slug in used
        if (rest := slug[len(prefix) :]).isdigit() and len(rest) <= SLUG_NUMBER_DIGITS
    ]
    return f"{prefix}{max([1, *numbers]) + 1}"


def register_client_account(actor: Actor, firm: Account, account: Account, owner: User) -> None:
    """What makes a freshly created account (managed_by=firm) a client account of the firm, beyond the
    link itself: an owner who works for the firm owns it as firm staff (not counted against the client's
    plan, "via <firm>" in its trail), and the firm's trail records the creation."""
    if Membership.objects.filter(account=firm, user=owner).exists():
        Membership.objects.filter(account=account, user=owner).update(firm=firm)
    audit.record(
        actor,
        firm,
        "firm.client_account_created",
        target=account.slug,
        summary=_("Compte client « %(name)s » créé, propriétaire %(email)s.")
        % {"name": account.name, "email": owner.email},
    )


@transaction.atomic
def create_client_account(actor: Actor, firm: Account, *, name: str, slug: str) -> Account:
    """Create a blank client account for the firm ("Ajouter une nouvelle compagnie").

    The account is on the PRO plan for one year (the create_account command's rule), managed by the
    firm, and owned by the acting user as firm staff. Audited on the firm ("firm.client_account_created")
    and on the new account ("account.created", via the firm); an email confirms the creation to the user.
    A taken, reserved or malformed address is refused with its messages (field "slug").
    """
    _require_firm_manager(actor, firm)
    ensure_writable(firm)
    owner = actor.user
    if owner is None:
        raise ServiceError(
            _("Un compte client est créé par un utilisateur du cabinet, qui en devient propriétaire.")
        )
    name = name.strip()
    if not name:
        raise ServiceError(_("Indiquez le nom de l'entreprise."), field="name")
    try:
        account = tenancy_services.create_account(
            actor.acting_for_firm(firm),
            slug=slug.strip(),
            name=name,
            owner=owner,
            plan=plans.PRO,
            subscription_ends_on=subscription_end(plans.PRO, firm.today()),
            managed_by=firm,
        )
    except ValidationError as error:
        raise ServiceError(" ".join(error.messages), field="slug") from None
    register_client_account(actor, firm, account, owner)
    send_templated_mail(
        "firm_client_account_created",
        owner.email,
        {
            "account": account,
            "firm": firm,
            "plan": account.plan_info.label,
            "account_path": reverse("web:dashboard", kwargs={"slug": account.slug}),
            "users_path": reverse("tenancy:users", kwargs={"slug": account.slug}),
        },
        owner.language,
    )
    return account


# --- Acting on client accounts in bulk -------------------------------------------------------------


def _managed(firm: Account, accounts: list[Account]) -> list[Account]:
    """The given accounts, read again and locked, in the order given; refuses (naming it) any account
    this firm does not manage, and an empty selection."""
    if not accounts:
        raise ServiceError(_("Sélectionnez au moins un compte client."))
    ids = list(dict.fromkeys(account.pk for account in accounts))
    found = Account.objects.select_for_update().filter(pk__in=ids, managed_by=firm).in_bulk()
    for account in accounts:
        if account.pk not in found:
            raise ServiceError(
                _("Le compte « %(name)s » n'est pas un compte client de ce cabinet : rien n'a été modifié.")
                % {"name": account.name}
            )
    return [found[pk] for pk in ids]


def _actors_in(actor: Actor, clients: list[Account], permission: str) -> dict[int, Actor]:
    """The acting user as a member of each client account (one query); refuses, naming it, an account
    where they have no membership or whose role there lacks `permission`."""
    if actor.user is None:
        return {client.pk: actor for client in clients}
    memberships = {
        m.account_id: m
        for m in Membership.objects.filter(user=actor.user, account__in=clients).select_related(
            "custom_role", "firm"
        )
    }
    for client in clients:
        membership = memberships.get(client.pk)
        if membership is None:
            raise ServiceError(
                _("Vous n'êtes pas utilisateur du compte « %(name)s » : rien n'a été modifié.")
                % {"name": client.name}
            )
        if not membership.has_perm(permission):
            raise ServiceError(
                _(
                    "Votre rôle dans le compte « %(name)s » ne donne pas la permission « %(permission)s » : "
                    "rien n'a été modifié."
                )
                % {"name": client.name, "permission": permissions.BY_CODE[permission].label}
            )
    return {pk: Actor(user=actor.user, membership=m, ip=actor.ip) for pk, m in memberships.items()}


@transaction.atomic
def disconnect_client_accounts(actor: Actor, firm: Account, accounts: list[Account]) -> list[Account]:
    """ "Déconnecter": the accounts stop being client accounts of the firm and leave its list.

    The firm's staff lose their access at once: every membership acting for the firm in those
    accounts goes with its API tokens and pending exports (tenancy end_memberships), audited in the
    account ("firm.staff_revoked"). The owner stays the owner, and keeps their access, even a firm user:
    the seed's "vous restez propriétaire du compte client" until they hand it over with "Désigner comme
    propriétaire du compte". The plan and its end date stay (renewal becomes the owner's business).
    Every account must be managed by this firm, or nothing changes. Audited on the firm and on each
    account; each account's owner is told by email.
    """
    _require_firm_manager(actor, firm)
    clients = _managed(firm, accounts)
    Account.objects.filter(pk__in=[client.pk for client in clients]).update(managed_by=None)
    staff = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(account__in=clients, firm=firm, is_owner=False)
        .order_by("account_id", "user__email")
    )
    tenancy_services.end_memberships(staff)
    staff_by_account: dict[int, list[Membership]] = {}
    for membership in staff:
        staff_by_account.setdefault(membership.account_id, []).append(membership)
    owners = {
        m.account_id: m
        for m in Membership.objects.filter(account__in=clients, is_owner=True).select_related("user")
    }
    via_firm = actor.acting_for_firm(firm)
    for client in clients:
        client.managed_by = None
        summary = _("Compte « %(name)s » déconnecté du cabinet « %(firm)s ».") % {
            "name": client.name,
            "firm": firm.name,
        }
        audit.record(actor, firm, "firm.client_account_disconnected", target=client.slug, summary=summary)
        audit.record(via_firm, client, "firm.client_account_disconnected", target=firm.slug, summary=summary)
        for membership in staff_by_account.get(client.pk, []):
            audit.record(
                via_firm,
                client,
                "firm.staff_revoked",
                target=membership.user.email,
                summary=_(
                    "Compte déconnecté du cabinet « %(firm)s » : les accès, jetons d'API et exports en "
                    "attente de %(email)s dans ce compte sont retirés."
                )
                % {"firm": firm.name, "email": membership.user.email},
            )
        owner = owners.get(client.pk)
        if owner is not None:
            send_templated_mail(
                "firm_disconnected",
                owner.user.email,
                {
                    "account": client,
                    "firm": firm,
                    # The usual case: a firm user still owns the account and may now hand it over.
                    "owner_is_firm_staff": owner.firm_id == firm.pk,
                    "plan": client.plan_info.label,
                    "account_path": reverse("web:dashboard", kwargs={"slug": client.slug}),
                    "users_path": reverse("tenancy:users", kwargs={"slug": client.slug}),
                },
                owner.user.language,
            )
    return clients


@transaction.atomic
def revoke_staff_left_in_disconnected_accounts() -> list[Membership]:
    """End the access firm staff kept in accounts their firm no longer manages.

    "Déconnecter" once took the accounts out of the firm's list but left its staff in them, with their
    sessions, API tokens and pending exports (today disconnect_client_accounts ends them). This ends, as
    it now does, every membership acting for a firm in an account that firm does not manage, but the
    owner's (who stays until they hand the account over). Idempotent: a second run finds nothing.
    Audited in each account ("firm.staff_revoked", by the system) and run by the firm app's migration
    and `manage.py revoke_disconnected_staff`. Returns the memberships ended.
    """
    staff = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account", "firm")
        .filter(firm__isnull=False, is_owner=False)
        .filter(Q(account__managed_by__isnull=True) | ~Q(account__managed_by=F("firm")))
        .order_by("account_id", "user__email")
    )
    tenancy_services.end_memberships(staff)
    system = Actor.system()
    for membership in staff:
        firm = membership.firm
        assert firm is not None  # filtered above
        audit.record(
            system,
            membership.account,
            "firm.staff_revoked",
            target=membership.user.email,
            summary=_(
                "Compte déconnecté du cabinet « %(firm)s » : les accès, jetons d'API et exports en "
                "attente de %(email)s dans ce compte sont retirés."
            )
            % {"firm": firm.name, "email": membership.user.email},
        )
    return staff


@transaction.atomic
def set_lock_dates(
    actor: Actor,
    firm: Account,
    accounts: list[Account],
    new_date: datetime.date | None,
    reason: str = "",
) -> None:
    """ "Changer la date de restriction de modification" of many client accounts at once.

    Each account goes through tenancy.services.set_lock_date as the acting user's own membership in it:
    lockdate.change is checked there, that account's rules apply (no date in the future, a reason to move
    it back) and its trail gets its own event, via the firm. An account refused for any reason is named,
    and nothing changes in any account.
    """
    _require_firm_manager(actor, firm)
    clients = _managed(firm, accounts)
    actors = _actors_in(actor, clients, "lockdate.change")
    for client in clients:
        try:
            tenancy_services.set_lock_date(actors[client.pk], client, new_date, reason)
        except ServiceError as error:
            raise ServiceError(f"{client.name} : {error.message}", field=error.field) from None


# --- Firm staff in client accounts -----------------------------------------------------------------


def _check_staff_role(clients: list[Account], role: str, custom_role: Role | None) -> None:
    if role == permissions.ROLE_CUSTOM:
        # A custom role belongs to one account: it can only be given in that account.
        for client in clients:
            if custom_role is None or custom_role.account_id != client.pk:
                raise ServiceError(
                    _(
                        "Le compte « %(name)s » n'a pas ce rôle personnalisé : choisissez un rôle prédéfini "
                        "(Administrateur, Comptable ou Utilisateur)."
                    )
                    % {"name": client.name},
                    field="role",
                )
    elif role not in permissions.BUILTIN_ROLE_LABELS:
        raise ServiceError(_("Rôle inconnu."), field="role")
    elif custom_role is not None:
        raise ServiceError(_("Un rôle prédéfini ne peut pas avoir de rôle personnalisé."), field="role")


@transaction.atomic
def grant_staff(
    actor: Actor,
    firm: Account,
    accounts: list[Account],
    user: User,
    role: str,
    custom_role: Role | None = None,
) -> list[Membership]:
    """Give a firm collaborator (a member of the firm account) access to many client accounts at once.

    In each account the user gets a membership with `role` acting for the firm, which the client's plan
    does not count; an existing membership takes the new role and acts for the firm from then on. An
    account the user owns is left as it is (its owner stays administrator). Staff access is not account
    data, so read-only (expired) client accounts can be opened too, to read and export them. Audited in
    each changed account ("firm.staff_granted", via the firm) and once on the firm. Returns the
    memberships created or changed. The actor gives no role beyond their own role in the firm, and
    changes no one holding more there (tenancy ensure_may_grant): only a firm administrator makes
    administrators of client accounts.
    """
    _require_firm_manager(actor, firm)
    if not Membership.objects.filter(account=firm, user=user).exists():
        raise ServiceError(
            _(
                "%(email)s n'est pas collaborateur du cabinet : ajoutez-le d'abord aux utilisateurs du cabinet."
            )
            % {"email": user.email},
            field="user",
        )
    clients = _managed(firm, accounts)
    _check_staff_role(clients, role, custom_role)
    existing = {
        m.account_id: m
        for m in Membership.objects.select_for_update(of=("self",))
        .select_related("custom_role", "user")
        .filter(account__in=clients, user=user)
    }
    if not actor.is_system:
        # What a firm user hands out in client accounts, themselves included, is bounded by their role
        # in the firm, where their authority over those accounts comes from.
        tenancy_services.ensure_may_grant(actor.membership, role, custom_role)
        for client in clients:
            membership = existing.get(client.pk)
            if membership is None or membership.is_owner:
                continue
            try:
                tenancy_services.ensure_may_act_on(actor.membership, membership)
            except ServiceError as error:
                raise ServiceError(f"{client.name} : {error.message}", field=error.field) from None
    created: list[Membership] = []
    changed: list[Membership] = []
    # (client account, its membership, the role label before) for every access granted or changed.
    touched: list[tuple[Account, Membership, str | None]] = []
    for client in clients:
        membership = existing.get(client.pk)
        if membership is None:
            membership = Membership(account=client, user=user, role=role, custom_role=custom_role, firm=firm)
            created.append(membership)
            touched.append((client, membership, None))
        elif not membership.is_owner:
            before = membership.role_label
            membership.role, membership.custom_role, membership.firm = role, custom_role, firm
            changed.append(membership)
            touched.append((client, membership, before))
    Membership.objects.bulk_create(created)
    Membership.objects.bulk_update(changed, ["role", "custom_role", "firm"])
    if not touched:
        return []

    via_firm = actor.acting_for_firm(firm)
    role_label = touched[0][1].role_label
    for client, _membership, role_before in touched:
        audit.record(
            via_firm,
            client,
            "firm.staff_granted",
            target=user.email,
            summary=_("Accès de %(email)s pour le cabinet « %(firm)s », rôle %(role)s.")
            % {"email": user.email, "firm": firm.name, "role": role_label},
            changes={"role": [role_before, role_label]},
        )
    audit.record(
        actor,
        firm,
        "firm.staff_granted",
        target=user.email,
        summary=_("Accès de %(email)s à %(count)d compte(s) client(s), rôle %(role)s.")
        % {"email": user.email, "count": len(touched), "role": role_label},
        changes={"accounts": [None, [client.slug for client, _m, _b in touched]]},
    )
    return [membership for _client, membership, _before in touched]


@transaction.atomic
def revoke_staff(actor: Actor, firm: Account, accounts: list[Account], user: User) -> int:
    """Take a firm collaborator's access away from many client accounts at once.

    Removes the user's memberships that act for this firm in those accounts (a membership the client
    gave the user on its own is the client's business and stays), with their API tokens and pending
    exports there (tenancy end_memberships). Refused, with nothing changed, when the user owns one of
    the accounts: ownership must be handed over first. The user need not be a member of the firm any
    more. Audited in each account and once on the firm. Returns how many accesses were removed.
    """
    _require_firm_manager(actor, firm)
    clients = _managed(firm, accounts)
    memberships = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(account__in=clients, user=user, firm=firm)
    )
    owned = next((m for m in memberships if m.is_owner), None)
    if owned is not None:
        raise ServiceError(
            _(
                "%(email)s est propriétaire du compte « %(name)s » : désignez d'abord un autre propriétaire "
                "dans les utilisateurs de ce compte. Rien n'a été modifié."
            )
            % {"email": user.email, "name": owned.account.name}
        )
    if not memberships:
        return 0
    tenancy_services.end_memberships(memberships)
    via_firm = actor.acting_for_firm(firm)
    for membership in memberships:
        audit.record(
            via_firm,
            membership.account,
            "firm.staff_revoked",
            target=user.email,
            summary=_("Accès de %(email)s pour le cabinet « %(firm)s » retiré.")
            % {"email": user.email, "firm": firm.name},
        )
    audit.record(
        actor,
        firm,
        "firm.staff_revoked",
        target=user.email,
        summary=_("Accès de %(email)s retiré de %(count)d compte(s) client(s).")
        % {"email": user.email, "count": len(memberships)},
        changes={"accounts": [[m.account.slug for m in memberships], None]},
    )
    return len(memberships)


@transaction.atomic
def add_client_user(
    actor: Actor,
    firm: Account,
    account: Account,
    *,
    email: str,
    role: str,
    password: str | None = None,
) -> Membership:
    """Add a user to a client account from the firm's list (typically the client, as Administrateur).

    Done by tenancy.services.add_member as the acting user's own membership in that account: users.manage
    is checked there, the client's plan limit applies (the client's users are counted), the user is told
    by email (with the password chosen by the firm, or an invitation to choose one), and the account's
    trail shows the firm user, via the firm.
    """
    _require_firm_manager(actor, firm)
    (client,) = _managed(firm, [account])
    client_actor = _actors_in(actor, [client], "users.manage")[client.pk]
    # A collaborator of the firm added this way works there for the firm, like staff given access in
    # bulk: not counted against the client's plan, and gone when they leave the firm or it disconnects.
    colleague = Membership.objects.filter(account=firm, user__email=normalize_email(email)).exists()
    return tenancy_services.add_member(
        client_actor,
        client,
        email=email,
        role=role,
        password=password or None,
        firm=firm if colleague else None,
    )
