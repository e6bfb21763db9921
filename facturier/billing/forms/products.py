"""The product form and the filters of the product list.

The form reads and types the values; the rules that tie them together (a VAT rate that fits its
category, a free code) are the service's, which the view shows beside the field at fault.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy

from facturier.billing import client_queries
from facturier.billing.models import Product, SupplyKind
from facturier.billing.services.products import PRODUCT_FIELDS
from facturier.lib import vat


def rate_value(rate: Decimal) -> str:
    """A rate as the select's option value: 20.00 → "20", 5.50 → "5.5"."""
    return format(Decimal(rate).normalize(), "f")


def rate_label(rate: Decimal) -> str:
    return f"{formats.number_format(Decimal(rate).normalize())} %"


def shown_price(price: Decimal) -> Decimal:
    """A stored price (4 decimals) as people write it: at least the cents, 100.0000 → 100.00, and
    12.3450 → 12.345."""
    price = Decimal(price).normalize()
    exponent = price.as_tuple().exponent
    return price.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent > -2 else price


def _rate_choices() -> list[tuple[str, str]]:
    return [(rate_value(rate), rate_label(rate)) for rate in vat.FRENCH_RATES]


def _is_true(value: Any) -> bool:
    return value in (True, "True")


class ProductForm(forms.ModelForm[Product]):
    unit_price = forms.DecimalField(
        label=gettext_lazy("Prix unitaire"),
        min_value=Decimal("0"),
        max_digits=18,
        decimal_places=4,
        localize=True,  # "12,50" as French users type it
    )
    price_is_gross = forms.TypedChoiceField(
        label=gettext_lazy("Le prix est"),
        choices=[
            ("False", gettext_lazy("hors taxes (HT)")),
            ("True", gettext_lazy("toutes taxes comprises (TTC)")),
        ],
        coerce=_is_true,
        initial="False",
        widget=forms.RadioSelect,
    )
    vat_rate = forms.TypedChoiceField(
        label=gettext_lazy("Taux de TVA"), choices=_rate_choices, coerce=Decimal, initial="20"
    )
    supply_kind = forms.ChoiceField(
        label=gettext_lazy("Nature"),
        choices=SupplyKind.choices,
        initial="service",
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Un bien ou un service : cela fixe l'exigibilité de la TVA et le pays de TVA des ventes en ligne "
            "à des particuliers de l'UE (OSS)."
        ),
    )

    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        help_texts = {
            "vat_category": gettext_lazy(
                "« Taux normal ou réduit » pour un taux au-dessus de 0 % ; les autres catégories vont "
                "avec le taux de 0 % et leur mention légale."
            ),
            "accounting_code": gettext_lazy("Par exemple 706000 ; repris dans les exports."),
            "unit": gettext_lazy("Par exemple h, jour, kg, pièce."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Stored values carry trailing zeros (20.00, 12.5000): show them as the options and people write them.
        rate = self.initial.get("vat_rate")
        if rate is not None:
            self.initial["vat_rate"] = rate_value(rate)
        price = self.initial.get("unit_price")
        if price is not None:
            self.initial["unit_price"] = shown_price(price)

    def values(self) -> dict[str, Any]:
        """What the services take (call after is_valid())."""
        return {field: self.cleaned_data[field] for field in PRODUCT_FIELDS}


class ProductFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Rechercher"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Nom ou référence…")}),
    )
    archived = forms.ChoiceField(
        label=gettext_lazy("Afficher"),
        required=False,
        choices=[
            (client_queries.ACTIVE, gettext_lazy("Produits actifs")),
            (client_queries.ARCHIVED, gettext_lazy("Produits archivés")),
            (client_queries.ALL, gettext_lazy("Tous les produits")),
        ],
    )

    def filters(self, sort: str) -> client_queries.ProductFilters:
        """The valid filters: a tampered value filters nothing rather than failing the page."""
        self.is_valid()  # cleaned_data then holds the valid fields only
        data = self.cleaned_data
        return client_queries.ProductFilters(
            text=data.get("q") or "",
            archived=data.get("archived") or client_queries.ACTIVE,
            sort=sort,
        )
