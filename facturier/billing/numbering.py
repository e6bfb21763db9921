"""Document numbers: patterns, their validation, and the gapless allocation at issue.

Rules (CGI ann. II art. 242 nonies A, BOI-TVA-DECLA-30-20-20-10, BR-FR-01/02):
- one series per account, kind and year of the issue date, numbered from 1 without gaps;
- a number is allocated only when a document is issued, inside the issuing transaction and under the
  lock of the account's BillingSettings row, so a rolled-back issue gives its number back and two
  parallel issues never share or skip one;
- a number is at most 35 characters of [A-Za-z0-9+-_/] (what Factur-X accepts as BT-1).
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from facturier.billing.models import BillingSettings, Kind, NumberingSeries
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account

DEFAULT_PATTERNS: dict[str, str] = {
    Kind.INVOICE: "F-{YYYY}-{NNNN}",
    Kind.CREDIT_NOTE: "AV-{YYYY}-{NNNN}",
    Kind.ESTIMATE: "D-{YYYY}-{NNNN}",
    Kind.PROFORMA: "PF-{YYYY}-{NNNN}",
    Kind.ADVANCE: "FA-{YYYY}-{NNNN}",
    Kind.FINAL: "FS-{YYYY}-{NNNN}",
    Kind.RECEIPT: "R-{YYYY}-{NNNN}",
}

MAX_LENGTH = 35
_TOKEN = re.compile(r"\{([^{}]*)\}")
_ALLOWED_TEXT = re.compile(r"[A-Za-z0-9+\-_/]*")
_SEQUENCE = re.compile(r"N+")
# Numbers up to 999,999 per series and year must fit, whatever the padding of {N…}.
_LONGEST_SEQUENCE = 6


def format_number(pattern: str, year: int, month: int, n: int) -> str:
    """The number `n` of a series written with `pattern`: {YYYY} {YY} {MM}, {N…} padded to its length."""

    def replace(match: re.Match[str]) -> str:
        part = match.group(1)
        if part == "YYYY":
            return f"{year:04d}"
        if part == "YY":
            return f"{year % 100:02d}"
        if part == "MM":
            return f"{month:02d}"
        if _SEQUENCE.fullmatch(part):
            return str(n).zfill(len(part))
        raise ValueError(f"Unknown part {{{part}}} in numbering pattern {pattern!r}")

    return _TOKEN.sub(replace, pattern)


def validate_pattern(pattern: str) -> None:
    """Refuse a pattern that could produce an invalid or colliding number (the settings page uses it).

    It needs exactly one {N…} token (the counter), the year ({YYYY} or {YY}) because series restart each
    year, only known tokens, only the characters Factur-X allows, and room for a six-digit counter within
    35 characters.
    """
    tokens = _TOKEN.findall(pattern)
    unknown = [t for t in tokens if t not in ("YYYY", "YY", "MM") and not _SEQUENCE.fullmatch(t)]
    if unknown:
        raise ValidationError(
            _("Élément inconnu dans le modèle : {%(token)s}. Utilisez {YYYY}, {YY}, {MM} et {NNNN}.")
            % {"token": unknown[0]},
            code="unknown_token",
        )
    if sum(1 for t in tokens if _SEQUENCE.fullmatch(t)) != 1:
        raise ValidationError(
            _("Le modèle doit contenir une et une seule fois le compteur, par exemple {NNNN}."),
            code="counter",
        )
    if "YYYY" not in tokens and "YY" not in tokens:
        raise ValidationError(
            _("Le modèle doit contenir l'année ({YYYY} ou {YY}) : la numérotation repart à 1 chaque année."),
            code="year",
        )
    literal = _TOKEN.sub("", pattern)
    if "{" in literal or "}" in literal or not _ALLOWED_TEXT.fullmatch(literal):
        raise ValidationError(
            _(
                "Le modèle ne peut contenir que des lettres sans accent, des chiffres et les signes "
                "+ - _ / (pas d'espace)."
            ),
            code="characters",
        )
    if len(format_number(pattern, 2099, 12, 10**_LONGEST_SEQUENCE - 1)) > MAX_LENGTH:
        raise ValidationError(
            _("Les numéros produits par ce modèle dépasseraient %(max)d caractères.") % {"max": MAX_LENGTH},
            code="too_long",
        )


def pattern_for(billing_settings: BillingSettings, kind: str) -> str:
    return billing_settings.number_patterns.get(kind) or DEFAULT_PATTERNS[kind]


def get_settings(account: Account, *, lock: bool = False) -> BillingSettings:
    """The account's BillingSettings, created on first need; with `lock`, the row is locked until commit.

    Two first issues of a new account may race to create the row: the creation runs in a savepoint, and
    the loser of the race (IntegrityError on the one-to-one) reads the winner's row instead.
    """
    queryset = BillingSettings.objects.select_for_update() if lock else BillingSettings.objects.all()
    try:
        return queryset.get(account=account)
    except BillingSettings.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            BillingSettings.objects.create(account=account)
    except IntegrityError:
        pass  # created meanwhile by a parallel transaction
    return queryset.get(account=account)


def allocate(billing_settings: BillingSettings, kind: str, issue_date: datetime.date) -> tuple[str, int]:
    """The next number of the series (kind, year of `issue_date`) and its counter value.

    The caller holds the lock of `billing_settings` (get_settings(lock=True)) in the issuing transaction:
    that lock, not this row, is what serialises the account's issues.
    """
    series, _created = NumberingSeries.objects.get_or_create(
        account_id=billing_settings.account_id, kind=kind, year=issue_date.year
    )
    series.last_number += 1
    series.save(update_fields=["last_number"])
    number = format_number(
        pattern_for(billing_settings, kind), issue_date.year, issue_date.month, series.last_number
    )
    if len(number) > MAX_LENGTH:
        raise ServiceError(
            _("Le numéro %(number)s dépasse %(max)d caractères : raccourcissez le modèle de numérotation.")
            % {"number": number, "max": MAX_LENGTH}
        )
    return number, series.last_number
