"""The invoice export and the payments export, as CSV and as Excel (issue 6, §2 and §3).

Each export is defined once, as a `Table`: typed columns, and rows produced by a generator that reads
the database in chunks of CHUNK_SIZE (a server-side cursor on PostgreSQL) and fetches each chunk's VAT
rows, lines or allocations in one query, so memory stays flat and the number of queries grows with the
chunks, not with the documents. The CSV and the XLSX writer both consume that table: the two files
always hold the same columns and values.

Choices, and why:
- Amounts keep the stored sign, as the revenue list does: credit notes are negative, so a column sums
  to the period's revenue. A final invoice counts net of the advances it deducts (its VAT rows are), so
  advance invoices count once, at their own date; the "Acomptes déduits" column gives the difference
  with the printed total. The XLSX says so above the table.
- Per-document layout: a spreadsheet needs fixed columns, so amounts per rate have one column pair per
  French rate (20, 10, 5.5, 2.1; VAT collected in France, in EUR, as the CA3 asks), one for sales
  without VAT (0 %: exempt, intra-EU, export, reverse charge; its VAT column would always be empty), and
  "autres taux" for VAT due in another member state (OSS). Totals come in EUR and in the document's
  currency. Per-line layout: one row per line with its rate, amounts and accounts; a final invoice also
  gets one row per VAT rate of each advance it deducts, so its rows add up to its document row.
- CSV: UTF-8 with a byte-order mark and ";" between fields, as the firm's list export (firm/exports.py):
  French Excel reads it right. Amounts with a dot and no grouping, dates in ISO 8601, as the reports'
  CSV: the file is meant for accounting software and scripts as much as for Excel. No title or totals
  row: every line after the header is a row of data. A text starting with = + - @ (or a tab or carriage
  return) gets a leading quote so a spreadsheet never runs it as a formula (lib/csvfiles.py, as every
  CSV of the product); amounts are written as numbers, so a credit note's "-120.00" stays a number.
- XLSX: XlsxWriter in constant_memory mode (rows are flushed in order, so totals are summed while
  streaming and written last), numbers as numbers, dates as dates, the house formats of the reports,
  a frozen header row with an autofilter. Amounts in a document's currency are totalled only when every
  row has the same currency.
- The payments export lists money received (client payments) and money paid (supplier payments of
  expenses): the accountant matches the bank statement against it, and the bank journal of the FEC holds
  both. A "Sens" column tells them apart and amounts are signed (+ received, − paid), so the total is
  the net cash flow. `request.scope` narrows it: "sales" for received payments only, "purchases" for
  paid ones only.

Writers only read: they never mark anything exported (the job runner does, once the file is stored).
"""

import codecs
import datetime
import heapq
import io
import itertools
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Literal, TypeVar

import xlsxwriter
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from facturier.billing.models import (
    Document,
    DocumentLine,
    DocumentVatLine,
    Kind,
    PaymentAllocation,
    PaymentMethod,
    Status,
    SupplyKind,
    VatBucket,
    status_label,
)
from facturier.exports import selection
from facturier.exports.base import CHUNK_SIZE, ExportError, ExportRequest, Progress
from facturier.exports.fec import accounting_settings, customer_auxiliary, supplier_auxiliary
from facturier.exports.models import AccountingSettings
from facturier.lib import csvfiles, vat
from facturier.lib.chart_of_accounts import PRODUCT_RULE, account_problem, normalize_account
from facturier.lib.money import ZERO, to_eur
from facturier.reports.outputs import DATE_FORMAT, INT_FORMAT, MONEY_FORMAT, NUMBER_FORMAT, PERCENT_FORMAT
from facturier.tenancy.models import Account

T = TypeVar("T")

ColumnKind = Literal["text", "date", "datetime", "money", "number", "rate", "percent", "int"]
Cell = str | int | Decimal | datetime.date | datetime.datetime | None
Row = tuple[Cell, ...]

# The French rates with columns of their own in the per-document layout (2 columns each: base, VAT).
FRENCH_RATE_COLUMNS = (Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"))
HOME = "FR"
# CSV rows are encoded and handed to the output this many at a time.
CSV_FLUSH_ROWS = 500


@dataclass(frozen=True)
class Column:
    label: str
    kind: ColumnKind = "text"
    width: int = 12  # in characters (XLSX)
    # XLSX totals row: "sum" for EUR amounts and counts; "currency" for amounts in a document's own
    # currency, which add up only when every row has the same currency.
    total: Literal["", "sum", "currency"] = ""


@dataclass
class Table:
    """One export about to be written: its columns, its rows (read lazily from the database), and what
    the spreadsheet shows above the table."""

    sheet_name: str
    title: str
    columns: list[Column]
    rows: Iterator[Row]
    # Index of the currency column (decides whether "currency" totals are written).
    currency_column: int
    count_label: Callable[[int], str]  # "12 documents", from the number of rows
    heading: list[str] = field(default_factory=list)  # period and filters
    notes: list[str] = field(default_factory=list)


# --- Shared --------------------------------------------------------------------------------------


def _chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _check_period(request: ExportRequest) -> None:
    if request.start > request.end:
        raise ExportError(
            _("La date de début (%(start)s) est après la date de fin (%(end)s) : corrigez la période.")
            % {"start": _date(request.start), "end": _date(request.end)}
        )


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


class RevenueAccounts:
    """The revenue account of each sales line, by the FEC's rule (fec.py), so both exports name the
    same accounts: the line's own account (copied from its product) when it is a valid class 7 account;
    else goods or services, kept apart when the sale bears no French VAT (exempt, intra-EU, export,
    reverse charge, or another member state's VAT under OSS), as the CA3 declares those separately."""

    def __init__(self, accounting: AccountingSettings) -> None:
        self.accounting = accounting
        self._own: dict[str, str | None] = {}

    def __call__(self, code: str, supply_kind: str, vat_category: str, vat_country: str) -> str:
        if code:
            if code not in self._own:
                number = normalize_account(code)
                self._own[code] = number if account_problem(number, PRODUCT_RULE) is None else None
            own = self._own[code]
            if own is not None:
                return own
        goods = supply_kind == SupplyKind.GOODS
        accounting = self.accounting
        if vat_category != vat.STANDARD or vat_country != HOME:
            return (
                accounting.revenue_goods_exempt_account
                if goods
                else accounting.revenue_services_exempt_account
            )
        return accounting.revenue_goods_account if goods else accounting.revenue_services_account


def _filter_lines(request: ExportRequest, *, documents: bool) -> list[str]:
    """The filters the export ran with, in the words of the reports' headers."""
    lines = [
        _("Période : du %(start)s au %(end)s") % {"start": _date(request.start), "end": _date(request.end)}
    ]
    if documents and request.kinds:
        lines.append(_("Types : %(kinds)s") % {"kinds": ", ".join(str(Kind(k).label) for k in request.kinds)})
    if documents and request.statuses:
        labels = ", ".join(str(Status(s).label) for s in request.statuses)
        lines.append(_("États : %(statuses)s") % {"statuses": labels})
    if request.countries:
        lines.append(_("Pays : %(countries)s") % {"countries": ", ".join(request.countries)})
    if request.region:
        region = _("Union européenne") if request.region == "eu" else _("Hors Union européenne")
        lines.append(_("Zone : %(region)s") % {"region": region})
    if documents and request.not_exported:
        lines.append(_("Seulement les documents pas encore exportés en comptabilité"))
    return lines


def _local(zone: zoneinfo.ZoneInfo, moment: datetime.datetime | None) -> datetime.datetime | None:
    """An aware datetime as the account's wall-clock time, without time zone (what Excel stores)."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


# --- Invoice export ------------------------------------------------------------------------------

_DOCUMENT_FIELDS = (
    "id",
    "number",
    "kind",
    "issue_date",
    "sell_date",
    "due_date",
    "buyer_name",
    "buyer_siren",
    "buyer_vat_number",
    "buyer_country",
    "client_id",
    "client__accounting_code",
    "currency",
    "exchange_rate",
    "status",
    "gross_total",
    "advances_deducted",
    "paid_total",
    "credited_total",
    "corrected_document_id",
    "exported_at",
    "amount_due_now",  # DocumentQuerySet.with_remaining(): what remains to pay
)


def _head_columns() -> list[Column]:
    """The columns both layouts open with: the document and its client."""
    return [
        Column(_("Numéro"), "text", 16),
        Column(_("Type"), "text", 16),
        Column(_("Date d'émission"), "date", 11),
        Column(_("Date de vente"), "date", 11),
        Column(_("Date d'échéance"), "date", 11),
        Column(_("Client"), "text", 30),
        Column(_("SIREN"), "text", 11),
        Column(_("N° de TVA"), "text", 16),
        Column(_("Pays"), "text", 6),
        Column(_("Compte client"), "text", 12),
        Column(_("Devise"), "text", 7),
        Column(_("Taux de change"), "rate", 10),
    ]


CURRENCY_COLUMN = 10  # index of "Devise" in _head_columns()


def document_columns() -> list[Column]:
    """The per-document layout."""
    columns = _head_columns()
    for rate in FRENCH_RATE_COLUMNS:
        text = vat.rate_text(rate)
        columns.append(Column(_("HT %(rate)s %% (EUR)") % {"rate": text}, "money", 13, "sum"))
        columns.append(Column(_("TVA %(rate)s %% (EUR)") % {"rate": text}, "money", 13, "sum"))
    columns += [
        Column(_("HT à 0 % ou exonéré (EUR)"), "money", 13, "sum"),
        Column(_("HT autres taux (EUR)"), "money", 13, "sum"),
        Column(_("TVA autres taux (EUR)"), "money", 13, "sum"),
        Column(_("HT (EUR)"), "money", 14, "sum"),
        Column(_("TVA (EUR)"), "money", 13, "sum"),
        Column(_("TTC (EUR)"), "money", 14, "sum"),
        Column(_("HT (devise)"), "money", 14, "currency"),
        Column(_("TVA (devise)"), "money", 13, "currency"),
        Column(_("TTC (devise)"), "money", 14, "currency"),
        Column(_("Acomptes déduits (devise)"), "money", 13, "currency"),
        Column(_("État"), "text", 16),
        Column(_("Payé (devise)"), "money", 14, "currency"),
        Column(_("Reste dû (devise)"), "money", 14, "currency"),
        Column(_("Comptes de produit"), "text", 16),
        Column(_("Exporté le"), "datetime", 16),
    ]
    return columns


def line_columns() -> list[Column]:
    """The per-line layout."""
    return [
        *_head_columns(),
        Column(_("Ligne"), "int", 6),
        Column(_("Référence produit"), "text", 14),
        Column(_("Désignation"), "text", 30),
        Column(_("Quantité"), "number", 9),
        Column(_("Prix unitaire (devise)"), "number", 12),
        Column(_("Remise (%)"), "percent", 8),
        Column(_("Taux de TVA"), "percent", 8),
        Column(_("Catégorie de TVA"), "text", 9),
        Column(_("Pays de TVA"), "text", 7),
        Column(_("HT (devise)"), "money", 14, "currency"),
        Column(_("TVA (devise)"), "money", 13, "currency"),
        Column(_("TTC (devise)"), "money", 14, "currency"),
        Column(_("HT (EUR)"), "money", 14, "sum"),
        Column(_("TVA (EUR)"), "money", 13, "sum"),
        Column(_("TTC (EUR)"), "money", 14, "sum"),
        Column(_("Compte de produit"), "text", 12),
        Column(_("État"), "text", 16),
        Column(_("Exporté le"), "datetime", 16),
    ]


@dataclass
class _Context:
    """What every row of one export needs, looked up once: labels in the active language, the
    account's mapping and time zone."""

    request: ExportRequest
    revenue: RevenueAccounts
    zone: zoneinfo.ZoneInfo
    kinds: dict[str, str]
    statuses: dict[tuple[str, str], str]

    @classmethod
    def of(cls, request: ExportRequest) -> "_Context":
        return cls(
            request=request,
            revenue=RevenueAccounts(accounting_settings(request.account)),
            zone=zoneinfo.ZoneInfo(request.account.time_zone),
            kinds={value: str(label) for value, label in Kind.choices},
            # Each kind's words for each state ("Payée" for a facture, "Payé" for a reçu), looked up once.
            statuses={
                (kind, status): status_label(kind, status) for kind in Kind.values for status in Status.values
            },
        )

    def head(self, document: Any) -> Row:
        return (
            document.number,
            self.kinds.get(document.kind, document.kind),
            document.issue_date,
            document.sell_date,
            document.due_date,
            document.buyer_name,
            document.buyer_siren,
            document.buyer_vat_number,
            document.buyer_country,
            customer_auxiliary(document.client_id, document.client__accounting_code),
            document.currency,
            document.exchange_rate,
        )


def invoice_table(request: ExportRequest, progress: Progress) -> Table:
    """The invoice export of the request, in its layout; ExportError when there is nothing to export."""
    _check_period(request)
    if request.layout not in ("document", "line"):
        raise ExportError(
            _("Disposition inconnue : choisissez une ligne par document ou par ligne de facture.")
        )
    documents = selection.sales_documents(request)
    total = documents.count()
    if not total:
        raise ExportError(
            _(
                "Aucun document de vente du %(start)s au %(end)s avec ces filtres : choisissez une autre "
                "période ou retirez des filtres."
            )
            % {"start": _date(request.start), "end": _date(request.end)}
        )
    context = _Context.of(request)
    notes = [
        _(
            "Avoirs en négatif. Une facture de solde compte hors acomptes déduits : les factures "
            "d'acompte sont comptées à leur date."
        ),
    ]
    chunks = _chunks(
        documents.with_remaining().values_list(*_DOCUMENT_FIELDS, named=True).iterator(chunk_size=CHUNK_SIZE),
        CHUNK_SIZE,
    )
    if request.layout == "line":
        notes.append(
            _(
                "La TVA et les montants en EUR d'une ligne sont arrondis ligne par ligne : leur somme peut "
                "différer de quelques centimes de celle du document, calculée par taux."
            )
        )
        return Table(
            sheet_name=_("Lignes de factures"),
            title=_("Export des factures (une ligne par ligne de facture)"),
            columns=line_columns(),
            rows=_counted(_line_rows(context, chunks), total, progress),
            currency_column=CURRENCY_COLUMN,
            count_label=lambda n: ngettext("%(n)d ligne", "%(n)d lignes", n) % {"n": n},
            heading=_filter_lines(request, documents=True),
            notes=notes,
        )
    notes.append(
        _(
            "Montants par taux : TVA française ; la TVA due dans un autre État membre (OSS) figure dans "
            "« autres taux »."
        )
    )
    return Table(
        sheet_name=_("Factures"),
        title=_("Export des factures"),
        columns=document_columns(),
        rows=_counted(_document_rows(context, chunks), total, progress),
        currency_column=CURRENCY_COLUMN,
        count_label=lambda n: ngettext("%(n)d document", "%(n)d documents", n) % {"n": n},
        heading=_filter_lines(request, documents=True),
        notes=notes,
    )


def _counted(chunks: Iterator[tuple[list[Row], int]], total: int, progress: Progress) -> Iterator[Row]:
    """The rows of each chunk, then progress(source rows done, total)."""
    done = 0
    for rows, documents in chunks:
        yield from rows
        done += documents
        progress(min(done, total), total)


_RATE_INDEX = {rate: index for index, rate in enumerate(FRENCH_RATE_COLUMNS)}


@dataclass
class _Amounts:
    """A document's amounts, summed from its VAT rows (what its document row shows)."""

    # EUR base and VAT at each rate of FRENCH_RATE_COLUMNS, in France, flattened: [base, VAT, base, ...].
    french: list[Decimal] = field(default_factory=lambda: [ZERO] * 2 * len(FRENCH_RATE_COLUMNS))
    without_vat: Decimal = ZERO  # EUR base at 0 %
    other_base: Decimal = ZERO  # EUR base and VAT at other rates (another member state's, under OSS)
    other_vat: Decimal = ZERO
    base_eur: Decimal = ZERO
    vat_eur: Decimal = ZERO
    base: Decimal = ZERO  # in the document's currency
    vat_amount: Decimal = ZERO

    def add(self, rate: Decimal, country: str, base: Decimal, vat_amount: Decimal, base_eur: Decimal, vat_eur: Decimal) -> None:  # fmt: skip
        index = _RATE_INDEX.get(rate) if country == HOME else None
        if not rate:
            self.without_vat += base_eur
        elif index is not None:
            self.french[2 * index] += base_eur
            self.french[2 * index + 1] += vat_eur
        else:
            self.other_base += base_eur
            self.other_vat += vat_eur
        self.base_eur += base_eur
        self.vat_eur += vat_eur
        self.base += base
        self.vat_amount += vat_amount


# The queries of a chunk's VAT rows, lines and allocations select them by the ids of rows the
# account's own queryset returned, which scopes them to the account. They add no account_id condition:
# SQLite would then read the account's whole account_id index instead of the document_id one (17 times
# slower on bench-0001).


def _document_rows(context: _Context, chunks: Iterator[list[Any]]) -> Iterator[tuple[list[Row], int]]:
    revenue_account = context.revenue
    for chunk in chunks:
        ids = [document.id for document in chunk]
        amounts: dict[int, _Amounts] = defaultdict(_Amounts)
        buckets: dict[int, list[tuple[Decimal, str, str, str, str]]] = defaultdict(list)
        for document_id, rate, category, country, supply_kind, reason, *values in (
            DocumentVatLine.objects.filter(document_id__in=ids)
            .order_by()
            .values_list(
                "document_id", "vat_rate", "vat_category", "vat_country", "supply_kind", "exemption_reason",
                "base", "vat_amount", "base_eur", "vat_amount_eur",
            )
        ):  # fmt: skip
            amounts[document_id].add(rate, country, *values)
            buckets[document_id].append((rate, category, country, supply_kind, reason))
        own = _own_accounts(ids, revenue_account)
        rows: list[Row] = []
        for document in chunk:
            found = amounts[document.id]
            accounts: set[str] = set()
            coded = own.get(document.id)
            for key in buckets[document.id]:
                # As the FEC books a VAT row: on the accounts its lines name, else the default account.
                named = coded.get(key) if coded else None
                accounts.update(named or (revenue_account("", key[3], key[1], key[2]),))
            rows.append(
                (
                    *context.head(document),
                    *found.french,
                    found.without_vat,
                    found.other_base,
                    found.other_vat,
                    found.base_eur,
                    found.vat_eur,
                    found.base_eur + found.vat_eur,
                    found.base,
                    found.vat_amount,
                    found.base + found.vat_amount,
                    document.advances_deducted,
                    context.statuses.get((document.kind, document.status), document.status),
                    document.paid_total,
                    document.amount_due_now,
                    " ; ".join(sorted(accounts)),
                    _local(context.zone, document.exported_at),
                )
            )
        yield rows, len(chunk)


def _own_accounts(
    ids: list[int], revenue_account: RevenueAccounts
) -> dict[int, dict[tuple[Decimal, str, str, str, str], set[str]]]:
    """For the documents some line of which names its own revenue account (few: most lines have
    none), the accounts of each VAT bucket's lines: own ones, and the default one of lines without.
    One query for the chunk, and a second only when some document has such a line."""
    coded = list(
        DocumentLine.objects.filter(document_id__in=ids)
        .exclude(accounting_code="")
        .order_by()
        .values_list("document_id", flat=True)
        .distinct()
    )
    found: dict[int, dict[tuple[Decimal, str, str, str, str], set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    if not coded:
        return found
    for document_id, rate, category, country, supply_kind, reason, code in (
        DocumentLine.objects.filter(document_id__in=coded)
        .order_by()
        .values_list(
            "document_id", "vat_rate", "vat_category", "vat_country", "supply_kind", "exemption_reason",
            "accounting_code",
        )
    ):  # fmt: skip
        applied = rate if category == vat.STANDARD else ZERO  # the rate of its VAT row
        key = (applied, category, country, supply_kind, reason)
        found[document_id][key].add(revenue_account(code, supply_kind, category, country))
    return found


def _line_rows(context: _Context, chunks: Iterator[list[Any]]) -> Iterator[tuple[list[Row], int]]:
    revenue_account = context.revenue
    for chunk in chunks:
        ids = [document.id for document in chunk]
        lines: dict[int, list[Any]] = defaultdict(list)
        for line in (
            DocumentLine.objects.filter(document_id__in=ids)
            .order_by("document_id", "position", "id")
            .values_list(
                "document_id", "product__code", "name", "quantity", "unit_price",
                "discount_percent", "vat_rate", "vat_category", "vat_country", "supply_kind",
                "accounting_code", "net_amount", "gross_amount", named=True,
            )
        ):  # fmt: skip
            lines[line.document_id].append(line)
        deductions = _deductions(chunk)
        rows = []
        for document in chunk:
            head = context.head(document)
            status = context.statuses.get((document.kind, document.status), document.status)
            exported_at = _local(context.zone, document.exported_at)
            rate = document.exchange_rate
            position = 0  # the line's number within the document (the deduction rows follow its lines)
            for line in lines[document.id]:
                position += 1
                net_eur, gross_eur = to_eur(line.net_amount, rate), to_eur(line.gross_amount, rate)
                effective = line.vat_rate if line.vat_category == vat.STANDARD else ZERO
                rows.append(
                    (
                        *head,
                        position,
                        line.product__code or "",
                        line.name,
                        line.quantity,
                        line.unit_price,
                        line.discount_percent,
                        effective,
                        line.vat_category,
                        line.vat_country,
                        line.net_amount,
                        line.gross_amount - line.net_amount,
                        line.gross_amount,
                        net_eur,
                        gross_eur - net_eur,
                        gross_eur,
                        revenue_account(
                            line.accounting_code,
                            line.supply_kind,
                            line.vat_category,
                            line.vat_country,
                        ),
                        status,
                        exported_at,
                    )
                )
            for label, bucket in deductions.get(document.id, ()):
                position += 1
                rows.append(
                    (
                        *head,
                        position,
                        "",
                        label,
                        None,
                        None,
                        None,
                        bucket.vat_rate,
                        bucket.vat_category,
                        bucket.vat_country,
                        bucket.base,
                        bucket.vat_amount,
                        bucket.base + bucket.vat_amount,
                        bucket.base_eur,
                        bucket.vat_amount_eur,
                        bucket.base_eur + bucket.vat_amount_eur,
                        revenue_account("", bucket.supply_kind, bucket.vat_category, bucket.vat_country),
                        status,
                        exported_at,
                    )
                )
        yield rows, len(chunk)


def _deductions(chunk: list[Any]) -> dict[int, list[tuple[str, VatBucket]]]:
    """The advances the chunk's final invoices deduct, and those that total credit notes of final
    invoices take back (Document.advance_deductions), labelled as the rows that follow the document's
    lines: with them, a final invoice's lines add up to its VAT rows. Queries only for chunks that hold
    such documents."""
    holders = [
        document.id
        for document in chunk
        if document.advances_deducted
        and (
            document.kind == Kind.FINAL
            or (document.kind == Kind.CREDIT_NOTE and document.corrected_document_id)
        )
    ]
    if not holders:
        return {}
    found: dict[int, list[tuple[str, VatBucket]]] = {}
    for document in (
        Document.objects.filter(pk__in=holders)
        .only("id", "kind", "advances_deducted", "corrected_document_id")
        .prefetch_related("deducted_advances__vat_lines", "corrected_document__deducted_advances__vat_lines")
    ):
        label = (
            _("Acompte %(number)s déduit")
            if document.kind == Kind.FINAL
            else _("Déduction de l'acompte %(number)s annulée")
        )
        found[document.id] = [
            (label % {"number": deduction.number}, bucket)
            for deduction in document.advance_deductions()
            for bucket in deduction.buckets
        ]
    return found


# --- Payments export -----------------------------------------------------------------------------

RECEIVED, PAID = 0, 1  # directions; received payments first on a given day


def payment_columns() -> list[Column]:
    return [
        Column(_("Date"), "date", 11),
        Column(_("Sens"), "text", 13),
        Column(_("Montant"), "money", 14, "currency"),
        Column(_("Devise"), "text", 7),
        Column(_("Mode de paiement"), "text", 15),
        Column(_("Référence"), "text", 18),
        Column(_("Client ou fournisseur"), "text", 30),
        Column(_("Compte auxiliaire"), "text", 12),
        Column(_("Documents réglés"), "text", 40),
        Column(_("Nombre de documents"), "int", 10, "sum"),
    ]


PAYMENT_CURRENCY_COLUMN = 3


def payments_table(request: ExportRequest, progress: Progress) -> Table:
    """The payments export of the request; ExportError when the period holds no payment."""
    _check_period(request)
    received = selection.payments(request) if request.scope in ("sales", "all") else None
    paid = selection.expense_payments(request) if request.scope in ("purchases", "all") else None
    total = (received.count() if received is not None else 0) + (paid.count() if paid is not None else 0)
    if not total:
        raise ExportError(
            _(
                "Aucun paiement reçu ou émis du %(start)s au %(end)s avec ces filtres : choisissez une autre "
                "période ou retirez des filtres."
            )
            % {"start": _date(request.start), "end": _date(request.end)}
        )
    streams: list[Iterator[tuple[Any, ...]]] = []
    if received is not None:
        streams.append(
            (p.date, RECEIVED, p.id, p)
            for p in received.values_list(
                "id", "date", "amount", "currency", "method", "reference", "client_id", "client__name",
                "client__accounting_code", named=True,
            ).iterator(chunk_size=CHUNK_SIZE)
        )  # fmt: skip
    if paid is not None:
        streams.append(
            (p.date, PAID, p.id, p)
            for p in paid.values_list(
                "id", "date", "amount", "expense__currency", "method", "reference", "expense__supplier_id",
                "expense__supplier__name", "expense__supplier__accounting_code", "expense__supplier_number",
                named=True,
            ).iterator(chunk_size=CHUNK_SIZE)
        )  # fmt: skip
    # Both querysets are ordered by (date, id): merged, the file stays chronological, reading one
    # chunk of each at a time.
    merged = heapq.merge(*streams, key=lambda item: item[:3])
    heading = _filter_lines(request, documents=False)
    if request.scope == "sales":
        heading.append(_("Seulement les paiements reçus des clients"))
    elif request.scope == "purchases":
        heading.append(_("Seulement les paiements émis vers les fournisseurs"))
    return Table(
        sheet_name=_("Paiements"),
        title=_("Export des paiements"),
        columns=payment_columns(),
        rows=_counted(_payment_rows(request, _chunks(merged, CHUNK_SIZE)), total, progress),
        currency_column=PAYMENT_CURRENCY_COLUMN,
        count_label=lambda n: ngettext("%(n)d paiement", "%(n)d paiements", n) % {"n": n},
        heading=heading,
        notes=[
            _(
                "Montants signés : positifs pour l'argent reçu des clients, négatifs pour l'argent payé "
                "aux fournisseurs. Montants réglés dans la devise du paiement."
            )
        ],
    )


def _payment_rows(request: ExportRequest, chunks: Iterator[list[Any]]) -> Iterator[tuple[list[Row], int]]:
    methods = {value: str(label) for value, label in PaymentMethod.choices}
    directions = {RECEIVED: _("Encaissement"), PAID: _("Décaissement")}
    separator = str(formats.get_format("DECIMAL_SEPARATOR"))
    without_number = _("sans numéro")

    def settled(number: str, amount: Decimal) -> str:
        """ "F-2026-0001 (100,00)": a document and the amount put on it, as the user writes numbers."""
        return f"{number} ({f'{amount:.2f}'.replace('.', separator)})"

    for chunk in chunks:
        received_ids = [payment_id for _day, direction, payment_id, _row in chunk if direction == RECEIVED]
        allocations: dict[int, list[str]] = defaultdict(list)
        if received_ids:
            for payment_id, number, amount in (
                PaymentAllocation.objects.filter(payment_id__in=received_ids)
                .order_by("payment_id", "id")
                .values_list("payment_id", "document__number", "amount")
            ):
                allocations[payment_id].append(settled(number, amount))
        rows: list[Row] = []
        for _day, direction, payment_id, payment in chunk:
            if direction == RECEIVED:
                documents = allocations[payment_id]
                amount, currency, party = payment.amount, payment.currency, payment.client__name or ""
                auxiliary = (
                    customer_auxiliary(payment.client_id, payment.client__accounting_code)
                    if payment.client_id is not None
                    else ""
                )
            else:
                documents = [settled(payment.expense__supplier_number or without_number, payment.amount)]
                amount, currency, party = (
                    -payment.amount,
                    payment.expense__currency,
                    payment.expense__supplier__name,
                )
                auxiliary = supplier_auxiliary(
                    payment.expense__supplier_id, payment.expense__supplier__accounting_code
                )
            rows.append(
                (
                    payment.date,
                    directions[direction],
                    amount,
                    currency,
                    methods.get(payment.method, payment.method),
                    payment.reference,
                    party,
                    auxiliary,
                    " ; ".join(documents),
                    len(documents),
                )
            )
        yield rows, len(chunk)


# --- CSV -----------------------------------------------------------------------------------------

CENT = Decimal("0.01")


def _money_cell(value: Decimal) -> Decimal:
    """Two decimals ("1234.50"). Stored amounts, and sums of them, have two; a zero read from SQLite's
    floating point may carry a sign, which a file has no reason to show."""
    rounded = Decimal(value).quantize(CENT)
    return rounded if rounded else abs(rounded)


def _csv_formatter(kind: ColumnKind) -> Callable[[Any], csvfiles.Cell]:
    # Typed values go to lib/csvfiles, which writes numbers as numbers and neutralises text that a
    # spreadsheet would run as a formula.
    if kind == "money":
        return _money_cell
    if kind == "datetime":
        return lambda value: value.isoformat(sep=" ", timespec="minutes")
    return lambda value: value


def write_csv(table: Table, out: IO[bytes]) -> None:
    """The table as CSV: a byte-order mark, the header row, then one line per row (CRLF, ";")."""
    formatters = [_csv_formatter(column.kind) for column in table.columns]
    buffer = io.StringIO(newline="")
    writer = csvfiles.writer(buffer, delimiter=";")

    def flush() -> None:
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()

    out.write(codecs.BOM_UTF8)
    writer.writerow([column.label for column in table.columns])
    for count, row in enumerate(table.rows, start=1):
        writer.writerow(
            [None if value is None else f(value) for f, value in zip(formatters, row, strict=True)]
        )
        if count % CSV_FLUSH_ROWS == 0:
            flush()
    flush()


# --- Excel ---------------------------------------------------------------------------------------

RATE_FORMAT = "0.0000##"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_NUMBER_FORMATS: dict[str, str] = {
    "date": DATE_FORMAT,
    "datetime": DATETIME_FORMAT,
    "money": MONEY_FORMAT,
    "number": NUMBER_FORMAT,
    "rate": RATE_FORMAT,
    "percent": PERCENT_FORMAT,
    "int": INT_FORMAT,
}
NUMERIC_KINDS = frozenset({"money", "number", "rate", "percent", "int"})


def write_xlsx(table: Table, out: IO[bytes], account: Account) -> None:
    """The table as an Excel workbook of one sheet: the title, period, filters and notes, a bold header
    row (frozen, with an autofilter), the rows, and a bold totals row. Rows go out in order
    (constant_memory), so memory does not grow with the number of rows."""
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            # Text is data: a client named "=HYPERLINK(...)" stays a name (rows use typed writes anyway).
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": table.title, "company": account.name})
    sheet = workbook.add_worksheet(table.sheet_name[:31])
    title_format = workbook.add_format({"bold": True, "font_size": 14})
    muted = workbook.add_format({"italic": True, "font_color": "#5d6773"})
    header = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    header_numeric = workbook.add_format(
        {"bold": True, "bottom": 1, "text_wrap": True, "valign": "top", "align": "right"}
    )
    cell_formats = {kind: workbook.add_format({"num_format": f}) for kind, f in _NUMBER_FORMATS.items()}
    total_formats = {
        kind: workbook.add_format({"num_format": f, "bold": True, "top": 1})
        for kind, f in _NUMBER_FORMATS.items()
    }
    total_text = workbook.add_format({"bold": True, "top": 1})

    row = 0
    sheet.write_string(row, 0, f"{account.name} — {table.title}", title_format)
    for line in [*table.heading, *table.notes]:
        row += 1
        sheet.write_string(row, 0, line, muted)
    header_row = row + 2
    columns = table.columns
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width)
        sheet.write_string(
            header_row, col, column.label, header_numeric if column.kind in NUMERIC_KINDS else header
        )
    sheet.freeze_panes(header_row + 1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)

    writers = [_cell_writer(sheet, column.kind, cell_formats.get(column.kind)) for column in columns]
    summed = [index for index, column in enumerate(columns) if column.total]
    totals = dict.fromkeys(summed, Decimal(0))
    currencies: set[Any] = set()
    currency_column = table.currency_column
    row = header_row
    for values in table.rows:
        row += 1
        for col, (write, value) in enumerate(zip(writers, values, strict=True)):
            if value is not None and value != "":
                write(row, col, value)
        for index in summed:
            value = values[index]
            if value is not None:
                totals[index] += value  # type: ignore[operator]
        currencies.add(values[currency_column])
    count = row - header_row
    sheet.autofilter(header_row, 0, row, len(columns) - 1)

    row += 1
    one_currency = len(currencies) == 1
    for col, column in enumerate(columns):
        if col == 0:
            sheet.write_string(
                row, col, _("Total : %(count)s") % {"count": table.count_label(count)}, total_text
            )
        elif col in totals and (column.total == "sum" or one_currency):
            sheet.write_number(row, col, float(totals[col]), total_formats[column.kind])
        elif col == currency_column and one_currency:
            sheet.write_string(row, col, str(next(iter(currencies))), total_text)
        else:
            sheet.write_blank(row, col, None, total_text)
    workbook.close()


def _cell_writer(sheet: Any, kind: ColumnKind, cell_format: Any) -> Callable[[int, int, Any], Any]:
    """The typed write of a column: numbers as numbers, dates as dates, text as text (never a formula)."""
    if kind in ("date", "datetime"):
        return lambda row, col, value: sheet.write_datetime(row, col, value, cell_format)
    if kind in NUMERIC_KINDS:
        return lambda row, col, value: sheet.write_number(row, col, float(value), cell_format)
    return lambda row, col, value: sheet.write_string(row, col, value)


# --- The writers (base.Writer) -------------------------------------------------------------------


def write_invoices_csv(request: ExportRequest, out: IO[bytes], progress: Progress) -> None:
    """The invoice export (per document or per line: request.layout) as CSV."""
    write_csv(invoice_table(request, progress), out)


def write_invoices_xlsx(request: ExportRequest, out: IO[bytes], progress: Progress) -> None:
    """The invoice export (per document or per line: request.layout) as an Excel workbook."""
    write_xlsx(invoice_table(request, progress), out, request.account)


def write_payments_csv(request: ExportRequest, out: IO[bytes], progress: Progress) -> None:
    """The payments received and paid in the period (request.scope narrows it) as CSV."""
    write_csv(payments_table(request, progress), out)


def write_payments_xlsx(request: ExportRequest, out: IO[bytes], progress: Progress) -> None:
    """The payments received and paid in the period (request.scope narrows it) as an Excel workbook."""
    write_xlsx(payments_table(request, progress), out, request.account)
