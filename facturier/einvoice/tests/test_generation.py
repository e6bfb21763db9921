"""CII and UBL of representative documents (issue 8 §4): XSD, Factur-X EN 16931 and BR-FR schematrons.

The schematrons are compiled once per process (validation.py caches them); the first test to use one
pays about a second for it.
"""

import datetime
from decimal import Decimal

import pytest
from lxml import etree

from facturier.billing.models import Document, Kind
from facturier.billing.services.billing_settings import update_billing_settings
from facturier.billing.services.documents import create_advance as make_advance
from facturier.billing.services.documents import create_credit_note, create_final, issue
from facturier.billing.tests.factories import line, make_client, make_invoice
from facturier.einvoice import data
from facturier.einvoice.cii import NS, cii_xml
from facturier.einvoice.ubl import FRENCH_CTC, PEPPOL, ubl_xml
from facturier.einvoice.validation import schematron_failures, xsd_errors
from facturier.lib import vat
from facturier.tenancy.access import Actor

DAY = datetime.date(2026, 11, 2)


def assert_valid_cii(xml: bytes, profile: str = "en16931") -> None:
    assert xsd_errors(xml, "cii", profile) == []
    assert schematron_failures(xml, profile) == []
    assert schematron_failures(xml, "br-fr") == []


def assert_valid_ubl(xml: bytes) -> None:
    assert xsd_errors(xml, "ubl") == []
    assert schematron_failures(xml, "ubl-en16931") == []


def text(xml: bytes, path: str) -> list[str]:
    return [str(value) for value in etree.fromstring(xml).xpath(path, namespaces=NS)]


def issued(seller, client, lines, **fields) -> Document:
    return make_invoice(seller, client, lines, issue_date=DAY, **fields)


# --- Representative documents --------------------------------------------------------------------


@pytest.fixture
def several_rates(seller, french_buyer):
    return issued(
        seller,
        french_buyer,
        [
            line("Conseil", "3", "450", "20", unit="jour"),
            line("Livre technique", "2", "35.50", "5.5", unit="pièce", supply_kind="goods"),
            line("Travaux de rénovation", "1", "1200", "10", description="Salle de bain"),
            line("Abonnement presse", "1", "9.90", "2.1"),
        ],
        buyer_reference="BC-2026-118",
    )


@pytest.fixture
def discounted(seller, french_buyer):
    return issued(
        seller,
        french_buyer,
        [
            line("Licence", "3", "199.99", "20", discount_percent=Decimal("15")),
            line("Formation", "1.5", "800", "20", discount_percent=Decimal("7.5"), unit="h"),
        ],
    )


@pytest.fixture
def exempt(seller, french_buyer):
    return issued(
        seller,
        french_buyer,
        [
            line(
                "Formation professionnelle",
                "1",
                "1500",
                "0",
                vat_category=vat.EXEMPT,
                exemption_reason="Exonération de TVA, art. 261-4-4° a du CGI",
            ),
            line("Support de cours", "1", "40", "20", supply_kind="goods"),
        ],
    )


@pytest.fixture
def reverse_charge(seller, french_buyer):
    return issued(
        seller,
        french_buyer,
        [line("Travaux de sous-traitance BTP", "10", "95", "0", vat_category=vat.REVERSE_CHARGE)],
        reverse_charge=True,
    )


@pytest.fixture
def intra_eu(seller, german_buyer):
    return issued(
        seller,
        german_buyer,
        [line("Machine outil", "2", "4300", "0", vat_category=vat.INTRA_EU, supply_kind="goods")],
        language="en",
        sell_date=datetime.date(2026, 10, 30),
        buyer_reference="PO-4711",
    )


@pytest.fixture
def oss(seller, consumer):
    # A B2C distance sale under OSS at the German reduced rate (the French platform rules, BR-FR-16,
    # list only French rates: see docs/einvoicing.md).
    return issued(
        seller,
        consumer,
        [line("Livre", "3", "24", "7", vat_country="DE", supply_kind="goods")],
        oss=True,
    )


@pytest.fixture
def foreign_currency(seller, german_buyer):
    return issued(
        seller,
        german_buyer,
        [line("Consulting", "12", "180", "0", vat_category=vat.REVERSE_CHARGE)],
        currency="USD",
        exchange_rate=Decimal("0.921400"),
        language="en",
        buyer_reference="PO-4712",
    )


@pytest.fixture
def foreign_currency_taxed(seller, french_buyer):
    return issued(
        seller,
        french_buyer,
        [line("Consulting", "7", "133.33", "20"), line("Hosting", "1", "99.99", "10")],
        currency="GBP",
        exchange_rate=Decimal("1.153700"),
    )


@pytest.fixture
def credit_note(seller, several_rates):
    note = create_credit_note(Actor.system(), several_rates, reason="Erreur de quantité")
    return issue(Actor.system(), note)


REPRESENTATIVE = [
    "several_rates",
    "discounted",
    "exempt",
    "reverse_charge",
    "intra_eu",
    "oss",
    "foreign_currency",
    "foreign_currency_taxed",
    "credit_note",
]


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_the_cii_of_representative_documents_passes_the_xsd_and_both_schematrons(name, request):
    document = request.getfixturevalue(name)
    assert_valid_cii(cii_xml(document))


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_the_ubl_of_representative_documents_passes_its_xsd_and_the_en16931_rules(name, request):
    document = request.getfixturevalue(name)
    assert_valid_ubl(ubl_xml(document))


@pytest.mark.parametrize("profile", ["basic", "extended"])
def test_the_other_profiles_pass_their_own_xsd_and_schematron(profile, several_rates, discounted):
    for document in (several_rates, discounted):
        xml = cii_xml(document, profile)
        assert_valid_cii(xml, profile)


@pytest.fixture
def quote(seller, french_buyer):
    return issued(
        seller,
        french_buyer,
        [line("Développement", "10", "600", "20"), line("Serveur", "1", "2400", "20", supply_kind="goods")],
        kind=Kind.ESTIMATE,
    )


@pytest.fixture
def advance(quote):
    draft = make_advance(Actor.system(), quote, percent=Decimal("30"))
    return issue(Actor.system(), draft)


@pytest.fixture
def final_invoice(quote, advance):
    return issue(Actor.system(), create_final(Actor.system(), quote, [advance]))


@pytest.mark.parametrize("name", ["advance", "final_invoice"])
def test_advance_and_final_invoices_are_valid_too(name, request):
    xml = cii_xml(request.getfixturevalue(name))
    assert_valid_cii(xml)
    assert_valid_ubl(ubl_xml(request.getfixturevalue(name)))


def test_an_advance_is_a_deposit_invoice_and_the_final_invoice_deducts_it(advance, final_invoice):
    assert text(cii_xml(advance), "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["386"]
    xml = cii_xml(final_invoice)
    assert text(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID/text()") == ["M4"]
    totals = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert text(xml, totals + "GrandTotalAmount/text()") == [f"{final_invoice.gross_total}"]
    assert text(xml, totals + "TotalPrepaidAmount/text()") == [f"{advance.gross_total}"]
    assert text(xml, totals + "DuePayableAmount/text()") == [f"{final_invoice.amount_due}"]
    # The breakdown covers every line of the final invoice, not only what is left after the advance.
    bases = text(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount/text()")
    assert sum(Decimal(base) for base in bases) == final_invoice.net_total


def test_the_cii_carries_the_french_terms(several_rates):
    xml = cii_xml(several_rates)
    seller = "//ram:SellerTradeParty/"
    buyer = "//ram:BuyerTradeParty/"
    assert text(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID/text()") == ["M1"]
    assert text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert text(xml, seller + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']/text()") == [
        "732829320"
    ]
    assert text(xml, seller + "ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']/text()") == [
        "732829320"
    ]
    assert text(xml, seller + "ram:GlobalID[@schemeID='0009']/text()") == ["73282932000074"]
    assert text(xml, seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']/text()") == [
        "FR44732829320"
    ]
    assert text(xml, seller + "ram:Description/text()") == ["SAS au capital de 10000 € - RCS Paris 732829320"]
    assert text(xml, buyer + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']/text()") == [
        "552100554"
    ]
    assert text(xml, buyer + "ram:URIUniversalCommunication/ram:URIID[@schemeID='0225']/text()") == [
        "552100554"
    ]
    assert text(xml, "//ram:IncludedNote/ram:SubjectCode/text()") == ["PMT", "PMD", "AAB"]
    assert text(xml, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content/text()") == [
        "Indemnité forfaitaire pour frais de recouvrement de 40 €"
    ]
    means = "//ram:SpecifiedTradeSettlementPaymentMeans/"
    assert text(xml, means + "ram:TypeCode/text()") == ["58"]
    assert text(xml, means + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID/text()") == [
        "FR7630006000011234567890189"
    ]
    assert text(xml, means + "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID/text()") == [
        "AGRIFRPP"
    ]
    assert text(xml, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID/text()") == ["BC-2026-118"]
    assert text(xml, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString/text()") == [
        "20261202"
    ]
    # One breakdown per rate, with the stored amounts; totals as stored.
    rows = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert text(xml, rows + "ram:RateApplicablePercent/text()") == ["20.00", "10.00", "5.50", "2.10"]
    stored = {(row.vat_rate, row.vat_amount) for row in several_rates.vat_lines.all()}
    written = set(
        zip(
            text(xml, rows + "ram:RateApplicablePercent/text()"),
            text(xml, rows + "ram:CalculatedAmount/text()"),
            strict=True,
        )
    )
    assert {(Decimal(rate), Decimal(amount)) for rate, amount in written} == stored
    assert text(xml, "//ram:GrandTotalAmount/text()") == [f"{several_rates.gross_total}"]


def test_a_consumer_is_reached_by_email_and_the_recovery_fee_does_not_apply(oss):
    xml = cii_xml(oss)
    assert text(
        xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']/text()"
    ) == ["anna@example.test"]
    assert text(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization") == []
    assert "non professionnel" in text(xml, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content/text()")[0]
    assert text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()"
    ) == ["S"]
    assert text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent/text()"
    ) == ["7.00"]


def test_a_german_standard_rate_is_valid_en16931_but_outside_the_french_platform_rates(seller, consumer):
    document = issued(seller, consumer, [line("Logiciel", "1", "50", "19", vat_country="DE")], oss=True)
    xml = cii_xml(document)
    assert schematron_failures(xml, "en16931") == []
    assert sorted(failure.split(" ")[0] for failure in schematron_failures(xml, "br-fr")) == [
        "BR-FR-16_BT-119",
        "BR-FR-16_BT-152",
    ]


def test_categories_without_vat_carry_their_reason_and_vatex_code(exempt, reverse_charge, intra_eu):
    rows = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    xml = cii_xml(exempt)
    assert text(xml, rows + "[ram:CategoryCode='E']/ram:ExemptionReason/text()") == [
        "Exonération de TVA, art. 261-4-4° a du CGI"
    ]
    xml = cii_xml(reverse_charge)
    assert text(xml, rows + "/ram:ExemptionReasonCode/text()") == ["VATEX-EU-AE"]
    assert text(xml, rows + "/ram:ExemptionReason/text()") == ["Autoliquidation"]
    xml = cii_xml(intra_eu)
    assert text(xml, rows + "/ram:ExemptionReasonCode/text()") == ["VATEX-EU-IC"]
    assert text(xml, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID/text()") == ["DE"]
    assert text(xml, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString/text()") == ["20261030"]
    assert text(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()") == ["DE136695976"]
    assert text(
        xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']/text()"
    ) == ["buchhaltung@mueller.test"]


def test_a_franchise_exemption_gets_its_vatex_code(seller, french_buyer):
    document = issued(seller, french_buyer, [line("Cours", "1", "80", "0", vat_category=vat.EXEMPT)])
    xml = cii_xml(document)
    assert text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode/text()"
    ) == ["VATEX-FR-FRANCHISE"]
    assert_valid_cii(xml)


def test_a_foreign_currency_invoice_states_its_vat_in_euros(foreign_currency_taxed):
    xml = cii_xml(foreign_currency_taxed)
    assert text(xml, "//ram:InvoiceCurrencyCode/text()") == ["GBP"]
    assert text(xml, "//ram:TaxCurrencyCode/text()") == ["EUR"]
    assert text(xml, "//ram:TaxTotalAmount[@currencyID='GBP']/text()") == [
        f"{foreign_currency_taxed.vat_total}"
    ]
    assert text(xml, "//ram:TaxTotalAmount[@currencyID='EUR']/text()") == [
        f"{foreign_currency_taxed.vat_total_eur}"
    ]
    assert text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount/text()"
    ) == [
        "186.66",
        "10.00",
    ]


def test_line_discounts_are_line_allowances(discounted):
    xml = cii_xml(discounted)
    allowance = "//ram:IncludedSupplyChainTradeLineItem[1]//ram:SpecifiedTradeAllowanceCharge/"
    assert text(xml, allowance + "ram:CalculationPercent/text()") == ["15.00"]
    assert text(xml, allowance + "ram:BasisAmount/text()") == ["599.97"]
    assert text(xml, allowance + "ram:ActualAmount/text()") == ["90.00"]
    assert text(xml, "//ram:IncludedSupplyChainTradeLineItem[1]//ram:LineTotalAmount/text()") == ["509.97"]


def test_a_credit_note_states_positive_amounts_and_references_the_invoice(credit_note, several_rates):
    xml = cii_xml(credit_note)
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()") == ["381"]
    reference = "//ram:InvoiceReferencedDocument/"
    assert text(xml, reference + "ram:IssuerAssignedID/text()") == [several_rates.number]
    assert text(xml, reference + "ram:FormattedIssueDateTime/qdt:DateTimeString/text()") == ["20261102"]
    assert text(xml, "//ram:GrandTotalAmount/text()") == [f"{-credit_note.gross_total}"]
    assert text(xml, "//ram:IncludedSupplyChainTradeLineItem[1]//ram:BilledQuantity/text()") == ["3.0000"]
    ubl = ubl_xml(credit_note)
    assert (
        etree.fromstring(ubl).tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    )


def test_a_deliberately_broken_total_is_caught(several_rates):
    xml = cii_xml(several_rates)
    root = etree.fromstring(xml)
    grand_total = root.xpath("//ram:GrandTotalAmount", namespaces=NS)[0]
    grand_total.text = str(Decimal(grand_total.text) + 1)
    broken = etree.tostring(root)
    assert xsd_errors(broken, "cii") == []  # still well-formed and schema-valid...
    failures = schematron_failures(broken, "en16931")
    assert any(failure.startswith("BR-CO-15") for failure in failures)  # ...but the sums do not hold

    root.xpath("//rsm:ExchangedDocument/ram:ID", namespaces=NS)[0].text = "F 2026 0001"
    assert any(f.startswith("BR-FR-02_BT-1") for f in schematron_failures(etree.tostring(root), "br-fr"))
    root.xpath("//rsm:ExchangedDocument", namespaces=NS)[0].remove(
        root.xpath("//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS)[0]
    )
    assert xsd_errors(etree.tostring(root), "cii") != []


def test_only_issued_invoices_and_credit_notes_have_an_e_invoice(seller, french_buyer, quote):
    draft = make_invoice(seller, french_buyer, [line()], issue=False)
    for document in (draft, quote):
        with pytest.raises(data.NotAnInvoice):
            cii_xml(document)
        with pytest.raises(data.NotAnInvoice):
            ubl_xml(document)
    with pytest.raises(ValueError, match="profile"):
        cii_xml(quote, "minimum")


def test_the_buyer_email_is_the_first_recipient_when_there_is_no_siren(seller):
    client = make_client(seller, name="Jean Martin", is_company=False, siren="", vat_number="", email="")
    document = issued(seller, client, [line()], email_to="jean@martin.test, autre@martin.test")
    assert data.buyer_party(document).endpoint == ("EM", "jean@martin.test")


# --- Less common cases ----------------------------------------------------------------------------


@pytest.fixture
def gross_prices_and_delivery(seller, french_buyer):
    update_billing_settings(Actor.system(), seller, {"vat_on_debits": True})
    return issued(
        seller,
        french_buyer,
        [
            line("Repas", "3", "27.50", "10", unit="pièce"),
            line("Vin", "2", "18", "20", discount_percent=Decimal("5")),
        ],
        prices_are_gross=True,
        delivery_street="Entrepôt B\nZone industrielle\nQuai 4\nPorte 2",
        delivery_post_code="69007",
        delivery_city="Lyon",
        payment_method="card",
    )


@pytest.fixture
def yen_export(seller):
    client = make_client(
        seller,
        name="Tanaka KK",
        siren="",
        vat_number="",
        street="1-1 Chiyoda",
        post_code="100-0001",
        city="Tokyo",
        country="JP",
        email="keiri@tanaka.test",
    )
    return issued(
        seller,
        client,
        [line("Parfum", "12", "9500", "0", vat_category=vat.EXPORT, supply_kind="goods")],
        currency="JPY",
        exchange_rate=Decimal("0.006100"),
        payment_method="other",
    )


@pytest.fixture
def zero_rated_and_outside_scope(seller, french_buyer):
    return [
        issued(seller, french_buyer, [line("Presse", "1", "10", "0", vat_category=vat.ZERO_RATED)]),
        issued(seller, french_buyer, [line("Débours", "1", "85", "0", vat_category=vat.OUTSIDE_SCOPE)]),
    ]


@pytest.fixture
def receipt(seller, consumer):
    return issued(seller, consumer, [line("Livre", "1", "20", "5.5", supply_kind="goods")], kind=Kind.RECEIPT)


@pytest.mark.parametrize(
    "name", ["gross_prices_and_delivery", "yen_export", "zero_rated_and_outside_scope", "receipt"]
)
def test_less_common_documents_are_valid_too(name, request):
    value = request.getfixturevalue(name)
    for document in value if isinstance(value, list) else [value]:
        assert_valid_cii(cii_xml(document))
        # The content is what is checked here: the choice of UBL variant has its own tests.
        assert_valid_ubl(ubl_xml(document, FRENCH_CTC))


def test_gross_prices_debits_option_and_a_long_delivery_address(gross_prices_and_delivery):
    xml = cii_xml(gross_prices_and_delivery)
    assert text(
        xml,
        "//ram:IncludedSupplyChainTradeLineItem[1]//ram:NetPriceProductTradePrice/ram:ChargeAmount/text()",
    ) == ["25.0000"]
    assert text(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode/text()"
    ) == [
        "5",
        "5",
    ]
    address = "//ram:ShipToTradeParty/ram:PostalTradeAddress/"
    assert text(xml, address + "ram:LineThree/text()") == ["Quai 4, Porte 2"]
    assert text(xml, address + "ram:CityName/text()") == ["Lyon"]
    assert text(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()") == ["48"]
    assert text(xml, "//ram:PayeePartyCreditorFinancialAccount") == []


def test_outside_the_scope_of_vat_the_vat_numbers_are_left_out(zero_rated_and_outside_scope):
    xml = cii_xml(zero_rated_and_outside_scope[1])
    assert text(xml, "//ram:SpecifiedTaxRegistration") == []
    assert text(xml, "//ram:RateApplicablePercent") == []


def test_a_total_credit_note_of_a_final_invoice_takes_back_its_advances_too(final_invoice, advance):
    note = issue(Actor.system(), create_credit_note(Actor.system(), final_invoice, reason="Annulation"))
    xml = cii_xml(note)
    assert_valid_cii(xml)
    totals = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert text(xml, totals + "GrandTotalAmount/text()") == [f"{final_invoice.gross_total}"]
    assert text(xml, totals + "TotalPrepaidAmount/text()") == [f"{advance.gross_total}"]
    assert text(xml, totals + "DuePayableAmount/text()") == [f"{final_invoice.amount_due}"]


def test_a_ubl_for_a_french_platform_carries_the_billing_mode_and_passes_br_fr(several_rates, credit_note):
    for document in (several_rates, credit_note):
        xml = ubl_xml(document, FRENCH_CTC)
        assert_valid_ubl(xml)
        assert schematron_failures(xml, "ubl-br-fr") == []
    # The Peppol file uses ProfileID for Peppol's process, and joins its notes into one without their
    # subject codes: the French rules read neither the billing mode (BT-23) nor the coded notes.
    peppol = ubl_xml(several_rates, PEPPOL)
    assert sorted({f.split(" ")[0][:9] for f in schematron_failures(peppol, "ubl-br-fr")}) == [
        "BR-FR-05_",
        "BR-FR-08_",
    ]


@pytest.fixture
def kept_gross_prices(consumer):
    """TTC prices whose VAT, taken from the gross, is a cent off the base × rate: at 20 % the gross 19.47
    has the base 16.23 and the VAT 3.24 (16.23 × 20 % = 3.246). Several lines per rate share each base
    out."""
    lines = [
        line("Produit A1", "1", "10.23", "20", supply_kind="goods"),
        line("Produit A2", "3", "0.35", "20", supply_kind="goods"),
        line("Produit A3", "7", "1.17", "20", supply_kind="goods"),
        line("Livre", "2", "8.99", "5.5", supply_kind="goods"),
        line("Livre d'occasion", "1", "3.03", "5.5", supply_kind="goods", discount_percent=Decimal("10")),
    ]
    return issued(consumer.account, consumer, lines, prices_are_gross=True)


def test_gross_prices_keep_their_total_and_pass_every_schematron(kept_gross_prices):
    document = kept_gross_prices
    # 10.23 + 1.05 + 8.19 at 20 %; 17.98 + 2.73 (3.03 less 10 %) at 5.5 %.
    assert document.gross_total == Decimal("40.18")
    for profile in ("en16931", "basic", "extended"):
        assert_valid_cii(cii_xml(document, profile), profile)
    assert_valid_ubl(ubl_xml(document))
    xml = cii_xml(document)
    settlement = "//ram:ApplicableHeaderTradeSettlement/"
    assert text(xml, settlement + "ram:ApplicableTradeTax/ram:BasisAmount/text()") == ["16.23", "19.63"]
    assert text(xml, settlement + "ram:ApplicableTradeTax/ram:CalculatedAmount/text()") == ["3.24", "1.08"]
    assert text(xml, "//ram:GrandTotalAmount/text()") == ["40.18"]
    lines = [
        Decimal(v)
        for v in text(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()")
    ]
    assert sum(lines[:3]) == Decimal("16.23") and sum(lines[3:]) == Decimal("19.63")  # BR-S-08


def test_a_credit_note_of_gross_prices_takes_back_exactly_their_total(kept_gross_prices):
    note = issue(Actor.system(), create_credit_note(Actor.system(), kept_gross_prices, reason="Retour"))
    assert note.gross_total == -kept_gross_prices.gross_total
    assert_valid_cii(cii_xml(note))
    assert_valid_ubl(ubl_xml(note))
