"""Writes to expenses, their payments and their attachments.

Each function runs in one transaction, checks the actor's permission, the account's subscription and the
lock date (old and new dates), records an audit event, and raises ServiceError when the rules refuse.

Attachments: every file is checked (type sniffed from its first bytes, size, pixels of an image, a PDF
parsed within bounds: the limits of lib.uploads) before anything is written,
so a bad file leaves nothing behind. Files written to storage by a transaction that then fails are
removed again; files of a deleted expense or attachment are removed once the deletion is committed.
"""

import datetime
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from facturier.billing.models import Client, PaymentMethod, SupplyKind
from facturier.billing.services.billing_settings import settings_for
from facturier.billing.totals import Bucket, BucketKey, LineAmounts, Totals, compute
from facturier.lib import uploads, vat
from facturier.lib.chart_of_accounts import EXPENSE_RULE, account_problem, normalize_account
from facturier.lib.money import CURRENCIES, ZERO, money_text, round_money
from facturier.purchases import events
from facturier.purchases.models import (
    DEFAULT_CATEGORIES,
    Attachment,
    Expense,
    ExpenseCategory,
    ExpenseLine,
    ExpensePayment,
    ExpenseStatus,
    ExpenseVatLine,
    is_self_assessed,
)
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.locking import ensure_exported_changeable, ensure_unlocked, ensure_writable
from facturier.tenancy.models import Account

T = TypeVar("T")

# The only types a user may attach, recognised from their first bytes.
SUPPLIER_KINDS = (Client.Kind.SUPPLIER, Client.Kind.BOTH)


@dataclass
class ExpenseLineInput:
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    vat_category: str = vat.STANDARD
    deductible: bool = True
    supply_kind: str = SupplyKind.SERVICE


@dataclass
class ExpenseInput:
    supplier_id: int
    category_id: int
    issue_date: datetime.date
    lines: list[ExpenseLineInput]
    supplier_number: str = ""
    sell_date: datetime.date | None = None
    due_date: datetime.date | None = None
    currency: str = "EUR"
    exchange_rate: Decimal = Decimal(1)
    prices_are_gross: bool = False
    notes: str = ""
    # The supplier opted for VAT on debits (Expense.vat_on_debits); None: the account's setting for a
    # new expense, what the expense says for a change.
    vat_on_debits: bool | None = None


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, with what was learnt from its content."""

    upload: File[bytes]
    name: str
    content_type: str
    extension: str
    size: int


@dataclass(frozen=True)
class VatRow:
    """One ExpenseVatLine to write: a part of a bucket of the invoice, deductible or not. A self-assessed
    bucket is split by the French rate of its lines (`rate`), with the VAT the account owes on it."""

    bucket: Bucket
    deductible: bool
    base: Decimal
    vat_amount: Decimal
    base_eur: Decimal
    vat_amount_eur: Decimal
    rate: Decimal
    self_assessed_vat: Decimal = ZERO
    self_assessed_vat_eur: Decimal = ZERO


@dataclass
class ExpenseTotals:
    """The supplier invoice's totals, and the VAT rows split by deductibility."""

    totals: Totals
    deductible_vat: Decimal = ZERO
    deductible_vat_eur: Decimal = ZERO
    rows: list[VatRow] = field(default_factory=list)
    # The VAT the account self-assesses (autoliquidation), all of it due (its rows add up to it).
    self_assessed_vat: Decimal = ZERO
    self_assessed_vat_eur: Decimal = ZERO


# --- Categories ---------------------------------------------------------------------------------


def ensure_default_categories(account: Account) -> None:
    """Give an account the default expense categories the first time it needs some.

    Reference data rather than a change the user makes (no audit event); safe to run concurrently:
    the unique (account, name) constraint drops the duplicates.
    """
    if ExpenseCategory.objects.filter(account=account).exists():
        return
    ExpenseCategory.objects.bulk_create(
        [
            ExpenseCategory(account=account, name=name, accounting_code=code)
            for name, code in DEFAULT_CATEGORIES
        ],
        ignore_conflicts=True,
    )


# --- Totals -------------------------------------------------------------------------------------


def _amounts(line: ExpenseLineInput) -> LineAmounts:
    return LineAmounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=line.vat_rate,
        vat_category=line.vat_category,
        supply_kind=line.supply_kind,
    )


def compute_totals(
    lines: Sequence[ExpenseLineInput],
    *,
    prices_are_gross: bool,
    currency: str,
    exchange_rate: Decimal,
    supplier_country: str = "",
) -> ExpenseTotals:
    """Totals as the supplier computed them (every line together, VAT per bucket on its summed base),
    and the deductible VAT: the VAT of the deductible lines' part of each bucket, computed the same way.
    A mixed bucket's non-deductible part is the rest, so the two parts always add up to the invoice.

    A bucket the account self-assesses (purchases.models.is_self_assessed, given the supplier's country)
    has no VAT on the invoice: its rows are split by the French rate its lines give, each with the VAT
    due on its summed base at that rate (BR-CO-17 again), computed on the prices as written (a reverse-
    charge invoice states no VAT, so its prices are net whether the form said TTC or HT)."""
    options: dict[str, Any] = {
        "prices_are_gross": prices_are_gross,
        "currency": currency,
        "exchange_rate": exchange_rate,
    }
    totals = compute([_amounts(line) for line in lines], **options)
    deductible = compute([_amounts(line) for line in lines if line.deductible], **options)
    non_deductible = compute([_amounts(line) for line in lines if not line.deductible], **options)
    deductible_by_key = {bucket.key: bucket for bucket in deductible.buckets}
    non_deductible_keys = {bucket.key for bucket in non_deductible.buckets}
    result = ExpenseTotals(
        totals, deductible_vat=deductible.vat_total, deductible_vat_eur=deductible.vat_total_eur
    )
    self_assessed = [line for line in lines if is_self_assessed(line.vat_category, supplier_country)]
    for bucket in totals.buckets:
        if is_self_assessed(bucket.key.vat_category, supplier_country):
            continue
        part = deductible_by_key.get(bucket.key)
        rate = bucket.key.vat_rate
        if part is not None:
            result.rows.append(
                VatRow(bucket, True, part.base, part.vat_amount, part.base_eur, part.vat_amount_eur, rate)
            )
        if bucket.key in non_deductible_keys:
            taken = part or Bucket(bucket.key)
            result.rows.append(
                VatRow(
                    bucket,
                    False,
                    bucket.base - taken.base,
                    bucket.vat_amount - taken.vat_amount,
                    bucket.base_eur - taken.base_eur,
                    bucket.vat_amount_eur - taken.vat_amount_eur,
                    rate,
                )
            )
    if self_assessed:
        _add_self_assessed(result, totals, self_assessed, currency, exchange_rate)
    return result


def _add_self_assessed(
    result: ExpenseTotals,
    totals: Totals,
    lines: Sequence[ExpenseLineInput],
    currency: str,
    exchange_rate: Decimal,
) -> None:
    """The rows of the self-assessed buckets: per bucket of the invoice, French rate and deductibility,
    the base and the VAT due at that rate (computed as if the lines were taxed, on net prices).

    The VAT due at one rate is computed once, on the summed base of every line at that rate (BR-CO-17),
    and is the account's self-assessed VAT (`result.self_assessed_vat`, stored on the expense); the
    deductible part is computed on the deductible lines' base and the rest is the part that cannot be
    deducted, so the rows always add up to it (computing each part on its own could miss it by a cent)."""

    def taxed(deductible: bool | None) -> Totals:
        chosen = [
            replace(_amounts(line), vat_category=vat.STANDARD, exemption_reason=line.vat_category)
            for line in lines
            if deductible is None or line.deductible is deductible
        ]
        return compute(chosen, prices_are_gross=False, currency=currency, exchange_rate=exchange_rate)

    whole = taxed(None)
    deductible_by_key = {bucket.key: bucket for bucket in taxed(True).buckets}
    non_deductible_keys = {bucket.key for bucket in taxed(False).buckets}
    parts: dict[BucketKey, list[VatRow]] = defaultdict(list)
    for computed in whole.buckets:
        rate = computed.key.vat_rate
        # The invoice's bucket this part belongs to: same category and nature, no rate applied.
        key = BucketKey(ZERO, computed.key.exemption_reason, "FR", computed.key.supply_kind, "")
        part = deductible_by_key.get(computed.key)
        if part is not None:
            parts[key].append(
                VatRow(
                    Bucket(key), True, part.base, ZERO, part.base_eur, ZERO, rate, part.vat_amount,
                    part.vat_amount_eur,
                )
            )  # fmt: skip
        if computed.key in non_deductible_keys:
            taken = part or Bucket(computed.key)
            parts[key].append(
                VatRow(
                    Bucket(key),
                    False,
                    computed.base - taken.base,
                    ZERO,
                    computed.base_eur - taken.base_eur,
                    ZERO,
                    rate,
                    computed.vat_amount - taken.vat_amount,
                    computed.vat_amount_eur - taken.vat_amount_eur,
                )
            )
    result.self_assessed_vat = whole.vat_total
    result.self_assessed_vat_eur = whole.vat_total_eur
    for bucket in totals.buckets:
        found = parts.get(bucket.key)
        if not found:
            continue
        # Converted part by part, the bases in euro may miss the bucket's by a cent: the last part takes
        # the difference, so the rows add up to the invoice (its 401 amount) exactly.
        last = found[-1]
        found[-1] = replace(
            last,
            base=bucket.base - sum((row.base for row in found[:-1]), ZERO),
            base_eur=bucket.base_eur - sum((row.base_eur for row in found[:-1]), ZERO),
        )
        result.rows.extend(replace(row, bucket=bucket) for row in found)


def purchases_vat_on_debits(account: Account) -> bool:
    """The account's regime for the VAT of the services it buys (Paramètres > Facturation): what a new
    expense takes unless it says otherwise."""
    return settings_for(account).purchases_vat_on_debits


def _status(gross_total: Decimal, paid_total: Decimal) -> str:
    if paid_total <= 0:
        return ExpenseStatus.UNPAID
    return ExpenseStatus.PAID if paid_total >= gross_total else ExpenseStatus.PARTIAL


# --- Attachments: checks and storage -----------------------------------------------------------


def check_upload(upload: File[bytes]) -> CheckedFile:
    """Accept a PDF, JPEG or PNG within the upload limits (lib.uploads), recognised from its first
    bytes: neither its name nor the content type the browser sent is trusted. An image is measured from
    its header (pixels) before anything decodes it; a PDF is read with pypdf within the limits (pages,
    objects, inflated content), so a damaged one is refused now rather than when the books are printed.
    The file keeps its name with the extension of its
    sniffed type, so a PDF sent as « facture.html » is « facture.pdf » wherever it is served."""
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255] or "justificatif"
    try:
        kind = uploads.check_supporting(upload)
    except uploads.UploadError as error:
        raise ServiceError(error.message, field="attachments") from None
    return CheckedFile(
        upload, uploads.name_for(name, kind), kind.content_type, kind.extension, upload.size or 0
    )


def check_uploads(uploads: Sequence[File[bytes]]) -> list[CheckedFile]:
    return [check_upload(upload) for upload in uploads]


@contextmanager
def _removing_files_on_failure() -> Iterator[list[str]]:
    """Collects the storage names written inside; if the block fails, they are deleted again (the
    transaction that would have referenced them is rolled back)."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise


def _store(
    actor: Actor, expense: Expense, files: Sequence[CheckedFile], written: list[str]
) -> list[Attachment]:
    attachments = []
    for checked in files:
        digest = hashlib.sha256()
        for chunk in checked.upload.chunks():
            digest.update(chunk)
        # A random name: the original one goes in the database only, and the path cannot be guessed.
        path = f"attachments/{expense.account_id}/{uuid.uuid4().hex}.{checked.extension}"
        stored = default_storage.save(path, checked.upload)
        written.append(stored)
        attachment = Attachment.objects.create(
            account_id=expense.account_id,
            expense=expense,
            file=stored,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor.user,
        )
        audit.record(
            actor,
            expense.account,
            "attachment.added",
            target=_describe(expense),
            summary=_("Justificatif « %(name)s » ajouté.") % {"name": checked.name},
        )
        attachments.append(attachment)
    return attachments


def _atomic_with_files(work: Callable[[list[str]], T]) -> T:
    with _removing_files_on_failure() as written, transaction.atomic():
        return work(written)


# --- Expenses -----------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    """An amount as the user reads it in messages and the audit trail: 1 234,50 €."""
    return money_text(amount, currency)


def _describe(expense: Expense) -> str:
    number = expense.supplier_number or _("sans numéro")
    return f"{expense.supplier.name} {number}"


def _validate(account: Account, data: ExpenseInput) -> tuple[Client, ExpenseCategory, ExpenseTotals]:
    supplier = Client.objects.filter(account=account, pk=data.supplier_id, kind__in=SUPPLIER_KINDS).first()
    if supplier is None:
        raise ServiceError(_("Choisissez un fournisseur de ce compte."), field="supplier")
    category = ExpenseCategory.objects.filter(account=account, pk=data.category_id).first()
    if category is None:
        raise ServiceError(_("Choisissez une catégorie de ce compte."), field="category")
    if data.currency not in CURRENCIES:
        raise ServiceError(_("Devise inconnue : %(code)s.") % {"code": data.currency}, field="currency")
    if data.exchange_rate <= 0 or (data.currency == "EUR" and data.exchange_rate != 1):
        raise ServiceError(_("Le taux de change doit être positif (1 pour l'euro)."), field="exchange_rate")
    if data.due_date and data.due_date < data.issue_date:
        raise ServiceError(_("L'échéance ne peut pas précéder la date de la facture."), field="due_date")
    if not data.lines:
        raise ServiceError(_("Ajoutez au moins une ligne à la dépense."), field="lines")
    categories = {code for code, _label in vat.CATEGORY_CHOICES}
    for line in data.lines:
        if line.vat_category not in categories or not (0 <= line.vat_rate < 100):
            raise ServiceError(_("Taux ou catégorie de TVA invalide : %(name)s.") % {"name": line.name})
        if is_self_assessed(line.vat_category, supplier.country):
            _check_self_assessment_rate(line)
    totals = compute_totals(
        data.lines,
        prices_are_gross=data.prices_are_gross,
        currency=data.currency,
        exchange_rate=data.exchange_rate,
        supplier_country=supplier.country,
    )
    if totals.totals.gross_total <= 0:
        raise ServiceError(_("Le total de la dépense doit être positif."), field="lines")
    return supplier, category, totals


def _check_self_assessment_rate(line: ExpenseLineInput) -> None:
    """The account owes French VAT on a self-assessed line: at a French rate above zero, whatever the
    supplier's country. A received reverse-charge invoice shows 0 %, but 0 % would declare the base with
    no VAT due (a supply exempt in France is not self-assessed)."""
    if line.vat_rate in vat.SELF_ASSESSMENT_RATES:
        return
    rates = ", ".join(f"{vat.rate_text(rate)} %" for rate in vat.SELF_ASSESSMENT_RATES)
    if line.vat_rate == 0:
        raise ServiceError(
            _(
                "%(name)s : la facture du fournisseur est sans TVA, mais vous devez la TVA française sur "
                "cet achat (autoliquidation). Indiquez son taux (%(rates)s) au lieu de %(zero)s."
            )
            % {"name": line.name, "rates": rates, "zero": f"{vat.rate_text(Decimal(0))} %"},
            field="lines",
        )
    raise ServiceError(
        _("%(name)s : la TVA autoliquidée se calcule à un taux français (%(rates)s).")
        % {"name": line.name, "rates": rates},
        field="lines",
    )


def _fill(expense: Expense, data: ExpenseInput, supplier: Client, category: ExpenseCategory) -> None:
    expense.supplier = supplier
    expense.category = category
    expense.supplier_number = data.supplier_number.strip()
    expense.issue_date = data.issue_date
    expense.sell_date = data.sell_date
    expense.due_date = data.due_date
    expense.currency = data.currency
    expense.exchange_rate = Decimal(1) if data.currency == "EUR" else data.exchange_rate
    expense.prices_are_gross = data.prices_are_gross
    expense.notes = data.notes
    if data.vat_on_debits is not None:
        expense.vat_on_debits = data.vat_on_debits
    elif expense.pk is None:
        expense.vat_on_debits = purchases_vat_on_debits(expense.account)


def _apply_totals(expense: Expense, computed: ExpenseTotals) -> None:
    totals = computed.totals
    expense.net_total = totals.net_total
    expense.vat_total = totals.vat_total
    expense.gross_total = totals.gross_total
    expense.net_total_eur = totals.net_total_eur
    expense.vat_total_eur = totals.vat_total_eur
    expense.gross_total_eur = totals.gross_total_eur
    expense.deductible_vat_total = computed.deductible_vat
    expense.deductible_vat_total_eur = computed.deductible_vat_eur
    expense.self_assessed_vat_total = computed.self_assessed_vat
    expense.self_assessed_vat_total_eur = computed.self_assessed_vat_eur
    expense.status = _status(expense.gross_total, expense.paid_total)


def _write_lines(expense: Expense, data: ExpenseInput, computed: ExpenseTotals) -> None:
    ExpenseLine.objects.filter(expense=expense).delete()
    ExpenseVatLine.objects.filter(expense=expense).delete()
    ExpenseLine.objects.bulk_create(
        ExpenseLine(
            account_id=expense.account_id,
            expense=expense,
            position=position,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            vat_category=line.vat_category,
            deductible=line.deductible,
            supply_kind=line.supply_kind,
            net_amount=net,
            gross_amount=gross,
        )
        for position, (line, net, gross) in enumerate(
            zip(data.lines, computed.totals.line_nets, computed.totals.line_grosses, strict=True)
        )
    )
    ExpenseVatLine.objects.bulk_create(
        ExpenseVatLine(
            account_id=expense.account_id,
            expense=expense,
            issue_date=expense.issue_date,
            supplier_country=expense.supplier.country,
            vat_rate=row.rate,
            vat_category=row.bucket.key.vat_category,
            supply_kind=row.bucket.key.supply_kind,
            deductible=row.deductible,
            base=row.base,
            vat_amount=row.vat_amount,
            base_eur=row.base_eur,
            vat_amount_eur=row.vat_amount_eur,
            self_assessed_vat=row.self_assessed_vat,
            self_assessed_vat_eur=row.self_assessed_vat_eur,
        )
        for row in computed.rows
    )


def _save_unique(expense: Expense) -> None:
    try:
        with transaction.atomic():
            expense.save()
    except IntegrityError:
        raise ServiceError(
            _("Une dépense de ce fournisseur porte déjà le numéro %(number)s.")
            % {"number": expense.supplier_number},
            field="supplier_number",
        ) from None


def create_expense(
    actor: Actor,
    account: Account,
    data: ExpenseInput,
    *,
    files: Sequence[File[bytes]] = (),
    checked_files: Sequence[CheckedFile] = (),
) -> Expense:
    """Record a purchase invoice with its lines, computed totals and attachments (purchases.create).

    `checked_files` are attachments the caller has already checked by its own rules (the XML of a
    received e-invoice, which check_upload does not accept from users); they are stored alike."""
    actor.require("purchases.create")
    checked = [*check_uploads(files), *checked_files]  # before any write: a bad file leaves nothing behind

    def work(written: list[str]) -> Expense:
        ensure_writable(account)
        ensure_unlocked(account, data.issue_date)
        supplier, category, computed = _validate(account, data)
        expense = Expense(account=account, created_by=actor.user)
        _fill(expense, data, supplier, category)
        _apply_totals(expense, computed)
        _save_unique(expense)
        _write_lines(expense, data, computed)
        events.expense_changed.send(sender=Expense, expense=expense)
        audit.record(
            actor,
            account,
            "expense.created",
            target=_describe(expense),
            summary=_("Dépense de %(amount)s du %(date)s enregistrée.")
            % {
                "amount": _money(expense.gross_total, expense.currency),
                "date": formats.date_format(expense.issue_date, "SHORT_DATE_FORMAT"),
            },
        )
        _store(actor, expense, checked, written)
        return expense

    return _atomic_with_files(work)


AUDITED_FIELDS = [
    "supplier_id", "supplier_number", "issue_date", "sell_date", "due_date", "category_id", "currency",
    "exchange_rate", "prices_are_gross", "vat_on_debits", "notes", "net_total", "vat_total", "gross_total",
    "deductible_vat_total", "self_assessed_vat_total",
]  # fmt: skip


def update_expense(
    actor: Actor, expense: Expense, data: ExpenseInput, *, files: Sequence[File[bytes]] = ()
) -> Expense:
    """Change an expense: its lines and totals are replaced, its payments kept (purchases.edit).
    Refused when either the old or the new date is locked, or when the payments exceed the new total."""
    actor.require("purchases.edit")
    checked = check_uploads(files)
    account = expense.account

    def work(written: list[str]) -> Expense:
        ensure_writable(account)
        current = Expense.objects.select_for_update().select_related("supplier").get(pk=expense.pk)
        ensure_unlocked(account, current.issue_date, data.issue_date)
        ensure_exported_changeable(account, current.exported_at)
        supplier, category, computed = _validate(account, data)
        if computed.totals.gross_total < current.paid_total:
            raise ServiceError(
                _("Les paiements déjà enregistrés (%(paid)s) dépassent le nouveau total (%(total)s).")
                % {
                    "paid": _money(current.paid_total, current.currency),
                    "total": _money(computed.totals.gross_total, data.currency),
                },
                field="lines",
            )
        before = {name: getattr(current, name) for name in AUDITED_FIELDS}
        _fill(current, data, supplier, category)
        _apply_totals(current, computed)
        _save_unique(current)
        _write_lines(current, data, computed)
        events.expense_changed.send(sender=Expense, expense=current)
        audit.record(
            actor,
            account,
            "expense.changed",
            target=_describe(current),
            changes=audit.diff(before, {name: getattr(current, name) for name in AUDITED_FIELDS}),
        )
        _store(actor, current, checked, written)
        return current

    return _atomic_with_files(work)


@transaction.atomic
def delete_expense(actor: Actor, expense: Expense) -> None:
    """Delete an expense with its lines, payments and attachments (purchases.delete); the files are
    removed from storage once the deletion is committed."""
    actor.require("purchases.delete")
    account = expense.account
    ensure_writable(account)
    current = Expense.objects.select_for_update().select_related("supplier").get(pk=expense.pk)
    payment_dates = list(ExpensePayment.objects.filter(expense=current).values_list("date", flat=True))
    ensure_unlocked(account, current.issue_date, *payment_dates)
    ensure_exported_changeable(account, current.exported_at)
    names = list(Attachment.objects.filter(expense=current).values_list("file", flat=True))
    target = _describe(current)
    summary = _("Dépense de %(amount)s du %(date)s supprimée, avec %(files)d justificatif(s).") % {
        "amount": _money(current.gross_total, current.currency),
        "date": formats.date_format(current.issue_date, "SHORT_DATE_FORMAT"),
        "files": len(names),
    }
    current.delete()
    audit.record(actor, account, "expense.deleted", target=target, summary=summary)
    events.expense_changed.send(sender=Expense, expense=expense)  # `current` lost its pk in delete()
    uploads.delete_after_commit(names)


def add_attachments(actor: Actor, expense: Expense, files: Sequence[File[bytes]]) -> list[Attachment]:
    """Attach supporting documents to an expense (purchases.edit): all are stored, or none."""
    actor.require("purchases.edit")
    checked = check_uploads(files)
    if not checked:
        raise ServiceError(_("Choisissez au moins un fichier."), field="attachments")
    account = expense.account

    def work(written: list[str]) -> list[Attachment]:
        ensure_writable(account)
        current = Expense.objects.select_for_update().select_related("supplier").get(pk=expense.pk)
        ensure_unlocked(account, current.issue_date)
        return _store(actor, current, checked, written)

    return _atomic_with_files(work)


@transaction.atomic
def delete_attachment(actor: Actor, attachment: Attachment) -> None:
    """Remove a supporting document (purchases.delete); its file goes once the deletion is committed."""
    actor.require("purchases.delete")
    account = attachment.account
    ensure_writable(account)
    expense = Expense.objects.select_for_update().select_related("supplier").get(pk=attachment.expense_id)
    ensure_unlocked(account, expense.issue_date)
    ensure_exported_changeable(account, expense.exported_at)
    attachment.delete()
    audit.record(
        actor,
        account,
        "attachment.deleted",
        target=_describe(expense),
        summary=_("Justificatif « %(name)s » supprimé.") % {"name": attachment.original_name},
    )
    uploads.delete_after_commit([attachment.file.name])


# --- Payments -----------------------------------------------------------------------------------


@transaction.atomic
def record_expense_payment(
    actor: Actor,
    expense: Expense,
    *,
    date: datetime.date,
    amount: Decimal,
    method: str = PaymentMethod.TRANSFER,
    reference: str = "",
) -> ExpensePayment:
    """Record money paid to the supplier (purchases.edit). Overpayment is refused: what is paid never
    exceeds the expense's total, so the remaining amount is never negative."""
    actor.require("purchases.edit")
    account = expense.account
    ensure_writable(account)
    ensure_unlocked(account, date)
    current = Expense.objects.select_for_update().select_related("supplier").get(pk=expense.pk)
    amount = round_money(amount, current.currency)
    if amount <= 0:
        raise ServiceError(_("Le montant doit être positif."), field="amount")
    if method not in PaymentMethod.values:
        raise ServiceError(_("Mode de paiement inconnu."), field="method")
    if current.paid_total + amount > current.gross_total:
        raise ServiceError(
            _("Ce paiement dépasse le reste à payer (%(remaining)s).")
            % {"remaining": _money(current.remaining, current.currency)},
            field="amount",
        )
    payment = ExpensePayment.objects.create(
        account=account,
        expense=current,
        date=date,
        amount=amount,
        method=method,
        reference=reference.strip(),
        created_by=actor.user,
    )
    current.paid_total += amount
    current.status = _status(current.gross_total, current.paid_total)
    current.save(update_fields=["paid_total", "status", "updated_at"])
    events.expense_changed.send(sender=Expense, expense=current)
    audit.record(
        actor,
        account,
        "expense.payment_recorded",
        target=_describe(current),
        summary=_("Paiement de %(amount)s du %(date)s enregistré.")
        % {
            "amount": _money(amount, current.currency),
            "date": formats.date_format(date, "SHORT_DATE_FORMAT"),
        },
    )
    return payment


@transaction.atomic
def delete_expense_payment(actor: Actor, payment: ExpensePayment) -> None:
    """Remove a payment of an expense (purchases.delete); the expense's status follows."""
    actor.require("purchases.delete")
    account = payment.account
    ensure_writable(account)
    ensure_unlocked(account, payment.date)
    current = Expense.objects.select_for_update().select_related("supplier").get(pk=payment.expense_id)
    payment.delete()
    current.paid_total -= payment.amount
    current.status = _status(current.gross_total, current.paid_total)
    current.save(update_fields=["paid_total", "status", "updated_at"])
    events.expense_changed.send(sender=Expense, expense=current)
    audit.record(
        actor,
        account,
        "expense.payment_deleted",
        target=_describe(current),
        summary=_("Paiement de %(amount)s du %(date)s supprimé.")
        % {
            "amount": _money(payment.amount, current.currency),
            "date": formats.date_format(payment.date, "SHORT_DATE_FORMAT"),
        },
    )


# --- Category writes ----------------------------------------------------------------------------


def _category_values(name: str, accounting_code: str) -> tuple[str, str]:
    """The name and expense account as stored, or a ServiceError naming the field at fault. The
    account must be one the FEC export accepts for an expense (lib.chart_of_accounts.EXPENSE_RULE)."""
    name = name.strip()
    if not name:
        raise ServiceError(_("Donnez un nom à la catégorie."), field="name")
    max_length = ExpenseCategory._meta.get_field("name").max_length or 100
    if len(name) > max_length:
        raise ServiceError(_("Le nom a %(max)d caractères au plus.") % {"max": max_length}, field="name")
    code = normalize_account(accounting_code)
    problem = account_problem(code, EXPENSE_RULE)
    if problem is None and len(code) > (ExpenseCategory._meta.get_field("accounting_code").max_length or 20):
        problem = _("Ce numéro de compte est trop long.")
    if problem:
        raise ServiceError(problem, field="accounting_code")
    return name, code


def _save_category(category: ExpenseCategory) -> None:
    """Save, refusing a name the account already uses (the unique constraint decides, race included)."""
    taken = ServiceError(
        _("Une catégorie porte déjà le nom « %(name)s ».") % {"name": category.name}, field="name"
    )
    others = ExpenseCategory.objects.filter(account=category.account, name__iexact=category.name)
    if others.exclude(pk=category.pk).exists():
        raise taken
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise taken from None


@transaction.atomic
def create_category(actor: Actor, account: Account, *, name: str, accounting_code: str) -> ExpenseCategory:
    """Add an expense category posting to the expense account `accounting_code` (purchases.create)."""
    actor.require("purchases.create")
    ensure_writable(account)
    name, code = _category_values(name, accounting_code)
    category = ExpenseCategory(account=account, name=name, accounting_code=code)
    _save_category(category)
    audit.record(
        actor,
        account,
        "category.created",
        target=category.name,
        summary=_("Catégorie de dépense « %(name)s » (compte %(code)s) créée.")
        % {"name": category.name, "code": category.accounting_code},
    )
    return category


@transaction.atomic
def update_category(
    actor: Actor, category: ExpenseCategory, *, name: str | None = None, accounting_code: str | None = None
) -> ExpenseCategory:
    """Rename a category or change its expense account (purchases.edit). The expenses filed under it
    follow: the next exports post them to the new account."""
    actor.require("purchases.edit")
    account = category.account
    ensure_writable(account)
    current = ExpenseCategory.objects.select_for_update().get(pk=category.pk, account=account)
    before = {"name": current.name, "accounting_code": current.accounting_code}
    current.name, current.accounting_code = _category_values(
        current.name if name is None else name,
        current.accounting_code if accounting_code is None else accounting_code,
    )
    changes = audit.diff(before, {"name": current.name, "accounting_code": current.accounting_code})
    if changes:
        _save_category(current)
        audit.record(actor, account, "category.changed", target=current.name, changes=changes)
    return current


@transaction.atomic
def delete_category(actor: Actor, category: ExpenseCategory) -> None:
    """Delete a category no expense uses (purchases.delete); one in use is refused: its expenses
    would lose the account they post to."""
    actor.require("purchases.delete")
    account = category.account
    ensure_writable(account)
    current = ExpenseCategory.objects.select_for_update().get(pk=category.pk, account=account)
    used = Expense.objects.filter(account=account, category=current).count()
    if used:
        raise ServiceError(
            _(
                "La catégorie « %(name)s » est utilisée par %(count)d dépense(s) : classez-les dans une "
                "autre catégorie avant de la supprimer."
            )
            % {"name": current.name, "count": used}
        )
    name = current.name
    current.delete()
    audit.record(
        actor,
        account,
        "category.deleted",
        target=name,
        summary=_("Catégorie de dépense « %(name)s » supprimée.") % {"name": name},
    )
