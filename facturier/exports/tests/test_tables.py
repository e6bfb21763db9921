"""The invoice and payments exports (CSV and XLSX) on a small fixed dataset, value by value.

The dataset: an invoice at two rates (20 % services, 5.5 % goods with a product of its own account),
a second invoice, a partial credit note of the first, an invoice in US dollars at 0 % (export), a
payment settling the first two invoices together, a partial payment of the dollar invoice, and a
supplier payment. The XLSX is read back by unzipping it and parsing its sheet XML (no openpyxl).
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from facturier.billing.models import Client, Document
from facturier.billing.services import documents as document_services
from facturier.billing.services.payments import record_payment
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice, make_product
from facturier.exports import tables
from facturier.exports.base import ExportError, ExportRequest, no_progress
from facturier.exports.models import AccountingSettings
from facturier.purchases import services as purchases
from facturier.purchases.models import ExpenseCategory
from facturier.purchases.services import ExpenseInput, ExpenseLineInput
from facturier.reports import queries
from facturier.reports.base import ReportFilters
from facturier.reports.tests.test_correctness import build_books
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account

D = Decimal
YEAR_2026 = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# --- Reading the files back ----------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark, for Excel"
    assert b"\r\n" in data
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass
class Sheet:
    cells: dict[tuple[int, int], Any]  # (row, column) -> value, both from 0
    formats: dict[tuple[int, int], str]  # (row, column) -> number format code
    frozen_rows: int
    autofilter: str

    def row(self, number: int) -> list[Any]:
        width = 1 + max(col for _row, col in self.cells)
        return [self.cells.get((number, col)) for col in range(width)]

    @property
    def header(self) -> int:
        return self.frozen_rows - 1

    def records(self) -> list[dict[str, Any]]:
        """The data rows below the header, as {label: value}, without the totals row."""
        labels = self.row(self.header)
        last = max(row for row, _col in self.cells)
        return [dict(zip(labels, self.row(number), strict=True)) for number in range(self.header + 1, last)]

    def totals(self) -> dict[str, Any]:
        last = max(row for row, _col in self.cells)
        return dict(zip(self.row(self.header), self.row(last), strict=True))


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    assert letters
    index = 0
    for letter in letters.group():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _xml(data: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(data)  # noqa: S314 (the file our own writer just made)


def read_xlsx(data: bytes) -> Sheet:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            for item in _xml(archive.read("xl/sharedStrings.xml")).iter(f"{NS}si"):
                shared.append("".join(text.text or "" for text in item.iter(f"{NS}t")))
        styles = _xml(archive.read("xl/styles.xml"))
        sheet = _xml(archive.read("xl/worksheets/sheet1.xml"))
    codes = {"0": "General", "14": "dd/mm/yyyy"}
    for number_format in styles.iter(f"{NS}numFmt"):
        codes[number_format.get("numFmtId", "")] = number_format.get("formatCode", "")
    cell_xfs = styles.find(f"{NS}cellXfs")
    assert cell_xfs is not None
    xf_formats = [codes.get(xf.get("numFmtId", "0"), "?") for xf in cell_xfs.findall(f"{NS}xf")]
    cells: dict[tuple[int, int], Any] = {}
    formats: dict[tuple[int, int], str] = {}
    for row in sheet.iter(f"{NS}row"):
        for cell in row.findall(f"{NS}c"):
            reference = cell.get("r", "")
            position = (int(re.sub(r"[A-Z]+", "", reference)) - 1, _column_index(reference))
            kind, value_node = cell.get("t"), cell.find(f"{NS}v")
            if kind == "s":
                assert value_node is not None and value_node.text is not None
                value: Any = shared[int(value_node.text)]
            elif kind == "inlineStr":
                value = "".join(text.text or "" for text in cell.iter(f"{NS}t"))
            elif value_node is None:
                value = None  # a blank cell holding only a format
            else:
                value = float(value_node.text or "0")
            cells[position] = value
            formats[position] = xf_formats[int(cell.get("s", "0"))]
    pane = sheet.find(f".//{NS}pane")
    autofilter = sheet.find(f"{NS}autoFilter")
    return Sheet(
        cells=cells,
        formats=formats,
        frozen_rows=int(float(pane.get("ySplit", "0"))) if pane is not None else 0,
        autofilter=autofilter.get("ref", "") if autofilter is not None else "",
    )


def as_csv(value: Any) -> str:
    """An expected value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


EXCEL_EPOCH = datetime.date(1899, 12, 30)


def as_xlsx(value: Any) -> Any:
    """An expected value as the XLSX stores it: numbers and dates as numbers, empty text as no cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):
        return float((value - EXCEL_EPOCH).days)
    if isinstance(value, Decimal | int):
        return float(value)
    return value


def export(writer: Any, request: ExportRequest) -> bytes:
    out = io.BytesIO()
    writer(request, out, no_progress)
    return out.getvalue()


# --- The dataset ---------------------------------------------------------------------------------


@dataclass
class Dataset:
    account: Account
    dupont: Client
    us: Client
    supplier: Client
    i1: Document
    i2: Document
    c1: Document
    i3: Document


@pytest.fixture
def dataset(acme: Account, owner: Any) -> Dataset:
    actor = actor_for(acme, owner)
    dupont = make_client(acme, accounting_code="411DUPONT")
    us = make_client(acme, name="Acme Inc.", country="US", siren="", vat_number="", street="1 Main St")
    book = make_product(acme, name="Livre", code="LIV", accounting_code="707200", vat_rate=D("5.5"))
    i1 = make_invoice(
        actor,
        dupont,
        [
            line("Conseil", "2", "350", "20"),
            line(
                "Livre",
                "4",
                "12.50",
                "5.5",
                supply_kind="goods",
                product_id=book.pk,
                accounting_code="707200",
            ),
        ],
        issue_date=day("2026-01-10"),
        sell_date=day("2026-01-08"),
    )
    i2 = make_invoice(actor, dupont, [line("Audit", "1", "100", "20")], issue_date=day("2026-01-20"))
    with time_machine.travel(datetime.datetime(2026, 1, 25, 12, tzinfo=datetime.UTC), tick=False):
        note = document_services.create_credit_note(
            actor, i1, lines=[line("Conseil", "1", "350", "20")], reason="Une journée de moins"
        )
        c1 = document_services.issue(actor, note)
    i3 = make_invoice(
        actor,
        us,
        [line("Machine", "1", "1000", "0", vat_category="G", supply_kind="goods")],
        issue_date=day("2026-02-03"),
        currency="USD",
        exchange_rate=D("0.92"),
    )
    record_payment(
        actor, acme, date=day("2026-02-01"), amount=D("592.75"), reference="VIR-1", documents=[i1, i2]
    )
    record_payment(actor, acme, date=day("2026-02-10"), amount=D("400"), documents=[i3], currency="USD")
    purchases.ensure_default_categories(acme)
    supplier = make_client(acme, name="Bureau Vallée", kind="supplier", siren="", vat_number="")
    category = ExpenseCategory.objects.filter(account=acme).first()
    assert category is not None
    expense = purchases.create_expense(
        actor,
        acme,
        ExpenseInput(
            supplier_id=supplier.pk,
            category_id=category.pk,
            issue_date=day("2026-01-15"),
            supplier_number="F1",
            lines=[ExpenseLineInput("Papier", D(1), D(100), D(20))],
        ),
    )
    purchases.record_expense_payment(
        actor, expense, date=day("2026-02-05"), amount=D("120"), method="card", reference="CB-1"
    )
    documents = {d.pk: d for d in Document.objects.filter(account=acme)}
    return Dataset(acme, dupont, us, supplier, *(documents[d.pk] for d in (i1, i2, c1, i3)))


def request_for(account: Account, **fields: Any) -> ExportRequest:
    start, end = YEAR_2026
    return ExportRequest(account=account, start=start, end=end, **fields)


def document_head(d: Document, client_account: str, currency: str = "EUR", rate: str = "1.000000") -> dict:
    return {
        "Numéro": d.number,
        "Type": str(d.get_kind_display()),
        "Date d'émission": d.issue_date,
        "Date de vente": d.sell_date,
        "Date d'échéance": d.due_date,
        "Client": d.buyer_name,
        "SIREN": d.buyer_siren,
        "N° de TVA": d.buyer_vat_number,
        "Pays": d.buyer_country,
        "Compte client": client_account,
        "Devise": currency,
        "Taux de change": D(rate),
    }


def per_rate(**amounts: str) -> dict[str, Decimal]:
    """The per-rate EUR columns of the document layout, zero unless given (keys: ht20, tva5_5...)."""
    labels = {
        "ht20": "HT 20 % (EUR)", "tva20": "TVA 20 % (EUR)", "ht10": "HT 10 % (EUR)", "tva10": "TVA 10 % (EUR)",
        "ht5_5": "HT 5,5 % (EUR)", "tva5_5": "TVA 5,5 % (EUR)", "ht2_1": "HT 2,1 % (EUR)",
        "tva2_1": "TVA 2,1 % (EUR)", "ht0": "HT à 0 % ou exonéré (EUR)", "ht_other": "HT autres taux (EUR)",
        "tva_other": "TVA autres taux (EUR)",
    }  # fmt: skip
    return {label: D(amounts.get(key, "0.00")) for key, label in labels.items()}


def expected_documents(data: Dataset) -> list[dict[str, Any]]:
    us_account = f"C{data.us.pk:06d}"
    return [
        {
            **document_head(data.i1, "411DUPONT"),
            **per_rate(ht20="700.00", tva20="140.00", ht5_5="50.00", tva5_5="2.75"),
            "HT (EUR)": D("750.00"), "TVA (EUR)": D("142.75"), "TTC (EUR)": D("892.75"),
            "HT (devise)": D("750.00"), "TVA (devise)": D("142.75"), "TTC (devise)": D("892.75"),
            "Acomptes déduits (devise)": D("0.00"), "État": "Payée",
            "Payé (devise)": D("472.75"), "Reste dû (devise)": D("0.00"),
            "Comptes de produit": "706000 ; 707200", "Exporté le": None,
        },
        {
            **document_head(data.i2, "411DUPONT"),
            **per_rate(ht20="100.00", tva20="20.00"),
            "HT (EUR)": D("100.00"), "TVA (EUR)": D("20.00"), "TTC (EUR)": D("120.00"),
            "HT (devise)": D("100.00"), "TVA (devise)": D("20.00"), "TTC (devise)": D("120.00"),
            "Acomptes déduits (devise)": D("0.00"), "État": "Payée",
            "Payé (devise)": D("120.00"), "Reste dû (devise)": D("0.00"),
            "Comptes de produit": "706000", "Exporté le": None,
        },
        {
            **document_head(data.c1, "411DUPONT"),
            **per_rate(ht20="-350.00", tva20="-70.00"),
            "HT (EUR)": D("-350.00"), "TVA (EUR)": D("-70.00"), "TTC (EUR)": D("-420.00"),
            "HT (devise)": D("-350.00"), "TVA (devise)": D("-70.00"), "TTC (devise)": D("-420.00"),
            "Acomptes déduits (devise)": D("0.00"), "État": "Émis",
            "Payé (devise)": D("0.00"), "Reste dû (devise)": D("0.00"),
            "Comptes de produit": "706000", "Exporté le": None,
        },
        {
            **document_head(data.i3, us_account, "USD", "0.920000"),
            **per_rate(ht0="920.00"),
            "HT (EUR)": D("920.00"), "TVA (EUR)": D("0.00"), "TTC (EUR)": D("920.00"),
            "HT (devise)": D("1000.00"), "TVA (devise)": D("0.00"), "TTC (devise)": D("1000.00"),
            "Acomptes déduits (devise)": D("0.00"), "État": "Payée partiellement",
            "Payé (devise)": D("400.00"), "Reste dû (devise)": D("600.00"),
            "Comptes de produit": "707100", "Exporté le": None,
        },
    ]  # fmt: skip


def expected_lines(data: Dataset) -> list[dict[str, Any]]:
    def row(document: Document, account: str, position: int, **values: Any) -> dict[str, Any]:
        currency, rate = ("USD", "0.920000") if document == data.i3 else ("EUR", "1.000000")
        return {**document_head(document, account, currency, rate), "Ligne": position, **values, "État": str(document.get_status_display()), "Exporté le": None}  # fmt: skip

    def amounts(
        net: str, vat: str, gross: str, eur: tuple[str, str, str] | None = None
    ) -> dict[str, Decimal]:
        net_eur, vat_eur, gross_eur = eur or (net, vat, gross)
        return {
            "HT (devise)": D(net), "TVA (devise)": D(vat), "TTC (devise)": D(gross),
            "HT (EUR)": D(net_eur), "TVA (EUR)": D(vat_eur), "TTC (EUR)": D(gross_eur),
        }  # fmt: skip

    def text(
        code: str, name: str, quantity: str, price: str, rate: str, category: str = "S"
    ) -> dict[str, Any]:
        return {
            "Référence produit": code, "Désignation": name, "Quantité": D(quantity),
            "Prix unitaire (devise)": D(price), "Remise (%)": D("0.00"), "Taux de TVA": D(rate),
            "Catégorie de TVA": category, "Pays de TVA": "FR",
        }  # fmt: skip

    us_account = f"C{data.us.pk:06d}"
    return [
        row(data.i1, "411DUPONT", 1, **text("", "Conseil", "2.0000", "350.0000", "20.00"),
            **amounts("700.00", "140.00", "840.00"), **{"Compte de produit": "706000"}),
        row(data.i1, "411DUPONT", 2, **text("LIV", "Livre", "4.0000", "12.5000", "5.50"),
            **amounts("50.00", "2.75", "52.75"), **{"Compte de produit": "707200"}),
        row(data.i2, "411DUPONT", 1, **text("", "Audit", "1.0000", "100.0000", "20.00"),
            **amounts("100.00", "20.00", "120.00"), **{"Compte de produit": "706000"}),
        row(data.c1, "411DUPONT", 1, **text("", "Conseil", "-1.0000", "350.0000", "20.00"),
            **amounts("-350.00", "-70.00", "-420.00"), **{"Compte de produit": "706000"}),
        row(data.i3, us_account, 1, **text("", "Machine", "1.0000", "1000.0000", "0.00", "G"),
            **amounts("1000.00", "0.00", "1000.00", ("920.00", "0.00", "920.00")),
            **{"Compte de produit": "707100"}),
    ]  # fmt: skip


# --- Invoice export ------------------------------------------------------------------------------


def test_the_csv_invoice_export_has_one_row_per_document_with_amounts_per_rate(dataset: Dataset) -> None:
    rows = read_csv(export(tables.write_invoices_csv, request_for(dataset.account)))

    expected = expected_documents(dataset)
    assert list(rows[0]) == list(expected[0])  # the columns, in order
    assert rows == [{label: as_csv(value) for label, value in row.items()} for row in expected]


def test_the_xlsx_invoice_export_holds_typed_values_and_totals(dataset: Dataset) -> None:
    sheet = read_xlsx(export(tables.write_invoices_xlsx, request_for(dataset.account)))

    expected = expected_documents(dataset)
    assert sheet.records() == [{label: as_xlsx(value) for label, value in row.items()} for row in expected]
    assert sheet.cells[(0, 0)] == "ACME SAS — Export des factures"
    assert sheet.cells[(1, 0)] == "Période : du 01/01/2026 au 31/12/2026"
    assert "Avoirs en négatif" in sheet.cells[(2, 0)]
    # Dates are dates and amounts are numbers, with the reports' formats.
    first = sheet.header + 1
    labels = sheet.row(sheet.header)
    assert sheet.formats[(first, labels.index("Date d'émission"))] == "dd/mm/yyyy"
    assert sheet.formats[(first, labels.index("HT (EUR)"))] == "#,##0.00"
    assert sheet.formats[(first, labels.index("Taux de change"))] == "0.0000##"
    assert sheet.autofilter == f"A{sheet.frozen_rows}:AI{sheet.frozen_rows + 4}"
    # EUR columns add up; amounts in two currencies (EUR, USD) do not.
    totals = sheet.totals()
    assert totals["Numéro"] == "Total : 4 documents"
    assert totals["HT 20 % (EUR)"] == 450.0
    assert totals["TVA 20 % (EUR)"] == 90.0
    assert totals["HT à 0 % ou exonéré (EUR)"] == 920.0
    assert (totals["HT (EUR)"], totals["TVA (EUR)"], totals["TTC (EUR)"]) == (1420.0, 92.75, 1512.75)
    assert (totals["TTC (devise)"], totals["Payé (devise)"], totals["Devise"]) == (None, None, None)


def test_amounts_in_the_documents_currency_are_totalled_when_there_is_only_one(dataset: Dataset) -> None:
    sheet = read_xlsx(export(tables.write_invoices_xlsx, request_for(dataset.account, countries=("FR",))))

    assert [row["Numéro"] for row in sheet.records()] == [
        dataset.i1.number,
        dataset.i2.number,
        dataset.c1.number,
    ]
    assert "Pays : FR" in sheet.cells.values()
    totals = sheet.totals()
    assert (totals["TTC (devise)"], totals["Payé (devise)"], totals["Devise"]) == (592.75, 592.75, "EUR")
    assert totals["Reste dû (devise)"] == 0.0


def test_the_line_layout_has_one_row_per_line_in_csv_and_xlsx(dataset: Dataset) -> None:
    request = request_for(dataset.account, layout="line")
    expected = expected_lines(dataset)

    rows = read_csv(export(tables.write_invoices_csv, request))
    assert list(rows[0]) == list(expected[0])
    assert rows == [{label: as_csv(value) for label, value in row.items()} for row in expected]
    sheet = read_xlsx(export(tables.write_invoices_xlsx, request))
    assert sheet.records() == [{label: as_xlsx(value) for label, value in row.items()} for row in expected]
    totals = sheet.totals()
    assert totals["Numéro"] == "Total : 5 lignes"
    assert (totals["HT (EUR)"], totals["TVA (EUR)"], totals["TTC (EUR)"]) == (1420.0, 92.75, 1512.75)


def test_the_mapping_of_the_account_gives_the_revenue_accounts(dataset: Dataset) -> None:
    AccountingSettings.objects.create(
        account=dataset.account, revenue_services_account="706500", revenue_goods_exempt_account="707900"
    )
    # A line whose own account is not a revenue account (class 7) goes to the default one, as in the FEC.
    make_invoice(
        dataset.account,
        dataset.dupont,
        [line("Divers", accounting_code="ventes")],
        issue_date=day("2026-03-01"),
    )
    rows = read_csv(export(tables.write_invoices_csv, request_for(dataset.account)))
    lines = read_csv(export(tables.write_invoices_csv, request_for(dataset.account, layout="line")))

    assert [row["Comptes de produit"] for row in rows] == [
        "706500 ; 707200", "706500", "706500", "707900", "706500",
    ]  # fmt: skip
    assert [row["Compte de produit"] for row in lines] == [
        "706500",
        "707200",
        "706500",
        "706500",
        "707900",
        "706500",
    ]


def test_the_writer_does_not_create_the_accounting_settings(dataset: Dataset) -> None:
    export(tables.write_invoices_csv, request_for(dataset.account))

    assert not AccountingSettings.objects.filter(account=dataset.account).exists()


def test_exported_documents_show_when_in_the_accounts_time_zone(dataset: Dataset) -> None:
    moment = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)  # 10:30 in Paris
    Document.objects.filter(pk=dataset.i2.pk).update(exported_at=moment)

    csv_rows = read_csv(export(tables.write_invoices_csv, request_for(dataset.account)))
    sheet = read_xlsx(export(tables.write_invoices_xlsx, request_for(dataset.account)))

    assert [row["Exporté le"] for row in csv_rows] == ["", "2026-03-01 10:30", "", ""]
    assert sheet.records()[1]["Exporté le"] == pytest.approx(46082 + 10.5 / 24)  # 01/03/2026 10:30
    not_exported = read_csv(
        export(tables.write_invoices_csv, request_for(dataset.account, not_exported=True))
    )
    assert dataset.i2.number not in [row["Numéro"] for row in not_exported]


def test_text_that_looks_like_a_formula_stays_text(acme: Account) -> None:
    client = make_client(acme, name='=HYPERLINK("http://evil.test")', siren="404833048", vat_number="")
    make_invoice(acme, client, issue_date=day("2026-03-02"))

    rows = read_csv(export(tables.write_invoices_csv, request_for(acme)))
    sheet = read_xlsx(export(tables.write_invoices_xlsx, request_for(acme)))

    assert rows[0]["Client"] == '\'=HYPERLINK("http://evil.test")'
    assert rows[0]["HT (EUR)"] == "100.00"  # amounts are not text: never quoted (nor "-350.00" above)
    assert sheet.records()[0]["Client"] == '=HYPERLINK("http://evil.test")'  # a string cell, no formula


def test_a_final_invoice_counts_net_of_its_advances_in_both_layouts(acme: Account, owner: Any) -> None:
    books = build_books(acme, owner)
    year = datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)
    request = ExportRequest(account=acme, start=year[0], end=year[1])
    documents = read_csv(export(tables.write_invoices_csv, request))
    lines = read_csv(export(tables.write_invoices_csv, ExportRequest(account=acme, start=year[0], end=year[1], layout="line")))  # fmt: skip

    # The per-document export adds up to the revenue list of the same period, to the cent.
    revenue = queries.revenue_list(acme, ReportFilters(start=year[0], end=year[1])).tables[0].totals
    assert revenue is not None
    for column, key in (("HT (EUR)", "net"), ("TVA (EUR)", "vat"), ("TTC (EUR)", "gross")):
        assert sum(D(row[column]) for row in documents) == revenue[key]
    # The final invoice: its lines, then the advance it deducts, per rate; they add up to its row.
    final, advance = books.docs["f1"], books.docs["a1"]
    final_lines = [row for row in lines if row["Numéro"] == final.number]
    assert [row["Désignation"] for row in final_lines] == [
        "Cuisine", "Pose", f"Acompte {advance.number} déduit", f"Acompte {advance.number} déduit",
    ]  # fmt: skip
    final_row = next(row for row in documents if row["Numéro"] == final.number)
    for column in ("HT (EUR)", "TVA (EUR)", "TTC (EUR)", "HT (devise)", "TTC (devise)"):
        assert sum(D(row[column]) for row in final_lines) == D(final_row[column])
    assert D(final_row["TTC (devise)"]) == final.gross_total - final.advances_deducted
    assert D(final_row["Acomptes déduits (devise)"]) == final.advances_deducted
    # Every document's lines add up to its row, within a cent per line (VAT is rounded per line there).
    for row in documents:
        own = [
            line_row
            for line_row in lines
            if line_row["Numéro"] == row["Numéro"] and line_row["Type"] == row["Type"]
        ]
        assert abs(sum(D(line_row["HT (EUR)"]) for line_row in own) - D(row["HT (EUR)"])) <= D("0.01") * len(
            own
        )
        assert abs(sum(D(line_row["TVA (EUR)"]) for line_row in own) - D(row["TVA (EUR)"])) <= D(
            "0.01"
        ) * len(own)
    # Sales taxed in another member state (OSS) are apart from French VAT.
    oss = next(row for row in documents if row["Numéro"] == books.docs["i2"].number)
    assert (oss["HT autres taux (EUR)"], oss["TVA autres taux (EUR)"], oss["HT 20 % (EUR)"]) == (
        "95.00",
        "16.25",
        "0.00",
    )
    assert oss["Comptes de produit"] == "706100 ; 707100"


def test_a_total_credit_note_of_a_final_invoice_takes_its_advance_deduction_back(
    acme: Account, owner: Any
) -> None:
    books = build_books(acme, owner)
    actor = actor_for(acme, owner)
    with time_machine.travel(datetime.datetime(2025, 9, 1, 12, tzinfo=datetime.UTC), tick=False):
        note = document_services.issue(
            actor, document_services.create_credit_note(actor, books.docs["f1"], reason="Annulée")
        )
    request = ExportRequest(account=acme, start=day("2025-09-01"), end=day("2025-09-01"), layout="line")
    rows = read_csv(export(tables.write_invoices_csv, request))
    document_rows = read_csv(export(tables.write_invoices_csv, ExportRequest(account=acme, start=day("2025-09-01"), end=day("2025-09-01"))))  # fmt: skip

    assert {row["Numéro"] for row in rows} == {note.number}
    assert [row["Désignation"] for row in rows][
        -1
    ] == f"Déduction de l'acompte {books.docs['a1'].number} annulée"
    assert sum(D(row["TTC (devise)"]) for row in rows) == D(document_rows[0]["TTC (devise)"])
    assert D(document_rows[0]["TTC (devise)"]) == note.gross_total - note.advances_deducted


def test_an_empty_period_is_refused_before_anything_is_written(dataset: Dataset) -> None:
    request = ExportRequest(account=dataset.account, start=day("2027-01-01"), end=day("2027-01-31"))
    for writer in (tables.write_invoices_csv, tables.write_invoices_xlsx):
        out = io.BytesIO()
        with pytest.raises(ExportError, match="Aucun document de vente du 01/01/2027 au 31/01/2027"):
            writer(request, out, no_progress)
        assert out.getvalue() == b""
    for writer in (tables.write_payments_csv, tables.write_payments_xlsx):
        out = io.BytesIO()
        with pytest.raises(ExportError, match="Aucun paiement reçu ou émis du 01/01/2027 au 31/01/2027"):
            writer(request, out, no_progress)
        assert out.getvalue() == b""


def test_a_period_that_ends_before_it_starts_is_refused(dataset: Dataset) -> None:
    request = ExportRequest(account=dataset.account, start=day("2026-02-01"), end=day("2026-01-01"))
    with pytest.raises(ExportError, match="date de début"):
        export(tables.write_invoices_csv, request)


def test_an_other_accounts_documents_are_never_exported(dataset: Dataset, globex: Account) -> None:
    other = make_client(globex, name="Client de Globex")
    make_invoice(globex, other, issue_date=day("2026-01-12"))

    rows = read_csv(export(tables.write_invoices_csv, request_for(dataset.account, layout="line")))

    assert "Client de Globex" not in {row["Client"] for row in rows}
    assert len(read_csv(export(tables.write_invoices_csv, request_for(globex)))) == 1


def test_progress_is_reported_after_each_chunk(dataset: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "CHUNK_SIZE", 3)
    calls: list[tuple[int, int]] = []
    for layout in ("document", "line"):
        out = io.BytesIO()
        tables.write_invoices_xlsx(
            request_for(dataset.account, layout=layout), out, lambda *call: calls.append(call)
        )
    payments: list[tuple[int, int]] = []
    rows = read_csv(export(tables.write_payments_csv, request_for(dataset.account)))
    tables.write_payments_csv(request_for(dataset.account), io.BytesIO(), lambda *call: payments.append(call))

    assert calls == [(3, 4), (4, 4), (3, 4), (4, 4)]
    assert payments == [(3, 3)]
    assert len(rows) == 3


def _queries(writer: Any, request: ExportRequest) -> int:
    with CaptureQueriesContext(connection) as captured:
        writer(request, io.BytesIO(), no_progress)
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("writer", "layout"),
    [
        (tables.write_invoices_csv, "document"),
        (tables.write_invoices_xlsx, "document"),
        (tables.write_invoices_csv, "line"),
        (tables.write_invoices_xlsx, "line"),
        (tables.write_payments_csv, "document"),
        (tables.write_payments_xlsx, "document"),
    ],
)
def test_the_number_of_queries_does_not_grow_with_the_documents(
    acme: Account, writer: Any, layout: str
) -> None:
    client = make_client(acme)
    supplier = make_client(acme, name="Fournisseur", kind="supplier", siren="", vat_number="")
    purchases.ensure_default_categories(acme)
    category = ExpenseCategory.objects.filter(account=acme).first()
    assert category is not None
    counts = []
    for size in (5, 45):  # 5 documents, then 50
        for n in range(size):
            invoice = make_invoice(
                acme, client, [line("A", "1", "10", "20"), line("B", "2", "5", "5.5", supply_kind="goods")],
                issue_date=day("2026-03-01"),
            )  # fmt: skip
            record_payment(Actor.system(), acme, date=day("2026-03-02"), amount=D("6"), documents=[invoice])
            expense = purchases.create_expense(
                Actor.system(), acme,
                ExpenseInput(supplier_id=supplier.pk, category_id=category.pk, issue_date=day("2026-03-01"),
                             supplier_number=f"S{size}-{n}", lines=[ExpenseLineInput("X", D(1), D(10), D(20))]),
            )  # fmt: skip
            purchases.record_expense_payment(Actor.system(), expense, date=day("2026-03-03"), amount=D(12))
        counts.append(_queries(writer, request_for(acme, layout=layout)))

    assert counts[0] == counts[1]
    assert counts[0] <= 6


# --- Payments export -----------------------------------------------------------------------------


def expected_payments(data: Dataset) -> list[dict[str, Any]]:
    return [
        {
            "Date": day("2026-02-01"), "Sens": "Encaissement", "Montant": D("592.75"), "Devise": "EUR",
            "Mode de paiement": "Virement", "Référence": "VIR-1", "Client ou fournisseur": "Dupont SARL",
            "Compte auxiliaire": "411DUPONT",
            "Documents réglés": f"{data.i1.number} (472,75) ; {data.i2.number} (120,00)",
            "Nombre de documents": 2,
        },
        {
            "Date": day("2026-02-05"), "Sens": "Décaissement", "Montant": D("-120.00"), "Devise": "EUR",
            "Mode de paiement": "Carte bancaire", "Référence": "CB-1", "Client ou fournisseur": "Bureau Vallée",
            "Compte auxiliaire": f"F{data.supplier.pk:06d}", "Documents réglés": "F1 (120,00)",
            "Nombre de documents": 1,
        },
        {
            "Date": day("2026-02-10"), "Sens": "Encaissement", "Montant": D("400.00"), "Devise": "USD",
            "Mode de paiement": "Virement", "Référence": "", "Client ou fournisseur": "Acme Inc.",
            "Compte auxiliaire": f"C{data.us.pk:06d}", "Documents réglés": f"{data.i3.number} (400,00)",
            "Nombre de documents": 1,
        },
    ]  # fmt: skip


def test_the_payments_csv_lists_money_received_and_paid_in_date_order(dataset: Dataset) -> None:
    data = export(tables.write_payments_csv, request_for(dataset.account))

    header = (
        "Date;Sens;Montant;Devise;Mode de paiement;Référence;Client ou fournisseur;Compte auxiliaire;"
        "Documents réglés;Nombre de documents"
    )
    i1, i2, i3 = dataset.i1.number, dataset.i2.number, dataset.i3.number
    assert data.decode("utf-8") == (
        f"\ufeff{header}\r\n"
        f'2026-02-01;Encaissement;592.75;EUR;Virement;VIR-1;Dupont SARL;411DUPONT;"{i1} (472,75) ; {i2} (120,00)";2\r\n'
        f"2026-02-05;Décaissement;-120.00;EUR;Carte bancaire;CB-1;Bureau Vallée;F{dataset.supplier.pk:06d};F1 (120,00);1\r\n"
        f"2026-02-10;Encaissement;400.00;USD;Virement;;Acme Inc.;C{dataset.us.pk:06d};{i3} (400,00);1\r\n"
    )
    assert read_csv(data) == [{k: as_csv(v) for k, v in row.items()} for row in expected_payments(dataset)]


def test_the_payments_xlsx_holds_the_same_rows_with_totals(dataset: Dataset) -> None:
    sheet = read_xlsx(export(tables.write_payments_xlsx, request_for(dataset.account)))

    assert sheet.records() == [{k: as_xlsx(v) for k, v in row.items()} for row in expected_payments(dataset)]
    totals = sheet.totals()
    assert totals["Date"] == "Total : 3 paiements"
    assert (totals["Montant"], totals["Devise"], totals["Nombre de documents"]) == (None, None, 4.0)
    assert sheet.formats[(sheet.header + 1, 0)] == "dd/mm/yyyy"


def test_the_scope_narrows_the_payments_to_one_direction(dataset: Dataset) -> None:
    received = read_csv(export(tables.write_payments_csv, request_for(dataset.account, scope="sales")))
    paid = read_xlsx(export(tables.write_payments_xlsx, request_for(dataset.account, scope="purchases")))

    assert [row["Sens"] for row in received] == ["Encaissement", "Encaissement"]
    assert [row["Sens"] for row in paid.records()] == ["Décaissement"]
    # One currency: the amounts add up (money paid is negative).
    assert (paid.totals()["Montant"], paid.totals()["Devise"]) == (-120.0, "EUR")
    assert "Seulement les paiements émis vers les fournisseurs" in paid.cells.values()


def test_settled_amounts_are_written_as_the_language_of_the_export_writes_numbers(dataset: Dataset) -> None:
    with translation.override("en"):
        rows = list(csv.reader(io.StringIO(export(tables.write_payments_csv, request_for(dataset.account)).decode("utf-8-sig")), delimiter=";"))  # fmt: skip

    assert rows[1][8] == f"{dataset.i1.number} (472.75) ; {dataset.i2.number} (120.00)"
    assert rows[1][2] == "592.75"
