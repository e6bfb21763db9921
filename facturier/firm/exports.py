"""The list's export ("Exporter la liste"): the selected client accounts as CSV or XLSX, same columns.

CSV: ";" as separator and a UTF-8 byte-order mark, because French Excel expects ";" (the comma is the
decimal separator there) and reads UTF-8 only with the mark; dates are ISO 8601 (2024-12-31), which
Excel recognises as dates in every language. XLSX: dates are real dates shown as dd/mm/yyyy, counts are
numbers, a bold header row with an autofilter. Both only read: nothing is stored.
"""

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from facturier.lib import csvfiles
from facturier.tenancy.models import Account

CSV = "csv"
XLSX = "xlsx"
FORMATS = {CSV: _("CSV (Excel en français)"), XLSX: _("Excel (XLSX)")}

TEXT, DATE, NUMBER = "text", "date", "number"


@dataclass(frozen=True)
class Column:
    label: str | Promise
    kind: str
    width: int  # in characters, for the XLSX sheet


COLUMNS = [
    Column(_("Nom"), TEXT, 36),
    Column(_("Adresse du compte"), TEXT, 24),
    Column(_("Date de création"), DATE, 16),
    Column(_("Date de protection des documents"), DATE, 20),
    Column(_("Nombre d'utilisateurs"), NUMBER, 14),
    Column(_("Formule"), TEXT, 14),
    Column(_("Fin de l'abonnement"), DATE, 16),
]

Row = tuple[str, str, datetime.date, datetime.date | None, int, str, datetime.date | None]


def rows(accounts: Iterable[Account]) -> list[Row]:
    """One row per account, in COLUMNS order; accounts come from queries.with_list_columns."""
    return [
        (
            account.name,
            account.slug,
            timezone.localdate(account.created_at),
            account.locked_until,
            account.user_count,  # type: ignore[attr-defined]
            str(account.plan_info.label),
            account.subscription_ends_on,
        )
        for account in accounts
    ]


def file_name(firm: Account, extension: str) -> str:
    return f"comptes-clients-{firm.slug}-{firm.today().isoformat()}.{extension}"


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type=content_type,
        headers={"Content-Disposition": content_disposition_header(as_attachment=True, filename=name)},
    )


def csv_response(firm: Account, data: list[Row]) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    # A name typed as "=HYPERLINK(…)" stays text when the file is opened in a spreadsheet (lib/csvfiles).
    writer = csvfiles.writer(buffer, delimiter=";")
    writer.writerow([str(column.label) for column in COLUMNS])
    writer.writerows(data)
    return _download(buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8", file_name(firm, CSV))


def xlsx_response(firm: Account, data: list[Row]) -> HttpResponse:
    # In memory: a firm's list is at most a few thousand rows (constant_memory is for the big exports).
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet(str(_("Comptes clients"))[:31])
    header = workbook.add_format({"bold": True, "bottom": 1})
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, str(column.label), header)
        sheet.set_column(col, col, column.width)
    for row_number, row in enumerate(data, start=1):
        for col, (column, value) in enumerate(zip(COLUMNS, row, strict=True)):
            if value is None:
                continue
            if column.kind == DATE:
                sheet.write_datetime(row_number, col, value, date)
            elif column.kind == NUMBER:
                sheet.write_number(row_number, col, value)
            else:
                # write_string, never write(): a name starting with "=" stays text, not a formula.
                sheet.write_string(row_number, col, value)
    sheet.autofilter(0, 0, len(data), len(COLUMNS) - 1)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return _download(
        output.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name(firm, XLSX),
    )
