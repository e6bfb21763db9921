"""`manage.py seed_demo`: demo accounts and users to click around in (`make run` calls it).

The demo firm "Cabinet Demo Expertise" keeps the books of Boulangerie Martin and of a dozen other small
businesses of the Paris area (CLIENT_ACCOUNTS), each with a few months of documents, so that its
"Comptes clients" list, the account switcher and the client accounts' tabs show a firm's daily life.

Idempotent: what exists already is left as it is (a password changed by hand stays changed), only
what is missing is created, through the same services as the pages.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from facturier.accounts.models import User
from facturier.devdata import demo
from facturier.devdata.demo import B2B, GOODS, OSS, PERSON, SERVICE, Business, Buy, Company, Offer, Purchase
from facturier.firm import services as firm_services
from facturier.lib import vat
from facturier.lib.dates import today_in
from facturier.tenancy import permissions, plans, services
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account, Membership, Role
from facturier.tenancy.plans import subscription_end

DEMO_PASSWORD = "demo-facturier"  # noqa: S105 (published on purpose: it opens the demo accounts)

EXPERT = "expert@demo.facturier.fr"
ADMIN = "admin@demo.facturier.fr"
COMPTABLE = "comptable@demo.facturier.fr"
UTILISATEUR = "utilisateur@demo.facturier.fr"
COMMERCIAL = "commercial@demo.facturier.fr"

FIRM_SLUG = "cabinet-demo"
CLIENT_SLUG = "boulangerie-martin"
INDEPENDENT_SLUG = "atelier-durand"

COMMERCIAL_ROLE = "Commercial"
COMMERCIAL_CODES = [
    f"{subject}.{verb}" for subject in ("sales", "clients", "products") for verb in ("view", "create", "edit")
]

# Identifiers with valid check digits (python-stdnum accepts them), stored in their compact form.
FIRM_IDENTITY = {
    "legal_name": "Cabinet Demo Expertise SAS",
    "street": "12 rue des Comptes",
    "post_code": "75002",
    "city": "Paris",
    "siren": "812345676",
    "vat_number": "FR19812345676",
}
CLIENT_IDENTITY = {
    "legal_name": "Boulangerie Martin SARL",
    "street": "3 place du Marché",
    "post_code": "69001",
    "city": "Lyon",
    "siren": "732829320",
    "vat_number": "FR44732829320",
    "iban": "FR7630006000011234567890189",
}
INDEPENDENT_IDENTITY = {
    "street": "8 impasse des Artisans",
    "post_code": "33000",
    "city": "Bordeaux",
    "siren": "841726359",
    "vat_number": "FR11841726359",
}


# --- The demo firm's client accounts --------------------------------------------------------------

# Each client account gets two months of its business: enough to fill its tabs (some twenty documents,
# ten expenses), little enough that `seed_demo` stays quick (about a second per account).
CLIENT_MONTHS = 2
CLIENT_VOLUME = 0.1


@dataclass(frozen=True)
class ClientAccount:
    """A client account of the demo firm: its address, company identity and business; the client's own
    administrator, when the firm has added one; whether the firm has locked last month's documents."""

    slug: str
    business: Business
    identity: dict[str, str]
    admin: str = ""
    locked: bool = False

    @property
    def profile(self) -> str:
        """The key of its business among devdata.demo's profiles."""
        return f"client:{self.slug}"


def _identity(
    legal_name: str, street: str, post_code: str, city: str, siren: str, vat_number: str
) -> dict[str, str]:
    return {
        "legal_name": legal_name,
        "street": street,
        "post_code": post_code,
        "city": city,
        "siren": siren,
        "vat_number": vat_number,
    }


# fmt: off
# Suppliers and expenses every client account has, indexed 0 to 3 in each business's suppliers; the
# demo firm itself bills the monthly bookkeeping (the same company as the demo firm's account).
COMMON_SUPPLIERS = (
    Company("Banque Francilienne de Crédit", "10 boulevard Haussmann", "75009", "Paris", terms=0),
    Company("Mutuelle des Artisans et Commerçants", "25 rue de Londres", "75009", "Paris", terms=0),
    Company("Énergies Île-de-France", "40 avenue de France", "75013", "Paris", terms=15),
    Company("Cabinet Demo Expertise SAS", "12 rue des Comptes", "75002", "Paris", siren="812345676"),
)
COMMON_PURCHASES = (
    Purchase("Frais bancaires", 0, (Buy("Tenue de compte et terminal de paiement", ("18", "45"), "0",
                                        category=vat.EXEMPT),), day=28),
    Purchase("Assurances", 1, (Buy("Multirisque professionnelle, trimestre", ("380", "720"), "0",
                                   category=vat.EXEMPT),), every=3, day=10),
    Purchase("Autres", 2, (Buy("Électricité du mois", ("90", "480")),), day=18),
    Purchase("Honoraires", 3, (Buy("Tenue de la comptabilité, forfait mensuel", ("350", "350")),), day=25),
)
MON_FRI, MON_SAT, TUE_SAT = (0, 1, 2, 3, 4), (0, 1, 2, 3, 4, 5), (1, 2, 3, 4, 5)

GARAGE = Business(
    name="Garage Moreau", seed=4101, sales_per_month=30, open_weekdays=MON_SAT,
    mix={B2B: 0.4, PERSON: 0.55, OSS: 0.05},
    settings={"legal_form": "SAS", "share_capital": "30 000 €", "rcs_city": "Paris"},
    offers=(
        Offer("Vidange et remplacement des filtres", "VID", "forfait", "129", "20", SERVICE, "b2b person"),
        Offer("Pneumatique 205/55 R16, monté et équilibré", "PNEU", "pièce", "98", "20", GOODS, "b2b person",
              (2, 8), (2, 4)),
        Offer("Main-d'œuvre mécanique", "MO", "h", "68", "20", SERVICE, "b2b person", (1, 12), (1, 6)),
        Offer("Recharge de climatisation", "CLIM", "forfait", "89", "20", SERVICE, "b2b person"),
        Offer("Jeu de balais d'essuie-glace", "ESSUI", "jeu", "34", "20", GOODS, "b2b person oss eu export",
              (5, 20), (1, 2), oss="standard"),
        Offer("Pièce de carrosserie d'occasion", "CARRO", "pièce", "240", "20", GOODS, "b2b eu export",
              (1, 4)),
    ),
    companies=(
        Company("Taxis Parisiens Associés", "60 rue Legendre", "75017", "Paris"),
        Company("Auto-École du Parc Monceau", "9 rue de Lévis", "75017", "Paris", terms=15),
        Company("Livraisons Express Batignolles", "118 rue Cardinet", "75017", "Paris", terms=45),
    ),
    eu_company=Company("Autohaus Becker GmbH", "Aachener Straße 112", "50674", "Köln", "DE"),
    exports=(
        Company("Carrosserie Genevoise SA", "Rue de Lyon 77", "1203", "Genève", "CH", 30, "CHF"),
        Company("Classic Cars of Boston LLC", "12 Commonwealth Avenue", "02116", "Boston", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("Foncière des Batignolles", "8 rue des Dames", "75017", "Paris", terms=0),
        Company("Pneus Distribution Île-de-France", "3 rue de l'Industrie", "93200", "Saint-Denis"),
        Company("Pièces Auto Services", "27 boulevard Jean Jaurès", "92110", "Clichy"),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de l'atelier", ("2400", "2400")),), day=1),
        Purchase("Achats de marchandises", 5,
                 (Buy("Pneumatiques", ("55", "70"), quantity=(8, 24), kind=GOODS),), per_month=1.5),
        Purchase("Achats de marchandises", 6,
                 (Buy("Pièces détachées et filtres", ("180", "900"), kind=GOODS),), per_month=2, file="png"),
    ),
    area=(("75017", "Paris"), ("75008", "Paris"), ("92110", "Clichy"), ("92300", "Levallois-Perret")),
)

PHARMACY = Business(
    name="Pharmacie des Lilas", seed=4102, sales_per_month=40, open_weekdays=MON_SAT,
    mix={B2B: 0.2, PERSON: 0.75, OSS: 0.05},
    settings={"legal_form": "SELARL", "share_capital": "150 000 €", "rcs_city": "Bobigny"},
    offers=(
        Offer("Médicament remboursable", "MEDR", "boîte", "7.80", "2.1", GOODS, "person", retail=(1, 4)),
        Offer("Médicament non remboursable", "MEDNR", "boîte", "6.90", "10", GOODS, "b2b person", (10, 60),
              (1, 3)),
        Offer("Protections pour incontinence", "INCO", "paquet", "12.40", "5.5", GOODS, "b2b person",
              (20, 120), (1, 3)),
        Offer("Crème solaire SPF 50", "SOL", "flacon", "16.90", "20", GOODS, "b2b person oss eu export",
              (12, 48), (1, 2), oss="standard"),
        Offer("Préparation des piluliers", "PILU", "résident", "9", "20", SERVICE, "b2b", (20, 60)),
    ),
    companies=(
        Company("EHPAD Les Glycines", "14 rue Jean Moulin", "93260", "Les Lilas", terms=45),
        Company("Cabinet infirmier du Parc", "3 avenue Faidherbe", "93310", "Le Pré-Saint-Gervais"),
        Company("Crèche Les Petits Lilas", "22 rue de l'Égalité", "93260", "Les Lilas"),
    ),
    eu_company=Company("Farmacia Centrale S.r.l.", "Corso Buenos Aires 12", "20124", "Milano", "IT"),
    exports=(
        Company("Pharmacie du Lac SA", "Rue du Rhône 40", "1204", "Genève", "CH", 30, "CHF"),
        Company("French Beauty Store LLC", "410 Lafayette Street", "10003", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI Les Lilas", "1 boulevard de la Liberté", "93260", "Les Lilas", terms=0),
        Company("Répartition Pharmaceutique de l'Est Parisien", "75 rue de Paris", "93100", "Montreuil",
                terms=15),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de l'officine", ("2100", "2100")),), day=1),
        Purchase("Achats de marchandises", 5,
                 (Buy("Médicaments remboursables", ("600", "1800"), "2.1", kind=GOODS),
                  Buy("Parapharmacie", ("200", "600"), kind=GOODS)), per_month=2),
    ),
    area=(("93260", "Les Lilas"), ("93310", "Le Pré-Saint-Gervais"), ("75020", "Paris"),
          ("93170", "Bagnolet")),
)

ESTATE_AGENCY = Business(
    name="Horizon Immobilier", seed=4103, sales_per_month=8, open_weekdays=MON_SAT,
    mix={B2B: 0.45, PERSON: 0.5, OSS: 0.05},
    settings={"legal_form": "SARL", "share_capital": "15 000 €", "rcs_city": "Paris"},
    offers=(
        Offer("Honoraires de transaction", "TRANS", "forfait", "6500", "20", SERVICE, "b2b person"),
        Offer("Gestion locative, forfait mensuel", "GEST", "mois", "95", "20", SERVICE, "b2b person", (1, 6),
              (1, 2)),
        Offer("Honoraires de location et état des lieux", "LOC", "forfait", "780", "20", SERVICE,
              "b2b person"),
        Offer("Recherche de biens pour un investisseur", "RECH", "jour", "650", "20", SERVICE, "eu export",
              (1, 5)),
        # An e-book is an electronically supplied service, taxed at the book rate in France and abroad.
        Offer("Guide de l'investissement locatif (livre numérique)", "GUIDE", "exemplaire", "14.90", "5.5",
              SERVICE, "person oss", oss="books"),
    ),
    companies=(
        Company("SCI Les Tilleuls", "2 allée des Tilleuls", "92100", "Boulogne-Billancourt"),
        Company("Foncière République", "31 avenue de la République", "75011", "Paris"),
        Company("Syndic Bastille Gestion", "6 rue de la Roquette", "75011", "Paris", terms=45),
    ),
    eu_company=Company("Immobilien Krüger GmbH", "Friedrichstraße 95", "10117", "Berlin", "DE"),
    exports=(
        Company("Léman Patrimoine SA", "Avenue de Rhodanie 58", "1007", "Lausanne", "CH", 30, "CHF"),
        Company("Atlantic Realty Partners LLC", "250 Park Avenue", "10177", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("Foncière Voltaire", "50 boulevard Voltaire", "75011", "Paris", terms=0),
        Company("Annonces Immo Médias", "26 rue d'Hauteville", "75010", "Paris"),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de l'agence", ("1900", "1900")),), day=1),
        Purchase("Publicité", 5, (Buy("Parution d'annonces immobilières", ("250", "800")),), day=15),
    ),
    area=(("75011", "Paris"), ("75012", "Paris"), ("75020", "Paris"), ("94300", "Vincennes")),
)

JOINERY = Business(
    name="Menuiserie Petit et Fils", seed=4104, sales_per_month=8, open_weekdays=MON_FRI,
    mix={B2B: 0.45, PERSON: 0.5, OSS: 0.05},
    settings={"legal_form": "SARL", "share_capital": "40 000 €", "rcs_city": "Créteil"},
    offers=(
        Offer("Escalier en chêne sur mesure", "ESCAL", "pièce", "4800", "20", GOODS, "b2b person eu export"),
        Offer("Pose de porte intérieure (logement de plus de deux ans)", "PORTE", "pièce", "420", "10",
              SERVICE, "person", retail=(1, 6)),
        Offer("Placard sur mesure, fourniture et pose", "PLAC", "mètre linéaire", "690", "20", SERVICE,
              "b2b person", (2, 12), (1, 4)),
        Offer("Agencement de boutique", "AGENC", "jour", "520", "20", SERVICE, "b2b", (2, 10)),
        Offer("Planche à découper en chêne", "PLAN", "pièce", "39", "20", GOODS, "b2b person oss", (10, 30),
              (1, 2), oss="standard"),
    ),
    companies=(
        Company("Boutique Lumière d'Ivry", "12 rue Marat", "94200", "Ivry-sur-Seine"),
        Company("Hôtel des Quais", "4 quai Auguste Deshaies", "94200", "Ivry-sur-Seine", terms=15),
        Company("Bureaux Ivry Confluences SAS", "20 rue Victor Hugo", "94200", "Ivry-sur-Seine", terms=45),
    ),
    eu_company=Company("Holzbau Schneider GmbH", "Leopoldstraße 140", "80804", "München", "DE"),
    exports=(
        Company("Chalet des Neiges Sàrl", "Route de Verbier 12", "1936", "Verbier", "CH", 30, "CHF"),
        Company("Brooklyn Loft Design LLC", "55 Water Street", "11201", "Brooklyn", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI des Artisans", "16 rue des Artisans", "94200", "Ivry-sur-Seine", terms=0),
        Company("Bois et Panneaux d'Île-de-France", "8 avenue Rouget de Lisle", "94400", "Vitry-sur-Seine"),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de l'atelier", ("1300", "1300")),), day=1),
        Purchase("Achats de marchandises", 5,
                 (Buy("Panneaux et bois massif", ("900", "2600"), kind=GOODS),), day=6),
    ),
    area=(("94200", "Ivry-sur-Seine"), ("94400", "Vitry-sur-Seine"), ("75013", "Paris"),
          ("94270", "Le Kremlin-Bicêtre")),
)

SOFTWARE = Business(
    name="Nuage Logiciels", seed=4105, sales_per_month=25, open_weekdays=MON_FRI,
    mix={B2B: 0.6, PERSON: 0.1, OSS: 0.3},
    settings={"legal_form": "SAS", "share_capital": "10 000 €", "rcs_city": "Paris"},
    offers=(
        # Software as a service: electronically supplied, taxed where a consumer lives (OSS).
        Offer("Abonnement au logiciel de caisse, mensuel", "CAISSE", "mois", "39", "20", SERVICE,
              "b2b person oss eu export", (1, 12), oss="standard"),
        Offer("Mise en place et formation", "FORM", "h", "120", "20", SERVICE, "b2b eu export", (2, 10)),
        Offer("Développement spécifique", "DEV", "jour", "650", "20", SERVICE, "b2b eu export", (1, 10)),
        Offer("Support premium, annuel", "SUPP", "an", "480", "20", SERVICE, "b2b person"),
    ),
    companies=(
        Company("Épicerie Bio du Marais", "17 rue Vieille du Temple", "75004", "Paris"),
        Company("Restaurant Le Petit Zinc", "8 rue de Cotte", "75012", "Paris", terms=15),
        Company("Boulangeries Dorées SAS", "90 rue de la Convention", "75015", "Paris", terms=45),
    ),
    eu_company=Company("Negozi Rossi S.r.l.", "Via Torino 61", "20123", "Milano", "IT"),
    exports=(
        Company("Café Romand Sàrl", "Rue de Bourg 20", "1003", "Lausanne", "CH", 30, "CHF"),
        Company("Bistro Software Inc.", "100 Summer Street", "02110", "Boston", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("Espaces Partagés Bastille", "5 rue de Lyon", "75012", "Paris", terms=0),
        Company("Hébergement Cloud Europe", "33 rue Lafayette", "75009", "Paris", terms=0),
        Company("Dev Conseil Freelance", "4 rue Oberkampf", "75011", "Paris"),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Bureaux en espace partagé", ("1450", "1450")),), day=1),
        Purchase("Autres", 5, (Buy("Hébergement des serveurs", ("380", "620")),), day=3),
        Purchase("Sous-traitance", 6, (Buy("Développement sous-traité", ("1200", "3600")),), every=2, day=20),
    ),
    area=(("75012", "Paris"), ("75011", "Paris"), ("93100", "Montreuil"), ("94300", "Vincennes")),
)

ARCHITECT = Business(
    name="Atelier d'architecture Roux", seed=4106, sales_per_month=4, open_weekdays=MON_FRI,
    mix={B2B: 0.5, PERSON: 0.45, OSS: 0.05},
    settings={"legal_form": "SARL d'architecture", "share_capital": "8 000 €", "rcs_city": "Paris"},
    offers=(
        Offer("Esquisse et avant-projet", "APS", "forfait", "2400", "20", SERVICE, "b2b person"),
        Offer("Dossier de permis de construire", "PC", "forfait", "3200", "20", SERVICE, "b2b person"),
        Offer("Suivi de chantier", "DET", "vacation", "420", "20", SERVICE, "b2b person", (1, 8), (1, 4)),
        Offer("Mission d'études pour un concours", "CONC", "jour", "750", "20", SERVICE, "eu export",
              (2, 10)),
        Offer("Carnet d'architecture illustré (livre)", "LIVRE", "exemplaire", "32", "5.5", GOODS,
              "b2b person oss", (5, 20), (1, 2), oss="books"),
    ),
    companies=(
        Company("SCI Villa Montreuil", "45 rue de Romainville", "93100", "Montreuil"),
        Company("Promotion Est Parisien SAS", "120 avenue Gallieni", "93170", "Bagnolet", terms=45),
        Company("Crèche Les Petits Pas", "30 rue de Charonne", "75011", "Paris"),
    ),
    eu_company=Company("Studio Bianchi Architetti", "Via Solferino 14", "20121", "Milano", "IT"),
    exports=(
        Company("Genève Habitat SA", "Boulevard Carl-Vogt 2", "1205", "Genève", "CH", 30, "CHF"),
        Company("Hudson Design Group LLC", "75 Varick Street", "10013", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("Ateliers Charonne", "27 rue de Charonne", "75011", "Paris", terms=0),
        Company("Reprographie Bastille", "11 rue de la Roquette", "75011", "Paris"),
        Company("Logiciels CAO Pro", "70 rue de Rivoli", "75004", "Paris", terms=0),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de l'atelier", ("1600", "1600")),), day=1),
        Purchase("Fournitures", 5, (Buy("Impression de plans grand format", ("60", "380"), kind=GOODS),),
                 per_month=1, file="png"),
        Purchase("Autres", 6, (Buy("Licence du logiciel de dessin", ("290", "290")),), day=2),
    ),
    area=(("75011", "Paris"), ("93100", "Montreuil"), ("75020", "Paris"), ("93170", "Bagnolet")),
)

PLUMBER = Business(
    name="Plomberie Garnier", seed=4107, sales_per_month=18, open_weekdays=MON_FRI,
    mix={B2B: 0.35, PERSON: 0.6, OSS: 0.05},
    settings={"legal_form": "Entrepreneur individuel (EI)"},
    offers=(
        Offer("Dépannage (logement de plus de deux ans)", "DEP", "h", "65", "10", SERVICE, "person",
              retail=(1, 4)),
        # Energy-saving work in a home more than two years old: 5.5 % (CGI art. 278-0 bis A).
        Offer("Remplacement par un chauffe-eau thermodynamique", "CETD", "forfait", "2900", "5.5", SERVICE,
              "person"),
        Offer("Contrat d'entretien de chaufferie, trimestre", "ENTR", "trimestre", "390", "20", SERVICE,
              "b2b", (1, 3)),
        Offer("Intervention en locaux professionnels", "PRO", "h", "72", "20", SERVICE, "b2b", (2, 16)),
        Offer("Mitigeur thermostatique", "MITI", "pièce", "145", "20", GOODS, "b2b person oss eu export",
              (2, 10), (1, 2), oss="standard"),
    ),
    companies=(
        Company("Syndic Montreuil Habitat", "2 place Jean Jaurès", "93100", "Montreuil", terms=45),
        Company("Restaurant La Marmite", "41 rue de Paris", "93100", "Montreuil", terms=15),
        Company("Hôtel de la Mairie", "6 rue Franklin", "93100", "Montreuil"),
    ),
    eu_company=Company("Installateur Peeters", "Meir 80", "2000", "Antwerpen", "BE"),
    exports=(
        Company("Sanitaires Lémaniques SA", "Rue de Genève 18", "1003", "Lausanne", "CH", 30, "CHF"),
        Company("Brooklyn Plumbing Supply LLC", "200 Flatbush Avenue", "11217", "Brooklyn", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI de la Boissière", "12 rue de la Boissière", "93100", "Montreuil", terms=0),
        Company("Sanitaire Distribution Est", "5 rue de Lagny", "93100", "Montreuil"),
        Company("Station Carburants Montreuil", "150 boulevard Chanzy", "93100", "Montreuil", terms=0),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer du local de stockage", ("650", "650")),), day=1),
        Purchase("Achats de marchandises", 5,
                 (Buy("Raccords, tubes et robinetterie", ("150", "900"), kind=GOODS),), per_month=2),
        Purchase("Transports", 6, (Buy("Gazole de la camionnette", ("55", "90"), kind=GOODS),), per_month=2,
                 file="png"),
    ),
    area=(("93100", "Montreuil"), ("93170", "Bagnolet"), ("75020", "Paris"), ("94300", "Vincennes")),
)

FLORIST = Business(
    name="Les Fleurs de Vincennes", seed=4108, sales_per_month=30, open_weekdays=TUE_SAT,
    mix={B2B: 0.35, PERSON: 0.6, OSS: 0.05},
    settings={"legal_form": "SARL", "share_capital": "5 000 €", "rcs_city": "Créteil"},
    offers=(
        # Cut flowers and plants: 10 % in France.
        Offer("Bouquet de saison", "BOUQ", "pièce", "45", "10", GOODS, "b2b person", (2, 10), (1, 2)),
        Offer("Composition florale pour réception", "COMPO", "pièce", "120", "10", GOODS, "b2b person",
              (1, 6), (1, 2)),
        Offer("Fleurissement hebdomadaire d'un hall d'hôtel", "ABO", "semaine", "85", "10", GOODS, "b2b",
              (4, 4)),
        Offer("Bulbes de tulipes (lot de 100)", "BULB", "lot", "29", "10", GOODS, "b2b eu export", (2, 10)),
        Offer("Vase en grès artisanal", "VASE", "pièce", "38", "20", GOODS, "b2b person oss eu export",
              (4, 12), (1, 2), oss="standard"),
    ),
    companies=(
        Company("Hôtel du Château", "3 avenue de Paris", "94300", "Vincennes"),
        Company("Restaurant Les Tilleuls", "18 rue du Midi", "94300", "Vincennes", terms=15),
        Company("Agence Événements Est", "7 Grande Rue Charles de Gaulle", "94130", "Nogent-sur-Marne",
                terms=45),
    ),
    eu_company=Company("Bloemen Janssens", "Veldstraat 30", "9000", "Gent", "BE"),
    exports=(
        Company("Fleuriste du Lac Sàrl", "Quai Wilson 9", "1201", "Genève", "CH", 30, "CHF"),
        Company("Madison Flowers LLC", "780 Madison Avenue", "10065", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI du Midi", "12 rue du Midi", "94300", "Vincennes", terms=0),
        Company("Grossiste Horticole de Rungis", "1 rue de la Tour", "94150", "Rungis", terms=15),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de la boutique", ("1750", "1750")),), day=1),
        Purchase("Achats de marchandises", 5,
                 (Buy("Fleurs coupées, arrivage", ("300", "900"), "10", kind=GOODS),), per_month=4),
    ),
    area=(("94300", "Vincennes"), ("94160", "Saint-Mandé"), ("94130", "Nogent-sur-Marne"),
          ("75012", "Paris")),
)

BUTCHER = Business(
    name="Boucherie Fontaine", seed=4109, sales_per_month=30, open_weekdays=TUE_SAT,
    mix={B2B: 0.4, PERSON: 0.55, OSS: 0.05},
    settings={"legal_form": "SARL", "share_capital": "20 000 €", "rcs_city": "Paris"},
    offers=(
        Offer("Côte de bœuf maturée", "COTE", "kg", "42", "5.5", GOODS, "b2b person", (5, 30), (1, 3)),
        Offer("Volaille fermière Label Rouge", "VOL", "pièce", "24", "5.5", GOODS, "b2b person", (5, 20),
              (1, 2)),
        Offer("Plateau traiteur à emporter", "PLAT", "personne", "16", "5.5", GOODS, "b2b person", (10, 60),
              (4, 12)),
        Offer("Terrine de campagne en bocal", "TERR", "bocal", "9.50", "5.5", GOODS,
              "b2b person oss eu export", (12, 48), (1, 4), oss="food"),
    ),
    companies=(
        Company("Bistrot Lepic", "40 rue Lepic", "75018", "Paris", terms=15),
        Company("Restaurant Le Moulin", "83 rue Lepic", "75018", "Paris"),
        Company("Montmartre Réceptions Traiteur", "5 rue Caulaincourt", "75018", "Paris", terms=45),
    ),
    eu_company=Company("Feinkost Wagner GmbH", "Viktualienmarkt 3", "80331", "München", "DE"),
    exports=(
        Company("Épicerie Fine de Lausanne SA", "Rue Centrale 15", "1003", "Lausanne", "CH", 30, "CHF"),
        Company("Gourmet French Imports LLC", "25 Hudson Street", "10013", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI Lepic", "29 rue Lepic", "75018", "Paris", terms=0),
        Company("Viandes d'Île-de-France", "2 avenue des Halles", "94150", "Rungis", terms=15),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de la boutique", ("2600", "2600")),), day=1),
        Purchase("Achats de marchandises", 5, (Buy("Pièces de bœuf et volailles", ("1200", "3400"), "5.5",
                                                    kind=GOODS),), per_month=3),
    ),
    area=(("75018", "Paris"), ("75017", "Paris"), ("75009", "Paris"), ("93400", "Saint-Ouen-sur-Seine")),
)

HAIRDRESSER = Business(
    name="Salon Chevalier Coiffure", seed=4110, sales_per_month=45, open_weekdays=TUE_SAT,
    mix={B2B: 0.1, PERSON: 0.85, OSS: 0.05},
    settings={"legal_form": "Entrepreneur individuel (EI)"},
    offers=(
        Offer("Coupe et brushing", "COUPE", "prestation", "48", "20", SERVICE, "person"),
        Offer("Coloration", "COLOR", "prestation", "65", "20", SERVICE, "person"),
        Offer("Coiffure pour une séance photo ou un défilé", "SHOOT", "h", "90", "20", SERVICE,
              "b2b eu export", (2, 8)),
        Offer("Shampoing soin professionnel", "SHAMP", "flacon", "22", "20", GOODS, "b2b person oss", (6, 24),
              (1, 2), oss="standard"),
    ),
    companies=(
        Company("Studio Photo du Marais", "21 rue de Saintonge", "75003", "Paris"),
        Company("Agence de mannequins Rivoli", "150 rue de Rivoli", "75001", "Paris", terms=45),
        Company("Hôtel Le Bretagne", "2 rue de Bretagne", "75003", "Paris", terms=15),
    ),
    eu_company=Company("Modeatelier Köhler GmbH", "Torstraße 110", "10119", "Berlin", "DE"),
    exports=(
        Company("Défilés Genevois SA", "Rue du Marché 20", "1204", "Genève", "CH", 30, "CHF"),
        Company("Fashion Shows NYC LLC", "520 West 27th Street", "10001", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI de Bretagne", "9 rue de Bretagne", "75003", "Paris", terms=0),
        Company("Cosmétiques Pro Distribution", "48 rue de Turbigo", "75003", "Paris"),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer du salon", ("2200", "2200")),), day=1),
        Purchase("Achats de marchandises", 5, (Buy("Colorations et soins professionnels", ("180", "520"),
                                                    kind=GOODS),), per_month=1.5),
    ),
    area=(("75003", "Paris"), ("75004", "Paris"), ("75011", "Paris"), ("75010", "Paris")),
)

BISTRO = Business(
    name="Bistrot du Canal", seed=4111, sales_per_month=35, open_weekdays=MON_SAT,
    mix={B2B: 0.5, PERSON: 0.45, OSS: 0.05},
    settings={"legal_form": "SAS", "share_capital": "25 000 €", "rcs_city": "Paris"},
    offers=(
        Offer("Menu du jour", "MENU", "couvert", "19.50", "10", SERVICE, "b2b person", (8, 40), (2, 6)),
        Offer("Vin de la maison", "VIN", "bouteille", "24", "20", GOODS, "b2b person", (2, 12), (1, 3)),
        Offer("Privatisation de la salle", "PRIV", "soirée", "900", "10", SERVICE, "b2b"),
        Offer("Coffret de rillettes et terrines", "COFF", "coffret", "28", "5.5", GOODS,
              "b2b person oss eu export", (5, 20), (1, 2), oss="food"),
    ),
    companies=(
        Company("Agence Créative Valmy", "70 quai de Valmy", "75010", "Paris"),
        Company("Théâtre du Canal", "15 rue Beaurepaire", "75010", "Paris", terms=15),
        Company("Studio République SAS", "3 boulevard Jules Ferry", "75011", "Paris", terms=45),
    ),
    eu_company=Company("Delikatessen Vogel GmbH", "Hohe Straße 20", "50667", "Köln", "DE"),
    exports=(
        Company("Bistrot Suisse Sàrl", "Rue de Carouge 60", "1205", "Genève", "CH", 30, "CHF"),
        Company("French Table Catering LLC", "330 Bowery", "10012", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI Quai de Valmy", "50 quai de Valmy", "75010", "Paris", terms=0),
        Company("Primeurs de Rungis", "10 rue de la Tour", "94150", "Rungis", terms=15),
        Company("Cave des Coteaux", "22 rue de Lancry", "75010", "Paris"),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer du restaurant", ("3100", "3100")),), day=1),
        Purchase("Achats de marchandises", 5, (Buy("Fruits, légumes et produits frais", ("250", "900"), "5.5",
                                                    kind=GOODS),), per_month=4),
        Purchase("Achats de marchandises", 6, (Buy("Vins et spiritueux", ("400", "1200"), kind=GOODS),),
                 day=12),
    ),
    area=(("75010", "Paris"), ("75011", "Paris"), ("75019", "Paris"), ("93500", "Pantin")),
)

BOOKSHOP = Business(
    name="Librairie des Abbesses", seed=4112, sales_per_month=35, open_weekdays=TUE_SAT,
    mix={B2B: 0.3, PERSON: 0.6, OSS: 0.1},
    settings={"legal_form": "SARL", "share_capital": "12 000 €", "rcs_city": "Paris"},
    offers=(
        Offer("Livre (commande)", "LIVRE", "exemplaire", "22", "5.5", GOODS, "b2b person oss eu export",
              (5, 40), (1, 3), oss="books"),
        Offer("Abonnement presse", "PRESSE", "numéro", "6.50", "2.1", GOODS, "b2b person", (10, 30), (1, 4)),
        Offer("Papeterie et carnets", "PAP", "pièce", "12", "20", GOODS, "b2b person", (10, 50), (1, 3)),
        Offer("Rencontre d'auteur", "RENC", "soirée", "350", "20", SERVICE, "b2b"),
    ),
    companies=(
        Company("Comité d'entreprise Transports Nord", "12 rue Ordener", "75018", "Paris", terms=45),
        Company("Bibliothèque associative des Abbesses", "6 rue Yvonne Le Tac", "75018", "Paris"),
        Company("Café littéraire Les Pages", "35 rue des Martyrs", "75009", "Paris", terms=15),
    ),
    eu_company=Company("Librairie Française de Bruxelles", "Rue Royale 150", "1000", "Bruxelles", "BE"),
    exports=(
        Company("Librairie Romande SA", "Rue de la Mercerie 5", "1003", "Lausanne", "CH", 30, "CHF"),
        Company("French Books Inc.", "22 East 76th Street", "10021", "New York", "US", 30, "USD"),
    ),
    suppliers=(
        *COMMON_SUPPLIERS,
        Company("SCI des Abbesses", "20 rue des Abbesses", "75018", "Paris", terms=0),
        Company("Diffusion Livres Distribution", "60 rue de Vaugirard", "75006", "Paris", terms=45),
    ),
    purchases=(
        *COMMON_PURCHASES,
        Purchase("Loyers", 4, (Buy("Loyer de la librairie", ("1900", "1900")),), day=1),
        Purchase("Achats de marchandises", 5, (Buy("Livres, office et réassort", ("600", "2200"), "5.5",
                                                    kind=GOODS),), per_month=2),
    ),
    area=(("75018", "Paris"), ("75009", "Paris"), ("75017", "Paris"), ("93400", "Saint-Ouen-sur-Seine")),
)
# SIREN numbers with valid check digits (python-stdnum accepts them), and their French VAT numbers.
CLIENT_ACCOUNTS = [
    ClientAccount("garage-moreau", GARAGE,
                  _identity("Garage Moreau SAS", "45 avenue de Clichy", "75017", "Paris",
                            "482153376", "FR20482153376"),
                  admin="julien.moreau@demo.facturier.fr", locked=True),
    ClientAccount("pharmacie-des-lilas", PHARMACY,
                  _identity("Pharmacie des Lilas SELARL", "8 rue de Paris", "93260", "Les Lilas",
                            "523477198", "FR54523477198"),
                  locked=True),
    ClientAccount("horizon-immobilier", ESTATE_AGENCY,
                  _identity("Horizon Immobilier SARL", "19 boulevard Voltaire", "75011", "Paris",
                            "539621045", "FR77539621045"),
                  locked=True),
    ClientAccount("menuiserie-petit-et-fils", JOINERY,
                  _identity("Menuiserie Petit et Fils SARL", "14 rue des Artisans", "94200", "Ivry-sur-Seine",
                            "441088291", "FR03441088291")),
    ClientAccount("nuage-logiciels", SOFTWARE,
                  _identity("Nuage Logiciels SAS", "88 rue du Faubourg Saint-Antoine", "75012", "Paris",
                            "821374659", "FR09821374659"),
                  admin="ines.girard@demo.facturier.fr"),
    ClientAccount("atelier-architecture-roux", ARCHITECT,
                  _identity("Atelier d'architecture Roux SARL", "27 rue de Charonne", "75011", "Paris",
                            "790123566", "FR43790123566")),
    ClientAccount("plomberie-garnier", PLUMBER,
                  _identity("Antoine Garnier", "5 rue Émile Zola", "93100", "Montreuil",
                            "518904230", "FR54518904230")),
    ClientAccount("fleurs-de-vincennes", FLORIST,
                  _identity("Les Fleurs de Vincennes SARL", "12 rue du Midi", "94300", "Vincennes",
                            "833209174", "FR02833209174"),
                  admin="lea.bonnet@demo.facturier.fr"),
    ClientAccount("boucherie-fontaine", BUTCHER,
                  _identity("Boucherie Fontaine SARL", "31 rue Lepic", "75018", "Paris",
                            "429755317", "FR66429755317"),
                  locked=True),
    ClientAccount("salon-chevalier", HAIRDRESSER,
                  _identity("Sarah Chevalier", "7 rue de Bretagne", "75003", "Paris",
                            "497612085", "FR59497612085")),
    ClientAccount("bistrot-du-canal", BISTRO,
                  _identity("Bistrot du Canal SAS", "52 quai de Valmy", "75010", "Paris",
                            "814360921", "FR35814360921"),
                  admin="hugo.lambert@demo.facturier.fr"),
    ClientAccount("librairie-des-abbesses", BOOKSHOP,
                  _identity("Librairie des Abbesses SARL", "18 rue des Abbesses", "75018", "Paris",
                            "520908740", "FR69520908740")),
]
# fmt: on


def _register_businesses() -> None:
    """devdata.demo plays a business back by its key: the client accounts' businesses join its own."""
    for spec in CLIENT_ACCOUNTS:
        demo.BUSINESSES.setdefault(spec.profile, spec.business)


class Command(BaseCommand):
    help = "Crée les comptes et utilisateurs de démonstration (sans rien modifier de ce qui existe déjà)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            firm_is_new = not Account.objects.filter(slug=FIRM_SLUG).exists()
            firm = self._account(
                FIRM_SLUG, "Cabinet Demo Expertise", EXPERT, plans.ACCOUNTING, None, FIRM_IDENTITY
            )
            if firm_is_new:
                firm = firm_services.set_firm_module(Actor.system(), firm, True)
            client = self._account(CLIENT_SLUG, "Boulangerie Martin", ADMIN, plans.PRO, firm, CLIENT_IDENTITY)
            independent = self._account(
                INDEPENDENT_SLUG, "Atelier Durand", ADMIN, plans.FREE, None, INDEPENDENT_IDENTITY
            )

            commercial = Role.objects.filter(account=client, name=COMMERCIAL_ROLE).first()
            if commercial is None:
                commercial = services.save_role(
                    Actor.system(), client, name=COMMERCIAL_ROLE, codes=COMMERCIAL_CODES
                )
            self._member(client, COMPTABLE, permissions.ROLE_ACCOUNTANT)
            self._member(client, UTILISATEUR, permissions.ROLE_MEMBER)
            self._member(client, COMMERCIAL, permissions.ROLE_CUSTOM, custom_role=commercial)
            self._member(client, EXPERT, permissions.ROLE_ACCOUNTANT, firm=firm)

        expert = self._firm_actor(firm)
        managed, created = self._client_accounts(firm, expert)

        # Invoicing in each account that has no sales documents yet (one transaction each): a year in the
        # first three accounts, a few months in the firm's other client accounts.
        _register_businesses()
        seeds: list[tuple[Account, str, dict[str, Any]]] = [
            (client, "bakery", {}),
            (firm, "firm", {}),
            (independent, "workshop", {}),
        ]
        small = {"months": CLIENT_MONTHS, "volume": CLIENT_VOLUME}
        seeds += [(account, spec.profile, small) for spec, account in managed]
        for account, business, size in seeds:
            try:
                self.stdout.write(str(demo.seed_account(account, business, **size)))
            except ServiceError as error:
                self.stderr.write(f"{account.slug} : {error.message}")
        # After the documents: the firm has filed last month's VAT return of a few new client accounts.
        locked = {spec.slug for spec in CLIENT_ACCOUNTS if spec.locked}
        self._lock_last_month(firm, expert, [account for account in created if account.slug in locked])
        self._print_logins()

    def _firm_actor(self, firm: Account) -> Actor | None:
        """The demo firm's owner acting in the firm, as on its pages; None if someone removed them."""
        membership = (
            Membership.objects.select_related("user", "custom_role", "firm")
            .filter(account=firm, user__email=EXPERT)
            .first()
        )
        return Actor(user=membership.user, membership=membership) if membership else None

    def _client_accounts(
        self, firm: Account, expert: Actor | None
    ) -> tuple[list[tuple[ClientAccount, Account]], list[Account]]:
        """The demo client accounts still managed by the firm, with the missing ones created first;
        and the accounts created now."""
        found = {a.slug: a for a in Account.objects.filter(slug__in=[spec.slug for spec in CLIENT_ACCOUNTS])}
        missing = [spec for spec in CLIENT_ACCOUNTS if spec.slug not in found]
        if missing and expert is None:
            self.stderr.write(
                f"{firm.slug} : {EXPERT} n'en est plus utilisateur, pas de nouveau compte client."
            )
            missing = []
        created: list[Account] = []
        for spec in missing:
            assert expert is not None  # checked above
            try:
                account = self._create_client_account(firm, expert, spec)
            except (ServiceError, PermissionDenied) as error:
                # The demo firm was changed by hand (module turned off, read-only...): keep it as it is.
                message = error.message if isinstance(error, ServiceError) else str(error)
                self.stderr.write(f"{spec.slug} : {message}")
                continue
            found[spec.slug] = account
            created.append(account)
        managed = [
            (spec, found[spec.slug])
            for spec in CLIENT_ACCOUNTS
            if spec.slug in found and found[spec.slug].managed_by_id == firm.pk
        ]
        return managed, created

    @transaction.atomic
    def _create_client_account(self, firm: Account, expert: Actor, spec: ClientAccount) -> Account:
        """As the firm's owner would: "Ajouter une nouvelle compagnie", then the company's identity in
        the new account's settings and, for some, the client as administrator from the firm's list."""
        account = firm_services.create_client_account(expert, firm, name=spec.business.name, slug=spec.slug)
        owner = Membership.objects.select_related("user", "custom_role", "firm").get(
            account=account, user=expert.user
        )
        account = services.update_account_identity(
            Actor(user=owner.user, membership=owner), account, spec.identity
        )
        if spec.admin:
            firm_services.add_client_user(
                expert, firm, account, email=spec.admin, role=permissions.ROLE_ADMIN, password=DEMO_PASSWORD
            )
        return account

    def _lock_last_month(self, firm: Account, expert: Actor | None, accounts: list[Account]) -> None:
        """One lock date for all of them, the end of last month, as the firm's list sets it."""
        if not accounts or expert is None:
            return
        last_month_end = firm.today().replace(day=1) - datetime.timedelta(days=1)
        try:
            firm_services.set_lock_dates(expert, firm, accounts, last_month_end)
        except ServiceError as error:
            self.stderr.write(f"{firm.slug} : {error.message}")

    def _user(self, email: str) -> User:
        user = User.objects.filter(email=email).first()
        return user or User.objects.create_user(email, DEMO_PASSWORD)

    def _account(
        self,
        slug: str,
        name: str,
        owner_email: str,
        plan: str,
        managed_by: Account | None,
        identity: dict[str, str],
    ) -> Account:
        account = Account.objects.filter(slug=slug).first()
        if account is not None:
            return account
        return services.create_account(
            Actor.system(),
            slug=slug,
            name=name,
            owner=self._user(owner_email),
            plan=plan,
            subscription_ends_on=subscription_end(plan, today_in("Europe/Paris")),
            managed_by=managed_by,
            **identity,
        )

    def _member(
        self,
        account: Account,
        email: str,
        role: str,
        *,
        custom_role: Role | None = None,
        firm: Account | None = None,
    ) -> None:
        if Membership.objects.filter(account=account, user__email=email).exists():
            return
        # add_member creates a missing user with the demo password and attaches an existing one unchanged.
        try:
            services.add_member(
                Actor.system(),
                account,
                email=email,
                role=role,
                custom_role=custom_role,
                password=DEMO_PASSWORD,
                firm=firm,
            )
        except ServiceError as error:
            # Someone changed the demo account by hand (a full plan, a read-only account): keep their
            # changes and say what was skipped rather than fail `make run`.
            self.stderr.write(f"{account.slug} / {email} : {error.message}")

    def _print_logins(self) -> None:
        client_admins = [spec.admin for spec in CLIENT_ACCOUNTS if spec.admin]
        client_slugs = [spec.slug for spec in CLIENT_ACCOUNTS]
        emails = [ADMIN, COMPTABLE, UTILISATEUR, COMMERCIAL, EXPERT, *client_admins]
        demo_slugs = [FIRM_SLUG, CLIENT_SLUG, INDEPENDENT_SLUG, *client_slugs]
        memberships = list(
            Membership.objects.filter(user__email__in=emails, account__slug__in=demo_slugs)
            # The firm's owner owns every client account it created: one line below says so.
            .exclude(user__email=EXPERT, account__slug__in=client_slugs)
            .select_related("user", "account", "custom_role")
            .order_by("account__name")
        )
        rows: list[tuple[str, str, str, str]] = []
        for email in emails:
            for membership in (m for m in memberships if m.user.email == email):
                role = membership.role_label
                if membership.is_owner:
                    role = f"{role}, {_('propriétaire')}"
                rows.append((email, role, membership.account.name, DEMO_PASSWORD))

        header = (_("Adresse email"), _("Rôle"), _("Compte"), _("Mot de passe"))
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        login_url = settings.FACTURIER_BASE_URL + reverse("accounts:login")
        self.stdout.write(_("Comptes de démonstration, à ouvrir sur %(url)s") % {"url": login_url})
        for row in [header, *rows]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        others = Membership.objects.filter(user__email=EXPERT, account__slug__in=client_slugs).count()
        if others:
            self.stdout.write(
                _(
                    "%(email)s ouvre aussi %(count)d autres comptes clients du cabinet : "
                    "voir « Comptes clients » et le sélecteur de comptes."
                )
                % {"email": EXPERT, "count": others}
            )
