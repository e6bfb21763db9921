"""What the expense tests share: a supplier of acme, files of each accepted type, and helpers that
create expenses through the service or post the expense form as a browser would."""

import datetime
import io
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from facturier.billing.models import Client
from facturier.purchases import services
from facturier.purchases.models import Expense, ExpenseCategory
from facturier.purchases.services import ExpenseInput, ExpenseLineInput
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership


def blank_pdf(pages: int = 1) -> bytes:
    """A valid PDF of blank pages, as a receipt must be to be accepted (lib.uploads.check_pdf)."""
    writer = PdfWriter()
    for _page in range(pages):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = blank_pdf()


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def actor(account: Account, user) -> Actor:
    return Actor(user=user, membership=Membership.objects.get(account=account, user=user))


def category(account: Account, name: str = "Fournitures") -> ExpenseCategory:
    services.ensure_default_categories(account)
    return ExpenseCategory.objects.get(account=account, name=name)


def expense_input(supplier: Client, **overrides: Any) -> ExpenseInput:
    fields: dict[str, Any] = {
        "supplier_id": supplier.pk,
        "category_id": category(Account.objects.get(pk=supplier.account_id)).pk,
        "issue_date": datetime.date(2025, 3, 10),
        "lines": [ExpenseLineInput("Papier", D(1), D("100.00"), D(20))],
        "supplier_number": "FA-1",
    }
    return ExpenseInput(**(fields | overrides))


def make_expense(account: Account, user, supplier: Client, *, files=(), **overrides: Any) -> Expense:
    return services.create_expense(
        actor(account, user), account, expense_input(supplier, **overrides), files=files
    )


@pytest.fixture
def supplier(acme) -> Client:
    return Client.objects.create(account=acme, kind=Client.Kind.SUPPLIER, name="Bureau Vallée", country="FR")


@pytest.fixture
def globex_supplier(globex) -> Client:
    return Client.objects.create(account=globex, kind=Client.Kind.BOTH, name="Globex Fournitures")


BLANK_ROW = {"name": "", "quantity": "1", "unit_price": "", "vat_rate": "20", "vat_category": "S",
             "deductible": "on", "supply_kind": "service"}  # fmt: skip


def form_data(supplier: Client, lines: list[dict[str, str]], *, blank_rows: int = 2, **fields: Any) -> dict:
    """The POST of the expense form: the fields, then the line rows (filled ones, then rows left as
    the page showed them, which the form ignores)."""
    rows = [BLANK_ROW | line for line in lines] + [BLANK_ROW] * blank_rows
    data: dict[str, Any] = {
        "supplier": str(supplier.pk),
        "supplier_number": "FA-2025-001",
        "issue_date": "2025-03-10",
        "sell_date": "",
        "due_date": "2025-04-09",
        "category": str(category(Account.objects.get(pk=supplier.account_id)).pk),
        "currency": "EUR",
        "exchange_rate": "1",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            if name == "deductible" and value != "on":
                continue  # an unticked checkbox is not sent
            data[f"lines-{index}-{name}"] = value
    return data | fields
