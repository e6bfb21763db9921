"""The PDF of a sales document, its print page, and what both print (the payload built for Typst).

The mentions are asserted on the payload (the PDF's text is compressed by Typst); the PDF bytes are
checked for what only they can show: a PDF/A-3b file, its pages, an embedded logo.
"""

import datetime
import hashlib
import io
import re
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from babel.dates import format_date
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from facturier.billing import pdf
from facturier.billing.models import BillingSettings, Document
from facturier.billing.services import documents, payments
from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role

ISSUE_DATE = datetime.date(2026, 3, 5)


@pytest.fixture
def seller(acme):
    """acme with the full identity and legal wording a French company prints."""
    acme.legal_name = "ACME Société par actions simplifiée"
    acme.street = "1 avenue des Champs-Élysées"
    acme.post_code = "75008"
    acme.city = "Paris"
    acme.siret = "73282932000074"
    acme.vat_number = "FR44732829320"
    acme.iban = "FR7630006000011234567890189"
    acme.bic = "AGRIFRPP"
    acme.save()
    BillingSettings.objects.create(account=acme, legal_form="SAS", share_capital="10000", rcs_city="Paris")
    return acme


@pytest.fixture
def actor(seller, owner):
    return actor_for(seller, owner)


@pytest.fixture
def client(seller):
    return make_client(seller)


def invoice(actor, client, **fields):
    values: dict[str, Any] = {
        "issue_date": ISSUE_DATE,
        "lines": [
            line("Conseil stratégique", "2", "350", "20"),
            line("Guide imprimé", "3", "12.50", "5.5", supply_kind="goods"),
        ],
    }
    values.update(fields)
    return make_invoice(actor, client, **values)


def payload(document, **options):
    # As the views read it: fresh from the database, with its lines and VAT rows.
    document = Document.objects.select_related("account", "client", "corrected_document").get(pk=document.pk)
    return pdf.build_payload(document, **options)


def texts(data):
    """Every label and value of a payload's rows, for membership tests."""
    rows = [*data["dates"], *data["references"], *data["payment"]]
    return (
        {item for row in rows for item in row}
        | {r["label"] for r in data["totals"]}
        | {r["value"] for r in data["totals"]}
    )


def page_count(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", content))


# --- What the document prints ---------------------------------------------------------------------


def test_an_invoice_prints_every_mandatory_mention(actor, client):
    document = invoice(actor, client)

    data = payload(document)

    assert data["title"] == "FACTURE" and data["number"] == "F-2026-0001"
    assert data["watermark"] == "" and data["duplicate"] == ""
    assert data["seller"]["name"] == "ACME SAS"
    assert data["seller"]["lines"] == ["1 avenue des Champs-Élysées", "75008 Paris"]
    assert data["seller"]["ids"] == ["SIRET : 732 829 320 00074", "N° TVA : FR44732829320"]
    assert data["buyer"]["name"] == "Dupont SARL"
    assert data["buyer"]["ids"] == [
        "SIREN : 552 100 554",
        f"N° TVA : {client.vat_number}",
    ]  # reform: buyer SIREN
    assert data["dates"] == [("Date d'émission", "5 mars 2026"), ("Date d'échéance", "4 avril 2026")]
    assert data["lines"][0] == {
        "name": "Conseil stratégique",
        "description": "",
        "quantity": "2",
        "unit": "",
        "unit_price": "350,00\xa0€",
        "discount": "",
        "vat_rate": "20\xa0%",
        "total": "700,00\xa0€",
    }
    assert data["vat_table"] == [
        {"rate": "20\xa0%", "base": "700,00\xa0€", "vat": "140,00\xa0€"},
        {"rate": "5,5\xa0%", "base": "37,50\xa0€", "vat": "2,06\xa0€"},
    ]
    assert [(row["label"], row["value"]) for row in data["totals"]] == [
        ("Total HT", "737,50\xa0€"),
        ("Total TVA", "142,06\xa0€"),
        ("Total TTC", "879,56\xa0€"),
    ]
    assert data["mentions"] == [
        "Catégorie de l'opération : Mixte (biens et services)",
        "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal.",
        "Indemnité forfaitaire pour frais de recouvrement de 40 €",
        "Pas d'escompte pour paiement anticipé.",
    ]
    assert data["payment"] == [
        ("Conditions de paiement", "À 30 jours, soit le 4 avril 2026"),
        ("Mode de paiement", "Virement"),
        ("IBAN", "FR76 3000 6000 0112 3456 7890 189"),
        ("BIC", "AGRIFRPP"),
    ]
    assert data["footer"] == (
        "ACME Société par actions simplifiée · SAS au capital de 10\u202f000,00\xa0€ · RCS Paris 732 829 320"
        " · SIRET : 732 829 320 00074 · N° TVA : FR44732829320"
    )


def test_amounts_are_written_the_french_way(actor, client):
    document = invoice(actor, client, lines=[line("Audit", "1", "1234.56", "20")])

    totals = {row["label"]: row["value"] for row in payload(document)["totals"]}

    assert totals["Total HT"] == "1\u202f234,56\xa0€"


def test_an_issued_document_keeps_the_legal_wording_of_its_issue_day(actor, client, seller):
    BillingSettings.objects.filter(account=seller).update(
        vat_on_debits=True, late_penalty_text="Pénalités : 12 %."
    )
    document = invoice(actor, client)
    BillingSettings.objects.filter(account=seller).update(
        vat_on_debits=False, late_penalty_text="Autre texte."
    )
    seller.name = "ACME renamed"
    seller.save()

    data = payload(document)

    assert "Option pour le paiement de la taxe d'après les débits" in data["mentions"]
    assert "Pénalités : 12 %." in data["mentions"] and "Autre texte." not in data["mentions"]
    assert data["seller"]["name"] == "ACME SAS"


def test_a_draft_prints_the_current_settings_and_a_watermark(actor, client, seller):
    BillingSettings.objects.filter(account=seller).update(vat_on_debits=True)
    draft = invoice(actor, client, issue=False)

    data = payload(draft)

    assert data["watermark"] == "BROUILLON"
    assert data["number"] == ""
    assert "Option pour le paiement de la taxe d'après les débits" in data["mentions"]
    assert pdf.pdf_filename(draft) == f"brouillon-{draft.pk}.pdf"


def test_a_duplicate_says_so(actor, client):
    document = invoice(actor, client)

    assert payload(document, duplicate=True)["duplicate"] == "DUPLICATA"


def test_a_private_buyer_gets_no_recovery_indemnity(actor, seller):
    person = make_client(
        seller, name="", first_name="Jeanne", last_name="Petit", is_company=False, siren="", vat_number=""
    )
    document = invoice(actor, person, lines=[line()])

    data = payload(document)

    assert not any("40 €" in mention for mention in data["mentions"])
    assert data["buyer"]["ids"] == []
    assert "Catégorie de l'opération : Prestation de services" in data["mentions"]


def test_reverse_charge_and_exemptions_print_their_mention(actor, seller):
    belgian = make_client(seller, name="Brussels BV", country="BE", siren="", vat_number="BE0403170701")
    document = invoice(
        actor,
        belgian,
        reverse_charge=True,
        lines=[
            line("Maintenance", "1", "500", "0", vat_category="AE"),
            line(
                "Formation",
                "1",
                "200",
                "0",
                vat_category="E",
                exemption_reason="Exonération de TVA, art. 261-4-4° du CGI",
            ),
        ],
    )

    data = payload(document)

    assert set(data["mentions"][:2]) == {"Exonération de TVA, art. 261-4-4° du CGI", "Autoliquidation"}
    assert {row["rate"] for row in data["vat_table"]} == {"Autoliquidation", "Exonéré"}
    assert data["buyer"]["lines"][-1] == "Belgique"  # another country than the seller's
    assert data["seller"]["lines"][-1] == "France"


def test_vat_franchise_prints_article_293_b(actor, client, seller):
    BillingSettings.objects.filter(account=seller).update(vat_franchise=True)
    document = invoice(actor, client, lines=[line("Cours", "1", "80", "0", vat_category="E")])

    assert payload(document)["mentions"].count("TVA non applicable, art. 293 B du CGI") == 1


def test_a_credit_note_references_the_invoice_it_corrects(actor, client):
    original = invoice(actor, client)
    credit_note = documents.issue(
        actor, documents.create_credit_note(actor, original, reason="Erreur de quantité")
    )

    data = payload(credit_note)

    assert data["title"] == "AVOIR" and data["number"].startswith("AV-")
    assert data["references"] == [
        ("Facture corrigée", "F-2026-0001 du 5 mars 2026"),
        ("Motif", "Erreur de quantité"),
    ]


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("estimate", "DEVIS"),
        ("proforma", "FACTURE PROFORMA"),
        ("receipt", "REÇU"),
        ("advance", "FACTURE D'ACOMPTE"),
    ],
)
def test_each_kind_has_its_title(actor, client, kind, title):
    document = invoice(actor, client, kind=kind, valid_until=ISSUE_DATE + datetime.timedelta(days=30))

    assert payload(document)["title"] == title


def test_a_quote_shows_its_validity_and_no_payment_penalties(actor, client):
    quote = invoice(actor, client, kind="estimate", valid_until=datetime.date(2026, 4, 5))

    data = payload(quote)

    assert ("Valable jusqu'au", "5 avril 2026") in data["dates"]
    assert not any("retard" in mention for mention in data["mentions"])
    assert data["payment"] == []


def test_a_final_invoice_deducts_its_advances(actor, client):
    quote = invoice(actor, client, kind="estimate", lines=[line("Chantier", "1", "1000", "20")])
    advance = documents.issue(actor, documents.create_advance(actor, quote, percent=Decimal("30")))
    final = documents.issue(actor, documents.create_final(actor, quote, [advance]))

    data = payload(final)

    assert data["title"] == "FACTURE DE SOLDE"
    assert ("Factures d'acompte déduites", advance.number) in data["references"]
    totals = {row["label"]: row["value"] for row in data["totals"]}
    assert totals["Total HT"] == "1\u202f000,00\xa0€"
    assert totals["Total TVA"] == "200,00\xa0€"
    assert totals["Total TTC"] == "1\u202f200,00\xa0€"
    on = format_date(advance.issue_date, "long", locale="fr_FR")
    assert totals[f"Acompte {advance.number} du {on}"] == "-360,00\xa0€"
    assert totals["dont TVA"] == "-60,00\xa0€"
    assert totals["Net à payer"] == "840,00\xa0€"
    # The VAT table is the document's own: it adds up to the totals printed beside it.
    assert data["vat_table"] == [{"rate": "20\xa0%", "base": "1\u202f000,00\xa0€", "vat": "200,00\xa0€"}]


def test_an_issued_invoice_prints_the_same_after_a_payment(actor, client, seller):
    document = invoice(actor, client, lines=[line("Conseil", "1", "100", "20")])
    before = payload(document)
    payments.record_payment(actor, seller, date=ISSUE_DATE, amount=Decimal("50"), documents=[document])
    document.refresh_from_db()

    after = payload(document)

    assert after == before
    assert [row["label"] for row in after["totals"]] == ["Total HT", "Total TVA", "Total TTC"]


def test_a_foreign_currency_document_states_its_vat_in_euros(actor, client):
    document = invoice(
        actor,
        client,
        currency="USD",
        exchange_rate=Decimal("0.9"),
        lines=[line("Consulting", "1", "100", "20")],
    )

    totals = {row["label"]: row["value"] for row in payload(document)["totals"]}

    assert totals["Total TTC"] == "120,00\xa0$US"
    assert totals["Taux de change"] == "1 USD = 0,9 EUR"
    assert totals["Total TVA en euros"] == "18,00\xa0€"
    assert totals["Total TTC en euros"] == "108,00\xa0€"


def test_a_different_delivery_address_is_printed_and_the_same_one_is_not(actor, client):
    elsewhere = invoice(
        actor, client, delivery_street="5 quai Rambaud", delivery_post_code="69002", delivery_city="Lyon"
    )
    same = invoice(
        actor,
        client,
        delivery_street=client.street,
        delivery_post_code=client.post_code,
        delivery_city=client.city,
    )

    assert payload(elsewhere)["delivery"]["lines"] == ["5 quai Rambaud", "69002 Lyon"]
    assert payload(same)["delivery"] is None


def test_an_english_document_is_written_in_english(actor, client):
    document = invoice(actor, client, language="en", lines=[line("Audit", "1", "1234.56", "20")])
    english = {"FACTURE": "INVOICE", "Total HT": "Total excl. VAT", "Date d'émission": "Issue date"}

    def fake_gettext(message):
        # Stands for the English catalogue: proves the labels are looked up in the document's language.
        return english.get(message, message) if translation.get_language() == "en" else message

    with translation.override("fr"), mock.patch("facturier.billing.pdf._", side_effect=fake_gettext):
        data = payload(document)

    assert data["lang"] == "en"
    assert data["title"] == "INVOICE"
    assert data["dates"][0] == ("Issue date", "March 5, 2026")
    assert data["totals"][0] == {"label": "Total excl. VAT", "value": "€1,234.56", "strong": False}
    assert data["lines"][0]["vat_rate"] == "20%"


# --- The PDF file -----------------------------------------------------------------------------------


def test_the_pdf_is_a_pdf_a_3b_file(actor, client):
    content = pdf.render_document_pdf(invoice(actor, client))

    assert content.startswith(b"%PDF-")
    assert (
        b"<pdfaid:part>3</pdfaid:part>" in content
        and b"<pdfaid:conformance>B</pdfaid:conformance>" in content
    )
    assert b"F-2026-0001" in content  # the document's title in its metadata
    assert page_count(content) == 1


def test_a_long_document_runs_over_several_pages(actor, client):
    many = [line(f"Article {n}", "1", "10", "20", description="Détail de l'article") for n in range(120)]

    content = pdf.render_document_pdf(invoice(actor, client, lines=many))

    assert page_count(content) >= 3


def test_text_that_looks_like_typst_code_is_printed_as_typed(actor, client):
    tricky = [
        line('#panic("x") *gras* $x$ <label> @ref \\ ]', "1", "10", "20", description='#read("/etc/passwd")')
    ]

    content = pdf.render_document_pdf(invoice(actor, client, lines=tricky, notes="#sys.inputs"))

    assert content.startswith(b"%PDF-")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_account_logo_is_embedded(actor, client, seller):
    document = invoice(actor, client)
    without = pdf.render_document_pdf(document)
    seller.logo.save("logo.png", ContentFile(_png()))

    with_logo = pdf.render_document_pdf(Document.objects.get(pk=document.pk))

    assert b"/Subtype/Image" not in without
    assert b"/Subtype/Image" in with_logo
    assert pdf.logo_data_uri(seller).startswith("data:image/png;base64,")


def test_a_damaged_logo_does_not_prevent_the_pdf(actor, client, seller):
    seller.logo.save("logo.png", ContentFile(b"not an image"))

    content = pdf.render_document_pdf(invoice(actor, client))

    assert content.startswith(b"%PDF-") and b"/Subtype/Image" not in content


# --- Pages --------------------------------------------------------------------------------------------


def url(name, document, query=""):
    return reverse(f"billing:{name}", kwargs={"slug": document.account.slug, "pk": document.pk}) + query


def test_the_pdf_downloads_under_the_document_number(owner_client, actor, client):
    document = invoice(actor, client)

    response = owner_client.get(url("document_pdf", document))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="F-2026-0001.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_pdf_opens_in_the_browser_and_as_a_duplicate_on_request(owner_client, actor, client):
    document = invoice(actor, client)
    kept = document.issued_files.get(kind="pdf")

    with mock.patch("facturier.billing.pdf.build_payload", wraps=pdf.build_payload) as build:
        original = owner_client.get(url("document_pdf", document, "?inline=1"))
        duplicate = owner_client.get(url("document_pdf", document, "?inline=1&duplicate=1"))

    assert original.status_code == 200 and duplicate.status_code == 200
    assert original["Content-Disposition"] == 'inline; filename="F-2026-0001.pdf"'
    # Both are the PDF kept at issue, not a new rendering; the duplicate has the word stamped under it.
    assert hashlib.sha256(original.content).hexdigest() == kept.sha256 == document.pdf_sha256
    assert not build.called
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(duplicate.content)).pages)
    assert "DUPLICATA" in text and document.number in text


def test_a_draft_pdf_downloads_as_brouillon(owner_client, actor, client):
    draft = invoice(actor, client, issue=False)

    response = owner_client.get(url("document_pdf", draft))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="brouillon-{draft.pk}.pdf"'


def test_the_print_page_shows_the_document_with_a_print_button(
    owner_client, actor, client, django_assert_max_num_queries
):
    document = invoice(actor, client, lines=[line(f"Article {n}", "1", "10", "20") for n in range(30)])
    owner_client.get(url("document_print", document))  # the first visit notes the account in the session

    with django_assert_max_num_queries(13):  # gate, session and shell, then 5 for the document
        response = owner_client.get(url("document_print", document))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<button type="button" data-print>Imprimer</button>' in html and "js/print.js" in html
    assert "F-2026-0001" in html and "Article 29" in html
    assert "Indemnité forfaitaire pour frais de recouvrement de 40 €" in html
    assert "@media print" in html
    assert "DUPLICATA" not in html and "BROUILLON" not in html


def test_the_print_page_marks_duplicates_and_drafts(owner_client, actor, client):
    document = invoice(actor, client)
    draft = invoice(actor, client, issue=False)

    assert "DUPLICATA" in owner_client.get(url("document_print", document, "?duplicate=1")).content.decode()
    assert "BROUILLON" in owner_client.get(url("document_print", draft)).content.decode()


@pytest.mark.parametrize("name", ["document_pdf", "document_print"])
def test_another_account_sees_nothing(outsider_client, actor, client, name):
    document = invoice(actor, client)

    assert outsider_client.get(url(name, document)).status_code == 404


@pytest.mark.parametrize("name", ["document_pdf", "document_print"])
def test_a_member_who_may_not_see_sales_is_refused(actor, client, seller, name):
    from facturier.conftest import logged_in, make_user

    role = Role.objects.create(account=seller, name="Achats", permissions=["purchases.view"])
    user = make_user("paul@acme.test")
    Membership.objects.create(account=seller, user=user, role=permissions.ROLE_CUSTOM, custom_role=role)
    document = invoice(actor, client)

    assert logged_in(user).get(url(name, document)).status_code == 403


def test_the_accountant_can_read_the_pdf(firm_client, actor, client):
    document = invoice(actor, client)

    assert firm_client.get(url("document_pdf", document)).status_code == 200
