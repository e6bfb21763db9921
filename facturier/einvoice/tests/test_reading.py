"""Reading received e-invoices: Factur-X PDF, CII and UBL into a ReceivedInvoice; anything else refused."""

import datetime
import re
from decimal import Decimal as D
from pathlib import Path

import facturx
import pytest
import typst

from facturier.einvoice import reading
from facturier.einvoice.reading import ReadError

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def facturx_pdf(xml: bytes) -> bytes:
    """A Factur-X as suppliers send it: a PDF/A-3b (made with Typst, as our own) with the CII embedded."""
    pdf = typst.compile(
        b"= Facture PM-2026-0042\nPapeterie Martin SARL",
        format="pdf",
        pdf_standards=["a-3b"],
        ignore_system_fonts=True,
    )
    return bytes(facturx.generate_from_binary(pdf, xml, flavor="factur-x", lang="fr-FR"))


def test_it_reads_a_cii_invoice():
    invoice = reading.read(fixture("cii_invoice.xml"))

    assert (invoice.kind, invoice.syntax, invoice.profile, invoice.container) == (
        "invoice",
        "cii",
        "en16931",
        "xml",
    )
    assert invoice.number == "PM-2026-0042"
    assert invoice.issue_date == datetime.date(2026, 3, 10)
    assert invoice.due_date == datetime.date(2026, 4, 9)
    assert invoice.delivery_date == datetime.date(2026, 3, 9)
    assert invoice.currency == "EUR"
    assert invoice.seller == reading.Party(
        name="Papeterie Martin SARL",
        siren="552100554",
        siret="55210055400013",
        vat_number="FR96552100554",
        street="3 rue de la République",
        post_code="69001",
        city="Lyon",
        country="FR",
        email="compta@papeterie-martin.test",
    )
    assert invoice.buyer.siren == "732829320"
    assert invoice.lines == [
        reading.ReceivedLine("Ramette de papier A4", D(3), D("10.00"), D("30.00"), D(20), "S"),
        reading.ReceivedLine("Guide de la TVA", D(1), D("12.50"), D("12.50"), D("5.5"), "S"),
    ]
    assert [(row.base, row.vat_amount, row.vat_rate) for row in invoice.vat_breakdown] == [
        (D("30.00"), D("6.00"), D(20)),
        (D("12.50"), D("0.69"), D("5.5")),
    ]
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total, invoice.amount_due) == (
        D("42.50"), D("6.69"), D("49.19"), D("49.19")
    )  # fmt: skip
    assert invoice.payment_terms == "30 jours fin de mois"


def test_it_reads_a_ubl_invoice_with_reverse_charge():
    invoice = reading.read(fixture("ubl_invoice.xml"))

    assert (invoice.syntax, invoice.format_label) == ("ubl", "UBL")
    assert invoice.seller.name == "Müller Bürobedarf GmbH"
    assert (invoice.seller.vat_number, invoice.seller.siren, invoice.seller.country) == (
        "DE136695976",
        "",
        "DE",
    )
    assert invoice.lines == [
        reading.ReceivedLine("Maintenance informatique", D(2), D("150.00"), D("300.00"), D(0), "AE")
    ]
    assert invoice.vat_breakdown[0].exemption_reason == "Autoliquidation"
    assert invoice.gross_total == D("300.00")


def test_it_reads_a_ubl_credit_note_and_the_invoice_it_corrects():
    invoice = reading.read(fixture("ubl_credit_note.xml"))

    assert (invoice.kind, invoice.type_code, invoice.number) == ("credit_note", "381", "PM-2026-AV-0007")
    assert invoice.preceding_invoices == [("PM-2026-0042", datetime.date(2026, 3, 10))]


def test_it_reads_allowances_charges_and_the_prepaid_amount():
    invoice = reading.read(fixture("cii_allowances.xml"))

    assert invoice.lines[0].net_amount == D("28.50")  # 3 × 10.00 less a line allowance of 1.50
    assert [(a.is_charge, a.amount, a.reason) for a in invoice.allowances_charges] == [
        (False, D("2.50"), "Remise fidélité"),
        (True, D("8.00"), "Frais de port"),
    ]
    assert (invoice.net_total, invoice.prepaid, invoice.amount_due) == (D("34.00"), D("10.00"), D("30.80"))


def test_it_reads_the_xml_embedded_in_a_facturx_pdf():
    invoice = reading.read(facturx_pdf(fixture("cii_invoice.xml")))

    assert (invoice.container, invoice.format_label) == ("facturx", "Factur-X (EN 16931)")
    assert invoice.number == "PM-2026-0042"
    assert invoice.xml == fixture("cii_invoice.xml")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "le fichier est vide"),
        (b"   \n", "le fichier est vide"),
        (b"Bonjour, voici la facture.", "ni un PDF Factur-X, ni un fichier XML lisible"),
        (b"<Invoice><unclosed></Invoice>", "ni un PDF Factur-X, ni un fichier XML lisible"),
        (b"<?xml version='1.0'?><note><to>Compta</to></note>", "ni une facture CII"),
        (b"%PDF-1.4\n garbage", "ce PDF est illisible"),
    ],
)
def test_it_refuses_what_is_not_an_einvoice(content, reason):
    with pytest.raises(ReadError) as refused:
        reading.read(content)

    assert str(refused.value).startswith("Ce fichier n'est pas une facture électronique : ")
    assert reason in str(refused.value)


def test_it_refuses_a_plain_pdf():
    pdf = typst.compile(b"Une facture scannee", format="pdf", ignore_system_fonts=True)

    with pytest.raises(ReadError, match=re.escape("ne contient pas de fichier factur-x.xml")):
        reading.read(pdf)


def test_it_refuses_entities_without_expanding_them():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<lolz>&lol3;</lolz>"
    )
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'

    for content in (bomb, external):
        with pytest.raises(ReadError, match="déclare une DTD"):
            reading.read(content)


def test_it_refuses_xml_that_breaks_its_schema():
    broken = edited(fixture("cii_invoice.xml"), {"InvoiceCurrencyCode>": "Devise>"})

    with pytest.raises(ReadError, match=r"ne respecte pas son schéma \(XSD\)"):
        reading.read(broken)


def test_it_refuses_wrong_totals():
    wrong_gross = edited(
        fixture("cii_invoice.xml"), {"<ram:GrandTotalAmount>49.19<": "<ram:GrandTotalAmount>50.19<"}
    )
    wrong_line = edited(
        fixture("ubl_invoice.xml"),
        {
            '"EUR">300.00</cbc:LineExtensionAmount>\n    <cac:Item>': '"EUR">290.00</cbc:LineExtensionAmount>\n    <cac:Item>'
        },
    )

    with pytest.raises(ReadError, match=re.escape("le total TTC vaut 50.19 alors que le calcul donne 49.19")):
        reading.read(wrong_gross)
    with pytest.raises(
        ReadError, match=re.escape("le total HT vaut 300.00 alors que le calcul donne 290.00")
    ):
        reading.read(wrong_line)


def edited(content: bytes, replacements: dict[str, str]) -> bytes:
    for old, new in replacements.items():
        assert old.encode() in content, old
        content = content.replace(old.encode(), new.encode())
    return content


def test_it_accepts_a_vat_one_cent_off_and_no_more():
    def with_reduced_rate_vat(vat: str) -> bytes:
        total = D("42.50") + D("6.00") + D(vat)
        return edited(
            fixture("cii_invoice.xml"),
            {
                "<ram:CalculatedAmount>0.69<": f"<ram:CalculatedAmount>{vat}<",
                'currencyID="EUR">6.69<': f'currencyID="EUR">{D("6.00") + D(vat)}<',
                "<ram:GrandTotalAmount>49.19<": f"<ram:GrandTotalAmount>{total}<",
                "<ram:DuePayableAmount>49.19<": f"<ram:DuePayableAmount>{total}<",
            },
        )

    assert reading.read(with_reduced_rate_vat("0.70")).vat_total == D("6.70")  # 12.50 × 5.5 % = 0.6875
    with pytest.raises(ReadError, match=re.escape("la TVA à 5.5 % vaut 0.71 alors que le calcul donne 0.69")):
        reading.read(with_reduced_rate_vat("0.71"))


def test_it_refuses_a_profile_without_lines():
    minimum = edited(fixture("cii_invoice.xml"), {"urn:cen.eu:en16931:2017": "urn:factur-x.eu:1p0:minimum"})

    with pytest.raises(ReadError, match="profil Factur-X MINIMUM ne contient pas les lignes"):
        reading.read(minimum)
