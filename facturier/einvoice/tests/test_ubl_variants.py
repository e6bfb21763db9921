"""One UBL per use, each valid for what it declares: Peppol BIS Billing 3.0 and the French CTC profile,
over a corpus of documents, with the EXTENDED CII of each clean of errors and warnings.

The official XSD, EN 16931 and BR-FR rules run here (validation.py). The official Peppol BIS rules are
not installed in this environment (docs/einvoicing.md, "Peppol rules"): the Peppol files are checked
here for the Peppol rules our data can break (PEPPOL-EN16931-R002, R003, R061, CL008, R004/R007),
read from the file itself.
"""

import datetime
from decimal import Decimal

import pytest
from lxml import etree

from facturier.billing.models import Document, PaymentMethod
from facturier.billing.services.billing_settings import update_billing_settings
from facturier.billing.services.clients import update_client
from facturier.billing.services.documents import create_credit_note, issue
from facturier.billing.tests.factories import line, make_client, make_invoice
from facturier.einvoice import ubl
from facturier.einvoice.cii import cii_xml
from facturier.einvoice.validation import schematron_report, xsd_errors
from facturier.lib import vat
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.services import update_account_identity

DAY = datetime.date(2026, 11, 2)
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# The electronic address schemes of Peppol's code list (EAS, version 9.1 and later, which adds 0225).
PEPPOL_EAS = set(
    [
        "0002",
        "0007",
        "0009",
        "0037",
        "0060",
        "0088",
        "0096",
        "0097",
        "0106",
        "0130",
        "0135",
        "0142",
        "0151",
        "0183",
        "0184",
        "0188",
        "0190",
        "0191",
        "0192",
        "0193",
        "0195",
        "0196",
        "0198",
        "0199",
        "0200",
        "0201",
        "0202",
        "0204",
        "0208",
        "0209",
        "0210",
        "0211",
        "0212",
        "0213",
        "0215",
        "0216",
        "0218",
        "0221",
        "0225",
        "0230",
        "9901",
        "9910",
        "9913",
        "9914",
        "9915",
        "9918",
        "9919",
        "9920",
        "9922",
        "9923",
        "9924",
        "9925",
        "9926",
        "9927",
        "9928",
        "9929",
        "9930",
        "9931",
        "9932",
        "9933",
        "9934",
        "9935",
        "9936",
        "9937",
        "9938",
        "9939",
        "9940",
        "9941",
        "9942",
        "9943",
        "9944",
        "9945",
        "9946",
        "9947",
        "9948",
        "9949",
        "9950",
        "9951",
        "9952",
        "9953",
        "9957",
        "9959",
    ]
)


def errors(xml: bytes, rules: str) -> list[str]:
    return [str(failure) for failure in schematron_report(xml, rules) if failure.is_error]


def values(xml: bytes, path: str) -> list[str]:
    return [str(value) for value in etree.fromstring(xml).xpath(path, namespaces=NS)]


def issued(seller, client, lines, **fields) -> Document:
    return make_invoice(seller, client, lines, issue_date=DAY, **fields)


# --- The corpus ------------------------------------------------------------------------------------


@pytest.fixture
def domestic(seller, french_buyer):
    return issued(
        seller, french_buyer, [line("Conseil", "3", "450", "20", unit="jour")], buyer_reference="BC-1"
    )


@pytest.fixture
def multi_rate(seller, french_buyer):
    update_client(Actor.system(), french_buyer, invoice_reference="SERVICE-ACHATS-12")
    return issued(
        seller,
        french_buyer,
        [
            line("Conseil", "3", "450", "20", unit="jour"),
            line("Livre technique", "2", "35.50", "5.5", supply_kind="goods"),
            line("Travaux de rénovation", "1", "1200", "10", discount_percent=Decimal("5")),
            line("Abonnement presse", "1", "9.90", "2.1"),
        ],
    )


@pytest.fixture
def franchise(seller, french_buyer):
    update_account_identity(Actor.system(), seller, {"vat_number": "", "legal_name": "Jeanne Martin EI"})
    update_billing_settings(
        Actor.system(),
        seller,
        {"vat_franchise": True, "legal_form": "EI", "share_capital": "", "rcs_city": ""},
    )
    seller.refresh_from_db()
    lines = [line("Cours de piano", "4", "35", "0", vat_category=vat.EXEMPT, unit="h")]
    return issued(seller, french_buyer, lines, buyer_reference="BC-2")


@pytest.fixture
def exempt(seller, french_buyer):
    lines = [
        line(
            "Formation professionnelle",
            "1",
            "1500",
            "0",
            vat_category=vat.EXEMPT,
            exemption_reason="Exonération de TVA, art. 261-4-4° a du CGI",
        ),
        line("Support de cours", "1", "40", "20", supply_kind="goods"),
    ]
    return issued(seller, french_buyer, lines, buyer_reference="BC-3")


@pytest.fixture
def intra_eu_reverse_charge(seller, german_buyer):
    return issued(
        seller,
        german_buyer,
        [line("Consulting", "12", "180", "0", vat_category=vat.REVERSE_CHARGE)],
        reverse_charge=True,
        language="en",
        buyer_reference="PO-4711",
    )


@pytest.fixture
def intra_eu_supply(seller, german_buyer):
    return issued(
        seller,
        german_buyer,
        [line("Machine outil", "2", "4300", "0", vat_category=vat.INTRA_EU, supply_kind="goods")],
        language="en",
        buyer_reference="PO-4712",
    )


@pytest.fixture
def export(seller):
    client = make_client(
        seller,
        name="Kägi AG",
        siren="",
        vat_number="ATU13585627",
        street="Bahnhofstrasse 1",
        post_code="1010",
        city="Wien",
        country="AT",
        email="buchhaltung@kaegi.test",
    )
    # Goods shipped outside the EU from a buyer established in Austria: an export (category G).
    return issued(
        seller,
        client,
        [line("Parfum", "12", "95", "0", vat_category=vat.EXPORT, supply_kind="goods")],
        language="en",
        buyer_reference="PO-99",
    )


@pytest.fixture
def credit_note(domestic):
    return issue(Actor.system(), create_credit_note(Actor.system(), domestic, reason="Erreur de quantité"))


@pytest.fixture
def direct_debit(seller, french_buyer):
    update_client(
        Actor.system(), french_buyer, invoice_reference="DUPONT-COMPTA", sepa_mandate="RUM-2026-0042"
    )
    return issued(
        seller,
        french_buyer,
        [line("Abonnement logiciel", "1", "49", "20")],
        payment_method=PaymentMethod.DIRECT_DEBIT,
    )


@pytest.fixture
def gross_prices(seller, french_buyer):
    # Prices entered TTC: the net unit price (BT-146) is derived, to four decimals.
    lines = [
        line("Cartouches", "37", "12.99", "20", supply_kind="goods"),
        line("Livre", "3", "21.10", "5.5", supply_kind="goods", discount_percent=Decimal("10")),
    ]
    return issued(seller, french_buyer, lines, prices_are_gross=True, buyer_reference="BC-4")


CORPUS = [
    "domestic",
    "multi_rate",
    "franchise",
    "exempt",
    "intra_eu_reverse_charge",
    "intra_eu_supply",
    "export",
    "credit_note",
    "direct_debit",
    "gross_prices",
]


# --- Validity ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_the_french_ctc_ubl_passes_the_xsd_en16931_and_br_fr(name, request):
    xml = ubl.ubl_xml(request.getfixturevalue(name), ubl.FRENCH_CTC)
    assert xsd_errors(xml, "ubl") == []
    assert errors(xml, "ubl-en16931") == []
    assert errors(xml, "ubl-br-fr") == []
    assert values(xml, "cbc:CustomizationID/text()") == ["urn:cen.eu:en16931:2017"]
    assert values(xml, "cbc:ProfileID/text()")[0] in ("B1", "S1", "M1")


@pytest.mark.parametrize("name", CORPUS)
def test_the_peppol_ubl_passes_the_xsd_en16931_and_the_peppol_rules_it_could_break(name, request):
    xml = ubl.ubl_xml(request.getfixturevalue(name), ubl.PEPPOL)
    assert xsd_errors(xml, "ubl") == []
    assert errors(xml, "ubl-en16931") == []
    assert values(xml, "cbc:CustomizationID/text()") == [ubl.CUSTOMIZATION]  # R004
    assert values(xml, "cbc:ProfileID/text()") == [ubl.PROFILE]  # R001, R007
    assert len(values(xml, "cbc:Note")) == 1  # R002
    assert values(xml, "cbc:BuyerReference/text()") or values(xml, "cac:OrderReference/cbc:ID/text()")  # R003
    schemes = values(xml, "//cbc:EndpointID/@schemeID")
    assert len(schemes) == 2 and set(schemes) <= PEPPOL_EAS  # R010, R020, CL008
    for means in etree.fromstring(xml).xpath("cac:PaymentMeans", namespaces=NS):
        if means.findtext(f"{{{NS['cbc']}}}PaymentMeansCode") in ("49", "59"):
            assert means.xpath("cac:PaymentMandate/cbc:ID/text()", namespaces=NS)  # R061
    assert values(xml, "//*[not(*) and not(normalize-space())]") == []  # R008: no empty element
    for item in etree.fromstring(xml).xpath("cac:InvoiceLine | cac:CreditNoteLine", namespaces=NS):
        quantity = Decimal(item.xpath("string(cbc:InvoicedQuantity | cbc:CreditedQuantity)", namespaces=NS))
        price = Decimal(item.xpath("string(cac:Price/cbc:PriceAmount)", namespaces=NS))
        allowances = [
            [Decimal(item.xpath(f"string(cbc:{name})", namespaces=NS) or 0) for name in terms]
            for item in item.xpath("cac:AllowanceCharge", namespaces=NS)
            for terms in [("Amount", "BaseAmount", "MultiplierFactorNumeric")]
        ]
        net = Decimal(item.xpath("string(cbc:LineExtensionAmount)", namespaces=NS))
        assert abs(net - (quantity * price - sum(amount for amount, _, _ in allowances))) <= Decimal(
            "0.02"
        )  # R120
        for amount, base, percent in allowances:
            assert abs(amount - base * percent / 100) <= Decimal("0.02")  # R040


@pytest.mark.parametrize("name", CORPUS)
def test_the_extended_cii_has_no_error_and_no_warning(name, request):
    xml = cii_xml(request.getfixturevalue(name), "extended")
    assert xsd_errors(xml, "cii", "extended") == []
    assert [str(failure) for failure in schematron_report(xml, "extended")] == []
    assert errors(xml, "br-fr") == []


def test_the_extended_cii_states_the_exemption_on_each_line(exempt, intra_eu_reverse_charge, export):
    for document, code in ((exempt, ""), (intra_eu_reverse_charge, "VATEX-EU-AE"), (export, "VATEX-EU-G")):
        xml = etree.fromstring(cii_xml(document, "extended"))
        ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
        rows = xml.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=ns)
        exempt_row = next(row for row in rows if row.findtext("ram:CategoryCode", namespaces=ns) != "S")
        lines = [
            tax
            for tax in xml.xpath("//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax", namespaces=ns)
            if tax.findtext("ram:CategoryCode", namespaces=ns) != "S"
        ]
        assert lines
        for tax in lines:
            assert tax.findtext("ram:ExemptionReason", namespaces=ns) == exempt_row.findtext(
                "ram:ExemptionReason", namespaces=ns
            )
            assert (tax.findtext("ram:ExemptionReasonCode", namespaces=ns) or "") == code
    # The EN 16931 profile has no room for it on the line: left out there.
    xml = etree.fromstring(cii_xml(exempt))
    assert (
        xml.xpath("//*[local-name()='SpecifiedLineTradeSettlement']//*[local-name()='ExemptionReason']") == []
    )


# --- Content and choice of variant -----------------------------------------------------------------


def test_the_french_ctc_ubl_keeps_each_note_with_its_subject_code_and_peppol_joins_them(domestic):
    french = values(ubl.ubl_xml(domestic, ubl.FRENCH_CTC), "cbc:Note/text()")
    assert [note[:5] for note in french] == ["#PMT#", "#PMD#", "#AAB#"]
    (peppol,) = values(ubl.ubl_xml(domestic, ubl.PEPPOL), "cbc:Note/text()")
    assert peppol.splitlines() == [note[5:] for note in french]


def test_the_buyer_reference_and_the_mandate_come_from_the_client_as_it_was_at_issue(direct_debit):
    update_client(Actor.system(), direct_debit.client, invoice_reference="", sepa_mandate="RUM-NEW")
    xml = ubl.ubl_xml(direct_debit, ubl.PEPPOL)
    assert values(xml, "cbc:BuyerReference/text()") == ["DUPONT-COMPTA"]
    assert values(xml, "cac:PaymentMeans/cbc:PaymentMeansCode/text()") == ["49"]
    assert values(xml, "cac:PaymentMeans/cac:PaymentMandate/cbc:ID/text()") == ["RUM-2026-0042"]
    cii = cii_xml(direct_debit).decode()
    assert "<ram:BuyerReference>DUPONT-COMPTA</ram:BuyerReference>" in cii
    assert "<ram:DirectDebitMandateID>RUM-2026-0042</ram:DirectDebitMandateID>" in cii


def test_a_buyer_abroad_gets_its_vat_number_as_peppol_address(intra_eu_supply):
    xml = ubl.ubl_xml(intra_eu_supply)
    assert values(xml, "cbc:CustomizationID/text()") == [ubl.CUSTOMIZATION]
    buyer = "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"
    assert values(xml, buyer + "/text()") == ["DE136695976"]
    assert values(xml, buyer + "/@schemeID") == ["9930"]
    seller = "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID"
    assert values(xml, seller + "/@schemeID") == ["0225"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("domestic", ubl.FRENCH_CTC),
        ("franchise", ubl.FRENCH_CTC),
        ("intra_eu_supply", ubl.PEPPOL),
        ("export", ubl.PEPPOL),
    ],
)
def test_the_variant_follows_the_buyer(name, expected, request):
    assert ubl.variant_for(request.getfixturevalue(name)) == expected


def test_a_consumer_abroad_gets_the_french_ctc_ubl(seller, consumer):
    document = issued(seller, consumer, [line("Livre", "1", "20", "5.5", supply_kind="goods")])
    assert ubl.variant_for(document) == ubl.FRENCH_CTC


def test_an_unknown_variant_is_refused(domestic):
    with pytest.raises(ValueError, match="unknown UBL variant"):
        ubl.variant_for(domestic, "xrechnung")


# --- Refusals ---------------------------------------------------------------------------------------


def test_peppol_refuses_a_document_without_buyer_or_order_reference(seller, german_buyer):
    document = issued(
        seller, german_buyer, [line("Consulting", "1", "100", "0", vat_category=vat.REVERSE_CHARGE)]
    )
    with pytest.raises(ServiceError) as refused:
        ubl.ubl_xml(document)
    assert refused.value.message == (
        "Ce document ne peut pas être produit en UBL Peppol BIS : Peppol exige la référence de l'acheteur "
        "ou le numéro de sa commande. Indiquez la « référence acheteur / service » sur la fiche du client "
        "ou la référence de commande sur le document. Un document émis ne change plus : ce sera pour les "
        "prochains ; pour celui-ci, le XML UBL (France) reste disponible."
    )
    # The French CTC profile does not require it.
    assert xsd_errors(ubl.ubl_xml(document, ubl.FRENCH_CTC), "ubl") == []


def test_peppol_refuses_a_direct_debit_without_its_mandate(seller, french_buyer):
    document = issued(
        seller,
        french_buyer,
        [line("Abonnement", "1", "49", "20")],
        payment_method=PaymentMethod.DIRECT_DEBIT,
        buyer_reference="BC-7",
    )
    with pytest.raises(ServiceError) as refused:
        ubl.ubl_xml(document, ubl.PEPPOL)
    assert refused.value.message.startswith(
        "Ce document ne peut pas être produit en UBL Peppol BIS : Paiement par prélèvement : Peppol exige "
        "la référence du mandat SEPA (RUM). Indiquez-la sur la fiche du client. Un document émis"
    )


def test_peppol_refuses_a_buyer_it_cannot_address(seller):
    client = make_client(
        seller, name="Tanaka KK", siren="", vat_number="", country="JP", city="Tokyo", email="k@tanaka.test"
    )
    document = issued(
        seller, client, [line("Parfum", "1", "95", "0", vat_category=vat.EXPORT)], buyer_reference="P"
    )
    with pytest.raises(ServiceError, match="Peppol exige l'adresse électronique de l'acheteur"):
        ubl.ubl_xml(document)
