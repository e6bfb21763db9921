"""Sales documents through their services: totals, drafts, issuing, what may change after issue,
quotes, advances and final invoices, credit notes, permissions."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from facturier.billing.models import BillingSettings, Document, DocumentVatLine, Kind, Status
from facturier.billing.services import documents as services
from facturier.billing.services.documents import DocumentInput, IssuedDocumentError, LineInput
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice, make_product
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import AuditEvent

D = Decimal
DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def actor(acme, owner):
    return actor_for(acme, owner)


@pytest.fixture
def buyer(acme):
    return make_client(acme)


def two_rate_lines() -> list[LineInput]:
    return [
        line("Développement", "3", "19.99", "20"),
        line("Livre", "7", "4.15", "5.5", supply_kind="goods"),
        line("Frais", "1", "0.99", "20", discount_percent=D("10")),
    ]


def draft_input(buyer, **fields) -> DocumentInput:
    values = {"kind": "vat", "client_id": buyer.pk, "issue_date": DAY, "lines": [line()]}
    values.update(fields)
    return DocumentInput(**values)


def vat_rows(document):
    return sorted(
        (r.vat_rate, r.base, r.vat_amount, r.base_eur, r.vat_amount_eur)
        for r in DocumentVatLine.objects.filter(document=document)
    )


# --- Totals ---------------------------------------------------------------------------------------


def test_it_stores_the_totals_of_a_two_rate_invoice_to_the_cent(actor, buyer):
    document = make_invoice(actor, buyer, lines=two_rate_lines(), issue=False, issue_date=DAY)

    document.refresh_from_db()
    # 20 %: 59.97 + 0.89 (0.99 less 10 %, rounded) = 60.86 → VAT 12.172 → 12.17 on the summed base.
    # 5.5 %: 29.05 → VAT 1.59775 → 1.60.
    assert (document.net_total, document.vat_total, document.gross_total) == (
        D("89.91"),
        D("13.77"),
        D("103.68"),
    )
    assert (document.net_total_eur, document.vat_total_eur, document.gross_total_eur) == (
        D("89.91"),
        D("13.77"),
        D("103.68"),
    )
    assert [(row.net_amount, row.gross_amount) for row in document.lines.all()] == [
        (D("59.97"), D("71.96")),
        (D("29.05"), D("30.65")),
        (D("0.89"), D("1.07")),
    ]
    assert vat_rows(document) == [
        (D("5.50"), D("29.05"), D("1.60"), D("29.05"), D("1.60")),
        (D("20.00"), D("60.86"), D("12.17"), D("60.86"), D("12.17")),
    ]
    assert document.supply_category == "mixed"
    row = DocumentVatLine.objects.filter(document=document)[0]
    assert (row.kind, row.issue_date, row.buyer_country, row.buyer_is_company) == ("vat", DAY, "FR", True)


def test_it_stores_euro_amounts_of_a_foreign_currency_document(actor, buyer):
    document = make_invoice(
        actor, buyer, lines=[line("Audit", "1", "1000", "20")], currency="USD", exchange_rate=D("0.912345")
    )

    assert (document.net_total, document.gross_total) == (D("1000.00"), D("1200.00"))
    assert (document.net_total_eur, document.vat_total_eur, document.gross_total_eur) == (
        D("912.35"),
        D("182.47"),
        D("1094.82"),
    )
    assert vat_rows(document) == [(D("20.00"), D("1000.00"), D("200.00"), D("912.35"), D("182.47"))]


def test_it_computes_totals_of_gross_prices(actor, buyer):
    document = make_invoice(actor, buyer, lines=[line("Repas", "1", "110", "10")], prices_are_gross=True)

    assert (document.net_total, document.vat_total, document.gross_total) == (
        D("100.00"),
        D("10.00"),
        D("110.00"),
    )


def test_preview_totals_writes_nothing(buyer):
    result = services.preview_totals(
        two_rate_lines(), prices_are_gross=False, currency="EUR", exchange_rate=D(1)
    )

    assert result.gross_total == D("103.68")
    assert not Document.objects.exists()


# --- Drafts ---------------------------------------------------------------------------------------


def test_it_creates_a_draft_with_a_due_date_from_the_client_terms(actor, acme, buyer):
    buyer.payment_terms_days = 45
    buyer.save()

    document = services.create_draft(actor, acme, draft_input(buyer))

    assert (document.status, document.number, document.chain_index) == (Status.DRAFT, "", None)
    assert document.due_date == DAY + datetime.timedelta(days=45)
    assert document.buyer_name == "Dupont SARL"
    assert AuditEvent.objects.filter(account=acme, action="document.created").count() == 1


def test_it_rewrites_lines_totals_and_vat_rows_when_a_draft_changes(actor, acme, buyer):
    document = services.create_draft(actor, acme, draft_input(buyer, lines=two_rate_lines()))

    services.update_draft(actor, document, draft_input(buyer, lines=[line("Conseil", "2", "350", "10")]))

    document.refresh_from_db()
    assert [row.name for row in document.lines.all()] == ["Conseil"]
    assert (document.net_total, document.vat_total, document.gross_total) == (
        D("700.00"),
        D("70.00"),
        D("770.00"),
    )
    assert vat_rows(document) == [(D("10.00"), D("700.00"), D("70.00"), D("700.00"), D("70.00"))]
    event = AuditEvent.objects.get(account=acme, action="document.changed")
    assert event.changes["gross_total"] == ["103.68", "770.00"]


def test_it_deletes_a_draft(actor, acme, buyer):
    document = services.create_draft(actor, acme, draft_input(buyer))

    services.delete_draft(actor, document)

    assert not Document.objects.exists()
    assert AuditEvent.objects.filter(account=acme, action="document.deleted").count() == 1


def test_it_refuses_to_delete_or_edit_an_issued_document(actor, buyer):
    invoice = make_invoice(actor, buyer, issue_date=DAY)

    with pytest.raises(IssuedDocumentError, match="avoir"):
        services.delete_draft(actor, invoice)
    with pytest.raises(IssuedDocumentError):
        services.update_draft(actor, invoice, draft_input(buyer, lines=[line(unit_price="1")]))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.gross_total) == (Status.ISSUED, D("120.00"))


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (line(name=" "), "désignation"),
        (line(vat_rate="19.6"), "n'existe pas"),
        (line(vat_rate="0"), "catégorie sans TVA"),
        (line(vat_rate="20", vat_category="E"), "n'a pas de taux"),
        (line(unit_price="1.23456"), "4 décimales"),
        (line(unit_price="-5"), "négatif"),
        (line(discount_percent=D("120")), "remise"),
        (line(name="x" * 301), "trop long"),
        (line(quantity="999999999", unit_price="9999999999"), "trop élevés"),
    ],
)
def test_it_refuses_bad_lines_with_a_message(actor, acme, buyer, bad_line, message):
    with pytest.raises(ServiceError, match=message):
        services.create_draft(actor, acme, draft_input(buyer, lines=[bad_line]))

    assert not Document.objects.exists()


def test_it_fills_the_legal_mention_of_an_exempt_line(actor, acme, buyer):
    document = services.create_draft(
        actor, acme, draft_input(buyer, lines=[line(vat_rate="0", vat_category="E")])
    )

    assert document.lines.get().exemption_reason == "TVA non applicable, art. 293 B du CGI"


def test_it_refuses_a_document_without_client_or_with_another_accounts_client(actor, acme, globex):
    with pytest.raises(ServiceError, match="client") as error:
        services.create_draft(actor, acme, DocumentInput(kind="vat", client_id=None, issue_date=DAY))  # type: ignore[arg-type]
    assert error.value.field == "client_id"
    foreign = make_client(globex)
    with pytest.raises(ServiceError, match="n'existe pas"):
        services.create_draft(actor, acme, draft_input(foreign))

    assert not Document.objects.exists()


def test_it_refuses_a_product_of_another_account(actor, acme, globex, buyer):
    product = make_product(globex)

    with pytest.raises(ServiceError, match="produit"):
        services.create_draft(actor, acme, draft_input(buyer, lines=[line(product_id=product.pk)]))


# --- Issuing --------------------------------------------------------------------------------------


def test_it_issues_with_a_number_snapshots_and_an_audit_event(actor, acme, owner, buyer):
    acme.legal_name, acme.iban, acme.bic = (
        "ACME Société par actions simplifiée",
        "FR7630006000011234567890189",
        "AGRIFRPP",
    )
    acme.save()
    BillingSettings.objects.create(account=acme, legal_form="SAS", share_capital="10 000 €", rcs_city="Paris")
    draft = services.create_draft(actor, acme, draft_input(buyer, lines=two_rate_lines()))

    invoice = services.issue(actor, draft)

    invoice.refresh_from_db()
    assert (invoice.number, invoice.sequence, invoice.status) == ("F-2026-0001", 1, Status.ISSUED)
    assert invoice.issued_by == owner and invoice.issued_at is not None
    assert invoice.due_date == DAY + datetime.timedelta(days=30)
    assert (invoice.buyer_name, invoice.buyer_siren, invoice.buyer_vat_number, invoice.buyer_city) == (
        "Dupont SARL",
        "552100554",
        "FR96552100554",
        "Paris",
    )
    assert invoice.seller["siren"] == "732829320"
    assert invoice.seller["legal_name"] == "ACME Société par actions simplifiée"
    assert (invoice.seller["legal_form"], invoice.seller["share_capital"], invoice.seller["rcs_city"]) == (
        "SAS",
        "10 000 €",
        "Paris",
    )
    assert (invoice.bank_iban, invoice.bank_bic) == ("FR7630006000011234567890189", "AGRIFRPP")
    assert invoice.chain_index == 1 and len(invoice.chain_hash) == 64
    event = AuditEvent.objects.get(account=acme, action="document.issued")
    assert event.target == "F-2026-0001" and "103.68" in event.summary


def test_the_buyer_block_stays_as_issued_when_the_client_changes(actor, buyer):
    invoice = make_invoice(actor, buyer, issue_date=DAY)
    buyer.name, buyer.city = "Dupont & Fils", "Lyon"
    buyer.save()

    invoice.refresh_from_db()
    assert (invoice.buyer_name, invoice.buyer_city) == ("Dupont SARL", "Paris")


def test_it_refuses_to_issue_a_document_without_lines(actor, acme, buyer):
    draft = services.create_draft(actor, acme, draft_input(buyer, lines=[]))

    with pytest.raises(ServiceError, match="au moins une ligne"):
        services.issue(actor, draft)

    draft.refresh_from_db()
    assert (draft.status, draft.number) == (Status.DRAFT, "")


def test_it_refuses_to_issue_an_invoice_with_a_negative_total(actor, acme, buyer):
    draft = services.create_draft(actor, acme, draft_input(buyer, lines=[line(quantity="-1")]))

    with pytest.raises(ServiceError, match="avoir"):
        services.issue(actor, draft)


def test_create_document_issues_in_one_call(actor, acme, buyer):
    document = services.create_document(actor, acme, draft_input(buyer), issue=True)

    assert (document.status, document.number) == (Status.ISSUED, "F-2026-0001")


# --- After issue ----------------------------------------------------------------------------------


def test_it_changes_the_internal_note_and_recipients_of_an_issued_document_with_an_audit(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, issue_date=DAY)
    chain_hash = invoice.chain_hash

    services.update_issued(actor, invoice, internal_note="Relancer en mai", email_to="a@dupont.test")

    invoice.refresh_from_db()
    assert (invoice.internal_note, invoice.email_to) == ("Relancer en mai", "a@dupont.test")
    assert invoice.chain_hash == chain_hash
    event = AuditEvent.objects.get(account=acme, action="document.changed")
    assert event.changes["internal_note"] == ["", "Relancer en mai"]


def test_it_refuses_to_change_what_an_issued_document_prints(actor, buyer):
    invoice = make_invoice(actor, buyer, issue_date=DAY)

    for change in ({"notes": "Merci !"}, {"bank_iban": "FR76 3000 6000 0112 3456 7890 189"}):
        with pytest.raises(services.IssuedDocumentError, match="imprimées sur le document émis"):
            services.update_issued(actor, invoice, **change)
    services.update_issued(actor, invoice, notes="", payment_method="transfer")  # unchanged: accepted

    invoice.refresh_from_db()
    assert (invoice.notes, invoice.bank_iban) == ("", "")


def test_it_refuses_invalid_payment_details_and_other_fields_after_issue(actor, buyer):
    invoice = make_invoice(actor, buyer, issue_date=DAY)

    with pytest.raises(ServiceError, match="IBAN") as error:
        services.update_issued(actor, invoice, bank_iban="FR00 1234")
    assert error.value.field == "bank_iban"
    with pytest.raises(TypeError):
        services.update_issued(actor, invoice, issue_date=DAY)  # type: ignore[call-arg]

    invoice.refresh_from_db()
    assert invoice.bank_iban == ""


def test_mark_sent_moves_an_issued_document_to_sent(actor, buyer):
    invoice = make_invoice(actor, buyer, issue_date=DAY)

    services.mark_sent(actor, invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.SENT and invoice.sent_at is not None


# --- Quotes ---------------------------------------------------------------------------------------


def test_a_quote_is_issued_with_its_own_series_and_accepted_or_rejected(actor, acme, buyer):
    quote = make_invoice(actor, buyer, kind="estimate", issue_date=DAY)
    assert (quote.number, quote.due_date) == ("D-2026-0001", None)

    services.set_estimate_status(actor, quote, Status.ACCEPTED)
    quote.refresh_from_db()
    assert quote.status == Status.ACCEPTED and quote.accepted_at is not None

    services.set_estimate_status(actor, quote, Status.REJECTED)
    quote.refresh_from_db()
    assert quote.status == Status.REJECTED and quote.accepted_at is None
    assert AuditEvent.objects.filter(account=acme, action="document.status_changed").count() == 2


def test_it_refuses_to_accept_a_draft_quote_or_an_invoice(actor, buyer):
    draft = make_invoice(actor, buyer, kind="estimate", issue=False)
    invoice = make_invoice(actor, buyer)

    with pytest.raises(ServiceError, match="Émettez"):
        services.set_estimate_status(actor, draft, Status.ACCEPTED)
    with pytest.raises(ServiceError, match="devis"):
        services.set_estimate_status(actor, invoice, Status.ACCEPTED)


@time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_it_converts_an_issued_quote_into_a_draft_invoice(actor, buyer):
    quote = make_invoice(actor, buyer, kind="estimate", lines=two_rate_lines(), issue_date=DAY)

    invoice = services.convert(actor, quote)

    assert (invoice.kind, invoice.status, invoice.source_document) == (Kind.INVOICE, Status.DRAFT, quote)
    assert invoice.issue_date == datetime.date(2026, 4, 2)
    assert invoice.due_date == datetime.date(2026, 5, 2)
    assert invoice.gross_total == quote.gross_total == D("103.68")
    assert [row.name for row in invoice.lines.all()] == [row.name for row in quote.lines.all()]


def test_it_refuses_to_convert_a_rejected_quote_or_an_invoice(actor, buyer):
    quote = make_invoice(actor, buyer, kind="estimate")
    services.set_estimate_status(actor, quote, Status.REJECTED)
    invoice = make_invoice(actor, buyer)

    with pytest.raises(ServiceError, match="refusé"):
        services.convert(actor, quote)
    with pytest.raises(ServiceError, match="devis"):
        services.convert(actor, invoice)


def test_it_duplicates_a_document_as_a_draft_dated_today(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, lines=two_rate_lines(), issue_date=DAY)

    copy = services.duplicate(actor, invoice)

    assert (copy.status, copy.number, copy.issue_date) == (Status.DRAFT, "", acme.today())
    assert copy.gross_total == invoice.gross_total


# --- Advances and final invoices ------------------------------------------------------------------


@pytest.fixture
def quote(actor, buyer):
    lines = [line("Site web", "1", "1000", "20"), line("Livres", "10", "50", "5.5", supply_kind="goods")]
    return make_invoice(actor, buyer, kind="estimate", lines=lines, issue_date=DAY)


def test_an_advance_takes_a_share_of_each_vat_rate_of_the_quote(actor, quote):
    # The quote: 1000 + 200 VAT at 20 %, 500 + 27.50 VAT at 5.5 %: 1727.50 TTC.
    advance = services.create_advance(actor, quote, percent=D("30"))

    assert (advance.kind, advance.status, advance.source_document) == (Kind.ADVANCE, Status.DRAFT, quote)
    assert [(row.unit_price, row.vat_rate, row.supply_kind) for row in advance.lines.all()] == [
        (D("300.0000"), D("20.00"), "service"),
        (D("150.0000"), D("5.50"), "goods"),
    ]
    assert advance.lines.all()[0].name.startswith("Acompte de 30 % sur le devis D-2026-0001")
    assert (advance.net_total, advance.vat_total, advance.gross_total) == (
        D("450.00"),
        D("68.25"),
        D("518.25"),
    )


def test_an_advance_labels_its_rates_in_the_documents_language(actor, quote):
    advance = services.create_advance(actor, quote, percent=D("12.5"))
    assert [row.name for row in advance.lines.all()] == [
        "Acompte de 12,5 % sur le devis D-2026-0001 (TVA 20 %)",
        "Acompte de 12,5 % sur le devis D-2026-0001 (TVA 5,5 %)",
    ]

    Document.objects.filter(pk=quote.pk).update(language="en")
    quote.refresh_from_db()
    english = services.create_advance(actor, quote, percent=D("12.5"))
    assert [row.name for row in english.lines.all()][1] == (
        "Advance payment of 12.5% on quote D-2026-0001 (VAT 5.5%)"
    )


def test_an_advance_of_an_amount_splits_it_over_the_rates(actor, quote):
    advance = services.create_advance(actor, quote, amount=D("345.50"))

    assert advance.gross_total == D("345.50")


def test_advances_cannot_exceed_the_quote(actor, quote):
    services.create_advance(actor, quote, percent=D("80"))

    with pytest.raises(ServiceError, match="dépasseraient"):
        services.create_advance(actor, quote, percent=D("30"))
    with pytest.raises(ServiceError, match="pourcentage ou un montant"):
        services.create_advance(actor, quote)


def test_a_final_invoice_deducts_the_issued_advances(actor, quote):
    advance = services.issue(actor, services.create_advance(actor, quote, percent=D("30")))

    final = services.create_final(actor, quote, [advance])
    final = services.issue(actor, final)

    final.refresh_from_db()
    assert (final.kind, final.number) == (Kind.FINAL, "FS-2026-0001")
    assert (final.gross_total, final.advances_deducted, final.amount_due) == (
        D("1727.50"),
        D("518.25"),
        D("1209.25"),
    )
    # The VAT rows are net of the advance's: the advance already declared that VAT.
    assert vat_rows(final) == [
        (D("5.50"), D("350.00"), D("19.25"), D("350.00"), D("19.25")),
        (D("20.00"), D("700.00"), D("140.00"), D("700.00"), D("140.00")),
    ]
    assert (
        sum(r.base + r.vat_amount for r in DocumentVatLine.objects.filter(document=final)) == final.amount_due
    )


def test_a_final_invoice_below_its_advances_is_not_issued(actor, quote):
    advance = services.issue(actor, services.create_advance(actor, quote, percent=D("30")))
    final = services.create_final(actor, quote, [advance])
    shrunk = services._input_from(final, lines=[line("Solde", "1", "100", "20")])  # 120 TTC < 518.25
    services.update_draft(actor, final, shrunk)

    with pytest.raises(ServiceError, match="inférieur aux acomptes"):
        services.issue(actor, final)

    assert Document.objects.get(pk=final.pk).is_draft


def test_a_final_invoice_refuses_draft_foreign_or_already_deducted_advances(actor, acme, quote):
    draft_advance = services.create_advance(actor, quote, percent=D("10"))
    other_client = make_client(acme, name="Autre SA", siren="404833048", vat_number="")
    foreign = make_invoice(actor, other_client, kind="advance")
    advance = services.issue(actor, services.create_advance(actor, quote, percent=D("10")))
    services.create_final(actor, quote, [advance])

    with pytest.raises(ServiceError, match="n'est pas une facture d'acompte émise"):
        services.create_final(actor, quote, [draft_advance])
    with pytest.raises(ServiceError, match="autre client"):
        services.create_final(actor, quote, [foreign])
    with pytest.raises(ServiceError, match="déjà déduite"):
        services.create_final(actor, quote, [advance])


# --- Credit notes ---------------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
def test_a_total_credit_note_cancels_an_unpaid_invoice(actor, acme, buyer):
    invoice = make_invoice(actor, buyer, lines=two_rate_lines(), issue_date=DAY)

    credit_note = services.create_credit_note(actor, invoice, reason="Commande annulée")
    credit_note = services.issue(actor, credit_note)

    credit_note.refresh_from_db()
    assert (credit_note.number, credit_note.corrected_document, credit_note.issue_date) == (
        "AV-2026-0001",
        invoice,
        datetime.date(2026, 4, 2),
    )
    assert (credit_note.net_total, credit_note.vat_total, credit_note.gross_total) == (
        D("-89.91"),
        D("-13.77"),
        D("-103.68"),
    )
    assert credit_note.correction_reason == "Commande annulée"
    invoice.refresh_from_db()
    assert (invoice.credited_total, invoice.status, invoice.remaining) == (
        D("103.68"),
        Status.CANCELLED,
        D("0"),
    )


def test_a_partial_credit_note_lowers_what_is_owed(actor, buyer):
    invoice = make_invoice(actor, buyer, lines=[line("Conseil", "10", "100", "20")])

    credit_note = services.create_credit_note(
        actor, invoice, lines=[line("Conseil", "2", "100", "20")], reason="Remise commerciale"
    )
    services.issue(actor, credit_note)

    credit_note.refresh_from_db()
    assert credit_note.gross_total == D("-240.00")
    assert credit_note.lines.get().quantity == D("-2")
    invoice.refresh_from_db()
    assert (invoice.credited_total, invoice.remaining, invoice.status) == (
        D("240.00"),
        D("960.00"),
        Status.ISSUED,
    )


def test_credit_notes_cannot_exceed_the_invoice(actor, buyer):
    invoice = make_invoice(actor, buyer, lines=[line("Conseil", "10", "100", "20")])
    services.issue(
        actor,
        services.create_credit_note(actor, invoice, lines=[line("Conseil", "8", "100", "20")], reason="x"),
    )

    with pytest.raises(ServiceError, match="dépasse ce qui reste à créditer") as error:
        services.create_credit_note(actor, invoice, lines=[line("Conseil", "3", "100", "20")], reason="x")
    assert "240.00" in error.value.message

    invoice.refresh_from_db()
    assert invoice.credited_total == D("960.00")
    assert Document.objects.filter(kind=Kind.CREDIT_NOTE).count() == 1


def test_two_draft_credit_notes_cannot_both_be_issued_over_the_limit(actor, buyer):
    invoice = make_invoice(actor, buyer, lines=[line("Conseil", "10", "100", "20")])
    first = services.create_credit_note(actor, invoice, lines=[line("Conseil", "6", "100", "20")], reason="x")
    second = services.create_credit_note(
        actor, invoice, lines=[line("Conseil", "6", "100", "20")], reason="x"
    )
    services.issue(actor, first)

    with pytest.raises(ServiceError, match="dépasse"):
        services.issue(actor, second)

    second.refresh_from_db()
    assert second.status == Status.DRAFT


def test_a_credit_note_needs_an_issued_invoice_and_a_reason(actor, buyer):
    quote = make_invoice(actor, buyer, kind="estimate")
    draft = make_invoice(actor, buyer, issue=False)
    invoice = make_invoice(actor, buyer)

    for document in (quote, draft):
        with pytest.raises(ServiceError, match="facture émise"):
            services.create_credit_note(actor, document, reason="x")
    with pytest.raises(ServiceError, match="motif"):
        services.create_credit_note(actor, invoice, reason=" ")


def test_a_total_credit_note_of_a_final_invoice_takes_back_its_amount_due(actor, quote):
    advance = services.issue(actor, services.create_advance(actor, quote, percent=D("30")))
    final = services.issue(actor, services.create_final(actor, quote, [advance]))

    credit_note = services.issue(actor, services.create_credit_note(actor, final, reason="Annulation"))

    assert credit_note.amount_due == -final.amount_due == D("-1209.25")
    rows = DocumentVatLine.objects.filter(document=credit_note)
    assert sum(r.base + r.vat_amount for r in rows) == D("-1209.25")
    final.refresh_from_db()
    assert final.status == Status.CANCELLED


# --- Permissions ----------------------------------------------------------------------------------


def test_a_member_without_sales_rights_cannot_create_edit_issue_or_delete(
    acme, buyer, owner, collaborator, firm_accountant
):
    accountant = actor_for(acme, firm_accountant)
    member = actor_for(acme, collaborator)
    draft = make_invoice(actor_for(acme, owner), buyer, issue=False)

    with pytest.raises(PermissionDenied):
        services.create_draft(accountant, acme, draft_input(buyer))
    with pytest.raises(PermissionDenied):
        services.update_draft(accountant, draft, draft_input(buyer))
    with pytest.raises(PermissionDenied):
        services.issue(accountant, draft)
    with pytest.raises(PermissionDenied):
        services.delete_draft(member, draft)  # Utilisateur: creates and edits, does not delete

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_member_of_another_account_is_refused(acme, buyer, outsider, globex):
    stranger = actor_for(globex, outsider)
    invoice = make_invoice(acme, buyer)

    with pytest.raises(PermissionDenied):
        services.create_draft(stranger, acme, draft_input(buyer))
    with pytest.raises(PermissionDenied):
        services.create_credit_note(stranger, invoice, reason="x")
