"""The FEC (fichier des écritures comptables, LPF art. L47 A-I and A47 A-1): the account's sales,
purchases and bank journals of one fiscal year, as the flat file the tax administration asks for.

What goes in (reference/regulatory.md §1; ExportRequest gives the period and the filters):
- sales (VT), one entry per issued document of selection.sales_documents: the customer (411, with the
  client as auxiliary account) against revenue (70x, without VAT) and VAT collected (44571x per rate,
  the OSS account for another member state's VAT, the waiting account for VAT due on receipt). Credit
  notes come out reversed by their negative amounts;
- purchases (HA), one entry per expense: the category's account (6xx, or 2xx for fixed assets) with the
  VAT that cannot be deducted, deductible VAT (44566, or 44562 on fixed assets; the waiting account
  44586x for VAT on services deductible once paid), the VAT it self-assesses (4452x against 4456x),
  against the supplier (401);
- bank (BQ), one entry per payment received (512 against one 411 line per document it settles, plus
  the VAT it makes due on services: waiting account to 44571x) and per payment made (401 against 512,
  plus the VAT it makes deductible: waiting account to 44566).

Amounts are the stored EUR amounts (one DocumentVatLine or ExpenseVatLine per VAT bucket). Every entry
balances by construction: the counterpart line (411 or 401) is the sum of the others. Payments are
converted at the document's rate, each taking its cumulative share of the document's EUR total, so the
payments of a fully paid document add up to exactly its 411 amount and lettering (matching) balances.
Facturier is not the general ledger: no opening balances (à-nouveaux) are written, the accounting
software that imports the file holds them.

The file is streamed: four chunked readers (server-side cursors on PostgreSQL) are merged by date with
heapq.merge, so memory holds a few chunks and the open matching codes, whatever the size. Speed counts
(a large account's year is half a million lines; bench/fec_export.py): rows are narrow tuples, amounts
come from the database as integer cents, what a source needs besides its rows comes either from a
query read alongside them in the same order (`_Follow`) or from one query per chunk. The text in the
file is French whatever the user's language: it is a French legal document read by the administration
and by French accounting software (labels follow the PCG nomenclature).
"""

import calendar
import contextlib
import datetime
import functools
import gc
import heapq
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import IO, Any, NamedTuple, TypeVar

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Model,
    OuterRef,
    Q,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.fr import siren as stdnum_siren

from facturier.billing.models import (
    PAYABLE_KINDS,
    Document,
    DocumentLine,
    DocumentVatLine,
    Kind,
    PaymentAllocation,
    Status,
    SupplyKind,
    vat_due_at_payment,
)
from facturier.exports import selection
from facturier.exports.base import CHUNK_SIZE, ExportError, ExportRequest, Progress, no_progress
from facturier.exports.models import DEFAULT_VAT_COLLECTED_ACCOUNTS, AccountingSettings
from facturier.lib import vat
from facturier.lib.chart_of_accounts import (
    BANK_RULE,
    CUSTOMER_RULE,
    DEDUCTIBLE_VAT_RULE,
    EXPENSE_RULE,
    PRODUCT_RULE,
    REVENUE_RULE,
    SUPPLIER_RULE,
    SUSPENSE_RULE,
    VAT_RULE,
    AccountRule,
    account_problem,
    normalize_account,
)
from facturier.lib.money import settled_share
from facturier.purchases.models import (
    Expense,
    ExpenseCategory,
    ExpensePayment,
    ExpenseVatLine,
    vat_deductible_at_payment,
)
from facturier.tenancy.models import Account

T = TypeVar("T")

# The 18 columns of art. A47 A-1, VII 1°, in order: the header line carries exactly these names.
COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
    "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
    "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip

SETTINGS_PAGE = gettext_lazy("Paramètres > Comptabilité")
ACCOUNT_PAGE = gettext_lazy("Paramètres > Votre compte")

# Where each source sorts among entries of the same day (sales, purchases, then money in and out).
SALES, PURCHASES, RECEIPTS, DISBURSEMENTS = range(4)

# Entry labels by document kind (French, like every text of the file).
KIND_LABELS = {
    Kind.INVOICE: "Facture",
    Kind.CREDIT_NOTE: "Avoir",
    Kind.ADVANCE: "Facture d'acompte",
    Kind.FINAL: "Facture de solde",
    Kind.RECEIPT: "Reçu",
}

# Labels (CompteLib) of the revenue accounts a product may name, by PCG prefix (longest first).
REVENUE_LABELS = [
    ("706", "Prestations de services"),
    ("707", "Ventes de marchandises"),
    ("701", "Ventes de produits finis"),
    ("702", "Ventes de produits intermédiaires"),
    ("703", "Ventes de produits résiduels"),
    ("704", "Travaux"),
    ("705", "Études"),
    ("708", "Produits des activités annexes"),
    ("7", "Produits"),
]

# Separators and line breaks would cut a field in two (rule L4): they become spaces in text fields.
_CLEAN = str.maketrans({"|": " ", "\t": " ", "\r": " ", "\n": " "})


def _clean(text: str) -> str:
    # Looking is ten times cheaper than translating, and almost no text needs it.
    if "|" in text or "\t" in text or "\r" in text or "\n" in text:
        return text.translate(_CLEAN)
    return text


# --- The fiscal year -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FiscalYear:
    start: datetime.date
    end: datetime.date  # the closing date: the date in the FEC's file name


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def fiscal_year_of(day: datetime.date, end_month: int) -> FiscalYear:
    """The fiscal year holding `day` when fiscal years close at the end of `end_month` (12: the
    calendar year; 6: from 1 July to 30 June). A first, longer or shorter, fiscal year is not modelled."""
    end_year = day.year if day.month <= end_month else day.year + 1
    end = _month_end(end_year, end_month)
    start = _month_end(end_year - 1, end_month) + datetime.timedelta(days=1)
    return FiscalYear(start, end)


def fiscal_year(account: Account, day: datetime.date) -> FiscalYear:
    """The account's fiscal year holding `day` (AccountingSettings.fiscal_year_end_month)."""
    return fiscal_year_of(day, accounting_settings(account).fiscal_year_end_month)


def accounting_settings(account: Account) -> AccountingSettings:
    """The account's chart-of-accounts mapping, or unsaved defaults when it has none yet: exports and
    pages only read, so reading never creates the row (unlike AccountingSettings.for_account)."""
    found = AccountingSettings.objects.filter(account=account).first()
    if found is not None:
        return found
    return AccountingSettings(account=account, vat_collected_accounts=dict(DEFAULT_VAT_COLLECTED_ACCOUNTS))


# --- Account numbers (PCG) -----------------------------------------------------------------------


# Every general account of AccountingSettings, in the order the settings page shows them.
MAPPING_RULES: dict[str, AccountRule] = {
    "customer_account": CUSTOMER_RULE,
    "supplier_account": SUPPLIER_RULE,
    "bank_account": BANK_RULE,
    "suspense_account": SUSPENSE_RULE,
    "revenue_services_account": REVENUE_RULE,
    "revenue_goods_account": REVENUE_RULE,
    "revenue_services_exempt_account": REVENUE_RULE,
    "revenue_goods_exempt_account": REVENUE_RULE,
    "vat_collected_account": VAT_RULE,
    "vat_oss_account": VAT_RULE,
    "vat_pending_account": VAT_RULE,
    "vat_deductible_account": DEDUCTIBLE_VAT_RULE,
    "vat_deductible_assets_account": DEDUCTIBLE_VAT_RULE,
    "vat_deductible_pending_account": VAT_RULE,
    "vat_self_assessed_account": VAT_RULE,
    "vat_self_assessed_deductible_account": DEDUCTIBLE_VAT_RULE,
}
JOURNAL_FIELDS = ("sales_journal", "purchases_journal", "bank_journal")
_JOURNAL_CODE = re.compile(r"^[A-Z0-9]{1,10}$")


def journal_problem(value: str) -> str | None:
    if not _JOURNAL_CODE.match(value):
        return _("Un code journal s'écrit avec 1 à 10 lettres majuscules ou chiffres (par exemple VT).")
    return None


def rate_key(rate: Decimal) -> str:
    """The key of a rate in AccountingSettings.vat_collected_accounts ("5.50")."""
    return f"{rate:.2f}"


def customer_auxiliary(client_id: int, accounting_code: str) -> str:
    """The client's auxiliary account under the customer account: its own code, else C + its id."""
    return accounting_code.strip() or f"C{client_id:06d}"


def supplier_auxiliary(client_id: int, accounting_code: str) -> str:
    return accounting_code.strip() or f"F{client_id:06d}"


# --- Checks before writing anything --------------------------------------------------------------


def _short(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _check_period(request: ExportRequest, settings: AccountingSettings) -> FiscalYear:
    if request.start > request.end:
        raise ExportError(
            _("La période est inversée : la date de début (%(start)s) est après la date de fin (%(end)s).")
            % {"start": _short(request.start), "end": _short(request.end)}
        )
    year = fiscal_year_of(request.start, settings.fiscal_year_end_month)
    if request.end > year.end:
        following = fiscal_year_of(request.end, settings.fiscal_year_end_month)
        raise ExportError(
            _(
                "Un FEC couvre un seul exercice, et la période du %(start)s au %(end)s est à cheval sur "
                "deux exercices (clos le %(first)s et le %(second)s). Exportez du %(start)s au %(first)s, "
                "puis du %(next)s au %(end)s. La date de clôture se règle dans %(page)s."
            )
            % {
                "start": _short(request.start),
                "end": _short(request.end),
                "first": _short(year.end),
                "second": _short(following.end),
                "next": _short(year.end + datetime.timedelta(days=1)),
                "page": SETTINGS_PAGE,
            }
        )
    return year


def _check_siren(account: Account) -> str:
    siren = "".join(account.siren.split())
    if not siren:
        raise ExportError(
            _(
                "Le nom d'un FEC commence par le SIREN de l'entreprise, et le compte n'en a pas : "
                "renseignez-le dans %(page)s."
            )
            % {"page": ACCOUNT_PAGE}
        )
    if not stdnum_siren.is_valid(siren):
        raise ExportError(
            _("Le SIREN du compte (%(siren)s) est invalide : corrigez-le dans %(page)s.")
            % {"siren": siren, "page": ACCOUNT_PAGE}
        )
    return siren


def fec_file_name(account: Account, request: ExportRequest) -> str:
    """`<SIREN>FEC<AAAAMMJJ>.txt`, the date being the closing date of the fiscal year exported (IX).
    Raises ExportError when the account has no valid SIREN or the period spans two fiscal years."""
    settings = accounting_settings(account)
    year = _check_period(request, settings)
    return f"{_check_siren(account)}FEC{year.end:%Y%m%d}.txt"


def _check_mapping(settings: AccountingSettings) -> None:
    def refuse(name: str, problem: str) -> ExportError:
        field = AccountingSettings._meta.get_field(name)
        label = str(getattr(field, "verbose_name", name))
        return ExportError(
            _("Paramètres de comptabilité, « %(label)s » : %(problem)s Corrigez-le dans %(page)s.")
            % {"label": label, "problem": problem, "page": SETTINGS_PAGE}
        )

    for name in JOURNAL_FIELDS:
        problem = journal_problem(getattr(settings, name))
        if problem:
            raise refuse(name, problem)
    for name, rule in MAPPING_RULES.items():
        problem = account_problem(getattr(settings, name), rule)
        if problem:
            raise refuse(name, problem)
    for rate, number in sorted(settings.vat_collected_accounts.items()):
        problem = account_problem(str(number), VAT_RULE)
        if problem:
            raise ExportError(
                _(
                    "Paramètres de comptabilité, TVA collectée à %(rate)s %% : %(problem)s Corrigez-le dans %(page)s."
                )
                % {"rate": rate, "problem": problem, "page": SETTINGS_PAGE}
            )


def _check_categories(request: ExportRequest) -> dict[int, tuple[str, str]]:
    """The expense categories the period uses, {id: (account, name)}; each must have an expense or
    fixed-asset account."""
    used = ExpenseCategory.objects.filter(
        pk__in=selection.expenses(request).order_by().values("category_id")
    ).values_list("pk", "name", "accounting_code")
    categories = {}
    for pk, name, code in used:
        number = normalize_account(code)
        problem = account_problem(number, EXPENSE_RULE)
        if problem:
            raise ExportError(
                _(
                    "La catégorie de dépense « %(name)s » n'a pas de compte de charge valable "
                    "(« %(code)s ») : %(problem)s Indiquez-le dans %(page)s."
                )
                % {"name": name, "code": code, "problem": problem, "page": SETTINGS_PAGE}
            )
        categories[pk] = (number, name)
    return categories


# --- The chart: accounts and their labels --------------------------------------------------------


class _Chart:
    """The accounts an entry posts to, from the settings, with their labels (CompteLib)."""

    def __init__(self, settings: AccountingSettings, categories: dict[int, tuple[str, str]]) -> None:
        self.settings = settings
        self.customer = settings.customer_account
        self.supplier = settings.supplier_account
        self.bank = settings.bank_account
        self.suspense = settings.suspense_account
        self.oss = settings.vat_oss_account
        self.pending = settings.vat_pending_account
        self.deductible = settings.vat_deductible_account
        self.deductible_assets = settings.vat_deductible_assets_account
        self.deductible_pending = settings.vat_deductible_pending_account
        self.self_assessed = settings.vat_self_assessed_account
        self.self_assessed_deductible = settings.vat_self_assessed_deductible_account
        self.categories = categories
        self.labels: dict[str, str] = {}
        collected = sorted(settings.vat_collected_accounts.items(), key=lambda item: -Decimal(item[0]))
        for number, label in [
            (settings.customer_account, "Clients"),
            (settings.supplier_account, "Fournisseurs"),
            (settings.bank_account, "Banque"),
            (settings.suspense_account, "Compte d'attente"),
            (settings.revenue_services_account, "Prestations de services"),
            (settings.revenue_goods_account, "Ventes de marchandises"),
            (settings.revenue_services_exempt_account, "Prestations de services sans TVA française"),
            (settings.revenue_goods_exempt_account, "Ventes de marchandises sans TVA française"),
            *[(str(number), f"TVA collectée {_rate_text(Decimal(rate))} %") for rate, number in collected],
            (settings.vat_collected_account, "TVA collectée"),
            (settings.vat_oss_account, "TVA due dans un autre État membre (OSS)"),
            (settings.vat_pending_account, "TVA collectée en attente d'encaissement"),
            (settings.vat_deductible_account, "TVA déductible sur autres biens et services"),
            (settings.vat_deductible_assets_account, "TVA déductible sur immobilisations"),
            (settings.vat_deductible_pending_account, "TVA déductible en attente de paiement"),
            (settings.vat_self_assessed_account, "TVA due autoliquidée"),
            (settings.vat_self_assessed_deductible_account, "TVA déductible autoliquidée"),
            *categories.values(),
        ]:
            self.labels.setdefault(number, label)
        self._collected: dict[int, str] = {}
        self._products: dict[str, str | None] = {}

    def revenue(self, supply_kind: str, french_vat: bool) -> str:
        goods = supply_kind == SupplyKind.GOODS
        if french_vat:
            return self.settings.revenue_goods_account if goods else self.settings.revenue_services_account
        if goods:
            return self.settings.revenue_goods_exempt_account
        return self.settings.revenue_services_exempt_account

    def collected(self, rate: int) -> str:
        """The VAT-collected account of a rate given in hundredths (2000 for 20 %)."""
        found = self._collected.get(rate)
        if found is None:
            percent = Decimal(rate).scaleb(-2)
            found = self._collected[rate] = str(self.settings.vat_collected_account_for(percent))
            self.labels.setdefault(found, f"TVA collectée {_rate_text(percent)} %")
        return found

    def product(self, code: str) -> str | None:
        """A line's own revenue account (copied from its product at issue), or None when it has none or
        one that is not a revenue account (class 7 digits), the line then going to the default account."""
        if code not in self._products:
            number = normalize_account(code)
            valid = account_problem(number, PRODUCT_RULE) is None
            self._products[code] = number if valid else None
            if valid:
                label = next(text for prefix, text in REVENUE_LABELS if number.startswith(prefix))
                self.labels.setdefault(number, label)
        return self._products[code]

    def label(self, number: str) -> str:
        return self.labels.get(number) or number


def _rate_text(rate: Decimal) -> str:
    """20.00 -> "20", 5.50 -> "5,5" (as a French label writes a rate)."""
    text = f"{rate:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


# --- Amounts -------------------------------------------------------------------------------------
# The writer counts in cents, as integers: the database gives each amount as a whole number of cents
# (`_cents`), which costs no Decimal conversion per value (a third of a large export's time on SQLite)
# and makes sums exact and fast. Amounts that must be rounded (the share of a payment, of a bucket)
# follow money.round_money's rule, half up to the minor unit, in `_share` (tested against it).


class _Cents(Func):
    """A money field (or a rate, in hundredths of a percent) as a whole number of hundredths. ROUND
    first: on SQLite the stored value is a binary float (12.34 may read 12.339999...). The database
    gives an integer, which needs no conversion in Python."""

    template = "CAST(ROUND(%(expressions)s * 100) AS BIGINT)"
    output_field = BigIntegerField()

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Any]:
        return []


class _Flag(ExpressionWrapper[Q]):
    """A condition the database evaluates, read as is: True/False, or 1/0 on SQLite (truthy alike)."""

    def __init__(self, condition: Q) -> None:
        super().__init__(condition, output_field=BooleanField())

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Any]:
        return []


def _cents(field: str) -> _Cents:
    return _Cents(F(field))


def _share(total: int, settled: int, due: int, currency: str = "EUR") -> int:
    """money.settled_share (the one rule for the part of an amount a payment settles, which the VAT
    reports use too) on the export's integer cents."""
    return int(settled_share(Decimal(total).scaleb(-2), Decimal(settled), Decimal(due), currency).scaleb(2))


def _amount_text(cents: int) -> str:
    """1234,56 and -0,05: a decimal comma, no thousands separator (A47 A-1, XII 2°)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units},{rest:02d}"


# --- Entries -------------------------------------------------------------------------------------


class _Match(NamedTuple):
    """A matched (lettré) document: its key, how many lines carry its code, the date of the payment
    that completed it (DateLet)."""

    key: tuple[str, int]
    parts: int
    date: datetime.date


class _Line(NamedTuple):
    account: str
    aux: str  # CompAuxNum and CompAuxLib: both or neither (L3)
    aux_label: str
    amount: int  # EUR cents, signed: debit > 0, credit < 0
    currency_amount: int | None  # in the document's currency, same sign; None for lines in EUR only
    match: _Match | None = None


# NamedTuple's own constructor is a Python function; tuple.__new__ builds the same tuple in C, which
# counts at half a million lines.
_new_line: Callable[[tuple[Any, ...]], _Line] = functools.partial(tuple.__new__, _Line)


class _Entry(NamedTuple):
    key: tuple[datetime.date, int, int]  # (date, source, id): the order of the file
    journal: int  # SALES... (the journal of the source)
    piece_ref: str
    piece_date: datetime.date
    label: str
    currency: str  # Idevise of the lines that have a currency amount
    lines: list[_Line]
    # ValidDate: the day the source was issued or recorded (never before the entry's date, rule E2).
    validated: datetime.date


_new_entry: Callable[[tuple[Any, ...]], _Entry] = functools.partial(tuple.__new__, _Entry)


class _Sums:
    """Amounts per account in the order accounts come, EUR and document currency side by side."""

    __slots__ = ("amounts",)

    def __init__(self) -> None:
        self.amounts: dict[str, list[int]] = {}

    def add(self, account: str, eur: int, currency: int) -> None:
        found = self.amounts.get(account)
        if found is None:
            self.amounts[account] = [eur, currency]
        else:
            found[0] += eur
            found[1] += currency

    def lines(self, sign: int, foreign: bool, *, by_number: bool = True) -> list[_Line]:
        """One line per account, by account number or in the order they came, skipping zero amounts."""
        amounts = self.amounts.items()
        if by_number and len(self.amounts) > 1:
            amounts = sorted(amounts)  # type: ignore[assignment]
        return [
            _new_line((account, "", "", sign * eur, sign * currency if foreign else None, None))
            for account, (eur, currency) in amounts
            if eur
        ]


def _chunks(rows: Iterable[T]) -> Iterator[list[T]]:
    chunk: list[T] = []
    size = CHUNK_SIZE
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _among(model: type[Model], column: str, ids: Iterable[int]) -> RawSQL:
    """A filter `column IN (ids)` on the model's table, the ids written into the SQL as integers.

    The same as `filter(<column>__in=ids)`, but Django's lookup prepares each value of the list one by
    one, and with lists of a chunk's 2,000 ids that preparation took a sixth of a large export's time.
    Only integers go into the text (int() of each), so nothing a user typed can reach the SQL.
    """
    values = ", ".join(str(int(value)) for value in ids) or "NULL"
    sql = (
        f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(column)} IN ({values})"
    )
    return RawSQL(sql, (), output_field=BooleanField())  # noqa: S611


class _Progress:
    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def advance(self, count: int) -> None:
        before, self.done = self.done, self.done + count
        if before // CHUNK_SIZE != self.done // CHUNK_SIZE:
            self.progress(self.done, self.total)


# --- Matching (lettrage) -------------------------------------------------------------------------


def _matches(rows: Iterable[tuple[int, datetime.date, int, bool]], prefix: str) -> dict[int, _Match]:
    """From (settled item, payment date, payment id, payment in the file) rows: the items whose
    payments are all in the file, with the date of the last one."""
    payments: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    outside: set[int] = set()
    for item, day, payment_id, in_file in rows:
        payments[item].append((day, payment_id))
        if not in_file:
            outside.add(item)
    return {
        item: _Match((prefix, item), 1 + len(paid), max(paid)[0])
        for item, paid in payments.items()
        if item not in outside
    }


def _matched_allocations(request: ExportRequest, settled: list[int]) -> dict[int, _Match]:
    """Of the given documents (in the file, fully paid, no credit note), those whose payments are all
    in the file too: their 411 lines get a matching code."""
    if not settled:
        return {}
    in_file = Exists(selection.payments(request).filter(pk=OuterRef("payment_id")))
    rows = (
        PaymentAllocation.objects.filter(_among(PaymentAllocation, "document_id", settled))
        .annotate(in_file=in_file)
        .values_list("document_id", "payment__date", "payment_id", "in_file")
    )
    return _matches(rows, "D")


def _matched_credited(request: ExportRequest, document_ids: Iterable[int]) -> dict[int, _Match]:
    """Of the given documents, those in euros settled exactly by payments and credit notes together
    (some credited: the documents without are _matched_allocations'), when every payment and credit
    note is in the file and no credit note was itself paid (a refund, which the match would miss):
    their 411 line, their payments' and their credit notes' 411 lines get one matching code, dated by
    the last of them."""
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    credited = list(
        selection.sales_documents(request)
        .filter(
            _among(Document, "id", ids),
            kind__in=PAYABLE_KINDS,
            currency="EUR",
            credited_total__gt=0,
            credited_total=F("gross_total") - F("advances_deducted") - F("paid_total"),
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    if not credited:
        return {}
    in_file = Exists(selection.payments(request).filter(pk=OuterRef("payment_id")))
    parts: list[tuple[int, datetime.date, int, bool]] = list(
        PaymentAllocation.objects.filter(_among(PaymentAllocation, "document_id", credited))
        .annotate(in_file=in_file)
        .values_list("document_id", "payment__date", "payment_id", "in_file")
    )
    notes = (
        Document.objects.filter(_among(Document, "corrected_document_id", credited), kind=Kind.CREDIT_NOTE)
        .exclude(status=Status.DRAFT)
        .annotate(in_file=Exists(selection.sales_documents(request).filter(pk=OuterRef("pk"))))
        .values_list("corrected_document_id", "issue_date", "pk", "in_file", "paid_total")
    )
    for invoice_id, day, pk, note_in_file, paid in notes:
        # A negative id keeps a credit note apart from the payments of the same number.
        parts.append((invoice_id, day, -pk, bool(note_in_file) and not paid))
    return _matches(parts, "D")


def _matched_expenses(request: ExportRequest, expense_ids: Iterable[int]) -> dict[int, _Match]:
    settled = list(
        selection.expenses(request)
        .filter(_among(Expense, "id", expense_ids))
        .annotate(settled=_EXPENSE_SETTLED)
        .filter(settled=True)
        .order_by()
        .values_list("pk", flat=True)
    )
    if not settled:
        return {}
    in_file = Exists(selection.expense_payments(request).filter(pk=OuterRef("pk")))
    rows = (
        ExpensePayment.objects.filter(_among(ExpensePayment, "expense_id", settled))
        .annotate(in_file=in_file)
        .values_list("expense_id", "date", "pk", "in_file")
    )
    return _matches(rows, "E")


class _Lettering:
    """Matching codes A, B... Z, AA, AB..., given in the order matched items first appear in the file.
    A code is forgotten once all its lines are written, so memory holds only the open items."""

    def __init__(self) -> None:
        self.count = 0
        self.open: dict[tuple[str, int], tuple[str, int]] = {}

    def code(self, match: _Match) -> str:
        found = self.open.get(match.key)
        if found is None:
            self.count += 1
            code, left = letters(self.count), match.parts
        else:
            code, left = found
        if left > 1:
            self.open[match.key] = (code, left - 1)
        else:
            self.open.pop(match.key, None)
        return code


def letters(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA, 28 -> AB... (bijective base 26)."""
    text = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


# --- The four sources ----------------------------------------------------------------------------

Row = tuple[Any, ...]

# Conditions the database evaluates, so rows carry flags rather than amounts to compare.
# The option for VAT on debits in force when the document was issued (its seller snapshot):
_ON_DEBITS = _Flag(Q(seller__vat_on_debits=True))
# A document that asks for money; one fully paid without credit note (a candidate for matching):
_OWES = _Flag(Q(gross_total__gt=F("advances_deducted")))
_SETTLED_Q = Q(
    kind__in=PAYABLE_KINDS,
    credited_total=0,
    paid_total__gt=0,
    paid_total=F("gross_total") - F("advances_deducted"),
)
_SETTLED = _Flag(_SETTLED_Q)
_ALLOCATION_SETTLED = Q(
    allocations__document__kind__in=PAYABLE_KINDS,
    allocations__document__credited_total=0,
    allocations__document__paid_total__gt=0,
    allocations__document__paid_total=F("allocations__document__gross_total")
    - F("allocations__document__advances_deducted"),
)
_EXPENSE_SETTLED = _Flag(Q(paid_total__gt=0, paid_total=F("gross_total")))

# The columns each source reads: narrow rows (values_list), never model instances. Amounts and rates
# are read as cents (annotations named c_<field>).
SALES_FIELDS = (
    "pk", "kind", "number", "issue_date", "currency", "buyer_name", "client_id", "client__name",
    "client__accounting_code", "on_debits", "corrected_document_id", "owes", "settled", "validated",
)  # fmt: skip
VAT_ROW_FIELDS = ("document_id", "c_rate", "vat_category", "vat_country", "supply_kind", "exemption_reason")
CODED_LINE_FIELDS = (
    "document_id", "c_rate", "vat_category", "vat_country", "supply_kind", "exemption_reason", "c_net",
    "accounting_code",
)  # fmt: skip
CORRECTED_FIELDS = ("pk", "kind", "c_gross", "c_advances", "c_paid", "c_credited", "on_debits")
EXPENSE_FIELDS = (
    "pk", "issue_date", "supplier_number", "currency", "supplier_id", "supplier__name",
    "supplier__accounting_code", "category_id", "settled", "vat_on_debits", "owes", "c_self_total",
    "c_self_total_eur", "validated",
)  # fmt: skip
EXPENSE_VAT_FIELDS = (
    "deductible", "vat_category", "supply_kind", "c_base", "c_vat", "c_base_eur", "c_vat_eur", "c_self",
    "c_self_eur",
)  # fmt: skip
PAYMENT_FIELDS = (
    "pk", "date", "c_amount", "currency", "reference", "client_id", "client__name", "client__accounting_code",
    "validated",
)  # fmt: skip
ALLOCATION_FIELDS = (  # read from the payments, after their date and id
    "allocations__document_id", "a_amount", "allocations__document__number", "allocations__document__kind",
    "c_due", "on_debits", "allocations__document__client_id", "allocations__document__client__name",
    "allocations__document__client__accounting_code", "matchable", "c_paid",
)  # fmt: skip
EXPENSE_PAYMENT_FIELDS = (
    "pk", "date", "c_amount", "reference", "expense_id", "expense__supplier_number", "expense__currency",
    "c_gross", "c_gross_eur", "expense__supplier_id", "expense__supplier__name",
    "expense__supplier__accounting_code", "validated",
)  # fmt: skip


class _VatRow(NamedTuple):
    """A DocumentVatLine, amounts in cents, its rate in hundredths of a percent."""

    rate: int
    category: str
    country: str
    supply_kind: str
    exemption_reason: str
    base_eur: int
    vat_eur: int
    base: int  # in the document's currency (the EUR amounts for a document in EUR)
    vat: int

    @property
    def french(self) -> bool:
        """Taxed with French VAT (not exempt, intra-EU, export, reverse charge, nor OSS)."""
        return self.category == vat.STANDARD and self.country == "FR"


_new_vat_row: Callable[[Iterable[Any]], _VatRow] = functools.partial(tuple.__new__, _VatRow)


def _vat_rows(eur_ids: list[int], foreign_ids: list[int]) -> dict[int, list[_VatRow]]:
    """The VAT rows of documents in EUR (whose amounts in their currency are the EUR ones) and of
    documents in another currency, by document, in the order they were stored."""
    found: dict[int, list[_VatRow]] = defaultdict(list)
    rows = DocumentVatLine.objects.annotate(
        c_rate=_cents("vat_rate"), c_base_eur=_cents("base_eur"), c_vat_eur=_cents("vat_amount_eur")
    ).order_by("document_id", "id")
    if eur_ids:
        eur_rows = rows.filter(_among(DocumentVatLine, "document_id", eur_ids))
        for document_id, *values, base, vat_amount in eur_rows.values_list(
            *VAT_ROW_FIELDS, "c_base_eur", "c_vat_eur"
        ):
            found[document_id].append(_new_vat_row((*values, base, vat_amount, base, vat_amount)))
    if foreign_ids:
        foreign = rows.filter(_among(DocumentVatLine, "document_id", foreign_ids)).annotate(
            c_base=_cents("base"), c_vat=_cents("vat_amount")
        )
        for document_id, *values in foreign.values_list(
            *VAT_ROW_FIELDS, "c_base_eur", "c_vat_eur", "c_base", "c_vat"
        ):
            found[document_id].append(_new_vat_row(values))
    return found


class _Follow:
    """The rows of a query read along with a source's rows, both sorted the same way: `take(key)`
    gives the rows of one source row. One query for the whole file, rather than one per chunk: on
    PostgreSQL a per-chunk query testing membership of the year's selection reads the whole year each
    time (a hashed subplan)."""

    def __init__(self, rows: Iterator[Row], width: int) -> None:
        self.rows, self.width = rows, width  # the key is the first `width` fields
        self.head = next(self.rows, None)

    def take(self, key: tuple[Any, ...]) -> list[Row]:
        found = []
        width = self.width
        while self.head is not None:
            head_key = self.head[:width]
            if head_key > key:
                break
            if head_key == key:
                found.append(self.head[width:])
            self.head = next(self.rows, None)
        return found


class _Source:
    """A journal's reader: entries in (date, id) order, built a chunk of source rows at a time."""

    def __init__(self, request: ExportRequest, chart: _Chart, progress: _Progress) -> None:
        self.request, self.chart, self.progress = request, chart, progress

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError

    def validated(self, field: str) -> TruncDate:
        """The day, in the account's time zone, an entry's source became what the entry says: a document
        when it was issued, an expense or a payment when it was recorded (ValidDate, A47 A-1)."""
        return TruncDate(field, tzinfo=zoneinfo.ZoneInfo(self.request.account.time_zone))

    def chunk(self, rows: list[Row]) -> Iterator[_Entry]:
        raise NotImplementedError

    def entries(self) -> Iterator[_Entry]:
        for rows in _chunks(self.rows()):
            yield from list(self.chunk(rows))
            self.progress.advance(len(rows))


class _Sales(_Source):
    """One VT entry per sales document: customer against revenue and VAT."""

    def rows(self) -> Iterator[Row]:
        documents = selection.sales_documents(self.request).annotate(
            on_debits=_ON_DEBITS, owes=_OWES, settled=_SETTLED, validated=self.validated("issued_at")
        )
        # The payments of the fully paid documents, each saying whether the file carries it: read from
        # the selection itself, so the database starts from the account's documents of the period.
        in_file = Exists(selection.payments(self.request).filter(pk=OuterRef("allocations__payment_id")))
        allocations = (
            selection.sales_documents(self.request)
            .filter(_SETTLED_Q)
            .annotate(in_file=in_file)
            .order_by("issue_date", "id", "allocations__payment__date", "allocations__payment_id")
            .values_list(
                "issue_date", "pk", "allocations__payment__date", "allocations__payment_id", "in_file"
            )
        )
        self.payments = _Follow(allocations.iterator(CHUNK_SIZE), 2)
        # The documents with a line that names its own revenue account (from its product): few or none.
        coded = (
            selection.sales_documents(self.request)
            .filter(lines__accounting_code__gt="")
            .order_by("issue_date", "id")
            .values_list("issue_date", "pk")
            .distinct()
        )
        self.coded = _Follow(coded.iterator(CHUNK_SIZE), 2)
        return documents.values_list(*SALES_FIELDS).iterator(CHUNK_SIZE)

    def chunk(self, rows: list[Row]) -> Iterator[_Entry]:
        eur_ids = [row[0] for row in rows if row[4] == "EUR"]
        vat_rows = _vat_rows(eur_ids, [row[0] for row in rows if row[4] != "EUR"])
        coded = self._coded_lines([row[0] for row in rows if self.coded.take((row[3], row[0]))])
        corrected = self._corrected(rows)
        matches: dict[int, _Match] = {}
        for pk, _kind, _number, issue_date, *_values, settled, _validated in rows:
            if settled:
                paid = self.payments.take((issue_date, pk))
                if paid and all(in_file for _day, _payment, in_file in paid):
                    matches[pk] = _Match(("D", pk), 1 + len(paid), max(paid)[0])
        # Documents settled with the help of credit notes: matched with their payments and credit notes.
        credited = [row[0] for row in rows if row[1] in PAYABLE_KINDS]
        credited += [row[10] for row in rows if row[1] == Kind.CREDIT_NOTE and row[10] is not None]
        matches.update(_matched_credited(self.request, credited))
        for row in rows:
            entry = self._entry(row, vat_rows.get(row[0], []), coded.get(row[0]), corrected, matches)
            if entry is not None:
                yield entry

    @staticmethod
    def _coded_lines(ids: list[int]) -> dict[int, list[Row]]:
        """All the lines of these documents, by document: the revenue of their buckets is spread over
        the lines' own accounts."""
        lines: dict[int, list[Row]] = defaultdict(list)
        if ids:
            found = (
                DocumentLine.objects.filter(_among(DocumentLine, "document_id", ids))
                .annotate(c_rate=_cents("vat_rate"), c_net=_cents("net_amount"))
                .order_by("document_id", "position", "id")
            )
            for document_id, *values in found.values_list(*CODED_LINE_FIELDS):
                lines[document_id].append(tuple(values))
        return lines

    @staticmethod
    def _corrected(rows: list[Row]) -> dict[int, Row]:
        """What a credit note's VAT needs of the invoice it corrects: its rule is the invoice's."""
        ids = {row[10] for row in rows if row[1] == Kind.CREDIT_NOTE and row[10] is not None}
        if not ids:
            return {}
        found = Document.objects.filter(_among(Document, "id", ids)).annotate(
            c_gross=_cents("gross_total"),
            c_advances=_cents("advances_deducted"),
            c_paid=_cents("paid_total"),
            c_credited=_cents("credited_total"),
            on_debits=_ON_DEBITS,
        )
        return {pk: tuple(values) for pk, *values in found.values_list(*CORRECTED_FIELDS)}

    def _entry(
        self,
        row: Row,
        vat_rows: list[_VatRow],
        coded: list[Row] | None,
        corrected: dict[int, Row],
        matches: dict[int, _Match],
    ) -> _Entry | None:
        (pk, kind, number, issue_date, currency, buyer_name, client_id, client_name, client_code, on_debits,
         corrected_id, owes, _settled, validated) = row  # fmt: skip
        chart = self.chart
        foreign = currency != "EUR"
        rule: tuple[str, bool, bool] | None = (kind, owes, on_debits)
        refunded: tuple[int, int] | None = None  # (refunded, credited) of the corrected invoice
        if kind == Kind.CREDIT_NOTE:
            rule = None  # a credit note of no invoice: its VAT is collected at its date
            invoice = corrected.get(corrected_id) if corrected_id is not None else None
            if invoice is not None:
                i_kind, i_gross, i_advances, i_paid, i_credited, i_on_debits = invoice
                rule = (i_kind, i_gross > i_advances, i_on_debits)
                if i_credited > 0:
                    # What the credit notes refund of money already received: that VAT was due already.
                    refunded = (max(0, i_paid + i_credited - (i_gross - i_advances)), i_credited)
        revenue, taxes = _Sums(), _Sums()
        for vat_row in vat_rows:
            if coded is None:  # most documents: each bucket to the revenue account of its kind
                if vat_row.base_eur or vat_row.base:
                    account = chart.revenue(vat_row.supply_kind, vat_row.french)
                    revenue.add(account, vat_row.base_eur, vat_row.base)
            elif vat_row.base_eur or vat_row.base:
                for account, eur, amount in self._revenue(vat_row, coded, currency):
                    revenue.add(account, eur, amount)
            if not (vat_row.vat_eur or vat_row.vat):
                continue
            if vat_row.country != "FR":
                taxes.add(chart.oss, vat_row.vat_eur, vat_row.vat)
            elif rule is not None and vat_due_at_payment(*rule, vat_row.supply_kind):
                if refunded is not None and refunded[0] > 0:
                    eur = _share(vat_row.vat_eur, *refunded)
                    amount = _share(vat_row.vat, *refunded, currency)
                    taxes.add(chart.collected(vat_row.rate), eur, amount)
                    taxes.add(chart.pending, vat_row.vat_eur - eur, vat_row.vat - amount)
                else:
                    taxes.add(chart.pending, vat_row.vat_eur, vat_row.vat)
            else:
                taxes.add(chart.collected(vat_row.rate), vat_row.vat_eur, vat_row.vat)
        lines = revenue.lines(-1, foreign) + taxes.lines(-1, foreign)
        if not lines:
            return None  # a document of zero: nothing to post
        total = -sum(line.amount for line in lines)
        if total:  # zero when the document's lines cancel out: revenue against revenue, no customer line
            aux = customer_auxiliary(client_id, client_code)
            total_currency = -sum(line.currency_amount or 0 for line in lines) if foreign else None
            # A credit note is matched with the invoice it credits.
            match = matches.get(corrected_id if kind == Kind.CREDIT_NOTE else pk)
            lines.insert(0, _new_line((chart.customer, aux, client_name, total, total_currency, match)))
        label = f"{KIND_LABELS.get(kind, 'Facture')} {number} {buyer_name or client_name}"
        # Issued before the moment of issue was kept: the issue date.
        valid = validated or issue_date
        return _new_entry(((issue_date, SALES, pk), SALES, number, issue_date, label, currency, lines, valid))

    def _revenue(self, row: _VatRow, coded: list[Row], currency: str) -> list[tuple[str, int, int]]:
        """The bucket's base on revenue accounts when lines name their own account: spread in proportion
        to the lines' net amounts (cumulative rounding, so the parts add up to the bucket exactly; a
        final invoice's bucket, net of its advances, too); the lines without go to the default one."""
        default = self.chart.revenue(row.supply_kind, row.french)
        weights: dict[str, int] = {}
        key = (row.rate, row.category, row.country, row.supply_kind, row.exemption_reason)
        for rate, category, country, supply_kind, reason, net, code in coded:
            applied = rate if category == vat.STANDARD else 0  # buckets hold the rate applied
            if (applied, category, country, supply_kind, reason) == key:
                account = self.chart.product(code) or default
                weights[account] = weights.get(account, 0) + net
        total = sum(weights.values())
        if len(weights) < 2 or total == 0:
            return [(next(iter(weights), default), row.base_eur, row.base)]
        parts = []
        cumulated = eur_before = amount_before = 0
        for account in sorted(weights):
            cumulated += weights[account]
            eur = _share(row.base_eur, cumulated, total)
            amount = _share(row.base, cumulated, total, currency)
            parts.append((account, eur - eur_before, amount - amount_before))
            eur_before, amount_before = eur, amount
        return parts


class _Purchases(_Source):
    """One HA entry per expense: expense (or fixed asset) and deductible VAT against the supplier. The
    VAT of services that becomes deductible only as the supplier is paid waits on its own account
    (purchases.models.vat_deductible_at_payment); the VAT the account self-assesses (autoliquidation)
    is posted due (4452) against deductible (4456x), or against the expense when it cannot be deducted."""

    def rows(self) -> Iterator[Row]:
        expenses = selection.expenses(self.request).annotate(
            settled=_EXPENSE_SETTLED,
            owes=_Flag(Q(gross_total__gt=0)),
            c_self_total=_cents("self_assessed_vat_total"),
            c_self_total_eur=_cents("self_assessed_vat_total_eur"),
            validated=self.validated("created_at"),
        )
        return expenses.values_list(*EXPENSE_FIELDS).iterator(CHUNK_SIZE)

    def chunk(self, rows: list[Row]) -> Iterator[_Entry]:
        vat_rows: dict[int, list[Row]] = defaultdict(list)
        found = (
            ExpenseVatLine.objects.filter(_among(ExpenseVatLine, "expense_id", [row[0] for row in rows]))
            .annotate(
                c_base=_cents("base"),
                c_vat=_cents("vat_amount"),
                c_base_eur=_cents("base_eur"),
                c_vat_eur=_cents("vat_amount_eur"),
                c_self=_cents("self_assessed_vat"),
                c_self_eur=_cents("self_assessed_vat_eur"),
            )
            .order_by("expense_id", "id")
        )
        for expense_id, *values in found.values_list("expense_id", *EXPENSE_VAT_FIELDS):
            vat_rows[expense_id].append(tuple(values))
        matches = _matched_expenses(self.request, [row[0] for row in rows if row[8]])
        for row in rows:
            entry = self._entry(row, vat_rows.get(row[0], []), matches)
            if entry is not None:
                yield entry

    def _entry(self, row: Row, vat_rows: list[Row], matches: dict[int, _Match]) -> _Entry | None:
        (pk, issue_date, supplier_number, currency, supplier_id, supplier_name, supplier_code, category_id,
         _settled, on_debits, owes, self_total, self_total_eur, validated) = row  # fmt: skip
        chart = self.chart
        foreign = currency != "EUR"
        expense_account = chart.categories[category_id][0]
        # VAT on fixed assets is deducted on its own account (the CA3 asks for it apart).
        assets = expense_account.startswith("2")
        deductible_account = chart.deductible_assets if assets else chart.deductible
        charges = _Sums()
        for (deductible, category, supply_kind, base, vat_amount, base_eur, vat_eur, self_vat,
             self_eur) in vat_rows:  # fmt: skip
            charges.add(expense_account, base_eur, base)
            if not deductible:
                account = expense_account  # VAT that cannot be deducted is part of the cost
            elif vat_deductible_at_payment(on_debits, supply_kind, category, owes):
                account = chart.deductible_pending
            else:
                account = deductible_account
            charges.add(account, vat_eur, vat_amount)
            if self_eur or self_vat:
                if deductible:
                    account = chart.deductible_assets if assets else chart.self_assessed_deductible
                charges.add(account, self_eur, self_vat)
        # The VAT due is the expense's self-assessed total, which its rows (the other side) add up to.
        charges.add(chart.self_assessed, -self_total_eur, -self_total)
        lines = charges.lines(1, foreign, by_number=False)  # the expense first, then its VAT
        if not lines:
            return None
        total = -sum(line.amount for line in lines)
        reference = supplier_number or f"DEP-{pk}"
        if total:
            aux = supplier_auxiliary(supplier_id, supplier_code)
            total_currency = -sum(line.currency_amount or 0 for line in lines) if foreign else None
            lines.append(_Line(chart.supplier, aux, supplier_name, total, total_currency, matches.get(pk)))
        label = f"Facture fournisseur {reference} {supplier_name}"
        return _Entry(
            (issue_date, PURCHASES, pk), PURCHASES, reference, issue_date, label, currency, lines, validated
        )


class _Receipts(_Source):
    """One BQ entry per payment received: bank against the customer account of each document it
    settles, and the VAT it makes due (from the waiting account to VAT collected)."""

    def rows(self) -> Iterator[Row]:
        payments = selection.payments(self.request)
        # What each payment settles, read from the selection itself (the database starts from the
        # account's payments of the period), sorted like the payments.
        documents = selection.sales_documents(self.request)
        allocations = payments.annotate(
            a_amount=_cents("allocations__amount"),
            c_due=_Cents(
                F("allocations__document__gross_total") - F("allocations__document__advances_deducted")
            ),
            on_debits=_Flag(Q(allocations__document__seller__vat_on_debits=True)),
            # A candidate for matching: its document is fully paid, without credit note, and in the file.
            matchable=_Flag(
                _ALLOCATION_SETTLED & Q(Exists(documents.filter(pk=OuterRef("allocations__document_id"))))
            ),
            c_paid=_cents("allocations__document__paid_total"),
        ).order_by("date", "id", "allocations__id")
        self.allocations = _Follow(
            allocations.values_list("date", "pk", *ALLOCATION_FIELDS).iterator(CHUNK_SIZE), 2
        )
        payments = payments.annotate(c_amount=_cents("amount"), validated=self.validated("created_at"))
        return payments.values_list(*PAYMENT_FIELDS).iterator(CHUNK_SIZE)

    def chunk(self, rows: list[Row]) -> Iterator[_Entry]:
        allocations = {
            pk: [values for values in self.allocations.take((day, pk)) if values[0] is not None]
            for pk, day, *_values in rows
        }
        currencies = {row[0]: row[3] for row in rows}
        document_ids = sorted({values[0] for found in allocations.values() for values in found})
        foreign_ids = sorted(
            {values[0] for pk, found in allocations.items() if currencies[pk] != "EUR" for values in found}
        )
        totals = self._eur_totals(foreign_ids)
        pending = self._pending_vat(document_ids)
        # Earlier payments matter when a share is computed (documents in another currency, or with VAT)
        # and when the document has other payments (it was paid more than this allocation).
        shared = {*foreign_ids, *pending}
        several = {values[0] for found in allocations.values() for values in found if values[10] != values[1]}
        paid_before = self._paid_before(sorted(shared & several))
        # A document paid by this payment alone is matched with it; one paid several times, when its
        # other payments are in the file too.
        matches: dict[int, _Match] = {}
        several_times, others = [], []
        for pk, day, *_rest in rows:
            for document_id, part, *_values, matchable, paid in allocations.get(pk, ()):
                if matchable and paid == part:
                    matches[document_id] = _Match(("D", document_id), 2, day)
                elif matchable:
                    several_times.append(document_id)
                else:
                    others.append(document_id)
        matches.update(_matched_allocations(self.request, several_times))
        matches.update(_matched_credited(self.request, others))
        for payment in rows:
            entry = self._entry(
                payment, allocations.get(payment[0], []), totals, pending, paid_before, matches
            )
            if entry is not None:
                yield entry

    @staticmethod
    def _eur_totals(document_ids: list[int]) -> dict[int, int]:
        """The 411 amount of documents in another currency, in EUR: the sum of their VAT rows, as their
        VT entry posted it (payments are converted as shares of it)."""
        totals: dict[int, int] = defaultdict(int)
        if document_ids:
            found = DocumentVatLine.objects.filter(
                _among(DocumentVatLine, "document_id", document_ids)
            ).annotate(c_base_eur=_cents("base_eur"), c_vat_eur=_cents("vat_amount_eur"))
            for document_id, base_eur, vat_eur in found.values_list("document_id", "c_base_eur", "c_vat_eur"):
                totals[document_id] += base_eur + vat_eur
        return totals

    @staticmethod
    def _pending_vat(document_ids: list[int]) -> dict[int, list[tuple[int, str, int]]]:
        """The French VAT of the documents, (rate, goods or services, VAT in EUR) per VAT row: what may
        have waited for payment."""
        pending: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        found = (
            DocumentVatLine.objects.filter(
                _among(DocumentVatLine, "document_id", document_ids),
                vat_category=vat.STANDARD,
                vat_country="FR",
            )
            .exclude(vat_amount_eur=0)
            .annotate(c_rate=_cents("vat_rate"), c_vat_eur=_cents("vat_amount_eur"))
            .order_by("document_id", "id")
        )
        for document_id, rate, supply_kind, vat_eur in found.values_list(
            "document_id", "c_rate", "supply_kind", "c_vat_eur"
        ):
            pending[document_id].append((rate, supply_kind, vat_eur))
        return pending

    @staticmethod
    def _paid_before(document_ids: list[int]) -> dict[tuple[int, int], int]:
        """{(document, payment): what the document's earlier payments had paid}, payments in date order
        (those before the period count too)."""
        history: dict[int, list[tuple[datetime.date, int, int]]] = defaultdict(list)
        found = PaymentAllocation.objects.filter(
            _among(PaymentAllocation, "document_id", document_ids)
        ).annotate(c_amount=_cents("amount"))
        for document_id, payment_id, day, amount in found.values_list(
            "document_id", "payment_id", "payment__date", "c_amount"
        ):
            history[document_id].append((day, payment_id, amount))
        before: dict[tuple[int, int], int] = {}
        for document_id, payments in history.items():
            paid = 0
            for _day, payment_id, amount in sorted(payments):
                before[(document_id, payment_id)] = paid
                paid += amount
        return before

    def _entry(
        self,
        payment: Row,
        allocations: list[Row],
        totals: dict[int, int],
        pending: dict[int, list[tuple[int, str, int]]],
        paid_before: dict[tuple[int, int], int],
        matches: dict[int, _Match],
    ) -> _Entry | None:
        pk, day, amount, currency, reference, payer_id, payer_name, payer_code, validated = payment
        chart = self.chart
        foreign = currency != "EUR"
        customers: list[_Line] = []
        moved = _Sums()  # the VAT it makes due, per VAT collected account
        numbers = []
        for (document_id, part, number, kind, due, on_debits, client_id, client_name, client_code, _matchable,
             _paid) in allocations:  # fmt: skip
            numbers.append(number)
            before = paid_before.get((document_id, pk), 0)
            after = before + part
            if foreign:
                total = totals[document_id]
                eur = _share(total, after, due) - _share(total, before, due)
            else:
                eur = part  # a document in EUR: its 411 amount is what it asks for
            if eur:
                aux = customer_auxiliary(client_id, client_code)
                part_currency = -part if foreign else None
                customers.append(
                    _new_line(
                        (chart.customer, aux, client_name, -eur, part_currency, matches.get(document_id))
                    )
                )
            for rate, supply_kind, vat_eur in pending.get(document_id, ()):
                if vat_due_at_payment(kind, due > 0, on_debits, supply_kind):
                    share = _share(vat_eur, after, due) - _share(vat_eur, before, due)
                    moved.add(chart.collected(rate), share, 0)
        if not allocations and amount and not foreign:
            # Unallocated (billing refuses one in another currency): money received on the customer
            # account, under its client, until a change of the payment allocates it; from a payer not
            # known yet, on the suspense account (a customer line names its client, rule L7).
            if payer_id is not None:
                aux = customer_auxiliary(payer_id, payer_code)
                customers.append(_new_line((chart.customer, aux, payer_name or "", -amount, None, None)))
            else:
                customers.append(_new_line((chart.suspense, "", "", -amount, None, None)))
            label = f"Règlement non affecté {payer_name or reference}".strip()
            lines = [_Line(chart.bank, "", "", amount, None), *customers]
            return _new_entry(
                ((day, RECEIPTS, pk), RECEIPTS, reference or f"P{pk}", day, label, currency, lines, validated)
            )
        if not customers:
            return None
        bank = -sum(line.amount for line in customers)
        lines = [_Line(chart.bank, "", "", bank, amount if foreign else None), *customers]
        taxes = moved.lines(-1, foreign=False)
        if taxes:
            lines.append(_Line(chart.pending, "", "", -sum(line.amount for line in taxes), None))
            lines.extend(taxes)
        settled = ", ".join(numbers)
        label = f"Règlement {settled} {allocations[0][7]}"
        return _new_entry(
            ((day, RECEIPTS, pk), RECEIPTS, reference or settled, day, label, currency, lines, validated)
        )


class _Disbursements(_Source):
    """One BQ entry per payment made to a supplier: supplier against bank, and the VAT it makes
    deductible on services (from the waiting account to deductible VAT, its share of each bucket as
    the register takes it: money.settled_share of what is paid, cumulatively)."""

    def rows(self) -> Iterator[Row]:
        payments = selection.expense_payments(self.request).annotate(
            c_amount=_cents("amount"),
            c_gross=_cents("expense__gross_total"),
            c_gross_eur=_cents("expense__gross_total_eur"),
            validated=self.validated("created_at"),
        )
        return payments.values_list(*EXPENSE_PAYMENT_FIELDS).iterator(CHUNK_SIZE)

    def chunk(self, rows: list[Row]) -> Iterator[_Entry]:
        expense_ids = sorted({row[4] for row in rows})
        history: dict[int, list[tuple[datetime.date, int, int]]] = defaultdict(list)
        found = ExpensePayment.objects.filter(_among(ExpensePayment, "expense_id", expense_ids)).annotate(
            c_amount=_cents("amount")
        )
        for expense_id, pk, day, amount in found.values_list("expense_id", "pk", "date", "c_amount"):
            history[expense_id].append((day, pk, amount))
        paid_before: dict[int, int] = {}
        for payments in history.values():
            paid = 0
            for _day, pk, amount in sorted(payments):
                paid_before[pk] = paid
                paid += amount
        matches = _matched_expenses(self.request, expense_ids)
        pending = self._pending_vat(expense_ids)
        for row in rows:
            entry = self._entry(row, paid_before.get(row[0], 0), matches, pending.get(row[4], ()))
            if entry is not None:
                yield entry

    def _pending_vat(self, expense_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
        """The deductible VAT of the expenses that waits for their payment, (deductible account, VAT in
        EUR) per VAT row (purchases.models.vat_deductible_at_payment, as the HA entry posted it)."""
        pending: dict[int, list[tuple[str, int]]] = defaultdict(list)
        found = (
            ExpenseVatLine.objects.filter(_among(ExpenseVatLine, "expense_id", expense_ids), deductible=True)
            .exclude(vat_amount_eur=0)
            .annotate(c_vat_eur=_cents("vat_amount_eur"), owes=_Flag(Q(expense__gross_total__gt=0)))
            .order_by("expense_id", "id")
        )
        chart = self.chart
        for expense_id, on_debits, supply_kind, category, owes, code, vat_eur in found.values_list(
            "expense_id", "expense__vat_on_debits", "supply_kind", "vat_category", "owes",
            "expense__category__accounting_code", "c_vat_eur",
        ):  # fmt: skip
            if vat_deductible_at_payment(on_debits, supply_kind, category, owes):
                assets = normalize_account(code).startswith("2")
                pending[expense_id].append((chart.deductible_assets if assets else chart.deductible, vat_eur))
        return pending

    def _entry(
        self, row: Row, before: int, matches: dict[int, _Match], pending: Iterable[tuple[str, int]]
    ) -> _Entry | None:
        (pk, day, amount, reference, expense_id, supplier_number, currency, gross, gross_eur, supplier_id,
         supplier_name, supplier_code, validated) = row  # fmt: skip
        chart = self.chart
        foreign = currency != "EUR"
        # The expense's 401 amount is its gross_total_eur (the sum of its VAT rows in EUR).
        eur = (
            _share(gross_eur, before + amount, gross) - _share(gross_eur, before, gross)
            if foreign
            else amount
        )
        if not eur:
            return None
        number = supplier_number or f"DEP-{expense_id}"
        aux = supplier_auxiliary(supplier_id, supplier_code)
        lines = [
            _Line(
                chart.supplier, aux, supplier_name, eur, amount if foreign else None, matches.get(expense_id)
            ),
            _Line(chart.bank, "", "", -eur, -amount if foreign else None),
        ]
        moved = _Sums()  # the VAT this payment makes deductible, per deductible VAT account
        for account, vat_eur in pending:
            moved.add(account, _share(vat_eur, before + amount, gross) - _share(vat_eur, before, gross), 0)
        taxes = moved.lines(1, foreign=False)
        if taxes:
            lines.extend(taxes)
            lines.append(_Line(chart.deductible_pending, "", "", -sum(line.amount for line in taxes), None))
        label = f"Paiement fournisseur {number} {supplier_name}"
        return _Entry(
            (day, DISBURSEMENTS, pk),
            DISBURSEMENTS,
            reference or number,
            day,
            label,
            currency,
            lines,
            validated,
        )


# --- Writing -------------------------------------------------------------------------------------


class _Dates(dict[datetime.date, str]):
    """AAAAMMJJ of each date, formatted once (a year has few dates and a FEC many lines)."""

    def __missing__(self, day: datetime.date) -> str:
        text = self[day] = f"{day.year:04d}{day.month:02d}{day.day:02d}"
        return text


def write_fec(request: ExportRequest, out: IO[bytes], progress: Progress = no_progress) -> None:
    """Write the FEC of `request` (a Writer, base.py): sales, purchases and bank entries of the period,
    in chronological order, numbered from 1. Refuses (ExportError, nothing written) a period across
    two fiscal years, an account without SIREN, a mapping that is missing or invalid, an empty period."""
    settings = accounting_settings(request.account)
    _check_period(request, settings)
    _check_siren(request.account)
    _check_mapping(settings)
    categories = _check_categories(request)
    total = sum(
        query.count()
        for query in (
            selection.sales_documents(request),
            selection.expenses(request),
            selection.payments(request),
            selection.expense_payments(request),
        )
    )
    if total == 0:
        raise ExportError(
            _("Rien à exporter du %(start)s au %(end)s : aucune facture, dépense ni paiement.")
            % {"start": _short(request.start), "end": _short(request.end)}
        )
    chart = _Chart(settings, categories)
    counter = _Progress(progress, total)
    # Each source comes in (date, id) order; on the same day, sales, purchases, receipts, disbursements.
    sources = (_Sales, _Purchases, _Receipts, _Disbursements)
    merged = heapq.merge(
        *(source(request, chart, counter).entries() for source in sources), key=itemgetter(0)
    )
    journals = {
        SALES: (settings.sales_journal, "Ventes"),
        PURCHASES: (settings.purchases_journal, "Achats"),
        RECEIPTS: (settings.bank_journal, "Banque"),
        DISBURSEMENTS: (settings.bank_journal, "Banque"),
    }
    with _reading(), _without_cycle_collection():
        _write(out, merged, journals, chart, request.separator)
    progress(total, total)


@contextlib.contextmanager
def _reading() -> Iterator[None]:
    """One transaction for the whole reading. On PostgreSQL its server-side cursors then stream (out of
    a transaction they are WITH HOLD: the whole result is stored on the server before the first row),
    and JIT compilation is off: the long queries of an export paid more to compile (a second for a
    large year) than they saved (reference/perf-baselines.md)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # a session setting: nothing the ORM expresses
                cursor.execute("SET LOCAL jit = off")
        yield


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while the file is written.

    The writer makes half a million short-lived tuples, and chunks of rows that live a little longer:
    the collector ran full collections of the whole process about twenty times per large export, a
    seventh of its time (bench/fec_export.py). The writer creates no reference cycles, so nothing
    waits for the collector; objects are still freed as soon as they are unused. It runs again at the
    end, unless something else had paused it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _write(
    out: IO[bytes],
    entries: Iterator[_Entry],
    journals: dict[int, tuple[str, str]],
    chart: _Chart,
    sep: str,
) -> None:
    """The header, then one line per line of each entry, numbered in the order entries come; written
    out every 2,000 lines."""
    dates = _Dates()
    lettering = _Lettering()
    heads = {source: sep.join((_clean(code), label)) + sep for source, (code, label) in journals.items()}
    # Few accounts and clients, many lines: the four fields of each account are joined once (and the
    # cache starts again past 100,000 of them, so an account with countless clients stays in bounds).
    account_parts: dict[tuple[str, str, str], str] = {}
    buffer = [sep.join(COLUMNS) + "\r\n"]
    for number, entry in enumerate(entries, 1):
        day = dates[entry.key[0]]
        head = f"{heads[entry.journal]}{number}{sep}{day}{sep}"
        piece = f"{sep}{_clean(entry.piece_ref)}{sep}{dates[entry.piece_date]}{sep}{_clean(entry.label)}{sep}"
        tail = f"{sep}{dates[max(entry.validated, entry.key[0])]}{sep}"
        currency = entry.currency
        for account, aux, aux_label, amount, currency_amount, match in entry.lines:
            key = (account, aux, aux_label)
            fields = account_parts.get(key)
            if fields is None:
                if len(account_parts) > 100_000:
                    account_parts.clear()
                fields = account_parts[key] = sep.join(
                    (
                        account,
                        _clean(chart.label(account)),
                        _clean(aux),
                        _clean(aux_label),
                    )
                )
            if amount > 0:
                units, cents = divmod(amount, 100)
                sides = f"{units},{cents:02d}{sep}0,00"
            else:
                units, cents = divmod(-amount, 100)
                sides = f"0,00{sep}{units},{cents:02d}"
            matching = sep if match is None else f"{lettering.code(match)}{sep}{dates[match.date]}"
            foreign = sep if currency_amount is None else f"{_amount_text(currency_amount)}{sep}{currency}"
            buffer.append(f"{head}{fields}{piece}{sides}{sep}{matching}{tail}{foreign}\r\n")
        if len(buffer) >= 2000:
            out.write("".join(buffer).encode())
            buffer.clear()
    out.write("".join(buffer).encode())
