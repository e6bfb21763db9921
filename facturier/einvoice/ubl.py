"""UBL 2.1 Invoice or CreditNote of an issued document, in one of two variants, each valid for what
it declares (the same EN 16931 content as the CII: data.py):

- Peppol BIS Billing 3.0 (`PEPPOL`): Peppol's CustomizationID and process in ProfileID, one note
  (PEPPOL-EN16931-R002), a buyer or order reference (R003), the mandate of a direct debit (R061), and
  electronic addresses from Peppol's own list of schemes (PEPPOL-EN16931-CL008);
- French CTC (`FRENCH_CTC`): the EN 16931 CustomizationID and the French "cadre de facturation" (S1,
  B4...) in ProfileID (BT-23, BR-FR-08), with the coded notes the French platform rules want (BR-FR-05).

`variant_for` says which one a document is served as; the page, the API and the command all ask it.
"""

import dataclasses
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from facturier.billing.models import Document
from facturier.einvoice import data
from facturier.lib import vat
from facturier.tenancy.errors import ServiceError

PEPPOL = "peppol"
FRENCH_CTC = "fr-ctc"
VARIANTS = (PEPPOL, FRENCH_CTC)

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
EN16931 = "urn:cen.eu:en16931:2017"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
# Peppol's electronic address schemes (EAS) for a VAT number, by the number's country prefix: the
# address of a buyer abroad without a SIREN. Peppol accepts no e-mail address (EAS "EM").
PEPPOL_VAT_SCHEMES = {
    "AD": "9922", "AL": "9923", "AT": "9915", "BA": "9924", "BE": "9925", "BG": "9926", "CH": "9927",
    "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "ES": "9920", "FR": "9957", "GB": "9932",
    "GR": "9933", "EL": "9933", "HR": "9934", "HU": "9910", "IE": "9935", "IT": "0211", "LI": "9936",
    "LT": "9937", "LU": "9938", "LV": "9939", "MC": "9940", "ME": "9941", "MK": "9942", "MT": "9943",
    "NL": "9944", "PL": "9945", "PT": "9946", "RO": "9947", "RS": "9948", "SI": "9949", "SK": "9950",
    "SM": "9951", "TR": "9952", "VA": "9953",
}  # fmt: skip
# Direct debit (UNTDID 4461): Peppol wants the mandate reference (BT-89) with these.
DIRECT_DEBIT_MEANS = ("49", "59")


def variant_for(document: Document, requested: str | None = None) -> str:
    """The UBL variant a document is served as: `requested` when given (ValueError if unknown); else
    Peppol BIS for a company established abroad, which Peppol reaches, and the French CTC profile for
    everyone else: a buyer in France, whose invoices go through the French platforms, and a consumer
    abroad, whom no network reaches (an EN 16931 invoice with the French mentions)."""
    if requested:
        if requested not in VARIANTS:
            raise ValueError(f"unknown UBL variant {requested!r}; choose one of {', '.join(VARIANTS)}")
        return requested
    abroad = document.buyer_country not in ("", "FR")
    return PEPPOL if abroad and document.buyer_is_company else FRENCH_CTC


def ubl_xml(document: Document, variant: str | None = None) -> bytes:
    """The UBL XML of an issued invoice or credit note in `variant` (default: variant_for), for a
    document that data.build accepts (data.NotAnInvoice otherwise).

    Raises ServiceError, with what to fill in, when the document lacks what the variant requires."""
    chosen = variant_for(document, variant)
    invoice = data.build(document)
    found = problems(invoice, chosen)
    if found:
        raise ServiceError(
            _(
                "Ce document ne peut pas être produit en UBL Peppol BIS : %(problems)s Un document émis ne "
                "change plus : ce sera pour les prochains ; pour celui-ci, le XML UBL (France) reste disponible."
            )
            % {"problems": " ".join(found)}
        )
    return write(invoice, chosen)


def problems(invoice: data.EInvoice, variant: str) -> list[str]:
    """What the variant requires that the document lacks, in words the user can act on (empty: none).
    Nothing is made up in their place: a reference the buyer did not give stays the user's to fill."""
    if variant != PEPPOL:
        return []
    return _peppol_problems(
        invoice.buyer_reference or invoice.order_reference,
        invoice.payment_means,
        invoice.mandate_reference,
        invoice.buyer,
    )


def draft_problems(document: Document) -> list[str]:
    """What a draft would lack for the UBL it will be served as (Peppol for a company abroad), read as
    issuing will freeze its buyer block: the form asks for it while it can still be filled in."""
    if variant_for(document) != PEPPOL:
        return []
    issued, seller = data.as_issued(document)
    means = data.payment_means(issued.payment_method, issued.bank_iban or seller.get("iban", ""))
    return _peppol_problems(
        issued.buyer_invoice_reference or issued.buyer_reference,
        means,
        issued.buyer_sepa_mandate if means in DIRECT_DEBIT_MEANS else "",
        data.buyer_party(issued),
    )


def _peppol_problems(reference: str, payment_means: str, mandate: str, buyer: data.Party) -> list[str]:
    found = []
    if not reference:
        found.append(
            _(
                "Peppol exige la référence de l'acheteur ou le numéro de sa commande. Indiquez la « référence "
                "acheteur / service » sur la fiche du client ou la référence de commande sur le document."
            )
        )
    if payment_means in DIRECT_DEBIT_MEANS and not mandate:
        found.append(
            _(
                "Paiement par prélèvement : Peppol exige la référence du mandat SEPA (RUM). Indiquez-la sur "
                "la fiche du client."
            )
        )
    if _peppol_endpoint(buyer) is None:
        found.append(
            _(
                "Peppol exige l'adresse électronique de l'acheteur : indiquez son SIREN ou son numéro de TVA "
                "sur la fiche du client (une adresse email ne convient pas à Peppol)."
            )
        )
    return found


def _peppol_endpoint(party: data.Party) -> tuple[str, str] | None:
    """The party's Peppol address: its SIREN (scheme 0225, as the French directory), else its VAT
    number in the scheme of its country; None when it has neither."""
    if party.endpoint is not None and party.endpoint[0] != "EM":
        return party.endpoint
    scheme = PEPPOL_VAT_SCHEMES.get(party.vat_number[:2].upper()) if party.vat_number else None
    return (scheme, party.vat_number) if scheme else None


def write(invoice: data.EInvoice, variant: str = FRENCH_CTC) -> bytes:
    """The UBL of `invoice` in `variant`, written as is (ubl_xml checks what the variant requires)."""
    peppol = variant == PEPPOL
    kind = "CreditNote" if invoice.is_credit_note else "Invoice"
    root = etree.Element(f"{{{ROOTS[kind]}}}{kind}", nsmap={None: ROOTS[kind], "cac": CAC, "cbc": CBC})
    currency = invoice.currency
    _cbc(root, "CustomizationID", CUSTOMIZATION if peppol else EN16931)
    _cbc(root, "ProfileID", PROFILE if peppol else invoice.billing_mode)
    _cbc(root, "ID", invoice.number)
    _cbc(root, "IssueDate", invoice.issue_date.isoformat())
    if kind == "Invoice":
        if invoice.due_date:
            _cbc(root, "DueDate", invoice.due_date.isoformat())
        _cbc(root, "InvoiceTypeCode", invoice.type_code)
    else:
        _cbc(root, "CreditNoteTypeCode", invoice.type_code)
    if peppol:
        # One note at most (PEPPOL-EN16931-R002): the notes one after the other, without subject codes.
        _cbc(root, "Note", "\n".join(note.content for note in invoice.notes))
    else:
        for note in invoice.notes:
            # The EN 16931 UBL binding carries the subject code (BT-21) as a #CODE# prefix.
            _cbc(root, "Note", f"#{note.subject}#{note.content}" if note.subject else note.content)
    _cbc(root, "DocumentCurrencyCode", currency)
    if invoice.tax_currency:
        _cbc(root, "TaxCurrencyCode", invoice.tax_currency)
    if invoice.buyer_reference:
        _cbc(root, "BuyerReference", invoice.buyer_reference)
    if invoice.order_reference:
        _cbc(_cac(root, "OrderReference"), "ID", invoice.order_reference)
    if invoice.preceding is not None:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", invoice.preceding[0])
        _cbc(reference, "IssueDate", invoice.preceding[1].isoformat())
    seller, buyer = invoice.seller, invoice.buyer
    if peppol:
        seller, buyer = _with_peppol_endpoint(seller), _with_peppol_endpoint(buyer)
    _party(_cac(_cac(root, "AccountingSupplierParty"), "Party"), seller)
    _party(_cac(_cac(root, "AccountingCustomerParty"), "Party"), buyer)
    if invoice.delivery is not None or invoice.delivery_date is not None:
        delivery = _cac(root, "Delivery")
        if invoice.delivery_date is not None:
            _cbc(delivery, "ActualDeliveryDate", invoice.delivery_date.isoformat())
        if invoice.delivery is not None:
            _address(_cac(_cac(delivery, "DeliveryLocation"), "Address"), invoice.delivery)
            _cbc(_cac(_cac(delivery, "DeliveryParty"), "PartyName"), "Name", invoice.delivery.name)
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", invoice.payment_means)
    if kind == "CreditNote" and invoice.due_date:
        _cbc(means, "PaymentDueDate", invoice.due_date.isoformat())
    if invoice.iban:
        account = _cac(means, "PayeeFinancialAccount")
        _cbc(account, "ID", invoice.iban)
        if invoice.bic:
            _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", invoice.bic)
    if invoice.mandate_reference:
        _cbc(_cac(means, "PaymentMandate"), "ID", invoice.mandate_reference)
    if invoice.payment_terms:
        _cbc(_cac(root, "PaymentTerms"), "Note", invoice.payment_terms)

    tax_total = _cac(root, "TaxTotal")
    _cbc(tax_total, "TaxAmount", _amount(invoice.tax_total), currencyID=currency)
    for row in invoice.vat_rows:
        subtotal = _cac(tax_total, "TaxSubtotal")
        _cbc(subtotal, "TaxableAmount", _amount(row.base), currencyID=currency)
        _cbc(subtotal, "TaxAmount", _amount(row.amount), currencyID=currency)
        category = _cac(subtotal, "TaxCategory")
        _cbc(category, "ID", row.category)
        if row.category != vat.OUTSIDE_SCOPE:
            _cbc(category, "Percent", _rate(row.rate))
        if row.reason_code:
            _cbc(category, "TaxExemptionReasonCode", row.reason_code)
        if row.reason:
            _cbc(category, "TaxExemptionReason", row.reason)
        _cbc(_cac(category, "TaxScheme"), "ID", "VAT")
    if invoice.tax_currency and invoice.tax_total_accounting is not None:
        _cbc(
            _cac(root, "TaxTotal"),
            "TaxAmount",
            _amount(invoice.tax_total_accounting),
            currencyID=invoice.tax_currency,
        )

    totals = _cac(root, "LegalMonetaryTotal")
    _cbc(totals, "LineExtensionAmount", _amount(invoice.line_total), currencyID=currency)
    _cbc(totals, "TaxExclusiveAmount", _amount(invoice.tax_basis), currencyID=currency)
    _cbc(totals, "TaxInclusiveAmount", _amount(invoice.grand_total), currencyID=currency)
    if invoice.prepaid:
        _cbc(totals, "PrepaidAmount", _amount(invoice.prepaid), currencyID=currency)
    _cbc(totals, "PayableAmount", _amount(invoice.due_payable), currencyID=currency)

    for line in invoice.lines:
        _line(root, kind, line, currency)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _with_peppol_endpoint(party: data.Party) -> data.Party:
    endpoint = _peppol_endpoint(party)
    if endpoint == party.endpoint:
        return party
    return dataclasses.replace(party, endpoint=endpoint)


def _party(party_element: Any, party: data.Party) -> None:
    if party.endpoint:
        scheme, identifier = party.endpoint
        _cbc(party_element, "EndpointID", identifier, schemeID=scheme)
    if party.siret:
        _cbc(_cac(party_element, "PartyIdentification"), "ID", party.siret, schemeID="0009")
    if party.trading_name:
        _cbc(_cac(party_element, "PartyName"), "Name", party.trading_name)
    _address(_cac(party_element, "PostalAddress"), party)
    if party.vat_number:
        tax_scheme = _cac(party_element, "PartyTaxScheme")
        _cbc(tax_scheme, "CompanyID", party.vat_number)
        _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    if party.tax_registration:
        # BT-32: a tax scheme other than VAT (EN 16931-3-2); "FC", the code CII uses for it.
        tax_scheme = _cac(party_element, "PartyTaxScheme")
        _cbc(tax_scheme, "CompanyID", party.tax_registration)
        _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "FC")
    legal = _cac(party_element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    if party.siren:
        _cbc(legal, "CompanyID", party.siren, schemeID="0002")
    if party.legal_info:
        _cbc(legal, "CompanyLegalForm", party.legal_info)


def _address(address: Any, party: data.Party) -> None:
    street = party.street_lines
    if street:
        _cbc(address, "StreetName", street[0])
    if len(street) > 1:
        _cbc(address, "AdditionalStreetName", street[1])
    if party.city:
        _cbc(address, "CityName", party.city)
    if party.post_code:
        _cbc(address, "PostalZone", party.post_code)
    if len(street) > 2:
        _cbc(_cac(address, "AddressLine"), "Line", street[2])
    _cbc(_cac(address, "Country"), "IdentificationCode", party.country)


def _line(root: Any, kind: str, line: data.Line, currency: str) -> None:
    element = _cac(root, f"{kind}Line")
    _cbc(element, "ID", line.id)
    quantity = "InvoicedQuantity" if kind == "Invoice" else "CreditedQuantity"
    _cbc(element, quantity, _decimal(line.quantity, "0.0001"), unitCode=line.unit_code)
    _cbc(element, "LineExtensionAmount", _amount(line.net_amount), currencyID=currency)
    if line.discount_amount:
        allowance = _cac(element, "AllowanceCharge")
        _cbc(allowance, "ChargeIndicator", "false")
        _cbc(allowance, "AllowanceChargeReasonCode", "95")
        _cbc(allowance, "AllowanceChargeReason", line.discount_reason)
        _cbc(allowance, "MultiplierFactorNumeric", _rate(line.discount_percent))
        _cbc(allowance, "Amount", _amount(line.discount_amount), currencyID=currency)
        _cbc(allowance, "BaseAmount", _amount(line.discount_base), currencyID=currency)
    item = _cac(element, "Item")
    if line.description:
        _cbc(item, "Description", line.description)
    _cbc(item, "Name", line.name)
    category = _cac(item, "ClassifiedTaxCategory")
    _cbc(category, "ID", line.category)
    if line.category != vat.OUTSIDE_SCOPE:
        _cbc(category, "Percent", _rate(line.rate))
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")
    _cbc(_cac(element, "Price"), "PriceAmount", _decimal(line.net_price, "0.0001"), currencyID=currency)


def _cac(parent: Any, name: str) -> Any:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _cbc(parent: Any, name: str, text: str, **attributes: str) -> Any:
    element = etree.SubElement(parent, f"{{{CBC}}}{name}", attributes)
    element.text = text
    return element


def _decimal(value: Decimal, places: str) -> str:
    # A credit note negates our amounts: a zero must not become "-0.00" (BR-E-09 and the like want 0).
    rounded = value.quantize(Decimal(places))
    return f"{rounded if rounded else rounded.copy_abs():f}"


def _amount(value: Decimal) -> str:
    return _decimal(value, "0.01")


def _rate(value: Decimal) -> str:
    return _decimal(value, "0.01")
