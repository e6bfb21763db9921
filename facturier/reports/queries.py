"""The five reports, as `base.Report`s: the one computation behind the page, the files and the command.

Where each report reads, and why:
- revenue, expense and unpaid lists: the documents themselves (one row per document, with the totals
  the services stored); a page of rows is one query with LIMIT, its totals one aggregate query, so a
  page costs the same whatever the length of the list;
- VAT register and OSS return: the VAT summary (reports/summaries.py), one row per day and bucket, so
  a year of a large account is summed in milliseconds; the OSS corrections read the few credit notes
  of the quarter.

Amounts are in EUR as stored (each document converted at its own rate); sums of stored amounts are
exact. A document's amounts are those of its VAT rows: a final invoice counts net of the advances it
deducts (they count on their own), so lists and VAT register add up to the same figures.
"""

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from facturier.billing import queries as billing_queries
from facturier.billing.charts import month_label
from facturier.billing.models import (
    OPEN_STATUSES,
    PAYABLE_KINDS,
    Document,
    DocumentLine,
    DocumentQuerySet,
    DocumentVatLine,
    Kind,
    Status,
    SupplyKind,
)
from facturier.lib import vat
from facturier.lib.countries import EU_MEMBERS, country_name
from facturier.lib.dates import date_text
from facturier.lib.money import ZERO, amount_text, from_cents, round_money, to_eur
from facturier.purchases.models import Expense, ExpenseCategory, ExpenseStatus
from facturier.reports import summaries
from facturier.reports.base import REPORT_CODES, ChartBar, Column, Report, ReportFilters, Table, VatMode
from facturier.reports.base import Value as Cell
from facturier.reports.models import DateKind, Direction, ReportSummary, Span
from facturier.tenancy.models import Account

# Sales documents in the books; quotes and proformas are not sales.
REVENUE_KINDS = (Kind.INVOICE, Kind.ADVANCE, Kind.FINAL, Kind.RECEIPT, Kind.CREDIT_NOTE)
# Issued payable documents that may still be owed something.
OSS_THRESHOLD = Decimal("10000.00")
HOME = "FR"  # the country of the accounts' VAT returns (CA3)

_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
_ZERO = Value(ZERO, output_field=_MONEY)


# --- Shared ----------------------------------------------------------------------------------------


def _sum(rows: Iterable[dict[str, Cell]], key: str) -> Decimal:
    """The sum of a money column."""
    total = ZERO
    for row in rows:
        value = row.get(key)
        if isinstance(value, Decimal):
            total += value
    return total


def _money(value: Decimal | None) -> Decimal:
    return round_money(value) if value is not None else ZERO


def _filter_summary(filters: ReportFilters, *fields: str, categories: Iterable[str] = ()) -> list[str]:
    """The filters a report ran with, as lines for the outputs' headers ("Pays : FR, DE")."""
    lines = [
        _("Période : du %(start)s au %(end)s")
        % {"start": date_text(filters.start), "end": date_text(filters.end)}
    ]
    if "kinds" in fields and filters.kinds:
        lines.append(_("Types : %(kinds)s") % {"kinds": ", ".join(str(Kind(k).label) for k in filters.kinds)})
    if "statuses" in fields and filters.statuses:
        labels = ", ".join(str(Status(s).label) for s in filters.statuses)
        lines.append(_("États : %(statuses)s") % {"statuses": labels})
    if "countries" in fields and filters.countries:
        lines.append(_("Pays : %(countries)s") % {"countries": ", ".join(filters.countries)})
    if "countries" in fields and filters.region:
        region = _("Union européenne") if filters.region == "eu" else _("Hors Union européenne")
        lines.append(_("Zone : %(region)s") % {"region": region})
    if "currency" in fields and filters.currency:
        lines.append(_("Devise : %(currency)s") % {"currency": filters.currency})
    if "vat_mode" in fields:
        lines.append(_vat_mode_label(filters))
    if "group_by" in fields and filters.group_by:
        lines.append(_("Regroupement : %(group)s") % {"group": _group_label(filters.group_by)})
    names = list(categories)
    if names:
        lines.append(_("Catégories : %(names)s") % {"names": ", ".join(names)})
    return lines


def _vat_mode_label(filters: ReportFilters) -> str:
    if filters.vat_mode == "due":
        return _("TVA à la date d'exigibilité (livraison pour les biens, encaissement pour les services)")
    return _("TVA à la date des documents (débits)")


def _group_label(group_by: str) -> str:
    return {
        "month": _("par mois"),
        "client": _("par client"),
        "country": _("par pays"),
        "product": _("par produit"),
    }.get(group_by, group_by)


def _window(rows: QuerySet[Any], limit: int | None, offset: int) -> QuerySet[Any]:
    return rows[offset : offset + limit] if limit is not None else rows[offset:]


def _country_filter(field: str, filters: ReportFilters) -> Q:
    condition = Q()
    if filters.countries:
        condition &= Q(**{f"{field}__in": filters.countries})
    if filters.region == "eu":
        condition &= Q(**{f"{field}__in": EU_MEMBERS})
    elif filters.region == "non-eu":
        condition &= ~Q(**{f"{field}__in": EU_MEMBERS})
    return condition


def _sales(account: Account, filters: ReportFilters, kinds: Iterable[str]) -> DocumentQuerySet:
    """Issued sales documents of these kinds dated in the period, with the list filters applied."""
    rows = Document.objects.filter(account=account, issue_date__range=(filters.start, filters.end))
    if filters.kinds:
        rows = rows.filter(kind__in=[kind for kind in kinds if kind in filters.kinds])
    else:
        # Written as an exclusion: given a list of kinds, SQLite reads the (account, kind, issue_date)
        # index once per kind, twice as slow as the (account, issue_date) range for a year of a large
        # account (bench-0001).
        rows = rows.exclude(kind__in=[kind for kind in Kind.values if kind not in kinds])
    rows = rows.real().exclude(status=Status.DRAFT).filter(_country_filter("buyer_country", filters))
    if filters.statuses:
        rows = rows.filter(status__in=filters.statuses)
    if filters.currency:
        rows = rows.filter(currency=filters.currency)
    return rows


# --- Revenue list ----------------------------------------------------------------------------------


def _left_out(field: str) -> Case:
    """What a document's VAT rows leave out of its stored totals (`field`, in EUR): on a final invoice
    the advances it deducts (declared with the advances themselves); on a total credit note of a final
    invoice, those advances taken back (negative)."""

    def advances_of(reference: str) -> Coalesce:
        total = (
            Document.objects.filter(deducted_in=OuterRef(reference))
            .order_by()
            .values("deducted_in")
            .annotate(total=Sum(field))
            .values("total")
        )
        return Coalesce(Subquery(total, output_field=_MONEY), _ZERO)

    return Case(
        When(kind=Kind.FINAL, then=advances_of("pk")),
        When(Q(kind=Kind.CREDIT_NOTE) & ~Q(advances_deducted=0), then=-advances_of("corrected_document_id")),
        default=_ZERO,
        output_field=_MONEY,
    )


def _revenue_amounts() -> dict[str, Any]:
    return {
        "net_eur": F("net_total_eur") - _left_out("net_total_eur"),
        "vat_eur": F("vat_total_eur") - _left_out("vat_total_eur"),
        "gross_eur": F("gross_total_eur") - _left_out("gross_total_eur"),
        "due": F("gross_total") - F("advances_deducted"),
    }


# Documents whose VAT rows leave out part of their stored totals (see _left_out): few.
_LEAVES_OUT = Q(kind=Kind.FINAL) | (Q(kind=Kind.CREDIT_NOTE) & ~Q(advances_deducted=0))


def _sales_sums(sales: QuerySet[Document], group: str) -> dict[Any, dict[str, Any]]:
    """Count, EUR amounts and amount due (in the documents' currency) of the documents per `group`
    column, with the name of their buyer: the stored totals summed by the database, then corrected for
    the advances final invoices leave out. Two queries: correlated subqueries inside the aggregate
    would mislead the planner (PostgreSQL chose a sequential scan of every account's documents)."""
    sums: dict[Any, dict[str, Any]] = {}
    # The buyer's name only to label clients: elsewhere it would make the database read every row.
    name = {"name": Max("buyer_name")} if group == "client_id" else {}
    for row in (
        sales.order_by()
        .values(group)
        .annotate(
            **name,
            count=Count("id"),
            net=Sum("net_total_eur"),
            vat=Sum("vat_total_eur"),
            gross=Sum("gross_total_eur"),
            due=Sum(F("gross_total") - F("advances_deducted")),
        )
    ):
        sums[row[group]] = {**row, **{name: _money(row[name]) for name in ("net", "vat", "gross", "due")}}
    left_out = sales.filter(_LEAVES_OUT).annotate(
        left_net=_left_out("net_total_eur"),
        left_vat=_left_out("vat_total_eur"),
        left_gross=_left_out("gross_total_eur"),
    )
    for key, net, vat_amount, gross in left_out.values_list(group, "left_net", "left_vat", "left_gross"):
        sums[key]["net"] -= net
        sums[key]["vat"] -= vat_amount
        sums[key]["gross"] -= gross
    return sums


def revenue_by_month(
    account: Account, today: datetime.date, months: int = 12
) -> list[tuple[datetime.date, Decimal]]:
    """Net revenue in EUR per month for the `months` months ending with today's, oldest first, empty
    months included: the sales bases of the monthly summary rows (by document date), so a final invoice
    counts net of the advances it deducts and credit notes negative, as in the revenue list. One query
    over at most a few hundred rows, whatever the number of documents."""
    first = billing_queries.month_start(today, months - 1)
    rows = (
        ReportSummary.objects.filter(
            account=account,
            date_kind=DateKind.DOCUMENT,
            direction=Direction.SALE,
            span=Span.MONTH,
            day__gte=first,
            day__lte=today,
            document_kind__in=REVENUE_KINDS,
        )
        .values("day")
        .annotate(total=Sum("base_eur"))
    )
    by_month = {row["day"]: round_money(row["total"] or ZERO) for row in rows}
    starts = [billing_queries.month_start(today, back) for back in range(months - 1, -1, -1)]
    return [(start, by_month.get(start, ZERO)) for start in starts]


def _month(day: datetime.date) -> str:
    return f"{day:%Y-%m}"


def revenue_list(
    account: Account, filters: ReportFilters, *, limit: int | None = None, offset: int = 0
) -> Report:
    """Issued sales documents of the period, credit notes negative, with totals, a chart of revenue
    by month and, with `filters.group_by`, a table of subtotals. Three queries (four by product, five
    by client or country).
    `limit`/`offset` select one page of rows; totals, chart and subtotals cover the whole list."""
    sales = _sales(account, filters, REVENUE_KINDS)
    amounts = _revenue_amounts()
    rows = _window(
        sales.annotate(
            net_eur=amounts["net_eur"], vat_eur=amounts["vat_eur"], gross_eur=amounts["gross_eur"], due=amounts["due"]
        )
        .order_by("issue_date", "id")
        .values_list(
            "issue_date", "number", "kind", "buyer_name", "buyer_country", "net_eur", "vat_eur", "gross_eur",
            "due", "currency", "status",
        ),
        limit,
        offset,
    )  # fmt: skip
    table = Table(
        title=_("Documents de vente"),
        columns=[
            Column("date", _("Date"), "date"),
            Column("number", _("Numéro")),
            Column("kind", _("Type")),
            Column("client", _("Client")),
            Column("country", _("Pays")),
            Column("net", _("HT (EUR)"), "money"),
            Column("vat", _("TVA (EUR)"), "money"),
            Column("gross", _("TTC (EUR)"), "money"),
            Column("amount", _("TTC (devise)"), "money"),
            Column("currency", _("Devise")),
            Column("status", _("État")),
        ],
        rows=[
            {
                "date": day,
                "number": number,
                "kind": str(Kind(kind).label),
                "client": client,
                "country": country,
                "net": net,
                "vat": vat_amount,
                "gross": gross,
                "amount": due,
                "currency": currency,
                "status": str(Status(status).label),
            }
            for day, number, kind, client, country, net, vat_amount, gross, due, currency, status in rows
        ],
    )
    # Sums per month: the totals, the chart and the monthly subtotals all come from them.
    months = _revenue_by_month(account, filters, sales)
    count = int(sum(month[0] for month in months.values()))
    totals = {
        name: sum((month[index] for month in months.values()), ZERO)
        for index, name in enumerate(("count", "net", "vat", "gross", "due"))
    }
    table.totals = {
        "number": _("Total"),
        "client": ngettext("%(n)d document", "%(n)d documents", count) % {"n": count},
        "net": totals["net"],
        "vat": totals["vat"],
        "gross": totals["gross"],
        # Amounts in several currencies do not add up: only a one-currency list has this total.
        "amount": totals["due"] if filters.currency else None,
        "currency": filters.currency or None,
    }
    table.row_count = count if (limit is not None or offset) else None
    table.notes = [
        _(
            "Avoirs en négatif. Une facture de solde compte hors acomptes déduits : les factures "
            "d'acompte sont comptées à leur date."
        )
    ]
    report = Report(
        code="revenue",
        title=_("Liste des revenus"),
        start=filters.start,
        end=filters.end,
        filter_summary=_filter_summary(filters, "kinds", "statuses", "countries", "currency", "group_by"),
        tables=[table],
        chart_title=_("Chiffre d'affaires HT par mois (EUR)"),
        # Months named as the dashboard's chart names them ("juin", "juil.", the year on January).
        chart=[
            ChartBar(month_label(datetime.date.fromisoformat(f"{month}-01")), values[1])
            for month, values in months.items()
        ],
    )
    if filters.group_by == "month":
        report.tables.append(
            _subtotals(
                _("Par mois"),
                Column("month", _("Mois")),
                [
                    (label, int(values[0]), values[1], values[2], values[3])
                    for label, values in months.items()
                ],
            )
        )
    elif filters.group_by in ("client", "country"):
        report.tables.append(_group_table(sales, filters.group_by))
    elif filters.group_by == "product":
        report.tables.append(_product_table(sales))
    return report


def _revenue_by_month(
    account: Account, filters: ReportFilters, sales: QuerySet[Document]
) -> dict[str, list[Decimal]]:
    """Per month of the period ("YYYY-MM", in order): the number of documents, their net, VAT and gross
    amounts in EUR, and their amount due in their currencies.

    A document's amounts in the list are those of its VAT rows, which is what the VAT summary adds up by
    document date: unless the list is filtered on what the summary does not record (statuses, currency),
    the amounts come from it (a few hundred rows for a year) rather than from every document of the
    period; the count from the documents' index alone. The amount due is shown only for one currency, so
    only that way (from the documents) is it summed."""
    months: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO, ZERO])
    if filters.statuses or filters.currency:
        for day in _sales_sums(sales, "issue_date").values():
            month = months[_month(day["issue_date"])]
            for index, name in enumerate(("count", "net", "vat", "gross", "due")):
                month[index] += day[name]
        return dict(sorted(months.items()))
    for day, count in sales.order_by().values_list("issue_date").annotate(count=Count("id")):
        months[_month(day)][0] += count
    kinds = [kind for kind in REVENUE_KINDS if not filters.kinds or kind in filters.kinds]
    for row in summaries.sums(
        account,
        DateKind.DOCUMENT,
        filters.start,
        filters.end,
        ["day"],
        directions=[Direction.SALE],
        where=Q(document_kind__in=kinds) & _country_filter("country", filters),
    ):
        month = months[_month(row["day"])]
        month[1] += row["base"]
        month[2] += row["vat"]
        month[3] += row["base"] + row["vat"]
    return dict(sorted(months.items()))


def _subtotals(title: str, label: Column, groups: list[tuple[str, int, Decimal, Decimal, Decimal]]) -> Table:
    """A table of subtotals: one row per group (its label, count and EUR amounts), and their total."""
    rows: list[dict[str, Cell]] = [
        {label.key: name, "count": count, "net": net, "vat": v, "gross": gross}
        for name, count, net, v, gross in groups
    ]
    totals: dict[str, Cell] = {label.key: _("Total"), "count": sum(group[1] for group in groups)}
    for name in ("net", "vat", "gross"):
        totals[name] = _sum(rows, name)
    columns = [
        label,
        Column("count", _("Documents"), "int"),
        Column("net", _("HT (EUR)"), "money"),
        Column("vat", _("TVA (EUR)"), "money"),
        Column("gross", _("TTC (EUR)"), "money"),
    ]
    return Table(title=title, columns=columns, rows=rows, totals=totals)


def _group_table(sales: QuerySet[Document], group_by: str) -> Table:
    if group_by == "client":
        clients = sorted(
            _sales_sums(sales, "client_id").values(), key=lambda row: str(row["name"]).casefold()
        )
        return _subtotals(
            _("Par client"),
            Column("client", _("Client")),
            [(row["name"], row["count"], row["net"], row["vat"], row["gross"]) for row in clients],
        )
    countries = sorted(_sales_sums(sales, "buyer_country").items())
    return _subtotals(
        _("Par pays"),
        Column("country", _("Pays")),
        [
            (f"{code} – {country_name(code)}", row["count"], row["net"], row["vat"], row["gross"])
            for code, row in countries
        ],
    )


def _product_table(sales: QuerySet[Document]) -> Table:
    """Net sales per product (a line without product under its own name), from the documents' lines.
    Advance invoices are left out and final invoices count in full: what was sold, once."""
    lines = (
        DocumentLine.objects.filter(document__in=sales.exclude(kind=Kind.ADVANCE).values("pk"))
        .values("document__exchange_rate", label=Coalesce("product__name", "name"))
        .annotate(quantity=Sum("quantity"), net=Sum("net_amount"), count=Count("document_id", distinct=True))
        .order_by()
    )
    products: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        # Converted once per product and exchange rate: the lines' net amounts are exact in their currency.
        products[line["label"]][0] += line["quantity"]
        products[line["label"]][1] += to_eur(line["net"], line["document__exchange_rate"])
    rows: list[dict[str, Cell]] = [
        {"product": label, "quantity": quantity.normalize(), "net": net}
        for label, (quantity, net) in sorted(products.items(), key=lambda item: item[0].casefold())
    ]
    return Table(
        title=_("Par produit"),
        columns=[
            Column("product", _("Produit ou désignation")),
            Column("quantity", _("Quantité"), "number"),
            Column("net", _("HT (EUR)"), "money"),
        ],
        rows=rows,
        totals={"product": _("Total"), "net": sum((p[1] for p in products.values()), ZERO)},
        notes=[
            _(
                "Lignes des factures, reçus, factures de solde (en totalité) et avoirs, hors factures "
                "d'acompte ; montants convertis en euros au taux de chaque document."
            )
        ],
    )


# --- Expense list ----------------------------------------------------------------------------------


def _expenses(account: Account, filters: ReportFilters) -> QuerySet[Expense]:
    rows = Expense.objects.filter(account=account, issue_date__range=(filters.start, filters.end)).filter(
        _country_filter("supplier__country", filters)
    )
    if filters.category_ids:
        rows = rows.filter(category_id__in=filters.category_ids)
    if filters.currency:
        rows = rows.filter(currency=filters.currency)
    return rows


def expense_list(
    account: Account, filters: ReportFilters, *, limit: int | None = None, offset: int = 0
) -> Report:
    """Expenses of the period with supplier, category, amounts in EUR and whether they are paid;
    totals, and totals per category. Three queries (four when filtered on categories)."""
    expenses = _expenses(account, filters)
    rows = _window(
        expenses.order_by("issue_date", "id").values_list(
            "issue_date", "supplier_number", "supplier__name", "category__name", "net_total_eur",
            "vat_total_eur", "deductible_vat_total_eur", "gross_total_eur", "gross_total", "currency", "status",
        ),
        limit,
        offset,
    )  # fmt: skip
    money = {
        "net": Coalesce(Sum("net_total_eur"), _ZERO),
        "vat": Coalesce(Sum("vat_total_eur"), _ZERO),
        "deductible": Coalesce(Sum("deductible_vat_total_eur"), _ZERO),
        "gross": Coalesce(Sum("gross_total_eur"), _ZERO),
    }
    totals = expenses.order_by().aggregate(count=Count("id"), **money)
    table = Table(
        title=_("Dépenses"),
        columns=[
            Column("date", _("Date"), "date"),
            Column("number", _("Numéro du fournisseur")),
            Column("supplier", _("Fournisseur")),
            Column("category", _("Catégorie")),
            Column("net", _("HT (EUR)"), "money"),
            Column("vat", _("TVA (EUR)"), "money"),
            Column("deductible", _("TVA déductible (EUR)"), "money"),
            Column("gross", _("TTC (EUR)"), "money"),
            Column("amount", _("TTC (devise)"), "money"),
            Column("currency", _("Devise")),
            Column("paid", _("Paiement")),
        ],
        rows=[
            {
                "date": day,
                "number": number,
                "supplier": supplier,
                "category": category,
                "net": net,
                "vat": vat_amount,
                "deductible": deductible,
                "gross": gross,
                "amount": amount,
                "currency": currency,
                "paid": str(ExpenseStatus(status).label),
            }
            for day, number, supplier, category, net, vat_amount, deductible, gross, amount, currency, status in rows
        ],
        totals={
            "number": _("Total"),
            "supplier": ngettext("%(n)d dépense", "%(n)d dépenses", totals["count"]) % {"n": totals["count"]},
            **{name: totals[name] for name in money},
            "amount": None,
        },
        row_count=totals["count"] if (limit is not None or offset) else None,
    )
    per_category = list(
        expenses.order_by()
        .values("category_id")
        .annotate(
            name=Max("category__name"), code=Max("category__accounting_code"), count=Count("id"), **money
        )
        .order_by("name")
    )
    categories = Table(
        title=_("Totaux par catégorie"),
        columns=[
            Column("category", _("Catégorie")),
            Column("code", _("Compte")),
            Column("count", _("Dépenses"), "int"),
            Column("net", _("HT (EUR)"), "money"),
            Column("vat", _("TVA (EUR)"), "money"),
            Column("deductible", _("TVA déductible (EUR)"), "money"),
            Column("gross", _("TTC (EUR)"), "money"),
        ],
        rows=[
            {
                "category": row["name"],
                "code": row["code"],
                "count": row["count"],
                **{n: row[n] for n in money},
            }
            for row in per_category
        ],
        totals={"category": _("Total"), "count": totals["count"], **{name: totals[name] for name in money}},
    )
    names = (
        ExpenseCategory.objects.filter(account=account, pk__in=filters.category_ids)
        .order_by("name")
        .values_list("name", flat=True)
        if filters.category_ids
        else []
    )
    return Report(
        code="expenses",
        title=_("Liste des dépenses"),
        start=filters.start,
        end=filters.end,
        filter_summary=_filter_summary(filters, "countries", "currency", categories=names),
        tables=[table, categories],
        chart_title=_("Dépenses HT par catégorie (EUR)"),
        chart=[ChartBar(row["name"], row["net"]) for row in per_category],
    )


# --- VAT register ----------------------------------------------------------------------------------

# CA3 boxes of the VAT due at each French rate (mainland; 3310-CA3-SD, 2024 form).
RATE_BOXES = {
    Decimal("20"): "08",
    Decimal("10"): "9B",
    Decimal("5.5"): "09",
    Decimal("2.1"): "T6",
    Decimal("8.5"): "10",
    Decimal("1.75"): "T1",
    Decimal("1.05"): "T2",
    Decimal("0.9"): "T5",
    Decimal("13"): "P2",
}
# Sales without French VAT, by category: (operation, CA3 box of the base).
UNTAXED_SALES = {
    vat.EXPORT: ("export", "E1"),
    vat.INTRA_EU: ("intra_eu", "F2"),
    vat.REVERSE_CHARGE: ("other", "E2"),
    vat.OUTSIDE_SCOPE: ("other", "E2"),
    vat.EXEMPT: ("other", "E2"),
    vat.ZERO_RATED: ("other", "E2"),
}
# Order of the sales sections in the register.
SALES_SECTIONS = ("domestic", "oss", "intra_eu", "export", "other")


@functools.cache
def _row_words(language: str) -> dict[str, str]:
    """The words of the VAT register's rows, translated once per language: each row asks for three
    and gettext, called a few hundred times, cost as much as the register's query."""
    with translation.override(language):
        return {
            "section:domestic": _("Ventes taxées en France"),
            "section:oss": _("Ventes à distance OSS – %(country)s"),
            "section:intra_eu": _("Livraisons intracommunautaires"),
            "section:export": _("Exportations hors UE"),
            "section:other": _("Autres opérations non taxées"),
            "section:purchase_fr": _("Achats en France"),
            "section:purchase_eu": _("Achats dans l'UE"),
            "section:purchase_world": _("Achats hors UE"),
            **{f"category:{code}": str(label) for code, label in vat.CATEGORY_CHOICES},
            **{f"nature:{kind}": str(label) for kind, label in SupplyKind.choices},
        }


def _words() -> dict[str, str]:
    return _row_words(translation.get_language() or settings.LANGUAGE_CODE)


def _section_label(section: str, vat_country: str = "") -> str:
    label = _words()[f"section:{section}"]
    return label % {"country": country_name(vat_country)} if section == "oss" else label


def _nature(supply_kind: str) -> str:
    return _words().get(f"nature:{supply_kind}", supply_kind)


def _category(code: str) -> str:
    return _words().get(f"category:{code}", code)


def _purchase_box(category: str, origin: str, supply_kind: str, deductible: bool) -> str:
    """The CA3 box a purchase row feeds: its deductible VAT (20), or for a purchase the account
    self-assesses (purchases.models.is_self_assessed), the box of its base (docs/decisions/ca3-boxes.md):
    from another member state, services A3 (art. 283-2) and goods B2 (intra-EU acquisitions); from
    outside the EU, B4 (art. 283-1); the domestic reverse-charge cases A2."""
    if category == vat.STANDARD:
        return "20" if deductible else ""
    if category == vat.INTRA_EU and origin != "purchase_eu":
        return ""  # an intra-EU supply is only one from another member state (is_self_assessed)
    if category in vat.SELF_ASSESSED:
        if origin == "purchase_eu":
            return "B2" if supply_kind == SupplyKind.GOODS else "A3"
        if origin == "purchase_world":
            return "B4"
        return "A2"
    return ""


def _purchase_boxes(category: str, origin: str, rate: Decimal, supply_kind: str, deductible: bool) -> str:
    """Every CA3 box a purchase row feeds, as the register prints them: for a self-assessed purchase, the
    box of its base, the line of its rate (VAT due), line 17 for an intra-EU acquisition, and line 20
    when it may be deducted."""
    box = _purchase_box(category, origin, supply_kind, deductible)
    if category == vat.STANDARD or not box:
        return box
    boxes = [box]
    if rate:
        boxes.append(RATE_BOXES.get(rate, ""))
        if box == "B2":
            boxes.append("17")
        if deductible:
            boxes.append("20")
    return ", ".join(b for b in boxes if b)


def _origin(supplier_country: str) -> str:
    if supplier_country in (HOME, ""):
        return "purchase_fr"
    return "purchase_eu" if supplier_country in EU_MEMBERS else "purchase_world"


def default_vat_mode(account: Account) -> VatMode:
    """The VAT register's mode when none is asked for: by the date VAT falls due, whatever the account's
    regime. That mode reads each document's and each expense's own regime (art. 269 CGI: an account's
    option for VAT on debits covers its own sales of services; its purchases follow each supplier's
    regime, advances on goods are due at receipt), so it is the CA3's for every account; "by document
    date" stays available as a view of the period's invoices."""
    return "due"


def vat_register(account: Account, filters: ReportFilters) -> Report:
    """Sales and purchases of the period by VAT category and rate: taxable base and VAT, collected,
    deductible and net VAT, each total with the CA3 box it feeds (regulatory.md §5.3). Dated by the
    documents' dates (`vat_mode` "debits") or by the date VAT falls due ("due"). Read from the VAT
    summary: one query for a period of whole months, up to three otherwise."""
    date_kind = DateKind.DUE if filters.vat_mode == "due" else DateKind.DOCUMENT
    group = (
        "direction", "document_kind", "vat_category", "vat_rate", "vat_country", "supply_kind", "deductible",
        "country",
    )  # fmt: skip
    rows = summaries.sums(account, date_kind, filters.start, filters.end, group)
    sales: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [ZERO, ZERO, 0])
    purchases: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    credit_notes = [ZERO, ZERO]
    for row in rows:
        base, vat_amount = _money(row["base"]), _money(row["vat"])
        if row["direction"] == Direction.SALE:
            if row["vat_category"] == vat.STANDARD:
                section = "domestic" if row["vat_country"] in (HOME, "") else "oss"
            else:
                section = UNTAXED_SALES.get(row["vat_category"], ("other", "E2"))[0]
            country = row["vat_country"] if section == "oss" else ""
            slot = sales[
                (
                    SALES_SECTIONS.index(section),
                    country,
                    row["vat_category"],
                    -row["vat_rate"],
                    row["supply_kind"],
                )
            ]
            slot[0] += base
            slot[1] += vat_amount
            slot[2] += row["count"]
            if row["document_kind"] == Kind.CREDIT_NOTE:
                credit_notes[0] += base
                credit_notes[1] += vat_amount
        else:
            slot = purchases[
                (
                    _origin(row["country"]),
                    row["vat_category"],
                    -row["vat_rate"],
                    row["supply_kind"],
                    row["deductible"],
                )
            ]
            slot[0] += base
            slot[1] += vat_amount
            if row["deductible"]:
                slot[2] += vat_amount

    sales_table = _sales_register(sales, credit_notes)
    purchases_table = _purchases_register(purchases)
    ca3 = _ca3_table(sales, purchases)
    domestic_by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for (section, _country, _category_code, rate, _kind), (_base, vat_amount, _n) in sales.items():
        if SALES_SECTIONS[section] == "domestic":
            domestic_by_rate[-rate] += vat_amount
    return Report(
        code="vat-register",
        title=_("Registre de TVA"),
        start=filters.start,
        end=filters.end,
        filter_summary=_filter_summary(filters, "vat_mode"),
        tables=[sales_table, purchases_table, ca3],
        chart_title=_("TVA collectée par taux (EUR)"),
        chart=[
            ChartBar(f"{vat.rate_text(rate)} %", amount)
            for rate, amount in sorted(domestic_by_rate.items(), reverse=True)
        ],
    )


def _sales_register(sales: dict[tuple[Any, ...], list[Any]], credit_notes: list[Decimal]) -> Table:
    rows: list[dict[str, Cell]] = []
    for (section_index, country, category, rate, supply_kind), (base, vat_amount, documents) in sorted(
        sales.items()
    ):
        section = SALES_SECTIONS[section_index]
        if section == "domestic":
            box = RATE_BOXES.get(-rate, "")
        elif section == "oss":
            box = "E3"
        else:
            box = UNTAXED_SALES.get(category, ("other", "E2"))[1]
        rows.append(
            {
                "operation": _section_label(section, country),
                "category": _category(category),
                "rate": -rate,
                "nature": _nature(supply_kind),
                "base": base,
                "vat": vat_amount,
                "documents": documents,
                "box": box,
            }
        )
    return Table(
        title=_("Ventes : TVA collectée"),
        columns=[
            Column("operation", _("Opérations")),
            Column("category", _("Catégorie de TVA")),
            Column("rate", _("Taux"), "percent"),
            Column("nature", _("Nature")),
            Column("base", _("Base HT (EUR)"), "money"),
            Column("vat", _("TVA (EUR)"), "money"),
            Column("documents", _("Pièces"), "int"),
            Column("box", _("Case CA3")),
        ],
        rows=rows,
        totals={
            "operation": _("Total"),
            "base": _sum(rows, "base"),
            "vat": _sum(rows, "vat"),
        },
        notes=[
            _("Avoirs déduits : base %(base)s EUR, TVA %(vat)s EUR.")
            % {"base": amount_text(credit_notes[0]), "vat": amount_text(credit_notes[1])},
            _(
                "La TVA des ventes à distance OSS (case E3) est due dans le pays du client : elle se "
                "déclare dans le rapport OSS, pas dans la CA3."
            ),
            _("Pièces : documents de chaque ligne (à la date d'exigibilité, une fois par encaissement)."),
        ],
    )


def _purchases_register(purchases: dict[tuple[Any, ...], list[Any]]) -> Table:
    rows: list[dict[str, Cell]] = []
    for (origin, category, rate, supply_kind, deductible), (base, vat_amount, deductible_vat) in sorted(
        purchases.items(), key=lambda item: (item[0][0], item[0][1], item[0][2], item[0][3], not item[0][4])
    ):
        rows.append(
            {
                "operation": _section_label(origin),
                "category": _category(category),
                "rate": -rate,
                "nature": _nature(supply_kind),
                "deductible_flag": _("Oui") if deductible else _("Non"),
                "base": base,
                "vat": vat_amount,
                "deductible": deductible_vat,
                "box": _purchase_boxes(category, origin, -rate, supply_kind, deductible),
            }
        )
    return Table(
        title=_("Achats : TVA déductible"),
        columns=[
            Column("operation", _("Opérations")),
            Column("category", _("Catégorie de TVA")),
            Column("rate", _("Taux"), "percent"),
            Column("nature", _("Nature")),
            Column("deductible_flag", _("Déductible")),
            Column("base", _("Base HT (EUR)"), "money"),
            Column("vat", _("TVA (EUR)"), "money"),
            Column("deductible", _("TVA déductible (EUR)"), "money"),
            Column("box", _("Case CA3")),
        ],
        rows=rows,
        totals={
            "operation": _("Total"),
            "base": _sum(rows, "base"),
            "vat": _sum(rows, "vat"),
            "deductible": _sum(rows, "deductible"),
        },
        notes=[
            _(
                "Autoliquidation (cases A2, A3, B2, B4) : la colonne TVA donne la TVA due sur ces achats au "
                "taux français indiqué ; elle s'ajoute à la TVA brute (ligne du taux, ligne 17 pour les "
                "acquisitions intracommunautaires) et, si elle est déductible, à la ligne 20."
            )
        ],
    )


def _ca3_table(sales: dict[tuple[Any, ...], list[Any]], purchases: dict[tuple[Any, ...], list[Any]]) -> Table:
    """The CA3 lines the register feeds, in the order of the form."""
    bases: dict[str, Decimal] = defaultdict(lambda: ZERO)
    taxes: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (section_index, _country, category, rate, _kind), (base, vat_amount, _n) in sales.items():
        section = SALES_SECTIONS[section_index]
        if section == "domestic":
            bases["A1"] += base
            box = RATE_BOXES.get(-rate, "")
            bases[box] += base
            taxes[box] += vat_amount
            taxes["16"] += vat_amount
        else:
            bases["E3" if section == "oss" else UNTAXED_SALES.get(category, ("other", "E2"))[1]] += base
    for (origin, category, rate, supply_kind, deductible), (
        base,
        vat_amount,
        deductible_vat,
    ) in purchases.items():
        box = _purchase_box(category, origin, supply_kind, deductible)
        if box == "20":
            taxes["20"] += deductible_vat
        elif box:
            # Self-assessed: the base on its own line, the VAT due at its rate (and on line 17 for an
            # intra-EU acquisition), deducted on line 20 when it may be.
            bases[box] += base
            if vat_amount:
                rate_box = RATE_BOXES.get(-rate, "")
                bases[rate_box] += base
                taxes[rate_box] += vat_amount
                taxes["16"] += vat_amount
                if box == "B2":
                    taxes["17"] += vat_amount
            taxes["20"] += deductible_vat
    taxes["23"] = taxes["20"]
    net = taxes["16"] - taxes["23"]
    labels = {
        "A1": _("Ventes, prestations de services"),
        "A2": _("Autres opérations imposables (autoliquidation en France : sous-traitance du BTP…)"),
        "A3": _(
            "Achats de prestations de services auprès d'un assujetti non établi en France (art. 283-2 du CGI)"
        ),
        "B2": _("Acquisitions intracommunautaires"),
        "B4": _(
            "Achats de biens ou de prestations de services auprès d'un assujetti non établi en France "
            "(art. 283-1 du CGI)"
        ),
        "E1": _("Exportations hors UE"),
        "E2": _("Autres opérations non imposables"),
        "E3": _("Ventes à distance taxables dans un autre État membre (B2C)"),
        "F2": _("Livraisons intracommunautaires à destination d'un assujetti (B2B)"),
        "08": _("Taux normal 20 %"),
        "9B": _("Taux réduit 10 %"),
        "09": _("Taux réduit 5,5 %"),
        "T6": _("Taux de 2,1 % (France continentale)"),
        "10": _("DOM, taux normal 8,5 %"),
        "T1": _("DOM, taux de 1,75 %"),
        "T2": _("DOM, taux de 1,05 %"),
        "T5": _("Corse, taux de 0,9 %"),
        "P2": _("Taux de 13 % (produits pétroliers)"),
        "": _("Autres taux"),
        "16": _("Total de la TVA brute due"),
        "17": _("Dont TVA sur acquisitions intracommunautaires"),
        "20": _("TVA déductible sur autres biens et services"),
        "23": _("Total de la TVA déductible"),
        "TD": _("TVA nette due (16 − 23)"),
        "25": _("Crédit de TVA (23 − 16)"),
    }
    rows: list[dict[str, Cell]] = [{"box": "A1", "label": labels["A1"], "base": bases["A1"], "vat": None}]
    operations = ("A1", "A2", "A3", "B2", "B4", "E1", "E2", "E3", "F2")
    for box in operations[1:]:
        if bases.get(box):
            rows.append({"box": box, "label": labels[box], "base": bases[box], "vat": None})
    for box in (*dict.fromkeys(RATE_BOXES.values()), ""):
        if box in taxes or (box in bases and box not in operations):
            rows.append({"box": box, "label": labels[box], "base": bases[box], "vat": taxes[box]})
    rows.append({"box": "16", "label": labels["16"], "base": None, "vat": taxes["16"]})
    if taxes.get("17"):
        rows.append({"box": "17", "label": labels["17"], "base": None, "vat": taxes["17"]})
    rows.append({"box": "20", "label": labels["20"], "base": None, "vat": taxes["20"]})
    rows.append({"box": "23", "label": labels["23"], "base": None, "vat": taxes["23"]})
    if net >= 0:
        rows.append({"box": "TD", "label": labels["TD"], "base": None, "vat": net})
    else:
        rows.append({"box": "25", "label": labels["25"], "base": None, "vat": -net})
    return Table(
        title=_("Synthèse pour la déclaration CA3"),
        columns=[
            Column("box", _("Case")),
            Column("label", _("Libellé")),
            Column("base", _("Base HT (EUR)"), "money"),
            Column("vat", _("TVA (EUR)"), "money"),
        ],
        rows=rows,
        notes=[
            _("Montants en euros, à arrondir à l'euro le plus proche sur la déclaration."),
            _(
                "La TVA déductible sur immobilisations (ligne 19), les régularisations et le crédit "
                "antérieur (ligne 22) ne sont pas connus ici : à ajouter sur la déclaration."
            ),
        ],
    )


# --- OSS return ------------------------------------------------------------------------------------


def _quarter(day: datetime.date) -> str:
    return f"{day.year}-T{(day.month - 1) // 3 + 1}"


def oss_return(account: Account, filters: ReportFilters) -> Report:
    """The Union OSS return for the quarter `filters.start`..`filters.end`: B2C sales taxed in another
    member state, per member state of consumption and rate; credit notes on invoices of an earlier
    quarter listed apart as corrections of that quarter; and the €10,000 threshold watch for the
    current and previous calendar years. Three queries for a quarter (up to five for other periods)."""
    home = account.country or HOME
    in_scope = Q(consumer=True, vat_category=vat.STANDARD) & ~Q(vat_country__in=(home, ""))
    quarter = summaries.sums(
        account, DateKind.DOCUMENT, filters.start, filters.end, ("vat_country", "vat_rate", "supply_kind"),
        directions=[Direction.SALE], where=in_scope,
    )  # fmt: skip
    # The quarter's credit notes to people on invoices of an earlier quarter (read through the
    # documents' (account, kind, issue_date) index: credit notes are few).
    notes = Document.objects.filter(
        account=account,
        kind=Kind.CREDIT_NOTE,
        issue_date__range=(filters.start, filters.end),
        buyer_is_company=False,
        corrected_document__issue_date__lt=filters.start,
        test=False,
    ).exclude(status=Status.DRAFT)
    corrections = (
        DocumentVatLine.objects.filter(document__in=notes.values("pk"), vat_category=vat.STANDARD)
        .exclude(vat_country__in=(home, ""))
        .values(
            "vat_country", "vat_rate", "supply_kind", corrected=F("document__corrected_document__issue_date")
        )
        .annotate(base=Sum("base_eur"), vat=Sum("vat_amount_eur"))
        .order_by()
    )
    amounts: dict[tuple[str, Decimal, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in quarter:
        slot = amounts[(row["vat_country"], row["vat_rate"], row["supply_kind"])]
        slot[0] += _money(row["base"])
        slot[1] += _money(row["vat"])
    earlier: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in corrections:
        base, vat_amount = _money(row["base"]), _money(row["vat"])
        # The summary counts these credit notes in the quarter: they move to the corrections.
        slot = amounts[(row["vat_country"], row["vat_rate"], row["supply_kind"])]
        slot[0] -= base
        slot[1] -= vat_amount
        correction = earlier[(_quarter(row["corrected"]), row["vat_country"])]
        correction[0] += base
        correction[1] += vat_amount

    supplies = Table(
        title=_("Opérations du trimestre par État membre de consommation"),
        columns=[
            Column("country", _("Pays")),
            Column("country_name", _("État membre")),
            Column("rate", _("Taux"), "percent"),
            Column("nature", _("Nature")),
            Column("base", _("Montant imposable (EUR)"), "money"),
            Column("vat", _("TVA (EUR)"), "money"),
        ],
        rows=[
            {
                "country": country,
                "country_name": country_name(country),
                "rate": rate,
                "nature": _nature(supply_kind),
                "base": base,
                "vat": vat_amount,
            }
            for (country, rate, supply_kind), (base, vat_amount) in sorted(
                amounts.items(), key=lambda i: (i[0][0], -i[0][1], i[0][2])
            )
            if base or vat_amount
        ],
        notes=[
            _(
                "Ventes à des particuliers d'un autre État membre, taxées à la TVA de ce pays (biens "
                "expédiés depuis la France et services), à la date des factures, avoirs du trimestre déduits."
            )
        ],
    )
    supplies.totals = {
        "country": _("Total"),
        "base": _sum(supplies.rows, "base"),
        "vat": _sum(supplies.rows, "vat"),
    }
    corrections_table = Table(
        title=_("Corrections de trimestres antérieurs"),
        columns=[
            Column("period", _("Trimestre corrigé")),
            Column("country", _("Pays")),
            Column("country_name", _("État membre")),
            Column("base", _("Montant imposable (EUR)"), "money"),
            Column("vat", _("Correction de TVA (EUR)"), "money"),
        ],
        rows=[
            {
                "period": period,
                "country": country,
                "country_name": country_name(country),
                "base": base,
                "vat": v,
            }
            for (period, country), (base, v) in sorted(earlier.items())
        ],
        totals={
            "period": _("Total"),
            "base": sum((b for b, _v in earlier.values()), ZERO),
            "vat": sum((v for _b, v in earlier.values()), ZERO),
        },
        notes=[_("Avoirs émis ce trimestre sur des factures d'un trimestre antérieur.")],
    )
    due: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for (country, _rate, _kind), (_base, vat_amount) in amounts.items():
        due[country][0] += vat_amount
    for (_period, country), (_base, vat_amount) in earlier.items():
        due[country][1] += vat_amount
    due_table = Table(
        title=_("TVA due par État membre"),
        columns=[
            Column("country", _("Pays")),
            Column("country_name", _("État membre")),
            Column("vat", _("TVA du trimestre (EUR)"), "money"),
            Column("corrections", _("Corrections (EUR)"), "money"),
            Column("total", _("Total dû (EUR)"), "money"),
        ],
        rows=[
            {"country": c, "country_name": country_name(c), "vat": v, "corrections": k, "total": v + k}
            for c, (v, k) in sorted(due.items())
            if v or k
        ],
    )
    due_table.totals = {
        "country": _("Total"),
        **{name: _sum(due_table.rows, name) for name in ("vat", "corrections", "total")},
    }
    return Report(
        code="oss",
        title=_("Rapport OSS (guichet unique, régime de l'Union)"),
        start=filters.start,
        end=filters.end,
        filter_summary=_filter_summary(filters),
        tables=[
            supplies,
            corrections_table,
            due_table,
            _threshold_table(account, filters.end.year, home),
        ],
        chart_title=_("TVA OSS due par État membre (EUR)"),
        chart=[ChartBar(country, v + k) for country, (v, k) in sorted(due.items()) if v or k],
    )


def _threshold_table(account: Account, year: int, home: str) -> Table:
    """Cross-border B2C sales within the EU, this calendar year and the previous one, against the
    €10,000 threshold beyond which the customer's country's VAT applies."""
    per_month = summaries.sums(
        account, DateKind.DOCUMENT, datetime.date(year - 1, 1, 1), datetime.date(year, 12, 31), ("day",),
        directions=[Direction.SALE], where=Q(consumer=True, country__in=EU_MEMBERS - {home}),
    )  # fmt: skip
    years = {year - 1: ZERO, year: ZERO}
    for month in per_month:
        years[month["day"].year] += month["base"]
    rows: list[dict[str, Cell]] = [
        {
            "year": str(y),
            "amount": amount,
            "threshold": OSS_THRESHOLD,
            "status": _("Dépassé") if amount > OSS_THRESHOLD else _("Non dépassé"),
        }
        for y, amount in years.items()
    ]
    notes = [
        _(
            "Ventes HT à des particuliers d'autres États membres (biens et services), avoirs déduits. "
            "Au-delà de 10 000 EUR sur l'année en cours ou la précédente, la TVA du pays du client "
            "s'applique (déclarée par l'OSS)."
        )
    ]
    return Table(
        title=_("Seuil de 10 000 EUR des ventes à distance"),
        columns=[
            Column("year", _("Année")),
            Column("amount", _("Ventes transfrontières B2C (EUR)"), "money"),
            Column("threshold", _("Seuil (EUR)"), "money"),
            Column("status", _("Situation")),
        ],
        rows=rows,
        notes=notes,
    )


# --- Unpaid list -----------------------------------------------------------------------------------

BUCKETS = ("not_due", "days_30", "days_60", "days_90", "older")


def _bucket_labels() -> dict[str, str]:
    return {
        "not_due": _("Non échu"),
        "days_30": _("1 à 30 jours"),
        "days_60": _("31 à 60 jours"),
        "days_90": _("61 à 90 jours"),
        "older": _("Plus de 90 jours"),
    }


def _bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "not_due"
    if days_overdue <= 30:
        return "days_30"
    if days_overdue <= 60:
        return "days_60"
    return "days_90" if days_overdue <= 90 else "older"


def _overdue(due_date: datetime.date | None, today: datetime.date) -> int:
    return max(0, (today - due_date).days) if due_date else 0


def unpaid_list(
    account: Account,
    filters: ReportFilters,
    today: datetime.date,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> Report:
    """Open sales documents issued in the period that still owe something: due date, days overdue,
    remaining amount (in the document's currency and in EUR), and the ageing per client (not due,
    1–30, 31–60, 61–90, more than 90 days overdue on `today`). Two queries: the rows, the ageing per
    client (the totals are added from it)."""
    statuses = [s for s in OPEN_STATUSES if not filters.statuses or s in filters.statuses]
    remaining = Document.objects.remaining_expression()
    documents = (
        _sales(account, replace(filters, statuses=()), sorted(PAYABLE_KINDS))
        .owed()
        .filter(status__in=statuses)
    )
    rows = _window(
        documents.annotate(left=remaining)
        .order_by("due_date", "id")
        .values_list("number", "issue_date", "buyer_name", "due_date", "left", "currency", "exchange_rate"),
        limit,
        offset,
    )  # fmt: skip
    labels = _bucket_labels()
    table_rows: list[dict[str, Cell]] = []
    for number, day, client, due_date, left, currency, rate in rows:
        days = _overdue(due_date, today)
        table_rows.append(
            {
                "number": number,
                "date": day,
                "client": client,
                "due_date": due_date,
                "days": days,
                "remaining": left,
                "currency": currency,
                "remaining_eur": to_eur(left, rate),
                "bucket": labels[_bucket(days)],
            }
        )

    # Ageing per client: the database adds up each client's cents per bucket (what remains to pay in EUR,
    # rounded per document as everywhere: DocumentQuerySet.with_remaining) in one pass over the owed
    # documents; the totals are the sums of the clients' rows (at most a few thousand, added here rather
    # than by a second pass of the database). On screen, a large account's thousands of clients would make
    # a page of megabytes: it shows those who owe the most (`limit`), and the rest on one line; the files
    # keep every client, by name.
    ages = _ageing_filters(today)
    owed = documents.with_remaining().annotate(cents=Cast(Round(F("remaining_eur") * 100), BigIntegerField()))
    sums = {bucket: Sum("cents", filter=condition) for bucket, condition in ages.items()}
    every_client = [
        (client_id, name, documents_count, total, [cents or 0 for cents in amounts])
        for client_id, name, documents_count, total, *amounts in owed.order_by()
        .values("client_id")
        .annotate(name=Max("buyer_name"), documents=Count("id"), total=Sum("cents"), **sums)
        .values_list("client_id", "name", "documents", "total", *BUCKETS)
    ]
    count = sum(entry[2] for entry in every_client)
    client_count = len(every_client)
    bucket_cents = [sum(column) for column in zip(*(entry[4] for entry in every_client), strict=True)]
    bucket_cents = bucket_cents or [0] * len(BUCKETS)
    if limit is not None and client_count > limit:
        top = sorted(every_client, key=lambda entry: (-entry[3], entry[0]))[:limit]
        clients = [(name, amounts, total) for _id, name, _count, total, amounts in top]
        shown = [sum(column) for column in zip(*(entry[1] for entry in clients), strict=True)]
        others = [every - some for every, some in zip(bucket_cents, shown, strict=True)]
        others_count = client_count - len(clients)
    else:
        clients = sorted(
            ((name, amounts, total) for _id, name, _count, total, amounts in every_client),
            key=lambda entry: str(entry[0]).casefold(),
        )
        others, others_count = [0] * len(BUCKETS), 0
    bucket_totals = {b: from_cents(cents) for b, cents in zip(BUCKETS, bucket_cents, strict=True)}
    grand_total = from_cents(sum(bucket_cents))
    ageing_notes: list[str] = []
    if others_count:
        ageing_notes.append(
            _(
                "Les %(shown)d clients qui doivent le plus sur %(count)d, puis les autres sur une ligne ; "
                "les fichiers Excel, CSV et PDF les donnent tous."
            )
            % {"shown": len(clients), "count": client_count}
        )

    def client_row(label: str, amounts: Iterable[int], total: int) -> dict[str, Cell]:
        return {
            "client": label,
            **{b: from_cents(cents) for b, cents in zip(BUCKETS, amounts, strict=True)},
            "total": from_cents(total),
        }

    per_client = [client_row(name, amounts, total) for name, amounts, total in clients]
    if others_count:
        per_client.append(
            client_row(
                ngettext("%(n)d autre client", "%(n)d autres clients", others_count) % {"n": others_count},
                others,
                sum(others),
            )
        )
    documents_table = Table(
        title=_("Documents impayés"),
        columns=[
            Column("number", _("Numéro")),
            Column("date", _("Date"), "date"),
            Column("client", _("Client")),
            Column("due_date", _("Échéance"), "date"),
            Column("days", _("Jours de retard"), "int"),
            Column("remaining", _("Reste dû (devise)"), "money"),
            Column("currency", _("Devise")),
            Column("remaining_eur", _("Reste dû (EUR)"), "money"),
            Column("bucket", _("Ancienneté")),
        ],
        rows=table_rows,
        totals={
            "number": _("Total"),
            "client": ngettext("%(n)d document", "%(n)d documents", count) % {"n": count},
            "remaining_eur": grand_total,
        },
        row_count=count if (limit is not None or offset) else None,
        notes=[_("Retards calculés au %(date)s.") % {"date": date_text(today)}],
    )
    ageing_table = Table(
        title=_("Balance âgée par client (EUR)"),
        columns=[
            Column("client", _("Client")),
            *(Column(b, labels[b], "money") for b in BUCKETS),
            Column("total", _("Total"), "money"),
        ],
        rows=per_client,
        totals={"client": _("Total"), **bucket_totals, "total": grand_total},
        notes=ageing_notes,
    )
    return Report(
        code="unpaid",
        title=_("Liste des impayés"),
        start=filters.start,
        end=filters.end,
        filter_summary=_filter_summary(filters, "kinds", "countries", "currency"),
        tables=[documents_table, ageing_table],
        chart_title=_("Reste dû par ancienneté (EUR)"),
        chart=[ChartBar(labels[b], bucket_totals[b]) for b in BUCKETS],
    )


def _ageing_filters(today: datetime.date) -> dict[str, Q]:
    def days_ago(days: int) -> datetime.date:
        return today - datetime.timedelta(days=days)

    return {
        "not_due": Q(due_date__gte=today) | Q(due_date__isnull=True),
        "days_30": Q(due_date__lt=today, due_date__gte=days_ago(30)),
        "days_60": Q(due_date__lt=days_ago(30), due_date__gte=days_ago(60)),
        "days_90": Q(due_date__lt=days_ago(60), due_date__gte=days_ago(90)),
        "older": Q(due_date__lt=days_ago(90)),
    }


# --- Dispatch --------------------------------------------------------------------------------------


def build_report(
    code: str,
    account: Account,
    filters: ReportFilters,
    today: datetime.date,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> Report:
    """The report `code` (one of base.REPORT_CODES); `limit`/`offset` page the lists' rows."""
    if code == "revenue":
        return revenue_list(account, filters, limit=limit, offset=offset)
    if code == "expenses":
        return expense_list(account, filters, limit=limit, offset=offset)
    if code == "vat-register":
        return vat_register(account, filters)
    if code == "oss":
        return oss_return(account, filters)
    if code == "unpaid":
        return unpaid_list(account, filters, today, limit=limit, offset=offset)
    raise ValueError(f"unknown report {code!r}; expected one of {', '.join(REPORT_CODES)}")
