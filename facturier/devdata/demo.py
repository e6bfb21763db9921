"""A year of realistic invoicing for the demo accounts (`manage.py seed_demo`).

Everything is written through the services, as the owner of the account, so the demo holds exactly what
users would have made: numbers, totals, VAT rows, chain hashes, payments, audit events, stored files.

The year is played back day by day (a queue of dated events): an invoice's payment, credit note or
conversion is scheduled when the invoice is issued and happens on its own date, so every series is
issued in date order as the services require. Documents a service dates "today" (conversions, advances,
credit notes) are redated to their day with update_draft before being issued, as a user would.

Deterministic: one random.Random with a fixed seed per business, and dates relative to the account's
today. Only the timestamps the services take from the clock (issued_at, sent_at, audit events) are real.
"""

import datetime
import heapq
import io
import itertools
import math
import random
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw
from stdnum import luhn
from stdnum.fr import siren as french_siren
from stdnum.iso7064 import mod_11_10

from facturier.billing.models import Client, Document, Kind, Payment, PaymentMethod, Product, Status
from facturier.billing.services import billing_settings, clients, documents, payments, products
from facturier.billing.services.documents import DocumentInput, LineInput
from facturier.lib import identifiers, vat
from facturier.lib.money import round_money
from facturier.purchases import services as purchases
from facturier.purchases.models import Attachment, Expense, ExpenseCategory
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership

GOODS, SERVICE = "goods", "service"
# Kinds of buyer a sale is made to; they decide the VAT treatment of its lines.
B2B, PERSON, OSS, EU_COMPANY, EXPORT = "b2b", "person", "oss", "eu", "export"

# Reduced rates of the destination for B2C distance sales under OSS (each checked against
# lib/vat.rates_for when used); "standard" takes the destination's standard rate.
DESTINATION_RATES = {
    "food": {"DE": "7", "ES": "10", "IT": "10", "BE": "6"},
    "books": {"DE": "7", "ES": "4", "IT": "4", "BE": "6"},
}
SERVICES_ABROAD_MENTION = "TVA non applicable, art. 259-1 du CGI"
INTRA_EU_SERVICES_MENTION = "Autoliquidation, art. 283-2 du CGI et art. 196 de la directive 2006/112/CE"
# What becomes of an everyday sale to a business: (cumulative probability, fate); the rest is paid.
B2B_FATES = ((0.08, "overdue"), (0.15, "partial"), (0.18, "credit_partial"))
EXCHANGE_RATES = {"USD": Decimal("0.920000"), "CHF": Decimal("1.060000")}  # EUR per unit, about


# --- What a business sells, to whom, and what it buys ----------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A product, who buys it (space-separated buyer kinds) and in what quantities."""

    name: str
    code: str
    unit: str
    price: str
    rate: str
    kind: str
    buyers: str
    quantity: tuple[int, int] = (1, 1)  # for businesses
    retail: tuple[int, int] = (1, 1)  # for private persons
    oss: str = ""  # the destination rate class of a B2C sale in another member state


@dataclass(frozen=True)
class Company:
    name: str
    street: str
    post_code: str
    city: str
    country: str = "FR"
    terms: int = 30
    currency: str = "EUR"
    siren: str = ""  # generated (valid check digits) when left empty, for a French company


@dataclass(frozen=True)
class Buy:
    """A line of a purchase: quantity and unit price ranges, VAT rate and category."""

    name: str
    price: tuple[str, str]
    rate: str = "20"
    quantity: tuple[int, int] = (1, 1)
    category: str = vat.STANDARD
    deductible: bool = True
    kind: str = SERVICE


@dataclass(frozen=True)
class Purchase:
    """A kind of expense: every `every` months on `day`, or `per_month` times a month at random."""

    category: str
    supplier: int
    lines: tuple[Buy, ...]
    every: int = 1
    day: int = 5
    per_month: float = 0
    file: str = "pdf"  # the supplier's PDF invoice, or a "png" photo of a till receipt
    currency: str = "EUR"


@dataclass(frozen=True)
class Business:
    name: str
    seed: int
    sales_per_month: int
    open_weekdays: tuple[int, ...]
    mix: dict[str, float]  # share of the everyday sales per buyer kind
    settings: dict[str, str]
    offers: tuple[Offer, ...]
    companies: tuple[Company, ...]
    eu_company: Company
    exports: tuple[Company, ...]
    suppliers: tuple[Company, ...]
    purchases: tuple[Purchase, ...]
    area: tuple[tuple[str, str], ...]  # (post code, city) of the local private buyers


# The three demo businesses, written as tables (the formatter would put every value on its own line).
# fmt: off
BAKERY = Business(
    name="Boulangerie Martin", seed=1701, sales_per_month=20, open_weekdays=(0, 1, 2, 3, 4, 5),
    mix={B2B: 0.6, PERSON: 0.3, OSS: 0.1},
    settings={"legal_form": "SARL", "share_capital": "20 000 €", "rcs_city": "Lyon"},
    offers=(
        Offer("Baguette tradition", "BAG", "pièce", "0.95", "5.5", GOODS, "b2b", (150, 900)),
        Offer("Pain de campagne 500 g", "CAMP", "pièce", "2.40", "5.5", GOODS, "b2b", (20, 120)),
        Offer("Croissant pur beurre", "CROI", "pièce", "0.85", "5.5", GOODS, "b2b", (60, 400)),
        Offer("Plateau de viennoiseries (24 pièces)", "VIEN24", "plateau", "19.90", "5.5", GOODS, "b2b person",
              (2, 20), (1, 3)),
        Offer("Pièce montée (par part)", "PMONT", "part", "4.20", "5.5", GOODS, "person", retail=(30, 120)),
        Offer("Coffret de sablés au beurre", "SABL", "coffret", "12.50", "5.5", GOODS, "b2b person oss eu export",
              (10, 60), (1, 4), oss="food"),
        # Confectionery is taxed at the standard rate in France, unlike biscuits.
        Offer("Coffret de pralines roses", "PRAL", "coffret", "15.00", "20", GOODS, "b2b person oss eu export",
              (10, 40), (1, 3), oss="standard"),
        Offer("Cidre artisanal (75 cl)", "CIDRE", "bouteille", "6.50", "20", GOODS, "b2b person", (12, 60), (2, 6)),
        Offer("Buffet traiteur servi sur place", "BUFF", "personne", "18.00", "10", SERVICE, "b2b person",
              (20, 120), (10, 40)),
        Offer("Quotidien régional livré", "PRESSE", "exemplaire", "1.37", "2.1", GOODS, "b2b", (20, 31)),
        Offer("Atelier pâtisserie", "ATEL", "personne", "45.00", "20", SERVICE, "person", retail=(1, 4)),
        Offer("Frais de livraison et d'expédition", "LIV", "forfait", "15.00", "20", SERVICE, "b2b person oss",
              oss="standard"),
    ),
    companies=(
        Company("Hôtel des Célestins", "4 rue des Archers", "69002", "Lyon"),
        Company("Bouchon Chez Paul", "11 rue Mercière", "69002", "Lyon", terms=15),
        Company("Café de la Croix-Rousse", "2 place de la Croix-Rousse", "69004", "Lyon"),
        Company("Saône Réceptions Traiteur", "27 quai Saint-Vincent", "69001", "Lyon", terms=45),
        Company("Épicerie fine des Halles", "102 cours Lafayette", "69003", "Lyon"),
        Company("Crèche Les Petits Canuts", "9 rue d'Austerlitz", "69004", "Lyon"),
        Company("Brasserie du Parc", "40 boulevard des Belges", "69006", "Lyon", terms=15),
    ),
    eu_company=Company("Fijnproeverij Van den Berghe", "Vlaamsesteenweg 18", "1000", "Bruxelles", "BE"),
    exports=(
        Company("Hôtel du Léman SA", "Quai du Mont-Blanc 7", "1201", "Genève", "CH", 45, "CHF"),
        Company("Maison Gourmet Imports LLC", "350 Hudson Street", "10014", "New York", "US", 45, "USD"),
    ),
    suppliers=(
        Company("Minoterie du Rhône", "8 chemin des Moulins", "69100", "Villeurbanne"),
        Company("Laiterie des Monts du Lyonnais", "1 route de Saint-Martin", "69850", "Saint-Martin-en-Haut"),
        Company("SCI Presqu'île", "15 rue de la République", "69002", "Lyon", terms=0),
        Company("Énergies Rhône-Alpes", "60 avenue Jean Jaurès", "69007", "Lyon", terms=15),
        Company("Mutuelle du Commerce Assurances", "5 rue de la Bourse", "69002", "Lyon", terms=0),
        Company("Banque Lyonnaise de Dépôts", "22 rue de la République", "69002", "Lyon", terms=0),
        # The demo firm, which keeps the bakery's books (the same company as that demo account).
        Company("Cabinet Demo Expertise SAS", "12 rue des Comptes", "75002", "Paris", siren="812345676"),
        Company("Fournil Services", "3 rue de l'Industrie", "69200", "Vénissieux"),
        Company("Emballages Saône", "14 allée des Cartons", "69400", "Villefranche-sur-Saône"),
        Company("Relais Carburants Gerland", "210 avenue Jean Jaurès", "69007", "Lyon", terms=0),
    ),
    purchases=(
        Purchase("Achats de marchandises", 0,
                 (Buy("Farine de blé T65 (sac de 25 kg)", ("17.20", "19.40"), "5.5", (30, 60), kind=GOODS),),
                 per_month=1.2),
        Purchase("Achats de marchandises", 1,
                 (Buy("Beurre AOP (kg)", ("9.40", "10.60"), "5.5", (40, 120), kind=GOODS),
                  Buy("Crème fraîche (litre)", ("3.80", "4.40"), "5.5", (10, 40), kind=GOODS)), day=12),
        Purchase("Loyers", 2, (Buy("Loyer commercial du mois", ("1850", "1850")),), day=1),
        Purchase("Autres", 3, (Buy("Électricité et gaz des fours", ("420", "760")),), day=18),
        Purchase("Assurances", 4, (Buy("Multirisque professionnelle, trimestre", ("620", "620"), "0",
                                       category=vat.EXEMPT),), every=3, day=10),
        Purchase("Frais bancaires", 5, (Buy("Tenue de compte et terminal de paiement", ("38", "55"), "0",
                                            category=vat.EXEMPT),), day=28),
        Purchase("Honoraires", 6, (Buy("Tenue de la comptabilité, forfait mensuel", ("350", "350")),), day=25),
        Purchase("Entretien", 7, (Buy("Entretien du four à sole", ("180", "420")),), every=3, day=15, file="png"),
        Purchase("Fournitures", 8, (Buy("Sachets kraft et boîtes à gâteaux", ("150", "400"), kind=GOODS),),
                 every=2, day=8),
        Purchase("Transports", 9, (Buy("Gazole du véhicule de livraison", ("60", "95"), kind=GOODS),),
                 per_month=0.7, file="png"),
    ),
    area=(("69001", "Lyon"), ("69004", "Lyon"), ("69100", "Villeurbanne"), ("69300", "Caluire-et-Cuire")),
)

FIRM = Business(
    name="Cabinet Demo Expertise", seed=2602, sales_per_month=11, open_weekdays=(0, 1, 2, 3, 4),
    mix={B2B: 0.75, PERSON: 0.15, OSS: 0.1},
    settings={"legal_form": "SAS", "share_capital": "50 000 €", "rcs_city": "Paris"},
    offers=(
        Offer("Tenue de la comptabilité, forfait mensuel", "TENUE", "mois", "350", "20", SERVICE, "b2b", (1, 3)),
        Offer("Comptes annuels et liasse fiscale", "BILAN", "forfait", "1800", "20", SERVICE, "b2b"),
        Offer("Bulletins de paie", "PAIE", "bulletin", "28", "20", SERVICE, "b2b", (2, 25)),
        Offer("Conseil fiscal et juridique", "CONSEIL", "h", "150", "20", SERVICE, "b2b person eu export",
              (1, 12), (1, 3)),
        Offer("Déclaration de revenus", "IR", "forfait", "180", "20", SERVICE, "person"),
        # An electronically supplied service: taxed where the consumer lives.
        Offer("Formation en ligne « Créer son entreprise »", "ELEARN", "accès", "89", "20", SERVICE,
              "person oss", oss="standard"),
        Offer("Guide pratique du créateur d'entreprise (livre)", "GUIDE", "exemplaire", "24", "5.5", GOODS,
              "b2b person oss", (1, 10), (1, 2), oss="books"),
        Offer("Lettre fiscale mensuelle (publication de presse)", "LETTRE", "numéro", "12", "2.1", GOODS,
              "b2b person", (1, 12), (1, 12)),
        Offer("Déjeuner de formation", "DEJ", "couvert", "32", "10", SERVICE, "b2b", (4, 20)),
        Offer("Audit d'acquisition", "AUDIT", "jour", "1200", "20", SERVICE, "eu export", (2, 8)),
    ),
    companies=(
        # The demo client account, whose books the firm keeps.
        Company("Boulangerie Martin SARL", "3 place du Marché", "69001", "Lyon", siren="732829320"),
        Company("Garage Moreau SAS", "45 avenue de Clichy", "75017", "Paris"),
        Company("Pharmacie des Lilas", "8 rue de Paris", "93260", "Les Lilas"),
        Company("Horizon Immobilier", "19 boulevard Voltaire", "75011", "Paris", terms=45),
        Company("SCI Les Tilleuls", "2 allée des Tilleuls", "92100", "Boulogne-Billancourt"),
        Company("Cabinet dentaire Lefèvre", "61 rue de Rennes", "75006", "Paris", terms=15),
        Company("Menuiserie Petit et Fils", "14 rue des Artisans", "94200", "Ivry-sur-Seine"),
        Company("Nuage Logiciels SAS", "88 rue du Faubourg Saint-Antoine", "75012", "Paris", terms=45),
    ),
    eu_company=Company("Hoffmann Handels GmbH", "Hohe Straße 52", "50667", "Köln", "DE"),
    exports=(
        Company("Alpes Conseil Sàrl", "Avenue de la Gare 10", "1003", "Lausanne", "CH", 30, "CHF"),
        Company("Hudson Ventures Inc.", "200 Clarendon Street", "02116", "Boston", "US", 30, "USD"),
    ),
    suppliers=(
        Company("Foncière Opéra", "30 boulevard Haussmann", "75009", "Paris", terms=0),
        Company("Bureau Plus", "7 rue du Louvre", "75001", "Paris"),
        Company("Télécom Pro Services", "101 rue de Bercy", "75012", "Paris", terms=15),
        Company("Mutuelle des Professions Libérales", "18 rue de Londres", "75009", "Paris", terms=0),
        Company("Banque Parisienne de Crédit", "4 place de l'Opéra", "75002", "Paris", terms=0),
        Company("Rail Voyages", "9 rue de Rome", "75008", "Paris", terms=0),
        Company("Brasserie Le Palais", "3 boulevard du Palais", "75004", "Paris", terms=0),
        Company("Cloud Ledger Inc.", "500 Howard Street", "94105", "San Francisco", "US", 0, "USD"),
        Company("Annonces Pro Médias", "26 rue d'Hauteville", "75010", "Paris"),
    ),
    purchases=(
        Purchase("Loyers", 0, (Buy("Loyer des bureaux du mois", ("3200", "3200")),), day=1),
        Purchase("Fournitures", 1, (Buy("Fournitures de bureau", ("40", "260"), kind=GOODS),), every=2, day=9),
        Purchase("Frais postaux et télécoms", 2, (Buy("Téléphonie et accès internet", ("89.90", "89.90")),), day=3),
        Purchase("Assurances", 3, (Buy("Responsabilité civile professionnelle, trimestre", ("980", "980"), "0",
                                       category=vat.EXEMPT),), every=3, day=10),
        Purchase("Frais bancaires", 4, (Buy("Frais de tenue de compte", ("24", "36"), "0",
                                            category=vat.EXEMPT),), day=28),
        # Lodging offered to managers: its VAT is not deductible (CGI ann. II, art. 206 IV-2-1°).
        Purchase("Déplacements", 5, (Buy("Billet de train aller-retour", ("60", "180"), "10"),
                                     Buy("Nuit d'hôtel", ("90", "160"), "10", deductible=False)),
                 per_month=0.6),
        Purchase("Déplacements", 6, (Buy("Déjeuner avec un client", ("45", "140"), "10"),),
                 per_month=1, file="png"),
        # A service bought outside the EU, in dollars: the firm self-assesses its VAT (reverse charge).
        Purchase("Autres", 7, (Buy("Abonnement au logiciel de production", ("49", "99"), "20",
                                   category=vat.REVERSE_CHARGE),), day=2, currency="USD"),
        Purchase("Publicité", 8, (Buy("Annonce dans l'annuaire professionnel", ("300", "900")),), every=3, day=20),
    ),
    area=(("75011", "Paris"), ("75015", "Paris"), ("92100", "Boulogne-Billancourt"), ("94300", "Vincennes")),
)

WORKSHOP = Business(
    name="Atelier Durand", seed=3503, sales_per_month=7, open_weekdays=(0, 1, 2, 3, 4),
    mix={B2B: 0.35, PERSON: 0.5, OSS: 0.15},
    settings={"legal_form": "Entrepreneur individuel (EI)"},
    offers=(
        Offer("Table en chêne massif sur mesure", "TABLE", "pièce", "1450", "20", GOODS,
              "b2b person oss eu export", (1, 2), oss="standard"),
        Offer("Chaise en noyer", "CHAISE", "pièce", "290", "20", GOODS, "b2b person oss eu export",
              (2, 8), (1, 6), oss="standard"),
        Offer("Planche à découper en olivier", "PLANCHE", "pièce", "45", "20", GOODS, "b2b person oss",
              (5, 20), (1, 3), oss="standard"),
        Offer("Restauration de meuble ancien", "RESTAU", "h", "55", "20", SERVICE, "b2b person", (4, 20), (2, 12)),
        Offer("Pose de parquet (logement de plus de deux ans)", "PARQUET", "m²", "38", "10", SERVICE, "person",
              retail=(10, 40)),
        Offer("Fenêtre bois isolante, fourniture et pose", "FENETRE", "pièce", "780", "5.5", SERVICE, "person",
              retail=(1, 4)),
        Offer("Revue « Bois et savoir-faire » (publication de presse)", "REVUE", "numéro", "7.35", "2.1", GOODS,
              "b2b person", (5, 20), (1, 2)),
        Offer("Frais de port", "PORT", "forfait", "35", "20", SERVICE, "b2b person oss", oss="standard"),
    ),
    companies=(
        Company("Hôtel Le Chai Bordelais", "12 quai des Chartrons", "33000", "Bordeaux"),
        Company("La Table du Port", "5 quai Richelieu", "33000", "Bordeaux", terms=15),
        Company("Galerie Quai des Arts", "31 rue Notre-Dame", "33000", "Bordeaux"),
        Company("Intérieurs d'Aquitaine", "140 cours de l'Yser", "33800", "Bordeaux", terms=45),
        Company("SCEA Château Lafleur-Bellevue", "Lieu-dit Bellevue", "33330", "Saint-Émilion"),
    ),
    eu_company=Company("Arredamenti Rossi S.r.l.", "Via Tortona 27", "20144", "Milano", "IT"),
    exports=(
        Company("Chalet Design Sàrl", "Route de Verbier 4", "1936", "Verbier", "CH", 30, "CHF"),
        Company("Brooklyn Interiors LLC", "85 Water Street", "11201", "Brooklyn", "US", 30, "USD"),
    ),
    suppliers=(
        Company("Scierie des Landes", "Route de Mont-de-Marsan", "40200", "Mimizan"),
        Company("Quincaillerie Bordelaise", "23 rue Sainte-Catherine", "33000", "Bordeaux"),
        Company("SCI des Chartrons", "7 rue Notre-Dame", "33000", "Bordeaux", terms=0),
        Company("Assurances Artisans Mutuelle", "10 cours de l'Intendance", "33000", "Bordeaux", terms=0),
        Company("Banque Bordelaise", "2 place de la Bourse", "33000", "Bordeaux", terms=0),
        Company("Transports Garonne", "50 quai de Bacalan", "33300", "Bordeaux"),
    ),
    purchases=(
        Purchase("Achats de marchandises", 0,
                 (Buy("Plateaux de chêne séchés (m³)", ("1400", "1900"), quantity=(1, 3), kind=GOODS),
                  Buy("Planches de noyer (m³)", ("2100", "2600"), quantity=(1, 2), kind=GOODS)), every=2, day=6),
        Purchase("Fournitures", 1, (Buy("Vis, colles et abrasifs", ("40", "180"), kind=GOODS),),
                 per_month=1, file="png"),
        Purchase("Loyers", 2, (Buy("Loyer de l'atelier", ("950", "950")),), day=1),
        Purchase("Assurances", 3, (Buy("Décennale et multirisque, trimestre", ("540", "540"), "0",
                                       category=vat.EXEMPT),), every=3, day=10),
        Purchase("Frais bancaires", 4, (Buy("Frais de tenue de compte", ("12", "19"), "0",
                                            category=vat.EXEMPT),), day=28),
        Purchase("Transports", 5, (Buy("Livraison de meubles", ("90", "320")),), every=2, day=20),
    ),
    area=(("33000", "Bordeaux"), ("33200", "Bordeaux"), ("33400", "Talence"), ("33700", "Mérignac")),
)

FIRST_NAMES = ("Camille", "Louise", "Hugo", "Léa", "Thomas", "Chloé", "Nicolas", "Manon", "Julien", "Inès",
               "Antoine", "Sarah", "Mathieu", "Emma", "Pierre", "Alice")
LAST_NAMES = ("Bernard", "Dubois", "Laurent", "Simon", "Michel", "Lefebvre", "Roux", "Fournier", "Girard",
              "Bonnet", "Lambert", "Fontaine", "Chevalier", "Garnier", "Faure", "Mercier")
STREETS = ("rue Victor Hugo", "avenue Jean Jaurès", "rue de la République", "boulevard Pasteur",
           "rue des Lilas", "impasse des Vignes", "rue du Général Leclerc", "allée des Acacias")
# Consumers in other member states, for distance sales under OSS.
EU_PERSONS = (
    ("Anna", "Schmidt", "Lindenstraße 12", "10115", "Berlin", "DE"),
    ("Lukas", "Weber", "Marienplatz 3", "80331", "München", "DE"),
    ("Lucía", "García", "Calle Mayor 21", "28013", "Madrid", "ES"),
    ("Javier", "Martínez", "Carrer de Mallorca 140", "08036", "Barcelona", "ES"),
    ("Giulia", "Rossi", "Via Roma 45", "10121", "Torino", "IT"),
    ("Marco", "Bianchi", "Via Dante 8", "20121", "Milano", "IT"),
    ("Sophie", "Dubois", "Rue Royale 88", "1000", "Bruxelles", "BE"),
    ("Pieter", "Janssens", "Meir 25", "2000", "Antwerpen", "BE"),
)
# fmt: on

BUSINESSES = {"bakery": BAKERY, "firm": FIRM, "workshop": WORKSHOP}


# --- The result ------------------------------------------------------------------------------------


@dataclass
class SeedSummary:
    """What seeding an account created (or that it was skipped: it already had sales documents)."""

    account: str
    skipped: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.skipped:
            return _("%(account)s : documents déjà présents, rien n'est ajouté.") % {"account": self.account}
        return _(
            "%(account)s : %(invoices)d factures, %(credit_notes)d avoirs, %(quotes)d devis, "
            "%(payments)d paiements, %(expenses)d dépenses (%(attachments)d justificatifs), "
            "%(clients)d clients et fournisseurs, %(products)d produits, en %(seconds).1f s."
        ) % {"account": self.account, "seconds": self.seconds, **self.counts}


def seed_account(account: Account, business: str, *, months: int = 12, volume: float = 1.0) -> SeedSummary:
    """Fill `account` with `months` of documents of the `business` ("bakery", "firm", "workshop"),
    ending today; `volume` scales the number of everyday sales and occasional expenses.

    Skipped (nothing written) when the account already has sales documents; otherwise everything is
    written in one transaction, so a failure leaves the account as it was.
    """
    if Document.objects.filter(account=account).exists():
        return SeedSummary(account.name, skipped=True)
    profile = BUSINESSES[business]
    started = time.perf_counter()
    with transaction.atomic():
        seeder = _Seeder(account, profile, random.Random(profile.seed))  # noqa: S311 (demo data, not secrets)
        seeder.run(months, volume)
    return SeedSummary(account.name, counts=_counts(account), seconds=time.perf_counter() - started)


def _counts(account: Account) -> dict[str, int]:
    kinds = Document.objects.filter(account=account)
    return {
        "invoices": kinds.filter(kind__in=[Kind.INVOICE, Kind.ADVANCE, Kind.FINAL]).count(),
        "credit_notes": kinds.filter(kind=Kind.CREDIT_NOTE).count(),
        "quotes": kinds.filter(kind=Kind.ESTIMATE).count(),
        "payments": Payment.objects.filter(account=account).count(),
        "expenses": Expense.objects.filter(account=account).count(),
        "attachments": Attachment.objects.filter(account=account).count(),
        "clients": Client.objects.filter(account=account).count(),
        "products": Product.objects.filter(account=account).count(),
    }


# --- Playing the year back ---------------------------------------------------------------------------


def owner_actor(account: Account) -> Actor:
    """The account's owner, as the pages would act for them; the system if it has no owner."""
    membership = (
        Membership.objects.select_related("user", "custom_role", "firm")
        .filter(account=account, is_owner=True)
        .first()
    )
    return Actor(user=membership.user, membership=membership) if membership else Actor.system()


class _Seeder:
    """One business's year in one account: reference data first, then the queue of dated events."""

    def __init__(self, account: Account, business: Business, rng: random.Random) -> None:
        self.account = account
        self.business = business
        self.rng = rng
        self.actor = owner_actor(account)
        self.today = account.today()
        self.events: list[tuple[datetime.date, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.buyers: dict[str, list[Client]] = {}
        self.offers: list[tuple[Offer, Product]] = []
        self.suppliers: list[Client] = []
        self.categories: dict[str, int] = {}
        self.currencies: dict[int, str] = {}
        self.supplier_numbers = itertools.count(1)

    def at(self, day: datetime.date, action: Callable[..., None], *args: object) -> None:
        """Schedule `action(day, *args)`; what would happen after today (or in a locked period) does not."""
        locked = self.account.locked_until
        if day > self.today or (locked is not None and day <= locked):
            return
        heapq.heappush(self.events, (day, next(self.order), lambda: action(day, *args)))

    def run(self, months: int, volume: float) -> None:
        self.setup()
        first = _add_months(self.today.replace(day=1), 1 - months)
        for index in range(months):
            self.plan_month(index, _add_months(first, index), volume)
        while self.events:
            _day, _order, action = heapq.heappop(self.events)
            action()

    # Reference data: settings, products, clients, suppliers, expense categories.

    def setup(self) -> None:
        business, actor, account = self.business, self.actor, self.account
        billing_settings.update_billing_settings(actor, account, dict(business.settings))
        for offer in business.offers:
            product = products.create_product(
                actor, account, name=offer.name, code=offer.code, unit=offer.unit,
                unit_price=Decimal(offer.price), vat_rate=Decimal(offer.rate), supply_kind=offer.kind,
            )  # fmt: skip
            self.offers.append((offer, product))
        self.buyers[B2B] = [self.company(company) for company in business.companies]
        self.buyers[EU_COMPANY] = [self.company(business.eu_company)]
        self.buyers[EXPORT] = [self.company(company) for company in business.exports]
        self.currencies = {
            client.pk: c.currency for client, c in zip(self.buyers[EXPORT], business.exports, strict=True)
        }
        self.buyers[PERSON] = [self.french_person() for _i in range(12)]
        self.buyers[OSS] = [self.person(*person) for person in EU_PERSONS]
        self.suppliers = [self.company(company, kind=Client.Kind.SUPPLIER) for company in business.suppliers]
        purchases.ensure_default_categories(account)
        self.categories = dict(ExpenseCategory.objects.filter(account=account).values_list("name", "pk"))

    def company(self, company: Company, kind: str = Client.Kind.BUYER) -> Client:
        ids: dict[str, str] = {}
        if company.country == "FR":
            siren = company.siren or _siren(self.rng)
            nic = f"{self.rng.randint(1, 99):04d}"
            ids = {"siren": siren, "siret": siren + nic + luhn.calc_check_digit(siren + nic),
                   "vat_number": "FR" + french_siren.to_tva(siren)}  # fmt: skip
        elif company.country in ("DE", "BE", "IT"):
            ids = {"vat_number": _eu_vat_number(self.rng, company.country)}
        return clients.create_client(
            self.actor, self.account, kind=kind, is_company=True, name=company.name, street=company.street,
            post_code=company.post_code, city=company.city, country=company.country,
            email=f"compta@{_slug(company.name)}.example", payment_terms_days=company.terms, **ids,
        )  # fmt: skip

    def french_person(self) -> Client:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        post_code, city = self.rng.choice(self.business.area)
        street = f"{self.rng.randint(1, 120)} {self.rng.choice(STREETS)}"
        return self.person(first, last, street, post_code, city, "FR")

    def person(self, first: str, last: str, street: str, post_code: str, city: str, country: str) -> Client:
        return clients.create_client(
            self.actor, self.account, is_company=False, first_name=first, last_name=last, street=street,
            post_code=post_code, city=city, country=country, payment_terms_days=0,
            email=f"{_slug(first)}.{_slug(last)}@mail.example",
        )  # fmt: skip

    # The calendar of one month: sales, quotes, the occasional special document, expenses.

    def plan_month(self, index: int, first: datetime.date, volume: float) -> None:
        rng, business = self.rng, self.business
        last = min(_add_months(first, 1) - datetime.timedelta(days=1), self.today)
        month = [first + datetime.timedelta(days=n) for n in range((_add_months(first, 1) - first).days)]
        open_days = [day for day in month if day.weekday() in business.open_weekdays]
        days = [day for day in open_days if day <= last] or [last]
        share = len(days) / max(len(open_days), 1)  # the current month is under way

        def some_day() -> datetime.date:
            return rng.choice(days)

        kinds, weights = list(business.mix), list(business.mix.values())
        for _i in range(max(1, round(business.sales_per_month * volume * share))):
            buyer_kind = rng.choices(kinds, weights)[0]
            self.at(some_day(), self.sale, buyer_kind, self.fate(buyer_kind))
        # What every month has, whatever the volume, so the demo always shows each case.
        self.at(some_day(), self.sale, OSS, "paid")
        self.at(some_day(), self.sale, B2B, "partial")
        self.at(some_day(), self.sale, B2B, "credit_partial" if index % 2 else "credit_total")
        if index % 2 == 0:
            self.at(some_day(), self.sale, EU_COMPANY, "paid")
        if index % 3:
            self.at(some_day(), self.sale, EXPORT, "paid", index % 3 - 1)
        for _i in range(max(1, round(2 * volume * share))):
            self.at(some_day(), self.quote, rng.random() < 0.3)
        if index % 4 == 0:
            self.at(some_day(), self.proforma, index % 8 // 4)
        if index % 4 == 1:
            self.at(some_day(), self.quote, True, True)

        for purchase in business.purchases:
            if purchase.per_month:
                for _i in range(_poisson(rng, purchase.per_month * volume * share)):
                    self.at(some_day(), self.expense, purchase)
            elif index % purchase.every == 0:
                self.at(first.replace(day=purchase.day), self.expense, purchase)

    def fate(self, buyer_kind: str) -> str:
        """What becomes of an everyday sale: consumers pay at once; a few businesses pay late or never."""
        if buyer_kind != B2B:
            return "paid"
        roll = self.rng.random()
        return next((fate for limit, fate in B2B_FATES if roll < limit), "paid")

    # Sales documents.

    def lines(self, buyer_kind: str, client: Client, count: int) -> list[LineInput]:
        rng = self.rng
        offers = [(offer, product) for offer, product in self.offers if buyer_kind in offer.buyers.split()]
        lines = []
        for offer, product in rng.sample(offers, min(count, len(offers))):
            low, high = offer.retail if buyer_kind in (PERSON, OSS) else offer.quantity
            line = LineInput(
                name=offer.name, quantity=Decimal(rng.randint(low, high)), unit_price=Decimal(offer.price),
                vat_rate=Decimal(offer.rate), unit=offer.unit, product_id=product.pk, supply_kind=offer.kind,
            )  # fmt: skip
            if buyer_kind == B2B and rng.random() < 0.15:
                line.discount_percent = Decimal(rng.choice((5, 10, 15)))
            if buyer_kind == OSS:
                line.vat_country, line.vat_rate = client.country, _destination_rate(client.country, offer.oss)
            elif buyer_kind == EU_COMPANY:
                line.vat_rate = Decimal(0)
                line.vat_category = vat.INTRA_EU if offer.kind == GOODS else vat.REVERSE_CHARGE
                line.exemption_reason = "" if offer.kind == GOODS else INTRA_EU_SERVICES_MENTION
            elif buyer_kind == EXPORT:
                line.vat_rate = Decimal(0)
                line.vat_category = vat.EXPORT if offer.kind == GOODS else vat.OUTSIDE_SCOPE
                line.exemption_reason = "" if offer.kind == GOODS else SERVICES_ABROAD_MENTION
            lines.append(line)
        return lines

    def document_input(
        self, kind: str, day: datetime.date, buyer_kind: str, client: Client, count: int
    ) -> DocumentInput:
        lines = self.lines(buyer_kind, client, count)
        currency = self.currencies.get(client.pk, "EUR")
        data = DocumentInput(
            kind=kind, client_id=client.pk, issue_date=day, lines=lines, sell_date=day, currency=currency,
            language="fr" if client.country in ("FR", "BE", "CH") else "en",
            reverse_charge=any(line.vat_category == vat.REVERSE_CHARGE for line in lines),
            oss=buyer_kind == OSS,
            payment_method=PaymentMethod.CARD if buyer_kind in (PERSON, OSS) else PaymentMethod.TRANSFER,
        )  # fmt: skip
        if currency != "EUR":
            # The day's rate, within 3 % of the usual one.
            rate = EXCHANGE_RATES[currency] * Decimal(self.rng.randint(970, 1030)) / 1000
            data.exchange_rate = rate.quantize(Decimal("0.000001"))
        if buyer_kind == B2B and self.rng.random() < 0.3:
            data.buyer_reference = f"BC-{day:%Y}-{self.rng.randint(100, 999)}"
        if kind == Kind.ESTIMATE:
            data.valid_until = day + datetime.timedelta(days=30)
        return data

    def sale(self, day: datetime.date, buyer_kind: str, fate: str, which: int | None = None) -> None:
        buyers = self.buyers[buyer_kind]
        client = buyers[which] if which is not None else self.rng.choice(buyers)
        data = self.document_input(Kind.INVOICE, day, buyer_kind, client, self.rng.randint(1, 4))
        invoice = documents.create_document(self.actor, self.account, data, issue=True)
        self.follow(invoice, fate)

    def follow(self, invoice: Document, fate: str) -> None:
        """Schedule what happens to an issued invoice: its sending, credit note and payments."""
        rng, day = self.rng, invoice.issue_date
        if (self.today - day).days <= 30 and rng.random() < 0.4:
            documents.mark_sent(self.actor, invoice)  # as the email sending does; no email goes out here
        if fate in ("credit_total", "credit_partial"):
            credit_day = day + datetime.timedelta(days=rng.randint(2, 12))
            self.at(credit_day, self.credit, invoice, fate == "credit_total")
            if fate == "credit_total":
                return
            day = credit_day  # the buyer pays what is left after the credit note
        if fate == "overdue":
            return
        due = invoice.due_date or day
        if due <= day:  # paid at the counter or on receipt
            self.at(day + datetime.timedelta(days=rng.randint(0, 2)), self.pay, invoice, None)
        elif fate == "partial":
            self.at(
                due + datetime.timedelta(days=rng.randint(-5, 10)), self.pay, invoice, rng.randint(30, 70)
            )
        else:
            self.at(max(day, due + datetime.timedelta(days=rng.randint(-12, 20))), self.pay, invoice, None)

    def pay(self, day: datetime.date, invoice: Document, percent: int | None) -> None:
        invoice.refresh_from_db()
        if invoice.remaining <= 0 or invoice.status == Status.CANCELLED:
            return
        method = invoice.payment_method
        if percent is None:
            payments.pay_in_full(self.actor, invoice, date=day, method=method)
            return
        amount = round_money(invoice.remaining * percent / 100, invoice.currency)
        payments.record_payment(
            self.actor, self.account, date=day, amount=amount, method=method, documents=[invoice],
            currency=invoice.currency, reference=_("Règlement partiel de %(n)s") % {"n": invoice.number},
        )  # fmt: skip
        if self.rng.random() < 0.5:  # the rest follows, or is still owed today
            self.at(day + datetime.timedelta(days=self.rng.randint(15, 40)), self.pay, invoice, None)

    def credit(self, day: datetime.date, invoice: Document, total: bool) -> None:
        invoice.refresh_from_db()
        if total:
            draft = documents.create_credit_note(
                self.actor, invoice, reason=_("Annulation : commande annulée par le client.")
            )
        else:
            line = invoice.lines.order_by("position", "id").first()
            assert line is not None  # an issued invoice has lines
            credited = _line_input(line)
            share = Decimal(self.rng.randint(10, 40)) / 100
            if line.quantity > 1:  # some of the goods come back
                returned = (line.quantity * share).to_integral_value()
                credited.quantity = min(line.quantity - 1, max(Decimal(1), returned))
                reason = _("Marchandise retournée.")
            else:  # a price reduction after a complaint
                credited.unit_price = round_money(line.unit_price * share)
                reason = _("Geste commercial après réclamation.")
            draft = documents.create_credit_note(self.actor, invoice, lines=[credited], reason=reason)
        documents.issue(self.actor, self.redate(draft, day))

    def quote(self, day: datetime.date, accepted: bool, with_advance: bool = False) -> None:
        rng = self.rng
        buyer_kind = B2B if with_advance or rng.random() < 0.7 else PERSON
        data = self.document_input(
            Kind.ESTIMATE, day, buyer_kind, rng.choice(self.buyers[buyer_kind]), rng.randint(2, 5)
        )
        quote = documents.create_document(self.actor, self.account, data, issue=True)
        answer = day + datetime.timedelta(days=rng.randint(2, 15))
        if accepted:
            self.at(answer, self.accept, quote, with_advance)
        elif rng.random() < 0.6:
            self.at(answer, self.reject, quote)  # the others are still waiting for an answer

    def accept(self, day: datetime.date, quote: Document, with_advance: bool) -> None:
        documents.set_estimate_status(self.actor, quote, Status.ACCEPTED)
        if not with_advance:
            self.at(day + datetime.timedelta(days=self.rng.randint(0, 6)), self.convert, quote)
            return
        advance = documents.issue(
            self.actor, self.redate(documents.create_advance(self.actor, quote, percent=Decimal(30)), day)
        )
        self.at(day + datetime.timedelta(days=self.rng.randint(1, 7)), self.pay, advance, None)
        self.at(day + datetime.timedelta(days=self.rng.randint(20, 45)), self.final, quote, advance)

    def reject(self, day: datetime.date, quote: Document) -> None:
        documents.set_estimate_status(self.actor, quote, Status.REJECTED)

    def convert(self, day: datetime.date, source: Document) -> None:
        invoice = documents.issue(self.actor, self.redate(documents.convert(self.actor, source), day))
        self.follow(invoice, "paid")

    def final(self, day: datetime.date, quote: Document, advance: Document) -> None:
        invoice = documents.issue(
            self.actor, self.redate(documents.create_final(self.actor, quote, [advance]), day)
        )
        self.follow(invoice, "paid")

    def proforma(self, day: datetime.date, which: int) -> None:
        """A proforma for a foreign buyer (to arrange the payment or the customs), invoiced later."""
        client = self.buyers[EXPORT][which]
        data = self.document_input(Kind.PROFORMA, day, EXPORT, client, 2)
        proforma = documents.create_document(self.actor, self.account, data, issue=True)
        self.at(day + datetime.timedelta(days=self.rng.randint(5, 15)), self.convert, proforma)

    def redate(self, draft: Document, day: datetime.date) -> Document:
        """Date a draft a service dated today (a conversion, an advance, a credit note) on `day`."""
        skipped = {"lines", "issue_date", "sell_date", "due_date", "valid_until"}
        values = {f.name: getattr(draft, f.name) for f in fields(DocumentInput) if f.name not in skipped}
        lines = [_line_input(line) for line in draft.lines.order_by("position", "id")]
        data = DocumentInput(**values, lines=lines, issue_date=day, sell_date=day)
        return documents.update_draft(self.actor, draft, data)

    # Expenses.

    def expense(self, day: datetime.date, purchase: Purchase) -> None:
        rng = self.rng
        supplier = self.suppliers[purchase.supplier]
        lines = [
            purchases.ExpenseLineInput(
                name=buy.name,
                quantity=Decimal(rng.randint(*buy.quantity)),
                unit_price=_price(rng, buy.price),
                vat_rate=Decimal(buy.rate),
                vat_category=buy.category,
                deductible=buy.deductible,
                supply_kind=buy.kind,
            )
            for buy in purchase.lines
        ]
        number = f"{_slug(supplier.name)[:3].upper()}-{day:%y%m}-{next(self.supplier_numbers):04d}"
        category = self.categories.get(purchase.category) or next(iter(self.categories.values()))
        data = purchases.ExpenseInput(
            supplier_id=supplier.pk, category_id=category, issue_date=day, lines=lines, supplier_number=number,
            due_date=day + datetime.timedelta(days=supplier.payment_terms_days), currency=purchase.currency,
        )  # fmt: skip
        if purchase.currency != "EUR":
            data.exchange_rate = EXCHANGE_RATES[purchase.currency]
        totals = purchases.compute_totals(
            lines, prices_are_gross=False, currency=data.currency, exchange_rate=data.exchange_rate
        ).totals
        files = []
        if rng.random() < 0.9:  # a few receipts are still to be found
            receipt = [supplier.name, f"N° {number}", f"Date : {day:%d/%m/%Y}"]
            receipt += [f"{line.name} : {line.quantity} x {line.unit_price:.2f}" for line in lines]
            receipt.append(f"Total TTC : {totals.gross_total} {data.currency}")
            content = _pdf(receipt) if purchase.file == "pdf" else _png(receipt)
            files.append(ContentFile(content, name=f"{number}.{purchase.file}"))
        expense = purchases.create_expense(self.actor, self.account, data, files=files)
        if rng.random() < 0.93:  # most are paid on their due date
            self.at(data.due_date or day, self.pay_expense, expense)

    def pay_expense(self, day: datetime.date, expense: Expense) -> None:
        method = PaymentMethod.CARD if expense.supplier.payment_terms_days == 0 else PaymentMethod.TRANSFER
        purchases.record_expense_payment(
            self.actor, expense, date=day, amount=expense.gross_total, method=method
        )


# --- Helpers -----------------------------------------------------------------------------------------


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _poisson(rng: random.Random, mean: float) -> int:
    """How many times something that happens `mean` times a month on average happens this month."""
    count, limit, product = 0, math.exp(-mean), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _price(rng: random.Random, bounds: tuple[str, str]) -> Decimal:
    low, high = (int(Decimal(bound) * 100) for bound in bounds)
    return Decimal(rng.randint(low, high)) / 100


def _destination_rate(country: str, rate_class: str) -> Decimal:
    rate = (
        vat.standard_rate(country)
        if rate_class == "standard"
        else Decimal(DESTINATION_RATES[rate_class][country])
    )
    assert rate is not None and rate in vat.rates_for(country), (country, rate_class)
    return rate


def _line_input(line: object) -> LineInput:
    return LineInput(**{f.name: getattr(line, f.name) for f in fields(LineInput)})


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum()) or "x"


def _siren(rng: random.Random) -> str:
    """A SIREN with a valid Luhn check digit."""
    body = str(rng.randint(30_000_000, 99_999_999))
    return body + luhn.calc_check_digit(body)


def _eu_vat_number(rng: random.Random, country: str) -> str:
    """A VAT number of `country` whose check digits python-stdnum accepts."""
    if country == "DE":
        body = str(rng.randint(10_000_000, 99_999_999))
        number = "DE" + body + mod_11_10.calc_check_digit(body)
    elif country == "BE":
        body = f"0{rng.randint(2_000_000, 9_999_999)}"
        number = f"BE{body}{97 - int(body) % 97:02d}"
    else:  # IT: 7 digits, the office code, then a Luhn check digit
        body = f"{rng.randint(1_000_000, 9_999_999)}{rng.randint(1, 100):03d}"
        number = "IT" + body + luhn.calc_check_digit(body)
    return identifiers.clean_vat_number(number)


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF printing `lines`: the supplier's invoice, as small as a valid PDF can be."""

    def text(value: str) -> str:
        return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({text(line)}) '" for line in lines)
    stream = f"BT /F1 12 Tf 60 780 Td 18 TL {shown} ET".encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _png(lines: list[str]) -> bytes:
    """A small grey 'photo' of a till receipt printing `lines`."""
    image = Image.new("L", (320, 40 + 18 * len(lines)), 245)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        plain = unicodedata.normalize("NFKD", line).encode("ascii", "ignore").decode()
        draw.text((16, 20 + 18 * row), plain, fill=30)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
