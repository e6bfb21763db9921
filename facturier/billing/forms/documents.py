"""Forms of the sales document pages: list filters, the document and its lines, the credit note,
the conversion of a quote, and what may still change on an issued document.

The forms only read and check what the user typed; they build the services' DocumentInput and
LineInput, and the services decide the rest (billing/services/documents.py).
"""

import datetime
import re
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.billing import queries
from facturier.billing.models import (
    Client,
    Document,
    DocumentLine,
    Kind,
    PaymentMethod,
    Product,
    Status,
    SupplyKind,
)
from facturier.billing.services.documents import DocumentInput, LineInput
from facturier.lib import vat as vat_rules
from facturier.lib.countries import COUNTRY_CODES, EU_MEMBERS, country_name, lazy_country_choices
from facturier.lib.filters import FilterDateField
from facturier.lib.money import CURRENCIES, MAX_AMOUNT, MAX_QUANTITY, ZERO, money_text, quantity_text
from facturier.lib.vat import oss_destination

LANGUAGES = [("fr", gettext_lazy("Français")), ("en", gettext_lazy("Anglais"))]
MAX_LINES = 500

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def decimal_widget(**attrs: str) -> forms.TextInput:
    # Text rather than type=number: French users type "12,50"; localize=True on the field reads it.
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs})


# --- VAT choices: "country:rate", so a line knows whose VAT it carries ----------------------------


def rate_value(rate: Decimal) -> str:
    """20.00 -> "20", 5.50 -> "5.5": the form's spelling of a rate."""
    return f"{Decimal(rate).normalize():f}"


def vat_value(country: str, rate: Decimal) -> str:
    return f"{country}:{rate_value(rate)}"


def rate_label(rate: Decimal) -> str:
    return f"{formats.number_format(Decimal(rate_value(rate)))} %"


def vat_label(rate: Decimal, category: str, country: str, reason: str = "") -> str:
    """How a VAT bucket reads in a table: "20 %", "19 % (Allemagne)", "Exonéré — TVA non applicable…"."""
    if category == vat_rules.STANDARD:
        label = rate_label(rate)
        return label if country == "FR" else f"{label} ({country_name(country)})"
    label = str(dict(vat_rules.CATEGORY_CHOICES).get(category, category))
    return f"{label} — {reason}" if reason else label


def oss_group_label(country: str) -> str:
    return _("TVA %(country)s (OSS)") % {"country": country_name(country)}


def vat_choices(destination: str | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """French rates, plus the destination's rates for a distance sale under OSS."""
    groups = [
        (_("TVA française"), [(vat_value("FR", rate), rate_label(rate)) for rate in vat_rules.FRENCH_RATES])
    ]
    if destination:
        rates = vat_rules.rates_for(destination)
        groups.append(
            (
                oss_group_label(destination),
                [(vat_value(destination, rate), rate_label(rate)) for rate in rates],
            )
        )
    return groups


def oss_rate_table() -> dict[str, dict[str, Any]]:
    """Every other member state's rates, for the script that adds them when OSS is ticked."""
    return {
        code: {
            "label": oss_group_label(code),
            "options": [[vat_value(code, rate), rate_label(rate)] for rate in vat_rules.rates_for(code)],
        }
        for code in sorted(EU_MEMBERS - {"FR"})
    }


def parse_email_list(value: str) -> str:
    """Addresses separated by commas, semicolons or spaces; each one checked; returned comma-separated."""
    addresses = [part for part in re.split(r"[,;\s]+", value.strip()) if part]
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("« %(address)s » n'est pas une adresse email valide.") % {"address": address}
            ) from None
    return ", ".join(addresses)


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A form's choice field, typed as one (its choices are set per request)."""
    return cast(forms.ChoiceField, form.fields[name])


# --- Selects whose options carry data for the page's script ---------------------------------------


class DataSelect(forms.Select):
    """A select whose options carry data-* attributes, given per option value."""

    def __init__(
        self, attrs: dict[str, Any] | None = None, option_data: dict[str, dict[str, str]] | None = None
    ):
        super().__init__(attrs)
        self.option_data = option_data or {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        for key, data in self.option_data.get(str(value), {}).items():
            option["attrs"][f"data-{key}"] = data
        return option


def client_options(clients: list[Client]) -> dict[str, dict[str, str]]:
    return {str(client.pk): {"country": client.country} for client in clients}


def product_options(products: list[Product]) -> dict[str, dict[str, str]]:
    """What choosing a product fills in its line: both net and gross prices (Decimal, computed here),
    so the script only copies text and never does money arithmetic."""
    options = {}
    for product in products:
        factor = 1 + product.vat_rate / 100 if product.vat_category == vat_rules.STANDARD else Decimal(1)
        if product.price_is_gross:
            gross, net = product.unit_price, (product.unit_price / factor).quantize(Decimal("0.0001"))
        else:
            net, gross = product.unit_price, (product.unit_price * factor).quantize(Decimal("0.0001"))
        options[str(product.pk)] = {
            "name": product.name,
            "unit": product.unit,
            "net": formats.localize_input(net.normalize()),
            "gross": formats.localize_input(gross.normalize()),
            "vat": vat_value("FR", product.vat_rate),
            "category": product.vat_category,
            "kind": product.supply_kind,
        }
    return options


# --- The list filters -----------------------------------------------------------------------------


def sort_choices(sorts: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(key, key) for name in sorts for key in (name, f"-{name}")]


class DocumentFilterForm(forms.Form):
    """The list's filters, read from the URL; an invalid value is ignored rather than refused."""

    period = forms.ChoiceField(label=gettext_lazy("Période"), choices=queries.PERIODS, required=False)
    date_from = FilterDateField(label=gettext_lazy("Du"), required=False, widget=DATE_WIDGET)
    date_to = FilterDateField(label=gettext_lazy("Au"), required=False, widget=DATE_WIDGET)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"), choices=[("", gettext_lazy("Tous")), *Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label=gettext_lazy("État"),
        choices=[
            ("", gettext_lazy("Tous")),
            (queries.UNPAID, gettext_lazy("À encaisser")),
            (queries.OVERDUE, gettext_lazy("En retard")),
            *Status.choices,
            (queries.TEST, gettext_lazy("Documents de test")),
        ],
        required=False,
    )
    client = forms.TypedChoiceField(
        label=gettext_lazy("Client"), coerce=int, required=False, empty_value=None
    )
    q = forms.CharField(label=gettext_lazy("Recherche"), max_length=100, required=False)
    sort = forms.ChoiceField(choices=sort_choices(queries.DOCUMENT_SORTS), required=False)

    def __init__(self, *args: Any, clients: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "client").choices = [("", _("Tous")), *clients]
        self.fields["q"].widget.attrs["placeholder"] = _("Numéro ou client")

    def filters(self, today: datetime.date) -> queries.DocumentFilters:
        self.is_valid()
        data = self.cleaned_data
        date_from, date_to = queries.period_bounds(data.get("period") or "", today)
        if data.get("period") in ("", "custom", None):
            date_from, date_to = data.get("date_from"), data.get("date_to")
        return queries.DocumentFilters(
            date_from=date_from,
            date_to=date_to,
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            client_id=data.get("client"),
            search=data.get("q") or "",
            sort=data.get("sort") or queries.DEFAULT_DOCUMENT_SORT,
        )


# --- The document and its lines -------------------------------------------------------------------


class DocumentForm(forms.Form):
    """The header of a draft: everything but the lines."""

    kind = forms.ChoiceField(label=gettext_lazy("Type de document"))
    client = forms.TypedChoiceField(
        label=gettext_lazy("Client"),
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Choisissez un client de la liste.")},
    )
    issue_date = forms.DateField(label=gettext_lazy("Date d'émission"), widget=DATE_WIDGET)
    sell_date = forms.DateField(
        label=gettext_lazy("Date de vente ou de livraison"),
        required=False,
        widget=DATE_WIDGET,
        help_text=gettext_lazy("Si elle diffère de la date d'émission."),
    )
    due_date = forms.DateField(
        label=gettext_lazy("Date d'échéance"),
        required=False,
        widget=DATE_WIDGET,
        help_text=gettext_lazy("Vide : selon le délai de paiement du client."),
    )
    valid_until = forms.DateField(
        label=gettext_lazy("Devis valable jusqu'au"), required=False, widget=DATE_WIDGET
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("Devise"), choices=[(c, c) for c in CURRENCIES], initial="EUR"
    )
    exchange_rate = forms.DecimalField(
        label=gettext_lazy("Taux de change (EUR pour 1 unité)"),
        required=False,
        max_digits=14,
        decimal_places=6,
        min_value=Decimal("0.000001"),
        localize=True,
        widget=decimal_widget(),
    )
    language = forms.ChoiceField(label=gettext_lazy("Langue du document"), choices=LANGUAGES, initial="fr")
    prices_are_gross = forms.BooleanField(label=gettext_lazy("Prix saisis TTC"), required=False)
    reverse_charge = forms.BooleanField(
        label=gettext_lazy("Autoliquidation (TVA due par l'acheteur)"), required=False
    )
    oss = forms.BooleanField(
        label=gettext_lazy("Vente à distance dans l'UE : TVA du pays de l'acheteur (OSS)"), required=False
    )
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Mode de paiement"), choices=PaymentMethod.choices, initial=PaymentMethod.TRANSFER
    )
    buyer_reference = forms.CharField(
        label=gettext_lazy("Référence de commande de l'acheteur"), max_length=100, required=False
    )
    delivery_street = forms.CharField(label=gettext_lazy("Adresse"), max_length=300, required=False)
    delivery_post_code = forms.CharField(label=gettext_lazy("Code postal"), max_length=20, required=False)
    delivery_city = forms.CharField(label=gettext_lazy("Ville"), max_length=120, required=False)
    delivery_country = forms.ChoiceField(label=gettext_lazy("Pays"), required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes imprimées sur le document"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    internal_note = forms.CharField(
        label=gettext_lazy("Note interne (non imprimée)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    email_to = forms.CharField(
        label=gettext_lazy("Emails du destinataire"),
        max_length=500,
        required=False,
        help_text=gettext_lazy(
            "Vide : l'email du client. Plusieurs adresses : séparez-les par des virgules."
        ),
    )

    def __init__(
        self, *args: Any, clients: list[Client], kinds: list[tuple[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.clients = {client.pk: client for client in clients}
        choice_field(self, "kind").choices = kinds
        client_field = choice_field(self, "client")
        # The widget first: setting the field's choices hands them to its widget.
        client_field.widget = DataSelect(option_data=client_options(clients))
        client_field.choices = [("", _("Choisissez un client")), *((c.pk, c.name) for c in clients)]
        choice_field(self, "delivery_country").choices = [("", "—"), *lazy_country_choices()]

    def clean_email_to(self) -> str:
        return parse_email_list(self.cleaned_data.get("email_to") or "")

    def clean_delivery_country(self) -> str:
        code = self.cleaned_data.get("delivery_country") or ""
        return code if code in COUNTRY_CODES else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("currency") == "EUR":
            cleaned["exchange_rate"] = Decimal(1)
        elif "currency" in cleaned and not cleaned.get("exchange_rate"):
            self.add_error("exchange_rate", _("Indiquez le taux de change vers l'euro."))
        client = self.clients.get(cleaned.get("client") or 0)
        if cleaned.get("oss") and client is not None and oss_destination(client.country) is None:
            self.add_error(
                "oss", _("L'OSS ne s'applique qu'aux ventes à un client établi dans un autre pays de l'UE.")
            )
        issue_date, due_date = cleaned.get("issue_date"), cleaned.get("due_date")
        if issue_date and due_date and due_date < issue_date:
            self.add_error("due_date", _("L'échéance ne peut pas précéder la date d'émission."))
        return cleaned

    @property
    def destination(self) -> str | None:
        """The OSS destination country the lines may use, from the data as typed (before validation)."""
        raw_client = self.data.get(self.add_prefix("client")) if self.is_bound else self.initial.get("client")
        raw_oss = self.data.get(self.add_prefix("oss")) if self.is_bound else self.initial.get("oss")
        if not raw_oss or raw_oss in ("false", "0"):
            return None
        try:
            client = self.clients.get(int(raw_client or 0))
        except (TypeError, ValueError):
            return None
        return oss_destination(client.country) if client else None

    def to_input(self, lines: list[LineInput], **extra: Any) -> DocumentInput:
        data = self.cleaned_data
        fields = [
            "kind",
            "issue_date",
            "sell_date",
            "due_date",
            "currency",
            "exchange_rate",
            "language",
            "prices_are_gross",
            "reverse_charge",
            "oss",
            "payment_method",
            "buyer_reference",
            "notes",
            "internal_note",
            "email_to",
            "delivery_street",
            "delivery_post_code",
            "delivery_city",
            "delivery_country",
        ]
        values = {name: data[name] for name in fields}
        if data["kind"] == Kind.ESTIMATE:
            values["valid_until"] = data.get("valid_until")
        return DocumentInput(client_id=data["client"], lines=lines, **values, **extra)


def document_initial(document: Document) -> dict[str, Any]:
    """A stored draft as the form's initial data."""
    names = [*DocumentForm.base_fields]
    initial = {name: getattr(document, name) for name in names if name != "client"}
    initial["client"] = document.client_id
    # The rate only matters, and is only shown, for another currency than the euro.
    initial["exchange_rate"] = None if document.currency == "EUR" else document.exchange_rate.normalize()
    return initial


class LineForm(forms.Form):
    product = forms.TypedChoiceField(
        label=gettext_lazy("Produit"), coerce=int, required=False, empty_value=None
    )
    name = forms.CharField(label=gettext_lazy("Désignation"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 1})
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantité"), max_digits=14, decimal_places=4, initial=1, localize=True,
        widget=decimal_widget(size="6"),
    )  # fmt: skip
    unit = forms.CharField(
        label=gettext_lazy("Unité"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"size": "5"}),
    )
    unit_price = forms.DecimalField(
        label=gettext_lazy("Prix unitaire"), max_digits=18, decimal_places=4, localize=True,
        widget=decimal_widget(size="9"),
    )  # fmt: skip
    discount_percent = forms.DecimalField(
        label=gettext_lazy("Remise %"), max_digits=5, decimal_places=2, min_value=0, max_value=100,
        required=False, initial=0, localize=True, widget=decimal_widget(size="4"),
    )  # fmt: skip
    vat = forms.ChoiceField(label=gettext_lazy("TVA"), initial=vat_value("FR", Decimal(20)))
    vat_category = forms.ChoiceField(
        label=gettext_lazy("Catégorie de TVA"), choices=vat_rules.CATEGORY_CHOICES, initial=vat_rules.STANDARD
    )
    exemption_reason = forms.CharField(
        label=gettext_lazy("Mention d'exonération"),
        max_length=200,
        required=False,
    )
    supply_kind = forms.ChoiceField(
        label=gettext_lazy("Nature"), choices=SupplyKind.choices, initial=SupplyKind.SERVICE
    )

    def __init__(
        self,
        *args: Any,
        vat_groups: list[tuple[str, list[tuple[str, str]]]],
        products: list[tuple[int, str]],
        product_data: dict[str, dict[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "vat").choices = vat_groups
        product_field = choice_field(self, "product")
        product_field.widget = DataSelect(attrs={"data-product": ""}, option_data=product_data)
        product_field.choices = [("", _("Texte libre")), *products]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("discount_percent") is None:
            cleaned["discount_percent"] = ZERO
        quantity, price = cleaned.get("quantity"), cleaned.get("unit_price")
        if quantity is not None and abs(quantity) > MAX_QUANTITY:
            self.add_error(
                "quantity", _("La quantité ne peut dépasser %(max)s.") % {"max": quantity_text(MAX_QUANTITY)}
            )
        elif price is not None and abs(price) > MAX_AMOUNT:
            self.add_error(
                "unit_price",
                _("Le prix unitaire ne peut dépasser %(max)s.") % {"max": money_text(MAX_AMOUNT)},
            )
        elif quantity is not None and price is not None and abs(quantity * price) > MAX_AMOUNT:
            self.add_error(
                "unit_price",
                _("Le montant de la ligne ne peut dépasser %(max)s.") % {"max": money_text(MAX_AMOUNT)},
            )
        choice = cleaned.get("vat")
        category = cleaned.get("vat_category")
        if choice and category:
            country, _sep, rate = choice.partition(":")
            cleaned["vat_country"], cleaned["vat_rate"] = country, Decimal(rate)
            if category != vat_rules.STANDARD:
                # Without VAT the rate is zero and the line carries the legal reason.
                cleaned["vat_rate"] = ZERO
                if not cleaned.get("exemption_reason"):
                    cleaned["exemption_reason"] = vat_rules.DEFAULT_MENTIONS.get(category, "")
            elif cleaned["vat_rate"] == 0:
                self.add_error(
                    "vat_category",
                    _("Un taux nul demande une catégorie sans TVA (taux zéro, exonération…)."),
                )
        return cleaned

    def to_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            name=data["name"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            vat_rate=data["vat_rate"],
            vat_category=data["vat_category"],
            discount_percent=data["discount_percent"],
            unit=data["unit"],
            description=data["description"],
            product_id=data["product"],
            supply_kind=data["supply_kind"],
            vat_country=data["vat_country"],
            exemption_reason=data["exemption_reason"],
        )


class BaseLineFormSet(forms.BaseFormSet[LineForm]):
    def _kept(self) -> list[LineForm]:
        """Forms standing for a line: neither marked for removal nor left blank."""
        kept = []
        for form in self.forms:
            if form.cleaned_data.get("DELETE"):
                continue
            if form.empty_permitted and not form.has_changed():
                continue
            kept.append(form)
        return kept

    def clean(self) -> None:
        super().clean()
        if self.management_form.is_valid() and not any(self.errors) and not self._kept():
            raise ValidationError(_("Ajoutez au moins une ligne."))

    def refuse_negative_quantities(self) -> bool:
        """On any document but a credit note: a negative quantity is refused (a document that takes
        back a sale is a credit note; a discount is the line's discount rate; the services already
        refuse a negative price). True when no line has one. Call after is_valid()."""
        ok = True
        for form in self._kept():
            if form.cleaned_data["quantity"] < 0:
                form.add_error(
                    "quantity",
                    _(
                        "Quantité négative : pour annuler ou rembourser une vente, faites un avoir depuis la "
                        "facture émise ; pour une remise, indiquez-la en % sur la ligne."
                    ),
                )
                ok = False
        return ok

    def line_inputs(self) -> list[LineInput]:
        return [form.to_input() for form in self._kept()]

    def preview(self) -> tuple[list[tuple[int, LineInput]], int]:
        """For live totals: (form index, line) of every complete line, and how many are incomplete."""
        self.is_valid()
        lines, incomplete = [], 0
        for index, form in enumerate(self.forms):
            if form.cleaned_data.get("DELETE") or (form.empty_permitted and not form.has_changed()):
                continue
            if form.errors:
                incomplete += 1
            else:
                lines.append((index, form.to_input()))
        return lines, incomplete


def line_initial(line: DocumentLine | LineInput, *, negate: bool = False) -> dict[str, Any]:
    quantity = -line.quantity if negate else line.quantity
    return {
        "product": line.product_id,
        "name": line.name,
        "description": line.description,
        "quantity": quantity.normalize(),
        "unit": line.unit,
        "unit_price": Decimal(line.unit_price).normalize(),
        "discount_percent": Decimal(line.discount_percent).normalize(),
        "vat": vat_value(line.vat_country, line.vat_rate),
        "vat_category": line.vat_category,
        "exemption_reason": line.exemption_reason,
        "supply_kind": line.supply_kind,
    }


def line_formset(
    data: Any,
    *,
    destination: str | None,
    products: list[Product],
    initial: list[dict[str, Any]] | None = None,
    extra: int = 0,
) -> BaseLineFormSet:
    """The lines of a document (prefix "lines"), their VAT choices following the OSS destination."""
    formset_class = forms.formset_factory(
        LineForm, formset=BaseLineFormSet, extra=extra, can_delete=True, max_num=MAX_LINES, validate_max=True
    )
    return formset_class(  # type: ignore[return-value]
        data,
        prefix="lines",
        initial=initial,
        form_kwargs={
            "vat_groups": vat_choices(destination),
            "products": [(product.pk, product.name) for product in products],
            "product_data": product_options(products),
        },
    )


# --- Actions on a document -------------------------------------------------------------------------


class CreditNoteForm(forms.Form):
    TOTAL = "total"
    PARTIAL = "partial"

    mode = forms.ChoiceField(
        label=gettext_lazy("Avoir"),
        choices=[
            (TOTAL, gettext_lazy("Total : annule toute la facture")),
            (PARTIAL, gettext_lazy("Partiel : seulement les lignes ci-dessous")),
        ],
        initial=TOTAL,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=gettext_lazy("Motif de l'avoir"), max_length=300)


class ConvertForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (Kind.INVOICE, Kind.INVOICE.label),
            (Kind.ADVANCE, Kind.ADVANCE.label),
            (Kind.FINAL, Kind.FINAL.label),
        ]
    )
    percent = forms.DecimalField(
        label=gettext_lazy("Pourcentage de l'acompte"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=100,
        localize=True,
        widget=decimal_widget(size="5"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == Kind.ADVANCE and not cleaned.get("percent"):
            self.add_error("percent", _("Indiquez le pourcentage de l'acompte."))
        return cleaned


class IssuedDocumentForm(forms.Form):
    """What may change once a document is issued: nothing it prints (its PDF is kept as issued)."""

    internal_note = forms.CharField(
        label=gettext_lazy("Note interne (non imprimée)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    email_to = forms.CharField(label=gettext_lazy("Emails du destinataire"), max_length=500, required=False)

    def clean_email_to(self) -> str:
        return parse_email_list(self.cleaned_data.get("email_to") or "")


def issued_initial(document: Document) -> dict[str, Any]:
    return {name: getattr(document, name) for name in IssuedDocumentForm.base_fields}
