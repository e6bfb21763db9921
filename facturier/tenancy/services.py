"""Writes to accounts, memberships, roles, tokens and the lock date.

Each function runs in one transaction, checks the actor's permission and the account's state, records
an audit event, and raises ServiceError (a message for the user) when the rules refuse the change.
"""

import base64
import datetime
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from facturier.accounts.links import set_password_link
from facturier.accounts.models import User, normalize_email
from facturier.lib.mail import send_templated_mail
from facturier.tenancy import audit, events, permissions, plans
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import PlanLimitError, ServiceError
from facturier.tenancy.locking import ensure_writable
from facturier.tenancy.models import Account, ApiToken, Membership, Role, role_permission_set
from facturier.tenancy.slugs import validate_slug_format

# Fields of the company identity that "Paramètres du compte" edits and the audit trail compares.
IDENTITY_FIELDS = [
    "name", "legal_name", "street", "post_code", "city", "country", "siren", "siret", "vat_number", "iban", "bic",
]  # fmt: skip


# --- Accounts -----------------------------------------------------------------------------------


def validate_new_slug(slug: str) -> None:
    """Format rules, then uniqueness: every problem gets its own message."""
    validate_slug_format(slug)
    if Account.objects.filter(slug=slug).exists():
        raise ValidationError(_("L'adresse « %(slug)s » est déjà prise.") % {"slug": slug}, code="slug_taken")


@transaction.atomic
def create_account(
    actor: Actor,
    *,
    slug: str,
    name: str,
    owner: User,
    plan: str = plans.FREE,
    subscription_ends_on: datetime.date | None = None,
    managed_by: Account | None = None,
    **identity: Any,
) -> Account:
    """Create an account and make `owner` its owner and administrator."""
    validate_new_slug(slug)
    if plan not in plans.PLANS:
        raise ValidationError(_("Formule inconnue : %(plan)s.") % {"plan": plan})
    unknown = set(identity) - set(IDENTITY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown identity fields: {sorted(unknown)}")
    try:
        with transaction.atomic():
            account = Account.objects.create(
                slug=slug,
                name=name,
                plan=plan,
                subscription_ends_on=subscription_ends_on,
                managed_by=managed_by,
                **identity,
            )
    except IntegrityError:
        # Two sign-ups raced for the same slug: the loser gets the same message as a taken slug.
        raise ValidationError(_("L'adresse « %(slug)s » est déjà prise.") % {"slug": slug}) from None
    Membership.objects.create(account=account, user=owner, role=permissions.ROLE_ADMIN, is_owner=True)
    audit.record(
        actor if not actor.is_system else Actor(user=owner, ip=actor.ip),
        account,
        "account.created",
        target=slug,
        summary=_("Compte « %(name)s » créé, propriétaire %(email)s.") % {"name": name, "email": owner.email},
    )
    return account


@transaction.atomic
def update_account_identity(actor: Actor, account: Account, values: dict[str, Any]) -> Account:
    """Change the company identity (already validated by the form); the audit event keeps before/after."""
    actor.require("settings.manage")
    ensure_writable(account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = {field: getattr(account, field) for field in values}
    for field, value in values.items():
        setattr(account, field, value)
    account.save()
    changes = audit.diff(before, values)
    if changes:
        audit.record(actor, account, "account.settings_changed", changes=changes)
    return account


@transaction.atomic
def set_lock_date(
    actor: Actor, account: Account, new_date: datetime.date | None, reason: str = ""
) -> Account:
    """Set the lock date. Moving it backwards (or removing it) unprotects documents, so it needs a reason."""
    actor.require("lockdate.change")
    ensure_writable(account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    old_date = account.locked_until
    if old_date == new_date:
        return account
    if new_date is not None and new_date > account.today():
        # Locking days still to come would block today's invoicing; Odoo refuses it for the same reason.
        raise ServiceError(_("La date de protection ne peut pas être dans le futur."), field="locked_until")
    moves_back = old_date is not None and (new_date is None or new_date < old_date)
    reason = reason.strip()
    if moves_back and not reason:
        raise ServiceError(
            _(
                "Reculer ou retirer la date de protection rend des documents modifiables : indiquez la raison."
            ),
            field="reason",
        )
    account.locked_until = new_date
    account.save(update_fields=["locked_until"])

    def show(day: datetime.date | None) -> str:
        return formats.date_format(day, "SHORT_DATE_FORMAT") if day else _("aucune")

    audit.record(
        actor,
        account,
        "account.lock_date_changed",
        summary=_("Date de protection : %(old)s → %(new)s.") % {"old": show(old_date), "new": show(new_date)}
        + (f" {_('Raison')} : {reason}" if reason else ""),
        changes={"locked_until": [old_date and old_date.isoformat(), new_date and new_date.isoformat()]}
        | ({"reason": [None, reason]} if reason else {}),
    )
    return account


# --- Who may grant what -------------------------------------------------------------------------


def permission_labels(codes: Iterable[str]) -> str:
    """Permissions named as the role form shows them ("Dépenses : Supprimer"), in catalogue order."""
    wanted = set(codes)
    return ", ".join(f"{p.group} : {p.label}" for p in permissions.CATALOGUE if p.code in wanted)


def ensure_may_grant(
    granter: Membership | None, role: str, custom_role: Role | None, *, over: Membership | None = None
) -> None:
    """Refuse (ServiceError on "role") to give a role beyond what the granter holds.

    - Every permission of the role must be one the granter holds, and only an administrator gives the
      role Administrateur. So nobody raises their own role, and a custom role holding only "Gérer les
      utilisateurs et les rôles" makes nobody, itself included, more than it is.
    - `over`, the membership whose role changes, must hold nothing the granter lacks: see
      ensure_may_act_on.
    `granter` is the membership the actor acts with where its rights come from (in the account itself;
    for a firm giving its staff access to client accounts, the membership in the firm); None holds
    nothing. Commands acting as the system are not checked: their callers do not call this.
    """
    if over is not None:
        ensure_may_act_on(granter, over)
    refusal = grant_refusal(granter, role, custom_role)
    if refusal is not None:
        raise ServiceError(refusal, field="role")


def grant_refusal(granter: Membership | None, role: str, custom_role: Role | None) -> str | None:
    """Why `granter` may not give this role (ensure_may_grant's rule), or None when they may. The role
    lists of the forms offer only the roles this allows."""
    if role == permissions.ROLE_ADMIN and not _is_admin(granter):
        return _("Seul un administrateur peut donner le rôle Administrateur.")
    missing = role_permission_set(role, custom_role) - _held(granter)
    if missing:
        return _("Ce rôle donne des permissions que vous n'avez pas vous-même : %(permissions)s.") % {
            "permissions": permission_labels(missing)
        }
    return None


def ensure_may_act_on(granter: Membership | None, member: Membership) -> None:
    """Refuse to change the role of, or remove, a member who holds what the granter lacks: an
    administrator is changed only by an administrator, and a custom role cannot demote (or remove)
    someone above it. The owner's own role never changes (change_role), whoever asks."""
    if member.role == permissions.ROLE_ADMIN and not _is_admin(granter):
        raise ServiceError(
            _("Seul un administrateur peut changer le rôle d'un administrateur ou le retirer du compte."),
            field="role",
        )
    missing = member.permission_set - _held(granter)
    if missing:
        raise ServiceError(
            _(
                "%(email)s a des permissions que vous n'avez pas (%(permissions)s) : vous ne pouvez ni "
                "changer son rôle ni le retirer du compte."
            )
            % {"email": member.user.email, "permissions": permission_labels(missing)},
            field="role",
        )


def may_act_on(granter: Membership | None, member: Membership) -> bool:
    """ensure_may_act_on as a question, for pages that offer the change only where it would pass."""
    if member.role == permissions.ROLE_ADMIN and not _is_admin(granter):
        return False
    return member.permission_set <= _held(granter)


def _held(granter: Membership | None) -> frozenset[str]:
    return granter.permission_set if granter is not None else frozenset()


def _is_admin(granter: Membership | None) -> bool:
    return granter is not None and granter.role == permissions.ROLE_ADMIN


def _granter(actor: Actor, account: Account) -> Membership | None:
    """The actor's membership in `account`, where the rights to grant come from; a membership in
    another account gives none there."""
    membership = actor.membership
    return membership if membership is not None and membership.account_id == account.pk else None


# --- Members ------------------------------------------------------------------------------------


def counted_members(account: Account) -> int:
    """Users that count against the plan limit: the firm's own staff in a client account do not."""
    return Membership.objects.filter(account=account, firm__isnull=True).count()


def _check_role(account: Account, role: str, custom_role: Role | None) -> None:
    if role == permissions.ROLE_CUSTOM:
        if custom_role is None or custom_role.account_id != account.pk:
            raise ServiceError(_("Choisissez un rôle personnalisé de ce compte."), field="role")
    elif role not in permissions.BUILTIN_ROLE_LABELS:
        raise ServiceError(_("Rôle inconnu."), field="role")
    elif custom_role is not None:
        raise ServiceError(_("Un rôle prédéfini ne peut pas avoir de rôle personnalisé."), field="role")


@transaction.atomic
def add_member(
    actor: Actor,
    account: Account,
    *,
    email: str,
    role: str,
    custom_role: Role | None = None,
    password: str | None = None,
    firm: Account | None = None,
) -> Membership:
    """Add a user to the account with a role ("Ajouter/inviter un utilisateur").

    An email that already belongs to a user attaches that user. A new user gets the password chosen by
    the inviter, or, without one, an invitation to choose it. Either way an email tells them.
    """
    actor.require("users.manage")
    ensure_writable(account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    _check_role(account, role, custom_role)
    if not actor.is_system:
        ensure_may_grant(_granter(actor, account), role, custom_role)
    email = normalize_email(email)
    limit = account.plan_info.max_users
    if firm is None and limit is not None and counted_members(account) >= limit:
        raise PlanLimitError(
            _(
                "La formule %(plan)s permet %(limit)d utilisateur(s) : ce compte les a déjà tous. "
                "Retirez un utilisateur ou passez à une formule supérieure."
            )
            % {"plan": account.plan_info.label, "limit": limit},
            field="email",
        )
    user = User.objects.filter(email=email).first()
    created_user = user is None
    if user is None:
        user = User.objects.create_user(email, password or None)
    elif Membership.objects.filter(account=account, user=user).exists():
        raise ServiceError(
            _("%(email)s est déjà utilisateur de ce compte.") % {"email": email}, field="email"
        )
    membership = Membership.objects.create(
        account=account, user=user, role=role, custom_role=custom_role, firm=firm
    )
    audit.record(
        actor,
        account,
        "member.added",
        target=email,
        summary=_("%(email)s ajouté avec le rôle %(role)s.")
        % {"email": email, "role": membership.role_label},
    )
    context = {
        "account": account,
        "inviter": actor.user.display_name if actor.user else "Facturier",
        "role": membership.role_label,
        "email": email,
        "account_path": reverse("web:dashboard", kwargs={"slug": account.slug}),
    }
    if created_user and not password:
        send_templated_mail(
            "invitation", email, context | {"set_password_path": set_password_link(user)}, user.language
        )
    else:
        send_templated_mail("member_added", email, context | {"new_user": created_user}, user.language)
    return membership


@transaction.atomic
def change_role(
    actor: Actor, membership: Membership, *, role: str, custom_role: Role | None = None
) -> Membership:
    actor.require("users.manage")
    account = membership.account
    ensure_writable(account)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("custom_role", "user")
        .get(pk=membership.pk)
    )
    _check_role(account, role, custom_role)
    if membership.is_owner and role != permissions.ROLE_ADMIN:
        raise ServiceError(
            _("Le propriétaire du compte reste administrateur. Désignez d'abord un autre propriétaire."),
            field="role",
        )
    if not actor.is_system:
        ensure_may_grant(_granter(actor, account), role, custom_role, over=membership)
    before = membership.role_label
    membership.role = role
    membership.custom_role = custom_role
    membership.save(update_fields=["role", "custom_role"])
    audit.record(
        actor,
        account,
        "member.role_changed",
        target=membership.user.email,
        changes={"role": [before, membership.role_label]},
    )
    return membership


def end_memberships(memberships: Sequence[Membership]) -> None:
    """Take memberships away, with all the access they gave, in the caller's transaction.

    Their API tokens go with them (a token belongs to a membership). Sessions need nothing: the gate
    reads the membership on every request, so the holder's next page of that account is a 404 and
    their next API call a 401. The apps that queued work for them there hear of it
    (events.access_removed: exports cancels their pending export jobs). The caller checks the rules
    and writes the audit events.
    """
    if not memberships:
        return
    Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    access: dict[int, list[int]] = {}
    for membership in memberships:
        access.setdefault(membership.user_id, []).append(membership.account_id)
    events.access_removed.send(sender=Membership, access=access)


@transaction.atomic
def remove_member(actor: Actor, membership: Membership) -> int:
    """Take a member out of the account ("Retirer", or "Quitter le compte" for oneself), with all the
    access the membership gave (end_memberships).

    The owner is never removed, and nor is a member holding permissions the actor lacks
    (ensure_may_act_on). Taking access away stays possible on a read-only (expired) account: an
    expired firm must still be able to cut off a departing collaborator.

    A collaborator leaving an accounting firm also leaves its client accounts, in this transaction:
    every membership they hold acting for the firm goes, audited in each account ("firm.staff_revoked",
    via the firm). A client account of the firm they own passes to the firm's owner
    ("member.owner_transferred"): the firm keeps the accounts it runs. An account the firm no longer
    manages ("Déconnecter") stays theirs, as its owner. Returns how many client accounts they left.
    """
    actor.require("users.manage")
    account = membership.account
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "custom_role")
        .get(pk=membership.pk)
    )
    if membership.is_owner:
        raise ServiceError(
            _("Le propriétaire du compte ne peut pas être retiré. Désignez d'abord un autre propriétaire.")
        )
    if not actor.is_system:
        ensure_may_act_on(_granter(actor, account), membership)
    user = membership.user
    staff = [
        m
        for m in Membership.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(user=user, firm=account)
        .exclude(account=account)
        .order_by("account__name", "pk")
        if not m.is_owner or m.account.managed_by_id == account.pk
    ]
    end_memberships([membership, *staff])
    summary = ""
    if staff:
        summary = _("%(email)s quitte le cabinet et ses accès à %(count)d compte(s) client(s).") % {
            "email": user.email,
            "count": len(staff),
        }
    audit.record(
        actor,
        account,
        "member.removed",
        target=user.email,
        summary=summary,
        changes={"client_accounts": [[m.account.slug for m in staff], None]} if staff else None,
    )
    if staff:
        _hand_over_owned(actor, account, [m for m in staff if m.is_owner], user)
        via_firm = actor.acting_for_firm(account)
        for former in staff:
            audit.record(
                via_firm,
                former.account,
                "firm.staff_revoked",
                target=user.email,
                summary=_(
                    "%(email)s ne fait plus partie du cabinet « %(firm)s » : ses accès, jetons d'API et "
                    "exports en attente dans ce compte sont retirés."
                )
                % {"email": user.email, "firm": account.name},
            )
    return len(staff)


def _hand_over_owned(actor: Actor, firm: Account, owned: list[Membership], former: User) -> None:
    """The client accounts a departing collaborator owned pass to the firm's owner, administrator and
    owner there, acting for the firm (the former owner's membership is already gone)."""
    if not owned:
        return
    heir = Membership.objects.select_related("user").get(account=firm, is_owner=True).user
    existing = {
        m.account_id: m
        for m in Membership.objects.select_for_update(of=("self",)).filter(
            user=heir, account__in=[m.account_id for m in owned]
        )
    }
    via_firm = actor.acting_for_firm(firm)
    for gone in owned:
        membership = existing.get(gone.account_id)
        if membership is None:
            membership = Membership(account=gone.account, user=heir, firm=firm)
        membership.is_owner, membership.role, membership.custom_role = True, permissions.ROLE_ADMIN, None
        membership.firm = membership.firm or firm
        membership.save()
        audit.record(
            via_firm,
            gone.account,
            "member.owner_transferred",
            target=heir.email,
            summary=_(
                "%(former)s ne fait plus partie du cabinet « %(firm)s » : la propriété du compte passe à "
                "%(heir)s, propriétaire du cabinet."
            )
            % {"former": former.email, "firm": firm.name, "heir": heir.email},
            changes={"owner": [former.email, heir.email]},
        )


@transaction.atomic
def transfer_ownership(actor: Actor, new_owner: Membership) -> Membership:
    """Make another member the owner ("Désigner comme propriétaire du compte").

    Only the owner may do it. The new owner becomes administrator; the former owner stays administrator.
    Both rows change in this transaction, so the account has exactly one owner at every moment.
    """
    account = new_owner.account
    ensure_writable(account)
    rows = {m.pk: m for m in Membership.objects.select_for_update().filter(account=account)}
    current = next((m for m in rows.values() if m.is_owner), None)
    if actor.is_system:
        pass
    elif actor.membership is None or current is None or actor.membership.pk != current.pk:
        raise ServiceError(_("Seul le propriétaire du compte peut en transférer la propriété."))
    target = rows.get(new_owner.pk)
    if target is None:
        raise ServiceError(_("Cet utilisateur n'est pas membre du compte."))
    if target.is_owner:
        return target
    if current is not None:
        current.is_owner = False
        current.save(update_fields=["is_owner"])
    target.is_owner = True
    target.role = permissions.ROLE_ADMIN
    target.custom_role = None
    target.save(update_fields=["is_owner", "role", "custom_role"])
    audit.record(
        actor,
        account,
        "member.owner_transferred",
        target=target.user.email,
        changes={"owner": [current.user.email if current else None, target.user.email]},
    )
    return target


# --- Custom roles -------------------------------------------------------------------------------


def _clean_permissions(codes: list[str]) -> list[str]:
    unknown = set(codes) - permissions.CODES
    if unknown:
        raise ServiceError(_("Permissions inconnues : %(codes)s.") % {"codes": ", ".join(sorted(unknown))})
    return sorted(set(codes))


@transaction.atomic
def save_role(
    actor: Actor, account: Account, *, name: str, codes: list[str], role: Role | None = None
) -> Role:
    """Create a custom role, or change the name and permissions of an existing one."""
    actor.require("users.manage")
    ensure_writable(account)
    name = name.strip()
    if not name:
        raise ServiceError(_("Donnez un nom au rôle."), field="name")
    same_name = Role.objects.filter(account=account, name__iexact=name)
    if role is not None:
        same_name = same_name.exclude(pk=role.pk)
    if same_name.exists():
        raise ServiceError(_("Un rôle porte déjà ce nom."), field="name")
    if role is not None and role.account_id != account.pk:
        raise ServiceError(_("Rôle introuvable."))
    cleaned = _clean_permissions(codes)
    if not actor.is_system:
        held = _held(_granter(actor, account))
        above = role.permission_set - held if role is not None else frozenset()
        if above:
            raise ServiceError(
                _(
                    "Ce rôle donne des permissions que vous n'avez pas (%(permissions)s) : seul un "
                    "utilisateur qui les a toutes peut le modifier."
                )
                % {"permissions": permission_labels(above)},
                field="permissions",
            )
        missing = set(cleaned) - held
        if missing:
            raise ServiceError(
                _(
                    "Vous ne pouvez pas donner des permissions que vous n'avez pas vous-même : %(permissions)s."
                )
                % {"permissions": permission_labels(missing)},
                field="permissions",
            )
    if role is None:
        role = Role.objects.create(account=account, name=name, permissions=cleaned)
        audit.record(actor, account, "role.created", target=name, changes={"permissions": [None, cleaned]})
        return role
    before = {"name": role.name, "permissions": role.permissions}
    role.name, role.permissions = name, cleaned
    role.save(update_fields=["name", "permissions"])
    audit.record(
        actor,
        account,
        "role.changed",
        target=name,
        changes=audit.diff(before, {"name": name, "permissions": cleaned}),
    )
    return role


@transaction.atomic
def delete_role(actor: Actor, role: Role) -> None:
    actor.require("users.manage")
    ensure_writable(role.account)
    if role.members.exists():
        raise ServiceError(_("Ce rôle est attribué à des utilisateurs : changez d'abord leur rôle."))
    name = role.name
    role.delete()
    audit.record(actor, role.account, "role.deleted", target=name)


# --- API tokens ---------------------------------------------------------------------------------


def _hash_secret(secret: str) -> str:
    # The secret has 240 bits of entropy: a plain SHA-256 is enough and keeps the lookup one index hit.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(actor: Actor, membership: Membership) -> tuple[ApiToken, str]:
    """A new token for the actor's own membership; returns it with the plain text, shown only once.

    The token reads `<secret>/<slug>`: the suffix tells the API which account it is for.
    """
    if actor.user is None or actor.user.pk != membership.user_id:
        raise ServiceError(_("Un jeton d'API ne peut être créé que par son titulaire."))
    secret = secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        account=membership.account, membership=membership, secret_hash=_hash_secret(secret), prefix=secret[:8]
    )
    audit.record(actor, membership.account, "token.created", target=token.prefix)
    return token, f"{secret}/{membership.account.slug}"


def _login_token_secret(token_pk: int) -> str:
    # 240 bits, like a random secret, but derived from SECRET_KEY and the token's id: the server can give
    # the same token again without keeping it anywhere in clear.
    digest = salted_hmac("facturier.login-api-token", str(token_pk), algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:30]).decode()


@transaction.atomic
def login_api_token(actor: Actor, membership: Membership) -> str:
    """The plain text of the membership's login token, the one `/login.json` answers; made on first use.

    Each login answers the same token until it is revoked (on the profile page, or with a password
    reset), as the public API does, instead of piling up a new token per call. Its secret is derived
    from SECRET_KEY and its id, which is how it is told from the tokens created on the profile page
    (random, shown once); after a change of SECRET_KEY the next login makes a new one.
    """
    if actor.user is None or actor.user.pk != membership.user_id:
        raise ServiceError(_("Un jeton d'API ne peut être créé que par son titulaire."))
    # Two logins at once would otherwise both make one (PostgreSQL; SQLite runs one writer at a time).
    list(Membership.objects.select_for_update().filter(pk=membership.pk).values_list("pk"))
    for token_pk, secret_hash in (
        ApiToken.objects.filter(membership=membership, revoked_at__isnull=True)
        .order_by("-pk")
        .values_list("pk", "secret_hash")
    ):
        secret = _login_token_secret(token_pk)
        if secret_hash == _hash_secret(secret):
            return f"{secret}/{membership.account.slug}"
    # The id comes first, the secret from it: the row is written with a random stand-in, then set.
    token = ApiToken.objects.create(
        account=membership.account,
        membership=membership,
        secret_hash=_hash_secret(secrets.token_urlsafe(30)),
        prefix="",
    )
    secret = _login_token_secret(token.pk)
    ApiToken.objects.filter(pk=token.pk).update(secret_hash=_hash_secret(secret), prefix=secret[:8])
    audit.record(actor, membership.account, "token.created", target=secret[:8])
    return f"{secret}/{membership.account.slug}"


@transaction.atomic
def revoke_api_token(actor: Actor, token: ApiToken) -> None:
    if actor.user is None or actor.user.pk != token.membership.user_id:
        raise ServiceError(_("Seul le titulaire d'un jeton peut le révoquer."))
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit.record(actor, token.account, "token.revoked", target=token.prefix)


def resolve_api_token(plain: str, *, related: Sequence[str] = ()) -> ApiToken | None:
    """The active token for `<secret>` or `<secret>/<slug>` (the slug must then match), else None.

    `related` names more relations to read in the same query (`membership__account__...`), for a caller
    that reads them on every request."""
    secret, _sep, slug = plain.strip().partition("/")
    if not secret:
        return None
    token = (
        ApiToken.objects.select_related(
            "membership__account", "membership__user", "membership__custom_role", *related
        )
        .filter(secret_hash=_hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or (slug and token.membership.account.slug != slug):
        return None
    return token
