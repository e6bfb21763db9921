"""UN/CEFACT Cross Industry Invoice (CII D16B, as Factur-X 1.0 profiles it) of an issued document.

One writer for the three profiles we offer: BASIC, EN 16931 (the default) and EXTENDED. They differ
by BT-24 and by what BASIC leaves out (item descriptions, discount details, BIC...). Element order
follows the Factur-X XSDs; validation.py checks the result against them and the schematrons.
"""

import datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from facturier.billing.models import BillingSettings, Document
from facturier.einvoice import data
from facturier.einvoice.validation import GUIDELINES
from facturier.lib import vat

PROFILES = tuple(GUIDELINES)
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def cii_xml(
    document: Document, profile: str = "en16931", billing_settings: BillingSettings | None = None
) -> bytes:
    """The CII XML of an issued invoice or credit note, for profile "basic", "en16931" or "extended"
    (`billing_settings`: the account's, when the caller holds them).

    Raises data.NotAnInvoice for a draft, a quote or a proforma, ValueError for an unknown profile."""
    if profile not in GUIDELINES:
        raise ValueError(f"unknown Factur-X profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return write(data.build(document, billing_settings), profile)


def write(invoice: data.EInvoice, profile: str) -> bytes:
    basic = profile == "basic"
    root = etree.Element(_tag("rsm", "CrossIndustryInvoice"), nsmap=NS)
    context = _sub(root, "rsm", "ExchangedDocumentContext")
    _sub(
        _sub(context, "ram", "BusinessProcessSpecifiedDocumentContextParameter"),
        "ram",
        "ID",
        invoice.billing_mode,
    )
    _sub(_sub(context, "ram", "GuidelineSpecifiedDocumentContextParameter"), "ram", "ID", GUIDELINES[profile])

    header = _sub(root, "rsm", "ExchangedDocument")
    _sub(header, "ram", "ID", invoice.number)
    _sub(header, "ram", "TypeCode", invoice.type_code)
    _date_time(_sub(header, "ram", "IssueDateTime"), invoice.issue_date)
    for note in invoice.notes:
        element = _sub(header, "ram", "IncludedNote")
        _sub(element, "ram", "Content", note.content)
        if note.subject:
            _sub(element, "ram", "SubjectCode", note.subject)

    transaction = _sub(root, "rsm", "SupplyChainTradeTransaction")
    for line in invoice.lines:
        _line(transaction, line, basic, extended=profile == "extended")
    _agreement(transaction, invoice, basic)
    _delivery(transaction, invoice)
    _settlement(transaction, invoice, basic)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _line(parent: Any, line: data.Line, basic: bool, *, extended: bool) -> None:
    item = _sub(parent, "ram", "IncludedSupplyChainTradeLineItem")
    _sub(_sub(item, "ram", "AssociatedDocumentLineDocument"), "ram", "LineID", line.id)
    product = _sub(item, "ram", "SpecifiedTradeProduct")
    _sub(product, "ram", "Name", line.name)
    if line.description and not basic:
        _sub(product, "ram", "Description", line.description)
    agreement = _sub(item, "ram", "SpecifiedLineTradeAgreement")
    _sub(_sub(agreement, "ram", "NetPriceProductTradePrice"), "ram", "ChargeAmount", _price(line.net_price))
    _sub(
        _sub(item, "ram", "SpecifiedLineTradeDelivery"),
        "ram",
        "BilledQuantity",
        _quantity(line.quantity),
        unitCode=line.unit_code,
    )
    settlement = _sub(item, "ram", "SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram", "ApplicableTradeTax")
    _sub(tax, "ram", "TypeCode", "VAT")
    # EXTENDED has room for the exemption on the line, and its rules want it there (BR-FXEXT-*-08rev).
    if extended and line.exemption_reason:
        _sub(tax, "ram", "ExemptionReason", line.exemption_reason)
    _sub(tax, "ram", "CategoryCode", line.category)
    if extended and line.exemption_code:
        _sub(tax, "ram", "ExemptionReasonCode", line.exemption_code)
    if line.category != vat.OUTSIDE_SCOPE:
        _sub(tax, "ram", "RateApplicablePercent", _rate(line.rate))
    if line.discount_amount:
        allowance = _sub(settlement, "ram", "SpecifiedTradeAllowanceCharge")
        _sub(_sub(allowance, "ram", "ChargeIndicator"), "udt", "Indicator", "false")
        if not basic:
            _sub(allowance, "ram", "CalculationPercent", _rate(line.discount_percent))
            _sub(allowance, "ram", "BasisAmount", _amount(line.discount_base))
        _sub(allowance, "ram", "ActualAmount", _amount(line.discount_amount))
        _sub(allowance, "ram", "ReasonCode", "95")  # UNTDID 5189: discount
        _sub(allowance, "ram", "Reason", line.discount_reason)
    summation = _sub(settlement, "ram", "SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram", "LineTotalAmount", _amount(line.net_amount))


def _agreement(parent: Any, invoice: data.EInvoice, basic: bool) -> None:
    agreement = _sub(parent, "ram", "ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        _sub(agreement, "ram", "BuyerReference", invoice.buyer_reference)
    _party(_sub(agreement, "ram", "SellerTradeParty"), invoice.seller, seller=True, basic=basic)
    _party(_sub(agreement, "ram", "BuyerTradeParty"), invoice.buyer, seller=False, basic=basic)
    if invoice.order_reference:
        _sub(
            _sub(agreement, "ram", "BuyerOrderReferencedDocument"),
            "ram",
            "IssuerAssignedID",
            invoice.order_reference,
        )


def _party(element: Any, party: data.Party, *, seller: bool, basic: bool) -> None:
    if seller and party.siret:
        _sub(element, "ram", "GlobalID", party.siret, schemeID="0009")
    _sub(element, "ram", "Name", party.name)
    if party.legal_info and not basic:
        _sub(element, "ram", "Description", party.legal_info)
    if party.siren or party.trading_name:
        legal = _sub(element, "ram", "SpecifiedLegalOrganization")
        if party.siren:
            _sub(legal, "ram", "ID", party.siren, schemeID="0002")
        if party.trading_name:
            _sub(legal, "ram", "TradingBusinessName", party.trading_name)
    _address(element, party)
    if party.endpoint:
        scheme, identifier = party.endpoint
        _sub(_sub(element, "ram", "URIUniversalCommunication"), "ram", "URIID", identifier, schemeID=scheme)
    if party.vat_number:
        _sub(_sub(element, "ram", "SpecifiedTaxRegistration"), "ram", "ID", party.vat_number, schemeID="VA")
    if party.tax_registration:
        registration = _sub(element, "ram", "SpecifiedTaxRegistration")
        _sub(registration, "ram", "ID", party.tax_registration, schemeID="FC")


def _address(element: Any, party: data.Party) -> None:
    address = _sub(element, "ram", "PostalTradeAddress")
    if party.post_code:
        _sub(address, "ram", "PostcodeCode", party.post_code)
    for name, text in zip(("LineOne", "LineTwo", "LineThree"), party.street_lines, strict=False):
        _sub(address, "ram", name, text)
    if party.city:
        _sub(address, "ram", "CityName", party.city)
    _sub(address, "ram", "CountryID", party.country)


def _delivery(parent: Any, invoice: data.EInvoice) -> None:
    delivery = _sub(parent, "ram", "ApplicableHeaderTradeDelivery")
    if invoice.delivery is not None:
        ship_to = _sub(delivery, "ram", "ShipToTradeParty")
        _sub(ship_to, "ram", "Name", invoice.delivery.name)
        _address(ship_to, invoice.delivery)
    if invoice.delivery_date is not None:
        event = _sub(delivery, "ram", "ActualDeliverySupplyChainEvent")
        _date_time(_sub(event, "ram", "OccurrenceDateTime"), invoice.delivery_date)


def _settlement(parent: Any, invoice: data.EInvoice, basic: bool) -> None:
    settlement = _sub(parent, "ram", "ApplicableHeaderTradeSettlement")
    if invoice.tax_currency:
        _sub(settlement, "ram", "TaxCurrencyCode", invoice.tax_currency)
    _sub(settlement, "ram", "InvoiceCurrencyCode", invoice.currency)
    means = _sub(settlement, "ram", "SpecifiedTradeSettlementPaymentMeans")
    _sub(means, "ram", "TypeCode", invoice.payment_means)
    if invoice.iban:
        _sub(_sub(means, "ram", "PayeePartyCreditorFinancialAccount"), "ram", "IBANID", invoice.iban)
        if invoice.bic and not basic:
            _sub(
                _sub(means, "ram", "PayeeSpecifiedCreditorFinancialInstitution"), "ram", "BICID", invoice.bic
            )
    for row in invoice.vat_rows:
        tax = _sub(settlement, "ram", "ApplicableTradeTax")
        _sub(tax, "ram", "CalculatedAmount", _amount(row.amount))
        _sub(tax, "ram", "TypeCode", "VAT")
        if row.reason:
            _sub(tax, "ram", "ExemptionReason", row.reason)
        _sub(tax, "ram", "BasisAmount", _amount(row.base))
        _sub(tax, "ram", "CategoryCode", row.category)
        if row.reason_code:
            _sub(tax, "ram", "ExemptionReasonCode", row.reason_code)
        if invoice.vat_on_debits and row.category == vat.STANDARD:
            _sub(tax, "ram", "DueDateTypeCode", "5")  # VAT due on the invoice date: the débits option
        if row.category != vat.OUTSIDE_SCOPE:
            _sub(tax, "ram", "RateApplicablePercent", _rate(row.rate))
    if invoice.payment_terms or invoice.due_date or invoice.mandate_reference:
        terms = _sub(settlement, "ram", "SpecifiedTradePaymentTerms")
        if invoice.payment_terms:
            _sub(terms, "ram", "Description", invoice.payment_terms)
        if invoice.due_date:
            _date_time(_sub(terms, "ram", "DueDateDateTime"), invoice.due_date)
        if invoice.mandate_reference:
            _sub(terms, "ram", "DirectDebitMandateID", invoice.mandate_reference)
    totals = _sub(settlement, "ram", "SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(totals, "ram", "LineTotalAmount", _amount(invoice.line_total))
    _sub(totals, "ram", "TaxBasisTotalAmount", _amount(invoice.tax_basis))
    _sub(totals, "ram", "TaxTotalAmount", _amount(invoice.tax_total), currencyID=invoice.currency)
    if invoice.tax_currency and invoice.tax_total_accounting is not None:
        _sub(
            totals,
            "ram",
            "TaxTotalAmount",
            _amount(invoice.tax_total_accounting),
            currencyID=invoice.tax_currency,
        )
    _sub(totals, "ram", "GrandTotalAmount", _amount(invoice.grand_total))
    if invoice.prepaid:
        _sub(totals, "ram", "TotalPrepaidAmount", _amount(invoice.prepaid))
    _sub(totals, "ram", "DuePayableAmount", _amount(invoice.due_payable))
    if invoice.preceding is not None:
        reference = _sub(settlement, "ram", "InvoiceReferencedDocument")
        _sub(reference, "ram", "IssuerAssignedID", invoice.preceding[0])
        issued = _sub(reference, "ram", "FormattedIssueDateTime")
        _sub(issued, "qdt", "DateTimeString", invoice.preceding[1].strftime("%Y%m%d"), format="102")


# --- Writing helpers ------------------------------------------------------------------------------


def _tag(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: Any, prefix: str, name: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, _tag(prefix, name), attributes)
    if text is not None:
        element.text = text
    return element


def _date_time(parent: Any, day: datetime.date) -> None:
    _sub(parent, "udt", "DateTimeString", day.strftime("%Y%m%d"), format="102")


def _fixed(value: Decimal, places: str) -> str:
    # A credit note negates our amounts: a zero must not become "-0.00" (BR-E-09 and the like want 0).
    rounded = value.quantize(Decimal(places))
    return f"{rounded if rounded else rounded.copy_abs():f}"


def _amount(value: Decimal) -> str:
    return _fixed(value, "0.01")


def _price(value: Decimal) -> str:
    return _fixed(value, "0.0001")


def _quantity(value: Decimal) -> str:
    return _fixed(value, "0.0001")


def _rate(value: Decimal) -> str:
    return _fixed(value, "0.01")
