"""VAT rates and categories: French rates, every EU member state's rates (from eu-vat-rates-data, the
European Commission's TEDB), and the legal mention of each exemption.

A line stores its rate, category and country at issue time; nothing is looked up again later.
"""

import functools
from decimal import Decimal

import eu_vat_rates_data
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from facturier.lib.countries import EU_MEMBERS

FRENCH_RATES = [Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0")]
# The rates VAT the account self-assesses (autoliquidation) is due at: a French rate above zero, whatever
# the supplier's invoice shows (it shows 0 %: the supplier charges none). The standard rate unless the
# purchase falls under a reduced one.
SELF_ASSESSMENT_RATES = [rate for rate in FRENCH_RATES if rate > 0]
DEFAULT_SELF_ASSESSMENT_RATE = SELF_ASSESSMENT_RATES[0]

# VAT category codes of EN 16931 (UNTDID 5305), as Factur-X uses them.
STANDARD = "S"  # taxed at a rate above zero
ZERO_RATED = "Z"
EXEMPT = "E"  # exempt, with its legal reason (franchise en base, art. 261...)
REVERSE_CHARGE = "AE"  # autoliquidation: the buyer pays the VAT
INTRA_EU = "K"  # intra-EU supply of goods to a VAT-registered buyer
EXPORT = "G"  # export outside the EU
OUTSIDE_SCOPE = "O"
# The categories under which the buyer, not the seller, accounts for the VAT: a sale under them carries
# none and is chargeable when performed; a purchase under them is self-assessed (autoliquidation).
SELF_ASSESSED = (REVERSE_CHARGE, INTRA_EU)

CATEGORY_CHOICES = [
    (STANDARD, _("Taux normal ou réduit")),
    (ZERO_RATED, _("Taux zéro")),
    (EXEMPT, _("Exonéré")),
    (REVERSE_CHARGE, _("Autoliquidation")),
    (INTRA_EU, _("Livraison intracommunautaire")),
    (EXPORT, _("Exportation hors UE")),
    (OUTSIDE_SCOPE, _("Hors champ de la TVA")),
]

# The mention printed on the document for each category without VAT (CGI references).
DEFAULT_MENTIONS = {
    EXEMPT: "TVA non applicable, art. 293 B du CGI",
    REVERSE_CHARGE: "Autoliquidation",
    INTRA_EU: "Exonération de TVA, art. 262 ter I du CGI",
    EXPORT: "Exonération de TVA, art. 262 I du CGI",
    OUTSIDE_SCOPE: "Opération hors champ de la TVA",
    ZERO_RATED: "",
}


@functools.cache
def rates_for(country: str) -> tuple[Decimal, ...]:
    """Every rate in force in an EU member state, highest first; France's from FRENCH_RATES."""
    if country == "FR":
        return tuple(FRENCH_RATES)
    if country not in EU_MEMBERS:
        return ()
    data = eu_vat_rates_data.get_rate(country)
    if data is None:
        return ()
    values = {data["standard"], *(data.get("reduced") or [])}
    for extra in (data.get("super_reduced"), data.get("parking")):
        if extra:
            values.add(extra)
    return tuple(sorted((_decimal(v) for v in values), reverse=True))


def _decimal(value: float) -> Decimal:
    # The package gives floats; go through str so 5.5 stays exactly 5.5, and 10.0 reads 10.
    number = Decimal(str(value))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def rate_text(rate: Decimal) -> str:
    """A rate or a percentage as a label writes it in the active language, without needless zeros:
    20.00 -> "20", 5.50 -> "5,5" in French ("5.5" in English)."""
    return f"{rate.normalize():f}".replace(".", str(formats.get_format("DECIMAL_SEPARATOR")))


def standard_rate(country: str) -> Decimal | None:
    rates = rates_for(country)
    return rates[0] if rates else None


def is_valid_rate(country: str, rate: Decimal) -> bool:
    return rate == 0 or rate in rates_for(country)


def oss_destination(country: str | None) -> str | None:
    """The member state whose VAT an OSS distance sale to a buyer in `country` carries, if any."""
    return country if country in EU_MEMBERS and country != "FR" else None
