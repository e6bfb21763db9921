"""Rapports: the list of reports, and each report with its filters, tables, chart, print view and files.

The filters live in the URL (GET), so a report can be bookmarked and shared; `?format=csv|xlsx|pdf`
downloads it, `?print=1` shows it as a page to print. The figures come from reports/queries.py in a
fixed number of queries; the long lists (revenue, expenses, unpaid) show PAGE_SIZE rows a page, their
totals being those of every row.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from facturier.billing.queries import PageWindow
from facturier.ops.replica import reads_from_replica
from facturier.purchases.models import ExpenseCategory
from facturier.reports import outputs, queries
from facturier.reports.base import REPORT_CODES, Report, ReportFilters
from facturier.reports.charts import bar_chart
from facturier.reports.forms import ReportFilterForm
from facturier.tenancy.access import AccountRequest, account_view
from facturier.tenancy.models import Account

PAGE_SIZE = 100
MAX_PAGE = 1_000_000
# Reports whose first table is a long list of documents, shown a page at a time.
PAGED_REPORTS = frozenset({"revenue", "expenses", "unpaid"})
# Typst holds the whole layout in memory: a 10,000-row list takes about 1.25 GB (in a child process,
# outputs.IN_PROCESS_MAX_ROWS) and 7 to 15 s to render (bench/report_outputs.py); its print view is a
# 2.4 MB page. Longer reports are refused in PDF and print, with the way to get them (Excel, CSV).
PRINT_MAX_ROWS = 10_000


@dataclass(frozen=True)
class ReportInfo:
    code: str
    title: str | Promise
    summary: str | Promise


REPORTS = [
    ReportInfo(
        "revenue",
        gettext_lazy("Liste des revenus"),
        gettext_lazy(
            "Les factures et avoirs émis sur la période, en euros et dans leur devise, avec leurs totaux."
        ),
    ),
    ReportInfo(
        "expenses",
        gettext_lazy("Liste des dépenses"),
        gettext_lazy("Les factures d'achat de la période par catégorie, payées ou non, avec leurs totaux."),
    ),
    ReportInfo(
        "vat-register",
        gettext_lazy("Registre de TVA"),
        gettext_lazy(
            "La TVA collectée et déductible par taux, par date de facture ou d'exigibilité, "
            "avec les cases de la CA3."
        ),
    ),
    ReportInfo(
        "oss",
        gettext_lazy("Rapport OSS"),
        gettext_lazy(
            "Les ventes à distance dans l'UE du trimestre par pays et par taux, les corrections "
            "et le suivi du seuil de 10 000 €."
        ),
    ),
    ReportInfo(
        "unpaid",
        gettext_lazy("Liste des impayés"),
        gettext_lazy(
            "Les documents restant à encaisser, leurs jours de retard et leur ancienneté par client."
        ),
    ),
]
REPORTS_BY_CODE = {info.code: info for info in REPORTS}
assert set(REPORTS_BY_CODE) == set(REPORT_CODES)


@dataclass(frozen=True)
class Download:
    extension: str
    content_type: str
    write: Callable[[Report, Account], bytes]


DOWNLOADS = {
    "csv": Download("csv", "text/csv; charset=utf-8", lambda report, _account: outputs.to_csv(report)),
    "xlsx": Download(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", outputs.to_xlsx
    ),
    "pdf": Download("pdf", "application/pdf", outputs.to_pdf),
}


@account_view("reports.view")
@require_GET
def index(request: AccountRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"account": request.account, "reports": REPORTS})


@account_view("reports.view")
@require_GET
@reads_from_replica
def report(request: AccountRequest, code: str) -> HttpResponse:
    info = REPORTS_BY_CODE.get(code)
    if info is None:
        raise Http404
    account = request.account
    today = account.today()
    form = ReportFilterForm(
        request.GET,
        code=code,
        today=today,
        categories=_categories(account, code),
        vat_mode=queries.default_vat_mode(account),
    )
    context: dict[str, Any] = {"account": account, "info": info, "form": form, "problems": []}
    output = request.GET.get("format", "")
    if output and output not in DOWNLOADS:
        context["problems"].append(_("Format de fichier inconnu : choisissez CSV, Excel ou PDF."))
    if not form.is_valid() or context["problems"]:
        return render(request, "reports/report.html", context)
    filters = form.filters()

    if output or request.GET.get("print"):
        built = queries.build_report(code, account, filters, today)
        if output != "csv" and output != "xlsx" and _rows(built) > PRINT_MAX_ROWS:
            context["problems"].append(
                _(
                    "Ce rapport compte trop de lignes pour être imprimé ou mis en PDF (%(max)s au plus) : "
                    "téléchargez-le en Excel ou en CSV, ou réduisez la période."
                )
                % {"max": formats.number_format(PRINT_MAX_ROWS, force_grouping=True)}
            )
            return render(request, "reports/report.html", context)
        if output:
            return _download(built, account, DOWNLOADS[output])
        return render(request, "reports/print.html", {**context, **_shown(built)})

    built, window = _page(code, account, filters, today, request.GET.get("page"))
    return render(request, "reports/report.html", {**context, **_shown(built), "window": window})


def _categories(account: Account, code: str) -> list[tuple[int, str]] | None:
    if code != "expenses":
        return None
    return list(ExpenseCategory.objects.filter(account=account).values_list("id", "name"))


def _page(
    code: str, account: Account, filters: ReportFilters, today: datetime.date, requested: str | None
) -> tuple[Report, PageWindow | None]:
    """The report with one page of its long list (and that list's totals over every row)."""
    if code not in PAGED_REPORTS:
        return queries.build_report(code, account, filters, today), None
    try:
        # Bounded, so that a page number typed in the URL stays an offset the database accepts.
        number = min(max(int(requested or 1), 1), MAX_PAGE)
    except ValueError:
        number = 1
    offset = (number - 1) * PAGE_SIZE
    built = queries.build_report(code, account, filters, today, limit=PAGE_SIZE, offset=offset)
    window = PageWindow.of(str(number), count=built.tables[0].total_rows, per_page=PAGE_SIZE)
    if window.number != number:
        # A page past the end (the list got shorter since the link was made): show the last one.
        built = queries.build_report(code, account, filters, today, limit=PAGE_SIZE, offset=window.offset)
    return built, window


def _shown(built: Report) -> dict[str, Any]:
    """What the page and the print view show of a report: its tables as text, and its chart."""
    chart = None
    if built.chart:
        chart = bar_chart(
            built.chart,
            title=built.chart_title,
            description=_("Diagramme en barres : %(title)s. Les montants figurent aussi dans le tableau.")
            % {"title": built.chart_title},
        )
    return {
        "report": built,
        "period": outputs.period_line(built),
        "filter_lines": outputs.filter_lines(built),
        "tables": [outputs.display_table(table) for table in built.tables],
        "chart": chart,
        "chart_rows": [(bar.label, outputs.CellFormatter()(bar.value, "money")) for bar in built.chart],
    }


def _rows(built: Report) -> int:
    return sum(table.total_rows for table in built.tables)


def _download(built: Report, account: Account, download: Download) -> HttpResponse:
    """The report as a file named after the account, report and period."""
    response = HttpResponse(download.write(built, account), content_type=download.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{built.file_stem(account.slug)}.{download.extension}"'
    )
    return response
