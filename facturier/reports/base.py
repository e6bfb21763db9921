"""What a report is, whatever it reports: the contract between the queries that compute reports and
the outputs that show them (page, print view, PDF, Excel, CSV, command line).

A report is a title, the filters it ran with, and one or more tables; each table has typed columns,
rows and an optional totals row. Outputs format values by column kind, so money stays Decimal and dates
stay dates until the last moment (Excel stores them as numbers and dates, CSV with a dot as separator).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

ColumnKind = Literal["text", "date", "money", "number", "percent", "int"]
Value = str | int | Decimal | datetime.date | None

REPORT_CODES = ("revenue", "expenses", "vat-register", "oss", "unpaid")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Value]] = field(default_factory=list)
    # Values for the totals row, by column key (a label in the first text column, sums in money columns).
    totals: dict[str, Value] | None = None
    # Small print under the table (e.g. the CA3 box each total feeds).
    notes: list[str] = field(default_factory=list)
    # Rows of the whole table when `rows` holds only one page of it (queries' limit/offset); None when
    # `rows` is the whole table. The totals are always those of the whole table.
    row_count: int | None = None

    @property
    def total_rows(self) -> int:
        return len(self.rows) if self.row_count is None else self.row_count


@dataclass
class ChartBar:
    label: str
    value: Decimal


@dataclass
class Report:
    code: str  # one of REPORT_CODES
    title: str
    start: datetime.date
    end: datetime.date
    # Human-readable filters, in order, for headers of the outputs ("Pays : FR, DE", "Type : Facture").
    filter_summary: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart_title: str = ""
    chart: list[ChartBar] = field(default_factory=list)

    def file_stem(self, account_slug: str) -> str:
        """The outputs' file name without extension: account, report and period."""
        return f"{account_slug}-{self.code}-{self.start:%Y-%m-%d}-{self.end:%Y-%m-%d}"


VatMode = Literal["debits", "due"]
Region = Literal["", "eu", "non-eu"]
GroupBy = Literal["", "month", "client", "country", "product"]


@dataclass(frozen=True)
class ReportFilters:
    """The filters every report understands (each report uses those that make sense for it).

    The period is inclusive. Periods like "this quarter" are turned into dates by the page or the
    command (billing.queries.period_bounds), so a report always runs on explicit dates.
    """

    start: datetime.date
    end: datetime.date
    kinds: tuple[str, ...] = ()  # sales document kinds (billing.models.Kind values)
    statuses: tuple[str, ...] = ()  # billing.models.Status values
    countries: tuple[str, ...] = ()  # ISO codes of the client's country
    region: Region = ""  # "eu" or "non-eu" on top of (or instead of) countries
    currency: str = ""  # only documents in this currency
    vat_mode: VatMode = "debits"  # VAT register: by document date, or by the date VAT falls due
    group_by: GroupBy = ""  # revenue list grouping
    category_ids: tuple[int, ...] = ()  # expense list: purchases.ExpenseCategory ids
