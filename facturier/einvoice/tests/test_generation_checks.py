"""einvoice_problems: what keeps a document (a draft too) from giving a valid e-invoice."""

from decimal import Decimal

from facturier.billing.models import Document, DocumentLine, Kind
from facturier.billing.services.clients import update_client
from facturier.billing.tests.factories import line, make_client, make_invoice
from facturier.einvoice.checks import einvoice_problems
from facturier.lib import vat
from facturier.tenancy.access import Actor
from facturier.tenancy.services import update_account_identity


def test_a_complete_invoice_has_no_problem(seller, french_buyer, german_buyer, consumer):
    assert einvoice_problems(make_invoice(seller, french_buyer, [line()])) == []
    assert einvoice_problems(make_invoice(seller, french_buyer, [line()], issue=False)) == []
    intra_eu = [line("Machine", "1", "900", "0", vat_category=vat.INTRA_EU, supply_kind="goods")]
    assert einvoice_problems(make_invoice(seller, german_buyer, intra_eu)) == []
    assert einvoice_problems(make_invoice(seller, consumer, [line()])) == []


def test_a_draft_is_checked_against_the_client_as_it_is_now(seller, french_buyer):
    draft = make_invoice(seller, french_buyer, [line()], issue=False)
    update_client(Actor.system(), french_buyer, siren="", vat_number="")
    draft = Document.objects.get(pk=draft.pk)
    assert einvoice_problems(draft) == [
        "Le client Dupont SARL est une entreprise française : indiquez son SIREN sur sa fiche."
    ]


def test_it_lists_what_the_seller_identity_lacks(acme):
    # acme of the shared personas, left with its SIREN but no VAT number, address or IBAN.
    update_account_identity(
        Actor.system(), acme, {"vat_number": "", "street": "", "post_code": "", "city": ""}
    )
    acme.refresh_from_db()
    draft = make_invoice(acme, make_client(acme), [line()], issue=False)
    problems = einvoice_problems(draft)
    assert problems == [
        "Le numéro de TVA intracommunautaire de votre entreprise manque : indiquez-le dans les paramètres "
        "de l'entreprise.",
        "L'adresse de votre entreprise est incomplète (rue, code postal, ville) : complétez-la dans les "
        "paramètres de l'entreprise.",
        "Paiement par virement sans IBAN : indiquez l'IBAN du compte dans les paramètres de l'entreprise.",
    ]
    update_account_identity(Actor.system(), acme, {"siren": ""})
    draft.account.refresh_from_db()
    assert "Le SIREN de votre entreprise manque : indiquez-le dans les paramètres de l'entreprise." in (
        einvoice_problems(draft)
    )


def test_a_buyer_without_siren_nor_email_cannot_be_reached(seller):
    client = make_client(seller, name="Jean Martin", is_company=False, siren="", vat_number="", email="")
    assert einvoice_problems(make_invoice(seller, client, [line()], issue=False)) == [
        "Le client Jean Martin n'a ni SIREN ni adresse email : une facture électronique doit indiquer "
        "l'adresse électronique de l'acheteur. Ajoutez son email sur sa fiche."
    ]


def test_intra_eu_and_reverse_charge_need_the_buyer_vat_number(seller):
    client = make_client(
        seller, name="Rossi Srl", siren="", vat_number="", country="IT", email="a@rossi.test"
    )
    lines = [
        line("Machine", "1", "900", "0", vat_category=vat.INTRA_EU, supply_kind="goods"),
        line("Pose", "1", "100", "0", vat_category=vat.REVERSE_CHARGE),
    ]
    assert einvoice_problems(make_invoice(seller, client, lines, issue=False)) == [
        "Livraison intracommunautaire : indiquez le numéro de TVA du client Rossi Srl sur sa fiche.",
        "Autoliquidation : indiquez le numéro de TVA ou le SIREN du client Rossi Srl sur sa fiche.",
    ]


def test_line_problems(seller, french_buyer):
    draft = make_invoice(
        seller,
        french_buyer,
        [
            line("Formation", "1", "500", "0", vat_category=vat.EXEMPT),
            line("Offert", "1", "0", "20"),
            line("Hors champ", "1", "10", "0", vat_category=vat.OUTSIDE_SCOPE),
        ],
        issue=False,
    )
    # An exemption stored without its mention (the services fill one in; older data may lack it).
    DocumentLine.objects.filter(document=draft, position=1).update(exemption_reason="")
    draft = Document.objects.get(pk=draft.pk)  # as stored: the draft just made holds the rows it wrote
    assert einvoice_problems(draft) == [
        "Ligne 1 : indiquez la mention d'exonération (motif de l'absence de TVA).",
        "Ligne 2 : le prix unitaire doit être supérieur à zéro dans une facture électronique.",
        "Une opération hors champ de la TVA ne peut pas figurer sur la même facture électronique que des "
        "lignes soumises à la TVA : faites deux factures.",
    ]


def test_a_business_buyer_rate_outside_the_french_list(seller, german_buyer):
    draft = make_invoice(
        seller, german_buyer, [line("Logiciel", "1", "50", "19", vat_country="DE")], issue=False
    )
    assert einvoice_problems(draft) == [
        "Ligne 1 : le taux de TVA de 19 % n'est pas accepté par les plateformes françaises."
    ]


def test_a_document_without_lines(seller, french_buyer):
    draft = make_invoice(seller, french_buyer, [], issue=False)
    assert einvoice_problems(draft) == ["Le document n'a aucune ligne."]


def test_a_number_the_platforms_refuse(seller, french_buyer):
    invoice = make_invoice(seller, french_buyer, [line()])
    Document.objects.filter(pk=invoice.pk).update(number="F 2026 0001")  # imported from another tool
    invoice.refresh_from_db()
    assert einvoice_problems(invoice) == [
        "Le numéro F 2026 0001 ne convient pas à une facture électronique : 35 caractères au plus, lettres "
        "sans accent, chiffres et + - _ / seulement."
    ]


def test_quotes_have_no_e_invoice_and_so_no_problem(acme):
    quote = make_invoice(acme, make_client(acme), [line(unit_price=Decimal("0"))], kind=Kind.ESTIMATE)
    assert einvoice_problems(quote) == []
