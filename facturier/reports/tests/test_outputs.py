"""The writers of a report: text for the page, CSV, Excel and PDF, from reports built by hand and from
the real queries."""

import csv
import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.reports import outputs, queries
from facturier.reports.base import ChartBar, Column, Report, ReportFilters, Table
from facturier.reports.charts import bar_chart
from facturier.tenancy.models import Account

D = Decimal
NBSP = "\u00a0"


def revenue_table(rows: int = 2) -> Table:
    return Table(
        title="Documents de vente",
        columns=[
            Column("date", "Date", "date"),
            Column("number", "Numéro"),
            Column("client", "Client"),
            Column("net", "HT (EUR)", "money"),
            Column("rate", "Taux", "percent"),
            Column("days", "Jours", "int"),
        ],
        rows=[
            {
                "date": datetime.date(2026, 1, 1 + i),
                "number": f"F-{i + 1:04}",
                "client": "Dupont, Durand & fils" if i == 0 else '=HYPERLINK("x")',
                "net": D("1234.5") if i == 0 else D("-20.00"),
                "rate": D("5.50"),
                "days": 3,
            }
            for i in range(rows)
        ],
        totals={"number": "Total", "net": D("1214.50")},
        notes=["Case 08 : base taxable à 20 %."],
    )


def report(*tables: Table) -> Report:
    return Report(
        code="revenue",
        title="Liste des revenus",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        filter_summary=["Période : du 01/01/2026 au 31/03/2026", "Pays : FR, DE"],
        tables=list(tables) or [revenue_table()],
    )


@pytest.fixture(autouse=True)
def _french():
    with translation.override("fr"):
        yield


@pytest.fixture
def account() -> Account:
    return Account(slug="acme", name="ACME SAS")  # the writers only read its name, slug and today


# --- Text -----------------------------------------------------------------------------------------


def test_cells_are_written_the_french_way():
    fmt = outputs.CellFormatter()

    assert fmt(D("1234567.5"), "money") == f"1{NBSP}234{NBSP}567,50"
    assert fmt(D("-20"), "money") == "-20,00"
    assert fmt(D("5.50"), "percent") == f"5,5{NBSP}%"
    assert fmt(D("20.00"), "percent") == f"20{NBSP}%"
    assert fmt(D("1.2500"), "number") == "1,25"
    assert fmt(12345, "int") == f"12{NBSP}345"
    assert fmt(datetime.date(2026, 2, 3), "date") == "03/02/2026"
    assert fmt(None, "money") == ""
    assert fmt("Dupont", "text") == "Dupont"


def test_cells_are_written_the_english_way_in_english():
    with translation.override("en"):
        fmt = outputs.CellFormatter()
        assert fmt(D("1234567.5"), "money") == "1,234,567.50"
        assert fmt(D("5.50"), "percent") == "5.5%"


def test_the_displayed_table_right_aligns_numbers_and_heads_the_totals_row_with_its_label():
    shown = outputs.display_table(revenue_table())

    assert shown.headers[3] == ("HT (EUR)", True)
    assert shown.headers[2] == ("Client", False)
    assert shown.rows[0][3] == (f"1{NBSP}234,50", True)
    assert shown.totals is not None
    assert shown.totals_label == 1  # "Total" sits in the number column
    assert shown.row_count == 2


def test_the_period_of_a_report_on_all_dates_reads_until_its_end():
    everything = Report("unpaid", "Liste des impayés", datetime.date(2000, 1, 1), datetime.date(2026, 3, 16))

    assert outputs.period_line(report()) == "Période : du 01/01/2026 au 31/03/2026"
    assert outputs.period_line(everything) == "Période : jusqu'au 16/03/2026"
    assert outputs.filter_lines(report()) == ["Pays : FR, DE"]  # the period is not repeated


def test_the_chart_escapes_its_labels_and_draws_negative_bars_below_the_axis():
    svg = bar_chart(
        [ChartBar("<script>", D("100")), ChartBar("Avoirs", D("-40"))], title="T & co", description="D"
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert '<title id="report-chart-title">T &amp; co</title>' in svg
    assert svg.count("<rect") == 2
    assert 'fill="#b3261e"' in svg  # the negative bar


# --- CSV ------------------------------------------------------------------------------------------


def test_the_csv_of_one_table_is_a_header_its_rows_and_its_totals():
    rows = list(csv.reader(io.StringIO(outputs.to_csv(report()).decode("utf-8"))))

    assert rows == [
        ["Date", "Numéro", "Client", "HT (EUR)", "Taux", "Jours"],
        ["2026-01-01", "F-0001", "Dupont, Durand & fils", "1234.50", "5.50", "3"],
        # The text that a spreadsheet would run gets a quote; the negative amount stays a number.
        ["2026-01-02", "F-0002", '\'=HYPERLINK("x")', "-20.00", "5.50", "3"],
        ["", "Total", "", "1214.50", "", ""],
    ]


def test_the_csv_of_several_tables_puts_each_after_its_title_with_a_blank_line_between():
    second = Table("Par taux", [Column("rate", "Taux", "percent"), Column("base", "Base", "money")],
                   rows=[{"rate": D("20"), "base": D("100")}])  # fmt: skip

    text = outputs.to_csv(report(revenue_table(1), second)).decode("utf-8")

    assert text.split("\r\n") == [
        "Documents de vente",
        "Date,Numéro,Client,HT (EUR),Taux,Jours",
        '2026-01-01,F-0001,"Dupont, Durand & fils",1234.50,5.50,3',
        ",Total,,1214.50,,",
        "",
        "Par taux",
        "Taux,Base",
        "20,100.00",
        "",
    ]


# --- Excel ----------------------------------------------------------------------------------------


def sheets(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        names = re.findall(r'<sheet name="([^"]+)"', workbook.read("xl/workbook.xml").decode())
        return {
            name: workbook.read(f"xl/worksheets/sheet{i}.xml").decode() for i, name in enumerate(names, 1)
        }


def test_the_workbook_has_one_sheet_per_table_with_title_header_rows_and_totals(account):
    book = sheets(outputs.to_xlsx(report(), account))

    sheet = book["Documents de vente"]
    assert "ACME SAS — Liste des revenus" in sheet
    assert "Période : du 01/01/2026 au 31/03/2026" in sheet
    assert "Pays : FR, DE" in sheet
    # Heading lines 1-3, a blank row, the header on row 5, rows on 6-7, totals on 8, the note on 10.
    assert '<c r="A5" s="' in sheet and ">Date<" in sheet
    assert re.search(r'<c r="A6" s="\d+"><v>46023</v></c>', sheet)  # 2026-01-01 as a date serial
    assert re.search(r'<c r="D6" s="\d+"><v>1234.5</v></c>', sheet)
    assert re.search(r'<c r="E6" s="\d+"><v>5.5</v></c>', sheet)
    assert re.search(r'<c r="D8" s="\d+"><v>1214.5</v></c>', sheet)
    assert "Case 08 : base taxable à 20 %." in sheet
    assert '<autoFilter ref="A5:F7"/>' in sheet
    assert 'state="frozen"' in sheet
    assert "<f>" not in sheet  # a client named like a formula stays text
    assert "=HYPERLINK" in sheet


def test_sheet_names_are_made_valid_and_unique(account):
    long_title = "Ventes : TVA collectée / par taux [détail] et bien plus encore"
    book = sheets(outputs.to_xlsx(report(revenue_table(1), revenue_table(1), Table(long_title, [])), account))

    assert list(book) == ["Documents de vente", "Documents de vente (2)", "Ventes   TVA collectée   par ta"]
    assert all(len(name) <= 31 for name in book)


def test_the_excel_formats_are_money_dates_and_percents(account):
    with zipfile.ZipFile(io.BytesIO(outputs.to_xlsx(report(), account))) as workbook:
        styles = workbook.read("xl/styles.xml").decode()

    assert 'formatCode="#,##0.00"' in styles
    assert 'formatCode="dd/mm/yyyy"' in styles
    assert 'formatCode="0.0#&quot; %&quot;"' in styles


# --- PDF ------------------------------------------------------------------------------------------


def test_the_pdf_payload_holds_the_title_block_and_each_table_as_text(account):
    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        payload = outputs.pdf_payload(report(), account)

    assert payload["account"] == "ACME SAS"
    assert payload["period"] == "Période : du 01/01/2026 au 31/03/2026"
    assert payload["filters"] == ["Pays : FR, DE"]
    assert payload["printed"] == "Édité le 16/03/2026"
    assert payload["landscape"] is False  # six columns fit A4 portrait
    table = payload["tables"][0]
    assert [c["numeric"] for c in table["columns"]] == [False, False, False, True, True, True]
    assert table["rows"][0] == [
        "01/01/2026",
        "F-0001",
        "Dupont, Durand & fils",
        f"1{NBSP}234,50",
        f"5,5{NBSP}%",
        "3",
    ]
    assert table["totals"] == ["", "Total", "", f"1{NBSP}214,50", "", ""]


def test_the_pdf_is_an_a4_pdf_even_for_an_empty_report(account):
    empty = Table("Documents de vente", revenue_table().columns)

    for content in (outputs.to_pdf(report(), account), outputs.to_pdf(report(empty), account)):
        assert content.startswith(b"%PDF")
        assert b"/MediaBox[0 0 595.2756 841.8898]" in content  # A4 portrait, in points


def test_a_wide_table_is_laid_out_on_landscape_paper(account):
    wide = Table("Large", [Column(f"c{i}", f"Colonne {i}") for i in range(9)], rows=[{"c0": "x"}])

    assert outputs.pdf_payload(report(wide), account)["landscape"] is True
    assert b"/MediaBox[0 0 841.8898 595.2756]" in outputs.to_pdf(report(wide), account)


def test_a_long_report_is_compiled_by_a_child_process_into_the_same_pdf(account, monkeypatch):
    in_process = outputs.to_pdf(report(), account)
    monkeypatch.setattr(outputs, "IN_PROCESS_MAX_ROWS", 1)
    monkeypatch.setattr(outputs, "_compiler", None)  # would fail if this process compiled it

    in_child = outputs.to_pdf(report(), account)

    assert in_child.startswith(b"%PDF")
    assert in_child.count(b"/Type/Page") == in_process.count(b"/Type/Page")


def test_a_failing_child_process_raises_with_its_error(account, monkeypatch, tmp_path):
    monkeypatch.setattr(outputs, "IN_PROCESS_MAX_ROWS", 1)
    monkeypatch.setattr(outputs, "TEMPLATE", tmp_path / "missing.typ")

    with pytest.raises(RuntimeError, match="Typst child process failed"):
        outputs.to_pdf(report(), account)


# --- Through the real queries ---------------------------------------------------------------------


def test_the_files_of_a_real_revenue_list_hold_its_rows_and_totals(acme, owner):
    with time_machine.travel(datetime.datetime(2026, 3, 16, 9, tzinfo=datetime.UTC), tick=False):
        actor = actor_for(acme, owner)
        buyer = make_client(acme)
        for day, amount in ((2, "100"), (3, "250.10"), (4, "49.90")):
            make_invoice(
                actor,
                buyer,
                lines=[line("Conseil", "1", amount, "20")],
                issue_date=datetime.date(2026, 2, day),
            )
        built = queries.build_report(
            "revenue", acme, ReportFilters(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 2, 28)),
            acme.today(),
        )  # fmt: skip

        rows = list(csv.reader(io.StringIO(outputs.to_csv(built).decode("utf-8"))))
        book = sheets(outputs.to_xlsx(built, acme))
        pdf = outputs.to_pdf(built, acme)

    net = [column.key for column in built.tables[0].columns].index("net")
    assert [row[net] for row in rows[1:]] == ["100.00", "250.10", "49.90", "400.00"]
    assert built.file_stem(acme.slug) == "acme-revenue-2026-02-01-2026-02-28"
    sheet = next(iter(book.values()))
    assert "<v>250.1</v>" in sheet and "<v>400</v>" in sheet
    assert pdf.startswith(b"%PDF")
