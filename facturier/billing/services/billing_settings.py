"""An account's invoicing settings ("Paramètres > Facturation"): numbering patterns, payment terms,
legal mentions, and the message sent with a document by email.

The BillingSettings row is also the issuing lock and the head of the tamper-evidence chain, so this
module never creates it on a read (`settings_for` returns unsaved defaults) and, when saving, writes only
the fields it owns, under the row lock that issuing takes too.
"""

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.billing.models import BillingSettings, Kind
from facturier.billing.numbering import DEFAULT_PATTERNS, get_settings, pattern_for, validate_pattern
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_writable
from facturier.tenancy.models import Account

# The fields of BillingSettings a member edits (number_patterns apart), and what the audit compares.
SETTINGS_FIELDS = [
    "default_payment_terms_days", "late_penalty_text", "early_payment_discount_text", "legal_form",
    "share_capital", "rcs_city", "vat_on_debits", "purchases_vat_on_debits", "vat_franchise",
    "email_subject_template", "email_body_template", "api_documents_as_drafts",
]  # fmt: skip

# What the subject and body of a document's email may contain, each replaced when the email is sent.
EMAIL_PLACEHOLDERS = {
    "number": gettext_lazy("le numéro du document"),
    "client": gettext_lazy("le nom du client"),
    "amount": gettext_lazy("le montant TTC, avec sa devise"),
    "due_date": gettext_lazy("la date d'échéance"),
    "account": gettext_lazy("le nom de votre entreprise"),
}

MAX_PAYMENT_TERMS_DAYS = 365


def settings_for(account: Account) -> BillingSettings:
    """The account's settings, or unsaved defaults when it has none yet (reading never writes)."""
    found = BillingSettings.objects.filter(account=account).first()
    return found if found is not None else BillingSettings(account=account)


def default_email_templates() -> tuple[str, str]:
    """The subject and body used when the account wrote none, in the active language (wrap the call in
    translation.override(document.language))."""
    return (
        _("{account} : document {number}"),
        _(
            "Bonjour,\n\nVeuillez trouver ci-joint le document {number} d'un montant de {amount}, "
            "à régler avant le {due_date}.\n\nCordialement,\n{account}"
        ),
    )


def check_email_template(template: str) -> None:
    """Refuse a template `render_email_template` could not fill: unknown placeholders, stray braces,
    or anything beyond a plain {name} (formats and attribute access are not for users' text)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValidationError(
            _("Accolade mal fermée : écrivez les champs comme {number}, et {{ ou }} pour une accolade."),
            code="braces",
        ) from None
    allowed = ", ".join(f"{{{name}}}" for name in EMAIL_PLACEHOLDERS)
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in EMAIL_PLACEHOLDERS or spec or conversion:
            raise ValidationError(
                _("Champ inconnu : {%(name)s}. Champs possibles : %(allowed)s.")
                % {
                    "name": name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else ""),
                    "allowed": allowed,
                },
                code="placeholder",
            )


def render_email_template(template: str, values: dict[str, str]) -> str:
    """Fill the EMAIL_PLACEHOLDERS of a template with `values` (text). Only plain {name} fields are
    replaced, never attributes or formats, and a template that escaped check_email_template is sent as
    written rather than failing the sending."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return template
    pieces = []
    for text, name, _spec, _conversion in parts:
        pieces.append(text)
        if name is not None:
            pieces.append(values.get(name, "") if name in EMAIL_PLACEHOLDERS else f"{{{name}}}")
    return "".join(pieces)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    values = {key: value.strip() if isinstance(value, str) else value for key, value in values.items()}
    terms = values["default_payment_terms_days"]
    if not isinstance(terms, int) or not 0 <= terms <= MAX_PAYMENT_TERMS_DAYS:
        raise ServiceError(
            _("Le délai de paiement est un nombre de jours entre 0 et %(max)d.")
            % {"max": MAX_PAYMENT_TERMS_DAYS},
            field="default_payment_terms_days",
        )
    for field in ("email_subject_template", "email_body_template"):
        try:
            check_email_template(values[field])
        except ValidationError as error:
            raise ServiceError(error.messages[0], field=field) from None
    for field in ("vat_on_debits", "purchases_vat_on_debits", "vat_franchise"):
        values[field] = bool(values[field])
    for field, value in values.items():
        max_length = getattr(BillingSettings._meta.get_field(field), "max_length", None)
        if isinstance(value, str) and max_length and len(value) > max_length:
            raise ServiceError(
                _("%(value)s… est trop long (%(max)d caractères au plus).")
                % {"value": value[:20], "max": max_length},
                field=field,
            )
    return values


def clean_number_patterns(patterns: dict[str, str]) -> dict[str, str]:
    """Every kind's pattern, checked: blank means the default; two kinds may not share a pattern, since
    their documents would then carry the same numbers."""
    unknown = set(patterns) - set(Kind.values)
    if unknown:
        raise ServiceError(
            _("Types de documents inconnus : %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}
        )
    cleaned: dict[str, str] = {}
    for kind in Kind.values:
        pattern = (patterns.get(kind) or "").strip() or DEFAULT_PATTERNS[kind]
        try:
            validate_pattern(pattern)
        except ValidationError as error:
            raise ServiceError(error.messages[0], field=f"pattern_{kind}") from None
        taken_by = next((other for other, used in cleaned.items() if used == pattern), None)
        if taken_by is not None:
            raise ServiceError(
                _("Ce modèle est déjà celui des documents « %(kind)s » : chaque type a le sien.")
                % {"kind": Kind(taken_by).label},
                field=f"pattern_{kind}",
            )
        cleaned[kind] = pattern
    return cleaned


@transaction.atomic
def update_billing_settings(actor: Actor, account: Account, values: dict[str, Any]) -> BillingSettings:
    """Save the settings in `values` (SETTINGS_FIELDS, and `number_patterns` as {kind: pattern});
    the audit event keeps each changed value before and after.

    The row is created on the first save. Only the given fields are written, under the row lock, so a
    document being issued at the same moment keeps its chain head and numbering intact.
    """
    actor.require("settings.manage")
    ensure_writable(account)
    unknown = set(values) - {*SETTINGS_FIELDS, "number_patterns"}
    if unknown:
        raise TypeError(f"Unknown billing settings: {sorted(unknown)}")
    settings = get_settings(account, lock=True)
    current = {field: getattr(settings, field) for field in SETTINGS_FIELDS}
    after = _clean(current | {k: v for k, v in values.items() if k != "number_patterns"})
    before = dict(current)
    if "number_patterns" in values:
        # Compared kind by kind, so the audit log says which series changed.
        for kind in Kind.values:
            before[f"number_pattern_{kind}"] = pattern_for(settings, kind)
        patterns = clean_number_patterns(values["number_patterns"])
        after |= {f"number_pattern_{kind}": pattern for kind, pattern in patterns.items()}
        settings.number_patterns = patterns
    changes = audit.diff(before, after)
    if not changes:
        return settings
    for field in SETTINGS_FIELDS:
        setattr(settings, field, after[field])
    settings.save(update_fields=[*SETTINGS_FIELDS, "number_patterns"])
    audit.record(actor, account, "billing.settings_changed", changes=changes)
    return settings
