"""The account API (api.md, section 7): what the accounting-firm module offers, over its services.

- `POST /account.json` with a firm's token creates a client account of the firm, as "Ajouter une
  nouvelle compagnie" does (firm.services.create_client_account): the calling firm user owns it as firm
  staff, on the PRO plan. `account.prefix` (else `company.name`, else the firm's next numbered address)
  becomes its address, made unique ("acme-2") when taken or reserved; `company` becomes its identity
  (checked by the same form as "Paramètres du compte"); an optional `user` is added as Administrateur
  (firm.services.add_client_user). The answer's `api_token` is a new token of the owner's membership in
  the new account.
- `POST /account/add_user.json` with a token of the target account adds a user (tenancy add_member).
- `PATCH /account/unlink.json` with a firm's token disconnects client accounts by prefix.
- `GET /account.json` describes the token's account.
- `POST /login.json` checks an email and a password (with the login throttle of the pages) and answers
  with the user's login token in one of their accounts (the same one each time, made on first use).

Everything a request creates is created in one transaction: a refusal leaves nothing behind.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from facturier.accounts import throttle
from facturier.accounts.models import User, normalize_email
from facturier.api import coercion
from facturier.api.clients import tax_identity
from facturier.api.coercion import Field
from facturier.api.errors import (
    NOT_LOGGED_IN,
    InputError,
    api_field_names,
    error_response,
    too_many_requests,
)
from facturier.api.schema import ERRORS
from facturier.api.second_factor import second_factor_refusal
from facturier.api.views import AccountView
from facturier.firm import services as firm_services
from facturier.tenancy import permissions
from facturier.tenancy import services as tenancy_services
from facturier.tenancy.access import Actor, client_ip
from facturier.tenancy.forms.account import AccountIdentityForm
from facturier.tenancy.models import Account, Membership, Role
from facturier.tenancy.slugs import MAX_LENGTH as SLUG_MAX_LENGTH
from facturier.tenancy.slugs import slug_from_name

# How many numbered variants of a taken address are tried before giving up (each costs one query).
SLUG_TRIES = 50

COMPANY_FIELDS = [
    Field("name", "name"),
    Field("tax_no", "tax_no"),
    Field("street", "street"),
    Field("post_code", "post_code"),
    Field("city", "city"),
    Field("country", "country"),
    Field("bank_account", "iban"),
    Field("swift", "bic"),
]
# The identity form's field → the `company` key that fills it.
COMPANY_NAMES = {
    "siren": "tax_no",
    "siret": "tax_no",
    "vat_number": "tax_no",
    "iban": "bank_account",
    "bic": "swift",
    "legal_name": "name",
}
# add_member's refusals, named as the `user` keys that caused them.
USER_ERRORS = {"email": "user.email", "role": "user.role", "password": "user.password"}
USER_FIELDS = [Field("email", "email"), Field("login", "login"), Field("password", "password")]


def section(data: Any, key: str) -> dict[str, Any]:
    """An object beside the others at the top of the body (`account`, `company`, `user`); absent: {}."""
    if not isinstance(data, Mapping):
        raise InputError.on(key, _("Envoyez un objet JSON."))
    inner = data.get(key)
    if coercion.is_absent(inner):
        return {}
    if not isinstance(inner, Mapping):
        raise InputError.on(key, _("Envoyez un objet JSON."))
    return dict(inner)


def account_url(account: Account) -> str:
    """Where an API client reaches the account: its subdomain when a base domain is configured, else
    the site itself (the token names the account)."""
    base = settings.FACTURIER_API_BASE_DOMAIN
    if base:
        scheme = settings.FACTURIER_BASE_URL.partition("://")[0] or "https"
        return f"{scheme}://{account.slug}.{base}"
    return settings.FACTURIER_BASE_URL


def free_slug(requested: str, firm: Account) -> str:
    """The address asked for, or the first free numbered variant of it ("acme-2", "acme-3"...)."""
    base = slug_from_name(requested) or firm_services.next_free_slug(firm)
    for number in range(1, SLUG_TRIES + 1):
        suffix = "" if number == 1 else f"-{number}"
        candidate = base[: SLUG_MAX_LENGTH - len(suffix)].strip("-") + suffix
        try:
            tenancy_services.validate_new_slug(candidate)
        except ValidationError:
            continue
        return candidate
    return firm_services.next_free_slug(firm)


def read_section(data: dict[str, Any], fields: list[Field], key: str) -> dict[str, Any]:
    """`coercion.read` on an object of the body, its refused keys named `key.field`."""
    try:
        return coercion.read(data, fields)
    except InputError as error:
        raise InputError({f"{key}.{field}": messages for field, messages in error.messages.items()}) from None


def company_identity(company: dict[str, Any]) -> dict[str, Any]:
    """The identity fields `company` sets, checked by the account settings form (same rules, same
    messages); refused values are reported under the `company` keys that carried them."""
    values = read_section(company, COMPANY_FIELDS, "company")
    tax_no = values.pop("tax_no", "")
    if tax_no.strip():
        values |= tax_identity(tax_no)
    values.setdefault("country", "FR")
    form = AccountIdentityForm(data=values, instance=Account())
    if not form.is_valid():
        errors: dict[str, list[str]] = {}
        for field, messages in form.errors.items():
            errors.setdefault(COMPANY_NAMES.get(field, field), []).extend(
                str(message) for message in messages
            )
        raise InputError({f"company.{field}": messages for field, messages in errors.items()})
    return {field: form.cleaned_data[field] for field in tenancy_services.IDENTITY_FIELDS}


def new_user(
    data: dict[str, Any], *, password_required: bool, invited: bool = False
) -> tuple[str, str | None]:
    """The email and password of a user to add, checked before anything is written. An invited user
    (`invite: true`) chooses their own password: one sent along (the README's example has one) is not
    read."""
    values = read_section(data, USER_FIELDS, "user")
    email = normalize_email(values.get("email") or values.get("login") or "")
    try:
        validate_email(email)
    except ValidationError:
        raise InputError.on("user.email", _("Indiquez une adresse email valable.")) from None
    password = None if invited else values.get("password") or None
    if password is None and password_required and not User.objects.filter(email=email).exists():
        raise InputError.on("user.password", _("Indiquez un mot de passe pour ce nouvel utilisateur."))
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as error:
            raise InputError({"user.password": list(error.messages)}) from None
    return email, password


def membership_of(account: Account, user: User) -> Membership:
    return Membership.objects.select_related("account", "custom_role", "firm").get(account=account, user=user)


AccountCreated = inline_serializer(
    name="AccountCreated",
    fields={
        "prefix": serializers.CharField(),
        "api_token": serializers.CharField(),
        "url": serializers.CharField(),
        "login": serializers.CharField(),
        "email": serializers.CharField(),
    },
)


class AccountSerializer(serializers.Serializer[Account]):
    id = serializers.IntegerField()
    prefix = serializers.CharField(source="slug")
    name = serializers.CharField()
    url = serializers.SerializerMethodField()
    plan = serializers.CharField()
    subscription_ends_on = serializers.DateField(allow_null=True)
    locked_until = serializers.DateField(allow_null=True)
    firm = serializers.BooleanField(source="is_firm")
    managed_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_url(self, account: Account) -> str:
        return account_url(account)

    def get_managed_by(self, account: Account) -> str | None:
        return account.managed_by.slug if account.managed_by else None


class AccountApi(AccountView):
    """`GET /account.json`: the token's account. `POST /account.json`: a firm creates a client account."""

    @extend_schema(responses={200: AccountSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        account = Account.objects.select_related("managed_by").get(pk=self.account.pk)
        return Response(AccountSerializer(account).data)

    @extend_schema(
        request=inline_serializer(
            name="AccountCreateRequest",
            fields={
                "api_token": serializers.CharField(required=False),
                "account": inline_serializer("AccountInput", fields={"prefix": serializers.CharField()}),
                "company": inline_serializer(
                    "CompanyInput",
                    fields={
                        field.api_name: serializers.CharField(required=False) for field in COMPANY_FIELDS
                    },
                ),
                "user": inline_serializer(
                    "AccountUserInput",
                    fields={field.api_name: serializers.CharField(required=False) for field in USER_FIELDS},
                ),
            },
        ),
        responses={201: AccountCreated, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        firm = self.account
        actor = self.actor
        self.require("firm.manage")
        firm_services.ensure_firm(firm)
        data = request.data
        requested = read_section(section(data, "account"), [Field("prefix", "prefix")], "account")
        company = section(data, "company")
        identity = company_identity(company) if company else {}
        user_data = section(data, "user")
        added = new_user(user_data, password_required=False) if user_data else None
        name = identity.get("name") or requested.get("prefix", "").strip()
        if not name:
            raise InputError.on("company.name", _("Indiquez le nom de l'entreprise."))
        with transaction.atomic():
            slug = free_slug(requested.get("prefix") or name, firm)
            account = firm_services.create_client_account(actor, firm, name=name, slug=slug)
            login = self.access.membership.user
            membership = membership_of(account, login)
            owner = Actor(user=login, membership=membership, ip=actor.ip)
            if identity:
                tenancy_services.update_account_identity(owner, account, identity)
            if added is not None:
                email, password = added
                with api_field_names(USER_ERRORS):
                    member = firm_services.add_client_user(
                        actor, firm, account, email=email, role=permissions.ROLE_ADMIN, password=password
                    )
                login = member.user
            _token, plain = tenancy_services.create_api_token(owner, membership)
        body = {"prefix": account.slug, "api_token": plain, "url": account_url(account)}
        return Response(body | {"login": login.email, "email": login.email}, status=status.HTTP_201_CREATED)


def role_of(account: Account, value: Any) -> tuple[str, Role | None]:
    """`member`, `admin`, `accountant`, or a custom role of the account as `role_1234` or `1234`."""
    text = coercion.to_text(value, "user.role").strip().lower()
    if text in permissions.BUILTIN_ROLE_LABELS:
        return text, None
    number = text.removeprefix("role_")
    if number.isascii() and number.isdigit() and 0 < int(number) < 2**63:
        role = Role.objects.filter(account=account, pk=int(number)).first()
        if role is not None:
            return permissions.ROLE_CUSTOM, role
    raise InputError.on("user.role", _("Rôle inconnu : member, admin, accountant ou role_<id>."))


class AddUser(AccountView):
    """`POST /account/add_user.json`: add a user to the token's account (Gérer les utilisateurs)."""

    @extend_schema(
        request=inline_serializer(
            name="AddUserRequest",
            fields={
                "api_token": serializers.CharField(required=False),
                "user": inline_serializer(
                    "AddUserInput",
                    fields={
                        "invite": serializers.BooleanField(required=False),
                        "email": serializers.CharField(),
                        "password": serializers.CharField(required=False),
                        "role": serializers.CharField(required=False),
                    },
                ),
            },
        ),
        responses={
            201: OpenApiResponse(description='{"code": "success", "message": ..., "email", "role"}'),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        self.require("users.manage")
        data = section(request.data, "user")
        invite = (
            coercion.to_bool(data["invite"], "user.invite")
            if not coercion.is_absent(data.get("invite"))
            else False
        )
        role, custom_role = role_of(self.account, data.get("role") or permissions.ROLE_MEMBER)
        email, password = new_user(data, password_required=not invite, invited=invite)
        with api_field_names(USER_ERRORS):
            membership = tenancy_services.add_member(
                self.actor, self.account, email=email, role=role, custom_role=custom_role, password=password
            )
        return Response(
            {
                "code": "success",
                "message": _("%(email)s a été ajouté au compte.") % {"email": email},
                "email": email,
                "role": role if custom_role is None else f"role_{custom_role.pk}",
                "user_id": membership.user_id,
            },
            status=status.HTTP_201_CREATED,
        )


class Unlink(AccountView):
    """`PATCH /account/unlink.json`: the firm disconnects client accounts, named by prefix."""

    @extend_schema(
        request=inline_serializer(
            name="UnlinkRequest",
            fields={
                "api_token": serializers.CharField(required=False),
                "prefix": serializers.ListField(child=serializers.CharField()),
            },
        ),
        responses={200: OpenApiResponse(description="unlinked and not_unlinked prefixes"), **ERRORS},
    )
    def patch(self, request: Request) -> Response:
        firm = self.account
        self.require("firm.manage")
        firm_services.ensure_firm(firm)
        data = request.data if isinstance(request.data, Mapping) else {}
        raw = data.get(
            "prefix", request.query_params.getlist("prefix") or request.query_params.getlist("prefix[]")
        )
        values = raw if isinstance(raw, list) else [raw]
        prefixes = list(
            dict.fromkeys(coercion.to_text(v, "prefix").strip() for v in values if not coercion.is_absent(v))
        )
        if not prefixes:
            raise InputError.on("prefix", _("Indiquez le préfixe du ou des comptes à déconnecter."))
        managed = {a.slug: a for a in Account.objects.filter(managed_by=firm, slug__in=prefixes)}
        not_unlinked = [prefix for prefix in prefixes if prefix not in managed]
        if not managed:
            return error_response(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                _("Aucun de ces comptes n'est un compte client de ce cabinet : rien n'a été déconnecté."),
                result={"not_unlinked": not_unlinked},
            )
        clients = firm_services.disconnect_client_accounts(self.actor, firm, list(managed.values()))
        unlinked = [client.slug for client in clients]
        return Response(
            {
                "code": "success",
                "message": _("%(count)d compte(s) déconnecté(s) du cabinet.") % {"count": len(unlinked)},
                "result": {"unlinked": unlinked, "not_unlinked": not_unlinked},
            }
        )


class Login(APIView):
    """`POST /login.json`: email (or `login`) and password → the user's login token.

    The pages' login throttle applies (accounts/throttle.py). A user with two-factor authentication
    sends the code of their app, or a recovery code, in `otp` (or `code`); a user whose account requires
    it and who has not set it up is refused (api.second_factor). The token is for the user's membership
    in the account named by `prefix` when given, else the account they own, else their first account;
    a user without an account gets `prefix` and `api_token` null. Every login answers the same token
    (tenancy.services.login_api_token), listed and revocable on the Sécurité page of the user's profile;
    once it is revoked, the next login makes a new one.
    """

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        request=inline_serializer(
            name="LoginRequest",
            fields={
                "login": serializers.CharField(),
                "password": serializers.CharField(),
                "prefix": serializers.CharField(required=False),
                "otp": serializers.CharField(required=False),
            },
        ),
        responses={
            200: OpenApiResponse(description="login, email, prefix, url, first_name, last_name, api_token"),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, Mapping) else {}
        values = coercion.read(
            data,
            [
                Field("login", "login"),
                Field("email", "email"),
                Field("password", "password"),
                Field("prefix", "prefix"),
                Field("otp", "otp"),
                Field("code", "code"),
            ],
        )
        email = (values.get("login") or values.get("email") or "").strip()
        password = values.get("password") or ""
        if not email or not password:
            return error_response(status.HTTP_401_UNAUTHORIZED, NOT_LOGGED_IN)
        try:
            user = throttle.authenticate_throttled(request._request, email, password)
        except throttle.LoginLocked as locked:
            return too_many_requests(locked.seconds, " ".join(locked.messages))
        except ValidationError as error:
            return error_response(status.HTTP_401_UNAUTHORIZED, " ".join(error.messages))
        refusal = second_factor_refusal(user, values.get("otp") or values.get("code") or "")
        if refusal is not None:
            return refusal
        memberships = Membership.objects.filter(user=user).select_related("account", "custom_role", "firm")
        prefix = values.get("prefix", "").strip()
        if prefix:
            memberships = memberships.filter(account__slug=prefix)
        membership = memberships.order_by("-is_owner", "account_id").first()
        body: dict[str, Any] = {
            "login": user.email,
            "email": user.email,
            "prefix": None,
            "url": settings.FACTURIER_BASE_URL,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "api_token": None,
        }
        if membership is not None:
            actor = Actor(user=user, membership=membership, ip=client_ip(request._request))
            plain = tenancy_services.login_api_token(actor, membership)
            body |= {
                "prefix": membership.account.slug,
                "url": account_url(membership.account),
                "api_token": plain,
            }
        return Response(body)


class AccountDelete(AccountView):
    """`POST /account/delete.json`: the public API starts the deletion of the account; Facturier keeps
    accounts, since the books they hold must be kept ten years, and says so."""

    @extend_schema(responses={422: OpenApiResponse(description="The account is not deleted: why.")})
    def post(self, request: Request) -> Response:
        raise InputError.on(
            "account",
            _(
                "Facturier ne supprime pas de compte : ses factures et ses écritures doivent être conservées "
                "dix ans (Code de commerce, art. L123-22). Laissez l'abonnement prendre fin : le compte "
                "reste consultable et exportable, en lecture seule."
            ),
        )
