import datetime
import html
from decimal import Decimal as D

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from facturier.billing.models import Client
from facturier.purchases.models import DEFAULT_CATEGORIES, Expense, ExpenseCategory, ExpensePayment
from facturier.purchases.services import ExpenseLineInput
from facturier.tenancy.models import AuditEvent

from .conftest import PDF, category, form_data, make_expense, upload


def url(name: str, pk: int | None = None, slug: str = "acme") -> str:
    return reverse(f"purchases:{name}", kwargs={"slug": slug} | ({"pk": pk} if pk is not None else {}))


def text(response) -> str:
    return html.unescape(response.content.decode())


def events(account, prefix: str = "") -> list[str]:
    return list(
        AuditEvent.objects.filter(account=account, action__startswith=prefix)
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- The form -----------------------------------------------------------------------------------


def test_the_new_expense_page_offers_suppliers_and_the_default_categories(owner_client, acme, supplier):
    Client.objects.create(account=acme, kind=Client.Kind.BUYER, name="Acheteur seul")

    response = owner_client.get(url("expense_new"))

    assert response.status_code == 200
    form = response.context["form"]
    assert [c.name for c in form.fields["supplier"].queryset] == ["Bureau Vallée"]
    assert sorted((c.name, c.accounting_code) for c in form.fields["category"].queryset) == sorted(
        DEFAULT_CATEGORIES
    )
    assert form["issue_date"].value() == acme.today()
    page = text(response)
    assert 'type="file" name="attachments"' in page and "multiple" in page
    assert len(response.context["lines"].forms) == 5
    # Shown again, the page creates nothing more.
    owner_client.get(url("expense_new"))
    assert ExpenseCategory.objects.filter(account=acme).count() == len(DEFAULT_CATEGORIES)


def test_an_expense_is_recorded_from_the_form_with_its_totals(owner_client, owner, acme, supplier):
    lines = [
        {"name": "Papier", "quantity": "3", "unit_price": "19.99", "vat_rate": "20"},
        {"name": "Livres", "quantity": "2", "unit_price": "12.35", "vat_rate": "5.5", "supply_kind": "goods"},
        {"name": "Cadeau client", "unit_price": "100.05", "deductible": ""},
    ]

    response = owner_client.post(url("expense_new"), form_data(supplier, lines))

    expense = Expense.objects.get(account=acme)
    assert response.status_code == 302 and response.url == url("expense_detail", expense.pk)
    assert (expense.supplier, expense.supplier_number, expense.created_by) == (supplier, "FA-2025-001", owner)
    assert expense.due_date == datetime.date(2025, 4, 9)
    assert (expense.gross_total, expense.vat_total, expense.deductible_vat_total) == (
        D("218.08"),
        D("33.36"),
        D("13.35"),
    )
    assert expense.lines.count() == 3  # the rows left blank were ignored
    event = AuditEvent.objects.get(account=acme, action="expense.created")
    assert event.actor == owner and event.target == "Bureau Vallée FA-2025-001"
    assert event.summary == "Dépense de 218,08\xa0€ du 10/03/2025 enregistrée."
    page = text(owner_client.get(response.url))
    assert "La dépense a été enregistrée." in page
    assert "218,08\xa0€" in page and "13,35\xa0€" in page


def test_the_form_shows_errors_beside_the_fields_and_creates_nothing(owner_client, acme, supplier):
    data = form_data(
        supplier,
        [{"name": "Papier", "unit_price": "abc"}],
        due_date="2025-03-01",
        currency="USD",
        exchange_rate="",
    )

    response = owner_client.post(url("expense_new"), data)

    assert response.status_code == 200
    form, lines = response.context["form"], response.context["lines"]
    assert form.errors["due_date"] == ["L'échéance ne peut pas précéder la date de la facture."]
    assert form.errors["exchange_rate"] == ["Indiquez le taux de change de cette devise vers l'euro."]
    assert lines.forms[0].errors["unit_price"] == ["Saisissez un nombre."]
    assert not Expense.objects.exists()


def test_an_expense_needs_at_least_one_line(owner_client, acme, supplier):
    response = owner_client.post(url("expense_new"), form_data(supplier, []))

    assert response.status_code == 200
    assert "Ajoutez au moins une ligne à la dépense." in text(response)
    assert not Expense.objects.exists()


def test_editing_replaces_the_lines_and_a_row_emptied_removes_its_line(owner_client, owner, acme, supplier):
    expense = make_expense(
        acme,
        owner,
        supplier,
        lines=[
            ExpenseLineInput("Papier", D(1), D("100.00"), D(20)),
            ExpenseLineInput("Encre", D(1), D(50), D(20)),
        ],
    )
    page = owner_client.get(url("expense_edit", expense.pk))
    assert page.context["lines"].forms[1]["name"].value() == "Encre"
    assert page.context["lines"].forms[0]["vat_rate"].value() == D(20)

    response = owner_client.post(
        url("expense_edit", expense.pk),
        form_data(
            supplier,
            [{"name": "Papier", "unit_price": "100.00"}, {"name": "", "unit_price": ""}],
            supplier_number="FA-1 bis",
            category=str(category(acme, "Autres").pk),
        ),
    )

    assert response.status_code == 302
    expense.refresh_from_db()
    assert [line.name for line in expense.lines.all()] == ["Papier"]
    assert (expense.gross_total, expense.supplier_number, expense.category.name) == (
        D("120.00"),
        "FA-1 bis",
        "Autres",
    )
    event = AuditEvent.objects.get(account=acme, action="expense.changed")
    assert event.changes["supplier_number"] == ["FA-1", "FA-1 bis"]
    assert event.changes["gross_total"] == ["180.00", "120.00"]


def test_deleting_an_expense_removes_its_payments_attachments_and_files(
    owner_client, owner, acme, supplier, django_capture_on_commit_callbacks
):
    expense = make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF), upload("b.pdf", PDF)])
    names = [a.file.name for a in expense.attachments.all()]
    owner_client.post(
        url("expense_payment_new", expense.pk), {"date": "2025-03-12", "amount": "20", "method": "card"}
    )
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(url("expense_delete", expense.pk))

    assert response.status_code == 302 and response.url == url("expense_list")
    assert not Expense.objects.filter(pk=expense.pk).exists()
    assert not ExpensePayment.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    event = AuditEvent.objects.get(account=acme, action="expense.deleted")
    assert event.summary == "Dépense de 120,00\xa0€ du 10/03/2025 supprimée, avec 2 justificatif(s)."


# --- The list -----------------------------------------------------------------------------------


@pytest.fixture
def expenses(acme, owner, supplier):
    other = Client.objects.create(account=acme, kind=Client.Kind.BOTH, name="Garage Martin")
    return [
        make_expense(acme, owner, supplier, supplier_number="A1", issue_date=datetime.date(2025, 1, 15)),
        make_expense(
            acme,
            owner,
            other,
            supplier_number="B1",
            issue_date=datetime.date(2025, 2, 10),
            category_id=category(acme, "Entretien").pk,
            lines=[ExpenseLineInput("Vidange", D(1), D("250.00"), D(20))],
            notes="Clio",
        ),
        make_expense(
            acme,
            owner,
            supplier,
            supplier_number="A2",
            issue_date=datetime.date(2025, 3, 5),
            currency="USD",
            exchange_rate=D("0.9"),
            files=[upload("a.pdf", PDF)],
        ),
    ]


def test_the_list_shows_filtered_expenses_and_their_totals_in_euros(owner_client, acme, expenses):
    everything = owner_client.get(url("expense_list"))
    march = owner_client.get(url("expense_list"), {"date_from": "2025-02-01", "date_to": "2025-03-31"})
    garage = owner_client.get(url("expense_list"), {"supplier": expenses[1].supplier_id})
    by_text = owner_client.get(url("expense_list"), {"q": "clio"})
    maintenance = owner_client.get(url("expense_list"), {"category": expenses[1].category_id})

    def numbers(response):
        return [e.supplier_number for e in response.context["page"].object_list]

    assert numbers(everything) == ["A2", "B1", "A1"]
    assert everything.context["sums"].gross == D("120.00") + D("300.00") + D("108.00")
    assert everything.context["sums"].count == 3
    assert numbers(march) == ["A2", "B1"]
    assert march.context["sums"].deductible_vat == D("50.00") + D("18.00")
    assert numbers(garage) == numbers(by_text) == numbers(maintenance) == ["B1"]
    page = text(everything)
    assert "528,00\xa0€" in page and "120,00\xa0$" in page and "justificatif" in page


def test_the_list_sorts_and_filters_on_status(owner_client, owner, acme, expenses):
    owner_client.post(
        url("expense_payment_new", expenses[0].pk),
        {"date": "2025-02-01", "amount": "120.00", "method": "transfer"},
    )

    by_amount = owner_client.get(url("expense_list"), {"sort": "-gross"})
    paid = owner_client.get(url("expense_list"), {"status": "paid"})
    unpaid = owner_client.get(url("expense_list"), {"status": "unpaid", "sort": "issue_date"})

    assert [e.supplier_number for e in by_amount.context["page"].object_list] == ["B1", "A1", "A2"]
    assert [e.supplier_number for e in paid.context["page"].object_list] == ["A1"]
    assert [e.supplier_number for e in unpaid.context["page"].object_list] == ["B1", "A2"]


def test_a_filter_that_cannot_be_read_says_so(owner_client, expenses):
    response = owner_client.get(url("expense_list"), {"date_from": "2025-03-01", "date_to": "2025-01-01"})

    assert response.status_code == 200
    assert response.context["page"] is None
    assert "La date de fin doit suivre la date de début." in text(response)


def test_the_list_runs_the_same_number_of_queries_whatever_the_number_of_expenses(
    owner_client, owner, acme, supplier, expenses, django_assert_num_queries
):
    owner_client.get(url("expense_list"))  # the first visit also records the current account
    # Session, user, membership, filter choices (2), totals, count, one page of rows.
    with django_assert_num_queries(8):
        owner_client.get(url("expense_list"))
    for number in range(30):
        make_expense(acme, owner, supplier, supplier_number=f"N{number}", files=[upload("a.pdf", PDF)])

    with django_assert_num_queries(8):
        response = owner_client.get(url("expense_list"), {"q": "bureau"})

    assert len(response.context["page"].object_list) == 25


# --- Who sees what ------------------------------------------------------------------------------


def all_urls(expense: Expense) -> list[tuple[str, str]]:
    attachment = expense.attachments.get()
    payment = expense.payments.get()
    return [
        ("get", url("expense_list")),
        ("get", url("expense_new")),
        ("get", url("expense_detail", expense.pk)),
        ("get", url("expense_edit", expense.pk)),
        ("post", url("expense_delete", expense.pk)),
        ("get", url("attachment_download", attachment.pk)),
        ("post", url("attachment_new", expense.pk)),
        ("post", url("attachment_delete", attachment.pk)),
        ("post", url("expense_payment_new", expense.pk)),
        ("post", url("expense_payment_delete", payment.pk)),
    ]


@pytest.fixture
def full_expense(owner_client, acme, owner, supplier):
    expense = make_expense(acme, owner, supplier, files=[upload("a.pdf", PDF)])
    owner_client.post(
        url("expense_payment_new", expense.pk), {"date": "2025-03-12", "amount": "20", "method": "card"}
    )
    return expense


def test_an_outsider_gets_a_404_on_every_expense_page(outsider_client, full_expense):
    for method, address in all_urls(full_expense):
        assert getattr(outsider_client, method)(address).status_code == 404, address
        # Through their own account, acme's objects are not found either.
        if address not in {url("expense_list"), url("expense_new")}:
            own = address.replace("/acme/", "/globex/")
            assert getattr(outsider_client, method)(own).status_code == 404, own
    assert Expense.objects.filter(pk=full_expense.pk).exists()
    assert full_expense.attachments.exists() and full_expense.payments.exists()


def test_a_member_sees_creates_and_edits_but_cannot_delete(collaborator_client, full_expense):
    for method, address in all_urls(full_expense):
        if method == "get":
            assert collaborator_client.get(address).status_code == 200, address
    for name, pk in [
        ("expense_delete", full_expense.pk),
        ("attachment_delete", full_expense.attachments.get().pk),
        ("expense_payment_delete", full_expense.payments.get().pk),
    ]:
        assert collaborator_client.post(url(name, pk)).status_code == 403, name
    assert Expense.objects.filter(pk=full_expense.pk).exists()
    assert full_expense.attachments.exists() and full_expense.payments.exists()
    # What the role does allow, it can do: record a payment.
    paid = collaborator_client.post(
        url("expense_payment_new", full_expense.pk), {"date": "2025-03-20", "amount": "10", "method": "cash"}
    )
    assert paid.status_code == 302
    assert full_expense.payments.count() == 2


def test_the_detail_page_offers_only_what_the_role_allows(collaborator_client, owner_client, full_expense):
    member_page = text(collaborator_client.get(url("expense_detail", full_expense.pk)))
    owner_page = text(owner_client.get(url("expense_detail", full_expense.pk)))

    assert url("expense_edit", full_expense.pk) in member_page
    assert url("expense_delete", full_expense.pk) not in member_page
    assert url("expense_delete", full_expense.pk) in owner_page
