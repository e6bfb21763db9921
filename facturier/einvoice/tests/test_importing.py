"""import_einvoice: a received e-invoice becomes an expense, its supplier found or created, in one go."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage

from facturier.billing.models import Client
from facturier.billing.tests.factories import make_client
from facturier.einvoice import importing
from facturier.einvoice.tests.test_reading import edited, facturx_pdf, fixture
from facturier.lib import uploads
from facturier.purchases.models import Attachment, Expense, ExpenseCategory
from facturier.purchases.tests.conftest import actor, category, make_expense
from facturier.tenancy import permissions
from facturier.tenancy.errors import LockedPeriodError, ServiceError
from facturier.tenancy.models import AuditEvent, Membership, Role


def import_file(account, user, name: str, content: bytes | None = None, **options):
    return importing.import_einvoice(actor(account, user), account, name, content or fixture(name), **options)


def nothing_stored(account) -> bool:
    return (
        not Expense.objects.filter(account=account).exists()
        and not Attachment.objects.filter(account=account).exists()
        and not AuditEvent.objects.filter(account=account, action__startswith="expense.").exists()
    )


def test_it_imports_a_cii_invoice_and_creates_its_supplier(acme, owner):
    expense = import_file(acme, owner, "cii_invoice.xml")

    supplier = expense.supplier
    assert (supplier.kind, supplier.name, supplier.siren, supplier.siret, supplier.vat_number) == (
        "supplier", "Papeterie Martin SARL", "552100554", "55210055400013", "FR96552100554"
    )  # fmt: skip
    assert (supplier.street, supplier.post_code, supplier.city, supplier.country, supplier.email) == (
        "3 rue de la République", "69001", "Lyon", "FR", "compta@papeterie-martin.test"
    )  # fmt: skip
    assert expense.supplier_number == "PM-2026-0042"
    assert (expense.issue_date, expense.sell_date, expense.due_date) == (
        datetime.date(2026, 3, 10), datetime.date(2026, 3, 9), datetime.date(2026, 4, 9)
    )  # fmt: skip
    assert (expense.net_total, expense.vat_total, expense.gross_total) == (D("42.50"), D("6.69"), D("49.19"))
    assert expense.deductible_vat_total == D("6.69")
    assert [
        (line.name, line.quantity, line.unit_price, line.vat_rate, line.net_amount)
        for line in expense.lines.all()
    ] == [
        ("Ramette de papier A4", D(3), D("10.00"), D(20), D("30.00")),
        ("Guide de la TVA", D(1), D("12.50"), D("5.5"), D("12.50")),
    ]
    assert sorted((row.vat_rate, row.base, row.vat_amount) for row in expense.vat_lines.all()) == [
        (D("5.5"), D("12.50"), D("0.69")),
        (D(20), D("30.00"), D("6.00")),
    ]
    assert expense.category.accounting_code == "6288"
    assert "PM-2026-0042 (CII)" in expense.notes and "30 jours fin de mois" in expense.notes
    attachment = expense.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("cii_invoice.xml", "text/plain")
    with default_storage.open(attachment.file.name, "rb") as stored:
        assert stored.read() == fixture("cii_invoice.xml")
    actions = list(AuditEvent.objects.filter(account=acme).order_by("pk").values_list("action", flat=True))
    assert actions == ["client.created", "expense.imported", "expense.created", "attachment.added"]


def test_it_keeps_a_facturx_pdf_as_the_attachment(acme, owner):
    pdf = facturx_pdf(fixture("cii_invoice.xml"))

    expense = import_file(acme, owner, "PM-2026-0042.pdf", pdf)

    assert expense.gross_total == D("49.19")
    attachment = expense.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "PM-2026-0042.pdf", "application/pdf", len(pdf)
    )  # fmt: skip
    assert "Factur-X (EN 16931)" in AuditEvent.objects.get(action="expense.imported").summary


def test_it_imports_a_ubl_invoice_with_reverse_charge_from_a_foreign_supplier(acme, owner):
    expense = import_file(acme, owner, "ubl_invoice.xml")

    assert (expense.supplier.name, expense.supplier.country, expense.supplier.siren) == (
        "Müller Bürobedarf GmbH", "DE", ""
    )  # fmt: skip
    line = expense.lines.get()
    # The invoice shows 0 %: the account self-assesses French VAT on it, at the standard rate.
    assert (line.vat_category, line.vat_rate, line.quantity, line.unit_price) == (
        "AE",
        D(20),
        D(2),
        D("150.00"),
    )
    assert (expense.net_total, expense.vat_total, expense.gross_total) == (D("300.00"), D(0), D("300.00"))
    assert expense.self_assessed_vat_total == D("60.00")
    row = expense.vat_lines.get()
    assert (row.supplier_country, row.vat_rate, row.self_assessed_vat) == ("DE", D(20), D("60.00"))


def test_the_self_assessed_rate_of_an_import_can_be_a_reduced_one(acme, owner):
    expense = import_file(acme, owner, "ubl_invoice.xml", self_assessed_rate=D("5.5"))

    assert expense.lines.get().vat_rate == D("5.5")
    assert expense.self_assessed_vat_total == D("16.50")


def test_an_import_is_never_self_assessed_at_zero(acme, owner):
    with pytest.raises(ServiceError) as refused:
        import_file(acme, owner, "ubl_invoice.xml", self_assessed_rate=D(0))

    assert "vous devez la TVA française sur cet achat" in refused.value.message
    assert nothing_stored(acme)


def test_allowances_and_charges_become_lines_and_the_totals_stay_those_of_the_invoice(acme, owner):
    expense = import_file(acme, owner, "cii_allowances.xml")

    assert [(line.name, line.quantity, line.unit_price) for line in expense.lines.all()] == [
        ("Classeur", D(3), D("9.50")),  # 3 × 10.00 less 1.50 of line allowance
        ("Remise : Remise fidélité", D(1), D("-2.50")),
        ("Frais : Frais de port", D(1), D("8.00")),
    ]
    assert (expense.net_total, expense.vat_total, expense.gross_total) == (D("34.00"), D("6.80"), D("40.80"))
    assert "Déjà payé selon la facture : 10,00 EUR." in expense.notes


def test_it_finds_the_supplier_by_siren_first(acme, owner):
    known = make_client(acme, kind="supplier", name="Martin (papeterie)", siren="552100554", vat_number="")
    make_client(acme, kind="supplier", name="Papeterie Martin SARL", siren="", vat_number="")

    expense = import_file(acme, owner, "cii_invoice.xml")

    assert expense.supplier == known
    assert Client.objects.filter(account=acme).count() == 2


def test_it_finds_the_supplier_by_vat_number_then_by_name(acme, owner):
    by_vat = make_client(
        acme, kind="both", name="MB GmbH", siren="", vat_number="DE 136 695 976", country="DE"
    )

    assert import_file(acme, owner, "ubl_invoice.xml").supplier == by_vat

    by_name = make_client(acme, kind="supplier", name="PAPETERIE MARTIN sarl", siren="", vat_number="")
    assert import_file(acme, owner, "cii_invoice.xml").supplier == by_name


def test_a_client_who_was_only_a_buyer_becomes_client_and_supplier(acme, owner):
    buyer = make_client(acme, kind="buyer", name="Papeterie Martin", siren="552100554")

    expense = import_file(acme, owner, "cii_invoice.xml")

    buyer.refresh_from_db()
    assert expense.supplier == buyer and buyer.kind == "both"


def test_the_same_invoice_twice_is_refused_naming_the_expense_already_there(acme, owner):
    first = import_file(acme, owner, "cii_invoice.xml")

    with pytest.raises(importing.DuplicateError) as refused:
        import_file(acme, owner, "PM-2026-0042.pdf", facturx_pdf(fixture("cii_invoice.xml")))

    assert refused.value.existing == first
    assert refused.value.message == (
        "La facture PM-2026-0042 de Papeterie Martin SARL est déjà enregistrée : dépense du 10/03/2026 de 49,19 EUR."
    )
    assert Expense.objects.filter(account=acme).count() == 1
    assert Attachment.objects.filter(account=acme).count() == 1


def test_a_supplier_credit_note_is_refused(acme, owner):
    with pytest.raises(ServiceError, match="est un avoir \\(sur la facture PM-2026-0042\\)"):
        import_file(acme, owner, "ubl_credit_note.xml")

    assert nothing_stored(acme)
    assert not Client.objects.filter(account=acme).exists()


def test_an_invoice_addressed_to_another_company_is_refused(acme, globex, outsider):
    globex.siren = "542065479"
    globex.save()

    with pytest.raises(ServiceError, match="Cette facture est adressée à ACME SAS, pas à "):
        import_file(globex, outsider, "cii_invoice.xml")

    assert nothing_stored(globex)


def test_a_file_that_is_not_an_einvoice_creates_nothing(acme, owner):
    broken = edited(
        fixture("cii_invoice.xml"), {"<ram:GrandTotalAmount>49.19<": "<ram:GrandTotalAmount>49.91<"}
    )

    for name, content in [("facture.xml", broken), ("scan.pdf", b"%PDF-1.4 nothing"), ("vide.xml", b" ")]:
        with pytest.raises(ServiceError, match=r"^Ce fichier n'est pas une facture électronique : "):
            import_file(acme, owner, name, content)

    assert nothing_stored(acme)
    assert not Client.objects.filter(account=acme).exists()


def test_a_file_over_10_mb_is_refused_unread(acme, owner):
    with pytest.raises(ServiceError, match="dépasse 10 Mo"):
        import_file(acme, owner, "big.xml", b"<" + b" " * uploads.limits().file_bytes + b">")

    assert nothing_stored(acme)


def test_totals_that_purchases_would_compute_otherwise_are_refused(acme, owner):
    # VAT one cent off the rounded rate (allowed by EN 16931): the expense would not match the invoice.
    off_by_a_cent = edited(
        fixture("cii_invoice.xml"),
        {
            "<ram:CalculatedAmount>0.69<": "<ram:CalculatedAmount>0.70<",
            'currencyID="EUR">6.69<': 'currencyID="EUR">6.70<',
            "<ram:GrandTotalAmount>49.19<": "<ram:GrandTotalAmount>49.20<",
            "<ram:DuePayableAmount>49.19<": "<ram:DuePayableAmount>49.20<",
        },
    )

    with pytest.raises(ServiceError, match="diffèrent de ceux que Facturier calcule"):
        import_file(acme, owner, "cii_invoice.xml", off_by_a_cent)

    assert nothing_stored(acme)


def test_a_locked_period_is_refused_before_any_supplier_is_created(acme, owner):
    acme.locked_until = datetime.date(2026, 3, 31)
    acme.save()

    with pytest.raises(LockedPeriodError):
        import_file(acme, owner, "cii_invoice.xml")

    assert nothing_stored(acme)
    assert not Client.objects.filter(account=acme).exists()


def test_the_collaborator_may_import(acme, collaborator):
    expense = import_file(acme, collaborator, "cii_invoice.xml")

    assert expense.created_by == collaborator


def test_an_accountant_imports_and_creates_the_supplier(acme, collaborator):
    Membership.objects.filter(account=acme, user=collaborator).update(role=permissions.ROLE_ACCOUNTANT)

    assert import_file(acme, collaborator, "cii_invoice.xml").supplier.kind == Client.Kind.SUPPLIER


def test_a_role_that_cannot_create_clients_imports_from_known_suppliers_only(acme, collaborator):
    bookkeeper = Role.objects.create(
        account=acme,
        name="Saisie des achats",
        permissions=["purchases.view", "purchases.create", "clients.view"],
    )
    Membership.objects.filter(account=acme, user=collaborator).update(
        role=permissions.ROLE_CUSTOM, custom_role=bookkeeper
    )

    with pytest.raises(ServiceError, match="votre rôle ne permet pas de le créer"):
        import_file(acme, collaborator, "cii_invoice.xml")
    assert nothing_stored(acme)

    make_client(acme, kind="supplier", name="Papeterie Martin SARL", siren="552100554")
    assert import_file(acme, collaborator, "cii_invoice.xml").supplier.name == "Papeterie Martin SARL"


def test_a_role_without_purchases_create_is_refused(acme, collaborator):
    reader = Role.objects.create(account=acme, name="Lecture", permissions=["purchases.view"])
    Membership.objects.filter(account=acme, user=collaborator).update(
        role=permissions.ROLE_CUSTOM, custom_role=reader
    )

    with pytest.raises(PermissionDenied):
        import_file(acme, collaborator, "cii_invoice.xml")


def test_the_category_is_the_one_chosen_else_that_of_the_suppliers_last_expense(acme, owner):
    supplier = make_client(acme, kind="supplier", name="Papeterie Martin SARL", siren="552100554")
    make_expense(acme, owner, supplier, category_id=category(acme, "Fournitures").pk, supplier_number="OLD-1")
    chosen = ExpenseCategory.objects.get(account=acme, name="Honoraires")

    assert import_file(acme, owner, "cii_invoice.xml").category.name == "Fournitures"
    assert import_file(acme, owner, "cii_allowances.xml", category=chosen).category == chosen


def test_import_files_gives_one_outcome_per_file_and_keeps_going(acme, owner):
    outcomes = importing.import_files(
        actor(acme, owner),
        acme,
        [
            ("a.xml", fixture("cii_invoice.xml")),
            ("note.txt", b"hello"),
            ("a-again.xml", fixture("cii_invoice.xml")),
            ("b.xml", fixture("ubl_invoice.xml")),
        ],
    )

    assert [(o.filename, o.ok) for o in outcomes] == [
        ("a.xml", True), ("note.txt", False), ("a-again.xml", False), ("b.xml", True)
    ]  # fmt: skip
    assert outcomes[2].existing == outcomes[0].expense
    assert Expense.objects.filter(account=acme).count() == 2


def test_a_foreign_currency_invoice_needs_its_vat_in_euros(acme, owner):
    in_usd = edited(
        fixture("cii_invoice.xml"),
        {
            "<ram:InvoiceCurrencyCode>EUR<": "<ram:InvoiceCurrencyCode>USD<",
            'currencyID="EUR">6.69<': 'currencyID="USD">6.69<',
        },
    )
    with_vat_in_euros = edited(
        in_usd,
        {
            "<ram:InvoiceCurrencyCode>": "<ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode><ram:InvoiceCurrencyCode>",
            'currencyID="USD">6.69</ram:TaxTotalAmount>': (
                'currencyID="USD">6.69</ram:TaxTotalAmount><ram:TaxTotalAmount currencyID="EUR">6.02</ram:TaxTotalAmount>'
            ),
        },
    )

    with pytest.raises(ServiceError, match="La facture est en USD sans sa TVA en euros"):
        import_file(acme, owner, "usd.xml", in_usd)
    assert nothing_stored(acme)

    expense = import_file(acme, owner, "usd.xml", with_vat_in_euros)
    assert (expense.currency, expense.exchange_rate, expense.gross_total) == (
        "USD",
        D("0.899851"),
        D("49.19"),
    )
    assert expense.vat_total_eur == D("6.02")
