"""Document numbers: patterns, their validation, and the gapless allocation at issue.

Rules (CGI ann. II art. 242 nonies A, BOI-TVA-DECLA-30-20-20-10, BR-FR-01/02):
- one series per account, kind and year of the issue date, numbered from 1 without gaps;
- a number is allocated only when a document is issued, inside the issuing transaction and under the
  lock of the account's BillingSettings row, so a rolled-back issue gives its number back and two
  parallel issues never share or skip one;
- a number is at most 35 characters of [A-Za-z0-9+-_/] (what Factur-X accepts as BT-1);
- invoices are numbered in date order: none is dated before the last one of its series.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateField, QuerySet, Subquery, Value
from django.utils import formats
from django.utils.translation import gettext as _

from facturier.billing.models import BillingSettings, Document, Kind, NumberingSeries
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
    return _settings(account.pk, lock=lock)


def lock_account(account_id: int) -> None:
    """Hold the account's lock until commit: its BillingSettings row, under which its numbering, its
    chain and what is derived from its documents (the reports' VAT summary) change one transaction at a
    time. Issuing takes it first of all; the other writers take it after the documents they change."""
    _settings(account_id, lock=True)


def _settings(account_id: int, *, lock: bool) -> BillingSettings:
    queryset = BillingSettings.objects.select_for_update() if lock else BillingSettings.objects.all()
    try:
        return queryset.get(account_id=account_id)
    except BillingSettings.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            BillingSettings.objects.create(account_id=account_id)
    except IntegrityError:
        pass  # created meanwhile by a parallel transaction
    return queryset.get(account_id=account_id)


def allocate(
    billing_settings: BillingSettings, kind: str, issue_date: datetime.date, *, chronological: bool = False
) -> tuple[str, int]:
    """The next number of the series (kind, year of `issue_date`) and its counter value.

    The caller holds the lock of `billing_settings` (get_settings(lock=True)) in the issuing transaction:
    that lock, not this row, is what serialises the account's issues, so the series is read in a statement
    of its own after the lock is taken (it then sees every issue committed before). With `chronological`
    (invoices, CGI ann. II 242 nonies A), a date before the series' last numbered document is refused;
    that date is read with the series, in the same query.
    """
    year = issue_date.year
    numbered = Document.objects.filter(
        account_id=billing_settings.account_id, kind=kind, issue_date__year=year, sequence__isnull=False
    ).order_by("-issue_date")
    last_dated = Subquery(numbered.values("issue_date")[:1]) if chronological else Value(None, DateField())
    series = (
        NumberingSeries.objects.filter(account_id=billing_settings.account_id, kind=kind, year=year)
        .annotate(last_date=last_dated)
        .values_list("pk", "last_number", "last_date")
        .first()
    )
    if chronological:
        # Without its series row (the first number of the year) the series has no numbered document, unless
        # documents were stored some other way: read their last date then.
        last_date = series[2] if series is not None else numbered.values_list("issue_date", flat=True).first()
        if last_date is not None and issue_date < last_date:
            raise _out_of_order(issue_date, numbered)
    if series is None:
        last_number = 1
        NumberingSeries.objects.create(
            account_id=billing_settings.account_id, kind=kind, year=year, last_number=last_number
        )
    else:
        last_number = series[1] + 1
        NumberingSeries.objects.filter(pk=series[0]).update(last_number=last_number)
    number = format_number(pattern_for(billing_settings, kind), year, issue_date.month, last_number)
    if len(number) > MAX_LENGTH:
        raise ServiceError(
            _("Le numéro %(number)s dépasse %(max)d caractères : raccourcissez le modèle de numérotation.")
            % {"number": number, "max": MAX_LENGTH}
        )
    return number, last_number


TEST_PATTERN = "TEST-{NNNN}"


def allocate_test(billing_settings: BillingSettings) -> str:
    """The next number of the account's test documents (TEST-0001...): one series for every kind, outside
    the legal ones, which it never reads nor moves. The caller holds the lock of `billing_settings`."""
    billing_settings.test_last_number += 1
    billing_settings.save(update_fields=["test_last_number"])
    return format_number(TEST_PATTERN, 0, 0, billing_settings.test_last_number)


def _out_of_order(issue_date: datetime.date, numbered: "QuerySet[Document]") -> ServiceError:
    """The refusal of an invoice dated before the last one of its series, naming that one."""
    last_date, last_number = numbered.values_list("issue_date", "number")[0]
    return ServiceError(
        _(
            "La facture ne peut pas être datée du %(date)s : la dernière émise dans cette série, "
            "%(number)s, est datée du %(last)s. Les factures sont numérotées dans l'ordre "
            "chronologique ; datez-la du %(last)s ou après."
        )
        % {
            "date": formats.date_format(issue_date, "SHORT_DATE_FORMAT"),
            "number": last_number,
            "last": formats.date_format(last_date, "SHORT_DATE_FORMAT"),
        },
        field="issue_date",
    )
