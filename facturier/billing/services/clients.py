"""Writes to clients (buyers and suppliers): create, change, archive, restore, delete.

Each function runs in one transaction, checks the actor's permission and that the account is writable,
records an audit event, and raises ServiceError (a message for the user, with the field at fault) when
the rules refuse. Values are checked here again, whatever the caller (page, API, command) checked.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Max, Min, Model, ProtectedError, RestrictedError, UniqueConstraint
from django.utils.translation import gettext as _

from facturier.billing.models import Client
from facturier.billing.services.archiving import set_archived
from facturier.lib import identifiers
from facturier.lib.countries import COUNTRY_CODES, country_name, post_code_example
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import LockedPeriodError, ServiceError
from facturier.tenancy.locking import ensure_exported_changeable, ensure_writable, is_locked
from facturier.tenancy.models import Account

# What create_client and update_client accept, and what the audit trail compares.
CLIENT_FIELDS = [
    "kind", "is_company", "name", "first_name", "last_name", "siren", "siret", "vat_number",
    "street", "post_code", "city", "country", "email", "cc_emails", "phone", "mobile_phone", "www",
    "shortcut", "external_id", "bank", "bank_account", "payment_terms_days", "invoice_reference", "sepa_mandate", "notes", "accounting_code",
]  # fmt: skip

MAX_PAYMENT_TERMS_DAYS = 365


def split_emails(text: str) -> list[str]:
    """The addresses of a comma- (or semicolon-) separated list, each checked; ValidationError names
    the first bad one."""
    emails = [part.strip() for part in re.split(r"[,;]", text or "") if part.strip()]
    for email in emails:
        check_email(email)
    return emails


def check_email(email: str) -> None:
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            _("« %(email)s » n'est pas une adresse email valide.") % {"email": email}, code="invalid"
        ) from None


def check_siret_matches_siren(siren: str, siret: str) -> None:
    """A SIRET is the SIREN followed by the establishment number: refuse one of another company."""
    if siren and siret and not siret.startswith(siren):
        raise ValidationError(
            _("Le SIRET doit commencer par le SIREN de l'entreprise (%(siren)s).") % {"siren": siren},
            code="siret_mismatch",
        )


def check_vat_matches_siren(siren: str, vat_number: str) -> None:
    """A French VAT number is FR, a two-character key, then the SIREN: refuse one of another company."""
    if siren and vat_number.startswith("FR") and vat_number[4:] != siren:
        raise ValidationError(
            _("Ce numéro de TVA n'est pas celui du SIREN %(siren)s.") % {"siren": siren},
            code="vat_mismatch",
        )


def person_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()


def name_follows_parts(values: Mapping[str, Any]) -> bool:
    """Whether a person's stored name is the one built from their first and last names (so it follows
    them when they change), rather than a name of its own (the public API lets a person have one)."""
    return bool(values["name"] == person_name(values["first_name"], values["last_name"]))


def _checked(field: str, check: Callable[[str], Any], value: str) -> Any:
    """`check(value)`, its ValidationError turned into the ServiceError of `field`."""
    try:
        return check(value)
    except ValidationError as error:
        raise ServiceError(error.messages[0], field=field) from None


def _clean(values: dict[str, Any], stored: dict[str, Any] | None = None) -> dict[str, Any]:
    """The values as stored: trimmed, identifiers compact, the name of a person built from its parts."""
    values = {key: value.strip() if isinstance(value, str) else value for key, value in values.items()}
    if values["kind"] not in Client.Kind.values:
        raise ServiceError(_("Type de client inconnu."), field="kind")
    values["is_company"] = bool(values["is_company"])
    if values["is_company"]:
        values["first_name"] = values["last_name"] = ""
        if not values["name"]:
            raise ServiceError(_("Indiquez le nom de l'entreprise."), field="name")
    else:
        # A person's name is the one given (the public API keeps it), else first then last name.
        values["name"] = values["name"] or person_name(values["first_name"], values["last_name"])
        if not values["name"]:
            raise ServiceError(_("Indiquez le nom de famille de la personne."), field="last_name")
    for field, check in [
        ("siren", identifiers.clean_siren),
        ("siret", identifiers.clean_siret),
        ("vat_number", identifiers.clean_vat_number),
    ]:
        if values[field]:
            values[field] = _checked(field, check, values[field])
    if values["siret"] and not values["siren"]:
        values["siren"] = values["siret"][:9]
    # A French VAT number is FR, a key, then the SIREN: the invoice's SIREN mention comes with it.
    if values["vat_number"].startswith("FR") and values["vat_number"][4:].isdigit() and not values["siren"]:
        values["siren"] = values["vat_number"][4:]
    _checked("siret", lambda siret: check_siret_matches_siren(values["siren"], siret), values["siret"])
    _checked("vat_number", lambda vat: check_vat_matches_siren(values["siren"], vat), values["vat_number"])
    if values["email"]:
        _checked("email", check_email, values["email"])
    values["cc_emails"] = ", ".join(_checked("cc_emails", split_emails, values["cc_emails"]))
    values["country"] = str(values["country"]).upper()
    if values["country"] not in COUNTRY_CODES:
        raise ServiceError(_("Pays inconnu : %(code)s.") % {"code": values["country"]}, field="country")
    values["post_code"] = str(values["post_code"]).upper()
    # Checked when typed: an address stored before the check (or imported) is kept as it is while other
    # fields of the client change.
    address_kept = stored is not None and all(
        str(stored[field]).strip().upper() == values[field] for field in ("post_code", "country")
    )
    example = None if address_kept else post_code_example(values["country"], values["post_code"])
    if example is not None:
        raise ServiceError(
            _("Code postal invalide pour ce pays (%(country)s) : par exemple %(example)s.")
            % {"country": country_name(values["country"]), "example": example},
            field="post_code",
        )
    terms = values["payment_terms_days"]
    if not isinstance(terms, int) or not 0 <= terms <= MAX_PAYMENT_TERMS_DAYS:
        raise ServiceError(
            _("Le délai de paiement est un nombre de jours entre 0 et %(max)d.")
            % {"max": MAX_PAYMENT_TERMS_DAYS},
            field="payment_terms_days",
        )
    for field, value in values.items():
        max_length = getattr(Client._meta.get_field(field), "max_length", None)
        if isinstance(value, str) and max_length and len(value) > max_length:
            raise ServiceError(
                _("%(value)s… est trop long (%(max)d caractères au plus).")
                % {"value": value[:20], "max": max_length},
                field=field,
            )
    return values


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(CLIENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown client fields: {sorted(unknown)}")


def _values_of(client: Client) -> dict[str, Any]:
    return {field: getattr(client, field) for field in CLIENT_FIELDS}


@transaction.atomic
def create_client(actor: Actor, account: Account, **fields: Any) -> Client:
    """Create a client of `account`; fields left out take the model's defaults."""
    actor.require("clients.create")
    ensure_writable(account)
    _check_fields(fields)
    values = _clean(_values_of(Client()) | fields)
    client = Client.objects.create(account=account, **values)
    audit.record(actor, account, "client.created", target=client.name, subjects=[client])
    return client


@transaction.atomic
def update_client(actor: Actor, client: Client, **fields: Any) -> Client:
    """Change some fields of a client; the audit event keeps each changed value before and after."""
    actor.require("clients.edit")
    ensure_writable(client.account)
    _check_fields(fields)
    client = Client.objects.select_for_update().select_related("account").get(pk=client.pk)
    before = _values_of(client)
    renamed = "first_name" in fields or "last_name" in fields
    if "name" not in fields and renamed and not before["is_company"] and name_follows_parts(before):
        fields = fields | {"name": ""}  # rebuilt from the new first and last names
    after = _clean(before | fields, stored=before)
    changes = audit.diff(before, after)
    if changes:
        for field, value in after.items():
            setattr(client, field, value)
        client.save()
        audit.record(
            actor, client.account, "client.changed", target=client.name, changes=changes, subjects=[client]
        )
    return client


def archive_client(actor: Actor, client: Client) -> Client:
    """Hide a client from the lists and from new documents; its documents stay as they are."""
    set_archived(actor, client, archived=True)
    return client


def restore_client(actor: Actor, client: Client) -> Client:
    set_archived(actor, client, archived=False)
    return client


@transaction.atomic
def delete_client(actor: Actor, client: Client) -> None:
    """Delete a client that nothing refers to. Documents, payments and expenses protect their client
    (on_delete=PROTECT), so whichever exists, the deletion is refused and archiving is offered."""
    actor.require("clients.delete")
    account = client.account
    ensure_writable(account)
    name = client.name
    # Recorded first, while the row is there (webhooks read it); a refusal below rolls it back.
    audit.record(actor, account, "client.deleted", target=name, subjects=[client])
    try:
        with transaction.atomic():
            client.delete()
    except (ProtectedError, RestrictedError):
        raise ServiceError(
            _(
                "« %(name)s » figure sur des documents, des paiements ou des dépenses : "
                "il ne peut pas être supprimé. Archivez-le plutôt."
            )
            % {"name": name}
        ) from None


@transaction.atomic
def merge_clients(actor: Actor, kept: Client, others: list[Client]) -> Client:
    """Merge duplicates into `kept`: whatever refers to `others` (documents, payments, expenses) then
    refers to `kept`, and `others` are deleted. Issued documents keep the buyer printed on them (their
    snapshot); only the link moves. Refused when a row to move is dated in the locked period, or was
    exported and the account protects exported documents: the books already name that client."""
    actor.require("clients.edit")
    actor.require("clients.delete")
    account = kept.account
    ensure_writable(account)
    if not others:
        raise ServiceError(_("Indiquez les clients à fusionner avec celui-ci."), field="merge_ids")
    if any(other.pk == kept.pk or other.account_id != account.pk for other in others):
        raise ServiceError(_("Un client ne se fusionne pas avec lui-même."), field="merge_ids")
    kept = Client.objects.select_for_update().get(pk=kept.pk)
    # Every table that points at a client, found from the model (billing knows purchases only so).
    for relation in Client._meta.related_objects:
        if not relation.one_to_many:
            continue
        model = relation.related_model
        assert not isinstance(model, str)  # resolved once the apps are loaded
        field = relation.field.name
        rows = model._default_manager.filter(**{f"{field}__in": others})
        columns = {f.name for f in model._meta.get_fields()}
        day_field = next((name for name in ("issue_date", "date") if name in columns), None)
        earliest = rows.aggregate(earliest=Min(day_field))["earliest"] if day_field else None
        if earliest is not None and is_locked(account, earliest):
            raise LockedPeriodError(
                _(
                    "Ces clients ont des documents ou paiements de la période protégée : la "
                    "fusion les changerait de client. Fusionnez-les après avoir levé la protection."
                ),
                field="merge_ids",
            )
        if "exported_at" in columns:
            ensure_exported_changeable(account, rows.aggregate(latest=Max("exported_at"))["latest"])
        _refuse_clashes(model, field, kept, others)
        rows.update(**{field: kept})
    if any(other.kind != kept.kind for other in others):
        kept.kind = Client.Kind.BOTH  # a supplier merged into a buyer keeps its expenses
        kept.save(update_fields=["kind", "updated_at"])
    names = ", ".join(other.name for other in others)
    # As delete_client does, while the rows are there (webhooks read them).
    for other in others:
        audit.record(actor, account, "client.deleted", target=other.name, subjects=[other])
    audit.record(
        actor,
        account,
        "client.merged",
        target=kept.name,
        summary=_("Fusionné avec : %(names)s.") % {"names": names},
        subjects=[kept],
    )
    Client.objects.filter(pk__in=[other.pk for other in others]).delete()
    return kept


def _refuse_clashes(model: type[Model], field: str, kept: Client, others: list[Client]) -> None:
    """Refuse a merge that would give two rows the same values where a unique constraint names the
    client (two expenses of one supplier with the same invoice number), before the database does."""
    for constraint in model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint) or field not in constraint.fields:
            continue
        rest = [name for name in constraint.fields if name not in (field, "account")]
        rows = model._default_manager.filter(**{f"{field}__in": [kept, *others]})
        if constraint.condition is not None:
            rows = rows.filter(constraint.condition)
        clash = rows.values(*rest).annotate(rows=Count("pk")).filter(rows__gt=1).order_by(*rest).first()
        if clash is not None:
            raise ServiceError(
                _(
                    "Ces clients ont chacun des %(rows)s de même %(field)s (%(value)s) : fusionnés, "
                    "ils les confondraient. Corrigez l'une d'elles avant de fusionner."
                )
                % {
                    "rows": model._meta.verbose_name_plural,
                    "field": ", ".join(
                        str(getattr(model._meta.get_field(name), "verbose_name", name)) for name in rest
                    ),
                    "value": ", ".join(str(clash[name]) for name in rest),
                },
                field="merge_ids",
            )
