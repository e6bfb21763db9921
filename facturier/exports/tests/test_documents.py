"""Documents in bulk (issue 6 §1): the ZIP of PDFs and attachments, and the one PDF to print.

The books of `acme` for the first quarter of 2025: three invoices (France, Germany, the United States
in dollars, paid), a credit note cancelling the first, a draft and a quote (in no export), an invoice of
December 2024 (outside the period), and four expenses: one with a PDF and a JPEG, one without any
attachment, one from a German supplier with a PNG, one whose PDF is damaged. Globex, another account,
has an invoice numbered like acme's first one and an expense with an attachment: neither may appear.
"""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pypdf import PdfReader, PdfWriter

from facturier.accounts.models import User
from facturier.billing.models import Client, Document
from facturier.billing.pdf import render_document_pdf
from facturier.billing.services import documents as document_services
from facturier.billing.services.billing_settings import update_billing_settings
from facturier.billing.services.payments import pay_in_full
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.exports import documents
from facturier.exports.base import ExportError, ExportRequest, no_progress
from facturier.purchases import services as purchases
from facturier.purchases.models import Attachment, Expense, ExpenseCategory
from facturier.purchases.services import ExpenseInput, ExpenseLineInput
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account

Q1 = datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)
# A PDF that starts like one but has no page: stored as uploaded, unprintable.
DAMAGED_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# The account's billing settings and logo are read once per export (billing.pdf.letterhead_of).
QUERIES_PER_RENDER = 0


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def on(text: str) -> time_machine.travel:
    """Run as if today were this day (a credit note is dated today)."""
    return time_machine.travel(
        datetime.datetime.combine(day(text), datetime.time(12), tzinfo=datetime.UTC), tick=False
    )


def image(kind: str, color: tuple[int, int, int], size: tuple[int, int] = (40, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@dataclass
class Books:
    account: Account
    actor: Actor
    docs: dict[str, Document] = field(default_factory=dict)
    expenses: dict[str, Expense] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    suppliers: dict[str, Client] = field(default_factory=dict)


def add_expense(
    books: Books, supplier: str, number: str, when: str, amount: str, files: list[SimpleUploadedFile]
) -> Expense:
    account = books.account
    purchases.ensure_default_categories(account)
    category = ExpenseCategory.objects.get(account=account, name="Fournitures")
    data = ExpenseInput(
        supplier_id=books.suppliers[supplier].pk,
        category_id=category.pk,
        issue_date=day(when),
        supplier_number=number,
        lines=[ExpenseLineInput("Fournitures", D(1), D(amount), D(20))],
    )
    return purchases.create_expense(books.actor, account, data, files=files)


def stored_before_checks(expense: Expense, content: bytes) -> None:
    """Swap the expense's stored attachments for `content`: a file uploaded before uploads were parsed
    (a damaged PDF is refused at upload now), which the exports must still survive."""
    for attachment in expense.attachments.all():
        default_storage.delete(attachment.file.name)
        default_storage.save(attachment.file.name, io.BytesIO(content))
        Attachment.objects.filter(pk=attachment.pk).update(size=len(content))


@pytest.fixture
def books(acme: Account, owner: User, globex: Account) -> Books:
    books = Books(acme, actor_for(acme, owner))
    actor, docs = books.actor, books.docs
    france = make_client(acme)
    germany = make_client(acme, name="Berlin GmbH", country="DE", siren="", vat_number="DE136695976")
    usa = make_client(acme, name="Acme Inc.", country="US", siren="", vat_number="")
    make_invoice(actor, france, issue_date=day("2024-12-20"))  # before the period
    docs["f1"] = make_invoice(actor, france, issue_date=day("2025-01-10"))
    docs["f2"] = make_invoice(
        actor, germany, [line("Conseil", "1", "500", "0", vat_category="AE")], issue_date=day("2025-02-10")
    )
    docs["f3"] = make_invoice(
        actor,
        usa,
        [line("Support", "1", "300", "0", vat_category="O")],
        issue_date=day("2025-03-05"),
        currency="USD",
        exchange_rate=D("0.92"),
    )
    pay_in_full(actor, docs["f3"], date=day("2025-03-10"))
    with on("2025-03-20"):
        note = document_services.create_credit_note(actor, docs["f1"], reason="Annulation")
        docs["av"] = document_services.issue(actor, note)
    make_invoice(actor, france, issue=False, issue_date=day("2025-03-25"))  # a draft
    make_invoice(actor, france, kind="estimate", issue_date=day("2025-03-26"))  # a quote

    books.suppliers["fr"] = make_client(acme, name="Bureau Vallée", kind="supplier", siren="", vat_number="")
    books.suppliers["de"] = make_client(
        acme, name="Software GmbH", kind="supplier", country="DE", siren="", vat_number=""
    )
    books.uploads = {
        "pdf": image("PDF", (10, 120, 200)),
        "jpeg": image("JPEG", (200, 30, 30)),
        "png": image("PNG", (30, 200, 30)),
        "damaged": DAMAGED_PDF,
    }
    uploads = books.uploads
    books.expenses["x1"] = add_expense(
        books,
        "fr",
        "FA-1",
        "2025-01-15",
        "100",
        [
            upload("facture.pdf", uploads["pdf"], "application/pdf"),
            upload("ticket.jpg", uploads["jpeg"], "image/jpeg"),
        ],
    )
    books.expenses["x2"] = add_expense(books, "fr", "FA/2", "2025-02-20", "200", [])
    books.expenses["x3"] = add_expense(
        books, "de", "", "2025-03-01", "50", [upload("scan.png", uploads["png"], "image/png")]
    )
    books.expenses["x4"] = add_expense(
        books, "fr", "FA/4", "2025-03-02", "10", [upload("abîmé.pdf", uploads["pdf"], "application/pdf")]
    )
    stored_before_checks(books.expenses["x4"], DAMAGED_PDF)

    # Globex: the same invoice number as acme's first invoice, and an expense with an attachment.
    globex_client = make_client(globex, name="Client de Globex")
    make_invoice(globex, globex_client, issue_date=day("2025-01-10"))
    globex_supplier = make_client(
        globex, name="Fournisseur de Globex", kind="supplier", siren="", vat_number=""
    )
    purchases.ensure_default_categories(globex)
    purchases.create_expense(
        Actor.system(),
        globex,
        ExpenseInput(
            supplier_id=globex_supplier.pk,
            category_id=ExpenseCategory.objects.get(account=globex, name="Fournitures").pk,
            issue_date=day("2025-02-01"),
            supplier_number="G-1",
            lines=[ExpenseLineInput("Papier", D(1), D(10), D(20))],
        ),
        files=[upload("globex.png", image("PNG", (1, 2, 3)), "image/png")],
    )
    return books


def request_for(account: Account, **filters: Any) -> ExportRequest:
    return ExportRequest(account=account, start=Q1[0], end=Q1[1], **filters)


def zip_of(account: Account, **filters: Any) -> zipfile.ZipFile:
    out = io.BytesIO()
    documents.write_pdf_zip(request_for(account, **filters), out, no_progress)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert archive.testzip() is None
    return archive


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"), newline="")))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


SALES = [
    "ventes/F-2025-0001.pdf",
    "ventes/F-2025-0002.pdf",
    "ventes/F-2025-0003.pdf",
    "ventes/AV-2025-0001.pdf",
]
PURCHASES = [
    "achats/2025-01-15-Bureau-Vallee-FA-1-1.pdf",
    "achats/2025-01-15-Bureau-Vallee-FA-1-2.jpg",
    "achats/2025-03-01-Software-GmbH.png",
    "achats/2025-03-02-Bureau-Vallee-FA-4.pdf",
]


# --- The ZIP --------------------------------------------------------------------------------------


def test_zip_holds_the_sales_pdfs_then_the_attachments_then_the_lists(books: Books) -> None:
    archive = zip_of(books.account)

    assert archive.namelist() == [*SALES, *PURCHASES, "achats/sans-justificatif.csv", "index.csv"]
    for name in SALES:
        content = archive.read(name)
        assert content.startswith(b"%PDF")
        number = name.removeprefix("ventes/").removesuffix(".pdf")
        assert number in text_of(content)
    assert "Berlin GmbH" in text_of(archive.read("ventes/F-2025-0002.pdf"))
    uploads = books.uploads
    assert archive.read(PURCHASES[0]) == uploads["pdf"]
    assert archive.read(PURCHASES[1]) == uploads["jpeg"]
    assert archive.read(PURCHASES[2]) == uploads["png"]
    assert archive.read(PURCHASES[3]) == uploads["damaged"]
    # PDFs deflated, scans stored as they are (they do not shrink); entries dated by their document.
    assert archive.getinfo(SALES[1]).compress_type == zipfile.ZIP_DEFLATED
    assert archive.getinfo(SALES[1]).compress_size < archive.getinfo(SALES[1]).file_size * 0.8
    assert archive.getinfo(PURCHASES[1]).compress_type == zipfile.ZIP_STORED
    assert archive.getinfo(PURCHASES[0]).compress_type == zipfile.ZIP_DEFLATED
    assert archive.getinfo(SALES[1]).date_time == (2025, 2, 10, 0, 0, 0)
    assert archive.getinfo(PURCHASES[2]).date_time == (2025, 3, 1, 0, 0, 0)


def test_index_lists_every_file_with_its_document_and_total_in_euros(books: Books) -> None:
    rows = csv_rows(zip_of(books.account), "index.csv")

    assert rows == [
        ["Fichier", "Type", "Numéro", "Date", "Tiers", "Total TTC (EUR)"],
        [SALES[0], "Facture", "F-2025-0001", "2025-01-10", "Dupont SARL", "120.00"],
        [SALES[1], "Facture", "F-2025-0002", "2025-02-10", "Berlin GmbH", "500.00"],
        [SALES[2], "Facture", "F-2025-0003", "2025-03-05", "Acme Inc.", "276.00"],
        [SALES[3], "Avoir", "AV-2025-0001", "2025-03-20", "Dupont SARL", "-120.00"],
        [PURCHASES[0], "Dépense", "FA-1", "2025-01-15", "Bureau Vallée", "120.00"],
        [PURCHASES[1], "Dépense", "FA-1", "2025-01-15", "Bureau Vallée", "120.00"],
        [PURCHASES[2], "Dépense", "", "2025-03-01", "Software GmbH", "60.00"],
        [PURCHASES[3], "Dépense", "FA/4", "2025-03-02", "Bureau Vallée", "12.00"],
    ]


def test_expenses_without_attachment_are_listed_for_the_accountant(books: Books) -> None:
    rows = csv_rows(zip_of(books.account), "achats/sans-justificatif.csv")

    assert rows == [
        ["Date", "Fournisseur", "Numéro", "Total TTC (EUR)", "Motif"],
        ["2025-02-20", "Bureau Vallée", "FA/2", "240.00", "Aucun justificatif"],
    ]


def test_the_lists_of_the_zip_quote_names_a_spreadsheet_would_run(books: Books) -> None:
    Client.objects.filter(pk=books.docs["f1"].client_id).update(name='=HYPERLINK("http://evil.test")')
    Document.objects.filter(pk__in=[books.docs["f1"].pk, books.docs["av"].pk]).update(buyer_name="")
    Client.objects.filter(pk=books.suppliers["fr"].pk).update(name="@SUM(A1)")
    Expense.objects.filter(pk=books.expenses["x2"].pk).update(supplier_number="-2+3")
    archive = zip_of(books.account)

    index = csv_rows(archive, "index.csv")
    missing = csv_rows(archive, "achats/sans-justificatif.csv")

    assert index[1][4] == '\'=HYPERLINK("http://evil.test")'
    assert index[4][4:] == ['\'=HYPERLINK("http://evil.test")', "-120.00"]  # the credit note: a number
    assert index[5][4] == "'@SUM(A1)"
    assert missing[1] == ["2025-02-20", "'@SUM(A1)", "'-2+3", "240.00", "Aucun justificatif"]


def test_an_attachment_lost_from_storage_is_listed_as_missing_and_the_rest_is_exported(books: Books) -> None:
    lost = Attachment.objects.get(expense=books.expenses["x3"])
    default_storage.delete(lost.file.name)

    archive = zip_of(books.account)

    assert "achats/2025-03-01-Software-GmbH.png" not in archive.namelist()
    assert archive.read(PURCHASES[0]) == books.uploads["pdf"]
    assert csv_rows(archive, "achats/sans-justificatif.csv")[1:] == [
        ["2025-02-20", "Bureau Vallée", "FA/2", "240.00", "Aucun justificatif"],
        ["2025-03-01", "Software GmbH", "", "60.00", "Fichier « scan.png » introuvable"],
    ]


def test_scope_sales_or_purchases_keeps_only_their_files(books: Books) -> None:
    sales = zip_of(books.account, scope="sales")
    purchases_only = zip_of(books.account, scope="purchases")

    assert sales.namelist() == [*SALES, "index.csv"]
    assert purchases_only.namelist() == [*PURCHASES, "achats/sans-justificatif.csv", "index.csv"]
    assert [row[0] for row in csv_rows(purchases_only, "index.csv")[1:]] == PURCHASES


def test_filters_on_kind_status_and_country_are_those_of_the_selection(books: Books) -> None:
    assert zip_of(books.account, scope="sales", kinds=("correction",)).namelist() == [SALES[3], "index.csv"]
    assert zip_of(books.account, scope="sales", statuses=("paid",)).namelist() == [SALES[2], "index.csv"]
    # The country is the client's on sales documents and the supplier's on expenses.
    assert zip_of(books.account, countries=("DE",)).namelist() == [SALES[1], PURCHASES[2], "index.csv"]
    assert zip_of(books.account, scope="sales", region="non-eu").namelist() == [SALES[2], "index.csv"]


def test_another_accounts_documents_and_attachments_are_never_in_it(books: Books) -> None:
    archive = zip_of(books.account)

    first = text_of(archive.read("ventes/F-2025-0001.pdf"))
    assert "Dupont SARL" in first
    assert "Client de Globex" not in first
    contents = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Globex" not in contents
    globex = Attachment.objects.get(account__slug="globex")
    assert all(archive.read(name) != globex.file.read() for name in PURCHASES)


def test_two_kinds_sharing_a_number_get_distinct_safe_file_names(books: Books) -> None:
    # The credit notes' pattern is changed to one whose numbers, once "/" is made safe, are those of
    # the invoices: the second credit note is F/2025/0002, the name of invoice F-2025-0002 is taken.
    update_billing_settings(
        books.actor, books.account, {"number_patterns": {"correction": "F/{YYYY}/{NNNN}"}}
    )
    with on("2025-03-28"):
        note = document_services.create_credit_note(books.actor, books.docs["f2"], reason="Remise")
        second = document_services.issue(books.actor, note)
    assert second.number == "F/2025/0002"

    archive = zip_of(books.account, scope="sales")

    assert archive.namelist() == [*SALES, "ventes/F-2025-0002-avoir.pdf", "index.csv"]
    assert "F/2025/0002" in text_of(archive.read("ventes/F-2025-0002-avoir.pdf"))
    assert csv_rows(archive, "index.csv")[-1][:3] == ["ventes/F-2025-0002-avoir.pdf", "Avoir", "F/2025/0002"]


def test_the_zip_is_written_in_one_pass_to_a_stream_that_cannot_seek(books: Books) -> None:
    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.received = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            self.received += data
            return len(data)

    stream = Stream()
    documents.write_pdf_zip(request_for(books.account), stream, no_progress)  # type: ignore[arg-type]

    archive = zipfile.ZipFile(io.BytesIO(bytes(stream.received)))
    assert archive.testzip() is None
    assert archive.namelist() == [*SALES, *PURCHASES, "achats/sans-justificatif.csv", "index.csv"]
    assert archive.read(PURCHASES[1]) == books.uploads["jpeg"]


def test_progress_counts_documents_then_expenses(books: Books) -> None:
    calls: list[tuple[int, int]] = []

    documents.write_pdf_zip(
        request_for(books.account), io.BytesIO(), lambda done, total: calls.append((done, total))
    )

    assert calls == [(done, 8) for done in range(1, 9)]  # 4 sales documents, 4 expenses


def test_queries_do_not_grow_with_the_number_of_documents(books: Books) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            documents.write_pdf_zip(request_for(books.account), io.BytesIO(), no_progress)
        return len(captured)

    before = queries()
    client = Client.objects.get(account=books.account, name="Dupont SARL")
    for index in range(3):
        make_invoice(books.actor, client, [line("Conseil", "2", "80")], issue_date=day(f"2025-03-2{index}"))
        png = upload(f"scan-{index}.png", image("PNG", (index, 0, 0)), "image/png")
        add_expense(books, "de", f"DE-{index}", f"2025-03-2{index}", "10", [png])
    after = queries()

    assert after - before == 3 * QUERIES_PER_RENDER


def test_an_empty_selection_is_refused_before_anything_is_written(books: Books) -> None:
    out = io.BytesIO()
    request = ExportRequest(account=books.account, start=day("2025-07-01"), end=day("2025-07-31"))

    with pytest.raises(ExportError, match="Aucun document à exporter du 01/07/2025 au 31/07/2025"):
        documents.write_pdf_zip(request, out, no_progress)
    with pytest.raises(ExportError):
        documents.write_pdf_print(request, out, no_progress)
    assert out.getvalue() == b""


def test_an_account_without_documents_gets_the_same_refusal(globex: Account) -> None:
    with pytest.raises(ExportError, match="Aucun document à exporter"):
        documents.write_pdf_zip(request_for(globex, scope="sales"), io.BytesIO(), no_progress)


# --- The PDF to print -----------------------------------------------------------------------------


def test_print_concatenates_the_documents_then_the_attachments_then_what_is_missing(books: Books) -> None:
    out = io.BytesIO()
    calls: list[tuple[int, int]] = []

    documents.write_pdf_print(
        request_for(books.account), out, lambda done, total: calls.append((done, total))
    )

    reader = PdfReader(io.BytesIO(out.getvalue()))
    sales_pages = sum(page_count(render_document_pdf(books.docs[name])) for name in ("f1", "f2", "f3", "av"))
    # The PDF and the JPEG of the first expense, the PNG of the third, then the page of notes.
    assert len(reader.pages) == sales_pages + 3 + 1
    assert "F-2025-0001" in reader.pages[0].extract_text()
    assert "AV-2025-0001" in reader.pages[sales_pages - 1].extract_text()
    notes = reader.pages[-1].extract_text()
    assert "Justificatifs non imprimés" in notes
    assert "Bureau Vallée FA/2 : aucun justificatif" in notes
    assert "« abîmé.pdf » illisible" in notes
    assert "Software GmbH" not in notes
    assert calls[-1] == (8, 8)


def test_print_of_sales_only_has_exactly_the_documents_pages(books: Books) -> None:
    out = io.BytesIO()

    documents.write_pdf_print(request_for(books.account, scope="sales"), out, no_progress)

    expected = sum(page_count(render_document_pdf(books.docs[name])) for name in ("f1", "f2", "f3", "av"))
    assert page_count(out.getvalue()) == expected


def test_print_names_a_password_protected_attachment_and_prints_one_only_locked_against_editing(
    books: Books,
) -> None:
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=io.BytesIO(books.uploads["pdf"]))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    files = [
        upload("secret.pdf", encrypted("secret"), "application/pdf"),
        upload("verrouillé.pdf", encrypted(""), "application/pdf"),
    ]
    add_expense(books, "de", "DE-9", "2025-03-30", "10", files)
    out = io.BytesIO()

    documents.write_pdf_print(request_for(books.account, countries=("DE",)), out, no_progress)

    reader = PdfReader(io.BytesIO(out.getvalue()))
    sales_pages = page_count(render_document_pdf(books.docs["f2"]))
    assert len(reader.pages) == sales_pages + 1 + 1 + 1  # the PNG, the PDF locked against editing, notes
    notes = reader.pages[-1].extract_text()
    assert "Software GmbH DE-9 : « secret.pdf » est protégé par un mot de passe" in notes
    assert "verrouillé" not in notes


def test_print_puts_a_scan_on_a_page_no_larger_than_a4(books: Books) -> None:
    out = io.BytesIO()

    documents.write_pdf_print(
        request_for(books.account, scope="purchases", countries=("DE",)), out, no_progress
    )

    (page,) = PdfReader(io.BytesIO(out.getvalue())).pages
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert height == pytest.approx(11.69 * 72, abs=1)  # a 40 x 60 scan fills the A4 height
    assert width == pytest.approx(height * 40 / 60, abs=1)


def test_print_past_the_limit_is_refused_with_the_zip_suggested(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_PRINT_FILES", 7)
    out = io.BytesIO()

    with pytest.raises(ExportError, match=r"8 documents à imprimer.*téléchargez-les en ZIP"):
        documents.write_pdf_print(request_for(books.account), out, no_progress)
    assert out.getvalue() == b""
    documents.write_pdf_print(request_for(books.account, scope="sales"), out, no_progress)  # 4: fine


def test_print_of_too_heavy_attachments_is_refused(books: Books, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "MAX_PRINT_ATTACHMENT_BYTES", 100)

    with pytest.raises(ExportError, match="Les justificatifs à imprimer pèsent"):
        documents.write_pdf_print(request_for(books.account, scope="purchases"), io.BytesIO(), no_progress)


def test_print_with_nothing_printable_is_refused(books: Books) -> None:
    # The second half of February holds one expense, without attachment.
    request = ExportRequest(
        account=books.account, start=day("2025-02-15"), end=day("2025-02-28"), scope="purchases"
    )

    with pytest.raises(ExportError, match="Rien à imprimer"):
        documents.write_pdf_print(request, io.BytesIO(), no_progress)


# --- Names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F-2026-0001", "F-2026-0001"),
        ("F/2026/0001", "F-2026-0001"),
        ("Bureau Vallée & Fils", "Bureau-Vallee-Fils"),
        ("..\\..\\etc/passwd", "etc-passwd"),
        ("N° 12: été", "N-12-ete"),
        ("Ωμέγα", "sans-nom"),
        ("A" * 100, "A" * 80),
    ],
)
def test_safe_filename_keeps_letters_digits_and_a_few_signs(text: str, expected: str) -> None:
    assert documents.safe_filename(text, "sans-nom") == expected


def test_file_names_are_unique_whatever_their_case() -> None:
    names = documents.FileNames()

    assert names.claim("ventes", "F-1", "pdf", qualifier="avoir") == "ventes/F-1.pdf"
    assert names.claim("ventes", "f-1", "pdf", qualifier="avoir") == "ventes/f-1-avoir.pdf"
    assert names.claim("ventes", "F-1", "pdf", qualifier="avoir") == "ventes/F-1-2.pdf"
    assert names.claim("achats", "F-1", "pdf") == "achats/F-1.pdf"
